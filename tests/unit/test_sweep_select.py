# -*- coding: utf-8 -*-
"""Link selectors on plans compiled from tests/unit/topology/input/*.yml.

Expected sets are recomputed here from node names and roles (not through the
selector code): which links touch which node, and which end is the lower tier.
"""
import os

import pytest
import yaml

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as fabric_compile
from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import select

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "topology", "input")
CASES = sorted(os.path.splitext(f)[0] for f in os.listdir(HERE) if f.endswith(".yml"))
TIER = {"server": 0, "leaf": 1, "spine": 2, "super_spine": 3}


def compiled(case):
    with open(os.path.join(HERE, case + ".yml")) as f:
        data = yaml.safe_load(f)
    if "spec" in data:
        return fabric_compile.compile_plan(data["spec"], hosts=data.get("hosts"))
    return fabric_compile.compile_plan(data)


PLANS = dict((c, compiled(c)) for c in CASES)


def links_of(ends):
    return set(e["link"] for e in ends)


def touching(plan, pred):
    """Ids of links with an end on a node for which pred(name, node) holds."""
    return set(l["id"] for l in plan["links"]
               if any(pred(e["node"], plan["nodes"][e["node"]]) for e in l["ends"]))


def lower_end(plan, link):
    a, b = link["ends"]
    return a if TIER[plan["nodes"][a["node"]]["role"]] < TIER[plan["nodes"][b["node"]]["role"]] else b


@pytest.mark.parametrize("case", CASES)
def test_all_and_both_directions(case):
    plan = PLANS[case]
    ends = select.fabric_ends(plan, "all", "both", "x")
    assert len(ends) == 2 * len(plan["links"])
    assert len(set(e["key"] for e in ends)) == len(ends)
    for e in ends:
        node = plan["nodes"][e["node"]]
        assert e["netns"] == node["netns"] and e["interface"] in node["interfaces"]
        assert node["interfaces"][e["interface"]]["link"] == e["link"]


@pytest.mark.parametrize("case", CASES)
def test_up_is_the_lower_tier_sending_and_down_the_upper(case):
    plan = PLANS[case]
    by_id = dict((l["id"], l) for l in plan["links"])
    for e in select.fabric_ends(plan, "all", "up", "x"):
        assert e["node"] == lower_end(plan, by_id[e["link"]])["node"]
    for e in select.fabric_ends(plan, "all", "down", "x"):
        assert e["node"] != lower_end(plan, by_id[e["link"]])["node"]
    assert [e["key"] for e in select.fabric_ends(plan, "all", "egress", "x")] == \
        [e["key"] for e in select.fabric_ends(plan, "all", "up", "x")]


@pytest.mark.parametrize("case", CASES)
def test_uplinks_are_every_link_above_the_servers(case):
    plan = PLANS[case]
    want = set(l["id"] for l in plan["links"]) - touching(plan, lambda n, node: node["role"] == "server")
    assert links_of(select.fabric_ends(plan, "uplinks", "both", "x")) == want


@pytest.mark.parametrize("case", [c for c in CASES if PLANS[c]["kind"] == "rail_optimized"])
def test_rails(case):
    plan = PLANS[case]
    rails = sorted(n for n, node in plan["nodes"].items() if n.startswith("rail"))
    union = set()
    for name in rails:
        k = int(name[len("rail"):])
        want = touching(plan, lambda n, node: n == name) & touching(plan, lambda n, node: node["role"] == "server")
        got = links_of(select.fabric_ends(plan, "rail:%d" % k, "both", "x"))
        assert got == want and len(got) == plan["summary"]["servers"]
        assert links_of(select.fabric_ends(plan, "leaf:%d" % k, "both", "x")) == touching(plan, lambda n, node: n == name)
        union |= got
    assert links_of(select.fabric_ends(plan, "rail:*", "both", "x")) == union
    s = plan["summary"]["servers"] - 1
    one = select.fabric_ends(plan, "server:%d/rail:1" % s, "up", "x")
    assert [(e["node"], e["interface"]) for e in one] == [("server%d" % s, "rail1")]
    two = select.fabric_ends(plan, "server:0/rail:0, server:%d/rail:1" % s, "both", "x")
    assert len(two) == 4


