# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VLAN entries: validate input into canonical entries; kernel facts into the same shape.

A canonical entry: name, parent, id, protocol, mtu, up, addresses (sorted
'ip/len' strings), egress / ingress (dict int -> int, zero entries dropped)
and flags {reorder_hdr, gvrp, mvrp, loose_binding}. None means "not given":
merged leaves such a field alone, replaced and overridden use the default.

Every state but gathered needs each entry's id; gathered uses the entries only
to name the parents whose VLANs it returns, so there an entry may leave id out
(its name and id are then None).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils import errors, validate

import socket

FLAG_NAMES = ("reorder_hdr", "gvrp", "mvrp", "loose_binding")
FLAG_DEFAULTS = {"reorder_hdr": True, "gvrp": False, "mvrp": False, "loose_binding": False}
IFNAMSIZ = validate.IFNAMSIZ - 1  # bytes of a name, without the NUL
FIELDS = ("mtu", "up", "addresses", "egress", "ingress")
PROTOCOLS = ("802.1Q", "802.1ad")
ID_OPTIONAL_STATES = ("gathered",)


ValidationError = errors.ValidationError


class _Where:
    """'config[i] (name).field' for error messages, formatted only when one is raised."""

    __slots__ = ("i", "entry", "suffix")

    def __init__(self, i, entry, suffix=""):
        self.i, self.entry, self.suffix = i, entry, suffix

    def __add__(self, suffix):
        return _Where(self.i, self.entry, self.suffix + suffix)

    def __str__(self):
        e = self.entry
        name, parent, vid = e.get("name"), e.get("parent"), e.get("id")
        if name:
            label = name
        elif parent is not None and vid is not None:
            label = "%s.%s" % (parent, vid)
        elif vid is not None:
            label = "id %s" % (vid,)
        else:
            label = "on %s" % (parent,)
        return "config[%d] (%s)%s" % (self.i, label, self.suffix)


def normalize_config(config, state="merged"):
    """Validate the module's config list (no kernel access); return canonical entries.

    state: the module's; with gathered an entry's id may be left out (every other
    state needs it, the default merged included).
    """
    out, names, keys, owners = [], {}, {}, {}
    for i, raw in enumerate(validate.sequence(config or [], "config", "[{parent: eth0, id: 10}]")):
        if not isinstance(raw, dict):
            raise ValidationError("config[%d]" % i, "expected a dict like {parent: eth0, id: 10}, got %s"
                                  % validate.describe(raw))
        where = _Where(i, raw)
        e = normalize_entry(raw, where, id_required=state not in ID_OPTIONAL_STATES)
        if e["id"] is None:  # gathered: only the parent matters
            out.append(e)
            continue
        if e["name"] in names:
            raise ValidationError(where + ".name", "%s is declared twice (also config[%d])" % (e["name"], names[e["name"]]))
        names[e["name"]] = i
        key = (e["parent"], e["protocol"], e["id"])
        if key in keys:
            raise ValidationError(where + ".id", "%s id %d on %s is declared twice (also config[%d])"
                                  % (e["protocol"], e["id"], e["parent"], keys[key]))
        keys[key] = i
        for addr in e["addresses"] or ():
            ip = addr.split("/", 1)[0]
            if owners.setdefault(ip, i) != i:
                raise ValidationError(where + ".addresses", "%s conflicts with config[%d]" % (ip, owners[ip]))
        out.append(e)
    for i, e in enumerate(out):
        seen, parent = {e["name"]}, e["parent"]
        while parent in names:
            if parent in seen:
                raise ValidationError(_Where(i, e, ".parent"), "parents form a loop")
            seen.add(parent)
            parent = out[names[parent]]["parent"]
    return out


