# -*- coding: utf-8 -*-
"""The sweep planner: grid and random orders are deterministic; bisect finds a threshold on a noisy synthetic curve."""
import itertools
import math
import os
import random

import pytest
import yaml

from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import plan, results, spec

HERE = os.path.dirname(os.path.abspath(__file__))


def topology(name="rail4x2_l3"):
    with open(os.path.join(HERE, "topology", "input", name + ".yml")) as f:
        return yaml.safe_load(f)


def sweep(tmp_path, axes, order=None, **kw):
    s = {"fabric": topology(), "workload": {"type": "allreduce"}, "axes": axes, "output": str(tmp_path)}
    if order is not None:
        s["order"] = order
    s.update(kw)
    return spec.normalize(s)


GRID_AXES = [{"param": "loss", "values": ["0.1%", "1%", "3%"], "links": "rail:0"},
             {"param": "delay", "values": ["1ms", "5ms"], "links": "uplinks", "direction": "up"}]


def test_grid_is_the_product_in_axis_order(tmp_path):
    s = sweep(tmp_path, GRID_AXES)
    pts = plan.points(s)
    assert [p["index"] for p in pts] == list(range(6))
    assert [(p["values"]["loss"], p["values"]["delay"]) for p in pts] == \
        list(itertools.product(["0.1%", "1%", "3%"], ["1ms", "5ms"]))
    assert len(set(p["key"] for p in pts)) == 6
    assert [p["key"] for p in plan.points(s)] == [p["key"] for p in pts]
    assert plan.total_points(s) == 6


def test_a_point_impairs_every_selected_end_with_its_values(tmp_path):
    s = sweep(tmp_path, GRID_AXES)
    p = plan.points(s)[3]  # loss 1%, delay 5ms
    rail0 = [k for k in p["impairments"] if "rail0" in k and "spine" not in k]
    ups = [k for k in p["impairments"] if "spine" in k]
    assert len(rail0) == 8 and len(ups) == 4 and len(p["impairments"]) == 12
    assert all(p["impairments"][k]["rule"] == {"loss": {"percent": "1%"}} for k in rail0)
    assert all(p["impairments"][k]["rule"] == {"delay": {"time": "5ms"}} for k in ups)
    assert all(k.split("@")[1].startswith("rail") for k in ups)  # up: the rail leaf sends towards the spine
    assert p["numeric"] == {"loss": 1.0, "delay": 5.0}


def test_axes_on_the_same_end_merge_into_one_rule(tmp_path):
    s = sweep(tmp_path, [{"param": "delay", "values": ["5ms"], "links": "server:0"},
                         {"param": "jitter", "values": ["1ms"], "links": "server:0"},
                         {"param": "delay_distribution", "values": ["pareto"], "links": "server:0"},
                         {"param": "loss", "values": ["0.5%"], "links": "server:0/rail:1", "direction": "up"}])
    p = plan.points(s)[0]
    assert p["impairments"]["server0~rail1@server0"]["rule"] == {
        "delay": {"time": "5ms", "jitter": "1ms", "distribution": "pareto"}, "loss": {"percent": "0.5%"}}
    assert p["impairments"]["server0~rail1@rail1"]["rule"] == {
        "delay": {"time": "5ms", "jitter": "1ms", "distribution": "pareto"}}


def test_netem_config_per_host_and_seeds(tmp_path):
    s = sweep(tmp_path, GRID_AXES, seed=42)
    p = plan.points(s)[0]
    cfg = plan.netem_config(p, host="localhost")
    assert len(cfg) == 12 and set(c["direction"] for c in cfg) == {"egress"}
    seeds = [c["rules"][0]["seed"] for c in cfg]
    assert len(set(seeds)) == 12 and all(0 <= x < 2 ** 64 for x in seeds)
    assert [c["rules"][0]["seed"] for c in plan.netem_config(plan.points(s)[0])] == seeds  # deterministic
    assert all("seed" not in c["rules"][0] for c in plan.netem_config(p, seed_supported=False))
    assert plan.netem_config(p, host="elsewhere") == []
    no_seed = sweep(tmp_path, GRID_AXES)
    assert all("seed" not in c["rules"][0] for c in plan.netem_config(plan.points(no_seed)[0]))


def test_random_is_a_seeded_permutation_with_stable_keys(tmp_path):
    grid = plan.points(sweep(tmp_path, GRID_AXES))
    a = plan.points(sweep(tmp_path, GRID_AXES, {"random": {"seed": 5}}))
    b = plan.points(sweep(tmp_path, GRID_AXES, {"random": {"seed": 5}}))
    c = plan.points(sweep(tmp_path, GRID_AXES, {"random": {"seed": 6}}))
    assert [p["key"] for p in a] == [p["key"] for p in b]
    assert sorted(p["key"] for p in a) == sorted(p["key"] for p in grid)  # same points, same keys
    assert [p["key"] for p in a] != [p["key"] for p in c]
    few = plan.points(sweep(tmp_path, GRID_AXES, {"random": {"seed": 5, "points": 4}}))
    assert [p["key"] for p in few] == [p["key"] for p in a][:4] and [p["index"] for p in few] == [0, 1, 2, 3]
    assert plan.total_points(sweep(tmp_path, GRID_AXES, {"random": {"seed": 5, "points": 4}})) == 4


