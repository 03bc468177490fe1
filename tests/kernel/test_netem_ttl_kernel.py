"""TTL watchdogs and schedules on the running kernel, in throwaway namespaces, with real detached processes.

This kernel has no sch_netem, so nothing here applies netem: the watchdogs
guard targets with nothing owned (what a watchdog finds after a reboot or
when someone else removed the impairment), and the schedule timing is
measured with a tbf rate trace and a link flap, which take the same path as a
netem step (one netlink request from the watchdog process). The lab tier
(tests/lab/test_netem_ttl_lab.py) proves the reverts of real netem trees.

Oracles: /proc (processes, sessions, file descriptors), `tc -t monitor` and
`ip -t monitor link` (when the kernel made each change), `ip -j link`.
Every test kills the watchdogs it started, whatever happens.
"""
import fcntl
import json
import os
import signal
import subprocess
import sys
import termios
import time

import pytest

from netlab import COLLECTIONS, REPO, processes_named, run_module, sh, tc_json, wait_until
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model, resource, schedule, ttl
from ansible_collections.aifabric.emulation.plugins.module_utils.netem.argspec import ARGUMENT_SPEC

sys.path.insert(0, os.path.join(REPO, "tools"))
import bench_schedule as bench  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")

P99_LIMIT_MS = 20.0  # the target on the running kernel


def watchdogs():
    return processes_named(ttl.COMM)


