# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-flight: does the host tell one consistent lossless-RoCE story? (pure)

Input is the facts dict of core.gather(); every disagreement becomes
{"check", "expected", "actual", "message"}. Also derives the NCCL
environment that matches the host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DEFAULT_ROCE_DSCP = 26
ECT0 = 2


def roce_dscp(facts, expect):
    if expect.get("nccl_ib_tc") is not None:
        return expect["nccl_ib_tc"] >> 2
    tos = (facts.get("rdma_cm") or {}).get("tos")
    return tos >> 2 if tos else DEFAULT_ROCE_DSCP


def roce_priority(facts, expect):
    if expect.get("roce_priority") is not None:
        return expect["roce_priority"]
    mapped = (facts.get("dscp_map") or {}).get(roce_dscp(facts, expect))
    return 3 if mapped is None else mapped


def _issue(check, expected, actual, message):
    return {"check": check, "expected": expected, "actual": actual, "message": message}


def check(facts, expect):
    """Every disagreement between the pieces of the RoCE story."""
    prio, dscp = roce_priority(facts, expect), roce_dscp(facts, expect)
    out = []
    unsupported = facts.get("dcb", {}).get("reason")
    pfc = facts.get("pfc")
    if pfc is None:
        out.append(_issue("pfc", [prio], None, "PFC state cannot be read (%s)" % (unsupported or "unknown")))
    elif prio not in pfc["enabled"]:
        out.append(_issue("pfc", [prio], pfc["enabled"], "PFC is off for RoCE priority %d (PFC on: %s)"
                          % (prio, pfc["enabled"] or "none")))
    dmap = facts.get("dscp_map")
    if dmap is None:
        out.append(_issue("dscp_map", {dscp: prio}, None, "the DSCP map cannot be read (%s)" % (unsupported or "unknown")))
    elif dmap.get(dscp) != prio:
        out.append(_issue("dscp_map", {dscp: prio}, {dscp: dmap.get(dscp)},
                          "DSCP %d maps to priority %s, not the RoCE priority %d" % (dscp, dmap.get(dscp), prio)))
    if facts.get("trust") != "dscp":
        out.append(_issue("trust", "dscp", facts.get("trust"), "trust is %s, not dscp: DSCP marks are ignored"
                          % (facts.get("trust") or "unknown")))
    ets = facts.get("ets")
    if ets is None:
        out.append(_issue("ets", "a class for priority %d" % prio, None, "ETS cannot be read (%s)"
                          % (unsupported or "unknown")))
    else:
        tc = ets["prio_tc"][prio]
        if ets["tsa"][tc] == "ets" and ets["bandwidth"][tc] == 0:
            out.append(_issue("ets", "bandwidth > 0 for tc %d" % tc, 0,
                              "priority %d is in traffic class %d, which has no ETS bandwidth" % (prio, tc)))
    ecn = facts.get("ecn")
    if ecn is None:
        out.append(_issue("ecn", {"np": [prio], "rp": [prio]}, None, "ECN/DCQCN knobs are not exposed by this NIC"))
    else:
        for side in ("np", "rp"):
            if prio not in ecn[side]:
                out.append(_issue("ecn", {side: [prio]}, {side: ecn[side]}, "DCQCN roce_%s is off for priority %d"
                                  % (side, prio)))
    cnp = facts.get("cnp") or {}
    if cnp.get("priority") is not None:
        if cnp["priority"] == prio:
            out.append(_issue("cnp", "a priority other than %d" % prio, cnp["priority"],
                              "CNPs go out on the lossless RoCE priority %d; give them their own" % prio))
        if cnp.get("dscp") is not None and dmap is not None and dmap.get(cnp["dscp"]) != cnp["priority"]:
            out.append(_issue("cnp", {cnp["dscp"]: cnp["priority"]}, {cnp["dscp"]: dmap.get(cnp["dscp"])},
                              "CNP DSCP %d maps to priority %s, not the CNP priority %d"
                              % (cnp["dscp"], dmap.get(cnp["dscp"]), cnp["priority"])))
    cm = facts.get("rdma_cm")
    if cm is not None:
        if cm.get("tos") is not None and cm["tos"] >> 2 != dscp:
            out.append(_issue("rdma_cm", dscp, cm["tos"] >> 2, "RDMA-CM default ToS %d carries DSCP %d, not %d"
                              % (cm["tos"], cm["tos"] >> 2, dscp)))
        if cm.get("mode") not in (None, "RoCE v2"):
            out.append(_issue("rdma_cm", "RoCE v2", cm["mode"], "RDMA-CM default mode is %s, not RoCE v2" % cm["mode"]))
    tc_byte = expect.get("nccl_ib_tc")
    if tc_byte is not None:
        if dmap is not None and dmap.get(tc_byte >> 2) != prio:
            out.append(_issue("nccl_ib_tc", prio, (dmap or {}).get(tc_byte >> 2),
                              "NCCL_IB_TC=%d is DSCP %d, which maps to priority %s, not %d"
                              % (tc_byte, tc_byte >> 2, dmap.get(tc_byte >> 2), prio)))
        if tc_byte & 3 == 0:
            out.append(_issue("nccl_ib_tc", "ECT(0) or ECT(1)", "not-ECT",
                              "NCCL_IB_TC=%d is not ECN-capable, so DCQCN cannot mark it (use %d)"
                              % (tc_byte, tc_byte | ECT0)))
    return out


def nccl_env(facts, expect):
    """The NCCL environment that matches this host."""
    dscp = roce_dscp(facts, expect)
    env = {"NCCL_IB_TC": str(expect.get("nccl_ib_tc", (dscp << 2) | ECT0)),
           "NCCL_SOCKET_IFNAME": facts["netdev"]}
    if facts.get("rdma_device"):
        env["NCCL_IB_HCA"] = "%s:%d" % (facts["rdma_device"], facts.get("port", 1))
    v2 = [g for g in facts.get("gids") or [] if g["type"] == "RoCE v2" and g.get("netdev") == facts["netdev"]]
    v2.sort(key=lambda g: (not g["gid"].startswith("0000:0000:0000:0000:0000:ffff:"), g["index"]))
    if v2:
        env["NCCL_IB_GID_INDEX"] = str(v2[0]["index"])
    return env
