# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue for aifabric.emulation.roce."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import core, model, preflight, render

SETTINGS = ("mtu", "pfc", "ets", "dscp_map", "trust", "ecn", "cnp", "rdma_cm", "soft_roce")
SOFT_ROCE_NOTE = ("soft-RoCE (rxe/siw) has no PFC and no DCQCN, and on kernels before 2026 it works only in the "
                  "initial network namespace; netem does impair its traffic (UDP 4791)")


def settings(facts):
    """The settings part of the facts, in the module's option names."""
    out = dict((k, facts.get(k)) for k in SETTINGS)
    if out["dscp_map"] is not None:
        out["dscp_map"] = dict((str(k), v) for k, v in sorted(out["dscp_map"].items()))
    return out


def public(facts):
    return dict((k, v) for k, v in facts.items() if not k.startswith("_"))


def _empty_facts(p, want):
    dev = p["rdma_device"] or (want.get("soft_roce") or {}).get("name") or "RDMA_DEVICE"
    return {"netdev": p["netdev"], "mtu": None, "kind": None, "port": p["port"], "driver": None,
            "dcb": {"supported": True, "reason": None}, "pfc": None, "ets": None, "dscp_map": {}, "apptrust": [],
            "_raw": None, "ecn": {"np": [], "rp": []}, "cnp": {}, "trust": None, "trust_source": None,
            "rdma_device": dev, "rdma_cm": None, "gids": [], "counters": {}, "soft_roce": []}


def run_module(module):
    p = module.params
    warnings = []
    try:
        want = model.normalize(p)
        if want.get("soft_roce"):
            warnings.append(SOFT_ROCE_NOTE)
        if p["state"] == "rendered":
            ops = core.plan(want, _empty_facts(p, want), "merged", p["sysfs_root"])
            module.exit_json(changed=False, rendered=render.commands(ops), warnings=warnings)
        if p["state"] == "gathered":
            if not p["netdev"]:
                module.fail_json(msg="netdev: gathered needs the netdev to describe", param="netdev")
            facts = core.gather(p["netdev"], p["rdma_device"], p["port"], p["sysfs_root"])
            module.exit_json(changed=False, gathered=public(facts))
        facts = core.gather(p["netdev"], p["rdma_device"], p["port"], p["sysfs_root"])
        if p["state"] == "validated":
            issues = preflight.check(facts, want)
            env = preflight.nccl_env(facts, want)
            result = dict(changed=False, consistent=not issues, disagreements=issues, nccl_env=env,
                          roce_priority=preflight.roce_priority(facts, want), facts=public(facts))
            if issues and p["fail_on_inconsistency"]:
                module.fail_json(msg="RoCE settings of %s disagree: %s" % (
                    p["netdev"], "; ".join(i["message"] for i in issues)), **result)
            module.exit_json(msg="RoCE settings of %s are consistent" % p["netdev"] if not issues else
                             "; ".join(i["message"] for i in issues), **result)
        ops = core.plan(want, facts, p["state"], p["sysfs_root"])
        result = {"changed": bool(ops), "commands": render.commands(ops), "before": settings(facts),
                  "warnings": warnings}
        if ops and not module.check_mode:
            core.apply(ops, p["netdev"])
            facts = core.gather(p["netdev"], p["rdma_device"], p["port"], p["sysfs_root"])
        result["after"] = settings(facts) if not module.check_mode or not ops else _predicted(facts, want)
    except errors.HANDLED as e:
        errors.fail(module, e)
    if module._diff:
        result["diff"] = {"before": result["before"], "after": result["after"]}
    module.exit_json(**result)


def _predicted(facts, want):
    out = settings(facts)
    for key in SETTINGS:
        if key in want and key != "soft_roce":
            out[key] = want[key] if key != "dscp_map" else dict((str(k), v) for k, v in sorted(want[key].items()))
    return out
