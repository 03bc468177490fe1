# -*- coding: utf-8 -*-
"""The pure parts of fabric validation (fabric/probe.py): what is probed, figures and text; no kernel."""
import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as compiler
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import probe

RAIL = {"name": "u", "kind": "rail_optimized", "servers": 4, "rails": 2, "spines": 2}
LEAF = {"name": "u", "kind": "leaf_spine", "leaves": 2, "servers_per_leaf": 2, "spines": 2,
        "links": {"leaf_spine": {"mtu": 4000}}}
CLOS = {"name": "u", "kind": "clos3", "pods": 2, "leaves_per_pod": 2, "servers_per_leaf": 1, "spines_per_pod": 2,
        "super_spines": 2}


def plan(spec, **kw):
    return compiler.compile_plan(dict(spec, **kw))


# ------------------------------------------------------------ figures --


@pytest.mark.parametrize("counts, shares, imbalance", [
    ([32, 32], [0.5, 0.5], 1.0),
    ([64, 0], [1.0, 0.0], 2.0),
    ([48, 16], [0.75, 0.25], 1.5),
    ([10, 10, 10, 30], [0.1667, 0.1667, 0.1667, 0.5], 2.0),
    ([0, 0], [0.0, 0.0], None),
    ([], [], None),
])
def test_balance(counts, shares, imbalance):
    assert probe.balance(counts) == {"shares": shares, "imbalance": imbalance}


def test_idle_path_is_a_problem_only_when_chance_cannot_explain_it():
    assert probe.idle_is_unlikely(2, 64)  # 2 * 2**-64
    assert probe.idle_is_unlikely(4, 64)  # 4 * 0.75**64 = 4e-8
    assert not probe.idle_is_unlikely(8, 64)  # 8 * (7/8)**64 = 0.002: happens
    assert not probe.idle_is_unlikely(2, 8)
    assert not probe.idle_is_unlikely(1, 1000) and not probe.idle_is_unlikely(2, 0)


# ------------------------------------------------------------- matrix --


def test_format_matrix():
    servers = ["server0", "server1", "server2"]
    matrix = [[None, True, False], [True, None, False], [False, False, None]]
    assert probe.format_matrix(servers, matrix) == [
        "          0 1 2",
        "  server0 - . X",
        "  server1 . - X",
        "  server2 X X -",
        "  (row: from, column: to; . reachable, X unreachable)",
    ]


def test_format_matrix_wide_labels_stay_aligned():
    servers = ["server%d" % i for i in (0, 9, 10, 127)]
    matrix = [[None if i == j else True for j in range(4)] for i in range(4)]
    lines = probe.format_matrix(servers, matrix)
    assert lines[0] == "  " + " " * len("server127") + "   0   9  10 127"
    assert lines[1] == "  server0     -   .   .   ."
    assert len(set(len(line) for line in lines[:-1])) == 1
    assert probe.server_label("gpu") == "gpu" and probe.server_label("server12") == "12"


def test_pairs_grouped_by_reason():
    failures = [{"plane": "rail1", "from": "s0", "to": "s2", "reason": "no answer within 1 s"},
                {"plane": "rail1", "from": "s2", "to": "s0", "reason": "refused"},
                {"plane": "rail1", "from": "s1", "to": "s2", "reason": "no answer within 1 s"},
                {"plane": "rail0", "from": "s1", "to": "s3", "reason": "refused"}]
    assert probe._pairs_text(failures, "rail1") == "s0 -> s2, s1 -> s2: no answer within 1 s; s2 -> s0: refused"
    many = [{"plane": "p", "from": "a%d" % i, "to": "b", "reason": "r"} for i in range(10)]
    assert probe._pairs_text(many, None, limit=3) == "a0 -> b, a1 -> b, a2 -> b and 7 more: r"


# --------------------------------------------------- what is probed --


