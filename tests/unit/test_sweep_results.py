# -*- coding: utf-8 -*-
"""The raw record (fsynced JSON lines, torn last line, resume) and the statistics (checked against textbook values)."""
import json
import math
import os

import pytest
import yaml

from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import plan, results, spec, stats

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def canon(tmp_path):
    with open(os.path.join(HERE, "topology", "input", "rail4x2_l3.yml")) as f:
        fabric = yaml.safe_load(f)
    return spec.normalize({"fabric": fabric, "workload": {"type": "allreduce"}, "output": str(tmp_path / "run"),
                           "axes": [{"param": "loss", "values": ["0.1%", "0.3%", "1%", "3%"], "links": "rail:0"}]})


def rep(jct, **kw):
    d = {"jct_s": jct, "step_p50_s": jct and jct / 100.0, "step_p99_s": jct and jct / 50.0, "metrics": {},
         "ok": True, "error": None}
    d.update(kw)
    return d


def test_every_append_is_flushed_and_fsynced(canon, tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def fsync(fd):
        synced.append(os.readlink("/proc/self/fd/%d" % fd))
        real(fd)
    monkeypatch.setattr(results.os, "fsync", fsync)
    store = results.Store(str(tmp_path / "run"))
    p = plan.points(canon)[0]
    store.append(results.make_record(canon, None, [rep(10.0)] * 5, kind="baseline"))
    store.append(results.make_record(canon, p, [rep(11.0)] * 3))
    assert synced.count(store.path) == 2 and str(tmp_path / "run") in synced  # the new file's directory too
    lines = open(store.path).read().splitlines()
    assert len(lines) == 2 and [json.loads(l)["kind"] for l in lines] == ["baseline", "point"]


def test_a_record_carries_the_point_repeats_facts_and_readback(canon, tmp_path):
    p = plan.points(canon)[2]
    facts = {"localhost": {"kernel": "6.1.0-28-amd64", "netem_features": ["seed", "slot"]}}
    readback = {k: {"rules": [{"loss": {"percent": "1%"}}]} for k in p["impairments"]}
    r = results.make_record(canon, p, [rep(12.0), rep(None, ok=False, error="timeout")], facts, readback, 100.0, 160.5)
    assert r["spec_hash"] == canon["spec_hash"] and r["key"] == p["key"] and r["values"] == {"loss": "1%"}
    assert r["host_facts"] == facts and r["readback"] == readback and r["impairments"] == p["impairments"]
    assert r["status"] == "partial" and r["duration_s"] == 60.5 and r["started"].endswith("Z")
    assert results.status_of([rep(None, ok=False)]) == "failed" and results.status_of([rep(1.0)]) == "ok"


def test_a_torn_last_line_is_ignored_and_cut_before_the_next_append(canon, tmp_path):
    store = results.Store(str(tmp_path / "run"))
    pts = plan.points(canon)
    store.append(results.make_record(canon, None, [rep(10.0)] * 5, kind="baseline"))
    store.append(results.make_record(canon, pts[0], [rep(11.0)] * 3))
    with open(store.path, "a") as f:
        f.write('{"kind": "point", "key": "p-torn", "rep')  # the controller died mid-write
    assert [r["kind"] for r in store.records()] == ["baseline", "point"]
    store.append(results.make_record(canon, pts[1], [rep(12.0)] * 3))
    recs = store.records()
    assert [r["key"] for r in recs] == ["baseline", pts[0]["key"], pts[1]["key"]]
    assert "p-torn" not in open(store.path).read()


def test_a_bad_line_in_the_middle_is_an_error(canon, tmp_path):
    store = results.Store(str(tmp_path / "run"))
    store.append(results.make_record(canon, None, [rep(10.0)] * 5, kind="baseline"))
    with open(store.path, "a") as f:
        f.write("garbage\n")
    store.append(results.make_record(canon, plan.points(canon)[0], [rep(11.0)] * 3))
    with pytest.raises(ValueError, match="line 2 is not a record"):
        store.records()


def drive(canon, store, kill_after=None):
    """A minimal sweep loop, as the role runs it: baseline first, skip finished points, append each one."""
    done = store.finished(canon["spec_hash"])
    ran = []
    if "baseline" not in done:
        store.append(results.make_record(canon, None, [rep(10.0 + 0.1 * i) for i in range(5)], kind="baseline"))
        ran.append("baseline")
    for p in plan.points(canon):
        if p["key"] in done:
            continue
        if kill_after is not None and len(ran) >= kill_after:
            raise KeyboardInterrupt
        store.append(results.make_record(canon, p, [rep(10.0 * (1 + p["numeric"]["loss"]))] * 3))
        ran.append(p["key"])
    return ran


def test_resume_skips_finished_points_and_completes_the_rest(canon, tmp_path):
    store = results.Store(str(tmp_path / "run"))
    with pytest.raises(KeyboardInterrupt):
        drive(canon, store, kill_after=3)
    assert len(store.finished(canon["spec_hash"])) == 3  # baseline and two points
    ran = drive(canon, store)
    assert len(ran) == 2 and "baseline" not in ran
    keys = [r["key"] for r in store.records(canon["spec_hash"])]
    assert sorted(keys) == sorted(["baseline"] + [p["key"] for p in plan.points(canon)]) and len(set(keys)) == 5
    assert drive(canon, store) == []
    # another spec (more repeats) shares nothing with this one
    other = dict(canon, repeats=4)
    other["spec_hash"] = spec.spec_hash(other)
    assert store.finished(other["spec_hash"]) == set()


def test_failed_points_can_be_left_for_a_retry(canon, tmp_path):
    store = results.Store(str(tmp_path / "run"))
    p = plan.points(canon)[0]
    store.append(results.make_record(canon, p, [rep(None, ok=False, error="hung")]))
    assert store.finished(canon["spec_hash"]) == {p["key"]}
    assert store.finished(canon["spec_hash"], include_failed=False) == set()


def test_spec_json_round_trips(canon, tmp_path):
    store = results.Store(str(tmp_path / "run"))
    store.write_spec(canon)
    assert store.read_spec() == json.loads(json.dumps(canon))


# -------------------------------------------------------------- statistics --

# Two-sided 95% critical values of Student's t, from a printed table (e.g. Montgomery & Runger, Table V).
T_TABLE = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 8: 2.306, 10: 2.228, 20: 2.086, 30: 2.042, 120: 1.980}


