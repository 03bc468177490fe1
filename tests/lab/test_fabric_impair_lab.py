"""Fabric impairments with real netem on a distribution kernel, through the fabric module's core, in one test.

One small fabric per kernel (2 servers x 2 rails, 1 spine; the server links have a 20 us delay of their own,
so their ends carry netem before any impairment: under htb 1:1 on the leaf's end, at the root on the server's),
to keep the lab tier short. Rail 0 is impaired with delay and loss, as the sweep hands it over
(select.fabric_ends("rail:0,node:rail0") and plan.netem_config(), seeds where the kernel takes them); then changed in
place; re-run; cleared; impaired again under a TTL that the host reverts.

Oracles: `tc -j qdisc show` and `tc -s -j qdisc show` (where netem sits, its delay and loss, its packet
counter: a qdisc removed and added again would count from 0), ping across rail 0 for traffic. The fixture
kills the watchdogs the test started and deletes the namespaces, whatever happens.
"""
import json
import os
import re
import signal
import time
import uuid

import pytest

from netlab import kernel_has_netem, processes_named, sh, wait_until
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as compiler, expiry, resource
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model, ttl
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import netns
from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import plan as sweep_plan, select

HAS_SEED = model.kernel_version(os.uname()[2]) >= model.SEED_MIN_KERNEL
US = 1.5e-6  # tc prints netem's delay from its 64 ns ticks, cut to whole microseconds
TTL = 6.0
LINK_DELAY_US = 20


def watchdogs():
    return processes_named(ttl.COMM)


class FakeModule:
    check_mode = False
    _diff = False

    def __init__(self, **params):
        self.params = dict({"topology": None, "name": None, "host": None, "inventory_hosts": None,
                            "state": "present", "impairments": None, "ttl": None}, **params)
        self.result = None

    def exit_json(self, **kw):
        self.result = dict(kw, failed=False)
        raise SystemExit(0)

    def fail_json(self, **kw):
        self.result = dict(kw, failed=True)
        raise SystemExit(1)

    def warn(self, text):
        pass


@pytest.fixture
def fabric(tmp_path, monkeypatch):
    assert kernel_has_netem(), "the lab kernel must provide sch_netem"
    monkeypatch.setattr(core, "STATE_DIR", str(tmp_path))
    monkeypatch.setenv(ttl.MECHANISM_ENV, "watchdog")
    name = "li" + uuid.uuid4().hex[:5]
    before = watchdogs()
    try:
        yield name
    finally:
        for pid in watchdogs() - before:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        left = netns.names(name + "-")
        if left:
            netns.delete(left)


def run(**params):
    m = FakeModule(**params)
    with pytest.raises(SystemExit):
        resource.run_module(m)
    assert not m.result["failed"], m.result.get("msg")
    return m.result


def qdiscs(ns, dev, stats=False):
    return json.loads(sh("tc -n %s %s-j qdisc show dev %s" % (ns, "-s " if stats else "", dev)).stdout)


def shapes(namespaces):
    """{(netns, dev): [qdisc]} as one `tc -j qdisc show` per namespace shows them, statistics left out: what
    'unchanged' means."""
    out = {}
    for ns in namespaces:
        for q in json.loads(sh("tc -n %s -j qdisc show" % ns).stdout):
            entry = dict((k, v) for k, v in q.items() if k in ("kind", "handle", "parent", "root", "options"))
            entry["options"] = dict((k, v) for k, v in (q.get("options") or {}).items()
                                    if k != "direct_packets_stat")
            out.setdefault((ns, q["dev"]), []).append(entry)
    return out


def config_for(plan, rule, seeds):
    """The sweep's hand-over for rail 0 (both directions), as the sweep controller builds it."""
    ends = select.fabric_ends(plan, "rail:0,node:rail0", "both", "axes[0].links")  # rail 0's links and uplinks
    point = {"impairments": dict((e["key"], dict(e, rule=rule, seed=(1000 + i if seeds else None)))
                                 for i, e in enumerate(ends))}
    return sweep_plan.netem_config(point, "localhost", seed_supported=seeds)


