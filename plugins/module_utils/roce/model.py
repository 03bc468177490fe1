# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RoCE settings: profiles, validation and the canonical desired state (pure).

Canonical desired state: a dict with any of pfc {enabled (sorted), delay},
ets {prio_tc[8], tsa[8], bandwidth[8]}, dscp_map {dscp: prio}, trust, ecn
{np, rp}, cnp {priority, dscp}, rdma_cm {tos, mode}, mtu, soft_roce, plus
roce_priority. Sections left out are not managed.

Every section must be a dict (dscp_map: DSCP -> priority), every list a list
and every number an integer, never a boolean: a wrong shape fails naming the
option (`pfc: [3]` is "pfc: expected a dict like {enabled: [3]}, got a list").
netdev must be a valid interface name, rdma_device and soft_roce.name valid
RDMA device names.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils import errors, validate

import copy

TSA = {"strict": 0, "cbs": 1, "ets": 2, "vendor": 255}
TSA_NAMES = dict((v, k) for k, v in TSA.items())
SECTIONS = ("pfc", "ets", "dscp_map", "trust", "ecn", "cnp", "rdma_cm", "mtu", "soft_roce")
EXAMPLES = {"pfc": "{enabled: [3]}", "ets": "{prio_tc: [...8], tsa: [...8], bandwidth: [...8]}",
            "dscp_map": "{26: 3}", "ecn": "{np: [3], rp: [3]}", "cnp": "{priority: 6, dscp: 48}",
            "rdma_cm": "{tos: 106, mode: RoCE v2}", "soft_roce": "{type: rxe, name: rxe0}"}
TRUST = ("dscp", "pcp")
RDMA_CM_MODES = ("RoCE v2", "IB/RoCE v1")
SOFT_ROCE_TYPES = ("rxe", "siw")
SOFT_ROCE_STATES = ("present", "absent")

# The common production RoCEv2 story: lossless priority 3 for DSCP 26 (TC 106
# with ECT(0)), DCQCN on priority 3, CNPs on strict priority 6 with DSCP 48.
PROFILES = {
    "lossless_prio3": {
        "roce_priority": 3,
        "pfc": {"enabled": [3], "delay": None},
        "ets": {"prio_tc": [0, 1, 2, 3, 4, 5, 6, 7],
                "tsa": ["ets", "ets", "ets", "ets", "ets", "ets", "strict", "ets"],
                "bandwidth": [10, 10, 10, 50, 10, 0, 0, 10]},
        "dscp_map": {26: 3, 48: 6},
        "trust": "dscp",
        "ecn": {"np": [3], "rp": [3]},
        "cnp": {"priority": 6, "dscp": 48},
        "rdma_cm": {"tos": 106, "mode": "RoCE v2"},
        "nccl_ib_tc": 106,
    },
}


ValidationError = errors.ValidationError


def _prio(value, path):
    value = validate.integer(value, path)
    if not 0 <= value <= 7:
        raise ValidationError(path, "priority %r is outside 0-7" % (value,))
    return value


def _dscp(value, path):
    value = validate.integer(value, path)
    if not 0 <= value <= 63:
        raise ValidationError(path, "DSCP %r is outside 0-63" % (value,))
    return value


def _list(section, key, path):
    """section[key], which must be a list; missing is an error too (the argspec requires these)."""
    if section.get(key) is None:
        raise ValidationError(path, "required")
    return validate.sequence(section[key], path)


def _check_names(params):
    if params.get("netdev") is not None:
        validate.ifname(params["netdev"], "netdev")
    if params.get("rdma_device") is not None:
        validate.rdma_name(params["rdma_device"], "rdma_device")
    if params.get("port") is not None:
        validate.integer(params["port"], "port", 1, 0xFFFFFFFF)