@pytest.mark.parametrize("df, t", sorted(T_TABLE.items()))
def test_t_quantile_matches_the_table(df, t):
    assert stats.t_quantile(0.975, df) == pytest.approx(t, abs=6e-4)


def test_t_quantile_between_integers_and_at_infinity():
    assert T_TABLE[4] > stats.t_quantile(0.975, 4.5) > T_TABLE[5]
    assert stats.t_quantile(0.975, float("inf")) == pytest.approx(1.95996, abs=1e-4)


def test_ratio_ci_hand_computed_equal_variances():
    """Logs of both samples spread -0.1, 0, +0.1 about their means: s^2 = 0.01, n = 3 each, so Welch's df is
    exactly 4; se = sqrt(0.01/3 + 0.01/3); CI = 1.2 * exp(+-2.776 * se) with t from the table."""
    base = [10.0, 10.0 * math.exp(0.1), 10.0 * math.exp(-0.1)]
    point = [12.0, 12.0 * math.exp(0.1), 12.0 * math.exp(-0.1)]
    r = stats.ratio_ci(point, base)
    se = math.sqrt(0.01 / 3 + 0.01 / 3)
    assert r["ratio"] == pytest.approx(1.2)
    assert r["df"] == pytest.approx(4.0)
    assert r["low"] == pytest.approx(1.2 * math.exp(-2.776 * se), rel=2e-4)
    assert r["high"] == pytest.approx(1.2 * math.exp(2.776 * se), rel=2e-4)
    assert (round(r["low"], 3), round(r["high"], 3)) == (0.957, 1.505)


def test_ratio_ci_hand_computed_unequal():
    """n_x = 2 with log spread +-0.2 (s^2 = 0.08), n_b = 5 with zero spread: all the variance is the point's, so
    df = n_x - 1 = 1 and the half-width is 12.706 * sqrt(0.08 / 2)."""
    base = [10.0] * 5
    point = [15.0 * math.exp(0.2), 15.0 * math.exp(-0.2)]
    r = stats.ratio_ci(point, base)
    assert r["ratio"] == pytest.approx(1.5) and r["df"] == pytest.approx(1.0)
    assert r["high"] == pytest.approx(1.5 * math.exp(12.706 * math.sqrt(0.04)), rel=2e-4)