def test_impair_rail0_in_place_rerun_clear_and_ttl_revert(fabric):
    spec = {"name": fabric, "kind": "rail_optimized", "servers": 2, "rails": 2, "spines": 1,
            "links": {"server_leaf": {"rate": "100mbit", "delay": "%dus" % LINK_DELAY_US},
                      "leaf_spine": {"rate": "200mbit"}}}
    plan = compiler.compile_plan(spec)
    assert run(topology=spec)["changed"]
    all_ends = [(e["netns"], e["ifname"]) for link in plan["links"] for e in link["ends"]]
    spaces = sorted(set(ns for ns, _dev in all_ends))
    base = shapes(spaces)

    # 1. delay + loss on rail 0, as a sweep point
    config = config_for(plan, {"delay": {"time": "1ms"}, "loss": {"percent": "1%"}}, HAS_SEED)
    rail0 = sorted((c["netns"], c["interface"]) for c in config)
    assert len(rail0) == 2 * 2 + 2  # both ends of two server links and of one uplink
    res = run(topology=spec, impairments=config)
    assert res["changed"] and res["read"]["mode"] == "impairments"
    shaped = dict(((e["netns"], e["ifname"]), side in link["shaped"]) for link in plan["links"]
                  for side, e in zip("ab", link["ends"]))
    now = shapes(spaces)
    for ns, dev in rail0:
        netem = [q for q in now[(ns, dev)] if q["kind"] == "netem"]
        assert len(netem) == 1 and netem[0]["handle"] == "10:", now[(ns, dev)]
        q = netem[0]
        if shaped[(ns, dev)]:
            assert q.get("parent") == "1:1" and [r["kind"] for r in now[(ns, dev)] if r.get("root")] == ["htb"]
        else:
            assert q.get("root") is True
        link_us = LINK_DELAY_US if "server" in ns or dev.startswith("server") else 0
        assert q["options"]["delay"]["delay"] == pytest.approx(0.001 + link_us / 1e6, abs=US), (ns, dev, q)
        assert q["options"]["loss-random"]["loss"] == pytest.approx(0.01)
    for end in set(all_ends) - set(rail0):
        assert now[end] == base[end], end  # rail 1 is untouched
    for e in res["impairments"]:
        k = e["kernel"]
        assert k["netem_parent"] == ("1:1" if shaped[(e["netns"], e["interface"])] else "root")
        assert k["netem"]["loss"]["percent"] == "1%"
        on_server_link = e["link"].startswith("server")
        assert k["netem"]["delay"]["time"] == ("%dus" % (1000 + LINK_DELAY_US) if on_server_link else "1ms")
        if HAS_SEED:
            assert k["netem"]["seed"] >= 1000  # the sweep's seed, read back from the kernel

    # 2. traffic through server0's rail0 (netem at its root), then a step changes it in place
    server0 = "%s-server0" % fabric
    sh("ip netns exec %s ping -n -q -c 20 -i 0.02 -W 1 -I rail0 %s" % (
        server0, plan["nodes"]["server1"]["interfaces"]["rail0"]["address"].split("/")[0]), check=False)
    counted = [q for q in qdiscs(server0, "rail0", stats=True) if q["kind"] == "netem"][0]["packets"]
    assert counted >= 10
    step = config_for(plan, {"delay": {"time": "2ms"}, "loss": {"percent": "2%"}}, HAS_SEED)
    res = run(topology=spec, impairments=step)
    assert res["changed"] and res["requests"] == len(rail0)  # one change per end
    assert all(" qdisc replace " in c for c in res["commands"])
    after = [q for q in qdiscs(server0, "rail0", stats=True) if q["kind"] == "netem"][0]
    assert after["handle"] == "10:" and after["packets"] >= counted  # the same qdisc: its counter went on
    assert after["options"]["delay"]["delay"] == pytest.approx(0.002 + LINK_DELAY_US / 1e6, abs=US)
    assert after["options"]["loss-random"]["loss"] == pytest.approx(0.02)

    # 3. the same step again changes nothing; [] puts the base plan back
    again = run(topology=spec, impairments=step)
    assert not again["changed"] and again["requests"] == 0
    cleared = run(topology=spec, impairments=[])
    assert cleared["changed"] and len(cleared["cleared"]) == len(rail0)
    assert shapes(spaces) == base

    # 4. impaired again under a TTL; the host reverts it to the base plan
    res = run(topology=spec, impairments=config, ttl=TTL)
    assert res["ttl"]["action"] == "armed" and res["ttl"]["mechanism"] == "watchdog"
    target = expiry.FabricTarget(fabric, "localhost", core.STATE_DIR)
    rec = ttl.read_record(target)
    assert all(e["kernel"]["netem"]["loss"]["percent"] == "1%" for e in res["impairments"])  # read back when applied
    wait_until(lambda: os.path.exists(target.fired_path), TTL + 10, "the TTL to fire")  # written after the revert
    assert shapes(spaces) == base and time.time() >= rec["deadline"] - 0.05
    with open(target.fired_path) as f:
        fired = json.load(f)
    assert fired["outcome"] == "reverted" and len(fired["reverted"]) == len(rail0)
    assert rec["deadline"] - 0.05 <= fired["fired_at"] <= rec["deadline"] + 5
    with open(os.path.join(target.folder(), "ttl.log")) as f:
        assert re.search(r"TTL of fabric %s on host localhost expired .*: reverted; tc -n %s-" % (fabric, fabric),
                         f.read())
    gone = run(name=fabric, state="absent")
    assert gone.get("ttl") is None and netns.names(fabric + "-") == []  # the revert had disarmed it already
