# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planner: from the rules we have and the rules we want, the kernel operations.

Everything the collection creates is recognisable by its handles, so it never
touches what it did not create:
  * one rule without match      -> root netem, handle fab0:
  * otherwise                   -> root prio fab0: (band 0 = unmatched traffic)
                                   netem leaf fab<1+k>: under class fab0:<1+k>
                                   u32 filters on fab0:, pref 10+2k (v4) / 11+2k (v6)
  * ingress                     -> the same tree on an IFB device, fed by a u32
                                   mirred redirect (pref 0xfab0) on the ingress hook
Operations are plain dicts; the executor encodes them, render.py prints them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model

ROOT_MAJOR = 0xFAB0
ROOT_HANDLE = ROOT_MAJOR << 16
TC_H_ROOT = 0xFFFFFFFF
INGRESS_PARENT = 0xFFFFFFF2
INGRESS_HANDLE = 0xFFFF0000
REDIRECT_PREF = 0xFAB0
FILTER_PREF_BASE = 10
ETH_P_ALL, ETH_P_IP, ETH_P_IPV6 = 0x0003, 0x0800, 0x86DD
IFB_ALIAS_PREFIX = "aifabric.emulation netem ingress of "


def class_id(band):
    return ROOT_HANDLE | (band + 1)


def leaf_handle(band):
    return (ROOT_MAJOR + band + 1) << 16


def filter_prefs(band):
    return {ETH_P_IP: FILTER_PREF_BASE + 2 * band, ETH_P_IPV6: FILTER_PREF_BASE + 2 * band + 1}


def ifb_name(dev, ifindex):
    name = "ifb-" + dev
    return name if len(name) <= 15 else "ifb-i%s" % ifindex


def ifb_alias(dev, created_hook):
    return "%s%s; hook=%s" % (IFB_ALIAS_PREFIX, dev, "created" if created_hook else "existing")


def layout(rules):
    """(mode, bands, [(band, rule)]) for an ordered list of canonical rules."""
    if not rules:
        return None, 0, []
    if len(rules) == 1 and rules[0]["match"] is None:
        return "netem", 0, [(0, rules[0])]
    default = [r for r in rules if r["match"] is None]
    matched = [r for r in rules if r["match"] is not None]
    placed = [(0, r) for r in default] + [(k + 1, r) for k, r in enumerate(matched)]
    return "prio", 1 + len(matched), placed


# ----------------------------------------------------------- u32 keys --


def match_filters(match):
    """[(protocol, keys)] for a rule's match: dst x src x dscp, per family."""
    out = []
    dsts = [ipaddress.ip_network(n) for n in match["dst"]]
    srcs = [ipaddress.ip_network(n) for n in match["src"]]
    for fam, proto in ((4, ETH_P_IP), (6, ETH_P_IPV6)):
        fdst = [n for n in dsts if n.version == fam]
        fsrc = [n for n in srcs if n.version == fam]
        if (dsts and not fdst) or (srcs and not fsrc):
            continue
        for d in fdst or [None]:
            for s in fsrc or [None]:
                for code in match["dscp"] or [None]:
                    out.append((proto, _keys(fam, d, s, code)))
    return out


def _keys(fam, dst, src, dscp):
    keys = []
    if dscp is not None:
        keys.append((0x00FC0000, dscp << 18, 0) if fam == 4 else (0x0FC00000, dscp << 22, 0))
    for net, off in ((src, 12 if fam == 4 else 8), (dst, 16 if fam == 4 else 24)):
        if net is None or net.prefixlen == 0:
            continue
        addr, mask = int(net.network_address), int(net.netmask)
        words = 1 if fam == 4 else 4
        for w in range(words):
            shift = 32 * (words - 1 - w)
            m = (mask >> shift) & 0xFFFFFFFF
            if m:
                keys.append((m, (addr >> shift) & 0xFFFFFFFF, off + 4 * w))
    return keys


def keys_to_match(protocol, keys):
    """Inverse of _keys: (dst, src, dscp) with None where absent."""
    fam = 4 if protocol == ETH_P_IP else 6
    dscp, parts = None, {"src": {}, "dst": {}}
    base = {"src": 12 if fam == 4 else 8, "dst": 16 if fam == 4 else 24}
    for mask, val, off in keys:
        if off == 0:
            dscp = (val >> 18) & 0x3F if fam == 4 else (val >> 22) & 0x3F
            continue
        for side in ("src", "dst"):
            word = (off - base[side]) // 4
            if 0 <= word < (1 if fam == 4 else 4) and (off - base[side]) % 4 == 0:
                parts[side][word] = (mask, val)
    out = []
    for side in ("dst", "src"):
        if not parts[side]:
            out.append(None)
            continue
        words = 1 if fam == 4 else 4
        addr = mask = 0
        for w in range(words):
            m, v = parts[side].get(w, (0, 0))
            addr, mask = (addr << 32) | v, (mask << 32) | m
        prefix = bin(mask).count("1")
        cls = ipaddress.IPv4Network if fam == 4 else ipaddress.IPv6Network
        out.append(str(cls((addr, prefix))))
    return out[0], out[1], dscp


# ---------------------------------------------------------------- plan --


