# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topology spec (docs/fabric.md): normalise and validate, with defaults (pure, standard library only).

normalize(spec) returns the canonical spec: every key present, rates in bit/s,
delays in microseconds, pools as network strings, placement expanded. Any
problem raises errors.ValidationError naming the field with a dotted path
(`links.leaf_spine.rate`, `placement.hosts[1].servers`). What needs the
topology itself (link ids of overrides, pool sizes, oversubscription against
link rates) is checked by compile.py, still before anything is touched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import ipaddress
import re

from ansible_collections.aifabric.emulation.plugins.module_utils import errors, validate
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import units

ValidationError = errors.ValidationError

KINDS = ("rail_optimized", "leaf_spine", "clos3")
MODES = ("l2", "l3")
CLASSES = ("server_leaf", "leaf_spine", "spine_super")
SHAPERS = ("htb", "tbf")

# The counts each kind needs, in the order they are documented.
COUNTS = {
    "rail_optimized": ("servers", "rails", "spines"),
    "leaf_spine": ("leaves", "servers_per_leaf", "spines"),
    "clos3": ("pods", "leaves_per_pod", "servers_per_leaf", "spines_per_pod", "super_spines"),
}
ALL_COUNTS = ("servers", "rails", "spines", "leaves", "servers_per_leaf", "pods", "leaves_per_pod",
              "spines_per_pod", "super_spines")
MAX_COUNT = 65535

TOP_KEYS = ("name", "kind", "mode", "oversubscription", "links", "overrides", "shaping", "addressing", "vlan",
            "roce", "soft_roce", "placement") + ALL_COUNTS
LINK_KEYS = ("rate", "delay", "mtu")
DEFAULT_LINK = {"rate": "1gbit", "delay": 0, "mtu": 9000}
DEFAULT_POOLS = {"fabric": "10.0.0.0/16", "management": "172.31.0.0/16"}
DEFAULT_HOST = "localhost"
DEFAULT_VNI_BASE = 10000
VNI_MAX = (1 << 24) - 1
MAX_DELAY_US = 10 * 1000 * 1000

NAME = re.compile(r"[a-z][a-z0-9]{0,7}\Z")
_RANGE = re.compile(r"\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?\Z")
_RATIO = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(?::\s*1\s*)?\Z")


def _unknown_keys(raw, allowed, where):
    for key in raw:
        if key not in allowed:
            path = "%s.%s" % (where, key) if where else str(key)
            raise ValidationError(path, "unknown key; expected one of %s" % ", ".join(allowed))


def _count(raw, key):
    return validate.integer(raw[key], key, 1, MAX_COUNT)


def server_count(spec):
    """How many servers a canonical spec has."""
    if spec["kind"] == "rail_optimized":
        return spec["servers"]
    if spec["kind"] == "leaf_spine":
        return spec["leaves"] * spec["servers_per_leaf"]
    return spec["pods"] * spec["leaves_per_pod"] * spec["servers_per_leaf"]


def _counts(raw, kind):
    out = {}
    for key in COUNTS[kind]:
        if raw.get(key) is None:
            raise ValidationError(key, "required for kind %s (it needs %s)" % (kind, ", ".join(COUNTS[kind])))
        out[key] = _count(raw, key)
    # counts a kind does not need may still be given, as a cross-check; they must agree
    if kind == "rail_optimized":
        implied = {"servers_per_leaf": out["servers"], "leaves": out["rails"]}
        why = {"servers_per_leaf": "every server has a NIC on every rail leaf",
               "leaves": "a rail_optimized fabric has one leaf per rail"}
    elif kind == "leaf_spine":
        implied = {"servers": out["leaves"] * out["servers_per_leaf"]}
        why = {"servers": "%d leaves x %d servers_per_leaf" % (out["leaves"], out["servers_per_leaf"])}
    else:
        implied = {"servers": out["pods"] * out["leaves_per_pod"] * out["servers_per_leaf"],
                   "leaves": out["pods"] * out["leaves_per_pod"],
                   "spines": out["pods"] * out["spines_per_pod"]}
        why = {"servers": "%d pods x %d leaves_per_pod x %d servers_per_leaf"
                          % (out["pods"], out["leaves_per_pod"], out["servers_per_leaf"]),
               "leaves": "%d pods x %d leaves_per_pod" % (out["pods"], out["leaves_per_pod"]),
               "spines": "%d pods x %d spines_per_pod" % (out["pods"], out["spines_per_pod"])}
    for key in ALL_COUNTS:
        if key in out or raw.get(key) is None:
            continue
        if key not in implied:
            raise ValidationError(key, "not a count of kind %s (it takes %s)" % (kind, ", ".join(COUNTS[kind])))
        given = _count(raw, key)
        if given != implied[key]:
            raise ValidationError(key, "inconsistent counts: %d given, but %s makes %d"
                                  % (given, why[key], implied[key]))
    return out


