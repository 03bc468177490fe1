# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the stager compares: one namespace's state, from the plan (wanted) or from the kernel (facts).

Both sides use one shape, NsState, so the same diff serves staging and
rollback (where the wanted state is the facts from before the run). Objects
are compared by keys in the kernel's own units (bytes/s, scheduler ticks,
nanoseconds), so what the kernel reports back compares equal to what was
asked for; views turn keys into the plan's units for before/after.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import operator

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import netns as nsmod, rtnl, tc
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import (
    NamespaceNotFound, NetlinkSession)

MARK_PREFIX = "aifabric-fabric:"
ROOT_HANDLE = tc.tc_handle(1)  # 1: the rate qdisc (htb or tbf)
CLASS_ID = tc.tc_handle(1, 1)  # 1:1 htb's one class (and tbf's built-in class)
LEAF_HANDLE = tc.tc_handle(0x10)  # 10: netem, under 1:1 or (unshaped) at the root
HTB_R2Q = 10
HTB_QUANTUM = (1000, 200000)  # the kernel's bounds; it warns outside them
DEFAULT_TBF_LATENCY_US = 50000
_NETEM_KEYS = []


def mark(fabric):
    return MARK_PREFIX + fabric


def root_handle(kind):
    return LEAF_HANDLE if kind == "netem" else ROOT_HANDLE


def netem_keys():
    if not _NETEM_KEYS:
        from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model
        _NETEM_KEYS.append(tuple(k for k in model.NETEM_KEYS if k != "seed"))  # the kernel picks a seed of its own
        _NETEM_KEYS.append(operator.itemgetter(*_NETEM_KEYS[0]))
        _NETEM_KEYS.append(tuple(i for i, k in enumerate(_NETEM_KEYS[0]) if k in ("gemodel", "gimodel", "slot")))
    return _NETEM_KEYS[0]


class NsState:
    """Links, addresses, routes, qdiscs and sysctls of one namespace.

    links: {name: {kind, mtu, up, master, ident, index, create}} (create: how
    to make it, known only for wanted links); addresses: {ifname: set of
    cidrs}; routes: {dst: ((via, ifname), ...)}; qdiscs: {ifname: {root,
    class, leaf}} of items {kind, key, options}; sysctls: {key: value}.
    """

    def __init__(self, name):
        self.name = name
        self.links, self.addresses, self.routes, self.qdiscs, self.sysctls = {}, {}, {}, {}, {}
        self.mark = None
        self.lo_up = True

    def view(self):
        """The plan's units, JSON-ready (before/after/gathered)."""
        links = {}
        for name in sorted(self.links):
            link = self.links[name]
            entry = {"kind": link["kind"], "mtu": link["mtu"], "up": link["up"]}
            if link.get("master"):
                entry["master"] = link["master"]
            links[name] = entry
        qdiscs = {}
        for ifname in sorted(self.qdiscs):
            entry = qdisc_view(self.qdiscs[ifname])
            if entry:
                qdiscs[ifname] = entry
        return {"links": links,
                "addresses": dict((i, sorted(a)) for i, a in sorted(self.addresses.items()) if a),
                "routes": dict((d, [list(h) for h in hops]) for d, hops in sorted(self.routes.items())),
                "qdiscs": qdiscs, "sysctls": dict(sorted(self.sysctls.items()))}

    def items(self):
        """{key: comparable value} of every object, for the rollback's item-by-item read-back."""
        out = {}
        for name, link in self.links.items():
            out[("link", name)] = (link["ident"], link["mtu"], link["up"], link.get("master"))
        for ifname, cidrs in self.addresses.items():
            for cidr in cidrs:
                out[("address", ifname, cidr)] = True
        for dst, hops in self.routes.items():
            out[("route", dst)] = hops
        for ifname, q in self.qdiscs.items():
            for part in ("root", "class", "leaf"):
                if q.get(part):
                    out[("qdisc", ifname, part)] = q[part]["key"]
        for key, value in self.sysctls.items():
            out[("sysctl", key)] = value
        return out


_VIEWS = {}


def qdisc_view(q):
    """The plan's units of an interface's qdiscs; memoised on their keys (callers must not change the result)."""
    memo = tuple((x["key"], x.get("seed")) if x else None for x in (q.get("root"), q.get("class"), q.get("leaf")))
    found = _VIEWS.get(memo)
    if found is None:
        if len(_VIEWS) > 4096:
            _VIEWS.clear()
        found = _VIEWS[memo] = _qdisc_view(q)
    return found


