"""Workload options, ring plans, rank discovery and the process runner (no root, no kernel state).

The runner tests start ordinary processes (sh, sleep) and check that a deadline kills a whole job,
a detached grandchild included; nccl_tests and command run end to end with stand-in binaries that
print a recorded nccl-tests table or step times.
"""
import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.workload import (
    allreduce, core, metrics, model, ranks, runner, units)
from ansible_collections.aifabric.emulation.plugins.module_utils.workload import allreduce_driver

FIXTURES = os.path.join(os.path.dirname(__file__), "workload_fixtures")


def params(**kw):
    p = {"type": "allreduce", "fabric": None, "ranks": None, "steps": 20, "warmup": 1, "compute": "0",
         "bytes": "4MiB", "buckets": 1, "per_rail": None, "timeout": "300s", "env": {}, "mpirun": "mpirun",
         "rank_python": "/usr/bin/python3", "iperf3": None, "perftest": None, "nccl_tests": None, "command": None}
    p.update(kw)
    return p


def rail_ranks(n=4, rails=2, netns=True, vlan=None):
    out = []
    for i in range(n):
        names = ["rail%d%s" % (k, "" if vlan is None else ".%d" % (vlan + k)) for k in range(rails)]
        out.append({"netns": "f1-server%d" % i if netns else None, "address": "10.0.%d.%d" % (0, 2 * i + 1),
                    "rail_ifnames": names, "rail_addresses": ["10.0.%d.%d" % (k, 2 * i + 1) for k in range(rails)],
                    "mgmt_address": "172.31.0.%d" % (10 + i), "mgmt_ifname": "mgmt0"})
    return out


# -------------------------------------------------------------- units --

@pytest.mark.parametrize("text, value", [
    ("4MiB", 4 * 2 ** 20), ("4M", 4 * 2 ** 20), ("512K", 512 * 1024), ("1GB", 10 ** 9), ("8", 8), (1024, 1024),
    ("1.5KiB", 1536), ("2 GiB", 2 * 2 ** 30), ("10kB", 10000),
])
def test_sizes(text, value):
    assert units.parse_bytes(text, "bytes") == value


@pytest.mark.parametrize("text", ["4 parsecs", "-1", "1.3B", True, None, [], "0.5"])
def test_bad_sizes_name_the_option(text):
    with pytest.raises(errors.ValidationError) as e:
        units.parse_bytes(text, "bytes")
    assert e.value.param == "bytes"


@pytest.mark.parametrize("text, value", [
    ("20ms", 0.02), ("1.5s", 1.5), ("500us", 0.0005), ("2m", 120.0), ("0", 0.0), (0.25, 0.25), ("300s", 300.0),
    ("1h", 3600.0), (".5s", 0.5),
])
def test_durations(text, value):
    assert units.parse_seconds(text, "compute") == pytest.approx(value)


@pytest.mark.parametrize("text", ["fast", "-2s", "5 days", False])
def test_bad_durations_name_the_option(text):
    with pytest.raises(errors.ValidationError) as e:
        units.parse_seconds(text, "timeout")
    assert e.value.param == "timeout"


# -------------------------------------------------------------- model --

def test_normalize_resolves_units():
    job = model.normalize(params(compute="20ms", bytes="1MiB", timeout="90s", env={"A": 1, "B": True}))
    assert job["compute_s"] == pytest.approx(0.02) and job["bytes"] == 2 ** 20 and job["timeout_s"] == 90.0
    assert job["env"] == {"A": "1", "B": "1"}


@pytest.mark.parametrize("kw, param", [
    ({"bytes": "6"}, "bytes"), ({"bytes": "2"}, "bytes"), ({"timeout": "0"}, "timeout"), ({"steps": 0}, "steps"),
    ({"buckets": 0}, "buckets"), ({"bytes": "8", "buckets": 3}, "buckets"), ({"fabric": "Bad-Name"}, "fabric"),
    ({"fabric": "f1", "ranks": []}, "fabric"), ({"env": {"A=B": "1"}}, "env"), ({"env": {"A": [1]}}, "env.A"),
    ({"steps": True}, "steps"), ({"type": "iperf3", "iperf3": {"duration": "1.5s"}}, "iperf3.duration"),
    ({"type": "command", "command": {"argv": []}}, "command.argv"),
    ({"type": "command", "command": {"argv": ["x"], "regex": {"m": "(("}}}, "command.regex.m"),
])
def test_normalize_names_the_bad_option(kw, param):
    with pytest.raises(errors.ValidationError) as e:
        model.normalize(params(**kw))
    assert e.value.param == param, e.value