@pytest.mark.parametrize("case", CASES)
def test_spines_servers_pods_classes_nodes(case):
    plan = PLANS[case]
    spines = touching(plan, lambda n, node: node["role"] == "spine")
    assert links_of(select.fabric_ends(plan, "spine:*", "both", "x")) == spines
    spine1 = touching(plan, lambda n, node: node["role"] == "spine" and n.endswith("spine1"))
    if spine1:
        assert links_of(select.fabric_ends(plan, "spine:1", "both", "x")) == spine1
    server0 = touching(plan, lambda n, node: n == "server0")
    assert links_of(select.fabric_ends(plan, "server:0", "both", "x")) == server0
    assert links_of(select.fabric_ends(plan, "node:server0", "both", "x")) == server0
    for cls in ("server_leaf", "leaf_spine", "spine_super"):
        want = set(l["id"] for l in plan["links"] if l["class"] == cls)
        if want:
            assert links_of(select.fabric_ends(plan, "class:" + cls, "both", "x")) == want
        else:
            with pytest.raises(errors.ValidationError):
                select.fabric_ends(plan, "class:" + cls, "both", "x")
    first = plan["links"][0]["id"]
    assert links_of(select.fabric_ends(plan, "link:" + first, "both", "x")) == set([first])
    if plan["kind"] == "clos3":
        pod1 = touching(plan, lambda n, node: n.startswith("pod1-"))
        assert links_of(select.fabric_ends(plan, "pod:1", "both", "x")) == pod1
        supers = touching(plan, lambda n, node: n.startswith("super"))
        assert links_of(select.fabric_ends(plan, "super:*", "both", "x")) == supers
        assert links_of(select.fabric_ends(plan, "pod:1/uplinks", "both", "x")) == \
            pod1 - touching(plan, lambda n, node: node["role"] == "server")


def test_union_and_order_follow_the_plan():
    plan = PLANS["rail4x2_l3"]
    ends = select.fabric_ends(plan, "rail:1, uplinks", "up", "x")
    order = [l["id"] for l in plan["links"]]
    ids = [e["link"] for e in ends]
    assert ids == sorted(ids, key=order.index)
    assert len(ends) == 4 + 4


@pytest.mark.parametrize("selector, message", [
    ("rail:9", "matches no link"), ("", "expected a selector"), ("rail:0,", "has an empty term"),
    ("spines", "is not a selector"), ("class:core", "class is one of"), ("leaf:x", "leaf takes a number"),
])
def test_bad_selectors(selector, message):
    with pytest.raises(errors.ValidationError) as exc:
        select.fabric_ends(PLANS["rail4x2_l3"], selector, "both", "axes[2].links")
    assert exc.value.path == "axes[2].links" and message in exc.value.message


def test_targets():
    targets = [{"host": "gpu1", "interface": "eth1", "netns": None},
               {"host": "gpu2", "interface": "eth1", "netns": "blue"},
               {"host": "gpu2", "interface": "eth2", "netns": None}]
    assert len(select.target_ends(targets, "all", "both", "x")) == 6
    got = select.target_ends(targets, "host:gpu2/interface:eth1", "ingress", "x")
    assert [e["key"] for e in got] == ["gpu2/blue/eth1/ingress"]
    assert [e["direction"] for e in select.target_ends(targets, "target:0", "egress", "x")] == ["egress"]
    with pytest.raises(errors.ValidationError):
        select.target_ends(targets, "target:5", "egress", "x")
    with pytest.raises(errors.ValidationError):
        select.target_ends(targets, "rail:0", "egress", "x")