def test_ratio_ci_against_scipy_when_installed():
    sst = pytest.importorskip("scipy.stats")
    base = [10.2, 9.8, 10.5, 10.1, 9.9]
    point = [13.0, 14.1, 12.2]
    r = stats.ratio_ci(point, base)
    lx, lb = [math.log(x) for x in point], [math.log(b) for b in base]
    res = sst.ttest_ind(lx, lb, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert r["low"] == pytest.approx(math.exp(ci.low), rel=1e-6)
    assert r["high"] == pytest.approx(math.exp(ci.high), rel=1e-6)


def test_ratio_ci_without_enough_repeats():
    assert stats.ratio_ci([12.0, 12.5], [10.0])["low"] is None  # no baseline variance: no interval
    assert stats.ratio_ci([12.0], [10.0])["ratio"] == pytest.approx(1.2)
    assert stats.ratio_ci([], [10.0])["ratio"] is None


def test_a_point_with_one_repeat_gets_the_pooled_interval():
    """The textbook interval for one new observation against a sample: se = s_b sqrt(1 + 1/n_b), df = n_b - 1."""
    base = [10.0, 10.4, 9.7]
    r = stats.ratio_ci([12.0], base)
    lb = [math.log(b) for b in base]
    mean = sum(lb) / 3
    s_b = math.sqrt(sum((x - mean) ** 2 for x in lb) / 2)
    t_975_df2 = 4.303  # Student t table, 0.975 quantile, 2 degrees of freedom
    d, se = math.log(12.0) - mean, s_b * math.sqrt(1 + 1 / 3.0)
    assert r["method"] == "pooled" and r["df"] == 2
    assert r["ratio"] == pytest.approx(math.exp(d))
    assert r["low"] == pytest.approx(math.exp(d - t_975_df2 * se), rel=1e-3)
    assert r["high"] == pytest.approx(math.exp(d + t_975_df2 * se), rel=1e-3)
    assert stats.ratio_ci([12.0, 12.4], base)["method"] == "welch"
    same = stats.ratio_ci([12.0, 12.0], [10.0, 10.0])
    assert same["low"] == same["high"] == pytest.approx(1.2)


def test_failed_repeats_are_left_out():
    rec = {"repeats": [rep(12.0), rep(None, ok=False), rep(30.0, ok=False), rep(12.5)]}
    assert stats.jcts(rec) == [12.0, 12.5]


@pytest.mark.parametrize("collective, factor", [("all_reduce", 2 * 7 / 8.0), ("allreduce", 2 * 7 / 8.0),
                                                ("all_gather", 7 / 8.0), ("reduce_scatter", 7 / 8.0),
                                                ("alltoall", 7 / 8.0), ("broadcast", 1.0), ("reduce", 1.0)])
def test_busbw_factors_are_nccl_tests(collective, factor):
    assert stats.busbw(10.0, 8, collective) == pytest.approx(10.0 * factor)


def test_repeat_busbw_from_metrics():
    assert stats.repeat_busbw({"metrics": {"busbw_gbps": 3.0}}) == 3.0
    assert stats.repeat_busbw({"metrics": {"algbw_gbps": 4.0, "ranks": 4, "collective": "all_reduce"}}) == 6.0
    assert stats.repeat_busbw({"metrics": {"bytes": 2e9, "time_s": 1.0, "ranks": 2}}) == pytest.approx(2.0)
    assert stats.repeat_busbw({"metrics": {}}) is None


def test_a_workload_module_result_is_a_repeat():
    """The workload module returns its figures at the top level, and failed: true when it fails."""
    res = {"type": "allreduce", "jct_s": 12.0, "step_p50_s": 0.2, "step_p99_s": 0.3, "ranks": 4,
           "algbw_gbps": 2.0, "busbw_gbps": 3.0, "changed": False}
    assert stats.repeat_busbw(res) == 3.0
    assert stats.repeat_busbw(dict(res, busbw_gbps=None)) == 3.0  # 2.0 x 2(4-1)/4
    assert stats.jcts({"repeats": [res, {"failed": True, "msg": "timeout"}]}) == [12.0]
    assert results.status_of([res, {"failed": True}]) == "partial"
