# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planner: declared VLAN entries + kernel facts + state -> ordered operations (pure).

Operations (plain dicts), in the order they must run:
  delete  {name}                        only the topmost: the kernel removes VLANs stacked on it
  create  {entry, depth}                parents before children (QinQ)
  modify  {name, mtu?, up?, flags?, egress?, ingress?}
  addr    {name, action add|delete, address}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import model


def same_identity(a, b):
    """Same parent, id and protocol: the kernel can change everything else in place."""
    return a["id"] == b["id"] and a["parent"] == b["parent"] and a["protocol"] == b["protocol"]


def plan(want, have, state, parent_mtu):
    """(ops, after) for canonical `want`, facts `have` (name -> entry) and the state.

    parent_mtu(entry) gives the MTU a VLAN inherits when none is declared.
    """
    names = dict((e["name"], e) for e in want)
    deleting = set()
    if state == "deleted":
        deleting = set(n for n in names if n in have)
    elif state == "overridden":
        managed = set(e["parent"] for e in want)
        deleting = set(n for n, h in have.items() if h["parent"] in managed and n not in names)
    targets = {}
    if state != "deleted":
        for e in want:
            h = have.get(e["name"])
            if state == "merged" and h is not None and same_identity(h, e):
                targets[e["name"]] = h if model.merged_leaves_alone(e, h) else model.merged_into(e, h)
            else:
                targets[e["name"]] = model.with_defaults(e, parent_mtu(e))
                if h is not None and not same_identity(h, e):
                    deleting.add(e["name"])
    gone = _closure(deleting, have)
    after_all = dict(have)
    after_all.update(targets)
    ops = [{"op": "delete", "name": n} for n in sorted(deleting) if not _parent_in(have[n], gone - {n}, have)]
    creates, modifies, addrs = [], [], []
    for name, t in targets.items():
        h = have.get(name)
        if t is h and name not in gone:
            continue
        if h is None or name in gone:
            creates.append({"op": "create", "entry": t, "depth": depth(t, names)})
            addrs.extend({"op": "addr", "action": "add", "name": name, "address": a} for a in t["addresses"])
            continue
        change = _modify(t, h)
        if change:
            change["depth"] = depth(t, after_all)
            modifies.append(change)
        for a in t["addresses"]:
            if a not in h["addresses"]:
                addrs.append({"op": "addr", "action": "add", "name": name, "address": a})
        for a in h["addresses"]:
            if a not in t["addresses"]:
                addrs.append({"op": "addr", "action": "delete", "name": name, "address": a})
    # parents before children: an MTU is raised on the parent first, and a child is created on it after
    links = sorted(modifies + creates, key=lambda op: (op["depth"], op["op"] == "create",
                                                       op.get("name") or op["entry"]["name"]))
    after = dict((n, h) for n, h in have.items() if n not in gone)
    after.update(targets)
    return ops + links + addrs, after


def _modify(t, h):
    change = {}
    if t["mtu"] is not None and t["mtu"] != h["mtu"]:
        change["mtu"] = t["mtu"]
    if t["up"] != h["up"]:
        change["up"] = t["up"]
    if t["flags"] != h["flags"]:
        change["flags"] = t["flags"]
    for key in ("egress", "ingress"):
        if t[key] != h[key]:
            diff = dict((k, 0) for k in h[key] if k not in t[key])
            diff.update((k, v) for k, v in t[key].items() if h[key].get(k) != v)
            change[key] = diff
    if change:
        change.update(op="modify", name=t["name"])
    return change


def _closure(deleting, have):
    gone = set(deleting)
    grew = True
    while grew:
        grew = False
        for name, h in have.items():
            if name not in gone and h["parent"] in gone:
                gone.add(name)
                grew = True
    return gone


def _parent_in(entry, names, have):
    parent = entry["parent"]
    while parent in have:
        if parent in names:
            return True
        parent = have[parent]["parent"]
    return False


def depth(entry, declared):
    """How many declared VLANs lie below this one (QinQ)."""
    depth, parent = 0, entry["parent"]
    while parent in declared:
        depth += 1
        parent = declared[parent]["parent"]
    return depth
