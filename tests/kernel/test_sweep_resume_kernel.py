"""The sweep's safety claim (issue #11 section 5) on the running kernel, through ansible-playbook: kill -9 the
controller mid-sweep; the hosts revert within the TTL, the results up to the last finished point are intact,
and the resume completes the sweep.

The running kernel has no netem, so the axis is the rate of rail 0 (htb on the link ends). One run of
tests/kernel/playbooks/sweep_rate.yml (the same playbook as test_sweep_role_kernel.py) is started in a
session of its own and SIGKILLed, with every process of that session, once records.jsonl holds the baseline
and a point and the next point's workload has started (so that point's impairment is in the kernel, checked
with tc just before the kill). Then, with nothing of the controller left:

- the kernel stays impaired until the fabric's TTL watchdog reverts it, no earlier than the deadline of its
  arm record and no later than 5 s after it; every end of the fabric is back to the rates it had during the
  baseline, and the fired record says `reverted`;
- records.jsonl ends with a newline, every line parses, and its lines are the baseline and the points that
  finished, in order, each once;
- the same playbook with the same spec succeeds, runs neither the baseline nor the finished points again
  (progress lines, workload tasks, records), and its outputs cover every point; nothing of the fabric is left.

The workload's processes (mpirun, orted, the ranks: each started in a session of its own by
module_utils/workload/runner.py) are not in the controller's session and outlive the kill; the test waits for
them to end by themselves before it resumes.

Oracles: the playbook's log, records.jsonl, `tc -j qdisc show` and `tc class show` (tc 6.1 prints htb
classes as text even with -j), the TTL's files in a private state directory, /proc. The fixture kills the
playbook's group, the watchdogs of that state directory and whatever still runs in the fabric's namespaces,
and deletes the namespaces and the temporary directory, whatever happened.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET

import pytest

from netlab import REPO, assert_no_deprecation, processes_named, session_members, sh, tc_rate_bit, wait_until
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import expiry
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import ttl

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")

TTL_S = 20  # the sweep's TTL: short, to watch the revert; a point here takes a few seconds
RATES = ["1gbit", "200mbit", "40mbit"]  # the fabric's rate first: the kill comes at one of the slower two
MBIT = {"1gbit": 1000, "200mbit": 200, "40mbit": 40}
PLAYBOOK = os.path.join(REPO, "tests", "kernel", "playbooks", "sweep_rate.yml")
TASK = "TASK [aifabric.emulation.sweep : %s]"
WORKLOAD, IMPAIR, RESTORE = TASK % "Run the workload", TASK % "Impair the fabric's links", TASK % "Restore the links"
POLL_S = 0.2  # the revert oracle's poll interval


def spec(fabric, out):
    # 20 steps of 2 MiB, measured here: a JCT of about 1 s at 1 Gbit/s, 2.3 s at 200 Mbit/s, 8 s at 40 Mbit/s,
    # inside the TTL (the sweep re-arms it when it applies each point, and does not beat while the workload runs)
    return {"name": "kresume", "output": out,
            "fabric": {"name": fabric, "kind": "rail_optimized", "mode": "l3", "servers": 2, "rails": 2, "spines": 1,
                       "links": {"server_leaf": {"rate": "1gbit", "mtu": 9000}, "leaf_spine": {"rate": "1gbit"}}},
            "workload": {"type": "allreduce", "steps": 20, "bytes": "2MiB", "timeout": "60s"},
            "axes": [{"param": "rate", "values": RATES, "links": "rail:0"}],
            "repeats": 1, "baseline_repeats": 2, "ttl": "%ds" % TTL_S}  # baseline_repeats: at least 2


# ------------------------------------------------------------------------------------------- oracles --


def namespaces(fabric):
    return sorted(n for n in os.listdir("/run/netns") if n.startswith(fabric + "-")) \
        if os.path.isdir("/run/netns") else []


def fabric_ends(fabric):
    """Every link end of the fabric: (namespace, interface) of each veth outside the management network."""
    out = []
    for ns in namespaces(fabric):
        if ns.endswith("-mgmt"):
            continue
        for link in json.loads(sh("ip -n %s -j link show" % ns).stdout):
            if link["ifname"] not in ("lo", "mgmt0") and link.get("link_type") == "ether":
                out.append((ns, link["ifname"]))
    return sorted(out)


def rail0_ends(fabric):
    """The ends the axis selects (rail:0, both directions): the leaf's ports and the servers' rail 0 ports."""
    return [("%s-rail0" % fabric, "server0"), ("%s-rail0" % fabric, "server1"),
            ("%s-server0" % fabric, "rail0"), ("%s-server1" % fabric, "rail0")]


def rates(ends):
    return dict((end, tc_rate_bit(*end)) for end in ends)


def in_namespaces(names):
    """Live processes whose network namespace is one of names (the workload's ranks and launcher)."""
    inodes = set()
    for name in names:
        try:
            inodes.add(os.stat("/run/netns/" + name).st_ino)
        except OSError:
            pass
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.stat("/proc/%s/ns/net" % pid).st_ino in inodes:
                with open("/proc/%s/stat" % pid) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
                        out.append(int(pid))
        except OSError:
            continue
    return out


def environ_has(pid, entry):
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            return entry.encode() in f.read().split(b"\0")
    except OSError:
        return False


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "(gone)"


def file_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        return None


def complete_lines(path):
    """records.jsonl's complete lines (bytes), and whether the file ends with a newline."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return [], True
    return data.split(b"\n")[:-1], data.endswith(b"\n") or not data


def progress(text):
    """The progress lines (the role's Progress task) in an ansible-playbook output: [(kind, label)]."""
    out = []
    for m in re.finditer(r'msg"?: ["\']?(baseline: |\[\d+/\d+\] rate=[^\s"\']+)', text):
        out.append(("baseline", None) if m.group(1).startswith("baseline:") else ("point", m.group(1)))
    return out


# ------------------------------------------------------------------------------------------- fixture --


class Run:
    """One test's fabric, directories, playbook process and timings."""

    def __init__(self):
        self.fabric = "kr" + uuid.uuid4().hex[:5]
        self.top = tempfile.mkdtemp(prefix="aifabric-sweep-resume-")
        self.state = os.path.join(self.top, "state")
        self.out = os.path.join(self.top, "run")
        self.log = os.path.join(self.top, "playbook.log")
        self.records = os.path.join(self.out, "records.jsonl")
        os.makedirs(self.state)
        self.env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
                        ANSIBLE_DEPRECATION_WARNINGS="true", PYTHONUNBUFFERED="1",  # the log is read as it comes
                        AIFABRIC_STATE_DIR=self.state)
        self.env[ttl.MECHANISM_ENV] = "watchdog"  # a process on this host: no systemd timer to clean up
        self.watchdogs_before = processes_named(ttl.COMM)
        self.proc = None
        self.t0 = time.monotonic()
        self.phases = []

    def argv(self):
        return [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), PLAYBOOK,
                "-e", json.dumps({"spec": spec(self.fabric, self.out)})]

    def text(self):
        with open(self.log) as f:
            return f.read()

    def target(self):
        return expiry.FabricTarget(self.fabric, "localhost", self.state)

    def watchdogs(self):
        """The TTL watchdogs of this test: new since it started, and forked with its state directory."""
        return set(pid for pid in processes_named(ttl.COMM) - self.watchdogs_before
                   if environ_has(pid, "AIFABRIC_STATE_DIR=" + self.state))

    def phase(self, name):
        self.phases.append((name, round(time.monotonic() - self.t0, 1)))
        sys.stderr.write("sweep resume: %s after %.1f s\n" % self.phases[-1])
        sys.stderr.flush()

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for pid in self.watchdogs():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in in_namespaces(namespaces(self.fabric)):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for name in namespaces(self.fabric):
            sh("ip netns del %s" % name, check=False)
        shutil.rmtree(self.top, ignore_errors=True)