def test_endpoints_and_planes_rail():
    p = plan(RAIL)
    eps = probe.endpoints(p)
    assert [e.label for e in eps] == ["server%d/rail%d" % (i, k) for i in range(4) for k in range(2)]
    by = probe.planes(eps)
    assert list(by) == ["rail0", "rail1"] and [e.server for e in by["rail1"]] == ["server0", "server1", "server2",
                                                                                  "server3"]
    e = by["rail1"][2]
    assert (e.netns, e.dev, e.leaf, e.mtu, e.link) == ("u-server2", "rail1", "rail1", 9000, "server2~rail1")
    assert e.address == p["nodes"]["server2"]["interfaces"]["rail1"]["address"].split("/")[0]


def test_endpoints_with_vlan_bind_the_vlan_device():
    eps = probe.endpoints(plan(RAIL, vlan={"base_id": 100}))
    assert [e.dev for e in eps[:2]] == ["rail0.100", "rail1.101"]


def test_path_mtu_takes_every_link_a_path_may_use():
    p = plan(LEAF)
    by = dict((e.server, e) for e in probe.endpoints(p))
    assert probe.path_mtu(p, by["server0"], by["server1"]) == 9000  # under one leaf
    assert probe.path_mtu(p, by["server1"], by["server2"]) == 4000  # across the spines
    p = plan(RAIL, overrides=[{"link": "server3~rail1", "mtu": 1500}])
    eps = probe.planes(probe.endpoints(p))["rail1"]
    assert probe.path_mtu(p, eps[2], eps[3]) == 1500 and probe.path_mtu(p, eps[0], eps[1]) == 9000


def test_switch_hops_both_directions_in_l3_and_spine_to_server_in_l2():
    v = probe.Validator(plan(RAIL))
    hops = [("%s/%s" % (a["node"], a["ifname"]), "%s/%s" % (b["node"], b["ifname"])) for a, b, _l in v.switch_hops()]
    assert len(hops) == 8 and ("rail0/spine1", "spine1/rail0") in hops and ("spine1/rail0", "rail0/spine1") in hops
    v2 = probe.Validator(plan(RAIL, mode="l2"))
    assert v2.switch_hops() == []
    l2 = [("%s/%s" % (s["node"], s["ifname"]), ep.label, l["id"]) for s, ep, l in v2.l2_hops()]
    assert sorted(l2) == [("spine%d/rail%d" % (j, k), "server0/rail%d" % k, "rail%d~spine%d" % (k, j))
                          for j in range(2) for k in range(2)]


def test_ecmp_experiments_rail_leaf_and_clos():
    exps = probe.Validator(plan(RAIL)).ecmp_experiments()
    assert [(leaf, s.label, d.label) for _g, leaf, s, d, _t in exps] == [
        ("rail0", "server0/rail0", "server1/rail1"), ("rail1", "server0/rail1", "server1/rail0")]
    assert exps[0][4] == [("spines", [("spine0", [("u-spine0", "rail0")]), ("spine1", [("u-spine1", "rail0")])])]
    assert [[leaf for _g, leaf, _s, _d, _t in r] for r in probe.ecmp_rounds(exps, 64)] == [["rail0", "rail1"]]
    exps = probe.Validator(plan(LEAF)).ecmp_experiments()
    assert [(leaf, s.label, d.label) for _g, leaf, s, d, _t in exps] == [
        ("leaf0", "server0/fab0", "server2/fab0"), ("leaf1", "server2/fab0", "server0/fab0")]
    exps = probe.Validator(plan(CLOS)).ecmp_experiments()
    assert [(g, leaf, d.pod != s.pod) for g, leaf, s, d, _t in exps] == [
        (0, "pod0-leaf0", True), (0, "pod0-leaf1", True), (1, "pod1-leaf0", True), (1, "pod1-leaf1", True)]
    rounds = probe.ecmp_rounds(exps, 64)  # one leaf per pod at a time: a pod's leaves share its spines
    assert [[leaf for _g, leaf, _s, _d, _t in r] for r in rounds] == [["pod0-leaf0", "pod1-leaf0"],
                                                                      ["pod0-leaf1", "pod1-leaf1"]]
    assert [len(r) for r in probe.ecmp_rounds(exps, 400)] == [1, 1, 1, 1]  # 400 listeners each: one at a time
    tiers = dict(exps[0][4])
    assert [n for n, _i in tiers["spines"]] == ["pod0-spine0", "pod0-spine1"]
    assert tiers["super_spines"] == [("super0", [("u-super0", "pod0-spine0"), ("u-super0", "pod0-spine1")]),
                                     ("super1", [("u-super1", "pod0-spine0"), ("u-super1", "pod0-spine1")])]
    assert probe.Validator(plan(RAIL, mode="l2")).ecmp_experiments() == []
    assert probe.Validator(plan(RAIL), flows=0).ecmp_experiments() == []
    assert probe.Validator(plan(RAIL, spines=1)).ecmp_experiments() == []


