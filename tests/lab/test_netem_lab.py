"""netem on a real distribution kernel, with iproute2 as the independent oracle."""
import json
import math
import os
import re
import subprocess

import pytest

from netlab import kernel_has_netem, run_playbook, sh, tc_json, tcp_listening, wait_until
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model, plan
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl, tc
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession

RELEASE = os.uname()[2]
HAS_SEED = model.kernel_version(RELEASE) >= model.SEED_MIN_KERNEL


@pytest.fixture(autouse=True)
def _needs_netem():
    assert kernel_has_netem(), "the lab kernel must provide sch_netem"


def apply(pair, rules, state="present", direction="egress", dev=None, ns=None, check_mode=False):
    job = core.Job(dev or pair.dev_a, model.normalize_rules(rules, RELEASE) if rules is not None else None,
                   state, ns or pair.a, direction)
    core.converge([job], check_mode=check_mode)
    return job.result


def root_netem(pair, dev=None, ns=None):
    qdiscs = [q for q in tc_json(ns or pair.a, "qdisc show dev", dev or pair.dev_a) if q.get("root")]
    assert qdiscs and qdiscs[0]["kind"] == "netem" and qdiscs[0]["handle"] == "fab0:", qdiscs
    return qdiscs[0]["options"]


def netlink_netem(pair, dev=None):
    with NetlinkSession(pair.a) as s:
        idx = [l for l in rtnl.dump_links(s) if l["name"] == (dev or pair.dev_a)][0]["index"]
        root = [q for q in tc.dump_qdiscs(s) if q["ifindex"] == idx and q["parent"] == tc.TC_H_ROOT][0]
        return tc.decode_netem(root["options"])


def close(a, b, rel=1e-6):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


FEATURES = {
    "delay-jitter-normal": (
        {"delay": {"time": "10ms", "jitter": "2ms", "correlation": "25%", "distribution": "normal"}},
        {"delay": {"delay": 0.01, "jitter": 0.002, "correlation": 0.25}}),
    "delay-paretonormal": (
        {"delay": {"time": "30ms", "jitter": "5ms", "distribution": "paretonormal"}},
        {"delay": {"delay": 0.03, "jitter": 0.005}}),
    "loss-random": (
        {"loss": {"percent": "1.5%", "correlation": "10%"}},
        {"loss-random": {"loss": 0.015, "correlation": 0.1}}),
    "loss-gemodel-ecn": (
        {"loss": {"model": "gemodel", "p": "1%", "r": "30%", "one_minus_h": "70%", "one_minus_k": "0.1%"},
         "ecn": True},
        {"loss-gemodel": {"p": 0.01, "r": 0.3, "1-h": 0.7, "1-k": 0.001}, "ecn": True}),
    "loss-state": (
        {"loss": {"model": "state", "p13": "2%", "p31": "90%", "p32": "5%", "p23": "80%", "p14": "1%"}},
        {"loss-state": {"p13": 0.02, "p31": 0.9, "p32": 0.05, "p23": 0.8, "p14": 0.01}}),
    "duplicate-corrupt": (
        {"duplicate": {"percent": "3%", "correlation": "5%"}, "corrupt": {"percent": "0.5%", "correlation": "1%"}},
        {"duplicate": {"duplicate": 0.03, "correlation": 0.05}, "corrupt": {"corrupt": 0.005, "correlation": 0.01}}),
    "reorder-gap": (
        {"delay": {"time": "5ms"}, "reorder": {"percent": "25%", "correlation": "50%", "gap": 5}},
        {"reorder": {"reorder": 0.25, "correlation": 0.5}, "gap": 5}),
    "rate-overheads": (
        {"rate": {"rate": "400mbit", "packet_overhead": -4, "cell_size": 53, "cell_overhead": 5}},
        {"rate": {"rate": 50000000, "packetoverhead": -4, "cellsize": 53, "celloverhead": 5}}),
    "rate64-100gbit": (
        {"rate": {"rate": "100gbit"}},
        {"rate": {"rate": 12500000000}}),
    "slot-min-max": (
        {"slot": {"min_delay": "1ms", "max_delay": "3ms", "packets": 32, "bytes": "64kb"}},
        {"slot": {"min-delay": 0.001, "max-delay": 0.003, "packets": 32, "bytes": 65536}}),
    "slot-distribution": (
        {"slot": {"distribution": "pareto", "delay": "2ms", "jitter": "500us", "packets": 8}},
        {"slot": {"distribution": 0.002, "jitter": 0.0005, "packets": 8}}),
    "limit": (
        {"delay": {"time": "1ms"}, "limit": 12345},
        {"limit": 12345}),
}


