# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VLAN engine: gather facts with one link and one address dump, plan, apply in batches."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import struct

from ansible_collections.aifabric.emulation.plugins.module_utils import errors, safety
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


def _management(facts):
    found = safety.management_ifindexes(facts.session)
    return set(l["name"] for l in facts.links if l["index"] in found)


def _encode(op, facts):
    if op["op"] == "delete":
        return rtnl.del_link_request(facts.index(op["name"]))
    if op["op"] == "addr":
        return rtnl.addr_request(op["action"], facts.index(op["name"]), op["address"])
    if op["op"] == "create":
        e = op["entry"]
        return vlan_codec.new_vlan_request(e["name"], facts.index(e["parent"]), e["id"], e["protocol"], e["flags"],
                                           e["egress"], e["ingress"], e["mtu"], e["up"] is not False)
    data = None
    if any(k in op for k in ("flags", "egress", "ingress")):
        data = vlan_codec.encode_data(flags=op.get("flags"), egress=op.get("egress"), ingress=op.get("ingress"))
    return rtnl.set_link_request(facts.index(op["name"]), op.get("up"), op.get("mtu"), "vlan", data)


def execute(facts, ops):
    """Run ops in dependency waves, each one batch; return failures [(op, text)]."""
    failures = []
    waves, current, key = [], [], None
    for op in ops:
        k = (op["op"], op.get("depth"))
        if k != key and current:
            waves.append(current)
            current = []
        key = k
        current.append(op)
    if current:
        waves.append(current)
    for wave in waves:
        for op in wave:
            try:
                facts.session.queue(*_encode(op, facts), tag=op)
            except (TypeError, KeyError, struct.error):
                failures.append((op, "device not found"))
        failures.extend((a.tag, _explain(a)) for a in facts.session.flush() if not a.ok)
        if failures:
            break
        if wave[0]["op"] in ("create", "delete"):
            facts.by_name = {}  # indexes changed: look them up afresh
    return failures


def _explain(ack):
    text = ack.text or os.strerror(ack.errno)
    if ack.errno == errno.EOPNOTSUPP and ack.tag["op"] == "create" and not os.path.exists("/sys/module/8021q"):
        text += "; the 8021q module is not available in kernel %s (modprobe 8021q)" % os.uname()[2]
    return text


def converge(want, state="merged", netns=None, check_mode=False, allow_management=False):
    """Converge one namespace. Returns the result dict (changed, before, after, commands)."""
    with NetlinkSession(netns) as session:
        facts = Facts(session)
        declared = dict((e["name"], e) for e in want)
        _check_parents(want, facts, declared, netns)
        parent_mtu = _parent_mtu_resolver(facts, declared)
        have = dict(facts.vlans)
        ops, after = plan.plan(want, have, state, parent_mtu)
        _check_mtus(after, parent_mtu, want)
        _check_parent_up(after, facts, want)
        if not allow_management:
            risky = set(op["name"] for op in ops if op["op"] == "delete" or op.get("up") is False)
            risky |= set(have).difference(after)
            if risky:
                mgmt = _management(facts) & risky
                if mgmt:
                    raise VlanError("config", "%s carries the default route or the Ansible connection; "
                                    "set allow_management: true to delete or down it" % ", ".join(sorted(mgmt)))
        scope = _scope(want, state, have, after)
        before = [model.to_user(have[n]) for n in sorted(have) if n in scope]
        result = {"changed": bool(ops), "commands": render.commands(ops, netns), "before": before,
                  "after": [model.to_user(after[n]) for n in sorted(after) if n in scope] if ops else before}
        if check_mode or not ops:
            return result
        failures = execute(facts, ops)
        if failures:
            _rollback(facts, have, scope, parent_mtu)
            op, text = failures[0]
            raise VlanError(None, "the kernel refused `%s` (%s); this run's changes were rolled back"
                            % (" ".join(render.command(op, netns)), text))
        facts.refresh()
        result["after"] = [model.to_user(facts.vlans[n]) for n in sorted(facts.vlans) if n in scope]
        return result


def _scope(want, state, have, after):
    """Names a result reports: the declared ones, plus what overridden removes."""
    names = set(e["name"] for e in want)
    if state == "overridden":
        parents = set(e["parent"] for e in want)
        names |= set(n for n, h in have.items() if h["parent"] in parents)
    return names


def _rollback(facts, have, scope, parent_mtu):
    try:
        facts.refresh()
        before = [dict(have[n]) for n in sorted(scope) if n in have]
        created = [n for n in facts.vlans if n in scope and n not in have]
        ops = [{"op": "delete", "name": n} for n in created]
        more, _after = plan.plan(before, dict((n, v) for n, v in facts.vlans.items() if n not in created),
                                 "replaced", parent_mtu)
        execute(facts, ops + more)
    except Exception:  # pylint: disable=broad-except
        pass


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
