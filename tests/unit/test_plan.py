# -*- coding: utf-8 -*-
import pytest

from casetable import load_cases
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model, plan, render

DEV = "eth0"


def have_rules(specs):
    """Canonical rules as gathered from the kernel: with the filter prefs in use."""
    rules = model.normalize_rules(specs)
    for band, rule in plan.layout(rules)[2]:
        prefs = plan.filter_prefs(band)
        rule["_prefs"] = dict((proto, prefs[proto]) for proto, _k in plan.match_filters(rule["match"])) \
            if rule["match"] else {}
    return rules


@pytest.mark.parametrize("case", load_cases("plan"))
def test_plan(case):
    want, netns = model.normalize_rules(case["want"]), case.get("netns")
    fn = case.get("fn", "tree")
    if fn == "ingress":
        before, after = plan.plan_ingress_hook(DEV, case["hook"], want, "ifb-" + DEV)
        assert render.commands(before, netns) == case["before"]
        assert render.commands(after, netns) == case["after"]
        return
    ops = plan.build_tree(DEV, want) if fn == "build" else plan.plan_tree(DEV, have_rules(case["have"]), want)
    assert render.commands(ops, netns) == case["commands"]


def test_build_equals_plan_from_empty():
    want = model.normalize_rules([{"delay": {"time": "1ms"}}, {"name": "x", "match": {"dscp": [1]}}])
    assert plan.plan_tree(DEV, [], want) == plan.build_tree(DEV, want)


@pytest.mark.parametrize("dev, ifindex, name", [("eth0", 3, "ifb-eth0"), ("enp129s0f0np0", 17, "ifb-i17")])
def test_ifb_name_fits_ifnamsiz(dev, ifindex, name):
    assert plan.ifb_name(dev, ifindex) == name
    assert len(name) <= 15
