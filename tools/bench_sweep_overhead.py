#!/usr/bin/env python3
"""Benchmark: the sweep's controller overhead per point (issue #11 §7: under 10% of a 30 s workload point).

Runs playbooks/demo.yml (stage, sweep, tear down) through ansible-playbook with
a rate-axis sweep (htb: the running kernel here has no netem) whose all-reduce
job takes about --jct seconds, then reads records.jsonl. A point's duration is
the sweep's own clock, from the point's first task (before its impairments are
applied) to its record; the overhead is that duration minus the job's JCT
(the launcher's wall time of the job): applying the impairments with their TTL,
Ansible's task and module start-up, the workload module's checks and clean-up,
and recording.

  tools/bench_sweep_overhead [--jct 30] [--points 3] [--lab]

--lab runs the same in the lab VM (tools/demo's way: this machine is the
controller, the VM the target over SSH). Writes
tests/output/bench_sweep_overhead-<local|lab>.json and prints a table.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RATES = ["1gbit", "500mbit", "200mbit", "100mbit", "50mbit"]


def spec(jct, points, out):
    step_s = 0.1  # compute per step; the 2 MiB all-reduce adds a few ms on the running kernel
    return {"name": "ovh", "output": out,
            "fabric": {"name": "ovh", "kind": "rail_optimized", "mode": "l3", "servers": 2, "rails": 2, "spines": 2,
                       "links": {"server_leaf": {"rate": "1gbit", "mtu": 9000}, "leaf_spine": {"rate": "1gbit"}}},
            "workload": {"type": "allreduce", "steps": max(1, int(jct / (step_s + 0.005))), "compute": "100ms",
                         "bytes": "2MiB", "per_rail": False, "timeout": "%ds" % (jct * 4 + 60)},
            "axes": [{"param": "rate", "values": RATES[:points], "links": "rail:0"}],
            "repeats": 1, "baseline_repeats": 2, "ttl": "10m"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jct", type=float, default=30.0, help="the workload's JCT to aim at, seconds")
    ap.add_argument("--points", type=int, default=3, choices=range(1, len(RATES) + 1))
    ap.add_argument("--lab", action="store_true", help="the target is a lab VM (over SSH), as make demo runs")
    ap.add_argument("--records", metavar="DIR", help="only read the records of an earlier run in DIR")
    args = ap.parse_args()
    where = "lab" if args.lab else "local"
    wall = None
    if args.records:
        out = args.records
    else:
        out = tempfile.mkdtemp(prefix="aifabric-bench-overhead-")
        sweep = spec(args.jct, args.points, out)
        env = dict(os.environ, DEMO_OUTPUT=out, DEMO_SWEEP=json.dumps(sweep))
        argv = [os.path.join(REPO, "tools", "demo")] + ([] if args.lab else ["--local"])
        t0 = time.time()
        res = subprocess.run(argv, cwd=REPO, env=env, check=False)
        wall = round(time.time() - t0, 1)
        if res.returncode != 0:
            sys.exit("bench_sweep_overhead: %s failed (%d)" % (" ".join(argv), res.returncode))
    rows = []
    with open(os.path.join(out, "records.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            jcts = [r["jct_s"] for r in rec["repeats"] if r.get("jct_s")]
            if rec["kind"] != "point" or not jcts:
                continue
            overhead = rec["duration_s"] - sum(jcts)
            rows.append({"point": " ".join("%s=%s" % kv for kv in sorted(rec["labels"].items())), "duration_s": round(rec["duration_s"], 3),
                         "jct_s": round(sum(jcts), 3), "overhead_s": round(overhead, 3),
                         "overhead_share": round(overhead / rec["duration_s"], 4)})
    result = {"where": where, "kernel": os.uname()[2], "target_jct_s": args.jct, "points": rows,
              "load_after": os.getloadavg(), "wall_s": wall, "run_dir": out,
              "overhead_share_max": max(r["overhead_share"] for r in rows)}
    path = os.path.join(REPO, "tests", "output", "bench_sweep_overhead-%s.json" % where)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    print("| point | duration | JCT | overhead | share |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print("| %s | %.2f s | %.2f s | %.2f s | %.1f%% |" % (
            r["point"], r["duration_s"], r["jct_s"], r["overhead_s"], 100 * r["overhead_share"]))
    print("wrote %s" % os.path.relpath(path, REPO), file=sys.stderr)


if __name__ == "__main__":
    main()
