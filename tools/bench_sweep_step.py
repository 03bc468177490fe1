"""Benchmark one sweep step on a staged fabric: every link end re-impaired, side by side with the peers' ways.

    tools/bench_sweep_step [--servers 32] [--rails 8] [--spines 4] [--reps 3] [--impairment auto|rate|netem]
                           [--methods LIST] [--per-end-sample N] [--out FILE]

The fabric (rail_optimized, l3, htb, compiled by fabric/compile.py; 32 x 8 with 4 spines is 256 endpoints, 288
links, 45 namespaces) is staged once. A step impairs every end of every link (both directions: 576 ends) and
alternates between two points, so every step changes every end:

  rate    the ends' htb class rate, 10 Gbit/s <-> 20 Gbit/s (kernels without netem: the running kernel here)
  netem   delay 1ms loss 1% <-> delay 2ms loss 2% (netem 10: under the htb class, or at the root of an end the
          fabric does not shape)

Methods, interleaved (the order rotates every round), medians of --reps steps each:

  module      the fabric module's core in-process (resource.run_module): compile the topology, overlay the
              impairments, re-arm the TTL (a heartbeat), stage by diff, read the kernel back
  stager      fabric/impair.overlay() + fabric/stage.converge() in-process (what the module runs, without
              compiling and the TTL)
  tc-batch    one `tc -n NS -batch FILE` per namespace with that namespace's `change` lines
  tc-per-end  one `tc -n NS ... change` process per end: how tcconfig (tcset), Pumba (netem per container) and
              Chaos Mesh's chaos-daemon (tc per pod interface) re-impair. With --per-end-sample N only the first N
              ends are timed and the time scaled to all ends (the rest is applied untimed, in batches): under TCG
              one tc process takes seconds

Then `stager-noop`, --reps times: the last point again through the stager, which reads the kernel and sends
nothing (a sweep's repeated point, or a heartbeat).

The first step (a warm-up, not timed) puts the first point on with the stager, so that every end has its qdisc
and the timed steps are changes in place. After each step a sample of ends is read back with `tc -j` (not
timed) and must show the step's value. Run it alone on a quiet machine; the load average is recorded.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import COLLECTIONS, environment, log, write_batch  # noqa: E402

sys.path.insert(0, COLLECTIONS)
_LINK = os.path.join(COLLECTIONS, "ansible_collections", "aifabric", "emulation")
if not os.path.lexists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(os.path.join("..", "..", "..", ".."), _LINK)

from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as fabric_compile  # noqa
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import impair, resource, stage  # noqa
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, render as netem_render, ttl  # noqa
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import netns  # noqa: E402

METHODS = ("module", "stager", "tc-batch", "tc-per-end")
POINTS = {"rate": ({"rate": {"rate": "10gbit"}}, {"rate": {"rate": "20gbit"}}),
          "netem": ({"delay": {"time": "1ms"}, "loss": {"percent": "1%"}},
                    {"delay": {"time": "2ms"}, "loss": {"percent": "2%"}})}
SAMPLE = 8
TTL = 86400  # longer than the run: the teardown disarms it (a TTL that fires mid-run reverts the fabric)


class Counter:
    processes = 0


def sh(argv):
    Counter.processes += 1
    res = subprocess.run(argv, text=True, capture_output=True, check=False)
    if res.returncode:
        raise RuntimeError("%s exited %d: %s" % (" ".join(argv[:10]), res.returncode, res.stderr.strip()[-800:]))
    return res.stdout


def spec_of(fabric, servers, rails, spines):
    return {"name": fabric, "kind": "rail_optimized", "mode": "l3", "servers": servers, "rails": rails,
            "spines": spines, "links": {"server_leaf": {"rate": "100gbit"}, "leaf_spine": {"rate": "400gbit"}}}


def impairments(plan, rule):
    return [{"interface": e["ifname"], "netns": e["netns"], "direction": "egress", "rules": [rule]}
            for link in plan["links"] for e in link["ends"]]


def tc_lines(impaired):
    """{netns: [tc batch line]}: `change` of what the overlay puts on each impaired end (the stager's values)."""
    out = {}
    for ns in impaired["namespaces"]:
        lines = []
        for s in ns["shaping"]:
            if s.get("impairment") is None:
                continue
            lines.append("class change dev %s parent 1: classid 1:1 htb rate %dbit ceil %dbit burst %db cburst %db "
                         "quantum %d" % (s["ifname"], s["rate_bit"], s["rate_bit"], s["burst_bytes"], s["burst_bytes"],
                                         s["quantum_bytes"]))
        for n in ns["netem"]:
            if n.get("impairment") is None:
                continue
            where = "root" if n["parent"] == "root" else "parent %s" % n["parent"]
            rule = {"netem": n["netem"], "delay_dist": None, "slot_dist": None}
            text = " ".join(netem_render.netem_args(rule))
            lines.append("qdisc change dev %s %s handle 10: netem %s" % (n["ifname"], where, text))
        if lines:
            out[ns["name"]] = lines
    return out


class FakeModule:
    check_mode = False
    _diff = False

    def __init__(self, **params):
        self.params = dict({"name": None, "host": None, "inventory_hosts": None, "state": "present",
                            "topology": None, "impairments": None, "ttl": None}, **params)
        self.result = None

    def exit_json(self, **kw):
        self.result = dict(kw, failed=False)
        raise SystemExit(0)

    def fail_json(self, **kw):
        self.result = dict(kw, failed=True)
        raise SystemExit(1)

    def warn(self, text):
        pass


def run_module(**params):
    m = FakeModule(**params)
    try:
        resource.run_module(m)
    except SystemExit:
        pass
    if m.result["failed"]:
        raise RuntimeError("the module failed: %s" % m.result.get("msg"))
    return m.result


class Bench:
    def __init__(self, args, kind):
        self.fabric = "bs" + uuid.uuid4().hex[:5]
        self.spec = spec_of(self.fabric, args.servers, args.rails, args.spines)
        self.plan = fabric_compile.compile_plan(self.spec)
        self.kind = kind
        self.points = [impairments(self.plan, rule) for rule in POINTS[kind]]
        self.overlaid = [impair.overlay(self.plan, p) for p in self.points]
        self.lines = [tc_lines(o) for o in self.overlaid]
        self.sample = self._sample()
        self.step = 0
        self.per_end_sample = args.per_end_sample

    def _sample(self):
        ends = [(e["netns"], e["interface"]) for e in self.overlaid[0]["impaired"]]
        stride = max(1, len(ends) // SAMPLE)
        return ends[::stride][:SAMPLE]

    def stage(self):
        t0 = time.perf_counter()
        res = stage.converge(self.plan)
        log("staged %s: %d namespaces, %d links, %d requests in %.1f s" % (
            self.fabric, len(self.plan["namespaces"]), len(self.plan["links"]), res["requests"],
            time.perf_counter() - t0))
        res = stage.converge(self.overlaid[0])  # warm-up: every end gets its qdiscs
        assert res["changed"], "the warm-up changed nothing"
        self.step = 1

    def teardown(self):
        try:
            run_module(name=self.fabric, state="absent")
        finally:
            left = netns.names(self.fabric + "-")
            if left:
                netns.delete(left)

    # --------------------------------------------------------- methods --

    def do(self, method):
        k = self.step % 2
        t0 = time.perf_counter()
        extra = getattr(self, "_" + method.replace("-", "_"))(k) or {}
        elapsed = time.perf_counter() - t0
        self.check(k)
        self.step += 1
        return dict(extra, seconds=extra.pop("seconds", elapsed))

    def _module(self, k):
        res = run_module(topology=self.spec, impairments=self.points[k], ttl=TTL)
        assert res["changed"] and res["read"]["mode"] == "impairments", res["read"]
        return {"requests": res["requests"], "ttl": res["ttl"]["action"]}

    def _stager(self, k):
        res = stage.converge(impair.overlay(self.plan, self.points[k]))
        assert res["changed"] and res["read"]["mode"] == "impairments", res["read"]
        return {"requests": res["requests"]}

    def _tc_batch(self, k):
        before = Counter.processes
        for ns, lines in sorted(self.lines[k].items()):
            path = write_batch(lines, prefix="bench-sweep-")
            try:
                sh(["tc", "-n", ns, "-batch", path])
            finally:
                os.unlink(path)
        return {"processes": Counter.processes - before}

    def _tc_per_end(self, k):
        before = Counter.processes
        todo = [(ns, line) for ns, lines in sorted(self.lines[k].items()) for line in lines]
        sample = todo[:self.per_end_sample] if self.per_end_sample else todo
        t0 = time.perf_counter()
        for ns, line in sample:
            sh(["tc", "-n", ns] + line.split())
        measured = time.perf_counter() - t0
        out = {"processes": Counter.processes - before}
        if len(sample) < len(todo):  # the rest untimed, in one batch per namespace, so every end is at point k
            rest = {}
            for ns, line in todo[len(sample):]:
                rest.setdefault(ns, []).append(line)
            for ns, lines in sorted(rest.items()):
                path = write_batch(lines, prefix="bench-sweep-")
                try:
                    sh(["tc", "-n", ns, "-batch", path])
                finally:
                    os.unlink(path)
            out.update(seconds=measured * len(todo) / len(sample), measured_s=measured, sampled=len(sample))
        return out

    def noop(self):
        """The last point again, through the stager: nothing to change (requests 0), the kernel read twice over."""
        k = (self.step - 1) % 2
        t0 = time.perf_counter()
        res = stage.converge(impair.overlay(self.plan, self.points[k]))
        elapsed = time.perf_counter() - t0
        assert not res["changed"] and res["requests"] == 0, "the re-run was not a no-op"
        return elapsed

    def check(self, k):
        """The sampled ends show point k's value, read with tc -j (not timed)."""
        want = POINTS[self.kind][k]
        for ns, dev in self.sample:
            if self.kind == "rate":  # text: tc 6.1 prints no JSON for htb classes
                got = sh(["tc", "-n", ns, "class", "show", "dev", dev, "classid", "1:1"])
                rate = re.search(r" rate (\S+) ", got).group(1)
                assert rate == want["rate"]["rate"].replace("gbit", "Gbit"), (ns, dev, got)
            else:
                got = json.loads(sh(["tc", "-n", ns, "-j", "qdisc", "show", "dev", dev]) or "[]")
                q = [q for q in got if q["kind"] == "netem"][0]["options"]
                ms = float(re.match(r"(\d+)", want["delay"]["time"]).group(1))
                assert abs(q["delay"]["delay"] - ms / 1000.0) < 1e-6, (ns, dev, q)
                assert abs(q["loss-random"]["loss"] * 100 - float(want["loss"]["percent"][:-1])) < 1e-6, q


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=32)
    parser.add_argument("--rails", type=int, default=8)
    parser.add_argument("--spines", type=int, default=4)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--impairment", choices=["auto", "rate", "netem"], default="auto")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--per-end-sample", type=int, default=0,
                        help="time tc-per-end on the first N ends only and scale to all (0: all; under TCG a tc "
                        "process takes seconds); the rest is applied untimed")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_sweep_step: run as root (it stages a fabric in network namespaces)")
    state = tempfile.mkdtemp(prefix="bench-sweep-state-")
    core.STATE_DIR = state  # the fabric's record and its TTL files, private to this run
    os.environ[ttl.MECHANISM_ENV] = "watchdog"
    kind = args.impairment
    if kind == "auto":
        kind = "netem" if core.netem_available() else "rate"
    methods = [m for m in args.methods.split(",") if m]
    load_before = os.getloadavg()
    bench = Bench(args, kind)
    rows = []
    try:
        bench.stage()
        for rep in range(args.reps):
            shift = rep % len(methods)
            for method in methods[shift:] + methods[:shift]:
                row = dict(bench.do(method), method=method, rep=rep)
                rows.append(row)
                log("%-10s rep %d: %.3f s%s" % (method, rep, row["seconds"], "".join(
                    ", %s %s" % (k, row[k]) for k in ("requests", "processes", "ttl", "sampled", "measured_s")
                    if k in row)))
        for rep in range(args.reps):
            rows.append({"method": "stager-noop", "rep": rep, "seconds": bench.noop()})
            log("stager-noop rep %d: %.3f s" % (rep, rows[-1]["seconds"]))
    finally:
        bench.teardown()
    summary = {}
    methods = methods + ["stager-noop"]
    for method in methods:
        mine = [r["seconds"] for r in rows if r["method"] == method]
        summary[method] = {"median_s": statistics.median(mine), "runs": mine}
    base = summary.get("stager", summary[methods[0]])["median_s"]
    for method in methods:
        summary[method]["ratio_to_stager"] = summary[method]["median_s"] / base
    ends = len(bench.points[0])
    result = {"environment": environment(tool="bench_sweep_step", load_before=load_before,
                                         load_after=os.getloadavg()), "per_end_sample": args.per_end_sample,
              "fabric": {"servers": args.servers, "rails": args.rails, "spines": args.spines,
                         "endpoints": bench.plan["summary"]["endpoints"], "links": len(bench.plan["links"]),
                         "namespaces": len(bench.plan["namespaces"]), "ends": ends},
              "impairment": kind, "points": POINTS[kind], "reps": args.reps, "summary": summary, "rows": rows}
    out = args.out or os.path.join(os.path.dirname(HERE), "tests", "output", "bench_sweep_step-%s.json" % kind)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print("%d ends (%s), medians of %d:" % (ends, kind, args.reps))
    for method in methods:
        s = summary[method]
        note = " (scaled from %d ends)" % args.per_end_sample if method == "tc-per-end" and args.per_end_sample else ""
        print("  %-10s %8.3f s  %6.1fx%s" % (method, s["median_s"], s["ratio_to_stager"], note))
    after = result["environment"]["load_after"]
    print("load average before %s, after %s" % (" ".join("%.2f" % x for x in load_before),
                                                " ".join("%.2f" % x for x in after)))


if __name__ == "__main__":
    main()