def _qdisc_view(q):
    root, klass, leaf = q.get("root"), q.get("class"), q.get("leaf")
    out = {}
    if root is None:
        return out
    if root["kind"] == "htb" and klass is not None:
        _k, rate, _ceil, buffer, _cbuffer, _quantum = klass["key"]
        out.update(qdisc="htb", rate_bit=rate * 8, burst_bytes=tc.ticks_to_bytes(rate, buffer))
    elif root["kind"] == "htb":
        out.update(qdisc="htb")
    elif root["kind"] == "tbf":
        _k, rate, buffer, limit = root["key"]
        out.update(qdisc="tbf", rate_bit=rate * 8, burst_bytes=tc.ticks_to_bytes(rate, buffer), limit_bytes=limit)
    netem = root if root["kind"] == "netem" else leaf
    if netem is not None:
        p = dict(zip(netem_keys(), netem["key"][1:]))
        out.update(delay_us=p["latency"] // 1000, limit=p["limit"])
        if any(p[k] for k in IMPAIRING) or p["latency"] % 1000:
            out["netem"] = netem_user(netem)  # an impairment: the whole rule, as the netem module writes it
    return out


IMPAIRING = ("jitter", "loss", "duplicate", "reorder", "corrupt", "gemodel", "gimodel", "slot", "ecn", "rate")


def netem_params(item):
    """The canonical netem parameters (netem/model.py) of a netem item; seed None unless known."""
    p = dict(zip(netem_keys(), item["key"][1:]))
    p["seed"] = item.get("seed")
    return p


_USER = {}


def netem_user(item):
    """A netem item in the netem module's rule form (no name), distribution tables by name.

    Memoised on the item's key and seed (ends impaired alike share it); callers must not change the result.
    """
    memo = (item["key"], item.get("seed"))
    found = _USER.get(memo)
    if found is not None:
        return found
    from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model
    delay_id, slot_id = item["key"][-2:]
    rule = {"name": "default", "match": None, "netem": netem_params(item), "auto_limit": False,
            "delay_dist": _dist(delay_id), "slot_dist": _dist(slot_id)}
    out = dict(model.rule_to_user(rule))
    out.pop("name", None)
    if len(_USER) > 4096:
        _USER.clear()
    _USER[memo] = out
    return out


def _dist(dist_id):
    return dist_id if dist_id in (None, "unknown") else {"id": dist_id}


def sysctl_value(value):
    return None if value is None else " ".join(str(value).split())


# ------------------------------------------------------------ keys --


_OPTIONS = {}


def options(item):
    """TCA_OPTIONS of an item, encoded on first use and shared by equal items (a fabric has few distinct ones)."""
    memo = (item["key"], item.get("burst"), item.get("seed"))
    found = _OPTIONS.get(memo)
    if found is None:
        if len(_OPTIONS) > 4096:
            _OPTIONS.clear()
        found = _OPTIONS[memo] = _encode(item)
    return found


def _encode(item):
    key = item["key"]
    if item["kind"] == "htb" and len(key) == 3:
        return tc.encode_htb_qdisc(key[2], key[1])
    if item["kind"] == "htb":
        _k, rate, ceil, buffer, cbuffer, quantum = key
        return tc.encode_htb_class(rate, ceil, quantum=quantum, buffer_ticks=buffer, cbuffer_ticks=cbuffer)
    if item["kind"] == "tbf":
        _k, rate, buffer, limit = key
        if item.get("burst"):
            return tc.encode_tbf(rate, item["burst"], limit=limit)
        return tc.encode_tbf(rate, 0, limit=limit, buffer_ticks=buffer)
    if item["kind"] == "netem":
        delay_table, slot_table = item.get("tables") or (None, None)
        return tc.encode_netem(netem_params(item), delay_table, slot_table)
    raise ValueError("cannot put back a %s qdisc" % item["kind"])


def htb_root_item(r2q=HTB_R2Q, default_class=1):
    return {"kind": "htb", "key": ("htb", r2q, default_class)}


def htb_quantum(rate):
    return max(HTB_QUANTUM[0], min(rate // HTB_R2Q, HTB_QUANTUM[1]))


_BUFFERS = {}


def htb_class_item(rate, burst=None, buffer_ticks=None, quantum=None):
    """rate in bytes/s; burst in bytes (or the buffer in ticks, as a dump shows it); ceil = rate."""
    if buffer_ticks is None:
        buffer = _BUFFERS.get((rate, burst))
        if buffer is None:  # a fabric has few distinct rates and bursts
            if len(_BUFFERS) > 4096:
                _BUFFERS.clear()
            buffer = _BUFFERS[(rate, burst)] = tc.htb_buffer(rate, burst)
    else:
        buffer = buffer_ticks
    quantum = htb_quantum(rate) if quantum is None else quantum
    return {"kind": "htb", "key": ("htb", rate, rate, buffer, buffer, quantum), "burst": burst}


def tbf_item(rate, burst=None, limit=None, latency_us=None, buffer_ticks=None):
    if limit is None:
        limit = int(rate * float(latency_us or DEFAULT_TBF_LATENCY_US) / tc.TIME_UNITS_PER_SEC + (burst or 0))
    if buffer_ticks is None:
        key = ("tbf", rate, tc.tbf_kernel_buffer(rate, burst), limit)
    else:
        key = ("tbf", rate, buffer_ticks, limit)
        burst = None
    return {"kind": "tbf", "key": key, "burst": burst}


def netem_item(p, delay_dist=None, slot_dist=None, seed=None):
    """A netem item; its key ends with the ids of its distribution tables (None: none, "unknown": the kernel
    has one that cannot be read back). seed: a seed asked for, or the one the kernel reports (not in the key:
    the kernel picks one of its own when none is asked for)."""
    netem_keys()
    values = _NETEM_KEYS[1](p)
    for i in _NETEM_KEYS[2]:
        if isinstance(values[i], list):  # a plan read back from JSON has lists
            values = values[:i] + (tuple(values[i]),) + values[i + 1:]
    return {"kind": "netem", "key": ("netem",) + values + (delay_dist, slot_dist), "seed": seed}


def impaired_netem_item(n):
    """The netem item of a plan's netem entry with full parameters (fabric/impair.py)."""
    from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model
    p = n["netem"]
    if len(p) < len(model.NETEM_KEYS):  # the overlay gives every parameter; a hand-made plan may not
        p = dict(model.empty_netem(), **p)
    delay, slot = n.get("delay_dist"), n.get("slot_dist")
    item = netem_item(p, model.dist_id(delay), model.dist_id(slot), p.get("seed"))
    item["tables"] = (delay.get("table") if isinstance(delay, dict) else None,
                      slot.get("table") if isinstance(slot, dict) else None)
    item["impairment"] = n.get("impairment")
    return item


def same_item(have, want):
    """Whether the kernel's item already is the wanted one (a netem seed counts only when one is asked for)."""
    if have["key"] != want["key"]:
        return False
    return want.get("seed") is None or have.get("seed") == want["seed"]


def drops_table(have, want):
    """A netem change keeps the qdisc's distribution table unless a new one is sent: a table that must go (or
    that cannot be seen) means deleting the qdisc and adding it again."""
    if have["kind"] != "netem" or want["kind"] != "netem":
        return False
    return (have["key"][-2] is not None and want["key"][-2] is None) or \
        (have["key"][-1] is not None and want["key"][-1] is None)


def with_dists(state, dists):
    """Give the kernel's jittered netem items of state the table ids the state record says were sent.

    dists: {ifname: (delay id, slot id)}; an interface not in it whose netem has jitter (or a slot
    distribution) has a table we cannot see: "unknown" (rewritten once by the next change).
    """
    keys = netem_keys()
    jitter_at, slot_at = 1 + keys.index("jitter"), 1 + keys.index("slot")
    for ifname, q in state.qdiscs.items():
        for part in ("root", "leaf"):
            item = q.get(part)
            if item is None or item["kind"] != "netem":
                continue
            spread, slot = item["key"][jitter_at], item["key"][slot_at]
            slot_spread = slot and slot[5]
            if not spread and not slot_spread:
                continue
            known = dists.get(ifname, ("unknown", "unknown"))
            ids = (known[0] if spread else None, known[1] if slot_spread else None)
            q[part] = dict(item, key=item["key"][:-2] + ids)
    return state


def delay_netem(delay_us, limit=None):
    """The netem module's canonical parameters for a plain link delay."""
    from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model
    p = model.empty_netem()
    p["latency"] = int(delay_us) * 1000
    p["limit"] = int(limit) if limit else model.auto_limit(p)
    return p


# ----------------------------------------------------------- facts --


def link_ident(kind, data=None, parent=None, vid=None, vxlan=None):
    """What makes a link the one wanted, beyond its name: kind, and a VXLAN's or VLAN's parameters."""
    if kind == "vxlan":
        v = vxlan if vxlan is not None else rtnl.decode_vxlan(data)
        return ("vxlan", v["vni"], v["port"], v["local"], v["remote"], v["link"])
    if kind == "vlan":
        if data is not None:
            from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import vlan as vlan_codec
            vid = vlan_codec.decode_fields(data)[0]
        return ("vlan", parent, vid)
    return (kind,)


def read_facts(session, name, sysctl_keys=()):
    """NsState of namespace `name`, which `session` is in: one link, address, route and qdisc dump, class gets."""
    state = NsState(name)
    links = rtnl.dump_link_details(session)
    by_index = dict((l["index"], l["name"]) for l in links)
    for l in links:
        if l["name"] == "lo":
            state.mark, state.lo_up = l["alias"], l["up"]
            continue
        parent = by_index.get(l["link"]) if l["kind"] == "vlan" and l["netnsid"] is None else None
        state.links[l["name"]] = {
            "kind": l["kind"] or "device", "mtu": l["mtu"], "up": l["up"],
            "master": by_index.get(l["master"]) if l["master"] else None,
            "ident": link_ident(l["kind"] or "device", l["data"], parent), "index": l["index"], "create": None}
    for index, cidr in rtnl.dump_addresses(session, with_prefix=True, ipv6_link_local=False):
        ifname = by_index.get(index)
        if ifname == "lo" and cidr in ("127.0.0.1/8", "::1/128"):
            continue
        if ifname is not None:
            state.addresses.setdefault(ifname, set()).add(cidr)
    for r in dump_static_routes(session):
        if r["table"] != rtnl.RT_TABLE_MAIN or r["protocol"] != rtnl.RTPROT_STATIC or r["type"] != rtnl.RTN_UNICAST:
            continue  # the stager's routes are the main table's static ones
        state.routes[r["dst"]] = tuple(sorted((gw, by_index.get(i, str(i))) for gw, i in r["nexthops"]))
    read_qdiscs(session, state, by_index)
    if sysctl_keys:
        state.sysctls = read_sysctls(name, sysctl_keys)
    return state


def read_sysctls(name, keys):
    """{key: normalised value} inside namespace `name` (/proc/sys/net is the opener's namespace's)."""
    return dict((k, sysctl_value(v)) for k, v in nsmod.in_netns(name, lambda: nsmod.read_sysctls(keys)).items())


SOL_NETLINK, NETLINK_GET_STRICT_CHK = 270, 12


def dump_static_routes(session):
    """The main table's static routes (the stager's): filtered by the kernel where it can (strict dump checking,
    Linux 4.20), so the connected route of every /31 is not sent and parsed for nothing."""
    try:
        session.sock.setsockopt(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1)
    except OSError:
        return rtnl.dump_routes(session)
    try:
        request = rtnl.RTMSG.pack(0, 0, 0, 0, rtnl.RT_TABLE_MAIN, rtnl.RTPROT_STATIC, 0, rtnl.RTN_UNICAST, 0)
        return [r for r in session.dump(rtnl.RTM_GETROUTE, request, rtnl.parse_route_entry) if r is not None]
    finally:
        session.sock.setsockopt(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 0)


_DECODED = {}


def _decoded(kind, options, decode):
    """decode(options), memoised on the raw options: a fabric's ends mostly carry the same few (callers get a
    copy of the top level and must not change anything below it)."""
    memo = (kind, bytes(options))
    found = _DECODED.get(memo)
    if found is None:
        if len(_DECODED) > 8192:
            _DECODED.clear()
        found = _DECODED[memo] = decode(options)
    return None if found is None else dict(found)


def _netem_leaf(options):
    p = tc.decode_netem(options)
    return netem_item(p, seed=p["seed"])


def _htb_class(options):
    d = tc.decode_htb_class(options)
    if d is not None and d["rate"] == d["ceil"] and d["buffer"] == d["cbuffer"]:
        return htb_class_item(d["rate"], buffer_ticks=d["buffer"], quantum=d["quantum"])
    if d is not None:
        return {"kind": "htb", "key": ("htb", d["rate"], d["ceil"], d["buffer"], d["cbuffer"], d["quantum"])}
    return None


def read_qdiscs(session, state, by_index):
    htb_roots = []
    for q in tc.dump_qdiscs(session):
        ifname = by_index.get(q["ifindex"])
        if ifname is None or ifname == "lo":
            continue
        entry = state.qdiscs.setdefault(ifname, {"root": None, "class": None, "leaf": None, "foreign": None})
        if q["parent"] == tc.TC_H_ROOT:
            if q["handle"] != root_handle(q["kind"]):
                entry["foreign"] = None if q["handle"] >> 16 == 0 else q["kind"]  # handle 0: the kernel's default
                continue
            entry["root"] = _decoded(("root", q["kind"]), q["options"], lambda options, q=q: kernel_item(q))
            if q["kind"] == "htb":
                htb_roots.append((q["ifindex"], ifname))
        elif q["parent"] == CLASS_ID and q["handle"] == LEAF_HANDLE and q["kind"] == "netem":
            entry["leaf"] = _decoded("netem", q["options"], _netem_leaf)
    if htb_roots:
        classes = tc.get_classes(session, [(index, CLASS_ID) for index, _n in htb_roots])
        for index, ifname in htb_roots:
            c = classes.get((index, CLASS_ID))
            if c and c["kind"] == "htb":
                state.qdiscs[ifname]["class"] = _decoded("htb-class", c["options"], _htb_class)


def read_qdisc_facts(session, name, indexes=None):
    """(NsState with only the qdiscs read, {ifname: ifindex}) of namespace `name`: one link dump (no details),
    one qdisc dump, the htb classes by get. What a step that changes only impairments reads.

    indexes: {ifname: ifindex} known from before (links this run did not change): no link dump, no mark read.
    """
    state = NsState(name)
    if indexes is not None:
        read_qdiscs(session, state, dict((i, n) for n, i in indexes.items()))
        return state, indexes
    by_index = {}
    for l in rtnl.dump_links(session):
        by_index[l["index"]] = l["name"]
        if l["name"] == "lo":
            state.mark, state.lo_up = l["alias"], l["up"]
    read_qdiscs(session, state, by_index)
    return state, dict((n, i) for i, n in by_index.items() if n != "lo")


def end_view(q):
    """What the kernel has on one link end: the rate qdisc and its rate, and netem (where, the whole rule)."""
    root, klass, leaf = q.get("root"), q.get("class"), q.get("leaf")
    out = {"qdisc": None, "rate_bit": None, "burst_bytes": None, "netem": None, "netem_parent": None}
    if root is not None and root["kind"] in ("htb", "tbf"):
        view = qdisc_view(q)
        out.update(qdisc=root["kind"], rate_bit=view.get("rate_bit"), burst_bytes=view.get("burst_bytes"))
    netem = root if root is not None and root["kind"] == "netem" else leaf
    if netem is not None:
        out.update(netem=netem_user(netem), netem_parent="root" if netem is root else "1:1")
    return out


def kernel_item(q):
    """An item from a dumped root qdisc with our handle."""
    kind = q["kind"]
    if kind == "htb":
        d = tc.decode_htb_qdisc(q["options"])
        return htb_root_item(d["r2q"], d["default_class"])
    if kind == "tbf":
        d = tc.decode_tbf(q["options"])
        return tbf_item(d["rate"], limit=d["limit"], buffer_ticks=d["buffer"])
    if kind == "netem":
        p = tc.decode_netem(q["options"])
        return netem_item(p, seed=p["seed"])
    return {"kind": kind, "key": (kind, q["options"])}


def open_namespace(name, sysctl_keys=()):
    """(session, sysctls) of an existing namespace: one switch into it opens the socket and reads the sysctls."""
    return nsmod.in_netns(name, lambda: _open_here(name, sysctl_keys))


def _open_here(name, sysctl_keys):
    session = NetlinkSession(None)
    session.netns = name
    try:
        return session, nsmod.read_sysctls(sysctl_keys) if sysctl_keys else {}
    except BaseException:
        session.close()
        raise


def namespace_mark(name):
    """lo's alias in namespace `name` (None: no such namespace)."""
    if not nsmod.exists(name):
        return None
    try:
        with NetlinkSession(name) as s:
            return rtnl.get_link_alias(s, "lo") or ""
    except NamespaceNotFound:
        return ""  # a file, not a namespace: not ours
