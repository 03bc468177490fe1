"""Workload parsers and figures on recorded outputs of real runs (tests/unit/workload_fixtures, versions in headers).

- nccl-tests: four real tables (2.18.3 with NCCL 2.30.3 over 16 ranks; the older format without the version
  line over 16 H100s; all_gather over 2 GB10s; alltoall on one RTX 5090 with an N/A); every row's busbw is
  checked against algbw x the factor of nccl-tests' doc/PERFORMANCE.md, and the printed average bus
  bandwidth against the mean of the printed busbw values.
- iperf3 -J (3.12, recorded on this machine's emulated fabric): TCP with 2 streams, UDP, a refused client.
- perftest (4.5+0.17 / 6.06, soft-RoCE in the lab VM and between two lab VMs): ib_write_bw in MB/sec and
  Gb/sec, ib_send_lat, server and client sides.
- the all-reduce driver's JSON line (Open MPI 4.1.4, mpi4py 3.1.4, with mpirun's noise around it).
- command + regex.
"""
import glob
import os

import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.workload import metrics, parsers, tools

FIXTURES = os.path.join(os.path.dirname(__file__), "workload_fixtures")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


# ----------------------------------------------------- bus bandwidth --

@pytest.mark.parametrize("n", range(1, 17))
def test_busbw_factors_are_nccl_tests_performance_md(n):
    # doc/PERFORMANCE.md: allreduce busbw = algbw * 2(n-1)/n; reducescatter, allgather, alltoall (n-1)/n;
    # broadcast and reduce 1
    assert metrics.bus_factor("all_reduce", n) == pytest.approx(2.0 * (n - 1) / n)
    for coll in ("reduce_scatter", "all_gather", "alltoall"):
        assert metrics.bus_factor(coll, n) == pytest.approx((n - 1) / float(n))
    assert metrics.bus_factor("broadcast", n) == metrics.bus_factor("reduce", n) == 1.0


def test_algbw_is_bytes_over_time_in_gbit_per_second():
    alg, bus = metrics.bandwidths(4 * 2 ** 20, 0.05, 8)
    assert alg == pytest.approx(4 * 2 ** 20 * 8 / 0.05 / 1e9)
    assert bus == pytest.approx(alg * 2 * 7 / 8)
    assert metrics.bandwidths(None, 1.0, 4) == (None, None) and metrics.bandwidths(10, 0, 4) == (None, None)


@pytest.mark.parametrize("name, collective", [
    ("all_reduce_perf", "all_reduce"), ("/opt/nccl-tests/build/all_gather_perf", "all_gather"),
    ("broadcast_perf_mpi", "broadcast"), ("alltoall_perf", "alltoall"), ("reduce_scatter_perf", "reduce_scatter"),
    ("allreduce", "all_reduce"), ("sendrecv_perf", None),
])
def test_collective_names(name, collective):
    assert metrics.collective_of(name) == collective


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert metrics.percentile(values, 50) == 50.0 and metrics.percentile(values, 99) == 99.0
    assert metrics.percentile(values, 100) == 100.0 and metrics.percentile([3.0], 99) == 3.0
    assert metrics.percentile([5.0, 1.0, 3.0], 50) == 3.0 and metrics.percentile([], 50) is None


def test_every_type_returns_the_same_keys():
    for kind in ("allreduce", "iperf3", "ib_write_bw", "ib_send_lat", "nccl_tests", "command"):
        assert set(metrics.result(kind)) == set(metrics.KEYS)
    with pytest.raises(KeyError):
        metrics.result("allreduce", jct=1)


# --------------------------------------------------------- nccl-tests --

