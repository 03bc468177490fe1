"""Fabric validation (state: validated) on the running kernel.

A rail-optimized fabric `kpr` (4 servers x 2 rails, 2 spines, l3, htb) and a
leaf-spine fabric `kprt` (2 leaves x 2 servers, 2 spines, tbf, a smaller
uplink MTU) are staged once per module with the stager and torn down in the
fixtures' finalizers, whatever the tests did. A test that breaks something
(a veth down, a route deleted, an MTU lowered, a sysctl or a rate changed)
repairs it by converging again, shows the validation passes again, and
converges once more in its finalizer should it fail half way.

Counters and rates are checked against iproute2 (`ip -s -j link`, `tc`), which
reads them independently of the collection's netlink code.
"""
import json
import os
import subprocess
import time

import pytest

from netlab import REPO, sh, tc_rate_bit
from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as compiler
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import probe, resource, stage
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import netns

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")

RAIL_SPEC = {"name": "kpr", "kind": "rail_optimized", "servers": 4, "rails": 2, "spines": 2,
             "links": {"server_leaf": {"rate": "100mbit"}, "leaf_spine": {"rate": "100mbit"}}}
LEAF_SPEC = {"name": "kprt", "kind": "leaf_spine", "leaves": 2, "servers_per_leaf": 2, "spines": 2,
             "shaping": "tbf", "links": {"server_leaf": {"rate": "200mbit"},
                                         "leaf_spine": {"rate": "300mbit", "mtu": 4000}}}
FAST = 0.5  # probe timeout where a test expects failures (each failing probe waits this long)


class Staged:
    def __init__(self, spec, state_dir):
        self.plan = compiler.compile_plan(spec)
        self.fabric = self.plan["fabric"]
        self.state_dir = state_dir

    def converge(self):
        return stage.converge(self.plan, state_dir=self.state_dir)

    def validate(self, **kw):
        return probe.validate(self.plan, "localhost", state_dir=self.state_dir, **kw)

    def cleanup(self):
        try:
            stage.teardown(self.fabric, state_dir=self.state_dir)
        finally:
            netns.delete(netns.names(self.fabric + "-"))

    def addr(self, server, ifname):
        return self.plan["nodes"][server]["interfaces"][ifname]["address"].split("/")[0]


def _staged(spec, tmp_path_factory):
    s = Staged(spec, str(tmp_path_factory.mktemp(spec["name"] + "-state")))
    netns.delete(netns.names(s.fabric + "-"))  # a crashed earlier run's
    try:
        s.converge()
        yield s
    finally:
        s.cleanup()
        assert netns.names(s.fabric + "-") == []


@pytest.fixture(scope="module")
def rail(tmp_path_factory):
    yield from _staged(RAIL_SPEC, tmp_path_factory)


@pytest.fixture(scope="module")
def leafspine(tmp_path_factory):
    yield from _staged(LEAF_SPEC, tmp_path_factory)


@pytest.fixture
def broken(rail):
    """The rail fabric, converged back to its plan after the test, whatever the test did to it."""
    try:
        yield rail
    finally:
        rail.converge()


def ip_j(ns, *args):
    return json.loads(sh("ip -n %s -j %s" % (ns, " ".join(args))).stdout or "[]")


def rx_packets(ns, dev):
    return ip_j(ns, "-s", "link", "show", "dev", dev)[0]["stats64"]["rx"]["packets"]


def assert_all_ok(v):
    assert v["ok"], v["problems"]
    for plane, p in v["reachability"]["planes"].items():
        for i, row in enumerate(p["matrix"]):
            assert row[i] is None and all(x is True for j, x in enumerate(row) if j != i), (plane, row)
    assert all(p["ok"] for p in v["mtu"]["paths"])
    assert v["links"]["ok"] and v["ecmp"]["ok"]


# -------------------------------------------------------------- good --


