# -*- coding: utf-8 -*-
"""The sweep spec: good specs and what they normalise to, bad ones paired with the field and message (sweep_cases/spec.yml)."""
import copy
import os

import pytest
import yaml

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import spec

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "sweep_cases", "spec.yml")) as f:
    CASES = yaml.safe_load(f)


def topology(name):
    with open(os.path.join(HERE, "topology", "input", name + ".yml")) as f:
        return yaml.safe_load(f)


@pytest.fixture
def prepare(tmp_path, monkeypatch):
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: answer for it as an unprivileged user would be answered
        real = os.access
        monkeypatch.setattr(spec.os, "access", lambda p, mode: False if str(p) == str(readonly) else real(p, mode))
    afile = tmp_path / "afile"
    afile.write_text("x")

    def run(sweep):
        sweep = copy.deepcopy(sweep)
        if isinstance(sweep.get("fabric"), str):
            sweep["fabric"] = topology(sweep["fabric"])
        out = sweep.get("output")
        if out is not None:
            sweep["output"] = (out.replace("TMP", str(tmp_path / "run")).replace("READONLY", str(readonly))
                               .replace("AFILE", str(afile)))
        return sweep
    yield run
    readonly.chmod(0o755)


@pytest.mark.parametrize("case", CASES["good"], ids=[c["id"] for c in CASES["good"]])
def test_good_spec(case, prepare):
    canon = spec.normalize(prepare(case["sweep"]))
    expect = case["expect"]
    for key, want in expect.items():
        if key == "axes":
            assert len(canon["axes"]) == len(want)
            for ax, w in zip(canon["axes"], want):
                for k, v in w.items():
                    got = len(ax["ends"]) if k == "ends" else ax[k]
                    assert got == v, (ax["name"], k, got)
        elif key == "order":
            for k, v in want.items():
                assert canon["order"][k] == pytest.approx(v) if isinstance(v, float) else canon["order"][k] == v, k
        else:
            assert canon[key] == want, key
    assert canon["spec_hash"].startswith("sha256:")


@pytest.mark.parametrize("case", CASES["errors"], ids=[c["id"] for c in CASES["errors"]])
def test_bad_spec_names_its_field(case, prepare):
    with pytest.raises(errors.ValidationError) as exc:
        spec.normalize(prepare(case["sweep"]))
    assert exc.value.path == case["field"], str(exc.value)
    assert case["message"] in exc.value.message, str(exc.value)


def test_output_not_writable_as_root_via_a_file_parent(tmp_path):
    """Root may write anywhere, but not under a regular file; the unwritable case as non-root is in the table."""
    (tmp_path / "f").write_text("")
    sweep = {"fabric": topology("rail4x2_l3"), "workload": {"type": "allreduce"},
             "axes": [{"param": "loss", "values": ["1%"]}], "output": str(tmp_path / "f" / "run")}
    with pytest.raises(errors.ValidationError) as exc:
        spec.normalize(sweep)
    assert exc.value.path == "output"


def test_spec_hash_ignores_name_output_thresholds_and_ttl(tmp_path):
    base = {"fabric": topology("rail4x2_l3"), "workload": {"type": "allreduce"},
            "axes": [{"param": "loss", "values": ["1%", "2%"]}], "output": str(tmp_path / "a")}
    other = dict(base, name="renamed", output=str(tmp_path / "b"), thresholds={"max_jct_ratio": 2}, ttl="20m")
    assert spec.normalize(base)["spec_hash"] == spec.normalize(other)["spec_hash"]
    changed = dict(base, repeats=4)
    assert spec.normalize(base)["spec_hash"] != spec.normalize(changed)["spec_hash"]


def test_a_compiled_plan_is_taken_as_it_is(tmp_path):
    from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as fabric_compile
    plan = fabric_compile.compile_plan(topology("rail4x2_l3"))
    a = spec.normalize({"fabric": plan, "workload": {"type": "allreduce"},
                        "axes": [{"param": "loss", "values": ["1%"], "links": "rail:0"}], "output": str(tmp_path)})
    b = spec.normalize({"fabric": topology("rail4x2_l3"), "workload": {"type": "allreduce"},
                        "axes": [{"param": "loss", "values": ["1%"], "links": "rail:0"}], "output": str(tmp_path)})
    assert a["spec_hash"] == b["spec_hash"]


@pytest.mark.parametrize("text, seconds", [(30, 30.0), ("500ms", 0.5), ("90s", 90.0), ("10m", 600.0),
                                           ("1h30m", 5400.0), ("1.5h", 5400.0)])
def test_durations(text, seconds):
    assert spec.duration(text, "ttl") == seconds


@pytest.mark.parametrize("kind, text, base, back", [
    ("time", "1.5ms", 1.5e6, "1.5ms"), ("time", "250us", 2.5e5, "250us"), ("time", "2s", 2e9, "2s"),
    ("percent", "0.1%", 0.1, "0.1%"), ("percent", 3, 3.0, "3%"),
    ("rate", "10gbit", 1e10, "10gbit"), ("rate", "1500mbit", 1.5e9, "1.5gbit"), ("rate", "100kbps", 8e5, "800kbit"),
])
def test_values_parse_and_format_back(kind, text, base, back):
    assert spec.parse_base(kind, text, "x") == pytest.approx(base)
    assert spec.format_value(kind, base) == back
