# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `tc` / `ip` command lines equivalent to planned operations."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils.engine import quote
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import plan, units

U32_MAX = units.U32_MAX
_PROTO = {plan.ETH_P_ALL: "all", plan.ETH_P_IP: "ip", plan.ETH_P_IPV6: "ipv6"}


def handle(value):
    if value == plan.TC_H_ROOT:
        return "root"
    major, minor = value >> 16, value & 0xFFFF
    return "%x:%s" % (major, ("%x" % minor) if minor else "")


def netem_args(rule):
    return _cached(rule)[0]


def _cached(rule):
    """(args, quoted text) of a rule's netem options, memoised per rule object:
    a bulk run renders one rule object for many interfaces."""
    hit = _ARGS_CACHE.get(id(rule))
    if hit is None or hit[0] is not rule:
        if len(_ARGS_CACHE) > 4096:
            _ARGS_CACHE.clear()
        args = _netem_args(rule)
        hit = _ARGS_CACHE[id(rule)] = (rule, args, quote.join(args))
    return hit[1], hit[2]


def _netem_args(rule):
    p, pct = rule["netem"], units.format_percent
    args = ["limit", str(p["limit"])]
    if p["latency"] or p["jitter"]:
        args += ["delay", units.format_time(p["latency"])]
        if p["jitter"]:
            args.append(units.format_time(p["jitter"]))
            if p["delay_corr"]:
                args.append(pct(p["delay_corr"]))
            dist = rule.get("delay_dist")
            if isinstance(dist, dict):
                args += ["distribution", dist.get("file") or dist["id"]]
    if p["gemodel"]:
        gp, gr, gh, gk = p["gemodel"]
        args += ["loss", "gemodel", pct(gp), pct(gr), pct(U32_MAX - gh), pct(gk)]
    elif p["gimodel"]:
        p13, p31, p32, p14, p23 = p["gimodel"]
        args += ["loss", "state", pct(p13), pct(p31), pct(p32), pct(p23), pct(p14)]
    elif p["loss"]:
        args += ["loss", "random", pct(p["loss"])] + ([pct(p["loss_corr"])] if p["loss_corr"] else [])
    if p["ecn"]:
        args.append("ecn")
    for key, corr in (("duplicate", "dup_corr"), ("corrupt", "corrupt_corr"), ("reorder", "reorder_corr")):
        if p[key]:
            args += [key, pct(p[key])] + ([pct(p[corr])] if p[corr] else [])
    if p["reorder"]:
        args += ["gap", str(p["gap"])]
    if p["rate"]:
        args += ["rate", units.format_rate(p["rate"])]
        if p["packet_overhead"] or p["cell_size"] or p["cell_overhead"]:
            args += [str(p["packet_overhead"]), str(p["cell_size"]), str(p["cell_overhead"])]
    if p["slot"]:
        low, high, packets, size, sdelay, sjitter = p["slot"]
        if sjitter:
            dist = rule.get("slot_dist")
            name = (dist.get("file") or dist["id"]) if isinstance(dist, dict) else "uniform"
            args += ["slot", "distribution", name, units.format_time(sdelay), units.format_time(sjitter)]
        else:
            args += ["slot", units.format_time(low), units.format_time(high)]
        if packets:
            args += ["packets", str(packets)]
        if size:
            args += ["bytes", str(size)]
    if p["seed"] is not None:
        args += ["seed", str(p["seed"])]
    return args


def _u32_match(protocol, keys):
    if keys == [(0, 0, 0)]:
        return ["match", "u32", "0", "0"]
    out = []
    for mask, val, off in keys:
        out += ["match", "u32", "0x%08x" % val, "0x%08x" % mask, "at", str(off)]
    return out


def command(op, netns=None):
    """One op as an argv list."""
    ns = ["-n", netns] if netns else []
    dev = op["dev"]
    if op["op"] == "link":
        if op["action"] == "add":
            return ["ip"] + ns + ["link", "add", dev, "type", op["kind"]]
        return ["ip"] + ns + ["link", "del", dev]
    if op["op"] == "qdisc":
        where = ["root"] if op["parent"] == plan.TC_H_ROOT else (
            ["ingress"] if op["kind"] == "ingress" else ["parent", handle(op["parent"])])
        line = ["tc"] + ns + ["qdisc", {"add": "add", "replace": "replace", "delete": "del"}[op["action"]],
                              "dev", dev] + where
        if op["kind"] != "ingress":
            line += ["handle", handle(op["handle"])]
        if op["action"] == "delete":
            return line
        if op["kind"] == "netem":
            return line + ["netem"] + netem_args(op["rule"])
        if op["kind"] == "prio":
            return line + ["prio", "bands", str(op["bands"]), "priomap"] + ["0"] * 16
        return line
    parent = "ffff:fff2" if op["parent"] == plan.INGRESS_PARENT else handle(op["parent"])
    line = ["tc"] + ns + ["filter", "add" if op["action"] == "add" else "del", "dev", dev, "parent", parent,
                          "protocol", _PROTO[op["protocol"]], "pref", str(op["pref"])]
    if op["action"] == "delete":
        return line
    line += ["u32"] + _u32_match(op["protocol"], op["keys"])
    if op.get("redirect"):
        return line + ["action", "mirred", "egress", "redirect", "dev", op["redirect"]]
    return line + ["flowid", handle(op["classid"])]


def commands(ops, netns=None):
    lines = []
    for op in ops:
        if op["op"] == "qdisc" and op["kind"] == "netem" and op["action"] != "delete":
            head = command(dict(op, kind="none"), netns)
            lines.append(quote.join(head) + " netem " + _cached(op["rule"])[1])
            continue
        lines.append(quote.join(command(op, netns)))
        if op["op"] == "link" and op["action"] == "add":
            argv = ["ip"] + (["-n", netns] if netns else []) + ["link", "set", op["dev"], "alias", op["alias"], "up"]
            lines.append(quote.join(argv))
    return lines


_ARGS_CACHE = {}
