# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Synthetic sweep runs for tests and for trying the report (`tools/sweep_report --demo KIND DIR`).

Nothing is measured: JCTs come from a made-up curve with multiplicative noise,
so the outputs and the report can be checked without a fabric or a workload.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import random

from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import plan, results, spec

FABRIC = {"name": "f1", "kind": "rail_optimized", "servers": 4, "rails": 2, "spines": 2,
          "links": {"server_leaf": {"rate": "100mbit", "delay": "5us"}, "leaf_spine": {"rate": "100mbit"}}}
KINDS = ("one_axis", "two_axes", "bisect")
FACTS = {"localhost": {"kernel": "6.1.0-28-amd64", "netem_features": ["gemodel", "slot", "rate64"]}}


def sweep_of(kind, run_dir):
    base = {"name": "demo-%s" % kind.replace("_", "-"), "fabric": FABRIC, "output": run_dir,
            "workload": {"type": "allreduce", "bytes": "64MiB", "steps": 50}, "repeats": 3, "baseline_repeats": 5,
            "seed": 7, "settle": "2s", "thresholds": {"max_jct_ratio": 1.5, "min_busbw_ratio": 0.7}}
    if kind == "one_axis":
        base["axes"] = [{"param": "loss", "values": {"start": "0.01%", "stop": "3%", "steps": 6, "scale": "log"},
                         "links": "rail:0"}]
    elif kind == "two_axes":
        base["axes"] = [{"param": "loss", "values": ["0%", "0.1%", "0.3%", "1%"], "links": "rail:0"},
                        {"param": "delay", "values": ["0ms", "1ms", "5ms"], "links": "uplinks", "direction": "up"}]
    elif kind == "bisect":
        base["axes"] = [{"param": "loss", "links": "rail:0"}]
        base["order"] = {"bisect": {"low": "0%", "high": "3%", "tolerance": "0.05%", "target": 1.2,
                                    "max_probes": 12}}
    else:
        raise ValueError("kind is one of %s" % ", ".join(KINDS))
    return base


def slowdown(numeric):
    """The made-up truth: loss costs 0.2 x loss^1.2 (1.2x at 1% loss), delay 0.04 per ms."""
    loss = numeric.get("loss") or 0.0
    delay = numeric.get("delay") or 0.0
    return 1.0 + 0.2 * loss ** 1.2 + 0.04 * delay


def _repeats(rng, factor, n, fail=False):
    out = []
    for _repeat in range(n):
        if fail:
            out.append({"jct_s": None, "step_p50_s": None, "step_p99_s": None, "metrics": {}, "ok": False,
                        "error": "workload timed out after 600 s"})
            continue
        jct = 12.0 * factor * math.exp(rng.gauss(0, 0.025))
        p50 = jct / 50.0 * math.exp(rng.gauss(0, 0.01))
        out.append({"jct_s": jct, "step_p50_s": p50, "step_p99_s": p50 * (1.3 + 0.8 * (factor - 1)),
                    "metrics": {"algbw_gbps": 0.0105 / factor * math.exp(rng.gauss(0, 0.02)), "ranks": 8,
                                "collective": "all_reduce"},
                    "ok": True, "error": None})
    return out


def synthetic_run(run_dir, kind="one_axis", seed=1, fail_index=None, stop_after=None):
    """Write spec.json and records.jsonl of a synthetic sweep into run_dir; returns the canonical spec.

    fail_index: a point whose every repeat fails. stop_after: record only that many points (a killed run).
    """
    rng = random.Random(seed)
    canon = spec.normalize(sweep_of(kind, run_dir))
    store = results.Store(run_dir)
    if store.records():
        raise ValueError("%s already holds records; a synthetic run needs an empty directory" % run_dir)
    store.write_spec(canon)
    t = 1767225600.0  # a fixed clock keeps the outputs reproducible
    store.append(results.make_record(canon, None, _repeats(rng, 1.0, canon["baseline_repeats"]), FACTS, {},
                                     t, t + 60, kind="baseline"))
    t += 60
    n = 0
    if canon["order"]["type"] == "bisect":
        b = plan.Bisect(canon)
        while stop_after is None or n < stop_after:
            p = b.next(store.records(canon["spec_hash"]))
            if p is None:
                break
            store.append(_record(canon, p, rng, t, fail_index == n))
            t += 40
            n += 1
        return canon
    for p in plan.points(canon):
        if stop_after is not None and n >= stop_after:
            break
        store.append(_record(canon, p, rng, t, fail_index == p["index"]))
        t += 40
        n += 1
    return canon


def _record(canon, p, rng, t, fail):
    readback = dict((k, {"rules": [v["rule"]]}) for k, v in p["impairments"].items())
    return results.make_record(canon, p, _repeats(rng, slowdown(p["numeric"]), canon["repeats"], fail), FACTS,
                               readback, t, t + 38.5)
