"""Fabric impairments and their TTL on the running kernel, through the fabric module's core (resource.run_module).

This kernel has htb and tbf but no sch_netem: the impairments here are rates
(a rule's `rate` is the end's htb class or tbf rate), and a netem impairment
must be refused naming the field before anything changes. The lab tier
(tests/lab/test_fabric_impair_lab.py) applies real netem.

Oracles: `tc class show` (htb: text, tc 6.1 has no JSON for classes) and
`tc -j qdisc show` (tbf's rate, which qdiscs are where), /proc (the
watchdogs), the TTL's files. Every test has a fresh fabric name and a private
state directory; the fixture kills every watchdog the test started and deletes
the fabric's namespaces, whatever happened.
"""
import json
import os
import re
import signal
import time
import uuid

import pytest

from netlab import processes_named, sh, tc_rate_bit, wait_until
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import expiry, gather, resource, stage
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, ttl
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import netns

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")

HAS_NETEM = core.netem_available()
TTL = 3.0


def watchdogs():
    return processes_named(ttl.COMM)


class FakeModule:
    check_mode = False
    _diff = False

    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
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


class Fab:
    def __init__(self, state_dir, shaping="htb"):
        self.name = "ki" + uuid.uuid4().hex[:5]
        self.state_dir = state_dir
        self.spec = {"name": self.name, "kind": "rail_optimized", "servers": 4, "rails": 2, "spines": 2,
                     "shaping": shaping,
                     "links": {"server_leaf": {"rate": "100mbit"}, "leaf_spine": {"rate": "200mbit"}}}

    def run(self, check_mode=False, **params):
        params.setdefault("topology", self.spec)
        m = FakeModule(check_mode, **params)
        with pytest.raises(SystemExit):
            resource.run_module(m)
        return m.result

    def ns(self, node):
        return "%s-%s" % (self.name, node)

    def imp(self, node, ifname, **rule):
        return {"interface": ifname, "netns": self.ns(node), "rules": [rule]}

    def target(self):
        return expiry.FabricTarget(self.name, "localhost", self.state_dir)

    def ends(self):
        """Every fabric link end (namespace, interface)."""
        out = []
        for ns in netns.names(self.name + "-"):
            for link in json.loads(sh("ip -n %s -j link show" % ns).stdout):
                if link["ifname"] not in ("lo", "mgmt0") and link.get("link_type") == "ether" \
                        and not ns.endswith("-mgmt"):
                    out.append((ns, link["ifname"]))
        return sorted(out)

    def rates(self):
        return dict((end, tc_rate_bit(*end)) for end in self.ends())


@pytest.fixture
def fab(tmp_path, monkeypatch):
    monkeypatch.setattr(core, "STATE_DIR", str(tmp_path))
    monkeypatch.setenv(ttl.MECHANISM_ENV, "watchdog")
    before = watchdogs()
    f = Fab(str(tmp_path))
    try:
        yield f
    finally:
        for pid in watchdogs() - before:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        left = netns.names(f.name + "-")
        if left:
            netns.delete(left)


def file_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        return None


# ------------------------------------------------------------- rates --


@pytest.mark.parametrize("shaping", ["htb", "tbf"])
def test_rate_on_selected_ends_only_in_place_rerun_noop_and_back_to_base(tmp_path, monkeypatch, shaping):
    monkeypatch.setattr(core, "STATE_DIR", str(tmp_path))
    fab = Fab(str(tmp_path), shaping)
    try:
        _rates_round_trip(fab, monkeypatch, shaping)
    finally:
        left = netns.names(fab.name + "-")
        if left:
            netns.delete(left)


