# -*- coding: utf-8 -*-
"""The engine on the running kernel, through a minimal resource: bridges in a throwaway namespace.

What a run creates, the kernel refuses, the rollback restores (or cannot) is read back with `ip -j link`.
"""
import uuid

import pytest

from netlab import ip_json, sh

from ansible_collections.aifabric.emulation.plugins.module_utils.engine import apply, resource
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl


class Bridges(resource.Resource):
    """Entries: bridge names that must exist (merged) in one namespace."""

    revert_works = True

    def __init__(self, netns, **kw):
        resource.Resource.__init__(self, **kw)
        self.netns = netns

    def scopes(self, entries):
        return [(self.netns, entries)]

    def gather(self, scope):
        return dict((l["name"], l["kind"]) for l in rtnl.dump_links(scope.ctx.session) if l["kind"] == "bridge")

    def items(self, scope, have):
        return dict((n, {"name": n}) for n in scope.entries if n in have)

    def plan(self, scope):
        ops = [{"op": "add", "name": n} for n in scope.entries if n not in scope.have]
        return [ops], dict((n, {"name": n}) for n in scope.entries)

    def encode(self, scope, op):
        if op["op"] == "add":
            return [rtnl.new_link_request(op["name"], "bridge")]
        return [rtnl.del_link_request(scope.ctx.session.ifindex(op["name"]))]

    def render(self, scope, ops):
        return ["ip link %s %s type bridge" % (op["op"], op["name"]) for op in ops]

    def revert(self, scope, now):
        if not self.revert_works:
            return []
        return [[{"op": "del", "name": n} for n in now if n in scope.entries and n not in scope.have]]


@pytest.fixture
def netns():
    name = "afe" + uuid.uuid4().hex[:8]
    sh("ip netns add %s" % name)
    try:
        yield name
    finally:
        sh("ip netns del %s" % name, check=False)


def bridges(netns):
    return sorted(l["ifname"] for l in ip_json(netns, "link show type bridge"))


def test_converge_creates_reads_back_and_is_idempotent(netns):
    run = Bridges(netns).converge(["br1", "br2"])
    assert run.changed and bridges(netns) == ["br1", "br2"]
    assert run.after[id(run.scopes[0])] == {"br1": {"name": "br1"}, "br2": {"name": "br2"}}
    again = Bridges(netns).converge(["br1", "br2"])
    assert not again.changed and again.commands == []


def test_check_mode_changes_nothing(netns):
    run = Bridges(netns, check_mode=True).converge(["br1"])
    assert run.changed and run.commands == ["ip link add br1 type bridge"]
    assert bridges(netns) == []


def test_refusal_rolls_back_the_whole_batch_and_says_so(netns):
    sh("ip -n %s link add taken type veth peer taken2" % netns)
    # 'taken' exists (not a bridge): the kernel refuses its creation, br1 and br2 of the same batch are undone
    with pytest.raises(resource.ApplyError) as err:
        Bridges(netns).converge(["br1", "taken", "br2"])
    assert bridges(netns) == []
    report = err.value.rollback
    assert report.complete and report.not_restored == []
    assert "%s:br1" % netns in report.restored and "%s:br2" % netns in report.restored
    assert "ip link add taken type bridge" in err.value.message and "rolled back and read back" in err.value.message


def test_rollback_that_cannot_restore_says_what_is_left(netns):
    sh("ip -n %s link add taken type veth peer taken2" % netns)
    res = Bridges(netns)
    res.revert_works = False
    with pytest.raises(resource.ApplyError) as err:
        res.converge(["br1", "taken"])
    assert bridges(netns) == ["br1"]  # really left behind
    report = err.value.rollback
    assert not report.complete and report.not_restored == ["%s:br1" % netns]
    assert "rollback INCOMPLETE" in err.value.message and "%s:br1" % netns in err.value.message


def test_socket_error_mid_batch_still_rolls_back(netns, monkeypatch):
    """An OSError from the socket (not an ack) is a failure like any other: what went out is undone."""
    real_flush = type(resource.NetlinkSession(None)).flush
    calls = []

    def flaky(session):
        acks = real_flush(session)
        calls.append(len(acks))
        if len(calls) == 1:
            raise OSError(105, "No buffer space available")
        return acks
    monkeypatch.setattr(resource.NetlinkSession, "flush", flaky)
    with pytest.raises(resource.ApplyError) as err:
        Bridges(netns).converge(["br1", "br2"])
    assert "netlink socket error" in err.value.message
    assert bridges(netns) == [] and err.value.rollback.complete


def test_waves_by_groups_consecutive_ops():
    ops = [{"k": 1}, {"k": 1}, {"k": 2}, {"k": 1}]
    assert [len(w) for w in apply.waves_by(ops, lambda op: op["k"])] == [2, 1, 1]
