# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stage a fabric plan (docs/fabric-plan.md) on this host, converge it by diff, tear it down.

converge() makes the kernel match the plan's namespaces for one host:

1. every existing namespace of the fabric is opened once (one netlink
   session, one switch into it that also reads its sysctls) and read once:
   links, addresses, routes, qdiscs, htb classes;
2. ownership and kernel features are checked before anything changes: a
   namespace whose `lo` alias is not `aifabric-fabric:<fabric>` is refused,
   netem and 8021q are probed when the plan needs them;
3. the diff is applied in waves, across all namespaces: namespaces, stale
   links, links, veth peers up, VLANs, masters/MTU/up, addresses, routes,
   root qdiscs, htb classes, netem, removed namespaces. Each wave is one batch of requests
   per namespace (engine.apply.run); new namespaces are made in-process
   (netlink.netns), each marked and given its sysctls before it has a name;
4. on any refusal, namespaces this run made are deleted and what it did in
   existing ones is planned back to their facts from before and read back,
   item by item (engine.resource.RollbackReport); the error says what was
   and was not restored;
5. otherwise the touched namespaces are read again for `after`.

Why not engine.resource.Resource: its scopes are namespaces that exist and
are opened and read before the run, and each is applied whole before the
next. Here namespaces are made by the run, a veth request sent in one
namespace makes an object in another (and a VXLAN is sent from the host's),
and the waves must cross namespaces (every namespace before any link, every
link before any address). So this module keeps the engine's contract and
uses its executor and rollback report, not its state machine.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import ipaddress
import os
import socket
import struct
import threading

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.engine import apply
from ansible_collections.aifabric.emulation.plugins.module_utils.engine.resource import ApplyError, RollbackReport
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import gather as g, impair
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import netns as nsmod, nla, rtnl, tc
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import vlan as vlan_codec
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession

WAVES = ("namespaces", "delete-links", "links", "peers", "vlans", "set", "addresses", "routes", "qdiscs", "classes",
         "netem", "delete-namespaces")
LINK_WAVES = ("delete-links", "links", "vlans")
HOST = "<host>"  # session key of the namespace VXLANs are sent from
FAIL_AT = None  # tests: a wave name (or index) after which to fail, when converge() is given none
CATEGORIES = ("namespaces", "links", "addresses", "routes", "qdiscs", "classes", "sysctls")
VXLAN_HEADROOM = {4: 50, 6: 70}  # outer Ethernet + IP + UDP + VXLAN headers (the kernel's VXLAN{,6}_HEADROOM)

ValidationError = errors.ValidationError


def _state_dir():
    from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core
    return core.STATE_DIR


# ------------------------------------------------------------ record --


def record_store(fabric, state_dir=None):
    """The fabric's state record, /run/aifabric-emulation/fabric/<fabric>.json, one key per host.

    netem's StateStore generalises as it is: save() re-reads the file under an
    exclusive flock, applies only this run's keys (a host's entry; None
    removes it) and renames a unique temporary file over it.
    """
    from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core

    class FabricRecord(core.StateStore):
        def __init__(self):  # pylint: disable=super-init-not-called
            self.path = os.path.join(state_dir or _state_dir(), "fabric", fabric + ".json")
            self.changes = {}
            self.data = self._read()

        def host(self, host):
            if host in self.changes:
                return self.changes[host]
            return self.data.get(host)

        def set_host(self, host, value):
            self.changes[host] = value

    return FabricRecord()


# -------------------------------------------------------- plan → want --


class RunLock:
    """One run per fabric and host at a time: an exclusive flock on <record>.run for the whole run (the record's
    own lock only covers its writes), so two tasks staging or tearing down one fabric cannot interleave.

    A teardown removes the file (remove()) while holding it; a run that was waiting then finds its file
    unlinked and locks the new one instead.
    """

    def __init__(self, fabric, state_dir=None):
        self.path = os.path.join(state_dir or _state_dir(), "fabric", fabric + ".json.run")
        self.fd = None

    def __enter__(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except OSError:
                same = False
            if same:
                self.fd = fd
                return self
            os.close(fd)

    def remove(self):
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def tidy(self):
        """With no record of the fabric left here (nothing staged, or all torn down), leave no file of it:
        the record's lock (StateStore.save's; no run can be saving now) and this one."""
        record = self.path[:-len(".run")]
        if os.path.exists(record):
            return
        try:
            os.unlink(record + ".lock")
        except OSError:
            pass
        self.remove()

    def __exit__(self, *exc):
        os.close(self.fd)


def check_fabric_name(fabric):
    if not isinstance(fabric, str) or not fabric or not fabric[0].isalpha() or not fabric.isalnum() \
            or fabric.lower() != fabric or len(fabric) > 8 or not fabric.isascii():
        raise ValidationError("fabric", "%r is not a fabric name ([a-z][a-z0-9]{0,7})" % (fabric,))
    return fabric


def host_namespaces(plan, host):
    """The plan's namespaces entries staged on `host`, checked for what the stager relies on."""
    if not isinstance(plan, dict):
        raise ValidationError("plan", "a fabric plan is a dict (docs/fabric-plan.md), not %s" % type(plan).__name__)
    fabric = check_fabric_name(plan.get("fabric"))
    spaces = plan.get("namespaces")
    if not isinstance(spaces, list):
        raise ValidationError("namespaces", "the plan has no list of namespaces")
    seen, out = set(), []
    for i, ns in enumerate(spaces):
        name = ns.get("name") if isinstance(ns, dict) else None
        if not isinstance(name, str) or not name.startswith(fabric + "-") or "/" in name or len(name) > 255:
            raise ValidationError("namespaces[%d].name" % i, "%r is not a namespace of fabric %s (%s-<node>)"
                                  % (name, fabric, fabric))
        if name in seen:
            raise ValidationError("namespaces[%d].name" % i, "%s is listed twice" % name)
        seen.add(name)
        if ns.get("host", "localhost") == host:
            out.append((i, ns))
    return fabric, out


def _ipv4_fast(text):
    """(packed address, prefix length) of a canonical 'a.b.c.d/n', else None (then ipaddress decides)."""
    address, slash, plen = text.partition("/")
    if not slash or not plen.isdigit() or int(plen) > 32:
        return None
    try:
        raw = socket.inet_pton(socket.AF_INET, address)
    except (OSError, ValueError):
        return None
    return (raw, int(plen)) if socket.inet_ntop(socket.AF_INET, raw) == address and str(int(plen)) == plen else None


def _cidr(text, where):
    if isinstance(text, str) and _ipv4_fast(text) is not None:
        return text  # the common case, 20 times faster than ipaddress
    try:
        return str(ipaddress.ip_interface(text))
    except ValueError as e:
        raise ValidationError(where, str(e))


def _via(text):
    """A nexthop's address, canonical (the common IPv4 case without ipaddress)."""
    if isinstance(text, str) and _ipv4_fast(text + "/32") is not None:
        return text
    return str(ipaddress.ip_address(text))


def _dst(text, where):
    if text in ("default", "0.0.0.0/0"):
        return "default"
    fast = _ipv4_fast(text) if isinstance(text, str) else None
    if fast is not None:
        raw, plen = fast
        value = struct.unpack("!I", raw)[0]
        if value & ((1 << (32 - plen)) - 1) == 0:
            return text
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError as e:
        raise ValidationError(where, str(e))


def _link_item(kind, mtu, spec, ident=None):
    return {"kind": kind, "mtu": mtu, "up": True, "master": None, "ident": ident or (kind,), "index": None,
            "create": spec}


def build_wants(plan, host, underlay_index=None, only=None):
    """{netns: NsState} the plan wants on `host`, in the plan's order.

    underlay_index(dev) gives the host namespace's ifindex of a VXLAN's
    underlay device (part of what identifies the VXLAN). only: the names of
    the namespaces whose qdiscs alone are wanted (a step that changes only
    impairments): those get their links' names and their qdiscs, no other
    namespace is in the result.
    """
    fabric, spaces = host_namespaces(plan, host)
    if only is not None:
        return _qdisc_wants(fabric, spaces, set(only))
    wants, where = {}, {}
    order = []
    for i, ns in spaces:
        st = g.NsState(ns["name"])
        st.mark = g.mark(fabric)
        st.sysctls = dict((k, g.sysctl_value(v)) for k, v in (ns.get("sysctls") or {}).items())
        wants[ns["name"]] = st
        where[ns["name"]] = i
        order.append(ns["name"])
    for i, ns in spaces:
        st = wants[ns["name"]]
        for j, l in enumerate(ns.get("links") or []):
            _want_link(wants, st, l, "namespaces[%d].links[%d]" % (i, j), underlay_index)
    for i, ns in spaces:
        st = wants[ns["name"]]
        base = "namespaces[%d]" % i
        for port, bridge in sorted((ns.get("masters") or {}).items()):
            for name, field in ((port, "masters.%s" % port), (bridge, "masters.%s" % port)):
                if name not in st.links:
                    raise ValidationError("%s.%s" % (base, field), "%s is not an interface of %s" % (name, st.name))
            st.links[port]["master"] = bridge
        for j, a in enumerate(ns.get("addresses") or []):
            ifname = a.get("ifname")
            if ifname != "lo" and ifname not in st.links:
                raise ValidationError("%s.addresses[%d].ifname" % (base, j), "%s is not an interface of %s"
                                      % (ifname, st.name))
            st.addresses.setdefault(ifname, set()).add(_cidr(a.get("cidr"), "%s.addresses[%d].cidr" % (base, j)))
        for j, r in enumerate(ns.get("routes") or []):
            path = "%s.routes[%d]" % (base, j)
            hops = []
            for k, h in enumerate(r.get("nexthops") or []):
                if h.get("ifname") not in st.links:
                    raise ValidationError("%s.nexthops[%d].ifname" % (path, k), "%s is not an interface of %s"
                                          % (h.get("ifname"), st.name))
                hops.append((_via(h["via"]) if h.get("via") else None, h["ifname"]))
            if not hops:
                raise ValidationError(path + ".nexthops", "a route needs at least one nexthop")
            st.routes[_dst(r.get("dst"), path + ".dst")] = tuple(sorted(hops))
        for j, s in enumerate(ns.get("shaping") or []):
            _want_shaping(st, s, "%s.shaping[%d]" % (base, j))
        for j, n in enumerate(ns.get("netem") or []):
            _want_netem(st, n, "%s.netem[%d]" % (base, j))
    return fabric, order, wants, where


def _qdisc_wants(fabric, spaces, only):
    """build_wants(only=...): the namespaces in only, with their links' names (a veth's peer end included) and
    their wanted qdiscs."""
    wants, where, order = {}, {}, []
    for i, ns in spaces:
        order.append(ns["name"])
        where[ns["name"]] = i
        if ns["name"] in only:
            st = wants[ns["name"]] = g.NsState(ns["name"])
            st.mark = g.mark(fabric)
            st.sysctls = dict((k, g.sysctl_value(v)) for k, v in (ns.get("sysctls") or {}).items())
    for i, ns in spaces:
        st = wants.get(ns["name"])
        for l in ns.get("links") or ():
            if st is not None:
                st.links[l.get("ifname")] = _link_item(l.get("kind"), l.get("mtu"), None)
            peer = (l.get("peer") or {}) if l.get("kind") == "veth" else {}
            if peer.get("netns") in wants:
                wants[peer["netns"]].links[peer.get("ifname")] = _link_item("veth", peer.get("mtu", l.get("mtu")),
                                                                            None)
    for i, ns in spaces:
        st = wants.get(ns["name"])
        if st is None:
            continue
        for j, s in enumerate(ns.get("shaping") or []):
            _want_shaping(st, s, "namespaces[%d].shaping[%d]" % (i, j))
        for j, n in enumerate(ns.get("netem") or []):
            _want_netem(st, n, "namespaces[%d].netem[%d]" % (i, j))
    return fabric, order, wants, where


def _want_link(wants, st, l, where, underlay_index):
    kind, ifname, mtu = l.get("kind"), l.get("ifname"), l.get("mtu")
    if not isinstance(ifname, str):
        raise ValidationError(where + ".ifname", "missing")
    if ifname in st.links or ifname == "lo":
        raise ValidationError(where + ".ifname", "%s is already an interface of %s" % (ifname, st.name))
    if kind == "veth":
        peer = l.get("peer") or {}
        target = wants.get(peer.get("netns"))
        if target is None:
            raise ValidationError(where + ".peer.netns", "%r is not a namespace staged on this host with %s"
                                  % (peer.get("netns"), st.name))
        if peer.get("ifname") in target.links:
            raise ValidationError(where + ".peer.ifname", "%s is already an interface of %s"
                                  % (peer.get("ifname"), target.name))
        st.links[ifname] = _link_item("veth", mtu, {"op": "veth", "name": ifname, "peer": peer.get("ifname"),
                                                    "peer_ns": target.name, "mtu": mtu,
                                                    "peer_mtu": peer.get("mtu", mtu)})
        target.links[peer.get("ifname")] = _link_item("veth", peer.get("mtu", mtu),
                                                      {"op": "peer-end", "creator": st.name, "name": ifname})
    elif kind == "bridge":
        st.links[ifname] = _link_item("bridge", mtu, {"op": "bridge", "name": ifname, "mtu": mtu})
    elif kind == "vxlan":
        spec = {"op": "vxlan", "name": ifname, "mtu": mtu, "vni": l.get("vni"), "port": l.get("port", 4789),
                "local": l.get("local"), "remote": l.get("remote"), "underlay_dev": l.get("underlay_dev")}
        link = underlay_index(spec["underlay_dev"], where + ".underlay_dev") if underlay_index else None
        ident = g.link_ident("vxlan", vxlan={"vni": spec["vni"], "port": spec["port"], "local": spec["local"],
                                             "remote": spec["remote"], "link": link})
        st.links[ifname] = _link_item("vxlan", mtu, spec, ident)
    elif kind == "vlan":
        spec = {"op": "vlan", "name": ifname, "mtu": mtu, "parent": l.get("parent"), "vlan_id": l.get("vlan_id")}
        st.links[ifname] = _link_item("vlan", mtu, spec, g.link_ident("vlan", parent=spec["parent"],
                                                                      vid=spec["vlan_id"]))
    else:
        raise ValidationError(where + ".kind", "%r: the stager makes veth, bridge, vxlan and vlan links" % (kind,))


def _want_shaping(st, s, where):
    ifname = s.get("ifname")
    if ifname not in st.links:
        raise ValidationError(where + ".ifname", "%s is not an interface of %s" % (ifname, st.name))
    rate = int(s.get("rate_bit") or 0) // 8
    if rate <= 0:
        raise ValidationError(where + ".rate_bit", "a rate of at least 8 bit/s is needed")
    if s.get("handle") not in (None, "1:"):
        raise ValidationError(where + ".handle", "%r: the stager's rate qdisc is 1: (class 1:1)" % (s["handle"],))
    burst = s.get("burst_bytes")
    q = st.qdiscs.setdefault(ifname, {"root": None, "class": None, "leaf": None})
    if s.get("qdisc", "htb") == "htb":
        quantum = s.get("quantum_bytes")
        q["root"] = g.htb_root_item()
        q["class"] = g.htb_class_item(rate, int(burst) if burst else None, quantum=int(quantum) if quantum else None)
    elif s.get("qdisc") == "tbf":
        if not burst:
            raise ValidationError(where + ".burst_bytes", "tbf needs a burst")
        limit = s.get("limit_bytes")
        q["root"] = g.tbf_item(rate, int(burst), int(limit) if limit else None, s.get("latency_us"))
    else:
        raise ValidationError(where + ".qdisc", "%r: htb or tbf" % (s.get("qdisc"),))


def _want_netem(st, n, where):
    ifname = n.get("ifname")
    if ifname not in st.links:
        raise ValidationError(where + ".ifname", "%s is not an interface of %s" % (ifname, st.name))
    if n.get("netem") is not None:  # an impairment (fabric/impair.py): the full netem parameters
        item = g.impaired_netem_item(n)
        item["field"] = n.get("field")
    else:
        item = g.netem_item(g.delay_netem(n.get("delay_us") or 0, n.get("limit")))
    item["where"] = where
    q = st.qdiscs.setdefault(ifname, {"root": None, "class": None, "leaf": None})
    parent = n.get("parent")
    if parent not in (None, "root" if q["root"] is None else "1:1"):
        raise ValidationError(where + ".parent", "%r: netem goes under class 1:1 of a shaped interface, else at "
                              "the root" % (parent,))
    if n.get("handle") not in (None, "10:"):
        raise ValidationError(where + ".handle", "%r: the stager's netem is 10:" % (n["handle"],))
    if q["root"] is None:
        q["root"] = item
    else:
        q["leaf"] = item


# ------------------------------------------------------------- diff --


def diff(wants, haves, fresh=()):
    """Ops taking haves ({netns: NsState}; missing or None: empty) to wants, each tagged with its wave.

    fresh: namespaces made by this run (their routes are added, not replaced).
    """
    ops = []
    recreated = set()  # (ns, ifname) made (again) by this run: nothing of theirs is left
    deleted = set()

    def have_of(ns):
        return haves.get(ns)

    def have_link(ns, name):
        h = have_of(ns)
        return h.links.get(name) if h is not None else None

    for ns, w in wants.items():
        h = have_of(ns)
        if h is not None and not h.lo_up:
            ops.append({"wave": "namespaces", "op": "lo-up", "ns": ns})
        if h is not None:
            change = dict((k, v) for k, v in w.sysctls.items() if h.sysctls.get(k) != v)
            if change:
                ops.append({"wave": "namespaces", "op": "sysctl", "ns": ns, "values": change})
        for name, item in w.links.items():
            spec = item["create"]
            if spec is not None and spec["op"] == "peer-end":
                continue
            ends = [(ns, name)]
            if spec is not None and spec["op"] == "veth":
                ends.append((spec["peer_ns"], spec["peer"]))
            wanted = [item] + ([wants[spec["peer_ns"]].links[spec["peer"]]] if len(ends) == 2 else [])
            present = [have_link(e[0], e[1]) for e in ends]
            if all(p is not None and p["ident"] == want["ident"] for p, want in zip(present, wanted)):
                continue
            existing = [(e, p) for e, p in zip(ends, present) if p is not None]
            if existing:  # one end of a veth takes the other with it
                (ens, ename), p = existing[0]
                ops.append({"wave": "delete-links", "op": "del-link", "ns": ens, "name": ename, "index": p["index"]})
                deleted.update(e for e, _p in existing)
            if spec is None:
                ops.append({"wave": "links", "op": "missing", "ns": ns, "name": name})
                continue
            recreated.update(ends)
            op = dict(spec, ns=HOST if spec["op"] == "vxlan" else ns, target=ns,
                      wave="vlans" if spec["op"] == "vlan" else "links")
            ops.append(op)
    for ns, h in haves.items():
        if h is None or ns not in wants:
            continue
        for name, link in sorted(h.links.items()):
            if name not in wants[ns].links and (ns, name) not in deleted:
                ops.append({"wave": "delete-links", "op": "del-link", "ns": ns, "name": name, "index": link["index"]})
                deleted.add((ns, name))
    for ns, w in wants.items():
        h = have_of(ns)
        for name, item in w.links.items():
            p = None if (ns, name) in recreated else have_link(ns, name)
            change = {}
            if p is None:
                if item["master"]:
                    change["master"] = item["master"]
                if item["create"] is not None and item["create"]["op"] == "peer-end":
                    # a veth's peer cannot come up before the pair is whole (ENOTCONN), and a VLAN on it
                    # cannot come up before it does (ENETDOWN): its own wave, between the two
                    ops.append({"wave": "peers", "op": "set-link", "ns": ns, "name": name, "up": True,
                                "fresh": True})
            else:
                if p["mtu"] != item["mtu"] and item["mtu"] is not None:
                    change["mtu"] = item["mtu"]
                if p["up"] != item["up"]:
                    change["up"] = item["up"]
                if p["master"] != item["master"]:
                    change["master"] = item["master"] or ""
            if change:
                ops.append(dict(change, wave="set", op="set-link", ns=ns, name=name, fresh=p is None))

        def gone(name, ns=ns):
            return (ns, name) in recreated or (ns, name) in deleted

        _diff_addresses(ops, ns, w, h, gone)
        _diff_routes(ops, ns, w, h, gone, ns in fresh)
        _diff_qdiscs(ops, ns, w, h, gone)
    order = dict((name, i) for i, name in enumerate(WAVES))
    ops.sort(key=lambda op: order[op["wave"]])  # stable: the plan's order within a wave
    return ops


def _diff_addresses(ops, ns, w, h, gone):
    names = set(w.addresses) | (set(h.addresses) if h is not None else set())
    for ifname in sorted(names):
        if ifname != "lo" and ifname not in w.links:
            continue  # the link goes, and its addresses with it
        want = w.addresses.get(ifname, set())
        have = set() if h is None or gone(ifname) else h.addresses.get(ifname, set())
        for cidr in sorted(have - want):
            ops.append({"wave": "addresses", "op": "addr", "action": "delete", "ns": ns, "name": ifname,
                        "cidr": cidr})
        for cidr in sorted(want - have):
            ops.append({"wave": "addresses", "op": "addr", "action": "add", "ns": ns, "name": ifname, "cidr": cidr})


def _diff_routes(ops, ns, w, h, gone, fresh):
    have = h.routes if h is not None else {}
    for dst, hops in w.routes.items():
        old = have.get(dst)
        if old == hops and not any(gone(i) for _v, i in hops):
            continue
        action = "add" if fresh or old is None else "replace"
        if old is not None and any(gone(i) for _v, i in old):
            action = "replace"  # the kernel dropped it with its link, or may have
        ops.append({"wave": "routes", "op": "route", "action": action, "ns": ns, "dst": dst, "nexthops": hops})
    for dst, hops in sorted(have.items()):
        if dst not in w.routes and not all(gone(i) for _v, i in hops):
            ops.append({"wave": "routes", "op": "route", "action": "delete", "ns": ns, "dst": dst, "nexthops": hops})


def _diff_qdiscs(ops, ns, w, h, gone):
    names = set(w.qdiscs) | (set(h.qdiscs) if h is not None else set())
    for ifname in sorted(names):
        if ifname not in w.links:
            continue
        want = w.qdiscs.get(ifname) or {}
        have = {} if h is None or gone(ifname) else (h.qdiscs.get(ifname) or {})
        wroot, hroot = want.get("root"), have.get("root")
        base = {"ns": ns, "name": ifname}
        if wroot is None:
            if hroot is not None:
                ops.append(dict(base, wave="qdiscs", op="root", action="delete", item=hroot))
            continue
        fresh_root = False
        if hroot is None or hroot["kind"] != wroot["kind"] or (hroot["key"] != wroot["key"] and wroot["kind"] == "htb"):
            if hroot is not None:
                ops.append(dict(base, wave="qdiscs", op="root", action="delete", item=hroot))
            action = "replace" if have.get("foreign") else "add"
            ops.append(dict(base, wave="qdiscs", op="root", action=action, item=wroot))
            fresh_root = True
        elif g.drops_table(hroot, wroot):
            ops.append(dict(base, wave="qdiscs", op="root", action="delete", item=hroot))
            ops.append(dict(base, wave="qdiscs", op="root", action="add", item=wroot))
        elif not g.same_item(hroot, wroot):
            ops.append(dict(base, wave="qdiscs", op="root", action="replace", item=wroot))
        wclass, hclass = want.get("class"), None if fresh_root else have.get("class")
        if wclass is not None and (hclass is None or hclass["key"] != wclass["key"]):
            ops.append(dict(base, wave="classes", op="class", action="add" if hclass is None else "replace",
                            item=wclass))
        wleaf, hleaf = want.get("leaf"), None if fresh_root else have.get("leaf")
        if wleaf is not None and hleaf is not None and g.drops_table(hleaf, wleaf):
            ops.append(dict(base, wave="netem", op="leaf", action="delete", item=hleaf))
            ops.append(dict(base, wave="netem", op="leaf", action="add", item=wleaf))
        elif wleaf is not None and (hleaf is None or not g.same_item(hleaf, wleaf)):
            ops.append(dict(base, wave="netem", op="leaf", action="add" if hleaf is None else "replace", item=wleaf))
        elif wleaf is None and hleaf is not None:
            ops.append(dict(base, wave="netem", op="leaf", action="delete", item=hleaf))


def count(ops, created_ns=0, removed_ns=0):
    """created / removed / modified objects, by category."""
    out = dict((k, dict((c, 0) for c in CATEGORIES)) for k in ("created", "removed", "modified"))
    out["created"]["namespaces"], out["removed"]["namespaces"] = created_ns, removed_ns
    for op in ops:
        kind = op["op"]
        if kind in ("veth", "bridge", "vxlan", "vlan"):
            out["created"]["links"] += 1
        elif kind == "del-link":
            out["removed"]["links"] += 1
        elif kind in ("set-link", "lo-up") and not op.get("fresh"):  # fresh: the end of making a link
            out["modified"]["links"] += 1
        elif kind == "sysctl":
            out["modified"]["sysctls"] += len(op["values"])
        elif kind == "addr":
            out["created" if op["action"] == "add" else "removed"]["addresses"] += 1
        elif kind == "route":
            out[{"add": "created", "replace": "modified", "delete": "removed"}[op["action"]]]["routes"] += 1
        elif kind in ("root", "leaf", "class"):
            cat = "classes" if kind == "class" else "qdiscs"
            out[{"add": "created", "replace": "modified", "delete": "removed"}[op["action"]]][cat] += 1
    return out


# ----------------------------------------------------------- render --


def _ip(ns):
    return "ip -n %s " % ns if ns and ns != HOST else "ip "


def _tc(ns):
    return "tc -n %s " % ns if ns and ns != HOST else "tc "


def render_op(op, host_netns=None):
    """One op as the equivalent ip/tc command line."""
    kind, ns = op["op"], op.get("ns")
    if ns == HOST:
        ns = host_netns
    mtu = " mtu %d" % op["mtu"] if op.get("mtu") else ""
    if kind == "create-ns":
        return "ip netns add %s" % op["name"]
    if kind == "delete-ns":
        return "ip netns del %s" % op["name"]
    if kind == "sysctl":
        return "ip netns exec %s sysctl -qw %s" % (ns, " ".join("%s=%s" % kv for kv in sorted(op["values"].items())))
    if kind in ("lo-up", "mark"):
        return _ip(ns) + "link set lo up" + (" alias %s" % op["alias"] if op.get("alias") else "")
    if kind == "del-link":
        return _ip(ns) + "link del %s" % op["name"]
    if kind == "veth":
        peer_mtu = " mtu %d" % op["peer_mtu"] if op.get("peer_mtu") else ""
        return _ip(ns) + "link add %s%s up type veth peer name %s%s netns %s" % (
            op["name"], mtu, op["peer"], peer_mtu, op["peer_ns"])
    if kind == "bridge":
        return _ip(ns) + "link add %s%s up type bridge" % (op["name"], mtu)
    if kind == "vxlan":
        parts = ["id %d" % op["vni"]]
        for key, word in (("remote", "remote"), ("local", "local"), ("underlay_dev", "dev")):
            if op.get(key):
                parts.append("%s %s" % (word, op[key]))
        return _ip(ns) + "link add %s%s up netns %s type vxlan %s dstport %d" % (
            op["name"], mtu, op["target"], " ".join(parts), op["port"])
    if kind == "vlan":
        return _ip(ns) + "link add link %s name %s%s up type vlan id %d" % (
            op["parent"], op["name"], mtu, op["vlan_id"])
    if kind == "set-link":
        words = []
        if "mtu" in op:
            words.append("mtu %d" % op["mtu"])
        if "master" in op:
            words.append("master %s" % op["master"] if op["master"] else "nomaster")
        if "up" in op:
            words.append("up" if op["up"] else "down")
        return _ip(ns) + "link set %s %s" % (op["name"], " ".join(words))
    if kind == "addr":
        return _ip(ns) + "addr %s %s dev %s" % ("add" if op["action"] == "add" else "del", op["cidr"], op["name"])
    if kind == "route":
        verb = {"add": "add", "replace": "replace", "delete": "del"}[op["action"]]
        if op["action"] == "delete":
            return _ip(ns) + "route del %s" % op["dst"]
        hops = op["nexthops"]
        if len(hops) == 1:
            via = "via %s " % hops[0][0] if hops[0][0] else ""
            return _ip(ns) + "route %s %s %sdev %s proto static" % (verb, op["dst"], via, hops[0][1])
        return _ip(ns) + "route %s %s proto static %s" % (verb, op["dst"], " ".join(
            "nexthop %sdev %s" % ("via %s " % v if v else "", i) for v, i in hops))
    if kind in ("root", "leaf", "class"):
        return _render_tc(op, ns)
    return "# %r" % (op,)


def _render_tc(op, ns):
    item, action, dev = op["item"], op["action"], op["name"]
    verb = {"add": "add", "replace": "replace", "delete": "del"}[action]
    if op["op"] == "class":
        _k, rate, _c, buffer, _cb, quantum = item["key"]
        burst = item.get("burst") or tc.ticks_to_bytes(rate, buffer)
        return _tc(ns) + "class %s dev %s parent 1: classid 1:1 htb rate %dbit burst %db cburst %db quantum %d" % (
            verb, dev, rate * 8, burst, burst, quantum)
    where = "root handle %s" % tc.format_handle(g.root_handle(item["kind"])) if op["op"] == "root" else \
        "parent 1:1 handle 10:"
    if action == "delete":
        return _tc(ns) + "qdisc del dev %s %s" % (dev, where)
    key = item["key"]
    if item["kind"] == "htb":
        args = "htb default %d r2q %d" % (key[2], key[1])
    elif item["kind"] == "tbf":
        burst = item.get("burst") or tc.ticks_to_bytes(key[1], key[2]) or 1
        args = "tbf rate %dbit burst %db limit %db" % (key[1] * 8, burst, key[3])
    elif item["kind"] == "netem" and (item.get("impairment") is not None or item.get("seed") is not None
                                      or "netem" in g.qdisc_view({"root": item})):
        args = _netem_args(item)
    elif item["kind"] == "netem":
        p = dict(zip(g.netem_keys(), key[1:]))
        args = "netem delay %dus limit %d" % (p["latency"] // 1000, p["limit"])
    else:
        args = item["kind"]
    return _tc(ns) + "qdisc %s dev %s %s %s" % (verb, dev, where, args)


_ARGS = {}


def _netem_args(item):
    """`netem ...` of a netem item, as the netem module's renderer writes it (tables by name); memoised."""
    memo = (item["key"], item.get("seed"))
    found = _ARGS.get(memo)
    if found is None:
        from ansible_collections.aifabric.emulation.plugins.module_utils.netem import render as netem_render
        delay_id, slot_id = item["key"][-2:]
        rule = {"netem": g.netem_params(item), "delay_dist": {"id": delay_id} if delay_id else None,
                "slot_dist": {"id": slot_id} if slot_id else None}
        if len(_ARGS) > 4096:
            _ARGS.clear()
        found = _ARGS[memo] = "netem " + " ".join(netem_render.netem_args(rule))
    return found


def render(plan, host="localhost"):
    """The ip/tc commands that stage the plan's namespaces for `host` from nothing (state rendered)."""
    fabric, order, wants, _where = build_wants(plan, host)
    lines = []
    for name in order:
        lines.append(render_op({"op": "create-ns", "name": name}))
        lines.append(render_op({"op": "lo-up", "ns": name, "alias": g.mark(fabric)}))
        if wants[name].sysctls:
            lines.append(render_op({"op": "sysctl", "ns": name, "values": wants[name].sysctls}))
    return lines + [render_op(op) for op in diff(wants, {}, fresh=set(order))]


def impairment_commands(base, impaired, host="localhost"):
    """The tc commands that take the staged base plan to the impaired one (state rendered with impairments)."""
    wants_base = build_wants(base, host)[2]
    wants = build_wants(impaired, host)[2]
    return [render_op(op) for op in diff(wants, wants_base)]


# ------------------------------------------------------- preflight --


def vlan_available():
    """Ask the kernel: a VLAN on a veth in a private, throwaway namespace (nothing on the host is touched)."""
    answer = []

    def probe():
        try:
            nsmod._call("unshare", "unshare", nsmod.CLONE_NEWNET)  # this thread only
        except OSError:
            answer.append(None)
            return
        try:
            with NetlinkSession() as s:
                s.request(*rtnl.new_veth_request("afprobe0", "afprobe1", up=False))
                s.queue(*vlan_codec.new_vlan_request("afprobe0.7", s.ifindex("afprobe0"), 7, up=False))
                answer.append(s.flush()[0].ok)
        except (OSError, ValueError):
            answer.append(None)

    worker = threading.Thread(target=probe)
    worker.start()
    worker.join()
    return bool(answer and answer[0])


def _link_class(plan, ns, ifname):
    for link in plan.get("links") or []:
        for end in link.get("ends") or []:
            if end.get("netns") == ns and end.get("ifname") == ifname:
                return link.get("class") or "?"
    return None


def preflight(plan, ops):
    """Kernel features the ops need, asked before anything changes; the error names the plan's field."""
    netem = [op for op in ops if op["op"] in ("root", "leaf") and op["action"] != "delete"
             and op["item"]["kind"] == "netem"]
    if netem:
        from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core
        if not core.netem_available():
            op = netem[0]
            klass = _link_class(plan, op["ns"], op["name"])
            if op["item"].get("field"):  # an impairment (fabric/impair.py)
                raise ValidationError(op["item"]["field"], "this impairment needs the netem qdisc, which kernel "
                                      "%s does not have (modprobe sch_netem; CONFIG_NET_SCH_NETEM); a rate alone "
                                      "changes the end's %s rate and needs no netem; nothing was changed"
                                      % (os.uname()[2], "htb or tbf"))
            field = "links.%s.delay" % klass if klass else op["item"].get("where", "netem")
            raise ValidationError(field, "a link delay needs the netem qdisc, which kernel %s does not have "
                                  "(modprobe sch_netem; CONFIG_NET_SCH_NETEM); nothing was changed"
                                  % os.uname()[2])
    if any(op["op"] == "vlan" for op in ops) and not vlan_available():
        raise ValidationError("vlan", "a VLAN per rail needs the 8021q module, which kernel %s does not have "
                              "(modprobe 8021q); nothing was changed" % os.uname()[2])


def _raise_fd_limit(needed):
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        top = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (top, hard))


# ------------------------------------------------------------ stager --


class Stager:
    """One run: sessions per namespace, the plan's wants, the facts, the ops."""

    def __init__(self, plan, host="localhost", check_mode=False, fail_at=None, host_netns=None, state_dir=None,
                 commands=True):
        self.plan, self.host, self.check_mode = plan, host, check_mode
        self.fail_at = FAIL_AT if fail_at is None else fail_at
        self.host_netns, self.state_dir, self.want_commands = host_netns, state_dir, commands
        self.sessions, self.fds, self.indexes = {}, {}, {}
        self.new_sysctls = {}  # read back in the thread that made each namespace
        self.created, self.requests = [], 0
        self.haves, self.before = {}, {}
        self.sysctl_keys = ()
        self.scope = None  # a step that changes only impairments: the namespaces it reads (None: all)
        self.old_dists, self.after_states = {}, {}

    # ------------------------------------------------------ sessions --

    def close(self):
        for s in self.sessions.values():
            s.close()
        self.sessions.clear()
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()

    def session(self, ns):
        s = self.sessions.get(ns)
        if s is None:
            if ns == HOST:
                s = NetlinkSession(self.host_netns)
            else:
                s, _sysctls = g.open_namespace(ns)
            self.sessions[ns] = s
        return s

    def netns_fd(self, ns):
        fd = self.fds.get(ns)
        if fd is None:
            fd = self.fds[ns] = os.open(nsmod.path_of(ns), os.O_RDONLY)
        return fd

    def index(self, ns, name):
        cache = self.indexes.setdefault(ns, {})
        if name not in cache:
            cache[name] = self.session(ns).ifindex(name)
        if cache[name] is None:
            del cache[name]
            raise LookupError(name)
        return cache[name]

    def underlay_index(self, dev, where):
        index = self.session(HOST).ifindex(dev) if dev else None
        if dev and index is None:
            raise ValidationError(where, "the VXLAN underlay device %s is not in %s" % (
                dev, "namespace %s" % self.host_netns if self.host_netns else "this host's namespace"))
        return index

    def underlay_mtu(self, dev):
        """The MTU of device dev in the namespace VXLANs are sent from: one request, no dump."""
        for msg_type, payload in self.session(HOST).transact(rtnl.RTM_GETLINK, 0,
                                                             rtnl.ifinfomsg() + rtnl.ifname_attr(dev)):
            if msg_type == rtnl.RTM_NEWLINK:
                return rtnl.parse_link(payload)["mtu"]
        return None

    def check_underlay_mtu(self):
        """Refuse, before any change, a VXLAN to be made that its underlay device cannot carry at the plan's MTU.

        The kernel gives a VXLAN bound to a device at most that device's MTU less the VXLAN headers, without a
        word: the fabric would run at a smaller MTU than the plan's, and the next run's attempt to raise it would
        be refused (EINVAL).
        """
        mtus = {}
        for op in self.ops:
            dev = op.get("underlay_dev") if op["op"] == "vxlan" else None
            if not dev or not op.get("mtu"):
                continue
            if dev not in mtus:
                mtus[dev] = self.underlay_mtu(dev)
            headroom = VXLAN_HEADROOM[6 if ":" in (op.get("local") or op.get("remote") or "") else 4]
            if mtus[dev] is None or op["mtu"] + headroom <= mtus[dev]:
                continue
            what = ("VXLAN %s in %s at MTU %d over %s (MTU %d): %d bytes of VXLAN headers leave room for %d, and "
                    "the kernel would silently make it that" % (op["name"], op["target"], op["mtu"], dev, mtus[dev],
                                                                headroom, mtus[dev] - headroom))
            klass = _link_class(self.plan, op["target"], op["name"])
            if klass:
                raise ValidationError("links.%s.mtu" % klass, "%s; set links.%s.mtu (or the link's override) to at "
                                      "most %d, the compiler takes the VXLAN headers off, or raise %s's MTU; "
                                      "nothing was changed" % (what, klass, mtus[dev] - headroom + VXLAN_HEADROOM[4],
                                                               dev))
            hosts = list(self.plan.get("hosts") or ())
            field = "placement.hosts[%d].underlay_dev" % hosts.index(self.host) if self.host in hosts else "placement"
            raise ValidationError(field, "%s; the management network needs an underlay MTU of at least %d; "
                                  "nothing was changed" % (what, op["mtu"] + headroom))

    # --------------------------------------------------------- facts --

    def read(self, names, keys):
        """Open and read each existing namespace once; refuse those that are not this fabric's."""
        for i, name in enumerate(names):
            if not nsmod.exists(name):
                continue
            session, sysctls = g.open_namespace(name, keys)
            self.sessions[name] = session
            st = g.with_dists(g.read_facts(session, name), self.old_dists.get(name, {}))
            st.sysctls = dict((k, g.sysctl_value(v)) for k, v in sysctls.items())
            if st.mark != g.mark(self.fabric):
                self._refuse(name, st.mark)
            self.haves[name] = st

    def _refuse(self, name, found):
        field = "namespaces[%d]" % self.where[name] if name in self.where else "namespaces"
        whose = "fabric %s's" % found[len(g.MARK_PREFIX):] if found and found.startswith(g.MARK_PREFIX) else \
            "not made by a fabric (lo has %s)" % ("alias %r" % found if found else "no alias")
        raise ValidationError(field, "network namespace %s exists and is %s, not fabric %s's; nothing was changed "
                              "(rename the fabric, or delete the namespace if it is a leftover)"
                              % (name, whose, self.fabric))

    # ---------------------------------------------------------- plan --

    def prepare(self):
        self.fabric, spaces = host_namespaces(self.plan, self.host)
        self.order = [ns["name"] for _i, ns in spaces]
        self.record = record_store(self.fabric, self.state_dir)
        old = self.record.host(self.host) or {}
        self.old_record = old or None
        self.digest = impair.base_digest(self.plan, self.host)
        self.old_dists = {} if old.get("staging") else _dists(old.get("impairments"))
        _raise_fd_limit(3 * (len(self.order) + len(old.get("namespaces", ()))) + 256)
        self.scope = self.impairment_scope(old)
        if self.scope is not None:  # only the qdiscs of the namespaces in scope are wanted, read and compared
            self.fabric, self.order, self.wants, self.where = build_wants(self.plan, self.host, only=self.scope)
            self.sysctl_keys = tuple(old.get("sysctls") or ())
            if not self.read_qdiscs_only(self.scope):
                self.scope = None
        if self.scope is None:
            self.fabric, self.order, self.wants, self.where = build_wants(self.plan, self.host, self.underlay_index)
            keys = set()
            for w in self.wants.values():
                keys.update(w.sysctls)
            self.sysctl_keys = tuple(sorted(keys))
            self.read(self.order, self.sysctl_keys)
        self.removing = []
        for name in old.get("namespaces", ()) if self.scope is None else ():
            if name in self.wants or not nsmod.exists(name):
                continue
            found = g.namespace_mark(name)
            if found == g.mark(self.fabric):
                self.removing.append(name)
        self.new = [n for n in self.order if n not in self.haves] if self.scope is None else []
        for name in self.new:
            if nsmod.exists(name):  # a file, not a namespace
                self._refuse(name, "")
        if self.scope is not None:
            self.ops = []
            for name in self.scope:
                _diff_qdiscs(self.ops, name, self.wants[name], self.haves[name], lambda ifname: False)
            waves = dict((wave, i) for i, wave in enumerate(WAVES))
            self.ops.sort(key=lambda op: waves[op["wave"]])
        else:
            self.ops = diff(self.wants, self.haves, fresh=set(self.new))
        preflight(self.plan, self.ops)
        self.check_underlay_mtu()
        if self.scope is not None:
            self.before = dict((n, _qdisc_view(self.haves[n])) for n in self.scope)
        else:
            self.before = dict((n, self.haves[n].view()) for n in self.order if n in self.haves)
        for name in self.removing:
            self.before[name] = None

    # --------------------------------------------------- impairments --

    def impairment_scope(self, old):
        """The namespaces a step that changes only impairments must read, or None (read everything).

        Such a step is one with impairments now or in the state record, whose base plan is the one the record
        says was staged (same digest, same namespaces, all there, not interrupted): everything but the qdiscs
        is as the last run left it, so only the namespaces with an impaired end, now or before, are read.
        """
        impaired = list(self.plan.get("impaired") or ()) + list(old.get("impairments") or ())
        if not impaired or old.get("staging") or old.get("base_digest") != self.digest:
            return None
        if sorted(old.get("namespaces") or ()) != sorted(self.order) or not all(nsmod.exists(n) for n in self.order):
            return None
        names = set(e.get("netns") for e in impaired)
        return [n for n in self.order if n in names]

    def read_qdiscs_only(self, scope):
        """haves for a step that changes only impairments: for each namespace in scope, its wanted links (they are
        what the record says) and the kernel's qdiscs. False when the kernel is not what the record says (an
        interface or the mark missing: then everything is read)."""
        for name in scope:
            w = self.wants[name]
            st = g.NsState(name)  # the wanted links and sysctls, shared: nothing changes them
            st.mark, st.sysctls, st.links = w.mark, w.sysctls, w.links
            real, indexes = g.read_qdisc_facts(self.session(name), name)
            if real.mark != w.mark or any(n not in indexes for n in w.links):
                self.close()
                self.haves, self.indexes = {}, {}
                return False
            st.qdiscs = g.with_dists(real, self.old_dists.get(name, {})).qdiscs
            self.indexes[name] = dict((n, indexes[n]) for n in w.links)
            self.haves[name] = st
        return True

    def read_state(self, name, dists):
        """The kernel's state of namespace `name` as this run compares it (a rollback reads through this)."""
        if self.scope is not None:
            st = g.NsState(name)
            have = self.haves[name]
            st.mark, st.sysctls, st.links = have.mark, dict(have.sysctls), have.links
            real, _indexes = g.read_qdisc_facts(self.session(name), name, self.indexes.get(name))  # links unchanged
            st.qdiscs = g.with_dists(real, dists.get(name, {})).qdiscs
            return st
        return g.with_dists(g.read_facts(self.session(name), name, self.sysctl_keys), dists.get(name, {}))

    def impairments_read_back(self):
        """Per impaired end of the plan, what the kernel has there (predicted in check mode)."""
        out = []
        for e in self.plan.get("impaired") or ():
            st = self.after_states.get(e["netns"]) or self.haves.get(e["netns"])
            if self.check_mode or st is None:
                st = self.wants.get(e["netns"])
            q = (st.qdiscs.get(e["interface"]) if st is not None else None) or {}
            out.append({"netns": e["netns"], "interface": e["interface"], "direction": "egress", "link": e["link"],
                        "node": e["node"], "rule": e["rule"], "kernel": g.end_view(q)})
        return out

    def cleared(self):
        """The ends the state record had impaired that this plan does not impair."""
        now = set((e["netns"], e["interface"]) for e in self.plan.get("impaired") or ())
        return [{"netns": e["netns"], "interface": e["interface"], "link": e.get("link")}
                for e in (self.old_record or {}).get("impairments") or () if (e["netns"], e["interface"]) not in now]

    @property
    def changed(self):
        return bool(self.ops or self.new or self.removing)

    def commands(self):
        lines = []
        for name in self.new:
            lines.append(render_op({"op": "create-ns", "name": name}))
            lines.append(render_op({"op": "lo-up", "ns": name, "alias": g.mark(self.fabric)}))
            if self.wants[name].sysctls:
                lines.append(render_op({"op": "sysctl", "ns": name, "values": self.wants[name].sysctls}))
        lines.extend(render_op(op, self.host_netns) for op in self.ops)
        lines.extend(render_op({"op": "delete-ns", "name": n}) for n in self.removing)
        return lines

    # --------------------------------------------------------- apply --

    def encode(self, op):
        kind, ns = op["op"], op["ns"]
        self.requests += 1
        if kind == "sysctl":
            return [lambda: nsmod.set_sysctls(ns, op["values"])]
        if kind == "lo-up":
            return [rtnl.link_set_request(1, up=True)]
        if kind == "del-link":
            return [rtnl.del_link_request(op["index"])]
        if kind == "veth":
            return [rtnl.new_veth_request(op["name"], op["peer"], op["mtu"], op["peer_mtu"],
                                          self.netns_fd(op["peer_ns"]))]
        if kind == "bridge":
            return [rtnl.new_bridge_request(op["name"], op["mtu"])]
        if kind == "vxlan":
            link = self.index(HOST, op["underlay_dev"]) if op.get("underlay_dev") else None
            return [rtnl.new_vxlan_request(op["name"], op["vni"], op["port"], op["local"], op["remote"], link,
                                           op["mtu"], self.netns_fd(op["target"]))]
        if kind == "vlan":
            return [vlan_codec.new_vlan_request(op["name"], self.index(ns, op["parent"]), op["vlan_id"],
                                                mtu=op["mtu"])]
        if kind == "set-link":
            master = None
            if "master" in op:
                master = self.index(ns, op["master"]) if op["master"] else 0
            return [rtnl.link_set_request(self.index(ns, op["name"]), op.get("up"), op.get("mtu"), master)]
        if kind == "addr":
            return [rtnl.addr_request(op["action"], self.index(ns, op["name"]), op["cidr"])]
        if kind == "route":
            hops = [] if op["action"] == "delete" else [(v, self.index(ns, i)) for v, i in op["nexthops"]]
            return [rtnl.route_request(op["action"], op["dst"], hops)]
        if kind == "root":
            item, index = op["item"], self.index(ns, op["name"])
            handle = g.root_handle(item["kind"])
            if op["action"] == "delete":
                return [tc.qdisc_request("delete", index, tc.TC_H_ROOT, handle)]
            if item["kind"] in ("htb", "tbf"):
                return [tc.qdisc_request_tc(op["action"], index, tc.TC_H_ROOT, handle, item["kind"], g.options(item))]
            return [tc.qdisc_request(op["action"], index, tc.TC_H_ROOT, handle, item["kind"], g.options(item))]
        if kind == "class":
            return [tc.class_request(op["action"], self.index(ns, op["name"]), g.ROOT_HANDLE, g.CLASS_ID, "htb",
                                     g.options(op["item"]))]
        if kind == "leaf":
            deleting = op["action"] == "delete"
            return [tc.qdisc_request(op["action"], self.index(ns, op["name"]), g.CLASS_ID, g.LEAF_HANDLE,
                                     None if deleting else "netem", None if deleting else g.options(op["item"]))]
        if kind == "missing":
            raise LookupError(op["name"])
        raise ValueError("unknown op %r" % kind)

    def run_waves(self, ops, stop_after=None):
        """Apply ops wave by wave, one batch per namespace; [Failure] of the first wave that had any."""
        by_wave = {}
        for op in ops:
            by_wave.setdefault(op["wave"], []).append(op)
        for number, wave in enumerate(WAVES):
            failures = []
            if wave == "namespaces" and self.new and not self.rolling_back:
                failures.extend(self.create_namespaces())
            if not failures:
                failures.extend(self._apply_wave(by_wave.get(wave, ())))
            if wave == "delete-namespaces" and not failures and not self.rolling_back:
                failures.extend(self.delete_namespaces(self.removing))
            if not failures and stop_after in (wave, number):
                failures.append(apply.Failure(None, errno.ECANCELED, "injected failure after wave %s" % wave))
            if failures:
                return failures
        return []

    def _apply_wave(self, ops):
        groups, order = {}, []
        for op in ops:
            if op["ns"] not in groups:
                order.append(op["ns"])
                groups[op["ns"]] = []
            groups[op["ns"]].append(op)
        failures = []
        for ns in order:
            try:
                session = self.session(ns)
            except (OSError, errors.ModuleError) as e:
                failures.append(apply.Failure(groups[ns][0], getattr(e, "errno", None), str(e)))
                break
            _applied, found = apply.run(session, [groups[ns]], self.encode)
            failures.extend(f for f in found if not _harmless(f))
            if failures:
                break
        if ops and ops[0]["wave"] in LINK_WAVES:
            self.indexes.clear()
        return failures

    def create_namespaces(self):
        fabric_mark = g.mark(self.fabric)
        wants = self.wants
        read_back = self.new_sysctls

        def setup(name):
            nsmod.write_sysctls(wants[name].sysctls)
            read_back[name] = nsmod.read_sysctls(sorted(wants[name].sysctls))  # here, with no switch to pay
            session = NetlinkSession(None)
            session.netns = name
            try:
                session.queue(*rtnl.set_alias_request("lo", fabric_mark))
                session.queue(*rtnl.link_set_request(1, up=True))
                for ack in session.flush():
                    if not ack.ok:
                        raise OSError(ack.errno, "marking lo in %s: %s" % (name, ack.text or os.strerror(ack.errno)))
            except BaseException:
                session.close()
                raise
            return session

        try:
            sessions = nsmod.create(self.new, setup, self.created)
        except (OSError, errors.ModuleError) as e:
            return [apply.Failure({"op": "create-ns", "ns": None, "name": "?"}, getattr(e, "errno", None), str(e))]
        self.sessions.update(sessions)
        self.requests += 2 * len(sessions)
        return []

    def delete_namespaces(self, names):
        for name in names:
            s = self.sessions.pop(name, None)
            if s is not None:
                s.close()
            fd = self.fds.pop(name, None)
            if fd is not None:
                os.close(fd)
        return [apply.Failure({"op": "delete-ns", "ns": None, "name": n}, None, text)
                for n, text in nsmod.delete(names)]

    # ------------------------------------------------------ rollback --

    def rollback(self):
        """Delete the namespaces this run made; plan the others back to their facts from before; read back."""
        self.rolling_back = True
        report = RollbackReport()
        touched = set()
        for op in self.ops:
            for ns in (op["ns"], op.get("target"), op.get("peer_ns")):
                if ns in self.haves:
                    touched.add(ns)
        touched = [n for n in self.order if n in touched]
        if touched:
            self.indexes.clear()
            now = {}
            for ns in touched:
                try:
                    now[ns] = self.read_state(ns, self.old_dists)
                except (OSError, errors.ModuleError) as e:
                    report.errors.append("%s: could not read the kernel back (%s)" % (ns, e))
            if self.scope is not None:  # a qdisc-only step: put back the qdiscs it read
                back = []
                for ns in now:
                    _diff_qdiscs(back, ns, self.haves[ns], now[ns], lambda name: False)
            else:
                back = diff(dict((n, self.haves[n]) for n in now), now)
            for op in back:
                if op["op"] == "missing":
                    report.errors.append("%s: %s was removed by this run and cannot be made again" % (
                        op["ns"], op["name"]))
            back = [op for op in back if op["op"] != "missing"]
            for f in self.run_waves(back):
                report.errors.append(self._failure_text(f))
        removed = self.delete_namespaces(list(self.created))
        for f in removed:
            report.errors.append(self._failure_text(f))
        self.indexes.clear()
        for ns in touched:
            try:
                final = self.read_state(ns, self.old_dists).items()
            except (OSError, errors.ModuleError) as e:
                report.errors.append("%s: could not read the kernel back (%s)" % (ns, e))
                report.not_restored.append(ns)
                continue
            first = self.haves[ns].items()
            for key in sorted(set(first) | set(final) | set(self.wants[ns].items()), key=str):
                label = "%s:%s" % (ns, "/".join(str(k) for k in key))
                (report.restored if first.get(key) == final.get(key) else report.not_restored).append(label)
        for name in self.created:
            (report.not_restored if nsmod.exists(name) else report.restored).append("netns:%s" % name)
        self.record.set_host(self.host, self.old_record)
        try:
            self.record.save()
        except (OSError, IOError) as e:
            report.errors.append("state record %s: %s" % (self.record.path, e))
        return report

    def _failure_text(self, f):
        op = f.op
        if op is None:
            return f.text
        return "`%s`: %s" % (render_op(op, self.host_netns), f.text)

    # ---------------------------------------------------------- run --

    def converge(self):
        self.rolling_back = False
        try:
            self.prepare()
            result = self.result()
            if self.check_mode or not self.changed:
                result["after"] = self.predicted() if self.changed else dict(self.before)
                return self._with_impairments(result)
            self.record.set_host(self.host, dict(self._record_entry(),  # staging: the next run reads everything
                                                 namespaces=sorted(set(self.order) | set(self.removing)),
                                                 staging=True, impairments=[], impairment_rules=[]))
            self.record.save()
            failures = self.run_waves(self.ops, self.fail_at)
            if failures:
                report = self.rollback()
                text = "; ".join(self._failure_text(f) for f in failures[:3])
                more = " (and %d more)" % (len(failures) - 3) if len(failures) > 3 else ""
                raise ApplyError("staging fabric %s failed: %s%s; %s" % (self.fabric, text, more, report.summary()),
                                 report)
            self.record.set_host(self.host, self._record_entry())
            self.record.save()
            result["requests"] = self.requests
            result["after"] = self.read_after()
            return self._with_impairments(result)
        finally:
            self.close()

    def _with_impairments(self, result):
        result["impairments"] = self.impairments_read_back()
        result["cleared"] = self.cleared()
        result["read"] = {"mode": "full" if self.scope is None else "impairments",
                          "namespaces": len(self.haves) if self.scope is None else len(self.scope)}
        return result

    def _record_entry(self):
        if self.scope is not None:  # a qdisc-only step: the rest is as the last run recorded it
            vxlans = list((self.old_record or {}).get("vxlans") or ())
        else:
            vxlans = [n for n in self.order if any(l["kind"] == "vxlan" for l in self.wants[n].links.values())]
        entry = {"namespaces": list(self.order), "spec_hash": self.plan.get("spec_hash"),
                 "kind": self.plan.get("kind"), "mode": self.plan.get("mode"), "sysctls": list(self.sysctl_keys),
                 "vxlans": vxlans, "base_digest": self.digest}
        entry.update(impair.record(self.plan))
        return entry

    def touched(self):
        names = set(self.new) | set(self.removing)
        for op in self.ops:
            for ns in (op["ns"], op.get("target"), op.get("peer_ns")):
                if ns and ns != HOST:
                    names.add(ns)
        return sorted(names)

    def result(self):
        counts = count(self.ops, len(self.new), len(self.removing))
        out = {"changed": self.changed, "fabric": self.fabric, "host": self.host, "before": self.before,
               "after": None, "touched": self.touched(), "requests": 0, "rollback": None}
        out.update(counts)
        out["commands"] = self.commands() if self.want_commands else []
        return out

    def predicted(self):
        after = dict(self.before)
        for name in self.touched():
            if self.scope is not None:
                after[name] = _qdisc_view(self.wants[name])
                continue
            after[name] = self.wants[name].view() if name in self.wants else None
        for name in self.removing:
            after.pop(name, None)
        return after

    def read_after(self):
        after = dict(self.before)
        for name in self.removing:
            after.pop(name, None)
        written = set(op["ns"] for op in self.ops if op["op"] == "sysctl")
        dists = _dists(self.plan.get("impaired"))  # the tables this run sent
        for name in self.touched():
            if name not in self.wants:
                continue
            if self.scope is not None:
                st = self.after_states[name] = self.read_state(name, dists)
                after[name] = _qdisc_view(st)
                continue
            keys = tuple(sorted(self.wants[name].sysctls))
            st = g.with_dists(g.read_facts(self.session(name), name, keys if name in written else ()),
                              dists.get(name, {}))
            self.after_states[name] = st
            if name in self.new_sysctls:
                st.sysctls = dict((k, g.sysctl_value(v)) for k, v in self.new_sysctls[name].items())
            elif name not in written:
                st.sysctls = dict(self.haves[name].sysctls)  # not written by this run
            after[name] = st.view()
        return after


def _dists(impaired):
    """{netns: {ifname: (delay table id, slot table id)}} of a plan's or a record's impaired ends."""
    out = {}
    for e in impaired or ():
        out.setdefault(e["netns"], {})[e["interface"]] = (e.get("delay_dist"), e.get("slot_dist"))
    return out


def _qdisc_view(st):
    """The qdiscs part of a namespace's view: all that a step that changes only impairments reads."""
    qdiscs = {}
    for ifname in sorted(st.qdiscs):
        entry = g.qdisc_view(st.qdiscs[ifname])
        if entry:
            qdiscs[ifname] = entry
    return {"qdiscs": qdiscs}


def _harmless(failure):
    """A stale link already gone (its veth peer went first): what was asked for is done."""
    op = failure.op or {}
    return op.get("op") == "del-link" and failure.errno == errno.ENODEV


# -------------------------------------------------------------- api --


def converge(plan, host="localhost", state="present", check_mode=False, fail_at=None, host_netns=None,
             state_dir=None, commands=True):
    """Make this host's share of the plan real (present), remove it (absent), read it (gathered),
    or print it (rendered).

    present: {changed, fabric, host, before, after ({netns: view}; None for a
    namespace removed), created/removed/modified ({namespaces, links,
    addresses, routes, qdiscs, classes, sysctls}: counts), touched (the
    namespaces the run changed), requests (sent to the kernel; 0 when
    nothing changed), commands (the equivalent ip/tc lines), rollback
    (None)}. A kernel refusal raises engine.resource.ApplyError, whose
    `rollback` (RollbackReport: complete, restored, not_restored, errors) is
    read back from the kernel. Bad input and preflight failures raise
    errors.ValidationError naming the field, before anything changes.

    fail_at: a wave name (see WAVES) or index after which the run fails as a
    refusal would (tests). host_netns: the namespace VXLANs are sent from
    (None: this process's). state_dir: instead of /run/aifabric-emulation.
    """
    if state in ("present", "merged"):
        with RunLock(host_namespaces(plan, host)[0], state_dir) as lock:
            try:
                return Stager(plan, host, check_mode, fail_at, host_netns, state_dir, commands).converge()
            finally:
                lock.tidy()
    if state in ("absent", "deleted"):
        return teardown(plan, host, check_mode=check_mode, state_dir=state_dir)
    if state == "gathered":
        return gather(plan, host, state_dir=state_dir)
    if state == "rendered":
        return {"changed": False, "commands": render(plan, host)}
    raise ValidationError("state", "%r: present, absent, gathered or rendered" % (state,))


def _fabric_of(plan_or_fabric):
    if isinstance(plan_or_fabric, dict):
        return check_fabric_name(plan_or_fabric.get("fabric"))
    return check_fabric_name(plan_or_fabric)


def staged_namespaces(plan_or_fabric, host="localhost", state_dir=None):
    """(fabric, [names]) of the fabric's namespaces on this host: the record's, the plan's and, without a
    record, any named <fabric>-* (each still has to carry the mark to count)."""
    fabric = _fabric_of(plan_or_fabric)
    record = record_store(fabric, state_dir)
    entry = record.host(host)
    names = set(entry.get("namespaces", ())) if entry else set()
    if isinstance(plan_or_fabric, dict):
        names.update(ns["name"] for _i, ns in host_namespaces(plan_or_fabric, host)[1])
    if entry is None:
        names.update(nsmod.names(fabric + "-"))
    return fabric, record, sorted(n for n in names if nsmod.exists(n))


def gather(plan_or_fabric, host="localhost", state_dir=None):
    """{fabric, host, namespaces: {netns: view}, record, impairments, ttl} of what this fabric has staged here.

    impairments: the record's impaired ends, each with what the kernel has there; ttl: the armed TTL (deadline,
    remaining seconds, mechanism) or None.
    """
    fabric, record, names = staged_namespaces(plan_or_fabric, host, state_dir)
    entry = record.host(host) or {}
    keys = set(entry.get("sysctls", ()))
    if isinstance(plan_or_fabric, dict):
        for _i, ns in host_namespaces(plan_or_fabric, host)[1]:
            keys.update(ns.get("sysctls") or ())
    dists = {} if entry.get("staging") else _dists(entry.get("impairments"))
    out, states = {}, {}
    for name in names:
        session, sysctls = g.open_namespace(name, tuple(sorted(keys)))
        try:
            st = g.with_dists(g.read_facts(session, name), dists.get(name, {}))
        finally:
            session.close()
        st.sysctls = dict((k, g.sysctl_value(v)) for k, v in sysctls.items())
        if st.mark == g.mark(fabric):
            out[name] = st.view()
            states[name] = st
    impaired = []
    for e in impair.recorded(entry):
        st = states.get(e["netns"])
        q = (st.qdiscs.get(e["interface"]) if st is not None else None) or {}
        impaired.append(dict(e, kernel=g.end_view(q)))
    from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import expiry
    return {"changed": False, "fabric": fabric, "host": host, "namespaces": out, "record": record.host(host),
            "impairments": impaired, "ttl": expiry.armed(fabric, host, state_dir),
            "ttl_fired": expiry.last_fired(fabric, host, state_dir)}


IFLA_GROUP = 27
VXLAN_GROUP = 0xfab0  # the device group a teardown gives a namespace's VXLANs, to delete them in one request


def _delete_vxlans(names):
    """Delete the VXLANs in these namespaces now, one batch each; [(name, error text)] of the failures.

    The kernel frees a namespace some time after its last mount goes, and until then its VXLANs hold their
    VNIs in the host's namespace: staging a fabric with the same VNIs right after a teardown would be refused
    (EEXIST, "A VXLAN device with the specified VNI already exists"). A deleted link is gone once acked. Each
    RTM_DELLINK waits for an RCU barrier (~20 ms), so the VXLANs are put in one device group and that group is
    deleted with one request.
    """
    failed = []
    for name in names:
        try:
            with NetlinkSession(name) as s:
                found = [link["index"] for link in rtnl.dump_links(s) if link["kind"] == "vxlan"]
                if not found:
                    continue
                for index in found:
                    s.queue(rtnl.RTM_NEWLINK, 0, rtnl.ifinfomsg(index) + nla.attr_u32(IFLA_GROUP, VXLAN_GROUP))
                s.queue(rtnl.RTM_DELLINK, 0, rtnl.ifinfomsg() + nla.attr_u32(IFLA_GROUP, VXLAN_GROUP))
                for ack in s.flush():
                    if not ack.ok:
                        failed.append((name, "deleting its VXLANs: %s" % (ack.text or os.strerror(ack.errno))))
        except Exception as e:  # pylint: disable=broad-except  # the namespaces are deleted all the same
            failed.append((name, "deleting its VXLANs: %s" % e))
    return failed


def teardown(plan_or_fabric, host="localhost", check_mode=False, state_dir=None):
    """Delete every namespace this fabric staged on this host (links go with them) and its state record.

    Namespaces without the fabric's mark are left alone and listed in `kept`.
    {changed, fabric, host, removed: {namespaces: n}, namespaces: [deleted], kept: [...], errors: [...]}
    """
    fabric = _fabric_of(plan_or_fabric)
    disarmed = None
    if not check_mode:  # before the run lock: a TTL's revert holds its own lock and then takes the run lock
        from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import expiry
        disarmed = expiry.disarm_fabric(fabric, host, state_dir)
    with RunLock(fabric, state_dir) as lock:
        try:
            result = _teardown(plan_or_fabric, host, check_mode, state_dir)
        finally:
            lock.tidy()
    if disarmed is not None:
        result["ttl"] = disarmed
        result["changed"] = True
    return result


def _teardown(plan_or_fabric, host, check_mode, state_dir):
    fabric, record, names = staged_namespaces(plan_or_fabric, host, state_dir)
    ours, kept = [], []
    for name in names:
        (ours if g.namespace_mark(name) == g.mark(fabric) else kept).append(name)
    entry = record.host(host)
    result = {"changed": bool(ours) or entry is not None, "fabric": fabric, "host": host,
              "removed": {"namespaces": len(ours)}, "namespaces": ours, "kept": kept, "errors": [],
              "commands": [render_op({"op": "delete-ns", "name": n}) for n in ours]}
    if check_mode:
        return result
    known = entry.get("vxlans") if entry else None  # None: not recorded, look in every namespace
    if known is not None and isinstance(plan_or_fabric, dict):
        known = set(known) | set(ns["name"] for _i, ns in host_namespaces(plan_or_fabric, host)[1]
                                 if any(l.get("kind") == "vxlan" for l in ns.get("links") or ()))
    failed = _delete_vxlans([n for n in ours if known is None or n in known])
    result["errors"] = ["%s: %s" % f for f in failed + nsmod.delete(ours)]
    if entry is not None:
        record.set_host(host, None)
        record.save()
    if result["errors"]:
        raise errors.ModuleError("namespaces", "tearing fabric %s down left %s" % (fabric, "; ".join(result["errors"])))
    return result
