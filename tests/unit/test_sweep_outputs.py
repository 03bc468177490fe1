# -*- coding: utf-8 -*-
"""summary.csv, summary.json and junit.xml parse back (stdlib csv, json, xml); a breached threshold fails its testcase."""
import csv
import json
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import demo, outputs, plan, results, stats


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = {}
    for kind in demo.KINDS:
        d = str(tmp_path_factory.mktemp(kind))
        spec = demo.synthetic_run(d, kind, fail_index=2)
        out[kind] = (d, spec, outputs.write_all(d))
    return out


def test_summary_json_parses_back_and_matches_the_records(runs):
    d, spec, summary = runs["one_axis"]
    with open(os.path.join(d, "summary.json")) as f:
        data = json.load(f)
    assert data["spec_hash"] == spec["spec_hash"] and data["method"] == stats.METHOD
    assert [p["key"] for p in data["points"]] == [p["key"] for p in plan.points(spec)]
    recs = results.Store(d).records()
    base = [r for r in recs if r["kind"] == "baseline"][0]
    for p, rec in zip(data["points"], recs[1:]):
        want = stats.ratio_ci(stats.jcts(rec), stats.jcts(base))
        assert p["jct_ratio"]["ratio"] == pytest.approx(want["ratio"]) if want["ratio"] else p["verdict"] == "error"
    assert data["counts"] == {"planned": 6, "recorded": 6, "passed": 4, "failed": 1, "errors": 1}


def test_csv_has_a_row_per_point_and_the_baseline(runs):
    d, spec, summary = runs["two_axes"]
    with open(os.path.join(d, "summary.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 13 and rows[0]["key"] == "baseline" and rows[0]["jct_ratio"] == "1"
    assert [r["loss"] for r in rows[1:4]] == ["0%", "0%", "0%"] and [r["delay"] for r in rows[1:4]] == \
        ["0ms", "1ms", "5ms"]
    failed = [r for r in rows if r["verdict"] == "error"]
    assert len(failed) == 1 and failed[0]["jct_ratio"] == "" and failed[0]["index"] == "2"
    for r, p in zip(rows[1:], summary["points"]):
        if p["jct_ratio"]["ratio"] is not None:
            assert float(r["jct_ratio"]) == pytest.approx(p["jct_ratio"]["ratio"], rel=1e-5)
            assert float(r["jct_ratio_low"]) < float(r["jct_ratio"]) < float(r["jct_ratio_high"])


def test_junit_one_testcase_per_point_and_a_breach_fails(runs):
    d, spec, summary = runs["one_axis"]
    root = ET.parse(os.path.join(d, "junit.xml")).getroot()
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases][0] == "baseline" and len(cases) == 1 + 6
    assert suite.get("tests") == "7" and suite.get("failures") == "1" and suite.get("errors") == "1"
    failing = [c for c in cases if c.find("failure") is not None]
    assert len(failing) == 1 and failing[0].get("name") == "point 5: loss=3%"
    msg = failing[0].find("failure").get("message")
    r = summary["points"][5]["jct_ratio"]
    assert "max_jct_ratio 1.5 breached: JCT ratio %.3gx (95%% CI %.3g-%.3g)" % (r["ratio"], r["low"], r["high"]) in msg
    assert "min_busbw_ratio 0.7 breached: busbw ratio" in msg
    errored = [c for c in cases if c.find("error") is not None]
    assert [c.get("name") for c in errored] == ["point 2: loss=0.0979%"]
    assert "timed out" in errored[0].find("error").get("message")
    props = dict((p.get("name"), p.get("value")) for p in suite.find("properties"))
    assert props["spec_hash"] == spec["spec_hash"] and props["headline"] == summary["headline"]


def test_thresholds_decide_pass_and_fail(runs):
    d, spec, _summary = runs["one_axis"]
    recs = results.Store(d).records()
    strict = dict(spec, thresholds={"max_jct_ratio": 1.05})
    loose = dict(spec, thresholds={"max_jct_ratio": 5.0, "max_step_p99_ratio": 5.0})
    s1 = outputs.summarize(strict, recs)
    s2 = outputs.summarize(loose, recs)
    assert [p["verdict"] for p in s1["points"]] == ["pass", "pass", "error", "fail", "fail", "fail"]
    assert [p["verdict"] for p in s2["points"]] == ["pass", "pass", "error", "pass", "pass", "pass"]
    assert s1["points"][5]["breaches"][0]["significant"] is True
    root = ET.fromstring(outputs.junit_text(s2))
    assert root.get("failures") == "0" and root.get("errors") == "1"


def test_no_baseline_is_an_error_in_junit(tmp_path, runs):
    d, spec, _summary = runs["one_axis"]
    recs = [r for r in results.Store(d).records() if r["kind"] == "point"]
    s = outputs.summarize(spec, recs)
    assert all(p["verdict"] in ("no_baseline", "error") for p in s["points"])
    root = ET.fromstring(outputs.junit_text(s))
    assert root.find("testsuite").find("testcase").find("error").get("message") == "no baseline recorded"
    assert s["headline"].startswith("No baseline recorded yet")


def test_headlines(runs):
    assert runs["one_axis"][2]["headline"].startswith("JCT rises to 1.8\u00d7 at 3% loss on rail 0; the 1.5\u00d7 "
                                                      "threshold is crossed between 0.959% and 3%")
    two = runs["two_axes"][2]["headline"]
    assert "loss on rail 0, 5ms delay on the uplinks" in two
    b = runs["bisect"][2]
    assert b["bisect"]["status"] == "converged"
    lo, hi = sorted((b["bisect"]["good"], b["bisect"]["bad"]))
    assert "the 1.2\u00d7 threshold is crossed between %.3g%% and %.3g%% loss on rail 0" % (lo, hi) in b["headline"]


def test_a_killed_run_summarises_what_it_has(tmp_path):
    spec = demo.synthetic_run(str(tmp_path), "two_axes", stop_after=5)
    s = outputs.write_all(str(tmp_path))
    assert s["counts"]["recorded"] == 5 and s["counts"]["planned"] == 12


def test_progress_line_and_eta():
    p = {"labels": {"loss": "1%", "delay": "5ms"}}
    line = outputs.progress_line(p, 3, 12, {"ratio": 1.4213, "low": 1.31, "high": 1.552}, 250)
    assert line == "[3/12] loss=1% delay=5ms  JCT 1.42x (95% CI 1.31-1.55)  ETA 4m10s"
    assert outputs.progress_line(p, 1, 2, None, None).endswith("JCT n/a  ETA ?")
    assert outputs.progress_line({"labels": {}}, 0, 9, 1.0, 3700).startswith("[0/9] baseline  JCT 1x")
    assert outputs.eta([30.0, 50.0], 3) == 120.0 and outputs.eta([], 3) is None


def test_report_html_is_self_contained_and_readable(runs):
    pytest.importorskip("matplotlib")
    from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import report
    d, spec, summary = runs["two_axes"]
    path = report.write(d, summary=summary)
    text = open(path).read()
    assert text.count('src="data:image/png;base64,') == 4  # loss, delay, heatmap, fabric
    assert "http://" not in text and "https://" not in text
    assert "Welch" in text and "point 2" not in text  # the table numbers points without the junit prefix
    assert "workload timed out after 600 s" in text
