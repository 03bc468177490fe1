# -*- coding: utf-8 -*-
"""validate: integers that are not booleans, dict/list shapes, interface and RDMA device names."""
import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from casetable import CASES, load_cases
from ansible_collections.aifabric.emulation.plugins.module_utils import errors, validate
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import argspec as roce_argspec
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import argspec as vlan_argspec

with open(CASES + "/validate.yml") as _f:
    _TABLE = yaml.safe_load(_f)


def _raises(fn, *args, **kwargs):
    with pytest.raises(errors.ValidationError) as err:
        fn(*args, **kwargs)
    return err.value


@pytest.mark.parametrize("case", load_cases("validate", "integer"))
def test_integer(case):
    kwargs = case.get("kwargs", {})
    if "message" in case:
        err = _raises(validate.integer, case["value"], "field", **kwargs)
        assert err.path == "field"
        assert case["message"] in str(err)
        assert str(err).startswith("field: ")
    else:
        got = validate.integer(case["value"], "field", **kwargs)
        assert got == case["expect"] and got.__class__ is int


def test_optional_integer_keeps_none_and_checks_the_rest():
    assert validate.optional_integer(None, "f") is None
    assert validate.optional_integer(3, "f", 0, 7) == 3
    assert _raises(validate.optional_integer, True, "f").path == "f"


def test_integer_builds_a_lazy_path_only_on_error():
    class Path:
        built = 0

        def __str__(self):
            Path.built += 1
            return "config[0].id"
    assert validate.integer(5, Path()) == 5
    assert Path.built == 0
    assert _raises(validate.integer, True, Path()).path == "config[0].id"


@pytest.mark.parametrize("value, message", [
    ([3], "pfc: expected a dict like {enabled: [3]}, got a list"),
    ("3", "pfc: expected a dict like {enabled: [3]}, got the string '3'"),
    (3, "pfc: expected a dict like {enabled: [3]}, got the int 3"),
    (None, "pfc: expected a dict like {enabled: [3]}, got nothing (null)"),
])
def test_mapping_refuses_other_shapes(value, message):
    assert str(_raises(validate.mapping, value, "pfc", "{enabled: [3]}")) == message


def test_mapping_and_sequence_return_what_fits():
    d, lst, tup = {"enabled": [3]}, [1], (1,)
    assert validate.mapping(d, "pfc", "{}") is d
    assert validate.sequence(lst, "x") is lst and validate.sequence(tup, "x") is tup


@pytest.mark.parametrize("value, message", [
    ("3", "ecn.np: expected a list like [3], got the string '3'"),
    ({"a": 1}, "ecn.np: expected a list like [3], got a dict"),
    (3, "ecn.np: expected a list like [3], got the int 3"),
])
def test_sequence_refuses_other_shapes(value, message):
    assert str(_raises(validate.sequence, value, "ecn.np", "[3]")) == message


def test_choice():
    assert validate.choice("dscp", "trust", ("dscp", "pcp")) == "dscp"
    assert str(_raises(validate.choice, "DSCP", "trust", ("dscp", "pcp"))) == "trust: 'DSCP' is not one of dscp, pcp"


@pytest.mark.parametrize("name", _TABLE["ifname_valid"])
def test_ifname_valid(name):
    assert validate.ifname_error(name) is None
    assert validate.ifname(name, "interface") == name


@pytest.mark.parametrize("case", load_cases("validate", "ifname_invalid"))
def test_ifname_invalid(case):
    assert case["message"] in validate.ifname_error(case["name"])
    err = _raises(validate.ifname, case["name"], "interface")
    assert err.path == "interface"
    assert case["message"] in str(err)
    assert str(err).startswith("interface: ")


def test_ifname_limit_is_bytes_not_characters():
    assert len("vlän-für-gpu-0") == 14 and len("vlän-für-gpu-0".encode()) == 16
    assert validate.ifname_error("vlän-für-gpu") is None  # 14 bytes


@pytest.mark.parametrize("name", _TABLE["rdma_name_valid"])
def test_rdma_name_valid(name):
    assert validate.rdma_name_error(name) is None
    assert validate.rdma_name(name, "soft_roce.name") == name


@pytest.mark.parametrize("case", load_cases("validate", "rdma_name_invalid"))
def test_rdma_name_invalid(case):
    assert case["message"] in validate.rdma_name_error(case["name"])
    err = _raises(validate.rdma_name, case["name"], "soft_roce.name")
    assert err.path == "soft_roce.name"
    assert case["message"] in str(err)