def _ratio(value):
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError("oversubscription", "expected a ratio such as 3 or '3:1', got a boolean (%s)"
                              % validate.BOOLEAN_HINT)
    if isinstance(value, (int, float)):
        number = value
    elif isinstance(value, str) and _RATIO.match(value):
        number = float(_RATIO.match(value).group(1))
    else:
        raise ValidationError("oversubscription", "expected a ratio such as 3 or '3:1' (R:1 at the leaf uplinks), "
                              "got %s" % validate.describe(value))
    if number <= 0 or number > 1000:
        raise ValidationError("oversubscription", "%r is outside (0, 1000]" % (value,))
    return int(number) if float(number).is_integer() else float(number)


def _rate(value, path):
    try:
        return units.parse_rate(value) * 8
    except units.UnitError as exc:
        raise ValidationError(path, str(exc))


def _delay(value, path):
    try:
        ns = units.parse_time(value)
    except units.UnitError as exc:
        raise ValidationError(path, str(exc))
    if ns % 1000:
        raise ValidationError(path, "%r is not a whole number of microseconds (the plan's unit)" % (value,))
    if ns // 1000 > MAX_DELAY_US:
        raise ValidationError(path, "%r is above 10s" % (value,))
    return ns // 1000


def _mtu(value, path):
    return validate.integer(value, path, 68, 65535)


def _link_params(raw, path, defaults=None):
    """{rate_bit, delay_us, mtu} from {rate, delay, mtu}; keys left out take defaults (None: left out)."""
    validate.mapping(raw, path, "{rate: 10gbit, delay: 5us, mtu: 9000}")
    _unknown_keys(raw, LINK_KEYS, path)
    out = {}
    for key, conv, name in (("rate", _rate, "rate_bit"), ("delay", _delay, "delay_us"), ("mtu", _mtu, "mtu")):
        value = raw.get(key)
        if value is None and defaults is not None:
            value = defaults[key]
        if value is not None:
            out[name] = conv(value, "%s.%s" % (path, key))
    return out


def _links(raw, kind):
    if raw is None:
        raw = {}
    validate.mapping(raw, "links", "{server_leaf: {rate: 10gbit}, leaf_spine: {rate: 40gbit}}")
    _unknown_keys(raw, CLASSES, "links")
    if raw.get("spine_super") is not None and kind != "clos3":
        raise ValidationError("links.spine_super", "only kind clos3 has super-spines")
    out = {}
    for cls in CLASSES:
        if cls == "spine_super" and kind != "clos3":
            continue
        out[cls] = _link_params(raw.get(cls) or {}, "links." + cls, DEFAULT_LINK)
    return out


