# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VLAN resource on the engine: facts from one link and one address dump, the planner, codecs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.engine import apply, resource
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl, vlan as vlan_codec
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import model, plan, render


VlanError = errors.ModuleError


class Facts:
    """Links, VLANs and addresses of one namespace.

    The VLAN entries are shared with the planner's results and between VLANs
    with identical data (their flags and QoS maps): read them, never change them.
    """

    def __init__(self, session):
        self.session = session
        self.refresh()

    def refresh(self):
        self.links = rtnl.dump_links(self.session)
        self.by_name = dict((l["name"], l) for l in self.links)
        names = dict((l["index"], l["name"]) for l in self.links)
        addrs = {}
        for index, cidr in rtnl.dump_addresses(self.session, with_prefix=True, ipv6_link_local=False):
            addrs.setdefault(index, []).append(cidr)
        self.addresses = addrs
        self.vlans = {}
        decoded = {}  # VLAN data -> fields: the same id on many parents is decoded once
        for l in self.links:
            if l["kind"] != "vlan":
                continue
            fields = decoded.get(l["data"])
            if fields is None:
                fields = decoded[l["data"]] = vlan_codec.decode_fields(l["data"])
            vid, protocol, flags, egress, ingress = fields
            parent = names.get(l["link"], "<other netns>") if l["netnsid"] is None else "<other netns>"
            own = addrs.get(l["index"])
            self.vlans[l["name"]] = {
                "name": l["name"], "parent": parent, "id": vid, "protocol": protocol, "mtu": l["mtu"],
                "up": l["up"], "addresses": model.sort_addresses(own) if own else [],
                "egress": egress, "ingress": ingress, "flags": flags,
            }

    def index(self, name):
        link = self.by_name.get(name)
        return link["index"] if link else self.session.ifindex(name)


def _parent_mtu_resolver(facts, declared):
    def parent_mtu(entry):
        parent = entry["parent"]
        if parent in declared and declared[parent]["mtu"] is not None:
            return declared[parent]["mtu"]
        if parent in facts.by_name:
            return facts.by_name[parent]["mtu"]
        if parent in declared:
            return parent_mtu(declared[parent])
        return None
    return parent_mtu


def _check_parents(want, facts, declared, netns):
    for i, e in enumerate(want):
        parent = facts.by_name.get(e["parent"])
        if parent is None and e["parent"] not in declared:
            elsewhere = ""
            if netns:
                with NetlinkSession(None) as init:
                    if init.ifindex(e["parent"]) is not None:
                        elsewhere = "; it is in the initial namespace: a VLAN must be created in its parent's namespace"
            raise VlanError("config[%d] (%s).parent" % (i, e["name"]), "%s does not exist in %s%s" % (
                e["parent"], "network namespace %r" % netns if netns else "this namespace", elsewhere))
        if parent is not None and parent["netnsid"] is not None and parent["kind"] == "vlan":
            raise VlanError("config[%d] (%s).parent" % (i, e["name"]),
                            "%s sits on a device in another namespace" % e["parent"])


def _check_parent_up(after, facts, want):
    """The kernel refuses to bring a VLAN up on a down parent (ENETDOWN) unless loosely bound."""
    for i, e in enumerate(want):
        t, parent = after.get(e["name"]), facts.by_name.get(e["parent"])
        if t is None or not t["up"] or t["flags"]["loose_binding"] or parent is None or parent["up"]:
            continue
        if e["parent"] in after and after[e["parent"]]["up"]:
            continue
        raise VlanError("config[%d] (%s).admin_state" % (i, e["name"]),
                        "its parent %s is down: bring the parent up, set admin_state: down, "
                        "or set loose_binding: true" % e["parent"])


def _check_mtus(after, parent_mtu, want):
    for i, e in enumerate(want):
        t = after.get(e["name"])
        limit = parent_mtu(e)
        if t is not None and t["mtu"] is not None and limit is not None and t["mtu"] > limit:
            raise VlanError("config[%d] (%s).mtu" % (i, e["name"]),
                            "%d is above the MTU of its parent %s (%d)" % (t["mtu"], e["parent"], limit))


def _encode(op, facts):
    def index(name):
        i = facts.index(name)
        if i is None:
            raise LookupError(name)
        return i
    if op["op"] == "delete":
        return rtnl.del_link_request(index(op["name"]))
    if op["op"] == "addr":
        return rtnl.addr_request(op["action"], index(op["name"]), op["address"])
    if op["op"] == "create":
        e = op["entry"]
        return vlan_codec.new_vlan_request(e["name"], index(e["parent"]), e["id"], e["protocol"], e["flags"],
                                           e["egress"], e["ingress"], e["mtu"], e["up"] is not False)
    data = None
    if any(k in op for k in ("flags", "egress", "ingress")):
        data = vlan_codec.encode_data(flags=op.get("flags"), egress=op.get("egress"), ingress=op.get("ingress"))
    return rtnl.set_link_request(index(op["name"]), op.get("up"), op.get("mtu"), "vlan", data)


def _waves(ops):
    """Dependency waves: deletes, then links by QinQ depth, then addresses; each wave one batch."""
    return apply.waves_by(ops, lambda op: (op["op"], op.get("depth")))


