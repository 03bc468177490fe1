# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One entry point for every workload type: run(params, check_mode) -> the result (metrics.KEYS)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils.workload import model
from ansible_collections.aifabric.emulation.plugins.module_utils.workload import ranks as ranks_mod
from ansible_collections.aifabric.emulation.plugins.module_utils.workload import runner

NEEDS_RANKS = ("allreduce", "iperf3", "ib_write_bw", "ib_send_lat")


def resolve_ranks(job):
    if job["fabric"] is not None:
        return ranks_mod.from_fabric(job["fabric"])
    if job["ranks"] is not None:
        return ranks_mod.from_options(job["ranks"])
    return None


def run(params, check_mode=False):
    """Check the options, find the ranks (read-only), then run the workload (check mode: only say what would run)."""
    job = model.normalize(params)
    kind = job["type"]
    ranks = resolve_ranks(job)
    if kind in NEEDS_RANKS and not ranks:
        from ansible_collections.aifabric.emulation.plugins.module_utils import errors
        raise errors.ValidationError("fabric", "type %s needs ranks: give fabric (a staged fabric's name) or ranks"
                                     % kind)
    reaped = None if check_mode else runner.kill_orphans()
    if job["repeats"] == 1 or check_mode:
        out = run_once(job, ranks, check_mode)
    else:
        out = run_repeats(job, ranks)
    out["changed"] = False
    if reaped:
        out.setdefault("warnings", []).append(reaped)
    return out


def run_once(job, ranks, check_mode=False):
    kind = job["type"]
    if kind == "allreduce":
        from ansible_collections.aifabric.emulation.plugins.module_utils.workload import allreduce
        return allreduce.run(job, ranks, check_mode)
    from ansible_collections.aifabric.emulation.plugins.module_utils.workload import tools
    if kind == "iperf3":
        return tools.iperf3(job, ranks, check_mode)
    if kind in ("ib_write_bw", "ib_send_lat"):
        return tools.perftest(job, ranks, check_mode)
    if kind == "nccl_tests":
        return tools.nccl_tests(job, check_mode)
    return tools.command(job, ranks, check_mode)


def run_repeats(job, ranks):
    """The job `repeats` times, one after the other: the last run's figures, every run's in `repeats`.

    A run that fails (its timeout, a rank's error) is kept as {failed, msg} and the next one still runs; the
    result fails, naming the runs that failed, once all have run.
    """
    from ansible_collections.aifabric.emulation.plugins.module_utils import errors
    runs, failed = [], []
    for i in range(job["repeats"]):
        try:
            runs.append(run_once(job, ranks))
        except errors.ModuleError as e:
            runs.append({"failed": True, "msg": "%s: %s" % (e.param, e.message) if e.param else e.message})
            failed.append(i + 1)
    ok = [r for r in runs if not r.get("failed")]
    out = dict(ok[-1]) if ok else {"type": job["type"]}
    out["repeats"] = runs
    if failed:
        out.update(failed=True, msg="%d of %d runs failed (run %s): %s" % (
            len(failed), len(runs), ", ".join(str(i) for i in failed), runs[failed[0] - 1]["msg"]))
    return out