def test_good_fabric_passes_quickly(rail):
    t0 = time.monotonic()
    out = rail.validate()
    took = time.monotonic() - t0
    v = out["validation"]
    assert not out["failed"] and "msg" not in out
    assert_all_ok(v)
    assert took < 3.0, took
    assert sorted(v["reachability"]["planes"]) == ["rail0", "rail1"]
    assert v["reachability"]["planes"]["rail0"]["servers"] == ["server0", "server1", "server2", "server3"]
    assert v["reachability"]["probes"] == 2 * 12 + 8 and v["reachability"]["reachable"] == 32
    assert v["reachability"]["across_rails"]["reachable"] == [[None, 4], [4, None]]
    # a ring of 4 per rail, and both directions of each of the 4 uplinks
    assert v["mtu"]["checked"] == 8 + 8
    for p in v["mtu"]["paths"]:
        assert p["mtu"] == 9000 and p["at_mtu"] == "arrived" and p["over"] == "refused", p
    assert v["scope"] == {"host": "localhost", "servers": 4, "endpoints": 8, "endpoints_elsewhere": 0}
    assert v["summary_lines"][0].startswith("fabric kpr on localhost: validation passed")
    print("\n".join(v["summary_lines"]))
    print("validation of a 4x2 fabric: %.3f s (%s)" % (took, v["elapsed_s"]))


def test_not_staged_is_refused(tmp_path):
    plan = compiler.compile_plan(dict(RAIL_SPEC, name="kprn"))
    with pytest.raises(errors.ModuleError) as e:
        probe.validate(plan)
    assert "fabric kprn is not staged on localhost" in str(e.value) and "kprn-server0" in str(e.value)


# -------------------------------------------------------- reachability --


def test_link_down_names_the_pairs(broken):
    sh("ip -n kpr-server2 link set rail1 down")
    out = broken.validate(timeout=FAST)
    v = out["validation"]
    assert out["failed"] and not v["ok"]
    rail1 = v["reachability"]["planes"]["rail1"]
    servers = rail1["servers"]
    bad = sorted(tuple(p) for p in rail1["unreachable"])
    assert bad == sorted([("server2", s) for s in servers if s != "server2"]
                         + [(s, "server2") for s in servers if s != "server2"])
    for i, src in enumerate(servers):
        for j, dst in enumerate(servers):
            if i != j:
                assert rail1["matrix"][i][j] is (src != "server2" and dst != "server2"), (src, dst)
    assert v["reachability"]["planes"]["rail0"]["unreachable"] == []
    # the sender without a route says so; the others time out
    reasons = dict(((f["from"], f["to"]), f["reason"]) for f in v["reachability"]["failures"] if f["plane"] == "rail1")
    assert "Network is unreachable" in reasons[("server2", "server0")]
    assert reasons[("server0", "server2")] == "no answer within 0.5 s"
    assert "reachability rail1: 6 of 12 pairs unreachable" in out["msg"] and "server0 -> server2" in out["msg"]
    text = "\n".join(v["summary_lines"])
    assert "  server2 X X - X" in text and "  server0 - . X ." in text
    broken.converge()
    assert_all_ok(broken.validate()["validation"])


def test_deleted_spine_route_loses_flows_and_cross_rail_probes(broken):
    """spine0 forgets rail1's block: rail-local traffic is fine, flows hashed to spine0 towards rail1 are lost."""
    block = [r["dst"] for r in [n for n in broken.plan["namespaces"] if n["name"] == "kpr-spine0"][0]["routes"]
             if r["nexthops"][0]["ifname"] == "rail1"][0]
    sh("ip -n kpr-spine0 route del %s" % block)
    v = broken.validate(timeout=FAST)["validation"]
    assert not v["ok"]
    assert all(not p["unreachable"] for p in v["reachability"]["planes"].values())  # rails themselves are fine
    e = [x for x in v["ecmp"]["experiments"] if x["leaf"] == "rail0"][0]
    spine0 = e["tiers"][0]["packets"][e["tiers"][0]["nodes"].index("spine0")]
    assert 0 < spine0 < e["flows"] and e["received"] == e["flows"] - spine0, e
    assert any(p.startswith("ECMP from rail0 (server0/rail0 -> server1/rail1): %d of 64 flows lost" % spine0)
               for p in v["problems"]), v["problems"]
    other = [x for x in v["ecmp"]["experiments"] if x["leaf"] == "rail1"][0]
    assert other["ok"] and other["received"] == other["flows"]  # towards rail0 spine0 still routes
    broken.converge()
    assert_all_ok(broken.validate()["validation"])