class VlanResource(resource.Resource):
    """VLAN interfaces of one namespace."""

    def __init__(self, netns=None, **kwargs):
        resource.Resource.__init__(self, **kwargs)
        self.netns = netns

    def scopes(self, entries):
        return [(self.netns, entries)]

    def gather(self, scope):
        facts = Facts(scope.ctx.session)
        if scope.have is None:  # the run's first read: validate against it and fix the scope
            declared = dict((e["name"], e) for e in scope.entries)
            _check_parents(scope.entries, facts, declared, scope.netns)
            scope.parent_mtu = _parent_mtu_resolver(facts, declared)
            scope.names = _scope(scope.entries, self.state, facts.vlans)
        return facts

    def items(self, scope, have):
        return dict((n, model.to_user(have.vlans[n])) for n in sorted(have.vlans) if n in scope.names)

    def plan(self, scope):
        facts, want = scope.have, scope.entries
        ops, after = plan.plan(want, dict(facts.vlans), self.state, scope.parent_mtu)
        _check_mtus(after, scope.parent_mtu, want)
        _check_parent_up(after, facts, want)
        have, before = facts.vlans, scope.before
        predicted = dict((n, before[n] if after[n] is have.get(n) else model.to_user(after[n]))
                         for n in sorted(after) if n in scope.names)  # unchanged entries: their view is known
        return _waves(ops), predicted

    def encode(self, scope, op):
        return [_encode(op, self._facts(scope))]

    def _facts(self, scope):
        return getattr(scope, "live", None) or scope.have

    def after_wave(self, scope, wave):
        if wave[0]["op"] in ("create", "delete"):
            self._facts(scope).by_name = {}  # indexes changed: look them up afresh

    def render(self, scope, ops):
        return render.commands(ops, scope.netns)

    def explain(self, scope, failure):
        text = failure.text
        op = failure.op or {}
        if failure.errno == errno.EOPNOTSUPP and op.get("op") == "create" and not os.path.exists("/sys/module/8021q"):
            text += "; the 8021q module is not available in kernel %s (modprobe 8021q)" % os.uname()[2]
        return text

    def guarded(self, scope, op):
        """Deleting, downing, re-sizing or unaddressing an existing VLAN can cut a connection; creating cannot.

        Only existing VLANs are looked up (from the link dump): an ioctl for a
        name that does not exist yet makes the kernel try `modprobe netdev-NAME`.
        """
        if op["op"] == "create" or (op["op"] == "addr" and op["action"] == "add"):
            return []
        name = op["name"]
        link = scope.have.by_name.get(name)
        if link is None:
            return []
        index, field = link["index"], self._field(scope, name)
        if op["op"] == "delete":
            return [(index, field, "delete %s" % name)]
        if op["op"] == "addr":
            return [(index, field + ".addresses", "remove %s from %s" % (op["address"], name))]
        out = []
        if op.get("up") is False:
            out.append((index, field + ".admin_state", "set %s down" % name))
        if "mtu" in op:
            out.append((index, field + ".mtu", "change the MTU of %s to %d" % (name, op["mtu"])))
        return out

    def _field(self, scope, name):
        where = getattr(scope, "fields", None)
        if where is None:
            where = scope.fields = dict((e["name"], "config[%d]" % i) for i, e in enumerate(scope.entries))
        return where.get(name, "config")

    def revert(self, scope, now):
        scope.live = now
        have = scope.have.vlans
        created = [n for n in now.vlans if n in scope.names and n not in have]
        before = [dict(have[n]) for n in sorted(scope.names) if n in have]
        rest = dict((n, v) for n, v in now.vlans.items() if n not in created)
        ops, _after = plan.plan(before, rest, "replaced", scope.parent_mtu)
        return [[{"op": "delete", "name": n} for n in created]] + _waves(ops)


def _scope(want, state, have):
    """Names a result reports: the declared ones, plus what overridden removes."""
    names = set(e["name"] for e in want)
    if state == "overridden":
        parents = set(e["parent"] for e in want)
        names |= set(n for n, h in have.items() if h["parent"] in parents)
    return names


def converge(want, state="merged", netns=None, check_mode=False, allow_management=False):
    """Converge one namespace. Returns the result dict (changed, before, after, commands)."""
    res = VlanResource(netns, state=state, check_mode=check_mode, allow_management=allow_management)
    run = res.converge(want)
    return {"changed": run.changed, "commands": run.commands,
            "before": [v for _s, _k, v in run.before_items()], "after": [v for _s, _k, v in run.after_items()]}


def gather(netns=None, parents=None):
    with NetlinkSession(netns) as session:
        facts = Facts(session)
        return [model.to_user(v) for n, v in sorted(facts.vlans.items()) if not parents or v["parent"] in parents]


def render_config(want, netns=None):
    declared = dict((w["name"], w) for w in want)
    ops = [{"op": "create", "entry": model.with_defaults(e, None), "depth": plan.depth(e, declared)}
           for e in want]
    ops.sort(key=lambda op: op["depth"])
    addrs = [{"op": "addr", "action": "add", "name": e["name"], "address": a}
             for e in want for a in (e["addresses"] or [])]
    return render.commands(ops + addrs, netns)