def test_only_this_hosts_share_is_probed():
    placement = {"hosts": [{"name": "a", "underlay": "192.0.2.1", "servers": "0-1"},
                           {"name": "b", "underlay": "192.0.2.2", "servers": "2-3"}]}
    p = compiler.compile_plan(dict(RAIL, placement=placement), hosts=["a", "b"])
    vb = probe.Validator(p, "b")
    assert sorted(set(e.server for e in vb.eps)) == ["server2", "server3"]
    assert vb.switch_hops() == [] and vb.ecmp_experiments() == []  # the switches are on a
    va = probe.Validator(p, "a")
    assert len(va.switch_hops()) == 8 and len(va.ecmp_experiments()) == 2


def test_sample_links_takes_overrides_first_then_spreads():
    p = plan(RAIL, overrides=[{"link": "server3~rail1", "rate": "100mbit"}])
    picked = [l["id"] for l in probe.sample_links(p["links"], 3)]
    assert "server3~rail1" in picked and len(picked) == 3
    classes = set(l["class"] for l in probe.sample_links(p["links"], 4))
    assert classes == {"leaf_spine", "server_leaf"}
    assert len(probe.sample_links(p["links"], 100)) == len(p["links"])
    assert probe.sample_links(p["links"], 0) == []
    assert [l["id"] for l in probe.sample_links(p["links"], 5)] == [l["id"] for l in probe.sample_links(p["links"], 5)]


def test_neighbour_demand():
    assert probe.neighbour_demand(plan(RAIL), "localhost") == 2 * (4 + 8)  # every /31: one entry each end
    # l2: a rail's subnet holds 2 spines and 4 servers: 6 * 5 entries when all talk to all
    assert probe.neighbour_demand(plan(RAIL, mode="l2"), "localhost") == 2 * 6 * 5
    big = plan(RAIL, servers=64, rails=8, spines=4)
    assert probe.neighbour_demand(big, "localhost") == 2 * (8 * 4 + 64 * 8)  # 1088: over the default 1024


def test_bad_settings_are_named():
    p = plan(RAIL)
    for kw, param in (({"sample": -1}, "sample"), ({"flows": True}, "flows"), ({"timeout": 0}, "timeout"),
                      ({"timeout": "1"}, "timeout")):
        with pytest.raises(errors.ValidationError) as e:
            probe.Validator(p, **kw)
        assert e.value.param == param


def test_payload_is_recognised_only_by_its_own_run():
    first, second = probe.Engine(), probe.Engine()
    p = first.add(probe.Probe("mtu", None, probe.Sock("u-server1", "server1/rail0", "10.0.0.1"), 8972))
    data = p.payload(first.run_id)
    assert len(data) == 8972 and first._mine(data) is p
    assert second._mine(data) is None and first._mine(data[:10]) is None and first._mine(b"x" * 40) is None


# ------------------------------------------------------------ summary --


