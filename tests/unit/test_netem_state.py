# -*- coding: utf-8 -*-
"""The netem state store under concurrent runs: real processes, real flock, real files."""
import json
import multiprocessing
import os

from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model

WRITERS = 12


def _writer(state_dir, index, barrier):
    core.STATE_DIR = state_dir
    store = core.StateStore("leaf1")  # every writer reads the same (empty) file first
    store.put("up%d" % index, "egress", model.normalize_rules([{"name": "r%d" % index, "delay": {"time": "1ms"}}]))
    barrier.wait()  # all have read; now they save at once
    store.save()


def test_concurrent_runs_keep_every_record(tmp_path):
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(WRITERS)
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), i, barrier)) for i in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    with open(os.path.join(str(tmp_path), "netem", "leaf1.json")) as f:
        data = json.load(f)
    assert sorted(data) == sorted("up%d.egress" % i for i in range(WRITERS))
    assert all(data["up%d.egress" % i]["bands"]["0"]["name"] == "r%d" % i for i in range(WRITERS))
    # no temporary files are left next to the record
    assert sorted(os.listdir(os.path.join(str(tmp_path), "netem"))) == ["leaf1.json", "leaf1.json.lock"]


def test_removing_one_record_keeps_the_others(tmp_path, monkeypatch):
    monkeypatch.setattr(core, "STATE_DIR", str(tmp_path))
    rules = model.normalize_rules([{"delay": {"time": "1ms"}}])
    first, second = core.StateStore("n"), core.StateStore("n")
    first.put("a", "egress", rules)
    second.put("b", "egress", rules)
    first.save()
    second.save()
    third = core.StateStore("n")
    third.put("a", "egress", [])
    third.save()
    assert sorted(core.StateStore("n").data) == ["b.egress"]
