# -*- coding: utf-8 -*-
"""TTL without a kernel: input, what the module refuses before arming anything, the systemd commands, the records."""
import json
import os
import subprocess
import sys
import zipfile

import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model, resource, ttl

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTIONS = os.path.join(REPO, ".cache", "collections")


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    """A private state directory; nothing may fork a watchdog or run systemd here unless a test says so."""
    monkeypatch.setattr(core, "STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv(ttl.MECHANISM_ENV, raising=False)

    def no_spawn(*_a, **_k):
        raise AssertionError("a unit test started a watchdog")

    def no_run(argv):
        raise AssertionError("a unit test ran %s" % argv)

    monkeypatch.setattr(ttl, "spawn", no_spawn)
    monkeypatch.setattr(ttl, "_run", no_run)
    return tmp_path / "state"


# ----------------------------------------------------------------- input --


@pytest.mark.parametrize("value, seconds", [(20, 20.0), ("20", 20.0), ("90s", 90.0), ("10m", 600.0), ("1h", 3600.0),
                                            ("1h30m", 5400.0), (1.5, 1.5), (None, None)])
def test_ttl_values(value, seconds):
    assert ttl.parse_ttl(value) == seconds


@pytest.mark.parametrize("value, words", [
    (-20, "negative"), ("-20", "negative"), ("-10m", "negative"), (0, "too short"), ("500ms", "too short"),
    ("31d", "longer than the 30 days"), (True, "boolean"), ("soon", "cannot read"), ({"s": 1}, "cannot read"),
])
def test_bad_ttl_names_the_field(value, words):
    with pytest.raises(errors.ValidationError) as err:
        ttl.parse_ttl(value, "config[1].ttl")
    assert err.value.param == "config[1].ttl" and words in err.value.message, err.value


# --------------------------------------- the module: refused, nothing armed --


class Exit(Exception):
    pass


class FakeModule:
    _diff = False

    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = dict(interface="eth0", netns=None, direction="egress", rules=None, state="present",
                           allow_management=False, ttl=None, ttl_required=False, schedule=None, config=None,
                           running_config=None)
        self.params.update(params)

    def exit_json(self, **kw):
        raise Exit(dict(kw, failed=False))

    def fail_json(self, **kw):
        raise Exit(dict(kw, failed=True))


def run(monkeypatch, check_mode=False, **params):
    def no_converge(*_a, **_k):
        raise AssertionError("the engine was called: something would be applied")

    monkeypatch.setattr(core, "converge", no_converge)
    with pytest.raises(Exit) as result:
        resource.run_module(FakeModule(check_mode, **params))
    return result.value.args[0]


FLAP = {"type": "flap", "down": "1s", "every": "5s", "count": 3}
BAD_INPUT = [
    ("negative ttl", dict(rules=[{"delay": "5ms"}], ttl=-20), "ttl", "negative"),
    ("schedule longer than its ttl", dict(rules=[{"delay": "5ms"}], ttl="10s", schedule=FLAP), "ttl",
     "shorter than the schedule"),
    ("csv with a bad row", dict(rules=[{"delay": "5ms"}], ttl="1m", schedule={
        "type": "trace", "content": "t,delay,loss\n0,1ms,0%\n0.5,2ms,0.1%\n1,3ms,lots\n"}), "schedule.content",
     "row 4: loss"),
    ("ramp to a refused value", dict(rules=[{"loss": "1%"}], ttl="1m", schedule={
        "type": "ramp", "parameter": "loss", "start": "1%", "end": "120%", "duration": "10s", "steps": 5}),
     "schedule.end", "above 100%"),
    ("ttl required", dict(rules=[{"delay": "5ms"}], ttl_required=True), "ttl", "ttl_required is set"),
    ("schedule without ttl", dict(rules=[{"delay": "5ms"}], schedule=FLAP), "ttl", "set ttl"),
    ("schedule with state absent", dict(state="absent", schedule=FLAP), "schedule", "needs rules"),
    ("bulk entry's own ttl", dict(interface=None, config=[
        {"interface": "up0", "rules": [{"delay": "1ms"}]},
        {"interface": "up1", "rules": [{"delay": "1ms"}], "ttl": "-1m"}]), "config[1].ttl", "negative"),
    ("bulk entry inherits a short ttl", dict(interface=None, ttl=5, config=[
        {"interface": "up0", "rules": [{"delay": "1ms"}], "schedule": FLAP}]), "ttl", "shorter than the schedule"),
]


@pytest.mark.parametrize("params, field, words", [pytest.param(*c[1:], id=c[0]) for c in BAD_INPUT])
def test_bad_input_is_refused_naming_the_field_with_nothing_armed(monkeypatch, state_dir, params, field, words):
    out = run(monkeypatch, **params)
    assert out["failed"] and out["param"] == field and words in out["msg"], out
    assert out["msg"].startswith(field + ": ")
    assert not state_dir.exists()  # no record, no lock, no log: nothing armed


def test_ttl_is_ignored_where_nothing_is_impaired():
    for state in ("deleted", "gathered", "rendered"):
        params = dict(FakeModule().params, state=state, ttl=-1 if state == "deleted" else 10,
                      rules=[{"delay": "1ms"}] if state == "rendered" else None)
        if state != "gathered":
            jobs = resource.jobs_from_params(params, core.resource.canonical_state(state), "6.1.0")
            assert all(j.ttl is None for j in jobs)


def test_entries_take_their_own_ttl_or_the_task_s():
    params = dict(FakeModule().params, interface=None, ttl="2m", config=[
        {"interface": "up0", "rules": [{"delay": "1ms"}], "ttl": None, "schedule": None},
        {"interface": "up1", "rules": [{"delay": "1ms"}], "ttl": "30s", "schedule": None}])
    jobs = resource.jobs_from_params(params, "merged", "6.1.0")
    assert [j.ttl for j in jobs] == [120.0, 30.0]


def test_check_mode_predicts_and_arms_nothing(monkeypatch, state_dir):
    job = core.Job("eth0", model.normalize_rules([{"delay": "1ms"}]), "merged")
    job.ttl = 60.0
    runs = ttl.before([job], check_mode=True)
    job.result["after"] = [{"name": "default"}]
    ttl.after(runs, check_mode=True)
    assert job.result["ttl"]["action"] == "armed" and job.result["ttl"]["seconds"] == 60.0
    assert not state_dir.exists()


# --------------------------------------------------------------- systemd --


class Systemd:
    """Records the commands; systemd-run succeeds unless told otherwise."""

    def __init__(self, fail=False):
        self.calls, self.fail = [], fail

    def __call__(self, argv):
        self.calls.append(argv)
        rc = 1 if self.fail and argv[0] == "systemd-run" else 0
        return subprocess.CompletedProcess(argv, rc, "", "Failed to start transient timer unit" if rc else "")


def systemd_job(netns="leaf1", interface="up0", seconds=20.0):
    job = core.Job(interface, model.normalize_rules([{"delay": "1ms"}]), "merged", netns)
    job.ttl = seconds
    return job


def test_systemd_is_preferred_when_it_runs_the_host(monkeypatch, tmp_path):
    monkeypatch.setattr(ttl, "SYSTEMD_MARK", str(tmp_path / "no-systemd"))
    assert ttl.mechanism() == "watchdog"
    (tmp_path / "systemd").mkdir()
    monkeypatch.setattr(ttl, "SYSTEMD_MARK", str(tmp_path / "systemd"))
    monkeypatch.setattr(ttl.shutil, "which", lambda name: "/usr/bin/" + name)
    assert ttl.mechanism() == "systemd"
    monkeypatch.setenv(ttl.MECHANISM_ENV, "watchdog")
    assert ttl.mechanism() == "watchdog"


def test_systemd_run_argv_arm_rearm_disarm(monkeypatch, state_dir):
    monkeypatch.setenv(ttl.MECHANISM_ENV, "systemd")
    systemd = Systemd()
    monkeypatch.setattr(ttl, "_run", systemd)
    job = systemd_job()
    runs = ttl.before([job])
    target = ttl.Target("leaf1", "up0", "egress")
    unit = "aifabric-netem-leaf1-up0-egress"
    stop = ["systemctl", "stop", unit + ".timer", unit + ".service"]
    root = ttl.code_root()
    assert root == COLLECTIONS  # the checkout, as the tests import it
    assert systemd.calls == [stop, [
        "systemd-run", "--unit=" + unit, "--description=aifabric.emulation netem TTL revert of up0 egress in "
        "network namespace leaf1", "--on-active=20000ms", "--timer-property=AccuracySec=100ms", "--collect",
        "--quiet", "--", sys.executable, "-c", ttl.BOOT, root, "fire", target.record_path]]
    job.result["after"] = [{"name": "default"}]
    ttl.after(runs)
    assert job.result["ttl"]["action"] == "armed" and job.result["ttl"]["mechanism"] == "systemd"
    assert job.result["ttl"]["unit"] == unit and job.result["changed"]
    # a heartbeat replaces the timer: stop, then start again - one timer per target
    systemd.calls[:] = []
    job2 = systemd_job(seconds=90.0)
    runs = ttl.before([job2])
    job2.result["after"] = [{"name": "default"}]
    ttl.after(runs)
    assert systemd.calls[0] == stop and systemd.calls[1][0] == "systemd-run"
    assert "--on-active=90000ms" in systemd.calls[1] and len(systemd.calls) == 2
    assert job2.result["ttl"]["action"] == "rearmed" and not job2.result["changed"]
    assert ttl.read_record(target)["rearms"] == 1
    # state absent: the timer is stopped and the record goes
    systemd.calls[:] = []
    gone = core.Job("up0", None, "deleted", "leaf1")
    runs = ttl.before([gone])
    ttl.after(runs)
    assert gone.result["ttl"] == {"action": "disarmed", "ttl": "1m30s"}
    assert systemd.calls == [stop] and ttl.read_record(target) is None


def test_systemd_run_failure_fails_before_anything_is_applied(monkeypatch, state_dir):
    monkeypatch.setenv(ttl.MECHANISM_ENV, "systemd")
    monkeypatch.setattr(ttl, "_run", Systemd(fail=True))
    with pytest.raises(errors.ModuleError) as err:
        ttl.before([systemd_job()])
    assert err.value.param == "ttl" and "Failed to start transient timer unit" in err.value.message
    assert ttl.read_record(ttl.Target("leaf1", "up0", "egress")) is None


@pytest.mark.parametrize("netns, dev, unit", [
    (None, "eth1", "aifabric-netem-init-eth1-egress"),
    ("/run/netns/rack 1", "eth1", "aifabric-netem-run_netns_rack_1-eth1-egress-"),
    ("leaf1", "eth1@x", "aifabric-netem-leaf1-eth1_x-egress-"),
])
def test_unit_names(netns, dev, unit):
    name = ttl.unit_name(ttl.Target(netns, dev, "egress"))
    assert name.startswith(unit) and len(name) == len(unit) + (8 if unit.endswith("-") else 0)
    assert all(c.isalnum() or c in "_.-" for c in name)


def zipped_collection(path):
    """The collection's module_utils as AnsiballZ ships them: a zip with package __init__ files."""
    with zipfile.ZipFile(str(path), "w") as z:
        for pkg in ("ansible_collections", "ansible_collections/aifabric", "ansible_collections/aifabric/emulation",
                    "ansible_collections/aifabric/emulation/plugins"):
            z.writestr(pkg + "/__init__.py", "")
        top = os.path.join(REPO, "plugins", "module_utils")
        for root, _dirs, files in os.walk(top):
            for name in files:
                if name.endswith(".py"):
                    full = os.path.join(root, name)
                    z.write(full, "ansible_collections/aifabric/emulation/plugins/module_utils/"
                            + os.path.relpath(full, top))


def test_the_timer_command_runs_from_a_copy_of_the_zip(tmp_path, state_dir):
    """What the systemd timer runs later, when the task's AnsiballZ zip is gone: the copy in the state dir."""
    archive = tmp_path / "payload.zip"
    zipped_collection(archive)

    class ZipLoader:
        pass
    loader = ZipLoader()
    loader.archive = str(archive)
    saved = ttl.__loader__
    ttl.__loader__ = loader
    try:
        root = ttl.code_root()
    finally:
        ttl.__loader__ = saved
    assert root.startswith(str(state_dir)) and os.path.basename(root).startswith("code-")
    archive.unlink()
    target = ttl.Target("aifabric-no-such-ns", "up0", "egress")
    record = dict(netns=target.netns, interface="up0", direction="egress", ttl=20, armed_at=1.0, deadline=21.0,
                  deadline_mono=0.0, boot_id=ttl.boot_id(), mechanism="systemd", token="t", schedule=None)
    with open(target.record_path, "w") as f:
        json.dump(record, f)
    res = subprocess.run(ttl.fire_command(target, root), capture_output=True, text=True, check=False,
                         env=dict(os.environ, PYTHONPATH=""))
    assert res.returncode == 0, res.stderr
    assert "TTL of up0 egress in network namespace aifabric-no-such-ns expired" in res.stdout
    with open(target.fired_path) as f:
        fired = json.load(f)
    assert fired["outcome"].startswith("nothing to revert") and not os.path.exists(target.record_path)
    with open(os.path.join(ttl.ttl_dir(), "ttl.log")) as f:
        assert "expired" in f.read()


# ------------------------------------------------------------- records --


def test_a_record_from_another_boot_is_not_armed(state_dir):
    target = ttl.Target("leaf1", "up0", "egress")
    os.makedirs(ttl.ttl_dir())
    with open(target.record_path, "w") as f:
        json.dump({"boot_id": "an-earlier-boot", "ttl": 20, "deadline": 1, "deadline_mono": 1}, f)
    assert ttl.read_record(target) is None and ttl.armed("leaf1", "up0", "egress") is None


def test_describe_shows_deadline_and_remaining():
    rec = {"ttl": 600.0, "deadline": 1796133585.5, "deadline_mono": ttl.time.monotonic() + 300, "armed_at": 0.0,
           "rearms": 2, "mechanism": "watchdog",
           "schedule": {"id": "abc", "summary": {"type": "flap", "steps": 6}, "start_mono": 1.0, "started_at": 2.0}}
    view = ttl.describe(rec, "rearmed", {"schedule": "abc", "state": "running", "step": 3})
    assert view["deadline"] == "2026-12-01T13:59:45.500Z" and 299 <= view["remaining"] <= 300
    assert view["ttl"] == "10m" and view["rearms"] == 2 and view["action"] == "rearmed"
    assert view["schedule"]["state"] == "running" and view["schedule"]["done"] == 3


def test_a_heartbeat_holds_what_a_running_schedule_set():
    """Re-running with the same schedule must not reset the driven rule's values: the kernel's are wanted."""
    want = model.normalize_rules([{"name": "a", "delay": "10ms"},
                                  {"name": "b", "match": {"dscp": [26]}, "delay": "1ms"}])
    have = [dict(r) for r in want]
    have[0] = dict(have[0], netem=dict(have[0]["netem"], latency=35 * 10**6, limit=2000))
    held = core._held(want, have, ("a",))
    assert held[0]["netem"]["latency"] == 35 * 10**6 and model.same_netem(held[0], have[0])
    assert held[1] is want[1]
    assert core._held(want, have, ("b",))[0] is want[0]