@pytest.fixture
def run():
    r = Run()
    try:
        yield r
    finally:
        r.cleanup()


# ---------------------------------------------------------------------------------------------- test --


def test_kill_9_mid_sweep_the_hosts_revert_within_the_ttl_and_the_resume_completes(run):
    log = open(run.log, "w")
    run.proc = subprocess.Popen(run.argv(), cwd=REPO, env=run.env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()

    def alive(what):
        if run.proc.poll() is not None:
            raise AssertionError("ansible-playbook ended (%s) before %s:\n%s"
                                 % (run.proc.returncode, what, run.text()[-6000:]))

    # ---- the fabric's rates during the baseline (nothing impaired yet): what the revert must come back to
    def at_baseline():
        alive("the baseline")
        return WORKLOAD in run.text()
    wait_until(at_baseline, 120, lambda: "the baseline's workload:\n" + run.text()[-3000:])
    ends = fabric_ends(run.fabric)
    base = rates(ends)
    assert run.text().count(IMPAIR) == 1, "point 0 was applied before the base rates were read"
    assert complete_lines(run.records)[0] == []
    assert [base[e] for e in rail0_ends(run.fabric)] == [10 ** 9, 10 ** 9, None, None], base  # htb on the leaf
    run.phase("baseline running, base rates read on %d ends" % len(ends))

    # ---- wait for the baseline and a point in the records and the next point's workload running (its task has
    # started, so its impairment was applied before, and its processes are in the fabric's namespaces), and for
    # tc to show a leaf port of rail 0 impaired (200 or 40 Mbit/s: not the base rate)
    def next_point_running():
        alive("the second point")
        text, (lines, _whole) = run.text(), complete_lines(run.records)
        if RESTORE in text:
            raise AssertionError("the sweep reached the restore before the test could kill it:\n" + text[-3000:])
        if len(lines) >= 2 and text.count(WORKLOAD) >= len(lines) + 1 and in_namespaces(namespaces(run.fabric)):
            seen = tc_rate_bit(*rail0_ends(run.fabric)[0])
            return seen if seen != base[rail0_ends(run.fabric)[0]] else None
        return None
    impaired = wait_until(next_point_running, 120, lambda: "a point recorded and the next one's workload running:\n"
                          + run.text()[-3000:])
    sid = os.getsid(run.proc.pid)
    before_kill = session_members(sid)

    # ---- kill -9 the controller: ansible-playbook and everything in its session
    os.killpg(run.proc.pid, signal.SIGKILL)
    killed_at = time.time()
    run.proc.wait(30)
    wait_until(lambda: not session_members(sid), 30, "every process of the playbook's session to die")
    run.phase("controller killed")
    first_log = run.text()
    at_kill = rates(rail0_ends(run.fabric))
    rec = file_json(run.target().record_path)
    runner = file_json(run.target().runner_path)
    orphans = in_namespaces(namespaces(run.fabric))  # the workload's processes run in sessions of their own
    orphan_names = sorted(set(comm(pid) for pid in orphans))

    assert before_kill and run.proc.pid in before_kill
    assert impaired in (200 * 10 ** 6, 40 * 10 ** 6), impaired
    assert RESTORE not in first_log and "PLAY RECAP" not in first_log
    assert rec is not None and rec["ttl"] == TTL_S and rec["mechanism"] == "watchdog", rec
    assert runner is not None and int(runner["pid"]) in run.watchdogs(), (runner, run.watchdogs())
    deadline = rec["deadline"]
    assert killed_at < deadline <= killed_at + TTL_S  # armed by the point applied before the kill

    # ---- the records are intact: complete lines, each a record, the baseline and the finished points in order
    lines, whole = complete_lines(run.records)
    assert whole, "records.jsonl ends in a torn line"
    kept = [json.loads(line) for line in lines]
    finished = [r for r in kept if r["kind"] == "point"]
    assert [r["kind"] for r in kept[:1]] == ["baseline"] and len(kept[0]["repeats"]) == 2
    assert 1 <= len(finished) < len(RATES), [r["labels"] for r in kept]
    assert [r["index"] for r in finished] == list(range(len(finished)))
    assert [r["labels"]["rate"] for r in finished] == RATES[:len(finished)]
    assert all(r["status"] == "ok" and len(r["repeats"]) == 1 for r in finished)
    assert len(set(r["spec_hash"] for r in kept)) == 1
    assert progress(first_log) == [("baseline", None)] + [
        ("point", "[%d/%d] rate=%s" % (i + 1, len(RATES), RATES[i])) for i in range(len(finished))]
    # the point the kill cut short is in the kernel, on every end the axis selects: only the TTL can revert it now
    cut = RATES[len(finished)]
    assert impaired == MBIT[cut] * 10 ** 6 and at_kill == dict((e, MBIT[cut] * 10 ** 6) for e in at_kill), at_kill

    # ---- the host reverts by itself: not before the deadline, at most 5 s after it
    polls = []

    def reverted():
        now = rates(rail0_ends(run.fabric))
        polls.append((time.time(), now))
        return now == dict((e, base[e]) for e in now)
    wait_until(reverted, TTL_S + 10, lambda: "the revert of rail 0: %s" % polls[-1:], interval=POLL_S)
    reverted_at = polls[-1][0]
    last_impaired = max(t for t, seen in polls[:-1]) if len(polls) > 1 else killed_at
    run.phase("reverted: first seen at the deadline %+.2f s, last seen impaired at the deadline %+.2f s"
              % (reverted_at - deadline, last_impaired - deadline))
    assert deadline - 0.05 <= reverted_at <= deadline + 5.0, (reverted_at, deadline)
    assert rates(ends) == base  # every end of the fabric, not only the swept ones
    fired = file_json(run.target().fired_path)
    assert fired is not None and fired["outcome"] == "reverted", fired
    assert deadline - 0.05 <= fired["fired_at"] <= deadline + 5.0
    assert sorted((c["netns"], c["interface"]) for c in fired["reverted"]) == sorted(rail0_ends(run.fabric))
    wait_until(lambda: not run.watchdogs(), 10, "the watchdog to exit after its revert")
    wait_until(lambda: not in_namespaces(namespaces(run.fabric)), 60,
               lambda: "the killed point's workload to end: %s" % in_namespaces(namespaces(run.fabric)))
    assert complete_lines(run.records)[0] == lines  # nothing was written after the kill

    # ---- the resume: the same playbook, the same spec
    res = subprocess.run(run.argv(), cwd=REPO, env=run.env, capture_output=True, text=True, check=False, timeout=240)
    run.phase("resumed")
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-2000:]
    assert_no_deprecation(res.stdout, res.stderr, "sweep_rate.yml (the resume)")
    left = list(range(len(finished), len(RATES)))
    assert progress(res.stdout) == [("point", "[%d/%d] rate=%s" % (i + 1, len(RATES), RATES[i])) for i in left]
    assert res.stdout.count(WORKLOAD) == len(left)  # no baseline run, no finished point run again
    assert re.search(r"TASK \[aifabric\.emulation\.sweep : Calibrate the baseline\][^\n]*\n(\S[^\n]*\n)?"
                     r"skipping: \[localhost\]", res.stdout), res.stdout[:5000]

    with open(run.records, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n") and data.split(b"\n")[:len(lines)] == lines  # the first run's lines, unchanged
    records = [json.loads(line) for line in data.split(b"\n")[:-1]]
    assert [r["kind"] for r in records] == ["baseline"] + ["point"] * len(RATES)
    assert [r["index"] for r in records] == [-1] + list(range(len(RATES)))
    assert [r["labels"].get("rate") for r in records[1:]] == RATES
    assert len(set(r["key"] for r in records)) == len(records)  # each point (and the baseline) once
    assert len(set(r["spec_hash"] for r in records)) == 1
    assert all(r["status"] == "ok" for r in records)

    with open(os.path.join(run.out, "summary.json")) as f:
        summary = json.load(f)
    assert [p["labels"]["rate"] for p in summary["points"]] == RATES
    assert all(p["status"] == "ok" for p in summary["points"]) and summary["baseline"]["jct_s"]["n"] == 2
    slow = summary["points"][-1]["jct_ratio"]["ratio"]
    assert slow > 1.3, summary["points"]  # 40 Mbit/s on rail 0: clearly slower than the baseline
    cases = [c.get("name") for c in ET.parse(os.path.join(run.out, "junit.xml")).getroot().iter("testcase")]
    assert len(cases) == 1 + len(RATES) and ["point %d: rate=%s" % (i, v) for i, v in enumerate(RATES)] == cases[1:]
    assert os.path.getsize(os.path.join(run.out, "report.html")) > 10000

    # ---- nothing of the fabric is left: namespaces, watchdogs, processes, TTL records
    assert namespaces(run.fabric) == []
    assert not run.watchdogs()
    assert not os.path.exists(run.target().record_path) and not os.path.exists(run.target().runner_path)
    sys.stderr.write("sweep resume: %d workload processes outlived the controller (%s); phases %s\n"
                     % (len(orphans), orphan_names, run.phases))