def _rates_round_trip(fab, monkeypatch, shaping):
    res = fab.run()
    assert not res["failed"] and res["changed"] and res["impairments"] == [] and res["ttl"] is None
    base = fab.rates()
    assert base[(fab.ns("rail0"), "spine0")] == 200 * 10 ** 6 and base[(fab.ns("server1"), "rail0")] is None
    selected = [fab.imp("rail0", "spine0", rate={"rate": "20mbit"}), fab.imp("spine0", "rail0", rate="30mbit"),
                fab.imp("server1", "rail0", rate="40mbit")]  # the last end is not shaped by the fabric
    handle_before = sh("tc -n %s -j qdisc show dev spine0" % fab.ns("rail0")).stdout

    predicted = fab.run(check_mode=True, impairments=selected)
    assert predicted["changed"] and fab.rates() == base  # check mode changes nothing
    assert [e["kernel"]["rate_bit"] for e in predicted["impairments"]] == [2 * 10 ** 7, 3 * 10 ** 7, 4 * 10 ** 7]

    opened = []
    for name in ("read_facts", "read_qdisc_facts"):
        real = getattr(gather, name)
        monkeypatch.setattr(gather, name, lambda session, ns, *a, _real=real, _n=name: (
            opened.append((_n, ns)), _real(session, ns, *a))[1])
    res = fab.run(impairments=selected)
    assert not res["failed"] and res["changed"], res.get("msg")
    assert res["read"] == {"mode": "impairments", "namespaces": 3}
    assert sorted(set(ns for _n, ns in opened)) == sorted(fab.ns(n) for n in ("rail0", "server1", "spine0"))
    assert set(n for n, _ns in opened) == {"read_qdisc_facts"}  # no link, address, route or sysctl dump
    now = fab.rates()
    want = dict(base)
    want.update({(fab.ns("rail0"), "spine0"): 2 * 10 ** 7, (fab.ns("spine0"), "rail0"): 3 * 10 ** 7,
                 (fab.ns("server1"), "rail0"): 4 * 10 ** 7})
    assert now == want  # the selected ends have the new rates, every other end its own
    assert [(e["interface"], e["kernel"]["qdisc"], e["kernel"]["rate_bit"], e["kernel"]["netem"])
            for e in res["impairments"]] == [("spine0", shaping, 2 * 10 ** 7, None),
                                             ("rail0", shaping, 3 * 10 ** 7, None),
                                             ("rail0", shaping, 4 * 10 ** 7, None)]
    if shaping == "htb":
        assert [op.split()[3:5] for op in res["commands"] if " dev spine0 " in op] == [["class", "replace"]]
    assert json.loads(sh("tc -n %s -j qdisc show dev spine0" % fab.ns("rail0")).stdout)[0]["handle"] == \
        json.loads(handle_before)[0]["handle"]

    again = fab.run(impairments=selected)
    assert not again["changed"] and again["requests"] == 0 and again["commands"] == []
    assert fab.rates() == want

    gathered = fab.run(state="gathered")
    assert [(e["netns"], e["interface"], e["kernel"]["rate_bit"]) for e in gathered["impairments"]] == [
        (fab.ns("rail0"), "spine0", 2 * 10 ** 7), (fab.ns("spine0"), "rail0", 3 * 10 ** 7),
        (fab.ns("server1"), "rail0", 4 * 10 ** 7)]

    back = fab.run(impairments=[])
    assert back["changed"] and back["read"]["mode"] == "impairments" and back["impairments"] == []
    assert sorted((c["netns"], c["interface"]) for c in back["cleared"]) == sorted(
        (e["netns"], e["interface"]) for e in selected)
    assert fab.rates() == base
    assert not [q for q in json.loads(sh("tc -n %s -j qdisc show dev rail0" % fab.ns("server1")).stdout)
                if q["handle"] == "1:"]  # the rate qdisc the impairment brought is gone
    full = fab.run()
    assert not full["changed"] and full["read"]["mode"] == "full"  # nothing impaired: the whole fabric is read


@pytest.mark.skipif(HAS_NETEM, reason="this kernel has netem; the lab tier applies it")
def test_a_netem_impairment_is_refused_naming_the_field_before_anything_changes_or_is_armed(fab):
    fab.run()
    base = fab.rates()
    impairments = [fab.imp("rail0", "spine0", rate="20mbit"),
                   fab.imp("rail1", "server2", delay={"time": "1ms"}, loss={"percent": "1%"})]
    for ttl_value in (None, TTL):
        res = fab.run(impairments=impairments, ttl=ttl_value)
        assert res["failed"] and res["msg"].startswith("impairments[1].rules[0]: this impairment needs the netem "
                                                       "qdisc"), res["msg"]
        assert "nothing was changed" in res["msg"]
        assert fab.rates() == base  # not even the rate of the first entry
        assert not os.path.exists(fab.target().record_path) and not os.path.exists(fab.target().runner_path)
    record = stage.record_store(fab.name, fab.state_dir).host("localhost")
    assert record["impairments"] == []


# --------------------------------------------------------------- TTL --


