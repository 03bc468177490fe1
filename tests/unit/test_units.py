# -*- coding: utf-8 -*-
import pytest

from casetable import load_cases
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import units


def _parser(kind):
    return getattr(units, "parse_" + kind)


@pytest.mark.parametrize("case", load_cases("units", "parse"))
def test_parse(case):
    parse = _parser(case["fn"])
    if "error" in case:
        with pytest.raises(units.UnitError) as err:
            parse(case["value"])
        assert case["error"] in str(err.value)
    else:
        assert parse(case["value"]) == case["expect"]


@pytest.mark.parametrize("case", load_cases("units", "format"))
def test_format_round_trip(case):
    parse, fmt = _parser(case["kind"]), getattr(units, "format_" + case["kind"])
    value = parse(case["value"])
    assert fmt(value) == case["formatted"]
    assert parse(case["formatted"]) == value
