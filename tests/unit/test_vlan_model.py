# -*- coding: utf-8 -*-
"""vlan model: normalize_config, with_defaults, merged_into, to_user."""
import pytest

from casetable import load_cases
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import model

NOTHING_GIVEN = {"protocol": "802.1Q", "mtu": None, "up": None, "addresses": None, "egress": None,
                 "ingress": None, "flags": dict((k, None) for k in model.FLAG_NAMES)}


def _normalize(case):
    if "state" in case:
        return model.normalize_config(case["config"], state=case["state"])
    return model.normalize_config(case["config"])


@pytest.mark.parametrize("case", load_cases("vlan_model", "valid"))
def test_normalize_valid(case):
    got = _normalize(case)
    want = [dict(NOTHING_GIVEN, **e) for e in case["expect"]]
    assert got == want


@pytest.mark.parametrize("case", load_cases("vlan_model", "invalid"))
def test_normalize_invalid(case):
    with pytest.raises(model.ValidationError) as err:
        _normalize(case)
    assert err.value.path == case["path"]
    assert case["message"] in str(err.value)
    assert str(err.value).startswith(case["path"] + ": ")


def test_every_flag_is_none_when_not_given():
    e = model.normalize_config([{"parent": "eth0", "id": 5}])[0]
    assert e["flags"] == {"reorder_hdr": None, "gvrp": None, "mvrp": None, "loose_binding": None}
    assert set(model.FLAG_NAMES) == set(model.FLAG_DEFAULTS)


def test_module_shaped_input():
    """The module passes every option, unset ones as None."""
    raw = dict((k, None) for k in ("name", "protocol", "mtu", "admin_state", "addresses", "egress_qos_map",
                                   "ingress_qos_map") + model.FLAG_NAMES)
    raw.update(parent="eth0", id=10, protocol="802.1Q")
    assert model.normalize_config([raw]) == [dict(NOTHING_GIVEN, name="eth0.10", parent="eth0", id=10)]


def test_with_defaults_fills_unset_fields():
    e = model.normalize_config([{"parent": "eth0", "id": 10, "gvrp": True}])[0]
    d = model.with_defaults(e, 9000)
    assert (d["mtu"], d["up"], d["addresses"], d["egress"], d["ingress"]) == (9000, True, [], {}, {})
    assert d["flags"] == {"reorder_hdr": True, "gvrp": True, "mvrp": False, "loose_binding": False}
    assert e["flags"]["reorder_hdr"] is None  # the input entry is left alone


def test_merged_into_adds_and_keeps():
    have = {"name": "eth0.10", "parent": "eth0", "id": 10, "protocol": "802.1Q", "mtu": 9000, "up": True,
            "addresses": ["10.0.0.1/24"], "egress": {3: 3}, "ingress": {1: 1},
            "flags": dict(model.FLAG_DEFAULTS)}
    e = model.normalize_config([{"parent": "eth0", "id": 10, "addresses": ["10.0.0.2/24", "10.0.0.1/24"],
                                 "egress_qos_map": {3: 0, 5: 5}, "mvrp": True}])[0]
    m = model.merged_into(e, have)
    assert m["addresses"] == ["10.0.0.1/24", "10.0.0.2/24"]
    assert m["egress"] == {3: 3, 5: 5}  # a zero entry does not clear under merged
    assert m["ingress"] == {1: 1} and m["mtu"] == 9000
    assert m["flags"]["mvrp"] is True and have["flags"]["mvrp"] is False


def test_to_user_round_trip():
    spec = {"name": "r1", "parent": "ens1f0", "id": 101, "protocol": "802.1ad", "mtu": 9000,
            "admin_state": "down", "addresses": ["fd00::1/64", "10.1.0.1/24"], "egress_qos_map": {3: 3},
            "ingress_qos_map": {"2": 4}, "reorder_hdr": False, "loose_binding": True}
    e = model.normalize_config([spec])[0]
    user = model.to_user(e)
    assert user["egress_qos_map"] == {"3": 3} and user["addresses"] == ["10.1.0.1/24", "fd00::1/64"]
    assert "gvrp" not in user
    assert model.normalize_config([user]) == [e]


HAVE = {"name": "eth0.10", "parent": "eth0", "id": 10, "protocol": "802.1Q", "mtu": 1500, "up": True,
        "addresses": ["10.0.0.1/24", "fd00::1/64"], "egress": {3: 5}, "ingress": {}, "flags": dict(model.FLAG_DEFAULTS)}


@pytest.mark.parametrize("given", [
    {}, {"mtu": 1500}, {"mtu": 1400}, {"admin_state": "up"}, {"admin_state": "down"},
    {"addresses": ["10.0.0.1/24"]}, {"addresses": ["fd00::1/64", "10.0.0.1/24"]}, {"addresses": ["10.0.0.2/24"]},
    {"addresses": []}, {"egress_qos_map": {3: 5}}, {"egress_qos_map": {3: 4}}, {"egress_qos_map": {2: 0}},
    {"ingress_qos_map": {1: 1}}, {"reorder_hdr": True}, {"reorder_hdr": False}, {"gvrp": True},
    {"loose_binding": False, "mvrp": False}, {"mvrp": True, "mtu": 1500},
])
def test_merged_leaves_alone_agrees_with_merged_into(given):
    """The planner's shortcut for re-runs must say "nothing to do" exactly when merging changes nothing."""
    entry = model.normalize_config([dict(given, parent="eth0", id=10)])[0]
    assert model.merged_leaves_alone(entry, HAVE) == (model.merged_into(entry, HAVE) == HAVE)


@pytest.mark.parametrize("text, canonical", [
    ("10.0.0.1/24", "10.0.0.1/24"), (" 10.0.0.1/24 ", "10.0.0.1/24"), ("10.0.0.1", "10.0.0.1/32"),
    ("10.0.0.1/024", "10.0.0.1/24"), ("FD00:0::1/64", "fd00::1/64"), ("fd00::1", "fd00::1/128"),
])
def test_addresses_come_out_in_the_kernels_spelling(text, canonical):
    assert model.normalize_address(text) == canonical


@pytest.mark.parametrize("text", ["010.0.0.1/24", "10.0.1/24", "10.0.0.256/24", "10.0.0.1/33", "fd00::1/129",
                                  "10.0.0.1/x", "224.0.0.1/4", "0.0.0.0/0"])
def test_bad_addresses_name_their_entry_and_index(text):
    with pytest.raises(model.ValidationError) as err:
        model.normalize_config([{"parent": "eth0", "id": 10, "addresses": ["10.9.9.9/24", text]}])
    assert err.value.param == "config[0] (eth0.10).addresses[1]"