def _overrides(raw):
    if raw is None:
        return []
    validate.sequence(raw, "overrides", "[{link: server0~rail0, delay: 50us}]")
    out, seen = [], {}
    for i, item in enumerate(raw):
        where = "overrides[%d]" % i
        validate.mapping(item, where, "{link: server0~rail0, delay: 50us}")
        _unknown_keys(item, ("link",) + LINK_KEYS, where)
        link = item.get("link")
        if not isinstance(link, str) or not link:
            raise ValidationError(where + ".link", "required: a link id such as server0~rail0, got %s"
                                  % validate.describe(link))
        if link in seen:
            raise ValidationError(where + ".link", "%s is already overridden by overrides[%d]" % (link, seen[link]))
        seen[link] = i
        params = _link_params(dict((k, v) for k, v in item.items() if k != "link"), where)
        if not params:
            raise ValidationError(where, "nothing to override: give rate, delay or mtu")
        params["link"] = link
        out.append(params)
    return out


def _pool(value, path):
    if not isinstance(value, str):
        raise ValidationError(path, "expected an IPv4 network such as 10.0.0.0/16, got %s" % validate.describe(value))
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ValidationError(path, "%r is not a network: %s" % (value, exc))
    if net.version != 4:
        raise ValidationError(path, "%s is not IPv4 (the fabric is IPv4 only; IPv6 is disabled in its namespaces)"
                              % value)
    if str(net) != value.strip() and "/" in value:
        raise ValidationError(path, "%s has host bits set; did you mean %s?" % (value, net))
    return str(net)


def _addressing(raw):
    if raw is None:
        raw = {}
    validate.mapping(raw, "addressing", "{fabric: 10.0.0.0/16, management: 172.31.0.0/16}")
    _unknown_keys(raw, ("fabric", "management"), "addressing")
    out = dict((key, _pool(raw.get(key) or DEFAULT_POOLS[key], "addressing." + key)) for key in DEFAULT_POOLS)
    if ipaddress.ip_network(out["fabric"]).overlaps(ipaddress.ip_network(out["management"])):
        raise ValidationError("addressing.management", "%s overlaps the fabric pool %s"
                              % (out["management"], out["fabric"]))
    return out


def _vlan(raw, kind, counts):
    if raw is None:
        return None
    validate.mapping(raw, "vlan", "{base_id: 100}")
    _unknown_keys(raw, ("base_id",), "vlan")
    if kind != "rail_optimized":
        raise ValidationError("vlan", "a VLAN per rail needs kind rail_optimized (this is %s)" % kind)
    if raw.get("base_id") is None:
        raise ValidationError("vlan.base_id", "required: rail k uses VLAN id base_id + k")
    base = validate.integer(raw["base_id"], "vlan.base_id", 1, 4094)
    top = base + counts["rails"] - 1
    if top > 4094:
        raise ValidationError("vlan.base_id", "%d + %d rails - 1 = %d is above 4094, the highest VLAN id"
                              % (base, counts["rails"], top))
    return {"base_id": base}


def _roce(raw):
    if raw is None:
        return None
    validate.mapping(raw, "roce", "{profile: lossless_prio3}")
    for key in ("netdev", "rdma_device", "port"):
        if key in raw:
            raise ValidationError("roce." + key, "set per endpoint by the fabric; leave it out of the profile")
    from ansible_collections.aifabric.emulation.plugins.module_utils.roce import model as roce_model
    try:
        roce_model.normalize(raw)
    except ValidationError as exc:
        raise ValidationError("roce.%s" % exc.param if exc.param else "roce", exc.message)
    return copy.deepcopy(raw)


def parse_servers(value, path, count):
    """Server indexes from '0-63', '0-3,8-11', 5 or [0, 1, '4-7'], each below count, as a sorted list."""
    if isinstance(value, bool) or value is None:
        raise ValidationError(path, "expected server indexes such as '0-63' or [0, 1], got %s"
                              % validate.describe(value))
    parts = value if isinstance(value, (list, tuple)) else [value]
    found = set()
    for part in parts:
        if isinstance(part, bool):
            raise ValidationError(path, "expected server indexes, got the boolean %s" % part)
        if isinstance(part, int):
            pieces = [(part, part)]
        elif isinstance(part, str):
            pieces = []
            for piece in part.split(","):
                m = _RANGE.match(piece)
                if not m:
                    raise ValidationError(path, "cannot read %r as server indexes such as '0-63' or '0-3,8-11'"
                                          % (piece,))
                low = int(m.group(1))
                pieces.append((low, int(m.group(2)) if m.group(2) is not None else low))
        else:
            raise ValidationError(path, "expected server indexes such as '0-63', got %s" % validate.describe(part))
        for low, high in pieces:
            if low > high:
                raise ValidationError(path, "range %d-%d runs backwards" % (low, high))
            if high >= count:
                raise ValidationError(path, "server %d does not exist: the fabric has %d servers (0-%d)"
                                      % (high, count, count - 1))
            found.update(range(low, high + 1))
    return sorted(found)


