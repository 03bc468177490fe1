# -*- coding: utf-8 -*-
"""vlan plan.plan for every state, checked as `ip` command lines and the predicted `after`."""
import pytest

from casetable import load_cases
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import model, plan, render


def have_facts(entries):
    """name -> fact, as core.Facts.vlans holds them."""
    return dict((h["name"], h) for h in entries)


def run_plan(case):
    want = model.normalize_config(case["want"])
    mtu = case.get("parent_mtu", 1500)
    return plan.plan(want, have_facts(case["have"]), case["state"], lambda entry: mtu)


@pytest.mark.parametrize("case", load_cases("vlan_plan", "cases"))
def test_plan(case):
    ops, after = run_plan(case)
    assert render.commands(ops, case.get("netns")) == case["commands"]
    assert [after[n] for n in sorted(after)] == sorted(case["after"], key=lambda h: h["name"])


@pytest.mark.parametrize("case", load_cases("vlan_plan", "cases"))
def test_plan_is_idempotent(case):
    """Planning again against the predicted `after` changes nothing and predicts the same `after`
    (deleted too: what it deleted is gone, so the second run deletes nothing)."""
    _ops, after = run_plan(case)
    again, after_again = run_plan(dict(case, have=list(after.values())))
    assert render.commands(again) == []
    assert after_again == after


@pytest.mark.parametrize("case", [c for c in load_cases("vlan_plan", "cases") if c.values[0]["state"] == "deleted"])
def test_deleted_removes_every_declared_vlan(case):
    """After deleted, no declared VLAN is left (whatever the table's `after` says)."""
    _ops, after = run_plan(case)
    declared = set(e["name"] for e in model.normalize_config(case["want"], state="deleted"))
    assert declared and not declared & set(after)


def test_plan_leaves_have_alone():
    h = {"name": "eth0.10", "parent": "eth0", "id": 10, "protocol": "802.1Q", "mtu": 1500, "up": True,
         "addresses": ["10.0.0.1/24"], "egress": {3: 3}, "ingress": {}, "flags": dict(model.FLAG_DEFAULTS)}
    snapshot = repr(h)
    want = model.normalize_config([{"parent": "eth0", "id": 10, "addresses": ["10.0.0.2/24"], "gvrp": True}])
    plan.plan(want, {"eth0.10": h}, "merged", lambda e: 1500)
    plan.plan(want, {"eth0.10": h}, "replaced", lambda e: 1500)
    assert repr(h) == snapshot


def test_creates_sorted_by_depth_then_name():
    want = model.normalize_config([
        {"name": "c", "parent": "b", "id": 3}, {"name": "b", "parent": "a", "id": 2, "protocol": "802.1ad"},
        {"name": "a", "parent": "eth0", "id": 1, "protocol": "802.1ad"}, {"name": "0", "parent": "eth1", "id": 4}])
    ops, _after = plan.plan(want, {}, "merged", lambda e: 1500)
    assert [(op["entry"]["name"], op["depth"]) for op in ops] == [("0", 0), ("a", 0), ("b", 1), ("c", 2)]


def _fact(**kw):
    h = {"protocol": "802.1Q", "mtu": 1500, "up": True, "addresses": [], "egress": {}, "ingress": {},
         "flags": dict(model.FLAG_DEFAULTS)}
    h.update(kw)
    return h


QINQ_JUMBO = [{"name": "svc.10", "parent": "svc", "id": 10, "mtu": 9000},
              {"name": "svc", "parent": "eth0", "id": 200, "protocol": "802.1ad", "mtu": 9000}]


def test_qinq_mtu_raise_modifies_parent_first():
    have = have_facts([_fact(name="svc", parent="eth0", id=200, protocol="802.1ad"),
                       _fact(name="svc.10", parent="svc", id=10)])
    ops, _after = plan.plan(model.normalize_config(QINQ_JUMBO), have, "merged", lambda e: 9000)
    assert render.commands(ops) == ["ip link set svc mtu 9000", "ip link set svc.10 mtu 9000"]


def test_qinq_parent_mtu_raised_before_child_created():
    have = have_facts([_fact(name="svc", parent="eth0", id=200, protocol="802.1ad")])
    ops, _after = plan.plan(model.normalize_config(QINQ_JUMBO), have, "merged", lambda e: 9000)
    assert render.commands(ops)[0] == "ip link set svc mtu 9000"