NCCL = {
    "nccl-tests-2.18.3-all_reduce_perf-16ranks.txt":
        {"version": "2.18.3", "nccl": "2.30.3+cuda13.0", "collective": "all_reduce_perf", "binary": "all_reduce_perf",
         "n": 16, "rows": 24, "first": (1024, 63.73, 0.02, 0.03), "last": (8589934592, 435186.0, 19.74, 37.01),
         "avg": 19.1617, "iters": 20},
    "nccl-tests-noversionline-all_reduce_perf-16xH100.txt":
        {"version": None, "nccl": None, "collective": None, "binary": "all_reduce_perf", "n": 16, "rows": 31,
         "first": (8, 135.8, 0.0, 0.0), "last": (8589934592, 47535.0, 180.71, 338.82), "avg": 70.742, "iters": 20},
    "nccl-tests-2.18.3-all_gather_perf-2xGB10.txt":
        {"version": "2.18.3", "nccl": None, "collective": "all_gather_perf", "binary": "all_gather_perf", "n": 2,
         "rows": 3, "first": (1073741824, 27211.0, 39.46, 19.73), "last": (4294967296, 96986.7, 44.28, 22.14),
         "avg": 21.4033, "iters": 50},
    "nccl-tests-noversionline-alltoall_perf-1xRTX5090.txt":
        {"version": None, "nccl": None, "collective": None, "binary": "alltoall_perf", "n": 1, "rows": 1,
         "first": (33554432, 19.56, 1715.44, 0.0), "last": (33554432, 19.56, 1715.44, 0.0), "avg": 0.0, "iters": 20},
}


def test_every_nccl_tests_fixture_is_listed():
    assert sorted(os.path.basename(p) for p in glob.glob(os.path.join(FIXTURES, "nccl-tests-*"))) == sorted(NCCL)


def _row(row):
    oop = row["out_of_place"]
    return (row["size"], oop["time_us"], oop["algbw"], oop["busbw"])


@pytest.mark.parametrize("name", sorted(NCCL))
def test_nccl_tests_table(name):
    want = NCCL[name]
    d = parsers.nccl_tests(fixture(name))
    assert d["version"] == want["version"] and d["nccl_version"] == want["nccl"]
    assert d["collective"] == want["collective"] and d["nranks"] == want["n"]
    assert len(d["rows"]) == want["rows"] and d["params"]["iters"] == want["iters"]
    assert _row(d["rows"][0]) == want["first"] and _row(d["rows"][-1]) == want["last"]
    assert d["ok"] is True and d["out_of_bounds"] == 0 and d["failures"] == []
    assert d["avg_busbw"] == want["avg"]
    assert [r["size"] for r in d["rows"]] == sorted(r["size"] for r in d["rows"])
    per_rank = d["nranks"] if want["binary"] == "all_gather_perf" else 1  # all_gather's count is per rank
    assert all(r["count"] * 4 * per_rank == r["size"] and r["type"] == "float" for r in d["rows"])


@pytest.mark.parametrize("name", sorted(NCCL))
def test_nccl_tests_busbw_is_algbw_times_the_performance_md_factor(name):
    want = NCCL[name]
    d = parsers.nccl_tests(fixture(name))
    factor = metrics.bus_factor(metrics.collective_of(want["binary"]), d["nranks"])
    for row in d["rows"]:
        for side in ("out_of_place", "in_place"):
            r = row[side]
            # printed with two decimals: busbw and algbw x factor agree to the rounding of both
            assert r["busbw"] == pytest.approx(r["algbw"] * factor, abs=0.005 * (1 + factor) + 1e-9), (row, side)
            # and algbw is S / t (GB/s, t in us), to the rounding of the printed time and bandwidth
            if r["algbw"] >= 1:
                assert r["algbw"] == pytest.approx(row["size"] / (r["time_us"] * 1e-6) / 1e9, rel=0.01), (row, side)


@pytest.mark.parametrize("name", sorted(NCCL))
def test_nccl_tests_average_is_the_mean_of_every_printed_busbw(name):
    d = parsers.nccl_tests(fixture(name))
    values = [row[side]["busbw"] for row in d["rows"] for side in ("out_of_place", "in_place")]
    assert sum(values) / len(values) == pytest.approx(d["avg_busbw"], abs=0.005)