def test_missing_address_is_named_without_waiting(broken):
    """server3's rail1 address gone: its socket cannot be bound, and every probe from or to it says why."""
    address = broken.addr("server3", "rail1")
    sh("ip -n kpr-server3 addr del %s/31 dev rail1" % address)
    t0 = time.monotonic()
    v = broken.validate(timeout=5.0)["validation"]
    assert time.monotonic() - t0 < 3.0  # refused at once, not lost
    rail1 = v["reachability"]["planes"]["rail1"]
    assert sorted(map(tuple, rail1["unreachable"])) == sorted(
        [("server3", s) for s in ("server0", "server1", "server2")]
        + [(s, "server3") for s in ("server0", "server1", "server2")])
    reasons = dict(((f["from"], f["to"]), f["reason"]) for f in v["reachability"]["failures"])
    assert reasons[("server3", "server0")] == ("not sent: the sender server3/rail1 cannot open a socket on %s (rail1): "
                                               "Cannot assign requested address" % address)
    assert reasons[("server0", "server3")].startswith("not sent: the destination server3/rail1 cannot open")
    broken.converge()
    assert_all_ok(broken.validate()["validation"])


# --------------------------------------------------------------- MTU --


def test_mtu_black_hole_on_a_leaf_port(broken):
    """rail0's port to server2 at 1500: the leaf answers server1's 9000-byte datagrams with ICMP; server2's own
    9000-byte frames are dropped by the veth on the way in, without a word (a black hole). Small ones pass."""
    sh("ip -n kpr-rail0 link set server2 mtu 1500")
    out = broken.validate(timeout=FAST)
    v = out["validation"]
    assert out["failed"] and v["reachability"]["ok"]
    failed = dict(((p["from"], p["to"]), p) for p in v["mtu"]["paths"] if not p["ok"])
    assert sorted(failed) == [("server1/rail0", "server2/rail0"), ("server2/rail0", "server3/rail0")]
    into = failed[("server1/rail0", "server2/rail0")]
    assert into["at_mtu"] == "icmp" and "fragmentation needed, next-hop MTU 1500" in into["at_mtu_detail"]
    leaf_end = [e for l in broken.plan["links"] if l["id"] == "server1~rail0" for e in l["ends"] if e["node"] == "rail0"]
    assert into["at_mtu_detail"].endswith("from %s" % leaf_end[0]["address"].split("/")[0]), into
    out_of = failed[("server2/rail0", "server3/rail0")]
    assert out_of["at_mtu"] == "lost" and out_of["reachable"]
    assert "an MTU black hole" in out_of["at_mtu_detail"]
    assert "path MTU server2/rail0 -> server3/rail0: 9000-byte datagrams (DF) do not arrive: lost without an ICMP " \
        "error (an MTU black hole)" in out["msg"]
    assert "path MTU server1/rail0 -> server2/rail0" in out["msg"]
    # repaired: server1 still has the 1500 the leaf told it (cached ~10 min); validation sees through it
    broken.converge()
    cached = sh("ip -n kpr-server1 route get %s oif rail0" % broken.addr("server2", "rail0")).stdout
    assert "mtu 1500" in cached, cached
    v = broken.validate()["validation"]
    assert_all_ok(v)
    again = [p for p in v["mtu"]["paths"] if (p["from"], p["to"]) == ("server1/rail0", "server2/rail0")][0]
    assert again["cached_mtu"] == 1500 and again["at_mtu"] == "arrived"
    assert any("cached from an earlier ICMP error" in line for line in v["summary_lines"])


def test_mtu_smaller_uplinks_leaf_spine(leafspine):
    """Uplinks at 4000: cross-leaf server paths must carry 4000 and not 4001 (the leaf says so with ICMP)."""
    v = leafspine.validate()["validation"]
    assert_all_ok(v)
    by = dict(((p["from"], p["to"]), p) for p in v["mtu"]["paths"])
    cross = by[("server1/fab0", "server2/fab0")]
    assert cross["mtu"] == 4000 and cross["at_mtu"] == "arrived"
    assert cross["over"] == "icmp" and "next-hop MTU 4000" in cross["over_detail"]
    assert by[("server0/fab0", "server1/fab0")]["mtu"] == 9000
    assert by[("leaf0/spine0", "spine0/leaf0")]["mtu"] == 4000


# -------------------------------------------------------------- ECMP --


