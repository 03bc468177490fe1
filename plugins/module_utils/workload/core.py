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
    if kind == "allreduce":
        from ansible_collections.aifabric.emulation.plugins.module_utils.workload import allreduce
        out = allreduce.run(job, ranks, check_mode)
    else:
        from ansible_collections.aifabric.emulation.plugins.module_utils.workload import tools
        if kind == "iperf3":
            out = tools.iperf3(job, ranks, check_mode)
        elif kind in ("ib_write_bw", "ib_send_lat"):
            out = tools.perftest(job, ranks, check_mode)
        elif kind == "nccl_tests":
            out = tools.nccl_tests(job, check_mode)
        else:
            out = tools.command(job, ranks, check_mode)
    out["changed"] = False
    if reaped:
        out.setdefault("warnings", []).append(reaped)
    return out