def test_nccl_tests_na_wrong_column():
    d = parsers.nccl_tests(fixture("nccl-tests-noversionline-alltoall_perf-1xRTX5090.txt"))
    row = d["rows"][0]
    assert row["out_of_place"]["wrong"] == 0 and row["in_place"]["wrong"] is None
    assert row["in_place"]["algbw"] == 43046.10 and row["redop"] == "none" and row["root"] == -1


def test_nccl_tests_devices_and_hosts():
    d = parsers.nccl_tests(fixture("nccl-tests-2.18.3-all_reduce_perf-16ranks.txt"))
    assert [x["rank"] for x in d["devices"]] == list(range(16))
    assert sorted(set(x["host"] for x in d["devices"])) == ["R6KD-CX8aaS-GPU-14", "R6KD-CX8aaS-GPU-15"]
    assert d["devices"][9] == {"rank": 9, "group": 0, "pid": 13582, "host": "R6KD-CX8aaS-GPU-15", "device": 1,
                               "bus_id": "0000:09:00", "name": "NVIDIA Graphics Device"}
    assert d["nccl_headers"] == d["nccl_library"] == "23003"


def test_nccl_tests_result_reports_the_largest_size_in_gbit_per_second():
    out = tools.nccl_tests_result(fixture("nccl-tests-2.18.3-all_reduce_perf-16ranks.txt"), 120.0, ["x"],
                                  {"NCCL_IB_TC": "106"}, "all_reduce_perf")
    assert set(out) == set(metrics.KEYS)
    assert out["bytes"] == 8589934592 and out["ranks"] == 16 and out["jct_s"] == 120.0
    assert out["algbw_gbps"] == pytest.approx(19.74 * 8) and out["busbw_gbps"] == pytest.approx(37.01 * 8)
    assert out["raw"]["avg_busbw"] == 19.1617 and out["raw"]["env"] == {"NCCL_IB_TC": "106"}
    assert out["raw"]["collective_name"] == "all_reduce"
    old = tools.nccl_tests_result(fixture("nccl-tests-noversionline-all_reduce_perf-16xH100.txt"), 1.0, [], None,
                                  "/opt/src/nccl-tests/build/all_reduce_perf")
    assert old["raw"]["collective_name"] == "all_reduce" and old["busbw_gbps"] == pytest.approx(338.82 * 8)


def test_nccl_tests_wrong_results_fail():
    # derived from the 2.18.3 fixture: one row with wrong elements and the FAILED verdict nccl-tests then prints
    text = fixture("nccl-tests-2.18.3-all_reduce_perf-16ranks.txt")
    text = text.replace("      1024           256     float     sum      -1    63.73    0.02    0.03       0",
                        "      1024           256     float     sum      -1    63.73    0.02    0.03       7")
    text = text.replace("# Out of bounds values : 0 OK", "# Out of bounds values : 7 FAILED")
    d = parsers.nccl_tests(text)
    assert d["rows"][0]["out_of_place"]["wrong"] == 7 and d["ok"] is False and d["out_of_bounds"] == 7
    with pytest.raises(errors.ModuleError) as e:
        tools.nccl_tests_result(text, 1.0, [])
    assert e.value.param == "nccl_tests" and "out of bounds values: 7" in e.value.message


def test_nccl_tests_without_a_table_fail():
    with pytest.raises(errors.ModuleError) as e:
        tools.nccl_tests_result("Test CUDA failure common.cu:1304 'CUDA-capable device(s) is/are busy'\n", 1.0, [])
    assert e.value.param == "nccl_tests" and "no nccl-tests table" in e.value.message


# ------------------------------------------------- roce -> NCCL env --