def plan_tree(dev, have, want):
    """Ops that turn the tree on `dev` from `have` rules into `want` rules.

    have/want: ordered canonical rules; have rules carry "_prefs" (the filter
    prefs seen in the kernel) and "_recreate" (a table we cannot see).
    """
    hmode, hbands, hplaced = layout(have)
    wmode, wbands, wplaced = layout(want)
    if (hmode, hbands) != (wmode, wbands):
        ops = []
        if hmode:
            ops.append(_qdisc("delete", dev, TC_H_ROOT, ROOT_HANDLE, hmode))
        return ops + build_tree(dev, want)
    if wmode is None:
        return []
    if wmode == "netem":
        return _netem_ops(dev, TC_H_ROOT, ROOT_HANDLE, hplaced[0][1], wplaced[0][1])
    ops = []
    hby, wby = dict(hplaced), dict(wplaced)
    for band in range(wbands):
        h, w = hby.get(band), wby.get(band)
        if h is not None and (w is None or h["match"] != w["match"]):
            for proto, pref in sorted(h.get("_prefs", {}).items()):
                ops.append(_filter_delete(dev, pref, proto))
        if w is None:
            if h is not None:
                ops.append(_qdisc("delete", dev, class_id(band), leaf_handle(band), "netem"))
            continue
        ops.extend(_netem_ops(dev, class_id(band), leaf_handle(band), h, w))
        if w["match"] is not None and (h is None or h["match"] != w["match"]):
            ops.extend(_filter_adds(dev, band, w["match"]))
    return ops


def build_tree(dev, rules):
    mode, bands, placed = layout(rules)
    if mode is None:
        return []
    if mode == "netem":
        return [_qdisc("add", dev, TC_H_ROOT, ROOT_HANDLE, "netem", rule=placed[0][1])]
    ops = [_qdisc("add", dev, TC_H_ROOT, ROOT_HANDLE, "prio", bands=bands)]
    for band, rule in placed:
        ops.append(_qdisc("add", dev, class_id(band), leaf_handle(band), "netem", rule=rule))
    for band, rule in placed:
        if rule["match"] is not None:
            ops.extend(_filter_adds(dev, band, rule["match"]))
    return ops


def _netem_ops(dev, parent, handle, have, want):
    if have is not None and model.same_netem(want, have):
        return []
    if have is None:
        return [_qdisc("add", dev, parent, handle, "netem", rule=want)]
    # A change keeps the old distribution table unless a new one is sent, so a
    # table that must go (or that we cannot see) means delete and add.
    drop_table = (have["delay_dist"] is not None and want["delay_dist"] is None) or \
        (have["slot_dist"] is not None and want["slot_dist"] is None)
    if drop_table:
        return [_qdisc("delete", dev, parent, handle, "netem"), _qdisc("add", dev, parent, handle, "netem", rule=want)]
    return [_qdisc("replace", dev, parent, handle, "netem", rule=want)]


def _qdisc(action, dev, parent, handle, kind, rule=None, bands=None):
    op = {"op": "qdisc", "action": action, "dev": dev, "parent": parent, "handle": handle, "kind": kind}
    if rule is not None:
        op["rule"] = rule
    if bands is not None:
        op["bands"] = bands
    return op


def _filter_adds(dev, band, match):
    prefs = filter_prefs(band)
    return [{"op": "filter", "action": "add", "dev": dev, "parent": ROOT_HANDLE, "pref": prefs[proto],
             "protocol": proto, "keys": keys, "classid": class_id(band)}
            for proto, keys in match_filters(match)]


def _filter_delete(dev, pref, proto, parent=ROOT_HANDLE):
    return {"op": "filter", "action": "delete", "dev": dev, "parent": parent, "pref": pref, "protocol": proto}


# -------------------------------------------------------------- ingress --


def plan_ingress_hook(dev, hook, want_rules, ifb):
    """Ops for the IFB device and the redirect; hook describes what exists.

    hook: {"ifb": name or None, "redirect": bool, "ingress_qdisc": None |
    "ours" | "foreign", "other_filters": bool}
    Returns (ops_before_tree, ops_after_tree).
    """
    before, after = [], []
    if want_rules:
        if not hook["ifb"]:
            before.append({"op": "link", "action": "add", "dev": ifb, "kind": "ifb",
                           "alias": ifb_alias(dev, hook["ingress_qdisc"] is None)})
        if hook["ingress_qdisc"] is None:
            before.append(_qdisc("add", dev, 0xFFFFFFF1, INGRESS_HANDLE, "ingress"))
        if not hook["redirect"]:
            after.append({"op": "filter", "action": "add", "dev": dev, "parent": INGRESS_PARENT,
                          "pref": REDIRECT_PREF, "protocol": ETH_P_ALL, "keys": [(0, 0, 0)],
                          "redirect": hook["ifb"] or ifb})
        return before, after
    if hook["redirect"]:
        before.append(_filter_delete(dev, REDIRECT_PREF, ETH_P_ALL, INGRESS_PARENT))
    if hook["ifb"]:
        before.append({"op": "link", "action": "delete", "dev": hook["ifb"]})
    if hook["ingress_qdisc"] == "ours" and not hook["other_filters"]:
        before.append(_qdisc("delete", dev, 0xFFFFFFF1, INGRESS_HANDLE, "ingress"))
    return before, after