@pytest.fixture
def state(tmp_path, monkeypatch):
    """A private state directory and the watchdog mechanism; kills every watchdog the test started."""
    monkeypatch.setattr(core, "STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv(ttl.MECHANISM_ENV, "watchdog")
    before = watchdogs()
    yield tmp_path / "state"
    for pid in watchdogs() - before:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def arm(netns, dev, seconds, sched=None, direction="egress"):
    """Arm as the module does (before the engine), then report the rules as applied (after)."""
    job = core.Job(dev, model.normalize_rules([{"delay": {"time": "1ms"}}]), "merged", netns, direction)
    job.ttl, job.schedule = seconds, sched
    runs = ttl.before([job])
    job.want = job.rules
    job.result["after"] = [model.rule_to_user(r) for r in job.rules]
    ttl.after(runs)
    return job, runs[0].target


def runner_pid(target):
    info = ttl.read_runner(target)
    assert ttl.alive(info), info
    return int(info["pid"])


def fired(target):
    try:
        with open(target.fired_path) as f:
            return json.load(f)
    except OSError:
        return None


def log_text():
    try:
        with open(os.path.join(ttl.ttl_dir(), "ttl.log")) as f:
            return f.read()
    except OSError:
        return ""


def test_watchdog_is_detached_and_a_watchdog_with_nothing_owned_exits_cleanly(pair, state):
    """The reboot case: the deadline comes and the target has nothing this collection owns."""
    job, target = arm(pair.a, pair.dev_a, 2.0)
    assert job.result["ttl"]["action"] == "armed" and job.result["changed"]
    pid = runner_pid(target)
    rec = ttl.read_record(target)
    # detached: its own session and process group, not our child, stdio on /dev/null, no pipe or terminal
    assert os.getsid(pid) != os.getsid(0) and os.getpgid(pid) != os.getpgid(0)
    with open("/proc/%d/stat" % pid) as f:
        assert int(f.read().rsplit(")", 1)[1].split()[1]) != os.getpid()
    assert [os.readlink("/proc/%d/fd/%d" % (pid, fd)) for fd in (0, 1, 2)] == ["/dev/null"] * 3
    for fd in os.listdir("/proc/%d/fd" % pid):
        link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        assert not link.startswith(("pipe:", "/dev/pts", "/dev/tty")), link
    assert watchdogs() >= {pid}
    info = ttl.read_runner(target)
    wait_until(lambda: not ttl.alive(info) and fired(target), 2.0 + 5, "the watchdog to fire and exit")
    done = fired(target)
    assert rec["deadline"] - 0.05 <= done["fired_at"] <= rec["deadline"] + 1.0, (done["fired_at"], rec["deadline"])
    assert done["outcome"] == "nothing to revert: no owned objects" and done["commands"] == []
    assert pid not in watchdogs()
    assert ttl.read_record(target) is None and not os.path.exists(target.runner_path)
    assert "TTL of va egress in network namespace %s expired" % pair.a in log_text()
    assert "nothing to revert" in log_text()


def test_heartbeat_extends_the_deadline_with_one_watchdog(pair, state):
    others = watchdogs()
    _job, target = arm(pair.a, pair.dev_a, 3.0)
    pid = runner_pid(target)
    first = ttl.read_record(target)
    wait_until(lambda: time.time() > first["armed_at"] + 1.0, 3, "one second into the TTL")
    for _beat in range(3):  # three heartbeats in a row: still one process, the same one
        job, _t = arm(pair.a, pair.dev_a, 3.0)
        assert job.result["ttl"]["action"] == "rearmed" and not job.result["changed"]
    last = ttl.read_record(target)
    assert last["rearms"] == 3 and last["deadline"] >= first["deadline"] + 1.0
    assert runner_pid(target) == pid and watchdogs() - others == {pid}  # no pile-up
    # the first deadline passes: nothing fires
    wait_until(lambda: time.time() > first["deadline"] + 0.5, 5, "the first deadline to pass")
    assert fired(target) is None and ttl.alive(ttl.read_runner(target))
    wait_until(lambda: fired(target), 5, "the revert at the new deadline")
    assert last["deadline"] - 0.05 <= fired(target)["fired_at"] <= last["deadline"] + 1.0


def test_two_targets_with_different_ttls_fire_independently(pair, state):
    _ja, a = arm(pair.a, pair.dev_a, 2.0)
    _jb, b = arm(pair.b, pair.dev_b, 4.0)
    pid_b = runner_pid(b)
    assert runner_pid(a) != pid_b
    wait_until(lambda: fired(a), 2.0 + 5, "the first target's revert")
    assert fired(b) is None and ttl.alive(ttl.read_runner(b))  # the other one keeps its own deadline
    wait_until(lambda: fired(b), 4.0 + 5, "the second target's revert")
    for target in (a, b):
        rec = fired(target)
        assert rec["deadline"] - 0.05 <= rec["fired_at"] <= rec["deadline"] + 1.0
    assert fired(b)["fired_at"] - fired(a)["fired_at"] > 1.0


def test_absent_disarms_without_a_revert(pair, state):
    _job, target = arm(pair.a, pair.dev_a, 60.0)
    pid = runner_pid(target)
    gone = core.Job(pair.dev_a, None, "deleted", pair.a)
    runs = ttl.before([gone])
    ttl.after(runs)  # the engine found nothing to remove: after is []
    assert gone.result["ttl"]["action"] == "disarmed"
    assert pid not in watchdogs() and ttl.read_record(target) is None and fired(target) is None
    assert "TTL of va egress in network namespace %s disarmed" % pair.a in log_text()


CHILD = r"""
import os, sys, time
sys.path.insert(0, %(collections)r)
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model, ttl
core.STATE_DIR = %(state)r
job = core.Job(%(dev)r, model.normalize_rules([{"delay": {"time": "1ms"}}]), "merged", %(netns)r)
job.ttl = 4.0
runs = ttl.before([job])
job.want, job.result["after"] = job.rules, [{"name": "default"}]
ttl.after(runs)
print("armed", flush=True)
time.sleep(3600)
"""


def test_survives_the_hangup_and_the_kill_of_the_session_that_armed_it(pair, state):
    """What a dead controller does to an SSH session: its terminal hangs up, its processes are killed."""
    master, slave = os.openpty()

    def controlling_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    script = CHILD % {"collections": COLLECTIONS, "state": str(state), "dev": pair.dev_a, "netns": pair.a}
    child = subprocess.Popen([sys.executable, "-c", script], stdin=slave, stdout=slave, stderr=slave,
                             start_new_session=True, preexec_fn=controlling_terminal,
                             env=dict(os.environ, **{ttl.MECHANISM_ENV: "watchdog"}))
    os.close(slave)
    try:
        got = b""
        deadline = time.monotonic() + 60
        while b"armed" not in got and time.monotonic() < deadline:
            got += os.read(master, 4096)
        assert b"armed" in got, got
        target = ttl.Target(pair.a, pair.dev_a, "egress")
        pid = runner_pid(target)
        os.close(master)  # the terminal hangs up: SIGHUP to the session
        master = None
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(10)
        assert ttl.alive(ttl.read_runner(target)) and pid in watchdogs()
        wait_until(lambda: fired(target), 4.0 + 5, "the revert after the session died")
        assert pid not in watchdogs()
    finally:
        if master is not None:
            os.close(master)
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def test_tbf_rate_trace_lands_within_20ms_p99(pair, state):
    """The runner's timing on the running kernel: 60 tbf rate changes 25 ms apart, seen by `tc -t monitor`."""
    errors, lateness = bench.measure_tbf(pair.a, pair.dev_a, 60, 0.025)
    stats = bench.summary(errors)
    print("tbf rate trace, observed error: %s; runner lateness p99 %.2f ms"
          % (stats, bench.percentile(lateness, 99)))
    assert stats["n"] == 60 and stats["min_ms"] >= -1.0  # never early (a millisecond of clock reading aside)
    assert stats["p99_ms"] < P99_LIMIT_MS, stats
    # changed in place: the monitor saw no deletion of the tbf, and its handle is the same
    root = [q for q in tc_json(pair.a, "qdisc show dev", pair.dev_a) if q.get("root")][0]
    assert root["kind"] == "tbf" and root["handle"] == "1:"


def test_link_flap_timing_and_absent_brings_the_link_up(pair, state):
    sched = schedule.normalize({"type": "flap", "mode": "link", "down": "200ms", "every": "500ms", "count": 4},
                               [{"delay": "1ms"}], os.uname()[2], ttl=30.0)
    mon = bench.Monitor(pair.a, "ip")
    try:
        mon.ready()
        _job, target = arm(pair.a, pair.dev_a, 30.0, sched)
        rec = ttl.read_record(target)
        assert rec["schedule"]["started_at"] is not None
        info = bench.wait_runner(target, ("done", "failed"), 30)
        assert info["state"] == "done" and info["link_down"] is False, info
        wait_until(lambda: len(bench.link_transitions(mon.events(), pair.dev_a)) >= 8, 10, "eight link changes")
        changes = bench.link_transitions(mon.events(), pair.dev_a)
        assert [up for _s, up in changes] == [False, True] * 4
        errs = bench.errors_ms([s for s, _u in changes], [rec["schedule"]["started_at"] + s.t for s in sched.steps])
        print("link flap, observed error ms: %s" % bench.summary(errs))
        assert bench.percentile(errs, 99) < P99_LIMIT_MS and min(errs) >= -1.0, errs
        # a long flap holds the link down; state absent stops it and brings the link up again
        long_flap = schedule.normalize({"type": "flap", "mode": "link", "down": "60s"}, [{"delay": "1ms"}],
                                       os.uname()[2], ttl=90.0)
        _job, target = arm(pair.a, pair.dev_a, 90.0, long_flap)
        pid = runner_pid(target)
        wait_until(lambda: "UP" not in _flags(pair), 10, "the link to go down")
        gone = core.Job(pair.dev_a, None, "deleted", pair.a)
        runs = ttl.before([gone])
        ttl.after(runs)
        assert "UP" in _flags(pair) and pid not in watchdogs()
        assert gone.result["ttl"]["action"] == "disarmed"
    finally:
        mon.remove()


def _flags(pair):
    return json.loads(sh("ip -n %s -j link show %s" % (pair.a, pair.dev_a)).stdout)[0]["flags"]


def test_the_timer_s_fire_command_works_from_a_fresh_process(pair, state):
    """What the systemd unit runs: it stops the runner first, then reverts, and logs to stdout (the journal)."""
    _job, target = arm(pair.a, pair.dev_a, 120.0)
    pid = runner_pid(target)
    res = subprocess.run(ttl.fire_command(target), capture_output=True, text=True, check=False, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "TTL of va egress in network namespace %s expired" % pair.a in res.stdout
    assert pid not in watchdogs() and fired(target)["outcome"].startswith("nothing to revert")


def module(**params):
    return run_module(resource.run_module, ARGUMENT_SPEC, **params)


def test_bad_input_through_the_module_arms_and_applies_nothing(pair, state):
    flap = {"type": "flap", "down": "1s", "every": "5s", "count": 3, "mode": "loss"}
    cases = [
        (dict(ttl=-20), "ttl", "negative"),
        (dict(ttl="10s", schedule=flap), "ttl", "shorter than the schedule"),
        (dict(ttl="1m", schedule={"type": "trace", "content": "t,delay\n0,1ms\n1,2ms\n2,oops\n"}),
         "schedule.content", "row 4"),
        (dict(ttl="1m", schedule={"type": "ramp", "parameter": "loss", "start": "0%", "end": "101%",
                                  "duration": "10s", "steps": 10}), "schedule.end", "above 100%"),
    ]
    before = watchdogs()
    for extra, field, words in cases:
        out = module(interface=pair.dev_a, netns=pair.a, rules=[{"delay": "5ms"}], **extra)
        assert out["failed"] and out["param"] == field and words in out["msg"], out
    assert watchdogs() == before
    assert not os.path.exists(ttl.ttl_dir()) or not [n for n in os.listdir(ttl.ttl_dir()) if n.endswith(".json")]
    assert [q for q in tc_json(pair.a, "qdisc show dev", pair.dev_a) if q["handle"].startswith("fab")] == []


def test_a_kernel_refusal_undoes_a_fresh_arm(pair, state):
    """netem is missing here, so the engine fails: the TTL this run armed is disarmed, nothing is left."""
    if core.netem_available():
        pytest.skip("this kernel has sch_netem; the lab tier covers refusals there")
    before = watchdogs()
    out = module(interface=pair.dev_a, netns=pair.a, rules=[{"delay": "5ms"}], ttl="1m")
    assert out["failed"] and "sch_netem" in out["msg"], out
    assert watchdogs() == before and ttl.read_record(ttl.Target(pair.a, pair.dev_a, "egress")) is None
