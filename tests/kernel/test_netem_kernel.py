"""netem module against the running kernel, in throwaway namespaces.

This kernel may lack sch_netem (then the module must say how to get it and
leave everything untouched); what needs netem itself runs in the lab tier.
"""
import json
import os
import sys

import pytest

from netlab import kernel_has_netem, sh, tc_json
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import (
    NamespaceNotFound, NetlinkSession)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")
RELEASE = os.uname()[2]


def job(pair, rules, **kw):
    kw.setdefault("netns", pair.a)
    return core.Job(kw.pop("dev", pair.dev_a), model.normalize_rules(rules, RELEASE) if rules else rules, **kw)


def owned(pair, ns=None, dev=None):
    qd = tc_json(ns or pair.a, "qdisc show dev", dev or pair.dev_a)
    return [q for q in qd if q["handle"].startswith("fab") or q["kind"] in ("netem", "ingress", "prio")]


@pytest.mark.skipif(kernel_has_netem(), reason="this kernel has sch_netem; the lab tier covers it")
def test_missing_netem_is_reported_and_nothing_is_applied(pair):
    for direction in ("egress", "ingress"):
        with pytest.raises(core.NetemError) as err:
            core.converge([job(pair, [{"delay": {"time": "10ms"}}], direction=direction)])
        assert "modprobe sch_netem" in str(err.value) and RELEASE in str(err.value)
        assert owned(pair) == []
        assert "ifb" not in sh("ip -n %s -o link show" % pair.a).stdout


def test_check_mode_plans_without_touching_the_kernel(pair):
    j = job(pair, [{"name": "roce", "match": {"dscp": [26]}, "delay": {"time": "1ms"}}])
    core.converge([j], check_mode=True)
    assert j.result["changed"] and j.result["before"] == []
    assert j.result["after"][0]["match"] == {"dscp": [26]}
    assert any("flowid fab0:2" in c for c in j.result["commands"])
    assert owned(pair) == []


def test_unknown_interface_and_namespace(pair):
    with pytest.raises(core.NetemError) as err:
        core.converge([job(pair, [{"delay": {"time": "1ms"}}], dev="nope0")])
    assert err.value.param == "interface" and "nope0" in str(err.value)
    with pytest.raises(NamespaceNotFound):
        core.converge([job(pair, [{"delay": {"time": "1ms"}}], netns="aifabric-no-such-ns")])


def test_foreign_root_qdisc_is_refused_and_left_alone(pair):
    sh("tc -n %s qdisc add dev %s root handle 1: tbf rate 100mbit burst 32k latency 10ms" % (pair.a, pair.dev_a))
    with pytest.raises(core.NetemError) as err:
        core.converge([job(pair, [{"delay": {"time": "1ms"}}])])
    assert "tbf 1:" in str(err.value)
    root = [q for q in tc_json(pair.a, "qdisc show dev", pair.dev_a) if q.get("root")][0]
    assert root["kind"] == "tbf" and root["handle"] == "1:"


def test_a_default_route_alone_is_not_management(pair):
    """Nobody connects through this namespace: its default route does not make va a management interface."""
    sh("ip -n %s route add default via %s dev %s" % (pair.a, pair.ip_b, pair.dev_a))
    j = job(pair, [{"delay": {"time": "1ms"}}])
    core.converge([j], check_mode=True)
    assert j.result["changed"]


GUARDED = r"""
import json, sys
sys.path.insert(0, %(collections)r)
from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model
out = {}
for allow in (False, True):
    j = core.Job(%(dev)r, model.normalize_rules([{"delay": {"time": "1ms"}}]), netns=%(netns)r, allow_management=allow)
    try:
        core.converge([j], check_mode=allow)
        out[str(allow)] = {"changed": j.result["changed"]}
    except errors.ModuleError as e:
        out[str(allow)] = {"param": e.param, "msg": e.message}
print(json.dumps(out))
"""


def test_the_connection_interface_is_protected_in_its_namespace(pair):
    """A module process inside pair.a whose SSH session arrived on va's address (sshd's view in SSH_CONNECTION)."""
    from netlab import COLLECTIONS
    script = GUARDED % {"collections": COLLECTIONS, "dev": pair.dev_a, "netns": pair.a}
    res = sh("ip netns exec %s env SSH_CONNECTION='%s 50000 %s 22' %s -c '%s'" % (
        pair.a, pair.ip_b, pair.ip_a, sys.executable, script.replace("'", "'\\''")))
    out = json.loads(res.stdout)
    assert out["False"]["param"] == "interface"
    assert "%s carries the Ansible connection" % pair.dev_a in out["False"]["msg"]
    assert "allow_management" in out["False"]["msg"]
    assert out["True"] == {"changed": True}
    assert owned(pair) == []


def test_gathered_on_clean_namespace_is_empty(pair):
    assert core.gather_all(pair.a) == []
    assert core.gather_all(pair.a, pair.dev_a) == []


def test_batched_requests_report_each_ack(pair):
    """Many requests in one send; each gets its own ack, failures included."""
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl
    with NetlinkSession(pair.a) as s:
        for i in range(50):
            s.queue(*rtnl.new_link_request("br%d" % i, "bridge"))
        s.queue(*rtnl.new_link_request("br0", "bridge"))  # exists: EEXIST
        acks = s.flush()
        assert len(acks) == 51 and all(a.ok for a in acks[:50]) and acks[50].errno == 17
        names = set(l["name"] for l in rtnl.dump_links(s))
        assert set("br%d" % i for i in range(50)) <= names