def assert_fields(expected, actual, path=""):
    for key, want in expected.items():
        assert key in actual, "%s%s missing from tc -j output %s" % (path, key, actual)
        got = actual[key]
        if isinstance(want, dict):
            assert_fields(want, got, path + key + ".")
        elif isinstance(want, float):
            assert close(want, got, 1e-4), "%s%s: tc shows %r, expected %r" % (path, key, got, want)
        else:
            assert got == want, "%s%s: tc shows %r, expected %r" % (path, key, got, want)


@pytest.mark.parametrize("name", sorted(FEATURES))
def test_feature_read_back_by_tc_and_idempotent(pair, name):
    rule, expected = FEATURES[name]
    first = apply(pair, [dict(rule, name="r")])
    assert first["changed"] and first["before"] == []
    assert_fields(expected, root_netem(pair))
    second = apply(pair, [dict(rule, name="r")])
    assert second["changed"] is False and second["commands"] == []
    assert second["before"] == first["after"]


def test_large_delay_uses_64bit_latency(pair):
    apply(pair, [{"delay": {"time": "300s", "jitter": "2s"}}])
    p = netlink_netem(pair)
    assert p["latency"] == 300 * 10**9 and p["jitter"] == 2 * 10**9
    # the qopt field holds 64 ns ticks in 32 bits; 300 s does not fit, which is why LATENCY64 exists
    assert (300 * 10**9) >> 6 > 0xFFFFFFFF
    assert apply(pair, [{"delay": {"time": "300s", "jitter": "2s"}}])["changed"] is False


def test_custom_distribution_file(pair, tmp_path):
    table = tmp_path / "step.dist"
    table.write_text("# two-step table\n" + " ".join(str(v) for v in [-8192] * 2048 + [8191] * 2048) + "\n")
    rule = [{"delay": {"time": "20ms", "jitter": "5ms", "distribution": "custom", "distribution_file": str(table)}}]
    assert apply(pair, rule)["changed"]
    assert root_netem(pair)["delay"]["jitter"] == pytest.approx(0.005)
    assert apply(pair, rule)["changed"] is False
    # dropping the table needs delete + add: a change would keep the old one
    res = apply(pair, [{"delay": {"time": "20ms", "jitter": "5ms"}}])
    assert [c.split()[4] for c in res["commands"]] == ["del", "add"]


