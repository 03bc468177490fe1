# -*- coding: utf-8 -*-
"""The engine with netem on a real distribution kernel: bulk runs across namespaces, rollback across them,
overridden, concurrent runs on one host. Oracle: tc -j."""
import multiprocessing
import os

import pytest

from netlab import sh, tc_json
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model, plan, resource

RELEASE = os.uname()[2]


def job(dev, netns, rules, state="merged", direction="egress"):
    return core.Job(dev, model.normalize_rules(rules, RELEASE) if rules is not None else None, state, netns, direction)


def delay_of(netns, dev):
    root = [q for q in tc_json(netns, "qdisc show dev", dev) if q.get("root")]
    if not root or root[0]["kind"] != "netem":
        return None
    return round(root[0]["options"]["delay"]["delay"] * 1000, 3)


def ifb_delay(netns, dev):
    return delay_of(netns, plan.ifb_name(dev, None))


def test_probe_says_yes_where_tc_can(pair):
    assert core.netem_available() is (sh("tc -n %s qdisc add dev lo root netem" % pair.a, check=False).returncode == 0)
    assert core.netem_available() is True  # the lab kernels ship sch_netem


def test_one_run_many_namespaces_and_directions(pair):
    jobs = [job("va", pair.a, [{"delay": {"time": "5ms"}}]), job("vb", pair.b, [{"delay": {"time": "7ms"}}]),
            job("va", pair.a, [{"delay": {"time": "3ms"}}], direction="ingress")]
    core.converge(jobs)
    assert [j.result["changed"] for j in jobs] == [True, True, True]
    assert (delay_of(pair.a, "va"), delay_of(pair.b, "vb"), ifb_delay(pair.a, "va")) == (5.0, 7.0, 3.0)
    again = [job("va", pair.a, [{"delay": {"time": "5ms"}}]), job("vb", pair.b, [{"delay": {"time": "7ms"}}]),
             job("va", pair.a, [{"delay": {"time": "3ms"}}], direction="ingress")]
    core.converge(again)
    assert [j.result["changed"] for j in again] == [False, False, False]


def test_refusal_in_one_namespace_rolls_back_the_others(pair, monkeypatch):
    core.converge([job("va", pair.a, [{"delay": {"time": "7ms"}}])])
    real = plan.plan_tree

    def broken(dev, have, want):  # only vb's plan carries an op the kernel refuses (no such parent)
        ops = real(dev, have, want)
        if dev == "vb" and want:  # forward only: the way back stays real
            ops.append({"op": "qdisc", "action": "add", "dev": dev, "parent": 0x12340005, "handle": 0x43210000,
                        "kind": "prio", "bands": 3})
        return ops
    monkeypatch.setattr(plan, "plan_tree", broken)
    with pytest.raises(core.NetemError) as err:
        core.converge([job("va", pair.a, [{"delay": {"time": "9ms"}}]), job("vb", pair.b, [{"delay": {"time": "4ms"}}])])
    monkeypatch.setattr(plan, "plan_tree", real)
    report = err.value.rollback
    assert report.complete, report.as_dict()
    assert "%s:va/egress" % pair.a in report.restored and "%s:vb/egress" % pair.b in report.restored
    assert delay_of(pair.a, "va") == 7.0 and delay_of(pair.b, "vb") is None  # back to what each had


def test_overridden_removes_undeclared_trees_in_the_named_namespaces(pair):
    core.converge([job("va", pair.a, [{"delay": {"time": "5ms"}}]),
                   job("va", pair.a, [{"delay": {"time": "3ms"}}], direction="ingress"),
                   job("vb", pair.b, [{"delay": {"time": "2ms"}}])])
    params = {"config": [{"interface": "va", "netns": pair.a, "direction": "egress",
                          "rules": [{"name": "default", "delay": {"time": "6ms"}}]}]}
    jobs = resource.jobs_from_params(params, "overridden", RELEASE)
    jobs += core.undeclared_jobs(jobs)
    core.converge(jobs)
    assert delay_of(pair.a, "va") == 6.0
    assert [g["direction"] for g in core.gather_all(pair.a)] == ["egress"]  # the ingress tree is gone
    assert delay_of(pair.b, "vb") == 2.0  # another namespace: not named, not touched


def _converge_one(netns, dev, name, barrier, errors):
    try:
        j = job(dev, netns, [{"name": name, "delay": {"time": "1ms", "jitter": "1ms", "distribution": "normal"}}])
        barrier.wait()
        core.converge([j])
    except Exception as e:  # reported to the parent
        errors.put(repr(e))


def test_concurrent_runs_on_one_namespace_keep_every_record(pair):
    devs = ["c%d" % i for i in range(6)]
    for i in range(0, len(devs), 2):
        sh("ip -n %s link add %s type veth peer %s" % (pair.a, devs[i], devs[i + 1]))
    ctx = multiprocessing.get_context("fork")
    barrier, errors = ctx.Barrier(len(devs)), ctx.Queue()
    procs = [ctx.Process(target=_converge_one, args=(pair.a, d, "rule-" + d, barrier, errors)) for d in devs]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * len(devs)
    assert errors.empty()
    found = dict((g["interface"], g["rules"][0]["name"]) for g in core.gather_all(pair.a))
    assert found == dict((d, "rule-" + d) for d in devs)  # names only the state record knows, all kept