def test_nccl_env_from_the_roce_modules_validated_result():
    validated = {"changed": False, "consistent": True, "disagreements": [],
                 "nccl_env": {"NCCL_IB_TC": "106", "NCCL_IB_GID_INDEX": "3", "NCCL_IB_HCA": "mlx5_0:1",
                              "NCCL_SOCKET_IFNAME": "eth2"}}
    assert tools.nccl_env(validated) == validated["nccl_env"]
    assert tools.nccl_env(validated["nccl_env"]) == validated["nccl_env"]
    assert tools.nccl_env(None) == {}
    job = {"nccl_tests": {"binary": "all_reduce_perf", "args": ["-b", "8M"], "env": {"NCCL_IB_TC": "98"},
                          "launcher": ["mpirun", "-np", "16"], "roce": validated}}
    argv, env = tools.nccl_tests_plan(job)
    assert env["NCCL_IB_TC"] == "98" and env["NCCL_IB_GID_INDEX"] == "3"  # nccl_tests.env wins
    assert argv == ["mpirun", "-np", "16", "-x", "NCCL_IB_GID_INDEX", "-x", "NCCL_IB_HCA", "-x", "NCCL_IB_TC",
                    "-x", "NCCL_SOCKET_IFNAME", "all_reduce_perf", "-b", "8M"]
    job["nccl_tests"]["launcher"] = ["srun", "-N", "2"]
    assert tools.nccl_tests_plan(job)[0] == ["srun", "-N", "2", "all_reduce_perf", "-b", "8M"]


# ------------------------------------------------------------- iperf3 --

def test_iperf3_tcp_two_streams():
    d = parsers.iperf3(fixture("iperf3-3.12-tcp-P2-client.json"))
    assert d["error"] is None and d["protocol"] == "TCP" and d["streams"] == 2 and d["version"] == "iperf 3.12"
    # the fabric was shaped at 1gbit: the receiver stays under it (the sender counts what its socket took)
    assert 0 < d["received_bps"] < 1.0e9 and d["received_bps"] <= d["sent_bps"] < 1.05e9
    assert d["bytes_received"] <= d["bytes_sent"] and d["retransmits"] is not None
    assert len(d["intervals_bps"]) == 2 and d["jitter_ms"] is None
    server = parsers.iperf3(fixture("iperf3-3.12-tcp-P2-server.json"))
    assert server["bytes_received"] == d["bytes_received"]


def test_iperf3_udp_uses_the_receivers_figures():
    d = parsers.iperf3(fixture("iperf3-3.12-udp-client.json"))
    assert d["protocol"] == "UDP" and d["lost_percent"] > 0 and d["packets"] > d["lost_packets"] > 0
    assert d["received_bps"] < d["sent_bps"] and d["jitter_ms"] > 0


def test_iperf3_refused_client():
    text = fixture("iperf3-3.12-refused-client.json")
    d = parsers.iperf3(text)
    assert d["error"] == "unable to connect to server: Connection refused" and d["sent_bps"] is None
    assert tools._iperf3_refused(text)
    with pytest.raises(errors.ModuleError):
        parsers.iperf3("iperf3: error - unable to connect to server\n")


def test_iperf3_commands():
    ranks = [{"netns": "f-server%d" % i, "rail_addresses": ["10.0.0.%d" % (2 * i + 1), "10.0.1.%d" % (2 * i + 1)],
              "rail_ifnames": ["rail0", "rail1"]} for i in range(3)]
    job = {"iperf3": {"streams": 4, "udp": True, "bitrate": "500M", "duration_s": 3.0, "client": 2, "server": 0,
                      "rail": 1, "port": 5301, "args": ["-Z"]}}
    srv, cli = tools.iperf3_plan(job, ranks)
    assert srv == ["ip", "netns", "exec", "f-server0", "iperf3", "-s", "-1", "-J", "-B", "10.0.1.1", "-p", "5301"]
    assert cli == ["ip", "netns", "exec", "f-server2", "iperf3", "-c", "10.0.1.1", "-J", "-p", "5301", "-P", "4",
                   "-t", "3", "-B", "10.0.1.5", "-u", "-b", "500M", "-Z"]
    job["iperf3"].update(client=0)
    with pytest.raises(errors.ValidationError) as e:
        tools.iperf3_plan(job, ranks)
    assert e.value.param == "iperf3.client"
    job["iperf3"].update(client=7)
    with pytest.raises(errors.ValidationError) as e:
        tools.iperf3_plan(job, ranks)
    assert e.value.param == "iperf3.client" and "3 ranks" in e.value.message


