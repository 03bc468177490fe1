# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue for aifabric.emulation.roce."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils.engine import module as runner
from ansible_collections.aifabric.emulation.plugins.module_utils.engine.resource import canonical_state
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import core, model, preflight, render

SOFT_ROCE_NOTE = ("soft-RoCE (rxe/siw) has no PFC and no DCQCN, and on kernels before 2026 it works only in the "
                  "initial network namespace; netem does impair its traffic (UDP 4791)")

settings = core.settings


def public(facts):
    return dict((k, v) for k, v in facts.items() if not k.startswith("_"))


def _empty_facts(p, want):
    dev = p["rdma_device"] or (want.get("soft_roce") or {}).get("name") or "RDMA_DEVICE"
    return {"netdev": p["netdev"], "mtu": None, "kind": None, "port": p["port"], "driver": None,
            "dcb": {"supported": True, "reason": None}, "pfc": None, "ets": None, "dscp_map": {}, "apptrust": [],
            "_raw": None, "ecn": {"np": [], "rp": []}, "cnp": {}, "trust": None, "trust_source": None,
            "rdma_device": dev, "rdma_cm": None, "gids": [], "counters": {}, "soft_roce": []}


def _validated(p, want, facts):
    issues = preflight.check(facts, want)
    result = dict(changed=False, consistent=not issues, disagreements=issues, nccl_env=preflight.nccl_env(facts, want),
                  roce_priority=preflight.roce_priority(facts, want), facts=public(facts))
    text = "; ".join(i["message"] for i in issues)
    if issues and p["fail_on_inconsistency"]:
        raise Inconsistent("RoCE settings of %s disagree: %s" % (p["netdev"], text), result)
    result["msg"] = text if issues else "RoCE settings of %s are consistent" % p["netdev"]
    return result


class Inconsistent(Exception):
    def __init__(self, msg, result):
        Exception.__init__(self, msg)
        self.msg, self.result = msg, result


def run_module(module):
    p = module.params
    netns = p.get("netns")

    def body():
        state = canonical_state(p["state"])
        want = model.normalize(p)
        warnings = [SOFT_ROCE_NOTE] if want.get("soft_roce") else []
        if state == "rendered":
            ops = core.plan(want, _empty_facts(p, want), "merged", p["sysfs_root"])
            return {"changed": False, "rendered": render.commands(ops), "warnings": warnings}
        if state in ("gathered", "validated"):
            facts = core.gather(p["netdev"], p["rdma_device"], p["port"], p["sysfs_root"], netns)
            if state == "gathered":
                return {"changed": False, "gathered": public(facts), "warnings": warnings}
            return _validated(p, want, facts)
        res = core.RoceResource(p["netdev"], p["rdma_device"], p["port"], p["sysfs_root"], netns, state=state,
                                check_mode=module.check_mode, allow_management=p.get("allow_management", False))
        run = res.converge([want])
        scope = run.scopes[0]
        before, after = scope.before, run.after[id(scope)]
        return {"changed": run.changed, "commands": run.commands, "before": before, "after": after,
                "warnings": warnings, "diff_before": before, "diff_after": after}

    try:
        runner.run(module, body)
    except Inconsistent as e:
        module.fail_json(msg=e.msg, **e.result)