def test_type_options_get_their_defaults():
    job = model.normalize(params(type="iperf3", iperf3={"streams": 4}))
    assert job["iperf3"]["streams"] == 4 and job["iperf3"]["port"] == 5201 and job["iperf3"]["duration_s"] == 5.0
    job = model.normalize(params(type="ib_write_bw"))
    assert job["perftest"]["iterations"] == 1000 and job["perftest"]["size_bytes"] is None
    job = model.normalize(params(type="nccl_tests"))
    assert job["nccl_tests"]["binary"] == "all_reduce_perf" and job["nccl_tests"]["args"][0] == "-b"


# --------------------------------------------------------------- plan --

def test_one_ring_per_rail_by_default_on_two_rails():
    job = model.normalize(params(fabric="f1", bytes="4MiB", steps=5, compute="20ms", buckets=2))
    p = allreduce.plan(job, rail_ranks(), "/w")
    assert p["per_rail"] is True and [r["rail"] for r in p["rings"]] == [0, 1]
    assert [r["bytes"] for r in p["rings"]] == [2 * 2 ** 20, 2 * 2 ** 20]
    assert p["hostfile"] == "".join("f1-server%d slots=1\n" % i for i in range(4))
    for k, ring in enumerate(p["rings"]):
        argv = ring["argv"]
        assert argv[:5] == ["ip", "netns", "exec", "f1-server0", "mpirun"]

        def mca(name):
            return argv[argv.index(name) + 1] if name in argv else None
        pairs = dict((argv[i + 1], argv[i + 2]) for i, a in enumerate(argv) if a == "--mca")
        assert pairs["btl_tcp_if_include"] == "rail%d" % k and pairs["oob_tcp_if_include"] == "mgmt0"
        assert pairs["btl"] == "tcp,self" and pairs["pml"] == "ob1" and pairs["plm_rsh_agent"] == "/w/agent"
        assert pairs["coll_tuned_allreduce_algorithm"] == "4" and pairs["coll_tuned_use_dynamic_rules"] == "1"
        assert mca("--hostfile") == "/w/hostfile" and mca("-np") == "4" and "--oversubscribe" in argv
        assert argv[argv.index("/usr/bin/python3") + 1] == "/w/allreduce_driver.py"
        assert mca("--bytes") == str(2 * 2 ** 20) and mca("--steps") == "5" and mca("--buckets") == "2"
        assert float(mca("--compute")) == pytest.approx(0.02)


def test_per_rail_false_is_one_ring_over_every_rail():
    job = model.normalize(params(fabric="f1", per_rail=False))
    p = allreduce.plan(job, rail_ranks(vlan=100), "/w")
    assert len(p["rings"]) == 1 and p["rings"][0]["rail"] is None
    assert p["rings"][0]["ifnames"] == ["rail0.100", "rail1.101"] and p["rings"][0]["bytes"] == 4 * 2 ** 20


def test_single_rail_fabrics_run_one_ring():
    job = model.normalize(params(fabric="f1"))
    p = allreduce.plan(job, rail_ranks(rails=1), "/w")
    assert p["per_rail"] is False and [r["ifnames"] for r in p["rings"]] == [["rail0"]]


def test_uneven_split_keeps_every_element():
    assert allreduce.split_counts(10, 3) == [4, 3, 3] and sum(allreduce.split_counts(2 ** 20 + 1, 8)) == 2 ** 20 + 1
    job = model.normalize(params(fabric="f1", bytes=4 * 7))
    with pytest.raises(errors.ValidationError) as e:  # 7 elements over 2 rings of 4 ranks
        allreduce.plan(job, rail_ranks(), "/w")
    assert e.value.param == "bytes"


def test_ranks_without_netns_run_here():
    job = model.normalize(params(ranks=[{}]))
    p = allreduce.plan(job, rail_ranks(n=2, rails=1, netns=False), "/w")
    argv = p["rings"][0]["argv"]
    assert argv[0] == "mpirun" and "--host" in argv and argv[argv.index("--host") + 1] == "localhost:2"
    assert "plm_rsh_agent" not in argv and p["hostfile"] == ""


