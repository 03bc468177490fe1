# -*- coding: utf-8 -*-
"""The sweep action plugin's steps, as the role calls them: plan, record, next, report, and resume.

The workload results are made up (a slowdown that grows with loss); what is
checked is the glue: what plan leaves to run, that records land in
records.jsonl, that a re-plan skips what is recorded, that next drives a
bisect to its end, and that report writes the outputs and fails on a breach.
"""
import json
import os
import time

import pytest
from ansible.plugins.action import ActionBase

from ansible_collections.aifabric.emulation.plugins.action import sweep as sweep_action
from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import demo


class FakeTask:
    def __init__(self, args):
        self.args = args


@pytest.fixture(autouse=True)
def no_action_base_run(monkeypatch):
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})


def step(name, spec, **args):
    action = sweep_action.ActionModule.__new__(sweep_action.ActionModule)
    action._task = FakeTask(dict(args, step=name, spec=spec))
    return action.run(task_vars={})


def workload_result(factor, failed=False):
    if failed:
        return {"failed": True, "msg": "mpirun exited 1"}
    return {"jct_s": 10.0 * factor, "step_p50_s": 0.1 * factor, "step_p99_s": 0.12 * factor, "ranks": 4,
            "bytes": 4 << 20, "algbw_gbps": 1.0 / factor, "busbw_gbps": 1.5 / factor, "steps": 20}


def run_points(spec, pending, limit=None):
    for p in pending[:limit]:
        factor = demo.slowdown(p["numeric"])
        res = step("record", spec, point=p, results=[workload_result(factor * f) for f in (0.99, 1.0, 1.01)])
        assert not res.get("failed"), res
        assert res["progress"].startswith("[%d/" % (p["index"] + 1)), res["progress"]


def test_plan_record_resume_report(tmp_path):
    spec = demo.sweep_of("one_axis", str(tmp_path / "run"))
    planned = step("plan", spec, hosts=["gpu1"])
    assert not planned.get("failed"), planned
    assert planned["baseline_left"] == 5 and len(planned["pending"]) == planned["total"] == 6
    first = planned["pending"][0]
    config = first["config_by_host"]["gpu1"]
    assert config and all(c["netns"].startswith("demo-") or c["netns"] for c in config)
    assert planned["restore_by_host"]["gpu1"] and all("rules" not in c for c in planned["restore_by_host"]["gpu1"])

    base = step("record", spec, point=None, results=[workload_result(f) for f in (0.98, 1.0, 1.0, 1.01, 1.02)])
    assert base["progress"].startswith("baseline: 5 repeats")
    run_points(spec, planned["pending"], limit=3)

    resumed = step("plan", spec, hosts=["gpu1"])  # a killed sweep, re-run with the same spec
    assert resumed["baseline_left"] == 0 and resumed["finished"] == 3
    assert [p["key"] for p in resumed["pending"]] == [p["key"] for p in planned["pending"][3:]]
    run_points(spec, resumed["pending"])

    records = [json.loads(line) for line in (tmp_path / "run" / "records.jsonl").read_text().splitlines()]
    assert [r["kind"] for r in records] == ["baseline"] + ["point"] * 6

    report = step("report", spec)  # loss 3% slows the made-up job past max_jct_ratio 1.5
    assert report["failed"] is True and "thresholds breached" in report["msg"], report
    for name in ("summary.csv", "summary.json", "junit.xml", "report.html"):
        assert os.path.getsize(str(tmp_path / "run" / name)) > 0
    assert step("report", spec, fail_on_breach=False).get("failed") is not True


def test_bisect_is_driven_to_its_end_by_next(tmp_path):
    spec = demo.sweep_of("bisect", str(tmp_path / "run"))
    planned = step("plan", spec)
    assert planned["bisect"] and planned["pending"] == []
    step("record", spec, point=None, results=[workload_result(f) for f in (0.99, 1.0, 1.01, 1.0, 1.0)])
    probes = 0
    while True:
        nxt = step("next", spec)
        if nxt["done"]:
            break
        probes += 1
        assert probes <= planned["total"]
        p = nxt["point"]
        factor = demo.slowdown(p["numeric"])
        step("record", spec, point=p, results=[workload_result(factor * f) for f in (0.995, 1.0, 1.005)])
    assert 1 < probes <= planned["total"]


def test_bad_spec_fails_naming_the_field_before_anything(tmp_path):
    spec = demo.sweep_of("one_axis", str(tmp_path / "run"))
    spec["axes"][0]["param"] = "lossiness"
    res = step("plan", spec)
    assert res["failed"] is True and res["msg"].startswith("axes[0].param"), res
    assert not (tmp_path / "run" / "records.jsonl").exists()
    assert step("dance", spec)["msg"].startswith("step:")


def test_a_point_that_outlasts_its_ttl_is_recorded_as_failed_saying_why(tmp_path):
    spec = dict(demo.sweep_of("one_axis", str(tmp_path / "run")), ttl="30s")
    planned = step("plan", spec, hosts=["gpu1"])
    step("record", spec, point=None, results=[workload_result(1.0)] * 5)
    on_time, late = planned["pending"][:2]
    ok = step("record", spec, point=on_time, results=[workload_result(1.0)] * 3, started=time.time() - 29)
    assert ok["status"] == "ok" and "warnings" not in ok, ok
    res = step("record", spec, point=late, results=[workload_result(1.0)] * 3, started=time.time() - 31)
    assert res["status"] == "failed" and "longer than the ttl of 30 s" in res["warnings"][0], res
    record = [json.loads(line) for line in (tmp_path / "run" / "records.jsonl").read_text().splitlines()][-1]
    assert record["status"] == "failed" and all(not r["ok"] and "raise ttl" in r["error"] for r in record["repeats"])