def normalize_entry(raw, where, id_required=True):
    """One entry, canonical. Paths (where + ".field") are built only on the way to an error."""
    get = raw.get
    parent = get("parent")
    if parent is None:
        raise ValidationError(where + ".parent", "required: the device the VLAN is on")
    if not validate.plain_ifname(parent):
        validate.ifname(parent, where + ".parent")
    vid = get("id")
    if vid is None:
        if id_required:
            raise ValidationError(where + ".id", "required: the VLAN id (1-4094); only state gathered takes an "
                                  "entry without one")
    else:
        if vid.__class__ is not int:
            vid = validate.integer(vid, where + ".id")
        if not 1 <= vid <= 4094:
            raise ValidationError(where + ".id", "VLAN id %d is outside 1-4094" % vid)
    name = get("name")
    if name is not None:
        if not validate.plain_ifname(name):
            validate.ifname(name, where + ".name")
    elif vid is not None:
        name = "%s.%d" % (parent, vid)
        if not validate.plain_ifname(name):
            problem = validate.ifname_error(name)
            if problem:
                raise ValidationError(where + ".name", problem + " (set name explicitly)")
    protocol = get("protocol") or "802.1Q"
    if protocol not in PROTOCOLS:
        raise ValidationError(where + ".protocol", "%r is not one of %s" % (protocol, ", ".join(PROTOCOLS)))
    mtu = get("mtu")
    if mtu is not None:
        mtu = validate.integer(mtu, where + ".mtu")
        if not 68 <= mtu <= 65535:
            raise ValidationError(where + ".mtu", "%d is outside 68-65535" % mtu)
    addresses = get("addresses")
    if addresses is not None:
        addresses = _addresses(addresses, where)
    admin = get("admin_state")
    if admin not in (None, "up", "down"):
        raise ValidationError(where + ".admin_state", "%r is not one of up, down" % (admin,))
    flags = {"reorder_hdr": get("reorder_hdr"), "gvrp": get("gvrp"), "mvrp": get("mvrp"),
             "loose_binding": get("loose_binding")}
    for flag in FLAG_NAMES:
        value = flags[flag]
        if value is not None and value.__class__ is not bool:
            raise ValidationError(where + "." + flag, "expected a boolean, got %s" % validate.describe(value))
    egress, ingress = get("egress_qos_map"), get("ingress_qos_map")
    return {
        "name": name, "parent": parent, "id": vid, "protocol": protocol,
        "mtu": mtu, "up": None if admin is None else admin == "up", "addresses": addresses,
        "egress": None if egress is None else _qos(egress, where + ".egress_qos_map", "skb priority", "PCP"),
        "ingress": None if ingress is None else _qos(ingress, where + ".ingress_qos_map", "PCP", "skb priority"),
        "flags": flags,
    }


def _addresses(texts, where):
    if texts.__class__ is not list:
        validate.sequence(texts, where + ".addresses", "[10.0.1.1/24]")
    try:
        if len(texts) == 1:
            return [normalize_address(texts[0])]
        return sort_addresses(set(normalize_address(text) for text in texts))
    except ValidationError as e:  # name the entry: find which one (only on this error path)
        for j, text in enumerate(texts):
            try:
                normalize_address(text)
            except ValidationError:
                raise ValidationError(where + ".addresses[%d]" % j, e.message)
        raise


def normalize_address(text, path=None):
    """'ip/len' in the kernel's own spelling (inet_ntop), validated without the slow ipaddress module."""
    addr, _sep, plen = str(text).strip().partition("/")
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    bits = 128 if family == socket.AF_INET6 else 32
    try:
        raw = socket.inet_pton(family, addr)
        prefix = int(plen) if plen else bits
        if not 0 <= prefix <= bits:
            raise ValueError(plen)
    except (OSError, ValueError):
        raise ValidationError(path, "%r is not an IPv4/IPv6 address with prefix, such as 10.0.1.1/24" % (text,))
    multicast = raw[0] == 0xFF if family == socket.AF_INET6 else 224 <= raw[0] <= 239
    if multicast or not any(raw):
        raise ValidationError(path, "%s cannot be an interface address" % socket.inet_ntop(family, raw))
    if family == socket.AF_INET:  # inet_pton takes only the canonical dotted quad (no leading zeros)
        return "%s/%d" % (addr, prefix)
    return "%s/%d" % (socket.inet_ntop(family, raw), prefix)