def test_driver_bucket_split_and_arguments():
    assert allreduce_driver.bucket_counts(10, 3) == [4, 3, 3] and allreduce_driver.bucket_counts(2, 4) == [1, 1]
    opts = allreduce_driver.parse_args(["--bytes", "64", "--steps", "3", "--compute", "0.5"])
    assert opts == {"bytes": 64, "steps": 3, "compute": 0.5, "buckets": 1, "warmup": 1}
    with pytest.raises(SystemExit):
        allreduce_driver.parse_args(["--bytes", "64"])
    assert "from mpi4py import MPI" in allreduce.driver_source()


def test_the_rsh_agent_runs_the_command_in_the_hosts_namespace():
    # Open MPI calls `agent [options] host command...`; stand in for ip with a script that prints its arguments
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        agent = os.path.join(d, "agent")
        with open(agent, "w") as f:
            f.write(allreduce.AGENT)
        os.chmod(agent, 0o755)
        fake_ip = os.path.join(d, "ip")
        with open(fake_ip, "w") as f:
            f.write('#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done\necho " TMPDIR=$TMPDIR"\n')
        os.chmod(fake_ip, 0o755)
        env = dict(os.environ, PATH=d + ":" + os.environ["PATH"], TMPDIR=os.path.join(d, "ring1"))
        out = subprocess.run([agent, "-x", "f1-server2", "", "orted", "-mca", "ess", '"env"'], env=env,
                             capture_output=True, text=True, check=True).stdout
        # every orted gets a session directory tree of its own: orteds of concurrent rings on one machine share
        # its hostname, and with one tree their PMIx stores collided (launches hung or failed one time in five)
        assert os.path.isdir(os.path.join(d, "ring1", "f1-server2"))
    assert out == '[netns][exec][f1-server2][/bin/sh][-c][ orted -mca ess "env"] TMPDIR=%s\n' % os.path.join(
        d, "ring1", "f1-server2")


def _proc(stdout, rc=0, wall=1.0):
    class P:
        pass
    p = P()
    p.stdout, p.stderr, p.returncode, p.wall_s = stdout, "", rc, wall
    return p


def _report(step_s, comm_s, n=4, nbytes=2 ** 20):
    import json
    body = {"driver": "aifabric-allreduce", "version": 1, "ranks": n, "bytes": nbytes, "buckets": 1,
            "steps": len(step_s), "warmup": 1, "compute_s": 0.01, "step_s": step_s, "comm_s": comm_s,
            "loop_s": sum(step_s), "wrong": 0, "expected": 10.0, "mpi": "Open MPI v4.1.4", "mpi4py": "3.1.4",
            "hosts": ["vm"] * n}
    return "noise\n" + "AIFABRIC_ALLREDUCE " + json.dumps(body) + "\n"


def test_rings_combine_per_step_the_slowest_ring():
    job = model.normalize(params(fabric="f1", bytes="4MiB"))
    p = allreduce.plan(job, rail_ranks(), "/w")
    procs = [_proc(_report([0.10, 0.30, 0.20], [0.09, 0.29, 0.19]), wall=2.0),
             _proc(_report([0.20, 0.10, 0.25], [0.19, 0.09, 0.24]), wall=2.5)]
    out = allreduce._result(p, procs, 2.6, 4)
    assert set(out) == set(metrics.KEYS) and out["jct_s"] == 2.6 and out["ranks"] == 4
    assert out["raw"]["step_s"] == [0.20, 0.30, 0.25] and out["raw"]["comm_s"] == [0.19, 0.29, 0.24]
    assert out["step_p50_s"] == 0.25 and out["step_p99_s"] == 0.30 and out["steps"] == 3
    mean_comm = (0.19 + 0.29 + 0.24) / 3
    assert out["algbw_gbps"] == pytest.approx(4 * 2 ** 20 * 8 / mean_comm / 1e9)
    assert out["busbw_gbps"] == pytest.approx(out["algbw_gbps"] * 1.5)
    assert [r["jct_s"] for r in out["per_rail"]] == [2.0, 2.5]
    assert out["per_rail"][0]["algbw_gbps"] == pytest.approx(2 ** 21 * 8 / ((0.09 + 0.29 + 0.19) / 3) / 1e9)


