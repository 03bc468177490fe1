#!/usr/bin/env python3
"""Benchmark: converge 1,000 VLAN interfaces over 8 parents, an address each.

Runs as root in the lab VM (tools/bench_vlan). Every method starts with no
VLAN in netns benchv (the 8 parent veths are deleted and re-created) and its
result is checked (`ip -j -d link show type vlan`, `ip -j addr show`) before
its time counts.

  core in-process   converge(normalize_config(config), "merged", netns="benchv"), imports done
  core process      a fresh `python -c` that imports the core, normalises and converges
  ip per-interface  `ip -n benchv link add ... type vlan id X`, `ip -n benchv addr add A dev N`,
                    `ip -n benchv link set N up`: three forks per VLAN
  ip -batch         one `ip -n benchv -batch FILE` with the same lines
  core no-op        converge() again on the converged VLANs (in-process and as a process)
  ip -j link show   one `ip -n benchv -j link show` dump, the floor for a read-compare tool

Writes tests/output/bench_vlan.json and prints a markdown table.
"""
import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import COLLECTIONS, REPO, environment as base_environment, log, run, timed, write_batch  # noqa: E402
NS, PEER_NS = "benchv", "benchpeer"
PARENTS = ["v%d" % p for p in range(8)]


def config(n):
    """n VLANs round-robin over the 8 parents: v<p>.<id>, ids from 100, address 10.<hi>.<lo>.1/24."""
    out = []
    for i in range(n):
        parent, vid = PARENTS[i % 8], 100 + i // 8
        out.append({"parent": parent, "id": vid, "addresses": ["10.%d.%d.1/24" % (i // 256, i % 256)]})
    return out


def ip_lines(cfg):
    lines = []
    for e in cfg:
        name = "%s.%d" % (e["parent"], e["id"])
        lines += ["link add link %s name %s type vlan id %d" % (e["parent"], name, e["id"]),
                  "addr add %s dev %s" % (e["addresses"][0], name),
                  "link set %s up" % name]
    return lines


CORE_PROCESS = r"""
import sys, json
sys.path.insert(0, sys.argv[1])
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import core, model
result = core.converge(model.normalize_config(json.loads(sys.argv[2])), "merged", netns=sys.argv[3])
if result["changed"] != (sys.argv[4] == "1"):
    sys.exit("core process: changed=%s" % result["changed"])
"""




def ip_batch(opts, lines, force=False):
    path = write_batch(lines, "bench-vlan-")
    try:
        argv = ["ip"] + opts + (["-force"] if force else []) + ["-batch", path]
        if force:
            return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return run(argv)
    finally:
        os.unlink(path)



class Bench:
    def __init__(self, args):
        self.args = args
        self.n = args.n
        self.cfg = config(self.n)
        self.results = []
        sys.path.insert(0, COLLECTIONS)
        from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import core, model
        self.core, self.model = core, model

    # ------------------------------------------------------------ fabric --

    def teardown(self, quiet=True):
        ip_batch([], ["netns del %s" % NS, "netns del %s" % PEER_NS], force=True)

    def setup(self):
        self.teardown()
        for name in (NS, PEER_NS):
            run(["ip", "netns", "add", name])
        self.parents()

    def parents(self):
        """(Re-)create the 8 veth pairs, both ends up; any VLAN on them goes with them."""
        ip_batch(["-n", NS], ["link del %s" % p for p in PARENTS], force=True)
        ip_batch([], ["link add %s netns %s type veth peer name p%s netns %s" % (p, NS, p, PEER_NS)
                      for p in PARENTS])
        ip_batch(["-n", NS], ["link set %s up" % p for p in PARENTS])
        ip_batch(["-n", PEER_NS], ["link set p%s up" % p for p in PARENTS])
        if self.vlans():
            raise RuntimeError("VLANs left in %s after re-creating the parents" % NS)
        time.sleep(self.args.settle)

    def vlans(self):
        return json.loads(run(["ip", "-n", NS, "-j", "-d", "link", "show", "type", "vlan"]).stdout or "[]")

    def verify(self, method):
        """1,000 VLANs with the right parent, id, protocol, up, and their address."""
        links = dict((l["ifname"], l) for l in self.vlans())
        addrs = {}
        for l in json.loads(run(["ip", "-n", NS, "-j", "addr", "show"]).stdout or "[]"):
            addrs[l["ifname"]] = set("%s/%d" % (a["local"], a["prefixlen"]) for a in l.get("addr_info", [])
                                     if a.get("family") == "inet")
        bad = []
        for e in self.cfg:
            name = "%s.%d" % (e["parent"], e["id"])
            l = links.get(name)
            data = (l or {}).get("linkinfo", {}).get("info_data", {})
            if (l is None or l.get("link") != e["parent"] or data.get("id") != e["id"]
                    or data.get("protocol") != "802.1Q" or "UP" not in l.get("flags", [])
                    or addrs.get(name) != set(e["addresses"])):
                bad.append(name)
        if bad or len(links) != self.n:
            raise RuntimeError("%s: %d VLANs (want %d), %d wrong, e.g. %s" % (method, len(links), self.n,
                                                                             len(bad), bad[:5]))

    # ----------------------------------------------------------- methods --

    def m_core_inproc(self, changed=True):
        t0 = time.perf_counter()
        result = self.core.converge(self.model.normalize_config(self.cfg), "merged", netns=NS)
        took = time.perf_counter() - t0
        if result["changed"] != changed or (changed and len(result["commands"]) != 2 * self.n):
            raise RuntimeError("core: changed=%s with %d commands" % (result["changed"], len(result["commands"])))
        return took

    def m_core_process(self, changed=True):
        return timed(run, [sys.executable, "-c", CORE_PROCESS, COLLECTIONS, json.dumps(self.cfg), NS,
                           "1" if changed else "0"])

    def m_ip_each(self):
        argvs = [["ip", "-n", NS] + line.split() for line in ip_lines(self.cfg)]
        t0 = time.perf_counter()
        for argv in argvs:
            run(argv)
        return time.perf_counter() - t0

    def m_ip_batch(self):
        lines = ip_lines(self.cfg)
        return timed(ip_batch, ["-n", NS], lines)

    def m_dump(self):
        t0 = time.perf_counter()
        out = run(["ip", "-n", NS, "-j", "link", "show"]).stdout
        took = time.perf_counter() - t0
        if len(json.loads(out)) < self.n:
            raise RuntimeError("ip -j link show: fewer than %d links" % self.n)
        return took

    # -------------------------------------------------------------- runs --

    def record(self, method, times, peer=None, error=None):
        row = {"method": method, "n": self.n, "times": [round(t, 4) for t in times],
               "seconds": statistics.median(times) if times else None, "reps": len(times), "peer": peer}
        if error:
            row["error"] = error
            log("%-22s %s" % (method, error))
        else:
            log("%-22s median %.3f s of %s" % (method, row["seconds"], ["%.3f" % t for t in times]))
        self.results.append(row)

    def probe_rmem(self, rmem_max):
        """Core apply once with the kernel's rmem_max as booted, then raise rmem_max for the rest."""
        path = "/proc/sys/net/core/rmem_max"
        with open(path) as f:
            booted = int(f.read())
        self.parents()
        label = "core in-process, rmem_max %d (as booted)" % booted
        try:
            self.record(label, [self.m_core_inproc()])
            self.verify(label)
        except Exception as e:  # the result is the error text
            self.record(label, [], error="%s: %s" % (type(e).__name__, e))
        with open(path, "w") as f:
            f.write("%d\n" % rmem_max)
        log("net.core.rmem_max %d -> %d for the measurements" % (booted, rmem_max))
        return booted

    def measure(self):
        methods = [("core in-process", self.m_core_inproc, None, self.args.reps),
                   ("core process", self.m_core_process, None, self.args.reps),
                   ("ip per-interface", self.m_ip_each,
                    "iproute2 ip, 3 forks per VLAN (link add, addr add, link set up)", self.args.reps_each),
                   ("ip -batch", self.m_ip_batch, "iproute2 ip -batch, one fork, same 3 lines per VLAN",
                    self.args.reps)]
        times = dict((name, []) for name, _f, _p, _r in methods)
        for rep in range(self.args.reps):
            for name, fn, _peer, reps in methods:
                if rep >= reps:
                    continue
                self.parents()
                took = fn()
                self.verify(name)
                times[name].append(took)
        for name, _fn, peer, reps in methods:
            if reps:
                self.record(name, times[name], peer)

    def measure_noop(self):
        self.parents()
        self.m_core_inproc()
        self.verify("core (before no-op)")
        noop, noop_proc, dump = [], [], []
        for _rep in range(self.args.reps_noop):
            noop.append(self.m_core_inproc(changed=False))
            noop_proc.append(self.m_core_process(changed=False))
            dump.append(self.m_dump())
        self.verify("core no-op")
        self.record("core no-op in-process", noop)
        self.record("core no-op process", noop_proc)
        self.record("ip -j link show", dump, "iproute2 `ip -n benchv -j link show`, one fork")

    def baselines(self):
        out = {}
        for name, argv in (("python -c pass", [sys.executable, "-c", "pass"]),
                           ("python -c 'import core'", [sys.executable, "-c",
                            "import sys; sys.path.insert(0, %r); from ansible_collections.aifabric.emulation."
                            "plugins.module_utils.vlan import core" % COLLECTIONS]),
                           ("ip -V", ["ip", "-V"])):
            ts = [timed(run, argv) for _ in range(3)]
            out[name] = round(statistics.median(ts), 4)
            log("baseline %-26s %.4f s" % (name, out[name]))
        return out

    # ------------------------------------------------------------ report --

    def get(self, method):
        for r in self.results:
            if r["method"] == method and r["seconds"]:
                return r["seconds"]
        return None

    def verdicts(self):
        out = []
        each, batch, dump = self.get("ip per-interface"), self.get("ip -batch"), self.get("ip -j link show")
        for flavour in ("in-process", "process"):
            core, noop = self.get("core %s" % flavour), self.get("core no-op %s" % flavour)
            checks = (("core (%s) >= 10x faster than ip per-interface" % flavour, "ip per-interface / core",
                       each, core, ">= 10", lambda r: r >= 10),
                      ("core (%s) within 2x of ip -batch" % flavour, "core / ip -batch", core, batch, "<= 2",
                       lambda r: r <= 2),
                      ("core no-op (%s) <= 2x one ip -j link show" % flavour, "core no-op / ip -j link show",
                       noop, dump, "<= 2", lambda r: r <= 2))
            for target, measure, top, bottom, limit, test in checks:
                if top is None or bottom is None:  # a method left out (--reps-each 0) or failed
                    continue
                ratio = top / bottom
                out.append({"target": target, "flavour": flavour, "measure": measure, "ratio": ratio,
                            "limit": limit, "pass": test(ratio)})
        return out

    def table(self):
        base = self.get("core in-process")
        lines = ["| method | seconds (median) | reps | ratio vs core in-process | peer / note |",
                 "| --- | ---: | ---: | ---: | --- |"]
        for r in self.results:
            if r["seconds"] is None:
                lines.append("| %s | error: %s | %d | - | %s |" % (r["method"], r.get("error"), r["reps"],
                                                                  r["peer"] or ""))
                continue
            ratio = "%.2fx" % (r["seconds"] / base) if base else "-"
            lines.append("| %s | %.3f | %d | %s | %s |" % (r["method"], r["seconds"], r["reps"], ratio,
                                                           r["peer"] or ""))
        return "\n".join(lines)

    def profile(self):
        out = {}
        for label, changed in (("apply", True), ("no-op", False)):
            if changed:
                self.parents()
            else:
                time.sleep(self.args.settle_noop)  # let IPv6 addrconf on the new VLANs finish
            want = self.model.normalize_config(self.cfg)
            prof = cProfile.Profile()
            prof.enable()
            error = None
            try:
                self.core.converge(want, "merged", netns=NS)
            except Exception as e:  # profile what ran; report the error with it
                error = "%s: %s" % (type(e).__name__, e)
                log("profile %s: %s" % (label, error))
            prof.disable()
            buf = io.StringIO()
            if error:
                buf.write("converge raised %s\n" % error)
            stats = pstats.Stats(prof, stream=buf)
            stats.sort_stats("tottime").print_stats(20)
            stats.sort_stats("cumulative").print_stats(20)
            out["converge %s n=%d" % (label, self.n)] = buf.getvalue()
        return out


def environment():
    return base_environment(ip=subprocess.run(["ip", "-V"], capture_output=True, text=True,
                                              check=False).stdout.strip())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000, help="VLANs (over 8 parents; at most 8 * 3995)")
    p.add_argument("--reps", type=int, default=3, help="repetitions (median reported)")
    p.add_argument("--reps-noop", type=int, default=7,
                   help="repetitions of the no-op and of ip -j link show (each well under a second in-process)")
    p.add_argument("--reps-each", type=int, default=1,  # 0 leaves ip per-interface (and its verdicts) out
                   help="repetitions of ip per-interface (3 forks per VLAN: minutes under TCG)")
    p.add_argument("--settle", type=float, default=1.0, help="seconds to wait after re-creating the parents")
    p.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                   help="cProfile of converge: auto = when a target is missed")
    p.add_argument("--rmem-max", type=int, default=4194304,
                   help="net.core.rmem_max for the measurements (0: leave as booted); the core is first run "
                        "once as booted and its outcome recorded")
    p.add_argument("--settle-noop", type=float, default=10.0,
                   help="seconds to wait after an apply before the profiled no-op")
    p.add_argument("--profile-only", action="store_true", help="skip the measurements; profile converge only")
    p.add_argument("--noop-only", action="store_true",
                   help="measure only the no-op against ip -j link show (no apply methods, no verdicts)")
    p.add_argument("--json", default=os.path.join(REPO, "tests", "output", "bench_vlan.json"))
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_vlan.py: run as root (tools/bench_vlan boots the lab VM)")

    started = time.perf_counter()
    env = environment()
    log("kernel %s, %s cpus, %s" % (env["kernel"], env["cpus"], env["cpu_model"]))
    bench = Bench(args)
    report = {"environment": env, "n": args.n, "parents": PARENTS, "config_sample": bench.cfg[:2],
              "ip_lines_sample": ip_lines(bench.cfg[:1]), "results": bench.results}
    failed = None
    try:
        subprocess.run(["modprobe", "8021q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bench.setup()
        # warm up outside any timing: 8021q loaded, caches primed
        ip_batch(["-n", NS], ["link add link v0 name v0.5 type vlan id 5", "link del v0.5"])
        bench.core.converge(bench.model.normalize_config([{"parent": "v0", "id": 6}]), "merged", netns=NS)
        report["baselines"] = bench.baselines()
        if args.rmem_max:
            env["rmem_max_booted"], env["rmem_max"] = bench.probe_rmem(args.rmem_max), args.rmem_max
        if args.noop_only:
            bench.measure_noop()
            noop, dump = bench.get("core no-op in-process"), bench.get("ip -j link show")
            log("no-op in-process / ip -j link show = %.2f" % (noop / dump))
        elif not args.profile_only:
            bench.measure()
            bench.measure_noop()
            report["verdicts"] = bench.verdicts()
        missed = [v for v in report.get("verdicts", []) if not v["pass"]]
        if args.profile_only or args.profile == "always" or (args.profile == "auto" and missed):
            log("profiling converge")
            report["profile"] = bench.profile()
    except Exception as e:
        failed = "%s: %s" % (type(e).__name__, e)
        report["error"] = failed
        log("FAILED: %s" % failed)
    finally:
        bench.teardown(quiet=False)
        left = [n for n in (NS, PEER_NS) if os.path.exists(os.path.join("/run/netns", n))]
        if left:
            log("warning: namespaces left behind: %s" % left)
    report["total_seconds"] = round(time.perf_counter() - started, 1)

    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
    print()
    print("## VLAN apply: n=%d over 8 parents, kernel %s, %s vCPUs, %s" % (args.n, env["kernel"], env["cpus"],
                                                                          env["cpu_model"]))
    print()
    if bench.results:
        print(bench.table())
        print()
    for v in report.get("verdicts", []):
        print("- %s: %s (%s = %.2f, target %s)" % ("PASS" if v["pass"] else "FAIL", v["target"], v["measure"],
                                                 v["ratio"], v["limit"]))
    for k, v in report.get("profile", {}).items():
        print("\n==== %s ====\n%s" % (k, v))
    print("\nresults written to %s (%.0f s in all)" % (os.path.relpath(args.json, REPO), report["total_seconds"]))
    if failed:
        print("\nbenchmark FAILED: %s" % failed)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
