#!/usr/bin/env python3
"""Benchmark: one 6-parameter netem on 1, 100 and 500 veths, five ways.

Runs as root in a kernel with sch_netem (the lab VM: use tools/bench_netem,
or `make bench`). Every method starts from the default qdisc and its result
is checked with a `tc -j qdisc show` dump before its time counts.

  core in-process   converge() of the module's Python core, imports done
  core process      a fresh `python -c` that imports the core and converges
                    (interpreter start + imports + work, like a forked tc)
  tc per-interface  `tc -n bench qdisc replace ...` forked once per interface
  tc -batch         one `tc -n bench -batch FILE` with the same lines
  tcset             tcconfig's tcset per interface (n=1 only: very slow)
  core no-op        converge() again on the converged interfaces
  tc -j qdisc show  one dump of them, the floor for any read-compare tool

Writes tests/output/bench_netem.json and prints a markdown table.
"""
import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import COLLECTIONS, REPO, environment as base_environment, log, run, write_batch  # noqa: E402
BENCH_VENV = os.path.join(REPO, ".cache", "bench-venv")
TCSET = os.path.join(BENCH_VENV, "bin", "tcset")
TCCONFIG_LOG = os.path.join(REPO, "tests", "output", "bench_netem_tcconfig_install.log")
NS, PEER_NS = "bench", "benchpeer"
DEV = "b%d"
PEER = "p%d"
USER_RULES = [{"name": "default",
               "delay": {"time": "10ms", "jitter": "1ms", "correlation": "25%"},
               "loss": {"model": "random", "percent": "0.1%"},
               "duplicate": {"percent": "0.1%"},
               "rate": {"rate": "1gbit"}}]
NETEM_ARGS = "delay 10ms 1ms 25% loss random 0.1% duplicate 0.1% rate 1gbit"
WANT_DELAY = 0.01  # seconds, as `tc -j` prints it
# tcset has no delay correlation and shapes with htb instead of netem's rate.
TCSET_ARGS = ["--delay", "10ms", "--delay-distro", "1ms", "--loss", "0.1%", "--duplicate", "0.1%",
              "--rate", "1Gbps", "--overwrite"]

CORE_PROCESS = r"""
import os, sys, json
sys.path.insert(0, sys.argv[1])
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model
n, expect = int(sys.argv[2]), int(sys.argv[3])
rules = model.normalize_rules(json.loads(sys.argv[4]), os.uname()[2])
jobs = core.converge([core.Job("b%d" % i, rules, state="present", netns="bench") for i in range(n)])
changed = sum(1 for j in jobs if j.result["changed"])
if changed != expect:
    sys.exit("core process: %d of %d jobs changed, expected %d" % (changed, n, expect))
"""





