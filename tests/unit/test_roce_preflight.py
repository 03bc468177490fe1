# -*- coding: utf-8 -*-
"""roce preflight: check() finds each kind of disagreement; nccl_env() matches the host."""
import copy

import pytest

from casetable import load_cases
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import model, preflight


@pytest.mark.parametrize("case", load_cases("roce_preflight", "check"))
def test_check(case):
    issues = preflight.check(case["facts"], case["expect"])
    assert [i["check"] for i in issues] == case["checks"]
    assert len(case["messages"]) == len(issues)
    for issue, message in zip(issues, case["messages"]):
        assert message in issue["message"]
        assert sorted(issue) == ["actual", "check", "expected", "message"]


@pytest.mark.parametrize("case", load_cases("roce_preflight", "nccl_env"))
def test_nccl_env(case):
    assert preflight.nccl_env(case["facts"], case["expect"]) == case["env"]


def _consistent():
    case = load_cases("roce_preflight", "check")[0].values[0]
    assert case["id"] == "consistent"
    return copy.deepcopy(case["facts"])


def test_check_leaves_facts_alone():
    facts = _consistent()
    facts["pfc"] = {"enabled": [], "delay": 0}
    snapshot = copy.deepcopy(facts)
    preflight.check(facts, {"nccl_ib_tc": 104})
    preflight.nccl_env(facts, {})
    assert facts == snapshot


def test_profile_expectation_from_model():
    """What state: validated passes for the profile: no disagreement, NCCL_IB_TC 106."""
    want = model.normalize({"profile": "lossless_prio3"})
    facts = _consistent()
    assert preflight.check(facts, want) == []
    assert preflight.nccl_env(facts, want)["NCCL_IB_TC"] == "106"
    assert preflight.roce_priority(facts, want) == 3


def test_disagreement_fields():
    facts = _consistent()
    facts["pfc"] = {"enabled": [4], "delay": 0}
    facts["trust"] = "pcp"
    assert preflight.check(facts, {}) == [
        {"check": "pfc", "expected": [3], "actual": [4], "message": "PFC is off for RoCE priority 3 (PFC on: [4])"},
        {"check": "trust", "expected": "dscp", "actual": "pcp",
         "message": "trust is pcp, not dscp: DSCP marks are ignored"},
    ]


@pytest.mark.parametrize("facts_update, expect, dscp, prio", [
    ({}, {}, 26, 3),
    ({}, {"nccl_ib_tc": 98}, 24, 3),
    ({"rdma_cm": {"tos": 96, "mode": "RoCE v2"}, "dscp_map": {24: 5}}, {}, 24, 5),
    ({"rdma_cm": None, "dscp_map": {}}, {}, 26, 3),
    ({"rdma_cm": None, "dscp_map": None}, {}, 26, 3),
    ({}, {"roce_priority": 4}, 26, 4),
    ({"dscp_map": {26: 2}}, {}, 26, 2),
], ids=["defaults", "from-nccl-ib-tc", "from-rdma-cm-tos", "unmapped-is-3", "unreadable-map-is-3",
        "explicit-priority", "from-map"])
def test_roce_dscp_and_priority(facts_update, expect, dscp, prio):
    facts = dict(_consistent(), **facts_update)
    assert preflight.roce_dscp(facts, expect) == dscp
    assert preflight.roce_priority(facts, expect) == prio