def test_ttl_reverts_the_rates_to_the_base_plan_on_the_host(fab):
    fab.run()
    base = fab.rates()
    selected = [fab.imp("rail0", "spine1", rate="10mbit"), fab.imp("rail1", "server3", rate="10mbit")]
    res = fab.run(impairments=selected, ttl=TTL)
    assert not res["failed"], res.get("msg")
    t = res["ttl"]
    assert (t["action"], t["mechanism"], t["seconds"], t["ends"]) == ("armed", "watchdog", TTL, 2)
    assert res["changed"] and fab.rates() != base
    target = fab.target()
    rec = ttl.read_record(target)
    pid = int(ttl.read_runner(target)["pid"])
    assert pid in watchdogs() and os.path.exists(target.plan_path)
    gathered = fab.run(state="gathered")
    assert gathered["ttl"]["deadline"] == t["deadline"] and 0 < gathered["ttl"]["remaining"] <= TTL

    wait_until(lambda: fab.rates() == base, TTL + 5, "the rates to be back to the base plan")
    reverted_at = time.time()
    assert rec["deadline"] - 0.05 <= reverted_at <= rec["deadline"] + 5
    wait_until(lambda: pid not in watchdogs(), 5, "the watchdog to exit")
    fired = file_json(target.fired_path)
    assert fired["outcome"] == "reverted" and rec["deadline"] - 0.05 <= fired["fired_at"] <= rec["deadline"] + 2
    assert sorted(c["interface"] for c in fired["reverted"]) == ["server3", "spine1"]
    assert any("class replace dev spine1" in c for c in fired["commands"])
    with open(os.path.join(target.folder(), "ttl.log")) as f:
        log = f.read()
    assert re.search(r"aifabric-fabric-ttl\[%d\]: TTL of fabric %s on host localhost expired \(ttl 3s, armed .*\): "
                     r"reverted; tc -n %s class replace dev spine1 " % (pid, fab.name, fab.ns("rail0")), log), log
    assert ttl.read_record(target) is None
    after = fab.run(state="gathered")
    assert after["ttl"] is None and after["impairments"] == [] and after["ttl_fired"]["outcome"] == "reverted"
    noop = fab.run()  # the revert went through the stager: the record says nothing is impaired
    assert not noop["changed"] and noop["ttl"] is None


def test_heartbeat_extends_the_deadline_in_the_same_watchdog_and_teardown_disarms(fab):
    fab.run()
    selected = [fab.imp("spine1", "rail1", rate="15mbit")]
    first = fab.run(impairments=selected, ttl=TTL)
    target = fab.target()
    rec = ttl.read_record(target)
    pid = int(ttl.read_runner(target)["pid"])
    wait_until(lambda: rec["deadline_mono"] - time.monotonic() <= TTL / 2, TTL, "half the TTL to pass")
    beat = fab.run(impairments=selected, ttl=TTL)
    assert not beat["changed"] and beat["requests"] == 0 and beat["ttl"]["action"] == "rearmed"
    renewed = ttl.read_record(target)
    assert renewed["deadline"] > rec["deadline"] + TTL / 2 - 0.2 and renewed["rearms"] == 1
    assert beat["ttl"]["deadline"] != first["ttl"]["deadline"]
    assert int(ttl.read_runner(target)["pid"]) == pid and watchdogs() >= {pid}  # one process per fabric and host
    wait_until(lambda: time.monotonic() > rec["deadline_mono"] + 0.5, TTL, "the first deadline to pass")
    assert tc_rate_bit(fab.ns("spine1"), "rail1") == 15 * 10 ** 6 and file_json(target.fired_path) is None
    kept = fab.run(impairments=selected)  # no ttl: the armed one is kept
    assert kept["ttl"]["action"] == "kept" and not kept["changed"]
    gone = fab.run(name=fab.name, topology=None, state="absent")
    assert not gone["failed"] and gone["ttl"] == {"action": "disarmed", "ttl": "3s"}
    wait_until(lambda: pid not in watchdogs(), 15, "the watchdog to stop")
    for path in (target.record_path, target.runner_path, target.plan_path, target.fired_path):
        assert not os.path.exists(path), path
    with open(os.path.join(target.folder(), "ttl.log")) as f:
        assert "TTL of fabric %s on host localhost disarmed" % fab.name in f.read()
    assert netns.names(fab.name + "-") == []


def test_clearing_the_impairments_disarms(fab):
    fab.run()
    res = fab.run(impairments=[fab.imp("rail0", "spine0", rate="5mbit")], ttl=30)
    pid = int(ttl.read_runner(fab.target())["pid"])
    res = fab.run(impairments=[], ttl=30)  # nothing impaired: nothing to revert, whatever ttl says
    assert res["changed"] and res["ttl"] == {"action": "disarmed", "ttl": "30s"}
    wait_until(lambda: pid not in watchdogs(), 15, "the watchdog to stop")
    assert ttl.read_record(fab.target()) is None and tc_rate_bit(fab.ns("rail0"), "spine0") == 200 * 10 ** 6


def test_a_refused_step_rolls_back_and_disarms_the_ttl_it_armed(fab, monkeypatch):
    fab.run()
    base = fab.rates()
    monkeypatch.setattr(stage, "FAIL_AT", "classes")  # the kernel "refuses" after the class wave
    res = fab.run(impairments=[fab.imp("rail0", "spine0", rate="5mbit"), fab.imp("server0", "rail1", rate="7mbit")],
                  ttl=30)
    assert res["failed"] and "injected failure after wave classes" in res["msg"]
    assert res["rollback"]["complete"], res["rollback"]
    assert fab.rates() == base  # the rates are back, and so is the unshaped end
    assert not os.path.exists(fab.target().record_path)
    wait_until(lambda: not ttl.alive(ttl.read_runner(fab.target())), 15, "the watchdog this run started to stop")
    assert stage.record_store(fab.name, fab.state_dir).host("localhost")["impairments"] == []