@pytest.mark.skipif(not HAS_SEED, reason="netem seed needs Linux 6.6+; this lab kernel is older")
def test_seed_read_back_and_reproducible_loss(pair):
    # only the pings may cross the qdisc: no ARP, no IPv6 neighbour discovery
    sh("ip netns exec %s sysctl -qw net.ipv6.conf.%s.disable_ipv6=1" % (pair.a, pair.dev_a))
    for ns, dev, peer_ns, peer_dev, peer_ip in ((pair.a, pair.dev_a, pair.b, pair.dev_b, pair.ip_b),
                                                (pair.b, pair.dev_b, pair.a, pair.dev_a, pair.ip_a)):
        mac = json.loads(sh("ip -n %s -j link show %s" % (peer_ns, peer_dev)).stdout)[0]["address"]
        sh("ip -n %s neigh replace %s lladdr %s dev %s nud permanent" % (ns, peer_ip, mac, dev))
    assert apply(pair, [{"loss": {"percent": "30%"}, "seed": 123456789}])["changed"]
    assert netlink_netem(pair)["seed"] == 123456789
    patterns = []
    for _attempt in range(2):
        apply(pair, [{"loss": {"percent": "30%"}, "seed": 123456789}], state="replaced")
        sh("tc -n %s qdisc del dev %s root" % (pair.a, pair.dev_a))
        apply(pair, [{"loss": {"percent": "30%"}, "seed": 123456789}])
        out = sh("ip netns exec %s ping -n -c 200 -i 0.01 -W 1 %s" % (pair.a, pair.ip_b), check=False).stdout
        patterns.append(sorted(int(m) for m in re.findall(r"icmp_seq=(\d+)", out)))
    assert patterns[0] == patterns[1] and 100 < len(patterns[0]) < 180


@pytest.mark.skipif(HAS_SEED, reason="kernel supports seed")
def test_seed_refused_on_old_kernel_names_version():
    with pytest.raises(model.ValidationError) as err:
        model.normalize_rules([{"loss": {"percent": "1%"}, "seed": 1}], RELEASE)
    assert "6.6" in str(err.value) and RELEASE in str(err.value)


def ping_rtts(ns, dst, count=20, interval=0.1):
    out = sh("ip netns exec %s ping -n -c %d -i %s -W 3 %s" % (ns, count, interval, dst), check=False).stdout
    return [float(x) for x in re.findall(r"time=([0-9.]+) ms", out)]


def test_delay_measured_by_ping(pair):
    base = ping_rtts(pair.a, pair.ip_b, 10)
    apply(pair, [{"delay": {"time": "50ms"}}])
    rtts = ping_rtts(pair.a, pair.ip_b, 30)
    assert len(rtts) == 30
    avg = sum(rtts) / len(rtts) - min(base)
    assert abs(avg - 50.0) <= 0.05 * 50.0 + 1.0, "mean added RTT %.2f ms for 50 ms delay" % avg


def test_loss_within_binomial_interval(pair):
    n, p = 2000, 0.10
    apply(pair, [{"loss": {"percent": "10%"}}])
    out = sh("ip netns exec %s ping -n -q -c %d -i 0.002 -W 2 %s" % (pair.a, n, pair.ip_b), check=False).stdout
    received = int(re.search(r"(\d+) received", out).group(1))
    lost = n - received
    half = 2.576 * math.sqrt(n * p * (1 - p))
    assert n * p - half <= lost <= n * p + half, "lost %d of %d, 99%% interval %.0f-%.0f" % (
        lost, n, n * p - half, n * p + half)