class Bench:
    def __init__(self, args):
        self.args = args
        self.sizes = args.sizes
        self.total = max(self.sizes)
        self.results = []  # rows
        self.checks = []
        self.state_dir = tempfile.mkdtemp(prefix="bench-netem-state-")
        os.environ["AIFABRIC_STATE_DIR"] = self.state_dir  # read by core at import
        sys.path.insert(0, COLLECTIONS)
        from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model
        self.core, self.model = core, model
        self.rules = model.normalize_rules(USER_RULES, os.uname()[2])
        self.limit = self.rules[0]["netem"]["limit"]
        self.tc_args = "root handle fab0: netem limit %d %s" % (self.limit, NETEM_ARGS)

    # ------------------------------------------------------------ fabric --

    def teardown(self, quiet=True):
        path = write_batch(["netns del %s" % NS, "netns del %s" % PEER_NS])
        try:
            subprocess.run(["ip", "-force", "-batch", path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL if quiet else None)
        finally:
            os.unlink(path)

    def setup(self):
        self.teardown()
        # `netns add` inside a batch breaks the batch's netlink socket for the
        # lines after it, and `up` at veth creation across namespaces fails with
        # ENOTCONN (iproute2 6.1), so: namespaces, one batch of veth pairs, then
        # one batch per namespace to bring the ends up.
        t0 = time.perf_counter()
        for name in (NS, PEER_NS):
            run(["ip", "netns", "add", name])
        batches = [([], ["link add %s netns %s type veth peer name %s netns %s"
                         % (DEV % i, NS, PEER % i, PEER_NS) for i in range(self.total)]),
                   (["-n", NS], ["link set %s up" % (DEV % i) for i in range(self.total)]),
                   (["-n", PEER_NS], ["link set %s up" % (PEER % i) for i in range(self.total)])]
        for opts, lines in batches:
            path = write_batch(lines)
            try:
                run(["ip"] + opts + ["-batch", path])
            finally:
                os.unlink(path)
        took = time.perf_counter() - t0
        links = json.loads(run(["ip", "-n", NS, "-j", "link", "show"]).stdout)
        ours = [l for l in links if l["ifname"].startswith("b")]
        down = [l["ifname"] for l in ours if "UP" not in l.get("flags", [])]
        if len(ours) != self.total or down:
            raise RuntimeError("setup: %d of %d veths in %s, down: %s" % (len(ours), self.total, NS, down[:5]))
        peers = json.loads(run(["ip", "-n", PEER_NS, "-j", "link", "show"]).stdout)
        pdown = [l["ifname"] for l in peers if l["ifname"].startswith("p") and "UP" not in l.get("flags", [])]
        if len([l for l in peers if l["ifname"].startswith("p")]) != self.total or pdown:
            raise RuntimeError("setup: peers in %s missing or down: %s" % (PEER_NS, pdown[:5]))
        log("created %d veth pairs (%s <-> %s) with ip -batch in %.1f s" % (self.total, NS, PEER_NS, took))
        return took

    def clear(self):
        """Back to the default qdisc on every bench veth; check it."""
        path = write_batch(["qdisc del dev %s root" % (DEV % i) for i in range(self.total)])
        try:
            subprocess.run(["tc", "-n", NS, "-force", "-batch", path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        finally:
            os.unlink(path)
        left = [q["dev"] for q in self.dump() if q["kind"] in ("netem", "htb")]
        if left:
            raise RuntimeError("qdisc del left %d trees, e.g. on %s" % (len(left), left[:3]))
        shutil.rmtree(os.path.join(self.state_dir, "netem"), ignore_errors=True)

    def dump(self):
        return json.loads(run(["tc", "-n", NS, "-j", "qdisc", "show"]).stdout or "[]")

    def verify(self, method, n, root=True):
        """Every one of the first n veths has the netem (as root), the rest none."""
        by_dev = {}
        for q in self.dump():
            by_dev.setdefault(q.get("dev"), []).append(q)
        bad = []
        for i in range(self.total):
            dev = DEV % i
            netems = [q for q in by_dev.get(dev, []) if q["kind"] == "netem"
                      and (q.get("root") or not root)
                      and abs(q.get("options", {}).get("delay", {}).get("delay", 0) - WANT_DELAY) < 1e-9]
            if root:
                netems = [q for q in netems if q.get("handle") == "fab0:"]
            if (i < n) != bool(netems):
                bad.append(dev)
        if bad:
            raise RuntimeError("%s n=%d: wrong qdisc on %d interfaces, e.g. %s" % (method, n, len(bad), bad[:5]))
        sample = [q for q in by_dev.get(DEV % 0, []) if q["kind"] == "netem"]
        return sample[0].get("options") if sample else None

    def same_as_core(self, n):
        """(veths whose decoded netem differs from the core's, veths core check-mode would change).

        The first is the identical-qdisc check. The second is usually n: a tree
        without the core's state file has jitter with a distribution table the
        kernel cannot show, so the core replaces it once to own it.
        """
        from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession
        want = self.rules[0]["netem"]
        differ = 0
        with NetlinkSession(NS) as session:
            ns = self.core.Namespace(session)
            for i in range(n):
                have = ns.tree(DEV % i, {})[0]
                if len(have) != 1 or any(have[0]["netem"][k] != want[k] for k in self.model.NETEM_KEYS
                                         if not (k == "seed" and want[k] is None)):
                    differ += 1
        jobs = [self.core.Job(DEV % i, self.rules, state="present", netns=NS) for i in range(n)]
        self.core.converge(jobs, check_mode=True)
        return differ, sum(1 for j in jobs if j.result["changed"])

    # ----------------------------------------------------------- methods --

    def m_core_inproc(self, n, expect=None):
        jobs = [self.core.Job(DEV % i, self.rules, state="present", netns=NS) for i in range(n)]
        t0 = time.perf_counter()
        self.core.converge(jobs)
        took = time.perf_counter() - t0
        changed = sum(1 for j in jobs if j.result["changed"])
        expect = n if expect is None else expect
        if changed != expect:
            raise RuntimeError("core: %d of %d jobs changed, expected %d" % (changed, n, expect))
        return took

    def m_core_process(self, n, expect=None):
        expect = n if expect is None else expect
        argv = [sys.executable, "-c", CORE_PROCESS, COLLECTIONS, str(n), str(expect), json.dumps(USER_RULES)]
        t0 = time.perf_counter()
        run(argv)
        return time.perf_counter() - t0

    def m_tc_each(self, n):
        t0 = time.perf_counter()
        for i in range(n):
            run(["tc", "-n", NS, "qdisc", "replace", "dev", DEV % i] + self.tc_args.split())
        return time.perf_counter() - t0

    def m_tc_batch(self, n):
        path = write_batch(["qdisc replace dev %s %s" % (DEV % i, self.tc_args) for i in range(n)])
        try:
            t0 = time.perf_counter()
            run(["tc", "-n", NS, "-batch", path])
            return time.perf_counter() - t0
        finally:
            os.unlink(path)

    def m_tcset(self, n):
        argv_tail = TCSET_ARGS + ["--limit", str(self.limit)]
        t0 = time.perf_counter()
        for i in range(n):
            run(["ip", "netns", "exec", NS, TCSET, DEV % i] + argv_tail)
        return time.perf_counter() - t0

    def m_dump(self, n):
        t0 = time.perf_counter()
        out = run(["tc", "-n", NS, "-j", "qdisc", "show"]).stdout
        took = time.perf_counter() - t0
        if sum(1 for q in json.loads(out) if q["kind"] == "netem") != n:
            raise RuntimeError("tc -j qdisc show: expected %d netem qdiscs" % n)
        return took

    # -------------------------------------------------------------- runs --

    def record(self, method, n, times, peer=None, note="", **extra):
        row = {"method": method, "n": n, "times": [round(t, 4) for t in times],
               "seconds": statistics.median(times) if times else None, "reps": len(times),
               "peer": peer, "note": note}
        row.update(extra)
        self.results.append(row)
        if times:
            log("%-22s n=%-4d median %.3f s of %s" % (method, n, row["seconds"], ["%.3f" % t for t in times]))
        else:
            log("%-22s n=%-4d %s" % (method, n, row.get("error", "no result")))
        return row

    def measure(self, n, reps):
        methods = [
            ("core in-process", self.m_core_inproc, None),
            ("core process", self.m_core_process, None),
            ("tc per-interface", self.m_tc_each, "iproute2 tc, one fork per interface"),
            ("tc -batch", self.m_tc_batch, "iproute2 tc -batch, one fork"),
        ]
        times = dict((name, []) for name, _f, _p in methods)
        options, identical = {}, {}
        for rep in range(reps):
            for name, fn, _peer in methods:
                if name == "tc per-interface" and n >= self.args.each_cap and rep >= self.args.reps_each_large:
                    continue
                self.clear()
                times[name].append(fn(n))
                options[name] = self.verify(name, n)
                if name.startswith("tc") and rep == 0:
                    identical[name] = self.same_as_core(n)
        for name, _fn, peer in methods:
            extra = {"netem_options_b0": options.get(name)}
            if name in identical:
                extra["netem_differs_from_core"], extra["core_check_mode_would_change"] = identical[name]
            self.record(name, n, times[name], peer=peer, **extra)

    def measure_tcset(self):
        if not os.access(TCSET, os.X_OK):
            text = "tcset not installed"
            if os.path.exists(TCCONFIG_LOG):
                with open(TCCONFIG_LOG) as f:
                    text = "tcconfig install failed: " + f.read().strip()[-1500:]
            return self.record("tcset", 1, [], peer="tcconfig tcset", error=text)
        version = subprocess.run([TCSET, "--version"], capture_output=True, text=True).stdout.strip()
        times, err, options = [], None, None
        for _rep in range(self.args.reps_tcset):
            self.clear()
            try:
                times.append(self.m_tcset(1))
                options = self.verify("tcset", 1, root=False)
            except Exception as e:  # report the text instead of a number
                err = str(e)
                break
        note = ("n=1 only: each call is a Python start, a pyroute2 import and ~10 forked tc/ip commands, "
                "tens of seconds per interface under TCG; run in the namespace with `ip netns exec`; "
                "no delay correlation option; rate via an htb class, not netem's rate")
        row = self.record("tcset", 1, [] if err else times, peer="tcconfig %s" % version, note=note,
                          netem_options_b0=options)
        if err:
            row["error"] = err
        return row

    def measure_noop(self, n, reps):
        self.clear()
        self.m_core_inproc(n)
        self.verify("core (before no-op)", n)
        noop, noop_proc, dump = [], [], []
        for _rep in range(reps):
            noop.append(self.m_core_inproc(n, expect=0))
            noop_proc.append(self.m_core_process(n, expect=0))
            dump.append(self.m_dump(n))
        self.verify("core no-op", n)
        self.record("core no-op in-process", n, noop)
        self.record("core no-op process", n, noop_proc)
        self.record("tc -j qdisc show", n, dump, peer="iproute2 tc -j qdisc show, one fork")

    def baselines(self):
        """What a process start costs here (TCG inflates it)."""
        out = {}
        for name, argv in (("python -c pass", [sys.executable, "-c", "pass"]),
                           ("python -c 'import core'", [sys.executable, "-c",
                            "import sys; sys.path.insert(0, %r); from ansible_collections.aifabric.emulation."
                            "plugins.module_utils.netem import core" % COLLECTIONS]),
                           ("tc -V", ["tc", "-V"])):
            ts = []
            for _ in range(3):
                t0 = time.perf_counter()
                run(argv)
                ts.append(time.perf_counter() - t0)
            out[name] = round(statistics.median(ts), 4)
            log("baseline %-26s %.3f s" % (name, out[name]))
        return out

    # ------------------------------------------------------------ report --

    def get(self, method, n):
        for r in self.results:
            if r["method"] == method and r["n"] == n and r["seconds"]:
                return r["seconds"]
        return None

    def verdicts(self):
        big = self.total
        out = []

        def ratio(a, b):
            return (a / b) if a and b else None

        each, batch = self.get("tc per-interface", big), self.get("tc -batch", big)
        dump = self.get("tc -j qdisc show", big)
        for flavour in ("in-process", "process"):
            core = self.get("core %s" % flavour, big)
            noop = self.get("core no-op %s" % flavour, big)
            r1, r2, r3 = ratio(each, core), ratio(core, batch), ratio(noop, dump)
            out.append({"target": "core (%s) >= 10x faster than tc per-interface at n=%d" % (flavour, big),
                        "flavour": flavour, "ratio": r1, "measure": "tc per-interface / core",
                        "limit": ">= 10", "pass": r1 is not None and r1 >= 10})
            out.append({"target": "core (%s) within 2x of tc -batch at n=%d" % (flavour, big),
                        "flavour": flavour, "ratio": r2, "measure": "core / tc -batch",
                        "limit": "<= 2", "pass": r2 is not None and r2 <= 2})
            out.append({"target": "core no-op (%s) <= 2x one tc -j qdisc show at n=%d" % (flavour, big),
                        "flavour": flavour, "ratio": r3, "measure": "core no-op / tc -j qdisc show",
                        "limit": "<= 2", "pass": r3 is not None and r3 <= 2})
        return out

    def table(self):
        lines = ["| method | n | seconds (median) | reps | ratio vs core in-process | peer / note |",
                 "| --- | ---: | ---: | ---: | ---: | --- |"]
        big = self.total
        for r in self.results:
            base_method = "core in-process"
            base = self.get(base_method, r["n"])
            if r["seconds"] is None:
                secs, ratio = "error: %s" % r.get("error", "?").replace("|", "/").replace("\n", " ")[:300], "-"
            else:
                secs = "%.3f" % r["seconds"]
                ratio = "%.1fx" % (r["seconds"] / base) if base else "-"
            note = "; ".join(x for x in (r.get("peer"), r.get("note")) if x)
            if "netem_differs_from_core" in r:
                note += ("; " if note else "") + "netem params differ from core's on %d of %d" % (
                    r["netem_differs_from_core"], r["n"])
            lines.append("| %s | %d | %s | %d | %s | %s |" % (r["method"], r["n"], secs, r["reps"], ratio, note))
        lines.append("")
        lines.append("Ratios of the no-op and dump rows are against core in-process *apply* at n=%d." % big)
        return "\n".join(lines)

    def profile(self, n):
        """cProfile of converge (apply and no-op) and -X importtime of the core."""
        out = {}
        for label, expect in (("apply", n), ("no-op", 0)):
            if expect:
                self.clear()
            jobs = [self.core.Job(DEV % i, self.rules, state="present", netns=NS) for i in range(n)]
            prof = cProfile.Profile()
            prof.enable()
            self.core.converge(jobs)
            prof.disable()
            buf = io.StringIO()
            stats = pstats.Stats(prof, stream=buf)
            stats.sort_stats("tottime").print_stats(20)
            stats.sort_stats("cumulative").print_stats(25)
            out["converge %s n=%d" % (label, n)] = buf.getvalue()
        proc = subprocess.run([sys.executable, "-X", "importtime", "-c",
                               "import sys; sys.path.insert(0, %r); from ansible_collections.aifabric.emulation."
                               "plugins.module_utils.netem import core" % COLLECTIONS],
                              capture_output=True, text=True)
        rows = []
        for line in proc.stderr.splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[1].strip().isdigit():
                rows.append((int(parts[1]), int(parts[0].split(":")[1]), parts[2].rstrip()))
        rows.sort(reverse=True)
        out["python -X importtime (top 25 by cumulative us)"] = "\n".join(
            "%10d cumulative us  %10d self us  %s" % r for r in rows[:25])
        return out


def environment():
    tc_v = subprocess.run(["tc", "-V"], capture_output=True, text=True, check=False).stdout.strip()
    fs, best = "?", ""
    tmp = tempfile.gettempdir()
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            if tmp.startswith(parts[1]) and len(parts[1]) >= len(best):
                best, fs = parts[1], parts[2]
    return base_environment(tc=tc_v, state_dir_fs=fs)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=lambda s: sorted(int(x) for x in s.split(",")), default=[1, 100, 500])
    p.add_argument("--reps", type=int, default=3, help="repetitions below --large (median reported)")
    p.add_argument("--large", type=int, default=500, help="sizes from here on are 'large'")
    p.add_argument("--reps-large", type=int, default=2, help="repetitions at large sizes")
    p.add_argument("--each-cap", type=int, default=500, help="n from which tc per-interface is repeated less")
    p.add_argument("--reps-each-large", type=int, default=1, help="tc per-interface repetitions from --each-cap")
    p.add_argument("--reps-tcset", type=int, default=1)
    p.add_argument("--no-tcset", action="store_true")
    p.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                   help="cProfile/importtime of the core: auto = when a target is missed")
    p.add_argument("--json", default=os.path.join(REPO, "tests", "output", "bench_netem.json"))
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_netem.py: run as root in a kernel with sch_netem (tools/bench_netem boots the lab VM)")

    started = time.perf_counter()
    env = environment()
    log("kernel %s, %s cpus, %s" % (env["kernel"], env["cpus"], env["cpu_model"]))
    bench = Bench(args)
    report = {"environment": env, "rules": USER_RULES, "netem_limit": bench.limit,
              "tc_line": "tc -n %s qdisc replace dev DEV %s" % (NS, bench.tc_args), "results": bench.results}
    failed = None
    try:
        report["setup_seconds"] = bench.setup()
        # warm up: load sch_netem and prime caches outside any timing
        bench.clear()
        bench.m_tc_batch(1)
        bench.clear()
        bench.m_core_inproc(1)
        report["baselines"] = bench.baselines()
        for n in args.sizes:
            reps = args.reps if n < args.large else args.reps_large
            log("n=%d, %d repetition(s)" % (n, reps))
            bench.measure(n, reps)
            if n == 1 and not args.no_tcset:
                bench.measure_tcset()
        bench.measure_noop(bench.total, args.reps if bench.total < args.large else args.reps_large)
        report["verdicts"] = bench.verdicts()
        missed = [v for v in report["verdicts"] if not v["pass"]]
        if args.profile == "always" or (args.profile == "auto" and missed):
            log("profiling converge at n=%d" % bench.total)
            report["profile"] = bench.profile(bench.total)
    except Exception as e:
        failed = "%s: %s" % (type(e).__name__, e)
        report["error"] = failed
        log("FAILED: %s" % failed)
    finally:
        bench.teardown(quiet=False)
        shutil.rmtree(bench.state_dir, ignore_errors=True)
        left = [n for n in (NS, PEER_NS) if os.path.exists(os.path.join("/run/netns", n))]
        if left:
            log("warning: namespaces left behind: %s" % left)
    report["total_seconds"] = round(time.perf_counter() - started, 1)

    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
    print()
    print("## netem apply: %s, kernel %s, %s vCPUs" % (env["accel_hint"], env["kernel"], env["cpus"]))
    print()
    print(bench.table())
    print()
    for v in report.get("verdicts", []):
        print("- %s: %s (%s = %s, target %s)" % (
            "PASS" if v["pass"] else "FAIL", v["target"], v["measure"],
            "%.2f" % v["ratio"] if v["ratio"] is not None else "n/a", v["limit"]))
    if report.get("profile"):
        path = os.path.splitext(args.json)[0] + "_profile.txt"
        with open(path, "w") as f:
            for k, v in report["profile"].items():
                f.write("==== %s ====\n%s\n\n" % (k, v))
        print("\nprofile written to %s" % os.path.relpath(path, REPO))
    print("\nresults written to %s (%.0f s in all)" % (os.path.relpath(args.json, REPO), report["total_seconds"]))
    if failed:
        print("\nbenchmark FAILED: %s" % failed)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