def _data(**over):
    data = {
        "ok": True, "problems": [], "elapsed_s": {"total": 0.031},
        "scope": {"host": "localhost", "servers": 3, "endpoints": 3, "endpoints_elsewhere": 0},
        "reachability": {"planes": {"fab0": {"servers": ["server0", "server1", "server2"],
                                             "matrix": [[None, True, True], [True, None, True], [True, True, None]],
                                             "reachable": 6, "pairs": 6, "unreachable": []}},
                         "across_rails": None, "failures": []},
        "mtu": {"paths": [{"from": "server0/fab0", "to": "server1/fab0", "mtu": 9000, "ok": True, "reachable": True,
                           "at_mtu": "arrived", "at_mtu_detail": None, "over": "refused",
                           "over_detail": "refused by the sender (EMSGSIZE, MTU 9000)", "cached_mtu": None}],
                "checked": 1, "failed": 0},
        "ecmp": {"skipped": None, "experiments": [{"leaf": "leaf0", "from": "server0/fab0", "to": "server2/fab0",
                                                   "flows": 64, "received": 64, "tiers": [
                                                       {"tier": "spines", "nodes": ["spine0", "spine1"],
                                                        "shares": [0.4531, 0.5469], "imbalance": 1.094}]}]},
        "links": {"links": 2, "ends": 3, "sampled": []},
    }
    data.update(over)
    return data


def test_summary_of_a_good_fabric():
    assert probe.summary_lines("f1", _data()) == [
        "fabric f1 on localhost: validation passed in 0.03 s (3 servers, 3 endpoints)",
        "reachability: fab0 6/6",
        "path MTU: 1/1 paths carry their MTU (9000) with DF set and refuse one byte more",
        "ECMP from leaf0: 64/64 flows server0/fab0 -> server2/fab0; spines spine0 45% spine1 55% (imbalance 1.09)",
        "links: 2 sampled (3 ends): rate, delay and MTU as planned",
    ]


def test_summary_of_a_broken_fabric_shows_the_matrix_and_problems():
    reach = _data()["reachability"]
    reach["planes"]["fab0"].update(matrix=[[None, True, False], [True, None, False], [False, False, None]],
                                   reachable=2, unreachable=[["server0", "server2"], ["server1", "server2"],
                                                             ["server2", "server0"], ["server2", "server1"]])
    reach["failures"] = [{"plane": "fab0", "from": "server0", "to": "server2", "from_address": "10.0.0.1",
                          "to_address": "10.0.0.5", "reason": "no answer within 1 s"}]
    kernel = {"qdisc": "htb", "rate_bit": 50000000, "delay_us": 0, "mtu": 9000}
    plan_end = dict(kernel, rate_bit=100000000)
    links = {"links": 1, "ends": 1, "sampled": [{"link": "leaf0~spine0", "node": "leaf0", "ifname": "spine0",
                                                 "ok": False, "kernel": kernel, "plan": plan_end}]}
    lines = probe.summary_lines("f1", _data(ok=False, problems=["one", "two"], reachability=reach, links=links,
                                            ecmp={"skipped": "l2 mode", "experiments": []}))
    assert lines[0] == "fabric f1 on localhost: validation FAILED (2 problems) in 0.03 s (3 servers, 3 endpoints)"
    assert lines[1] == "reachability: fab0 2/6"
    assert lines[2:8] == ["reachability fab0:", "          0 1 2", "  server0 - . X", "  server1 . - X",
                          "  server2 X X -", "  (row: from, column: to; . reachable, X unreachable)"]
    assert "  fab0: server0 -> server2 (10.0.0.1 -> 10.0.0.5): no answer within 1 s" in lines
    assert "ECMP: not measured (l2 mode)" in lines
    assert "links: 1 sampled (1 ends): 1 end(s) differ" in lines
    assert "  leaf0~spine0 at leaf0/spine0: kernel htb 50000000 bit/s, delay 0 us, mtu 9000, plan htb 100000000 " \
        "bit/s, delay 0 us, mtu 9000" in lines
    assert lines[-3:] == ["problems:", "  - one", "  - two"]