def format_ranges(indexes):
    """[0, 1, 2, 5] -> '0-2,5'."""
    runs = []  # [first, last] of each run of consecutive indexes
    for i in indexes:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ",".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in runs)


def _underlay(value, path):
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(path, "expected an IPv4 address, got %s" % validate.describe(value))
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        raise ValidationError(path, "%r is not an IP address" % (value,))
    if addr.version != 4:
        raise ValidationError(path, "%s is not IPv4 (VXLAN over an IPv6 underlay is not supported yet)" % value)
    return str(addr)


def _placement(raw, servers, hosts):
    if raw is None:
        return {"hosts": [{"name": DEFAULT_HOST, "underlay": None, "underlay_dev": None,
                           "servers": format_ranges(range(servers))}],
                "switches": DEFAULT_HOST, "vni_base": DEFAULT_VNI_BASE}, [DEFAULT_HOST] * servers
    validate.mapping(raw, "placement", "{hosts: [{name: gpu1, underlay: 192.0.2.1, servers: '0-63'}]}")
    _unknown_keys(raw, ("hosts", "switches", "vni_base"), "placement")
    entries = raw.get("hosts")
    if not entries:
        raise ValidationError("placement.hosts", "required: a list of {name, underlay, underlay_dev, servers}")
    validate.sequence(entries, "placement.hosts", "[{name: gpu1, underlay: 192.0.2.1, servers: '0-63'}]")
    out, where_of, names, underlays = [], [None] * servers, {}, {}
    for i, entry in enumerate(entries):
        where = "placement.hosts[%d]" % i
        validate.mapping(entry, where, "{name: gpu1, underlay: 192.0.2.1, servers: '0-63'}")
        _unknown_keys(entry, ("name", "underlay", "underlay_dev", "servers"), where)
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ValidationError(where + ".name", "required: the inventory host, got %s" % validate.describe(name))
        if name in names:
            raise ValidationError(where + ".name", "%s is already placement.hosts[%d]" % (name, names[name]))
        names[name] = i
        if hosts is not None and name not in hosts:
            known = sorted(hosts)
            raise ValidationError(where + ".name", "%s is not an inventory host (known: %s)"
                                  % (name, ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")))
        underlay = _underlay(entry.get("underlay"), where + ".underlay")
        if underlay is not None:
            if underlay in underlays:
                raise ValidationError(where + ".underlay", "%s is already the underlay of %s"
                                      % (underlay, underlays[underlay]))
            underlays[underlay] = name
        dev = entry.get("underlay_dev")
        if dev is not None:
            validate.ifname(dev, where + ".underlay_dev")
        placed = [] if entry.get("servers") is None else parse_servers(entry["servers"], where + ".servers", servers)
        for s in placed:
            if where_of[s] is not None:
                raise ValidationError(where + ".servers", "server %d is already placed on %s" % (s, where_of[s]))
            where_of[s] = name
        out.append({"name": name, "underlay": underlay, "underlay_dev": dev, "servers": format_ranges(placed)})
    missing = [s for s in range(servers) if where_of[s] is None]
    if missing:
        raise ValidationError("placement.hosts", "servers %s are placed on no host" % format_ranges(missing))
    switches = raw.get("switches")
    if switches is None:
        switches = out[0]["name"]
    elif switches not in names:
        raise ValidationError("placement.switches", "%r is not one of placement.hosts (%s)"
                              % (switches, ", ".join(h["name"] for h in out)))
    used = set(where_of) | set([switches])
    if len(used) > 1:
        for i, entry in enumerate(out):
            if entry["name"] in used and entry["underlay"] is None:
                raise ValidationError("placement.hosts[%d].underlay" % i, "required: %s carries VXLAN to other "
                                      "hosts of the fabric, from this IPv4 address" % entry["name"])
    vni_base = validate.integer(raw.get("vni_base", DEFAULT_VNI_BASE), "placement.vni_base", 1, VNI_MAX)
    return {"hosts": out, "switches": switches, "vni_base": vni_base}, where_of


def _check_names(out, servers):
    """Every interface name fits 15 bytes: try the longest of each sort, and name the count that makes it long."""
    kind = out["kind"]
    top = dict((key, out[key] - 1) for key in COUNTS[kind])
    server_field = "servers" if kind == "rail_optimized" else "servers_per_leaf"
    checks = [("server%d" % (servers - 1), server_field)]
    if out["vlan"]:
        checks.append(("server%d.%d" % (servers - 1, out["vlan"]["base_id"] + out["rails"] - 1), server_field))
        checks.append(("rail%d.%d" % (out["rails"] - 1, out["vlan"]["base_id"] + out["rails"] - 1), "rails"))
    if kind == "rail_optimized":
        checks += [("rail%d" % top["rails"], "rails"), ("spine%d" % top["spines"], "spines")]
    elif kind == "leaf_spine":
        checks += [("leaf%d" % top["leaves"], "leaves"), ("spine%d" % top["spines"], "spines")]
    else:
        checks += [("pod%d-leaf%d" % (top["pods"], top["leaves_per_pod"]), "leaves_per_pod"),
                   ("pod%d-spine%d" % (top["pods"], top["spines_per_pod"]), "spines_per_pod"),
                   ("super%d" % top["super_spines"], "super_spines")]
    for name, field in checks:
        message = validate.ifname_error(name)
        if message:
            raise ValidationError(field, "makes the interface name %r, %d bytes; Linux allows 15 (%s)"
                                  % (name, len(name), message))


def normalize(spec, hosts=None):
    """The canonical spec (see the module docstring); hosts: inventory host names for placement, or None."""
    return normalize_with_hosts(spec, hosts)[0]


def normalize_with_hosts(spec, hosts=None):
    """(canonical spec, the host of every server by index)."""
    validate.mapping(spec, "spec", "{name: f1, kind: rail_optimized, servers: 4, rails: 2, spines: 2}")
    _unknown_keys(spec, TOP_KEYS, "")
    name = spec.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise ValidationError("name", "expected 1-8 characters matching [a-z][a-z0-9]*, such as f1 (it prefixes "
                              "every namespace of the fabric), got %s" % validate.describe(name))
    kind = spec.get("kind")
    if kind is None:
        raise ValidationError("kind", "required: one of %s" % ", ".join(KINDS))
    validate.choice(kind, "kind", KINDS)
    mode = spec.get("mode", "l3")
    validate.choice(mode, "mode", MODES)
    out = {"name": name, "kind": kind, "mode": mode}
    out.update(_counts(spec, kind))
    servers = server_count(out)
    out["oversubscription"] = _ratio(spec.get("oversubscription"))
    out["links"] = _links(spec.get("links"), kind)
    out["overrides"] = _overrides(spec.get("overrides"))
    out["shaping"] = validate.choice(spec.get("shaping", "htb"), "shaping", SHAPERS)
    out["addressing"] = _addressing(spec.get("addressing"))
    out["vlan"] = _vlan(spec.get("vlan"), kind, out)
    out["roce"] = _roce(spec.get("roce"))
    soft_roce = spec.get("soft_roce", False)
    if not isinstance(soft_roce, bool):
        raise ValidationError("soft_roce", "expected true or false, got %s" % validate.describe(soft_roce))
    out["soft_roce"] = soft_roce
    out["placement"], host_of = _placement(spec.get("placement"), servers, hosts)
    _check_names(out, servers)
    return out, host_of
