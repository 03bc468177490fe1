#!/usr/bin/env python3
"""Benchmark: how close a schedule's steps land to their times, as the kernel reports them.

The steps are sent by the TTL watchdog, a detached process started exactly as
the module starts it. An observer that shares no code with the collection,
`tc -t monitor` (`ip -t monitor link` for link flaps), prints every change
the kernel makes, with its own timestamp. The error of a step is the
observed time minus the scheduled time (the schedule's start plus the step's
offset). The observer's own wake-up latency is included, so the figures are
an upper bound on the runner's error.

  tools/bench_schedule [--kind tbf|netem|auto] [--steps N] [--interval SECONDS]

--kind auto (the default) uses netem where the kernel has it, otherwise a
tbf rate trace. The running kernel of the development host lacks netem; the
lab VM has it (tools/bench_schedule --lab runs there). A tbf step is the same
request path as a netem step: one RTM_NEWQDISC that changes the qdisc in place.

Writes tests/output/bench_schedule-<kernel>-<kind>.json and prints a markdown row.
The helpers here (Monitor, TbfStep, percentile, errors_ms) are shared with
tests/kernel/test_netem_ttl_kernel.py and tests/lab/test_netem_ttl_lab.py.
"""
import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".cache", "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model, schedule, ttl  # noqa: E402
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, tc  # noqa: E402

TCA_TBF_PARMS, TCA_TBF_BURST = 1, 6
TC_LINKLAYER_ETHERNET = 1
RATESPEC = struct.Struct("=BBHhHI")  # cell_log linklayer overhead cell_align mpu rate (bytes/s)
TBF_HANDLE = 0x00010000  # 1:
_TIMESTAMP = re.compile(r"^Timestamp: (\w+ \w+ +\d+ [\d:]+ \d+) (\d+) usec\s*$")


# -------------------------------------------------------------- observer --