# ----------------------------------------------------------- perftest --

def test_ib_write_bw_in_mb_per_second():
    d = parsers.perftest_bw(fixture("perftest-6.06-rxe-ib-write-bw-client.txt"))
    assert d["test"] == "RDMA_Write BW Test" and d["device"] == "rxe0" and d["link_type"] == "Ethernet"
    assert d["gid_index"] == 1 and d["mtu"] == "1024[B]" and d["rdma_cm"] == "OFF" and d["unit"] == "MB/sec"
    assert d["rows"] == [{"bytes": 65536, "iterations": 200, "bw_peak": 4.05, "bw_average": 1.89,
                          "msg_rate_mpps": 0.00003}]
    server = parsers.perftest_bw(fixture("perftest-6.06-rxe-ib-write-bw-server.txt"))
    assert server["rows"] == d["rows"]
    out = tools.perftest_result("ib_write_bw", fixture("perftest-6.06-rxe-ib-write-bw-client.txt"),
                                fixture("perftest-6.06-rxe-ib-write-bw-server.txt"), 2.5, ["a", "b"])
    # perftest's MB/sec is 2^20 bytes per second (format_factor 0x100000)
    assert out["algbw_gbps"] == pytest.approx(1.89 * 1048576 * 8 / 1e9)
    assert out["bytes"] == 65536 * 200 and out["steps"] == 200 and out["ranks"] == 2 and out["jct_s"] == 2.5


def test_ib_write_bw_in_gbit_per_second():
    d = parsers.perftest_bw(fixture("perftest-6.06-rxe-ib-write-bw-gbits-client.txt"))
    assert d["unit"] == "Gb/sec" and d["rows"][0]["bw_average"] == 0.14
    assert parsers.perftest_gbps(0.14, "Gb/sec") == pytest.approx(0.14)


def test_ib_write_bw_over_rdma_cm_between_two_vms():
    d = parsers.perftest_bw(fixture("perftest-6.06-rxe-rdma-cm-ib-write-bw-server-two-vms.txt"))
    assert d["rdma_cm"] == "ON" and d["exchange"] == "rdma_cm" and d["gid_index"] == 1
    assert d["rows"] == [{"bytes": 4096, "iterations": 200, "bw_peak": 4.93, "bw_average": 3.96,
                          "msg_rate_mpps": 0.001015}]


def test_ib_send_lat():
    text = fixture("perftest-6.06-rxe-ib-send-lat-client.txt")
    d = parsers.perftest_lat(text)
    assert d["test"] == "Send Latency Test" and d["device"] == "rxe0"
    assert d["rows"] == [{"bytes": 64, "iterations": 500, "t_min_us": 27.56, "t_max_us": 2359.74,
                          "t_typical_us": 32.83, "t_avg_us": 47.95, "t_stdev_us": 99.44, "p99_us": 368.79,
                          "p99_9_us": 2359.74}]
    out = tools.perftest_result("ib_send_lat", text, fixture("perftest-6.06-rxe-ib-send-lat-server.txt"), 1.0, [])
    # t_typical is perftest's median
    assert out["step_p50_s"] == pytest.approx(32.83e-6) and out["step_p99_s"] == pytest.approx(368.79e-6)
    assert out["steps"] == 500 and out["bytes"] == 64 and out["algbw_gbps"] is None


def test_perftest_without_a_table_fails():
    with pytest.raises(errors.ModuleError) as e:
        tools.perftest_result("ib_write_bw", " Couldn't connect to 10.0.0.1:18515\n", "", 1.0, [])
    assert e.value.param == "ib_write_bw"
    assert tools._perftest_refused(" Couldn't connect to 10.0.0.1:18515\n")


