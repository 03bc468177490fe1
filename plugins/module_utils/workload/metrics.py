# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one result shape every workload type returns, and the figures in it. Pure, standard library only.

Bandwidths follow nccl-tests (doc/PERFORMANCE.md): algbw = S / t, with S the bytes
of the collective and t its time; busbw = algbw x a factor of the collective and
the number of ranks n: all-reduce 2(n-1)/n; reduce-scatter, all-gather and
all-to-all (n-1)/n; broadcast and reduce 1. nccl-tests prints them in GB/s
(10^9 bytes per second); this result gives them in Gbit/s (10^9 bits per second,
8 x nccl-tests' number) so that they compare directly with link rates such as
`1gbit`. Percentiles are nearest-rank: the smallest value with at least q% of
the values at or below it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

KEYS = ("type", "jct_s", "step_p50_s", "step_p99_s", "steps", "ranks", "bytes", "algbw_gbps", "busbw_gbps",
        "per_rail", "raw", "command")

# nccl-tests binary (or collective) name -> busbw factor as a function of n
FACTORS = {
    "all_reduce": lambda n: 2.0 * (n - 1) / n,
    "reduce_scatter": lambda n: (n - 1) / float(n),
    "all_gather": lambda n: (n - 1) / float(n),
    "alltoall": lambda n: (n - 1) / float(n),
    "broadcast": lambda n: 1.0,
    "reduce": lambda n: 1.0,
}


def collective_of(name):
    """'all_reduce_perf', '/opt/nccl-tests/build/all_gather_perf_mpi', 'allreduce' -> a FACTORS key (or None)."""
    base = name.rsplit("/", 1)[-1]
    for suffix in ("_perf_mpi", "_perf"):
        if base.endswith(suffix):
            base = base[:-len(suffix)]
    base = {"allreduce": "all_reduce", "allgather": "all_gather", "reducescatter": "reduce_scatter",
            "all_to_all": "alltoall"}.get(base, base)
    return base if base in FACTORS else None


def bus_factor(collective, n):
    return FACTORS[collective](n)


def percentile(values, q):
    """Nearest-rank percentile of values (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = int(math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def gbps(nbytes, seconds):
    """Bytes over seconds as Gbit/s (10^9 bit/s); None when it cannot be computed."""
    if nbytes is None or not seconds or seconds <= 0:
        return None
    return nbytes * 8 / seconds / 1e9


def bandwidths(nbytes, seconds, ranks, collective="all_reduce"):
    """(algbw_gbps, busbw_gbps) as nccl-tests defines them, in Gbit/s."""
    alg = gbps(nbytes, seconds)
    if alg is None or not ranks:
        return alg, None
    return alg, alg * bus_factor(collective, ranks)


def mean(values):
    return sum(values) / len(values) if values else None


def result(kind, **fields):
    """The result: every key of KEYS, null where a figure does not apply to this type."""
    unknown = set(fields) - set(KEYS)
    if unknown:
        raise KeyError("not result keys: %s" % ", ".join(sorted(unknown)))
    out = dict((key, None) for key in KEYS)
    out.update(fields)
    out["type"] = kind
    out["raw"] = out["raw"] or {}
    out["command"] = out["command"] or []
    return out


def step_figures(step_times):
    """{step_p50_s, step_p99_s, steps} of a list of step times."""
    return {"step_p50_s": percentile(step_times, 50), "step_p99_s": percentile(step_times, 99),
            "steps": len(step_times) if step_times else None}