def normalize(params):
    """Desired state from module params: profile first, explicit fields override it."""
    validate.mapping(params, "params", "{netdev: eth0, pfc: {enabled: [3]}}")
    _check_names(params)
    want = {}
    if params.get("profile"):
        if params["profile"] not in PROFILES:
            raise ValidationError("profile", "%r is not one of %s" % (params["profile"], ", ".join(sorted(PROFILES))))
        want = copy.deepcopy(PROFILES[params["profile"]])
    for key in SECTIONS + ("roce_priority", "nccl_ib_tc"):
        if params.get(key) is not None:
            if key in EXAMPLES:
                validate.mapping(params[key], key, EXAMPLES[key])
            want[key] = copy.deepcopy(params[key])
    out = {}
    if want.get("roce_priority") is not None:
        out["roce_priority"] = _prio(want["roce_priority"], "roce_priority")
    if want.get("nccl_ib_tc") is not None:
        tc = validate.integer(want["nccl_ib_tc"], "nccl_ib_tc")
        if not 0 <= tc <= 255:
            raise ValidationError("nccl_ib_tc", "%d is outside 0-255 (it is the whole traffic-class byte)" % tc)
        out["nccl_ib_tc"] = tc
    if want.get("pfc") is not None:
        enabled = sorted(set(_prio(p, "pfc.enabled[%d]" % i)
                             for i, p in enumerate(_list(want["pfc"], "enabled", "pfc.enabled"))))
        delay = validate.optional_integer(want["pfc"].get("delay"), "pfc.delay")
        if delay is not None and not 0 <= delay <= 0xFFFF:
            raise ValidationError("pfc.delay", "%d is outside 0-65535 bit times" % delay)
        out["pfc"] = {"enabled": enabled, "delay": delay}
    if want.get("ets") is not None:
        out["ets"] = _ets(want["ets"])
    if want.get("dscp_map") is not None:
        out["dscp_map"] = {}
        for key, prio in want["dscp_map"].items():
            if isinstance(key, bool):
                raise ValidationError("dscp_map", "%r is not a DSCP number (%s)" % (key, validate.BOOLEAN_HINT))
            try:
                dscp = validate.integer(key, "dscp_map", text=True)
            except ValidationError:
                raise ValidationError("dscp_map", "%r is not a DSCP number" % (key,))
            out["dscp_map"][_dscp(dscp, "dscp_map")] = _prio(prio, "dscp_map[%s]" % key)
    if want.get("trust") is not None:
        out["trust"] = validate.choice(want["trust"], "trust", TRUST)
    if want.get("ecn") is not None:
        out["ecn"] = dict((k, sorted(set(_prio(p, "ecn.%s[%d]" % (k, i))
                                         for i, p in enumerate(_list(want["ecn"], k, "ecn." + k)))))
                          for k in ("np", "rp"))
    if want.get("cnp") is not None:
        cnp = want["cnp"]
        out["cnp"] = {"priority": None if cnp.get("priority") is None else _prio(cnp["priority"], "cnp.priority"),
                      "dscp": None if cnp.get("dscp") is None else _dscp(cnp["dscp"], "cnp.dscp")}
    if want.get("rdma_cm") is not None:
        tos = validate.optional_integer(want["rdma_cm"].get("tos"), "rdma_cm.tos")
        if tos is not None and not 0 <= tos <= 255:
            raise ValidationError("rdma_cm.tos", "%d is outside 0-255" % tos)
        mode = want["rdma_cm"].get("mode")
        if mode is not None:
            validate.choice(mode, "rdma_cm.mode", RDMA_CM_MODES)
        out["rdma_cm"] = {"tos": tos, "mode": mode}
    if want.get("mtu") is not None:
        mtu = validate.integer(want["mtu"], "mtu")
        if not 68 <= mtu <= 65535:
            raise ValidationError("mtu", "%d is outside 68-65535" % mtu)
        out["mtu"] = mtu
    if want.get("soft_roce") is not None:
        out["soft_roce"] = _soft_roce(want["soft_roce"])
    return out


def _soft_roce(sr):
    if sr.get("type") is not None:
        validate.choice(sr["type"], "soft_roce.type", SOFT_ROCE_TYPES)
    if sr.get("state") is not None:
        validate.choice(sr["state"], "soft_roce.state", SOFT_ROCE_STATES)
    if sr.get("name") is not None:
        validate.rdma_name(sr["name"], "soft_roce.name")
    return dict(sr)


def _ets(ets):
    prio_tc, tsa, bw = (_list(ets, key, "ets." + key) for key in ("prio_tc", "tsa", "bandwidth"))
    for name, values in (("prio_tc", prio_tc), ("tsa", tsa), ("bandwidth", bw)):
        if len(values) != 8:
            raise ValidationError("ets.%s" % name, "needs 8 values (one per priority or traffic class), got %d"
                                  % len(values))
    for i, tc in enumerate(prio_tc):
        tc = validate.integer(tc, "ets.prio_tc[%d]" % i)
        if not 0 <= tc <= 7:
            raise ValidationError("ets.prio_tc[%d]" % i, "traffic class %d is outside 0-7" % tc)
    for i, t in enumerate(tsa):
        if not isinstance(t, str) or t not in TSA:
            raise ValidationError("ets.tsa[%d]" % i, "%r is not one of %s" % (t, ", ".join(sorted(TSA))))
    for i, b in enumerate(bw):
        b = validate.integer(b, "ets.bandwidth[%d]" % i)
        if not 0 <= b <= 100:
            raise ValidationError("ets.bandwidth[%d]" % i, "%d%% is outside 0-100" % b)
        if tsa[i] != "ets" and b:
            raise ValidationError("ets.bandwidth[%d]" % i, "traffic class %d is %s, so its share must be 0" % (i, tsa[i]))
    if any(t == "ets" for t in tsa) and sum(bw) != 100:
        raise ValidationError("ets.bandwidth", "ETS shares sum to %d, not 100" % sum(bw))
    return {"prio_tc": list(prio_tc), "tsa": list(tsa), "bandwidth": list(bw)}