def test_a_failed_ring_names_its_rail():
    job = model.normalize(params(fabric="f1"))
    p = allreduce.plan(job, rail_ranks(), "/w")
    bad = _proc("", rc=1)
    bad.stderr = "ORTE was unable to reliably start one or more daemons."
    with pytest.raises(errors.ModuleError) as e:
        allreduce._result(p, [_proc(_report([0.1], [0.1])), bad], 1.0, 4)
    assert e.value.param == "allreduce" and "rail 1 (rail1)" in e.value.message and "ORTE" in e.value.message


# -------------------------------------------------------------- ranks --

def test_server_namespaces_in_server_order():
    names = ["f1-server10", "f1-server2", "f1-rail0", "f1-server0", "f12-server1", "f1-mgmt"]
    assert ranks.server_namespaces("f1", names) == ["f1-server0", "f1-server2", "f1-server10"]


def test_rank_of_a_rail_optimized_server_with_vlans():
    links = ["lo", "rail0", "rail1", "rail0.100", "rail1.101", "mgmt0"]
    addrs = {"rail0.100": ["10.0.0.5/31"], "rail1.101": ["10.0.0.21/31"], "mgmt0": ["172.31.0.12/16"]}
    r = ranks.rank_of("f1-server2", links, addrs)
    assert r == {"netns": "f1-server2", "rail_ifnames": ["rail0.100", "rail1.101"],
                 "rail_addresses": ["10.0.0.5", "10.0.0.21"], "address": "10.0.0.5", "mgmt_address": "172.31.0.12",
                 "mgmt_ifname": "mgmt0"}
    r = ranks.rank_of("ls-server0", ["lo", "fab0", "mgmt0"], {"fab0": ["10.0.0.3/31"], "mgmt0": ["172.31.0.10/16"]})
    assert r["rail_ifnames"] == ["fab0"] and r["address"] == "10.0.0.3"


def test_from_fabric_needs_staged_servers_with_management():
    with pytest.raises(errors.ValidationError) as e:
        ranks.from_fabric("f1", names=[])
    assert e.value.param == "fabric" and "stage the fabric" in e.value.message

    def reader(ns):
        return ranks.rank_of(ns, ["rail0"], {"rail0": ["10.0.0.1/31"]})
    with pytest.raises(errors.ValidationError) as e:
        ranks.from_fabric("f1", names=["f1-server0"], reader=reader)
    assert "mgmt0" in e.value.message


def test_explicit_ranks_are_checked():
    with pytest.raises(errors.ValidationError) as e:
        ranks.from_options([{"address": "192.0.2.1"}])
    assert e.value.param == "ranks[0].rail_ifnames"
    with pytest.raises(errors.ValidationError) as e:
        ranks.from_options([{"netns": "a", "address": "192.0.2.1", "rail_ifnames": ["eth1"]},
                            {"address": "192.0.2.2", "rail_ifnames": ["eth1"]}])
    assert e.value.param == "ranks"


# ------------------------------------------------------------- runner --

def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except (IOError, OSError):
        return False


def test_a_deadline_kills_the_whole_job_a_detached_grandchild_included(tmp_path):
    pidfile = tmp_path / "grandchild"
    job = runner.Job(0.5)
    # the grandchild leaves the process group (setsid) and ignores SIGTERM: only the marker finds it,
    # only SIGKILL ends it
    script = "setsid sh -c 'trap \"\" TERM; echo $$ > %s; exec sleep 60' & sleep 60" % pidfile
    proc = job.start("job", ["sh", "-c", script])
    t0 = time.monotonic()
    with pytest.raises(errors.ModuleError) as e:
        job.wait([proc])
    assert e.value.param == "timeout" and "timeout of 0.5s" in e.value.message
    assert time.monotonic() - t0 < 0.5 + runner.GRACE_S + 3
    grandchild = int(pidfile.read_text())
    assert not _alive(grandchild) and not _alive(proc.popen.pid)
    assert runner.marked_pids(job.marker) == []
    job.close()