class Monitor:
    """`tc -t monitor` or `ip -t monitor link` in a namespace, its output in a file; events() parses it."""

    def __init__(self, netns, what="tc"):
        self.netns, self.what = netns, what
        self.out = tempfile.NamedTemporaryFile(prefix="aifabric-monitor-", suffix=".txt", delete=False)
        argv = ["tc", "-t", "monitor"] if what == "tc" else ["ip", "-t", "monitor", "link"]
        # the observer runs SCHED_FIFO like the runner, so its own wake-ups do not inflate the errors
        rt = ["chrt", "-f", "1"] if shutil.which("chrt") else []
        self.proc = subprocess.Popen(rt + ["ip", "netns", "exec", netns] + argv, stdout=self.out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def ready(self, timeout=30.0):
        """Wait until the monitor prints a change made for the purpose (it is listening from then on)."""
        deadline = time.monotonic() + timeout
        while True:
            mark = "aifprobe%s" % uuid.uuid4().hex[:6]  # a new value each try: setting the same MTU is no event
            if self.what == "tc":
                _sh("tc -n %s qdisc replace dev lo root handle 7e57: tbf rate %dkbit burst 10k latency 1ms"
                    % (self.netns, 1000 + int(mark[-4:], 16) % 1000))
                _sh("tc -n %s qdisc del dev lo root" % self.netns)
                needle = "7e57:"
            else:
                mtu = 60000 + int(mark[-4:], 16) % 5000
                _sh("ip -n %s link set lo mtu %d" % (self.netns, mtu))
                needle = "mtu %d " % mtu
            if self.wait_for(needle, 1.0):
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("%s monitor in %s is not printing: %s" % (self.what, self.netns, self.text()))

    def wait_for(self, needle, timeout):
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def text(self):
        with open(self.out.name) as f:
            return f.read()

    def events(self):
        """[(epoch seconds, first line of the event)] in order."""
        out, stamp = [], None
        for line in self.text().splitlines():
            m = _TIMESTAMP.match(line)
            if m:
                stamp = time.mktime(time.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")) + int(m.group(2)) / 1e6
                continue
            if stamp is not None and line and not line.startswith(" "):
                out.append((stamp, line.strip()))
                stamp = None
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()

    def remove(self):
        self.stop()
        try:
            os.unlink(self.out.name)
        except OSError:
            pass


def _sh(cmd):
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def link_transitions(events, dev, initial=True):
    """[(epoch, up)] each time dev's administrative UP flag changes (from `initial`), from `ip -t monitor link`."""
    out, last = [], initial
    for stamp, line in events:
        m = re.match(r"^\d+: ([^:@]+)(?:@\S+)?: <([^>]*)>", line)
        if not m or m.group(1) != dev:
            continue
        up = "UP" in m.group(2).split(",")
        if up != last:
            out.append((stamp, up))
            last = up
    return out


def qdisc_changes(events, kind, dev, since):
    """[(epoch, line)] of `qdisc <kind> ... dev <dev>` events (not deletions) at or after since."""
    return [(s, line) for s, line in events
            if s >= since and line.startswith("qdisc %s " % kind) and (" dev %s " % dev) in line + " "]


# ----------------------------------------------------------------- steps --


def tbf_options(rate, burst=32768, limit=65536):
    """TCA_OPTIONS of a tbf: rate in bytes/s, Ethernet link layer (no rate table needed), burst in bytes."""
    parms = RATESPEC.pack(0, TC_LINKLAYER_ETHERNET, 0, 0, 0, rate) + RATESPEC.pack(0, 0, 0, 0, 0, 0) + \
        struct.pack("=III", limit, 0, 0)
    return nla.attr(TCA_TBF_PARMS, parms) + nla.attr_u32(TCA_TBF_BURST, burst)


class TbfStep(schedule.Step):
    """A schedule step that changes a tbf's rate in place: the request path of a netem step, for kernels without netem."""

    __slots__ = ("mbit",)

    def __init__(self, t, mbit):
        schedule.Step.__init__(self, t, "tbf", options=tbf_options(mbit * 125000), label="rate %dMbit" % mbit)
        self.mbit = mbit

    def request(self, ifindex, parent, handle):
        body = tc.tcmsg(ifindex, handle, parent) + nla.attr_str(tc.TCA_KIND, "tbf") + \
            nla.nested(tc.TCA_OPTIONS, self.options)
        return tc.RTM_NEWQDISC, 0, body


def tbf_schedule(steps, interval, base_mbit=10):
    return schedule.Schedule("trace", "tbf", [TbfStep(i * interval, base_mbit + i) for i in range(steps)],
                             {"rows": steps})


# ------------------------------------------------------------- statistics --


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, int(-(-p * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


def errors_ms(observed, scheduled):
    return [round((o - s) * 1000.0, 3) for o, s in zip(observed, scheduled)]


def summary(errors):
    return {"n": len(errors), "p50_ms": percentile(errors, 50), "p99_ms": percentile(errors, 99),
            "max_ms": max(errors), "min_ms": min(errors), "mean_ms": round(sum(errors) / len(errors), 3)}


# ------------------------------------------------------------- arming --


def arm(netns, dev, seconds, sched=None, rules=None):
    """Arm a TTL (and pending schedule) on netns/dev the way the module does, without applying rules."""
    job = core.Job(dev, model.normalize_rules(rules or [{"delay": {"time": "1ms"}}]), "merged", netns)
    job.ttl, job.schedule = seconds, sched
    runs = ttl.before([job])
    return runs[0]


def wait_runner(target, state, timeout):
    """The runner file once its state is one of `state` (a tuple)."""
    deadline = time.monotonic() + timeout
    while True:
        info = ttl.read_runner(target)
        if info and info.get("state") in state:
            return info
        if time.monotonic() > deadline:
            raise AssertionError("the runner of %s did not reach %s: %r" % (target.where(), state, info))
        time.sleep(0.05)


def measure_tbf(netns, dev, steps, interval):
    """Run a tbf rate trace through a watchdog; return (observed errors ms, runner lateness ms)."""
    _sh("tc -n %s qdisc replace dev %s root handle 1: tbf rate 9mbit burst 32k limit 65536" % (netns, dev))
    sched = tbf_schedule(steps, interval)
    mon = Monitor(netns, "tc")
    try:
        mon.ready()
        run = arm(netns, dev, sched.duration + 30, sched)
        rs = ttl.start_schedule(run.target, sched, dev, tc.TC_H_ROOT, TBF_HANDLE)
        info = wait_runner(run.target, ("done", "failed"), sched.duration + 30)
        assert info["state"] == "done", info
        mon.wait_for("rate %dMbit" % sched.steps[-1].mbit, 10)
        events = qdisc_changes(mon.events(), "tbf", dev, rs["started_at"] - 0.5)
        rates = [re.search(r" rate (\S+)", line).group(1) for _s, line in events]
        assert rates == ["%dMbit" % s.mbit for s in sched.steps], rates
        errs = errors_ms([s for s, _l in events], [rs["started_at"] + s.t for s in sched.steps])
        ttl.disarm(run.target)
        return errs, info["lateness_ms"]
    finally:
        mon.remove()


def measure_netem(netns, dev, steps, interval):
    """Apply netem with the engine, then replay a delay trace through the watchdog (the module's path)."""
    rows = "".join("%.3f,%dms\n" % (i * interval, 10 + i % 50) for i in range(steps))
    rules = [{"delay": {"time": "10ms"}}]
    mon = Monitor(netns, "tc")
    try:
        mon.ready()
        job = core.Job(dev, model.normalize_rules(rules), "replaced", netns)
        job.ttl = steps * interval + 30
        job.schedule = schedule.normalize({"type": "trace", "content": "t,delay\n" + rows}, rules, os.uname()[2],
                                          ttl=job.ttl)
        runs = ttl.before([job])
        core.converge([job])
        ttl.after(runs)
        rs = ttl.read_record(runs[0].target)["schedule"]
        info = wait_runner(runs[0].target, ("done", "failed"), steps * interval + 30)
        assert info["state"] == "done", info
        last = "delay %dms" % (10 + (steps - 1) % 50)
        mon.wait_for(last, 10)
        events = qdisc_changes(mon.events(), "netem", dev, rs["started_at"] - 0.5)
        events = [e for e in events if " fab0: " in e[1]][-steps:]
        assert len(events) == steps, events
        errs = errors_ms([s for s, _l in events], [rs["started_at"] + s.t for s in job.schedule.steps])
        gone = core.Job(dev, None, "deleted", netns)
        runs = ttl.before([gone])
        core.converge([gone])
        ttl.after(runs)
        return errs, info["lateness_ms"]
    finally:
        mon.remove()


def measure_tc_loop(netns, dev, kind, steps, interval):
    """The peer: a loop that forks `tc qdisc change` at each step's time, as scripts and per-step tools do.

    Same trace, same observer. Returns the observed errors against the schedule (ms; a loop that cannot keep
    the pace falls behind, and its errors grow) and the cost of each step: its fork until the kernel's change (ms).
    """
    if kind == "tbf":
        _sh("tc -n %s qdisc replace dev %s root handle 1: tbf rate 9mbit burst 32k limit 65536" % (netns, dev))
        args = [["tbf", "rate", "%dmbit" % (10 + i), "burst", "32k", "limit", "65536"] for i in range(steps)]
        needle = "rate %dMbit" % (10 + steps - 1)
    else:
        _sh("tc -n %s qdisc replace dev %s root handle 1: netem delay 9ms" % (netns, dev))
        args = [["netem", "delay", "%dms" % (10 + i % 50)] for i in range(steps)]
        needle = "delay %dms" % (10 + (steps - 1) % 50)
    mon = Monitor(netns, "tc")
    try:
        mon.ready()
        start = time.time() + 0.5
        began = []
        for i, a in enumerate(args):
            wait = start + i * interval - time.time()
            if wait > 0:
                time.sleep(wait)  # the peer's own pacing, as a script's `sleep` does
            began.append(time.time())
            subprocess.run(["tc", "-n", netns, "qdisc", "change", "dev", dev, "root", "handle", "1:"] + a,
                           check=True)
        mon.wait_for(needle, 10)
        events = [e for e in qdisc_changes(mon.events(), kind, dev, start - 0.5) if " 1: " in e[1]][-steps:]
        assert len(events) == steps, (len(events), steps)
        seen = [s for s, _l in events]
        return errors_ms(seen, [start + i * interval for i in range(steps)]), errors_ms(seen, began)
    finally:
        mon.remove()
        _sh("tc -n %s qdisc del dev %s root" % (netns, dev))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=["auto", "tbf", "netem"], default="auto")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--interval", type=float, default=0.02, help="seconds between steps")
    args = ap.parse_args()
    kind = args.kind
    if kind == "auto":
        kind = "netem" if core.netem_available() else "tbf"
    tag = uuid.uuid4().hex[:6]
    ns = "aifbench" + tag
    state = tempfile.mkdtemp(prefix="aifabric-bench-state-", dir="/run" if os.path.isdir("/run") else None)
    core.STATE_DIR = state
    os.environ[ttl.MECHANISM_ENV] = "watchdog"
    try:
        _sh("ip netns add %s" % ns)
        _sh("ip -n %s link add va type veth peer vb && ip -n %s link set va up && ip -n %s link set vb up"
            % (ns, ns, ns))
        _sh("ip -n %s link set lo up" % ns)
        measure = measure_tbf if kind == "tbf" else measure_netem
        errs, lateness = measure(ns, "va", args.steps, args.interval)
        peer_errs, peer_cost = measure_tc_loop(ns, "va", kind, args.steps, args.interval)
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)
        shutil.rmtree(state, ignore_errors=True)
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    result = {"kernel": os.uname()[2], "labvm": os.environ.get("LABVM") == "1", "cpu": cpu, "kind": kind,
              "steps": args.steps, "interval_s": args.interval, "observed": summary(errs),
              "runner_lateness": summary(lateness), "errors_ms": errs,
              "peer": {"name": "tc per step (a loop forking `tc qdisc change`)", "observed": summary(peer_errs),
                       "step_cost": summary(peer_cost), "errors_ms": peer_errs}}
    out = os.path.join(REPO, "tests", "output", "bench_schedule-%s-%s.json" % (os.uname()[2], kind))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    o, r = result["observed"], result["runner_lateness"]
    q, c = result["peer"]["observed"], result["peer"]["step_cost"]
    print("| %s | %s%s | %d x %g ms | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f |" % (
        kind, os.uname()[2], " (lab VM, TCG)" if result["labvm"] and "QEMU" in cpu else "", args.steps,
        args.interval * 1000, o["p50_ms"], o["p99_ms"], o["max_ms"], r["p50_ms"], r["p99_ms"], c["p50_ms"],
        q["p99_ms"]))
    print("wrote %s" % os.path.relpath(out, REPO), file=sys.stderr)


if __name__ == "__main__":
    main()
