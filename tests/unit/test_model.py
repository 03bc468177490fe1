# -*- coding: utf-8 -*-
import pytest

from casetable import FAKE_DIST, load_cases
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model


def _plain(value):
    """Tuples as lists, so YAML expectations compare equal."""
    return list(value) if isinstance(value, tuple) else value


def _normalize(case):
    if "state" in case:
        return model.normalize_rules(case["rules"], case.get("kernel"), state=case["state"])
    return model.normalize_rules(case["rules"], case.get("kernel"))


@pytest.mark.parametrize("case", load_cases("rules", "valid"))
def test_normalize_valid(case):
    got = _normalize(case)
    assert len(got) == len(case["expect"])
    for rule, want in zip(got, case["expect"]):
        netem = model.empty_netem()
        netem.update(want["netem"])
        assert dict((k, _plain(v)) for k, v in rule["netem"].items()) == netem
        for key in ("name", "match", "auto_limit"):
            if key in want:
                assert rule[key] == want[key], key
        for key in ("delay_dist", "slot_dist"):
            assert model.dist_id(rule[key]) == want.get(key)
            if want.get(key):
                assert rule[key]["table"] == FAKE_DIST[want[key]]


@pytest.mark.parametrize("case", load_cases("rules", "invalid"))
def test_normalize_invalid(case):
    with pytest.raises(model.ValidationError) as err:
        _normalize(case)
    assert err.value.path == case["path"]
    assert case["message"] in str(err.value)
    assert str(err.value).startswith(case["path"] + ": ")


def test_custom_distribution_file(tmp_path):
    dist = tmp_path / "mine.dist"
    dist.write_text("# comment\n1 -2 0x10\n\n-32768 32767\n")
    rule = model.normalize_rules([{"delay": {"time": "1ms", "jitter": "1ms", "distribution": "custom",
                                             "distribution_file": str(dist)}}])[0]
    assert rule["delay_dist"]["table"] == [1, -2, 16, -32768, 32767]
    assert rule["delay_dist"]["file"] == str(dist)
    assert rule["delay_dist"]["id"].startswith("custom:")
    assert model.rule_to_user(rule)["delay"]["distribution"] == "custom"


@pytest.mark.parametrize("text, error", [("", "the table is empty"), ("40000", "does not fit"), ("1 x", "invalid")])
def test_parse_dist_table_errors(text, error):
    with pytest.raises(ValueError, match=error):
        model.parse_dist_table(text)


def test_at_most_15_matched_rules():
    rules = [{"name": "r%d" % i, "match": {"dscp": [i]}} for i in range(16)]
    with pytest.raises(model.ValidationError) as err:
        model.normalize_rules(rules)
    assert err.value.path == "rules"
    assert len(model.normalize_rules(rules[:15])) == 15


def test_same_rule_ignores_unset_seed():
    unseeded = model.normalize_rules([{"delay": {"time": "1ms"}}])[0]
    seeded = model.normalize_rules([{"delay": {"time": "1ms"}, "seed": 7}])[0]
    assert model.same_rule(unseeded, seeded)  # the kernel always reports some seed
    assert not model.same_rule(seeded, unseeded)


def test_rule_to_user_round_trip():
    spec = {"name": "peer", "match": {"dst": ["10.0.0.0/24"]}, "delay": {"time": "5ms", "jitter": "1ms",
            "distribution": "pareto", "correlation": "25%"}, "loss": {"model": "gemodel", "p": "1%", "r": "30%"},
            "reorder": {"percent": "10%", "gap": 3}, "rate": {"rate": "25gbit"}, "limit": 5000, "seed": 9}
    rule = model.normalize_rules([spec])[0]
    again = model.normalize_rules([model.rule_to_user(rule)])[0]
    assert model.same_rule(rule, again)
    assert again["netem"] == rule["netem"]


@pytest.mark.parametrize("section, shorthand, full", [
    ("delay", "5ms", {"time": "5ms"}), ("loss", "1%", {"percent": "1%"}), ("duplicate", "2%", {"percent": "2%"}),
    ("corrupt", "0.1%", {"percent": "0.1%"}), ("rate", "10gbit", {"rate": "10gbit"}),
])
def test_shorthand_is_the_same_rule_as_the_dict(section, shorthand, full):
    """The model expands what the action plugin expands: same canonical rule either way."""
    assert model.SHORTHANDS[section] == list(full)[0]
    assert model.normalize_rules([{section: shorthand}]) == model.normalize_rules([{section: full}])


def test_shorthand_reorder_needs_the_same_delay_as_the_dict():
    base = {"delay": "5ms"}
    assert model.normalize_rules([dict(base, reorder="25%")]) == \
        model.normalize_rules([dict(base, reorder={"percent": "25%"})])


def test_module_shaped_rule_with_every_option_unset():
    """The module hands over every option, unset ones None (argspec defaults filled in)."""
    rule = {"name": "default", "match": None, "delay": "1ms", "loss": None, "duplicate": None, "corrupt": None,
            "reorder": None, "rate": None, "slot": None, "ecn": False, "limit": None, "seed": None}
    got = model.normalize_rules([rule], state="merged")
    assert got[0]["netem"]["latency"] == 1000000 and got[0]["auto_limit"] is True