def test_ecmp_spreads_over_both_spines(rail):
    v = rail.validate()["validation"]
    assert [e["leaf"] for e in v["ecmp"]["experiments"]] == ["rail0", "rail1"]
    for e in v["ecmp"]["experiments"]:
        tier = e["tiers"][0]
        assert tier["tier"] == "spines" and tier["nodes"] == ["spine0", "spine1"]
        assert e["received"] == 64 and all(c > 0 for c in tier["packets"]), e
        assert sum(tier["packets"]) >= 64 and abs(sum(tier["shares"]) - 1) < 1e-3
        assert 1.0 <= tier["imbalance"] < 2.0

    # the same measurement bracketed by iproute2's counters: no other traffic runs in between
    val = probe.Validator(rail.plan, "localhost", flows=64)
    val.open()
    try:
        val.connectivity()  # neighbours resolved, as in a full run
        ifs = [("kpr-spine%d" % j, "rail%d" % k) for j in range(2) for k in range(2)]
        before = dict((i, rx_packets(*i)) for i in ifs)
        ecmp = val.ecmp()
        after = dict((i, rx_packets(*i)) for i in ifs)
    finally:
        val.close()
    assert ecmp["ok"], ecmp
    for e in ecmp["experiments"]:
        k = int(e["leaf"][-1])
        tier = e["tiers"][0]
        for j, spine in enumerate(tier["nodes"]):
            assert tier["interfaces"][j] == ["kpr-%s/rail%d" % (spine, k)]
            seen = after[("kpr-%s" % spine, "rail%d" % k)] - before[("kpr-%s" % spine, "rail%d" % k)]
            assert seen > 0, (e, seen)
            assert 0 <= seen - tier["packets"][j] <= 2, (e, seen)  # an ARP probe may pass between the reads
        assert sum(after[("kpr-%s" % s, "rail%d" % k)] - before[("kpr-%s" % s, "rail%d" % k)]
                   for s in tier["nodes"]) >= 64


def test_ecmp_with_l3_hashing_is_a_problem(broken):
    """fib_multipath_hash_policy=0 on a leaf hashes addresses only: one spine carries every flow of a pair."""
    sh("ip netns exec kpr-rail0 sysctl -qw net.ipv4.fib_multipath_hash_policy=0")
    v = broken.validate(timeout=FAST)["validation"]
    e = [x for x in v["ecmp"]["experiments"] if x["leaf"] == "rail0"][0]
    assert not e["ok"] and sorted(e["tiers"][0]["packets"])[0] == 0 and e["tiers"][0]["imbalance"] == 2.0
    assert any(p.startswith("ECMP from rail0") and "carried none of 64 flows" in p for p in v["problems"])
    broken.converge()
    assert_all_ok(broken.validate()["validation"])


def test_leaf_spine_ecmp_and_tbf_rates(leafspine):
    v = leafspine.validate(sample=100)["validation"]
    assert_all_ok(v)
    assert [e["leaf"] for e in v["ecmp"]["experiments"]] == ["leaf0", "leaf1"]
    for e in v["ecmp"]["experiments"]:
        assert all(c > 0 for c in e["tiers"][0]["packets"]), e
    assert v["links"]["links"] == len(leafspine.plan["links"])
    for s in v["links"]["sampled"]:
        assert s["kernel"]["rate_bit"] == s["plan"]["rate_bit"] == tc_rate_bit(s["netns"], s["ifname"]), s
        if s["plan"]["qdisc"]:
            assert s["kernel"]["qdisc"] == "tbf"


# ------------------------------------------------------------- links --


def test_sampled_rates_equal_tc(rail):
    v = rail.validate()["validation"]
    sampled = v["links"]["sampled"]
    assert v["links"]["links"] == 8 and len(sampled) == 16
    assert set(s["class"] for s in sampled) == {"leaf_spine", "server_leaf"}
    for s in sampled:
        assert s["ok"]
        assert s["kernel"]["rate_bit"] == tc_rate_bit(s["netns"], s["ifname"]), s
        assert s["kernel"]["rate_bit"] == s["plan"]["rate_bit"]
        assert s["kernel"]["delay_us"] == s["plan"]["delay_us"] == 0  # no netem on this kernel
        assert s["kernel"]["mtu"] == ip_j(s["netns"], "link", "show", "dev", s["ifname"])[0]["mtu"]


def test_changed_rate_is_named(broken):
    sh("tc -n kpr-rail0 class change dev spine0 parent 1: classid 1:1 htb rate 50mbit ceil 50mbit")
    out = broken.validate(sample=100)
    v = out["validation"]
    bad = [s for s in v["links"]["sampled"] if not s["ok"]]
    assert [(s["link"], s["node"], s["ifname"]) for s in bad] == [("rail0~spine0", "rail0", "spine0")]
    assert bad[0]["kernel"]["rate_bit"] == 50000000 == tc_rate_bit("kpr-rail0", "spine0")
    assert "link rail0~spine0 at rail0/spine0: rate 50000000 bit/s, plan 100000000 bit/s" in out["msg"]
    broken.converge()
    assert_all_ok(broken.validate(sample=100)["validation"])