def test_points_refuses_bisect(tmp_path):
    s = sweep(tmp_path, [{"param": "loss", "values": ["0%", "5%"]}], "bisect")
    with pytest.raises(ValueError):
        plan.points(s)


# ---------------------------------------------------------------- bisect --


def run_bisect(s, curve, noise=0.02, seed=1, baseline_n=5):
    """Drive Bisect against a synthetic JCT curve with multiplicative noise; returns (records, trace)."""
    rng = random.Random(seed)
    axis = s["order"]["axis"]

    def jct(x):
        return 10.0 * curve(x) * math.exp(rng.gauss(0, noise))
    recs = [results.make_record(s, None, [{"jct_s": jct(None)} for _i in range(baseline_n)], kind="baseline")]
    b = plan.Bisect(s)
    for _step in range(100):
        p = b.next(recs)
        if p is None:
            break
        recs.append(results.make_record(s, p, [{"jct_s": jct(p["numeric"][axis])} for _i in range(s["repeats"])]))
    return recs, b.trace(recs)


def loss_curve(x):
    return 1.0 if x is None else 1.0 + 0.2 * x ** 1.5  # crosses 1.2 at exactly 1%


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_bisect_converges_within_tolerance_and_max_probes(tmp_path, seed):
    s = sweep(tmp_path, [{"param": "loss", "links": "rail:0"}],
              {"bisect": {"low": "0%", "high": "5%", "tolerance": "0.1%", "target": 1.2, "max_probes": 16}})
    recs, trace = run_bisect(s, loss_curve, seed=seed)
    assert trace["status"] == "converged", trace
    assert len(trace["probes"]) <= 16 and len(recs) - 1 == len(trace["probes"])
    assert trace["bad"] - trace["good"] <= 0.1 + 1e-9
    # the true crossing (1%) lies in the bracket, or within the noise's reach of it
    assert trace["good"] - 0.1 <= 1.0 <= trace["bad"] + 0.1, trace
    assert trace["probes"][0]["value"] == "5%" and trace["probes"][1]["value"] == "0%"


def test_bisect_on_a_rate_searches_downwards(tmp_path):
    s = sweep(tmp_path, [{"param": "rate", "links": "uplinks"}],
              {"bisect": {"low": "10mbit", "high": "1gbit", "tolerance": "10mbit", "scale": "log", "max_probes": 12}})

    def curve(mbit):  # JCT grows as the uplinks get slower: 1.2x at 200 Mbit/s
        return 1.0 if mbit is None else 1.0 + 0.2 * (200.0 / mbit)
    _recs, trace = run_bisect(s, curve, noise=0.01)
    assert trace["status"] == "converged", trace
    assert trace["good"] > trace["bad"]  # good: the faster end
    assert trace["bad"] - 15 <= 200 <= trace["good"] + 15, trace
    assert trace["probes"][0]["value"] == "10mbit"


def test_bisect_not_crossed_and_crossed_at_good(tmp_path):
    s = sweep(tmp_path, [{"param": "loss"}], {"bisect": {"low": "0%", "high": "0.5%"}})
    _recs, trace = run_bisect(s, loss_curve, noise=0.005)
    assert trace["status"] == "not_crossed" and len(trace["probes"]) == 1
    s = sweep(tmp_path, [{"param": "loss"}], {"bisect": {"low": "2%", "high": "5%"}})
    _recs, trace = run_bisect(s, loss_curve, noise=0.005)
    assert trace["status"] == "crossed_at_good" and len(trace["probes"]) == 2


def test_bisect_stops_at_max_probes(tmp_path):
    s = sweep(tmp_path, [{"param": "loss"}], {"bisect": {"low": "0%", "high": "5%", "tolerance": "0.001%",
                                                         "max_probes": 5}})
    recs, trace = run_bisect(s, loss_curve)
    assert trace["status"] == "max_probes" and len(trace["probes"]) == 5 and len(recs) == 6


def test_bisect_ambiguous_probe_is_probed_again_then_decided_by_the_estimate(tmp_path):
    s = sweep(tmp_path, [{"param": "loss"}], {"bisect": {"low": "0%", "high": "2%", "tolerance": "0.6%",
                                                         "reprobes": 1, "probe_bounds": False}}, repeats=2)
    _recs, trace = run_bisect(s, lambda x: 1.0 if x is None else 1.2, noise=0.05)  # the midpoint sits on the target
    first = trace["probes"][0]
    assert first["value"] == "1%" and first["decision"] is None  # CI holds 1.2: probe again
    second = trace["probes"][1]
    assert second["value"] == "1%" and second["repeats"] == 4 and second["key"] != first["key"]
    assert second["decision"] in ("crossed", "below")


def test_bisect_replays_from_records_in_any_order(tmp_path):
    s = sweep(tmp_path, [{"param": "loss"}], {"bisect": {"low": "0%", "high": "5%", "tolerance": "0.2%"}})
    recs, trace = run_bisect(s, loss_curve)
    shuffled = recs[:1] + list(reversed(recs[1:]))
    assert plan.Bisect(s).next(shuffled) is None
    assert plan.Bisect(s).trace(shuffled) == trace
    # a sweep killed after 3 probes asks for the 4th again
    partial = recs[:4]
    nxt = plan.Bisect(s).next(partial)
    assert nxt["key"] == recs[4]["key"] and nxt["probe"] == 3