def test_perftest_commands():
    ranks = [{"netns": None, "rail_addresses": ["192.0.2.%d" % i], "rail_ifnames": ["eth1"]} for i in (1, 2)]
    job = {"type": "ib_send_lat", "perftest": {"device": "rxe0", "ib_port": 1, "gid_index": 1, "size_bytes": 64,
                                               "iterations": 500, "rdma_cm": True, "client": 1, "server": 0,
                                               "rail": 0, "port": 18600, "args": []}}
    srv, cli = tools.perftest_plan(job, ranks)
    assert srv == ["ib_send_lat", "-d", "rxe0", "-i", "1", "-x", "1", "-s", "64", "-n", "500", "-p", "18600", "-F",
                   "-R"]
    assert cli == srv + ["192.0.2.1"]


# ------------------------------------------------------------- driver --

def test_driver_json_line_among_mpiruns_noise():
    text = fixture("allreduce-driver-openmpi-4.1.4.txt")
    assert "plm:rsh: Warning" in text
    d = parsers.driver(text)
    assert d["driver"] == "aifabric-allreduce" and d["version"] == 1
    assert d["ranks"] == 4 and d["bytes"] == 1048576 and d["buckets"] == 2 and d["steps"] == 4 and d["warmup"] == 1
    assert len(d["step_s"]) == len(d["comm_s"]) == 4 and d["wrong"] == 0 and d["expected"] == 10.0
    assert all(s >= c >= 0 for s, c in zip(d["step_s"], d["comm_s"]))
    assert all(s >= d["compute_s"] for s in d["step_s"])
    assert d["mpi"].startswith("Open MPI v4.1.4") and d["mpi4py"] == "3.1.4"
    assert parsers.driver("no line\n") is None
    assert parsers.driver(parsers.DRIVER_TAG + "{bad json\n") is None


# -------------------------------------------------------------- regex --

def test_command_regex_fills_result_keys_and_step_percentiles():
    text = "".join("step %d time: %.3f s\n" % (i, 0.1 * (i + 1)) for i in range(10)) + \
        "algbw 12.5 Gbit/s\nbusbw: 21.875\nloss=0.25\nname: run7\n"
    compiled = parsers.compile_patterns({"step_s": r"time: ([0-9.]+) s", "algbw_gbps": r"algbw ([0-9.]+)",
                                         "busbw_gbps": r"busbw: (?P<value>[0-9.]+)", "loss": r"loss=([0-9.]+)",
                                         "name": r"name: (\w+)"})
    out = tools.command_result(text, 3.0, ["cmd"], compiled, ranks=4, returncodes=[0, 0, 0, 0])
    assert set(out) == set(metrics.KEYS) and out["type"] == "command"
    assert out["jct_s"] == 3.0 and out["ranks"] == 4 and out["steps"] == 10
    assert out["step_p50_s"] == pytest.approx(0.5) and out["step_p99_s"] == pytest.approx(1.0)
    assert out["algbw_gbps"] == 12.5 and out["busbw_gbps"] == 21.875
    assert out["raw"]["metrics"]["loss"] == 0.25 and out["raw"]["metrics"]["name"] == "run7"
    assert len(out["raw"]["matches"]["step_s"]) == 10


def test_command_regex_without_a_match_is_null():
    out = tools.command_result("nothing\n", 1.0, [], parsers.compile_patterns({"busbw_gbps": r"busbw ([0-9.]+)"}))
    assert out["busbw_gbps"] is None and out["raw"]["metrics"] == {"busbw_gbps": None}


@pytest.mark.parametrize("patterns, path", [
    ({"x": "("}, "command.regex.x"),
    ({"x": r"(\d+) (\d+)"}, "command.regex.x"),
    ({"x": 5}, "command.regex.x"),
])
def test_bad_regex_names_its_metric(patterns, path):
    with pytest.raises(errors.ValidationError) as e:
        parsers.compile_patterns(patterns)
    assert e.value.param == path


def test_regex_with_two_groups_and_a_value_group():
    compiled = parsers.compile_patterns({"t": r"(step) (?P<value>[0-9.]+)"})
    assert parsers.regex_metrics("step 1.5\nstep 2.5\n", compiled) == ({"t": 2.5}, {"t": [1.5, 2.5]})
