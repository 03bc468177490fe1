# -*- coding: utf-8 -*-
"""roce model.normalize: the lossless_prio3 profile, explicit overrides and validation errors."""
import copy

import pytest

from casetable import load_cases
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import model
from ansible_collections.aifabric.emulation.plugins.module_utils.roce.argspec import ARGUMENT_SPEC


def module_shaped(params):
    """params as AnsibleModule hands them over: every option present, unset ones None or their default."""
    out = dict((k, o.get("default")) for k, o in ARGUMENT_SPEC.items())
    for key, value in params.items():
        sub = ARGUMENT_SPEC[key].get("options")
        if sub and isinstance(value, dict):
            value = dict(dict((k, o.get("default")) for k, o in sub.items()), **value)
        out[key] = value
    return out


@pytest.mark.parametrize("case", load_cases("roce_model", "valid"))
def test_normalize_valid(case):
    assert model.normalize(case["params"]) == case["expect"]


@pytest.mark.parametrize("case", load_cases("roce_model", "valid"))
def test_normalize_valid_module_shaped(case):
    assert model.normalize(module_shaped(case["params"])) == case["expect"]


@pytest.mark.parametrize("case", load_cases("roce_model", "invalid"))
def test_normalize_invalid(case):
    with pytest.raises(model.ValidationError) as err:
        model.normalize(case["params"])
    assert err.value.path == case["path"]
    assert case["message"] in str(err.value)
    assert str(err.value).startswith(case["path"] + ": ")


@pytest.mark.parametrize("case", load_cases("roce_model", "invalid"))
def test_normalize_invalid_module_shaped(case):
    with pytest.raises(model.ValidationError) as err:
        model.normalize(module_shaped(case["params"]))
    assert err.value.path == case["path"]


def test_profile_is_not_modified():
    before = copy.deepcopy(model.PROFILES)
    want = model.normalize({"profile": "lossless_prio3"})
    want["pfc"]["enabled"].append(4)
    want["dscp_map"][10] = 1
    want["ets"]["bandwidth"][0] = 99
    model.normalize({"profile": "lossless_prio3", "pfc": {"enabled": [4]}})
    assert model.PROFILES == before


def test_params_are_not_modified():
    params = {"pfc": {"enabled": [4, 3]}, "dscp_map": {"26": 3}, "ecn": {"np": [3, 3], "rp": [3]}}
    snapshot = copy.deepcopy(params)
    model.normalize(params)
    assert params == snapshot


def test_profile_validates():
    """The profile itself passes its own validation (normalize of the expanded dict is a fixed point)."""
    want = model.normalize({"profile": "lossless_prio3"})
    assert model.normalize(want) == want


def test_profiles_match_argspec_choices():
    assert sorted(model.PROFILES) == sorted(ARGUMENT_SPEC["profile"]["choices"])


def test_tsa_names_round_trip():
    assert model.TSA == {"strict": 0, "cbs": 1, "ets": 2, "vendor": 255}
    assert dict((v, k) for k, v in model.TSA.items()) == model.TSA_NAMES