def address_sort_key(text):
    addr, _sep, plen = text.partition("/")
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    return (family == socket.AF_INET6, socket.inet_pton(family, addr), int(plen))


def sort_addresses(addresses):
    """Canonical order; most VLANs carry one address, which needs no parsing."""
    return sorted(addresses, key=address_sort_key) if len(addresses) > 1 else list(addresses)


def merged_leaves_alone(entry, have):
    """True when merging `entry` into `have` changes nothing (the common re-run)."""
    if (entry["mtu"] is not None and entry["mtu"] != have["mtu"]) or (
            entry["up"] is not None and entry["up"] != have["up"]):
        return False
    if entry["addresses"]:
        for a in entry["addresses"]:
            if a not in have["addresses"]:
                return False
    for key in ("egress", "ingress"):
        if entry[key]:
            for k, v in entry[key].items():
                if have[key].get(k) != v:
                    return False
    flags = have["flags"]
    for k, v in entry["flags"].items():
        if v is not None and v != flags[k]:
            return False
    return True


def _qos(mapping, path, src_name, dst_name):
    if mapping is None:
        return None
    validate.mapping(mapping, path, "{3: 3}")
    out = {}
    for key, value in mapping.items():
        for part in (key, value):
            if isinstance(part, bool):
                raise ValidationError(path, "%r: %r: expected numbers, got the boolean %s (%s)"
                                      % (key, value, part, validate.BOOLEAN_HINT))
        try:
            src, dst = validate.integer(key, path, text=True), validate.integer(value, path, text=True)
        except ValidationError:
            raise ValidationError(path, "%r: %r is not a number" % (key, value))
        if not 0 <= src <= 7 or not 0 <= dst <= 7:
            raise ValidationError(path, "%s %s -> %s %s is outside 0-7" % (src_name, key, dst_name, value))
        if dst:
            out[src] = dst
    return out


def with_defaults(entry, parent_mtu):
    """The entry as replaced/overridden want it: every unset field at its default."""
    e = dict(entry, flags=dict(entry["flags"]))
    e["mtu"] = parent_mtu if e["mtu"] is None else e["mtu"]
    e["up"] = True if e["up"] is None else e["up"]
    e["addresses"] = [] if e["addresses"] is None else e["addresses"]
    e["egress"] = {} if e["egress"] is None else e["egress"]
    e["ingress"] = {} if e["ingress"] is None else e["ingress"]
    for k in FLAG_NAMES:
        if e["flags"][k] is None:
            e["flags"][k] = FLAG_DEFAULTS[k]
    return e


def merged_into(entry, have):
    """What merged makes of `have` with the given fields of `entry`."""
    e = dict(have, flags=dict(have["flags"]))
    for key in ("mtu", "up"):
        if entry[key] is not None:
            e[key] = entry[key]
    if entry["addresses"] is not None:
        e["addresses"] = sort_addresses(set(have["addresses"]) | set(entry["addresses"]))
    for key in ("egress", "ingress"):
        if entry[key] is not None:
            merged = dict(have[key])
            merged.update(entry[key])
            e[key] = merged
    for k in FLAG_NAMES:
        if entry["flags"][k] is not None:
            e["flags"][k] = entry["flags"][k]
    return e


def to_user(e):
    """An entry as the module's config would write it (built for every VLAN in before/after)."""
    out = {"name": e["name"], "parent": e["parent"], "id": e["id"], "protocol": e["protocol"]}
    if e["mtu"] is not None:
        out["mtu"] = e["mtu"]
    if e["up"] is not None:
        out["admin_state"] = "up" if e["up"] else "down"
    if e["addresses"] is not None:
        out["addresses"] = list(e["addresses"])
    if e["egress"] is not None:
        out["egress_qos_map"] = _user_map(e["egress"])
    if e["ingress"] is not None:
        out["ingress_qos_map"] = _user_map(e["ingress"])
    flags = e["flags"]
    for k in FLAG_NAMES:
        if flags[k] is not None:
            out[k] = flags[k]
    return out


def _user_map(mapping):
    """JSON keys are strings."""
    return dict((str(k), mapping[k]) for k in sorted(mapping)) if mapping else {}