# ------------------------------------------- what ansible-core cannot check --

ROCE_SPEC = roce_argspec.ARGUMENT_SPEC
VLAN_SPEC = vlan_argspec.ARGUMENT_SPEC
# netem's shape (a list of rules, each with dict sections, one level deeper in config[]), kept here
# so the case does not follow the module's argspec as it changes
NESTED_SPEC = {
    "rules": {"type": "list", "elements": "dict", "aliases": ["rule"], "options": {
        "name": {"type": "str"},
        "delay": {"type": "dict", "options": {"time": {"type": "str", "required": True}}},
    }},
    "config": {"type": "list", "elements": "dict", "options": {
        "interface": {"type": "str"},
        "rules": {"type": "list", "elements": "dict", "options": {
            "delay": {"type": "dict", "options": {"time": {"type": "str"}, "jitter": {"type": "str"}}},
        }},
    }},
}


def _ansible_crashes(spec, params):
    """True when ansible-core's own argspec validation raises instead of reporting an error."""
    try:
        ArgumentSpecValidator(spec).validate(params)
    except TypeError:
        return True
    return False


@pytest.mark.parametrize("spec, params, field, message", [
    (ROCE_SPEC, {"pfc": [3]}, "pfc", "expected a dict (with delay, enabled), got a list"),
    (ROCE_SPEC, {"pfc": 3}, "pfc", "expected a dict (with delay, enabled), got the int 3"),
    (ROCE_SPEC, {"ets": [0, 1, 2]}, "ets", "expected a dict (with bandwidth, prio_tc, tsa), got a list"),
    (ROCE_SPEC, {"ecn": [True]}, "ecn", "expected a dict (with np, rp), got a list"),
    (ROCE_SPEC, {"cnp": 6}, "cnp", "expected a dict (with dscp, priority), got the int 6"),
    (ROCE_SPEC, {"rdma_cm": [106]}, "rdma_cm", "expected a dict (with mode, tos), got a list"),
    (ROCE_SPEC, {"soft_roce": True}, "soft_roce", "expected a dict (with name, state, type), got the boolean True"),
    (NESTED_SPEC, {"rules": [{"name": "a"}, {"delay": 5}]}, "rules[1].delay",
     "expected a dict (with time), got the int 5"),
    (NESTED_SPEC, {"rule": [{"delay": [5]}]}, "rule[0].delay", "expected a dict (with time), got a list"),
    (NESTED_SPEC, {"config": [{"interface": "eth0", "rules": [{"delay": 5.5}]}]}, "config[0].rules[0].delay",
     "expected a dict (with jitter, time), got the float 5.5"),
], ids=["pfc-list", "pfc-int", "ets-list", "ecn-list", "cnp-int", "rdma-cm-list", "soft-roce-bool",
        "rule-section-int", "alias-rule-section-list", "config-rule-section-float"])
def test_option_shape_error_where_ansible_crashes(spec, params, field, message):
    assert _ansible_crashes(spec, params), "ansible-core reports this one itself: the case shows nothing"
    assert validate.option_shape_error(spec, params) == (field, message)


@pytest.mark.parametrize("spec, params", [
    (ROCE_SPEC, {"pfc": {"enabled": [3]}, "dscp_map": {"26": 3}, "netdev": "eth0"}),
    (ROCE_SPEC, {"pfc": "enabled=3"}),  # Ansible's key=value text: Ansible's to parse
    (ROCE_SPEC, {"pfc": None, "ets": None}),
    (VLAN_SPEC, {"config": [{"parent": "eth0", "id": 10}], "state": "merged"}),
    (VLAN_SPEC, {"config": [10]}),  # Ansible reports an entry that is not a dict itself
    (VLAN_SPEC, {"config": 10}),
    (NESTED_SPEC, {"rules": [{"delay": {"time": "5ms"}}, "name=x"]}),
], ids=["dicts", "string-left-to-ansible", "unset", "vlan-entries", "vlan-entry-int", "vlan-config-int",
        "rules-fine"])
def test_option_shape_error_leaves_to_ansible_what_it_reports(spec, params):
    assert validate.option_shape_error(spec, params) is None
    assert not _ansible_crashes(spec, params)