def test_an_end_the_collection_impaired_is_flagged_not_failed(broken):
    """A sweep point's rate on rail 0's leaf ports: validated names the impaired ends, and a change behind the
    collection's back on another end still fails."""
    from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import impair
    impaired = impair.overlay(broken.plan, [{"interface": "server0", "netns": "kpr-rail0", "rules": [{"rate": "20mbit"}]}])
    stage.converge(impaired, state_dir=broken.state_dir)
    out = broken.validate(sample=0)
    links = out["validation"]["links"]
    flagged = [s for s in links["sampled"] if s.get("impaired")]
    assert not out["failed"] and links["impaired"] == 1, out.get("msg")
    assert [(s["netns"], s["ifname"]) for s in flagged] == [("kpr-rail0", "server0")]
    assert flagged[0]["kernel"]["rate_bit"] == 20000000 == tc_rate_bit("kpr-rail0", "server0")
    assert flagged[0]["differs"] and flagged[0]["impaired"]["rate"]["rate"] == "20mbit"
    assert "1 end(s) impaired by the collection" in " ".join(out["validation"]["summary_lines"])
    sh("tc -n kpr-rail0 class change dev spine0 parent 1: classid 1:1 htb rate 50mbit ceil 50mbit")
    out = broken.validate(sample=100)
    assert out["failed"] and "link rail0~spine0 at rail0/spine0: rate 50000000 bit/s" in out["msg"]
    assert "server0" not in out["msg"]


# ------------------------------------------------------ module glue --


class FakeModule:
    check_mode = False
    _diff = False

    def __init__(self, **params):
        self.params = dict({"name": None, "host": None, "inventory_hosts": None}, **params)
        self.result = None

    def exit_json(self, **kw):
        self.result = dict(kw, failed=False)
        raise SystemExit(0)

    def fail_json(self, **kw):
        self.result = dict(kw, failed=True)
        raise SystemExit(1)

    def warn(self, text):
        pass


def run(**params):
    m = FakeModule(**params)
    with pytest.raises(SystemExit):
        resource.run_module(m)
    return m.result


def test_module_state_validated(broken):
    r = run(topology=RAIL_SPEC, state="validated")
    assert not r["failed"] and r["changed"] is False and r["validation"]["ok"], r.get("msg")
    assert r["fabric"] == "kpr" and r["validation"]["summary_lines"][0].startswith("fabric kpr on localhost")
    sh("ip -n kpr-server3 link set rail0 down")
    r = run(topology=RAIL_SPEC, state="validated")
    assert r["failed"] and not r["validation"]["ok"]
    assert r["msg"].startswith("fabric kpr failed validation on localhost: reachability rail0: 6 of 12 pairs")
    assert "server3 -> server0" in r["msg"]


PLAYBOOK = """---
- name: Validate a staged fabric, break a link, validate again
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Validate the good fabric
      aifabric.emulation.fabric:
        topology: "{{ topology }}"
        state: validated
      register: good
    - name: Take server1's rail0 NIC down
      ansible.builtin.command: ip -n kpr-server1 link set rail0 down
      changed_when: true
    - name: Validate the broken fabric
      aifabric.emulation.fabric:
        topology: "{{ topology }}"
        state: validated
      register: bad
      ignore_errors: true
    - name: Keep the results for the test
      ansible.builtin.copy:
        dest: "{{ result_file }}"
        content: "{{ {'good': good, 'bad': bad} | to_json }}"
        mode: "0600"
"""


def test_through_ansible_playbook(broken, tmp_path):
    """The module as Ansible runs it (AnsiballZ carries probe.py): passes, then fails naming the pairs."""
    book, out = tmp_path / "validate.yml", tmp_path / "result.json"
    book.write_text(PLAYBOOK)
    res = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-playbook"), str(book), "-e",
                          json.dumps({"topology": RAIL_SPEC, "result_file": str(out)})],
                         cwd=REPO, env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg")),
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    r = json.loads(out.read_text())
    good, bad = r["good"], r["bad"]
    assert not good["failed"] and good["validation"]["ok"] and good["changed"] is False
    assert good["validation"]["summary_lines"][0].startswith("fabric kpr on localhost: validation passed")
    assert bad["failed"] is True and bad["validation"]["ok"] is False
    assert bad["msg"].startswith("fabric kpr failed validation on localhost: reachability rail0: 6 of 12 pairs")
    assert bad["validation"]["reachability"]["planes"]["rail0"]["matrix"][1] == [False, None, False, False]
    assert "fatal: [localhost]" in res.stdout and "...ignoring" in res.stdout