def test_rate_measured_by_iperf3(pair):
    apply(pair, [{"rate": {"rate": "20mbit"}}])
    server = subprocess.Popen(["ip", "netns", "exec", pair.b, "iperf3", "-s", "-1", "-B", pair.ip_b],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def listening():
            assert server.poll() is None, "iperf3 -s exited with %s" % server.returncode
            with open("/proc/%d/comm" % server.pid) as f:  # iperf3 once `ip netns exec` has entered pair.b
                return f.read().strip() == "iperf3" and tcp_listening(server.pid, 5201)
        wait_until(listening, 30, "iperf3 -s to listen on port 5201 in %s" % pair.b)
        out = sh("ip netns exec %s iperf3 -J -t 6 -O 2 -c %s" % (pair.a, pair.ip_b)).stdout
    finally:
        server.kill()
        server.wait()
    report = json.loads(out)
    goodput = report["end"]["sum_received"]["bits_per_second"]
    mss = 1448  # MTU 1500 with TCP timestamps; each frame adds 14 + 20 + 32 bytes of headers
    on_wire = goodput * (mss + 66) / mss
    assert abs(on_wire - 20e6) <= 0.05 * 20e6, "measured %.2f Mbit/s on the wire for 20mbit" % (on_wire / 1e6)


def test_targeted_rule_impairs_only_its_peer(pair):
    sh("ip -n %s addr add 10.78.0.2/24 dev %s" % (pair.b, pair.dev_b))
    sh("ip -n %s addr add 10.78.0.1/24 dev %s" % (pair.a, pair.dev_a))
    res = apply(pair, [{"name": "peer", "match": {"dst": ["10.78.0.2/32"]}, "delay": {"time": "80ms"}},
                       {"name": "roce", "match": {"dscp": [26]}, "delay": {"time": "40ms"}}])
    assert res["changed"]
    assert min(ping_rtts(pair.a, "10.78.0.2", 5)) > 75
    assert max(ping_rtts(pair.a, pair.ip_b, 5)) < 30
    out = sh("ip netns exec %s ping -n -c 5 -i 0.1 -Q 0x68 %s" % (pair.a, pair.ip_b)).stdout
    assert min(float(x) for x in re.findall(r"time=([0-9.]+) ms", out)) > 35
    qd = tc_json(pair.a, "qdisc show dev", pair.dev_a)
    assert sorted(q["handle"] for q in qd if q["kind"] == "netem") == ["fab2:", "fab3:"]
    filters = tc_json(pair.a, "filter show dev", pair.dev_a, "parent fab0:")
    assert {f.get("options", {}).get("flowid") for f in filters if f.get("options", {}).get("flowid")} == \
        {"fab0:2", "fab0:3"}
    assert apply(pair, [{"name": "peer", "match": {"dst": ["10.78.0.2/32"]}, "delay": {"time": "80ms"}},
                        {"name": "roce", "match": {"dscp": [26]}, "delay": {"time": "40ms"}}])["changed"] is False
    merged = apply(pair, [{"name": "roce", "match": {"dscp": [26]}, "delay": {"time": "60ms"}}])
    assert [r["name"] for r in merged["after"]] == ["peer", "roce"]
    assert merged["after"][1]["delay"]["time"] == "60ms"


def test_check_mode_changes_nothing(pair):
    before = tc_json(pair.a, "qdisc show dev", pair.dev_a)
    res = apply(pair, [{"delay": {"time": "10ms"}}], check_mode=True)
    assert res["changed"] and res["commands"] and res["after"][0]["delay"]["time"] == "10ms"
    assert tc_json(pair.a, "qdisc show dev", pair.dev_a) == before
    apply(pair, [{"delay": {"time": "10ms"}}])
    res = apply(pair, None, state="absent", check_mode=True)
    assert res["changed"] and root_netem(pair)["delay"]["delay"] == pytest.approx(0.01)


def test_ingress_through_ifb_and_cleanup(pair):
    res = apply(pair, [{"delay": {"time": "60ms"}}], direction="ingress", dev=pair.dev_b, ns=pair.b)
    assert res["changed"]
    ifb = plan.ifb_name(pair.dev_b, 0)
    assert min(ping_rtts(pair.a, pair.ip_b, 5)) > 55
    root = [q for q in tc_json(pair.b, "qdisc show dev", ifb) if q.get("root")][0]
    assert root["kind"] == "netem" and root["options"]["delay"]["delay"] == pytest.approx(0.06)
    assert apply(pair, [{"delay": {"time": "60ms"}}], direction="ingress", dev=pair.dev_b,
                 ns=pair.b)["changed"] is False
    res = apply(pair, None, state="absent", direction="ingress", dev=pair.dev_b, ns=pair.b)
    assert res["changed"] and res["after"] == []
    assert sh("ip -n %s link show %s" % (pair.b, ifb), check=False).returncode != 0
    assert not [q for q in tc_json(pair.b, "qdisc show dev", pair.dev_b) if q["kind"] in ("ingress", "clsact")]
    assert max(ping_rtts(pair.a, pair.ip_b, 5)) < 30


def test_foreign_qdiscs_survive(pair):
    # a foreign clsact with its own filter on the ingress hook stays after our ingress comes and goes
    sh("tc -n %s qdisc add dev %s clsact" % (pair.b, pair.dev_b))
    sh("tc -n %s filter add dev %s ingress pref 7 protocol ip u32 match ip src 192.0.2.1/32 action pass"
       % (pair.b, pair.dev_b))
    apply(pair, [{"delay": {"time": "5ms"}}], direction="ingress", dev=pair.dev_b, ns=pair.b)
    apply(pair, None, state="absent", direction="ingress", dev=pair.dev_b, ns=pair.b)
    assert [q["kind"] for q in tc_json(pair.b, "qdisc show dev", pair.dev_b) if q["kind"] == "clsact"] == ["clsact"]
    assert [f["pref"] for f in tc_json(pair.b, "filter show dev", pair.dev_b, "ingress")] and \
        {f["pref"] for f in tc_json(pair.b, "filter show dev", pair.dev_b, "ingress")} == {7}
    # a foreign root qdisc is refused and left alone
    sh("tc -n %s qdisc add dev %s root handle 1: tbf rate 1gbit burst 32k latency 10ms" % (pair.a, pair.dev_a))
    with pytest.raises(core.NetemError) as err:
        apply(pair, [{"delay": {"time": "5ms"}}])
    assert "tbf 1:" in str(err.value)
    root = [q for q in tc_json(pair.a, "qdisc show dev", pair.dev_a) if q.get("root")][0]
    assert root["kind"] == "tbf" and root["handle"] == "1:"


def test_kernel_refusal_rolls_back_everything(pair, monkeypatch):
    apply(pair, [{"delay": {"time": "7ms"}}])
    real = plan.plan_tree

    def broken(dev, have, want):
        ops = real(dev, have, want)
        if not any(r["name"] == "x" for r in want):  # only the forward plan breaks; the way back stays real
            return ops
        return ops + [{"op": "qdisc", "action": "add", "dev": dev, "parent": 0x12340005, "handle": 0x43210000,
                       "kind": "prio", "bands": 3}]
    monkeypatch.setattr(plan, "plan_tree", broken)
    with pytest.raises(core.NetemError) as err:
        apply(pair, [{"name": "x", "match": {"dscp": [26]}, "delay": {"time": "9ms"}}], state="replaced")
    assert "rolled back" in str(err.value)
    monkeypatch.setattr(plan, "plan_tree", real)
    assert root_netem(pair)["delay"]["delay"] == pytest.approx(0.007)
    assert apply(pair, [{"delay": {"time": "7ms"}}])["changed"] is False


def test_absent_removes_everything(pair):
    apply(pair, [{"name": "a", "match": {"dst": ["10.77.0.2"]}, "delay": {"time": "5ms"}},
                 {"name": "b", "loss": {"percent": "1%"}}])
    apply(pair, [{"delay": {"time": "5ms"}}], direction="ingress")
    assert apply(pair, [{"name": "b"}], state="absent")["after"][0]["name"] == "a"
    for direction in ("egress", "ingress"):
        assert apply(pair, None, state="absent", direction=direction)["changed"]
    qd = tc_json(pair.a, "qdisc show dev", pair.dev_a)
    assert not [q for q in qd if q["handle"].startswith("fab") or q["kind"] in ("ingress", "netem", "prio")]
    assert not json.loads(sh("ip -n %s -j link show type ifb" % pair.a).stdout)
    assert core.StateStore(pair.a).get(pair.dev_a, "egress") == {}
    assert core.gather_all(pair.a) == []


def test_playbook_round_trip(pair):
    run_playbook("netem_round_trip.yml", netns=pair.a, peer=pair.ip_b)