def test_a_job_kills_the_processes_of_a_run_whose_module_died_and_no_others(tmp_path):
    """A module SIGKILLed mid-job leaves its ranks; the next job kills them (their owner is gone), not live jobs'."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    dead_owner = "%d:1" % dead.pid  # a pid that has ended (and a start time no process of that pid has)
    env = dict(os.environ, **{runner.MARKER: "left-behind"})
    left = subprocess.Popen(["sleep", "60"], env=dict(env, **{runner.OWNER: dead_owner}), start_new_session=True)
    live = subprocess.Popen(["sleep", "60"], env=dict(env, **{runner.OWNER: runner.process_identity(os.getpid())}))
    try:
        wait_for = time.monotonic() + 5
        while left.pid not in runner.orphans() and time.monotonic() < wait_for:  # until its exec is done
            time.sleep(0.01)
        found = runner.orphans()
        assert left.pid in found and live.pid not in found
        warning = runner.kill_orphans()
        assert left.wait(5) == -signal.SIGKILL and live.poll() is None
        assert warning.startswith("killed ") and "sleep[%d]" % left.pid in warning
        assert runner.kill_orphans() is None and live.poll() is None
        # a job's own processes carry its owner, this live process: they are never orphans
        job = runner.Job(10)
        proc = job.start("mine", ["sleep", "60"])
        assert proc.popen.pid not in runner.orphans()
        job.kill_all()
        job.close()
    finally:
        for p in (left, live):
            if p.poll() is None:
                p.kill()
                p.wait()


def test_jobs_are_timed_from_the_first_start_to_the_last_end():
    job = runner.Job(10)
    procs = [job.start("a", ["sleep", "0.2"]), job.start("b", ["sleep", "0.5"])]
    job.wait(procs)
    job.close()
    assert 0.5 <= job.wall_s() < 2.0 and all(p.returncode == 0 for p in procs)
    assert procs[1].wall_s >= 0.5 > procs[0].wall_s


def test_a_missing_binary_fails_naming_command():
    job = runner.Job(5)
    with pytest.raises(errors.ModuleError) as e:
        job.start("x", ["/nonexistent/binary"])
    assert e.value.param == "command"
    job.close()


def test_netns_argv():
    assert runner.netns_argv(None, ["a"]) == ["a"]
    assert runner.netns_argv("f1-server0", ["a", "b"]) == ["ip", "netns", "exec", "f1-server0", "a", "b"]


# ------------------------------------------------- end to end, stand-ins --

def test_nccl_tests_end_to_end_with_the_roce_env(tmp_path):
    table = os.path.join(FIXTURES, "nccl-tests-2.18.3-all_reduce_perf-16ranks.txt")
    stand_in = tmp_path / "all_reduce_perf"
    # prints the recorded table only if the NCCL environment from the roce result reached it
    stand_in.write_text('#!/bin/sh\n[ "$NCCL_IB_TC" = 106 ] && [ "$NCCL_IB_GID_INDEX" = 3 ] || exit 3\n'
                        'cat "%s"\n' % table)
    stand_in.chmod(0o755)
    roce = {"consistent": True, "nccl_env": {"NCCL_IB_TC": "106", "NCCL_IB_GID_INDEX": "3",
                                             "NCCL_SOCKET_IFNAME": "eth2"}}
    out = core.run(params(type="nccl_tests", nccl_tests={"binary": str(stand_in), "args": [], "roce": roce},
                          timeout="20s"))
    assert out["changed"] is False and out["type"] == "nccl_tests" and out["ranks"] == 16
    assert out["busbw_gbps"] == pytest.approx(37.01 * 8) and 0 < out["jct_s"] < 20
    assert out["command"] == ["NCCL_IB_GID_INDEX=3 NCCL_IB_TC=106 NCCL_SOCKET_IFNAME=eth2 %s" % stand_in]
    check = core.run(params(type="nccl_tests", nccl_tests={"binary": str(stand_in), "args": [], "roce": roce}),
                     check_mode=True)
    assert check["jct_s"] is None and check["command"] == out["command"] and check["raw"]["check_mode"] is True


def test_command_end_to_end_with_regex():
    script = "for i in 1 2 3 4; do echo \"step time: 0.$i s\"; done; echo 'busbw 3.5'"
    out = core.run(params(type="command", command={"argv": ["sh", "-c", script],
                                                   "regex": {"step_s": r"step time: ([0-9.]+) s",
                                                             "busbw_gbps": r"busbw ([0-9.]+)"}}))
    assert out["steps"] == 4 and out["step_p50_s"] == pytest.approx(0.2) and out["step_p99_s"] == pytest.approx(0.4)
    assert out["busbw_gbps"] == 3.5 and out["jct_s"] > 0 and out["per_rail"] is None


def test_command_failure_and_timeout():
    with pytest.raises(errors.ModuleError) as e:
        core.run(params(type="command", command={"argv": ["sh", "-c", "echo broken >&2; exit 4"]}))
    assert e.value.param == "command" and "exited 4" in e.value.message and "broken" in e.value.message
    with pytest.raises(errors.ModuleError) as e:
        core.run(params(type="command", timeout="0.3s", command={"argv": ["sleep", "30"]}))
    assert e.value.param == "timeout"


def test_repeats_run_the_job_again_in_one_task_and_keep_every_run(tmp_path):
    """Each run is a whole job; a failed run is kept and the next still runs; the task then fails, naming it."""
    counter = tmp_path / "runs"
    # run k prints its number; the second run fails
    script = ("n=$(($(cat %s 2>/dev/null || echo 0) + 1)); echo $n > %s; echo \"step time: 0.$n s\"; "
              "[ $n -ne 2 ] || { echo run two breaks >&2; exit 3; }" % (counter, counter))
    command = {"argv": ["sh", "-c", script], "regex": {"step_s": r"step time: ([0-9.]+) s"}}
    out = core.run(params(type="command", repeats=3, command=command))
    assert counter.read_text().strip() == "3" and len(out["repeats"]) == 3
    first, second, third = out["repeats"]
    assert first["step_p50_s"] == pytest.approx(0.1) and third["step_p50_s"] == pytest.approx(0.3)
    assert second["failed"] and "run two breaks" in second["msg"] and second["msg"].startswith("command: ")
    assert out["failed"] and out["msg"].startswith("1 of 3 runs failed (run 2): command: ")
    assert out["step_p50_s"] == pytest.approx(0.3) and out["jct_s"] > 0  # the last good run's figures
    ok = core.run(params(type="command", repeats=2, command={"argv": ["true"]}))
    assert "failed" not in ok and [r["jct_s"] > 0 for r in ok["repeats"]] == [True, True]
    for bad in (0, 1001, True, "2"):
        with pytest.raises(errors.ValidationError) as e:
            core.run(params(type="command", repeats=bad, command={"argv": ["true"]}))
        assert e.value.param == "repeats"


def test_command_per_rank_environment_check_mode():
    out = core.run(params(type="command", ranks=[
        {"netns": "f1-server0", "address": "10.0.0.1", "rail_ifnames": ["rail0", "rail1"],
         "mgmt_address": "172.31.0.10"},
        {"netns": "f1-server1", "address": "10.0.0.3", "rail_ifnames": ["rail0", "rail1"],
         "mgmt_address": "172.31.0.11"}],
        command={"argv": ["python3", "train.py"], "per_rank": True}), check_mode=True)
    assert out["ranks"] == 2 and out["jct_s"] is None
    assert out["command"][1] == ("GLOO_SOCKET_IFNAME=rail0,rail1 LOCAL_RANK=0 MASTER_ADDR=172.31.0.10 "
                                 "MASTER_PORT=29500 NCCL_SOCKET_IFNAME=rail0,rail1 NODE_RANK=1 RANK=1 WORLD_SIZE=2 "
                                 "ip netns exec f1-server1 python3 train.py")


@pytest.mark.parametrize("kind", ["allreduce", "iperf3", "ib_write_bw", "ib_send_lat"])
def test_check_mode_of_every_rank_type_runs_nothing(kind):
    rs = [{"netns": "f1-server%d" % i, "address": "10.0.0.%d" % (2 * i + 1), "rail_ifnames": ["rail0"],
           "mgmt_address": "172.31.0.%d" % (10 + i)} for i in range(2)]
    out = core.run(params(type=kind, ranks=rs, mpirun="/nonexistent/mpirun"), check_mode=True)
    assert set(out) == set(metrics.KEYS) | {"changed"} and out["changed"] is False and out["jct_s"] is None
    assert out["command"] and all("f1-server" in c for c in out["command"])


def test_types_with_ranks_need_them():
    with pytest.raises(errors.ValidationError) as e:
        core.run(params(type="iperf3"), check_mode=True)
    assert e.value.param == "fabric"


def test_allreduce_preflight_names_a_missing_mpirun():
    job = model.normalize(params(fabric="f1", mpirun="/nonexistent/mpirun"))
    with pytest.raises(errors.ModuleError) as e:
        allreduce.preflight(job)
    assert e.value.param == "mpirun" and "openmpi-bin python3-mpi4py" in e.value.message
    job = model.normalize(params(fabric="f1", mpirun=sys.executable, rank_python="/nonexistent/python3"))
    with pytest.raises(errors.ModuleError) as e:
        allreduce.preflight(job)
    assert e.value.param == "rank_python"
