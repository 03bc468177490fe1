# -*- coding: utf-8 -*-
"""The stager's pure parts: plan -> wanted state, diff, counts, rendering, field-naming errors, preflight.

No kernel: facts are NsState objects built here (or the wanted state itself,
which is what a correctly staged namespace reads back as).
"""
import copy
import os
import sys

import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import gather as g, stage
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import tc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from bench_fabric_plan import rail_plan  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(autouse=True)
def standard_clock(monkeypatch):
    monkeypatch.setattr(tc, "_PSCHED", [(1000.0 / 64, 1000000000)])


def wants(plan, host="localhost"):
    return stage.build_wants(plan, host)[2]


def as_facts(w):
    """What the kernel would report for a correctly staged namespace (indexes made up)."""
    have = copy.deepcopy(w)
    for st in have.values():
        for i, link in enumerate(st.links.values()):
            link["index"], link["create"] = i + 2, None
    return have


def test_every_namespace_gets_its_links_peer_ends_addresses_routes_and_qdiscs():
    plan = rail_plan("f1", servers=2, rails=2, spines=2)
    w = wants(plan)
    assert list(w) == ["f1-server0", "f1-server1", "f1-rail0", "f1-rail1", "f1-spine0", "f1-spine1"]
    leaf = w["f1-rail0"]
    assert sorted(leaf.links) == ["server0", "server1", "spine0", "spine1"]
    assert leaf.links["server0"]["create"] == {"op": "peer-end", "creator": "f1-server0", "name": "rail0"}
    assert leaf.links["spine0"]["create"]["peer_ns"] == "f1-spine0"
    assert leaf.routes == {"10.1.0.0/16": (("172.16.0.1", "spine0"), ("172.16.0.3", "spine1"))}
    assert leaf.mark == "aifabric-fabric:f1" and leaf.sysctls["net.ipv4.ip_forward"] == "1"
    q = leaf.qdiscs["server0"]
    assert q["root"]["key"] == ("htb", 10, 1) and q["class"]["key"][:3] == ("htb", 1250000000, 1250000000)


def test_from_nothing_every_object_is_created_in_wave_order():
    plan = rail_plan("f1", servers=2, rails=2, spines=2)
    ops = stage.diff(wants(plan), {}, fresh=set(n["name"] for n in plan["namespaces"]))
    order = [stage.WAVES.index(op["wave"]) for op in ops]
    assert order == sorted(order)
    counts = stage.count(ops, 6)
    assert counts["created"] == {"namespaces": 6, "links": 2 * 2 + 2 * 2, "addresses": 16, "routes": 2 * 3 + 2 + 4,
                                 "qdiscs": 16, "classes": 16, "sysctls": 0}
    assert counts["modified"]["links"] == 0  # bringing up a fresh veth's peer is part of making it
    ups = [op for op in ops if op["op"] == "set-link"]
    assert len(ups) == 8 and all(op == dict(op, up=True, fresh=True) for op in ups)
    assert all(op["action"] == "add" for op in ops if op["op"] == "route")


def test_a_staged_fabric_diffs_to_nothing():
    plan = rail_plan("f1", servers=3, rails=2, spines=2, uplink_qdisc="tbf")
    w = wants(plan)
    assert stage.diff(w, as_facts(w)) == []


def test_adding_a_server_adds_only_its_objects():
    have = as_facts(wants(rail_plan("f1", servers=2)))
    big = wants(rail_plan("f1", servers=3))
    ops = stage.diff(big, have, fresh={"f1-server2"})
    assert set(op["ns"] for op in ops) == {"f1-server2", "f1-rail0", "f1-rail1"}
    assert [op["name"] for op in ops if op["op"] == "veth"] == ["rail0", "rail1"]
    assert stage.count(ops, 1)["created"]["links"] == 2


def test_removing_a_server_deletes_the_surviving_ends_of_its_links():
    have = as_facts(wants(rail_plan("f1", servers=3)))
    small = wants(rail_plan("f1", servers=2))
    ops = stage.diff(small, dict((n, v) for n, v in have.items() if n in small))
    assert sorted((op["ns"], op["name"]) for op in ops) == [("f1-rail0", "server2"), ("f1-rail1", "server2")]
    assert all(op["op"] == "del-link" for op in ops)


def test_changes_converge_in_place():
    plan = rail_plan("f1", servers=2)
    have = as_facts(wants(plan))
    have["f1-rail0"].links["server1"]["mtu"] = 1500
    have["f1-rail0"].links["server1"]["up"] = False
    have["f1-rail0"].addresses["server1"] = {"10.0.0.2/31", "10.99.0.1/24"}
    have["f1-rail0"].routes["10.1.0.0/16"] = (("172.16.0.1", "spine0"),)
    have["f1-rail0"].routes["10.200.0.0/16"] = (("172.16.0.1", "spine0"),)
    have["f1-rail0"].qdiscs["server1"]["class"] = g.htb_class_item(125000000, 100000)
    have["f1-rail0"].sysctls["net.ipv4.ip_forward"] = "0"
    ops = stage.diff(wants(plan), have)
    got = sorted((op["op"], op.get("action"), op.get("name") or op.get("dst")) for op in ops)
    assert got == [("addr", "delete", "server1"), ("class", "replace", "server1"), ("route", "delete", "10.200.0.0/16"),
                   ("route", "replace", "10.1.0.0/16"), ("set-link", None, "server1"), ("sysctl", None, None)]
    set_op = [op for op in ops if op["op"] == "set-link"][0]
    assert (set_op["mtu"], set_op["up"], set_op["fresh"]) == (9000, True, False)


def test_a_link_of_another_kind_is_made_again_with_everything_on_it():
    plan = rail_plan("f1", servers=1, rails=1, spines=1)
    have = as_facts(wants(plan))
    have["f1-server0"].links["rail0"]["ident"] = ("bridge",)
    ops = stage.diff(wants(plan), have)
    kinds = [(op["wave"], op["op"]) for op in ops]
    assert kinds[:2] == [("delete-links", "del-link"), ("links", "veth")]
    assert ("addresses", "addr") in kinds and ("qdiscs", "root") in kinds and ("classes", "class") in kinds
    route = [op for op in ops if op["op"] == "route"][0]
    assert route["action"] == "replace"  # the kernel dropped it with its link


def test_qdisc_kind_change_replaces_the_root():
    plan = rail_plan("f1", servers=1, rails=1, spines=1)
    have = as_facts(wants(plan))
    have["f1-rail0"].qdiscs["spine0"] = {"root": g.tbf_item(50000000000, 100000, latency_us=1000), "class": None,
                                         "leaf": None, "foreign": None}
    ops = [op for op in stage.diff(wants(plan), have) if op["ns"] == "f1-rail0"]
    assert [(op["op"], op["action"]) for op in ops] == [("root", "delete"), ("root", "add"), ("class", "add")]


def test_a_foreign_root_qdisc_is_replaced():
    plan = rail_plan("f1", servers=1, rails=1, spines=1)
    have = as_facts(wants(plan))
    have["f1-rail0"].qdiscs["spine0"] = {"root": None, "class": None, "leaf": None, "foreign": "fq_codel"}
    ops = [op for op in stage.diff(wants(plan), have) if op["ns"] == "f1-rail0"]
    assert [(op["op"], op["action"]) for op in ops] == [("root", "replace"), ("class", "add")]


def test_link_delay_goes_under_the_class_when_shaped_else_at_the_root():
    shaped = wants(rail_plan("f1", servers=1, rails=1, spines=1, delay_us=5))["f1-server0"].qdiscs["rail0"]
    assert shaped["root"]["kind"] == "htb" and shaped["leaf"]["kind"] == "netem"
    p = dict(zip(g.netem_keys(), shaped["leaf"]["key"][1:]))
    assert p["latency"] == 5000 and p["limit"] == 10000
    bare = wants(rail_plan("f1", servers=1, rails=1, spines=1, delay_us=5, shaped=False))["f1-server0"]
    assert bare.qdiscs["rail0"]["root"]["kind"] == "netem" and bare.qdiscs["rail0"]["class"] is None
    assert g.root_handle("netem") == g.LEAF_HANDLE and g.root_handle("htb") == g.ROOT_HANDLE


def test_views_are_in_the_plans_units():
    st = wants(rail_plan("f1", servers=1, rails=1, spines=1, uplink_qdisc="tbf"))["f1-rail0"]
    view = st.view()
    assert view["qdiscs"]["server0"] == {"qdisc": "htb", "rate_bit": 10**10, "burst_bytes": 100000}
    assert view["qdiscs"]["spine0"]["qdisc"] == "tbf" and view["qdiscs"]["spine0"]["rate_bit"] == 400 * 10**9
    assert view["routes"] == {}
    assert view["links"]["server0"] == {"kind": "veth", "mtu": 9000, "up": True}


def test_commands_are_the_equivalent_ip_and_tc_lines():
    lines = stage.render(rail_plan("f1", servers=1, rails=1, spines=1, uplink_qdisc="tbf", delay_us=5))
    assert lines[:2] == ["ip netns add f1-server0", "ip -n f1-server0 link set lo up alias aifabric-fabric:f1"]
    assert "ip -n f1-server0 link add rail0 mtu 9000 up type veth peer name server0 mtu 9000 netns f1-rail0" in lines
    assert "ip -n f1-rail0 link set server0 up" in lines
    assert "tc -n f1-server0 qdisc add dev rail0 root handle 1: htb default 1 r2q 10" in lines
    assert "tc -n f1-server0 class add dev rail0 parent 1: classid 1:1 htb rate 10000000000bit burst 100000b " \
           "cburst 100000b quantum 200000" in lines
    assert "tc -n f1-server0 qdisc add dev rail0 parent 1:1 handle 10: netem delay 5us limit 10000" in lines
    assert "tc -n f1-rail0 qdisc add dev spine0 root handle 1: tbf rate 400000000000bit burst 100000b " \
           "limit 50100000b" in lines
    assert "ip -n f1-server0 route add 10.0.0.0/8 via 10.0.0.0 dev rail0 proto static" in lines
    two = stage.render(rail_plan("f1", servers=1, rails=2, spines=1))
    assert "ip -n f1-server0 route add 10.0.0.0/8 proto static nexthop via 10.0.0.0 dev rail0 " \
           "nexthop via 10.1.0.0 dev rail1" in two
    vx = stage.render_op({"op": "vxlan", "ns": stage.HOST, "target": "f1-s", "name": "spine0", "mtu": 8950,
                          "vni": 7, "port": 4789, "local": "192.0.2.1", "remote": "192.0.2.2", "underlay_dev": "eth1"})
    assert vx == "ip link add spine0 mtu 8950 up netns f1-s type vxlan id 7 remote 192.0.2.2 local 192.0.2.1 " \
                 "dev eth1 dstport 4789"


@pytest.mark.parametrize("change, field", [
    (lambda p: p.update(fabric="F1"), "fabric"),
    (lambda p: p["namespaces"][0].update(name="other-server0"), "namespaces[0].name"),
    (lambda p: p["namespaces"].append(dict(p["namespaces"][0])), "namespaces[3].name"),
    (lambda p: p["namespaces"][0]["links"][0].update(kind="macvlan"), "namespaces[0].links[0].kind"),
    (lambda p: p["namespaces"][0]["links"][0]["peer"].update(netns="f1-nope"), "namespaces[0].links[0].peer.netns"),
    (lambda p: p["namespaces"][0]["addresses"][0].update(cidr="10.0.0.300/31"), "namespaces[0].addresses[0].cidr"),
    (lambda p: p["namespaces"][0]["routes"][0]["nexthops"][0].update(ifname="x"),
     "namespaces[0].routes[0].nexthops[0].ifname"),
    (lambda p: p["namespaces"][0]["shaping"][0].update(qdisc="cake"), "namespaces[0].shaping[0].qdisc"),
    (lambda p: p["namespaces"][0]["shaping"][0].update(handle="2:"), "namespaces[0].shaping[0].handle"),
    (lambda p: p["namespaces"][0]["shaping"][0].update(rate_bit=0), "namespaces[0].shaping[0].rate_bit"),
    (lambda p: p["namespaces"][1]["masters"].update(server0="br9"), "namespaces[1].masters.server0"),
    (lambda p: p["namespaces"][0]["netem"].append({"ifname": "rail0", "delay_us": 5, "parent": "root"}),
     "namespaces[0].netem[0].parent"),
])
def test_bad_plans_name_their_field(change, field):
    plan = rail_plan("f1", servers=1, rails=1, spines=1)
    change(plan)
    with pytest.raises(errors.ValidationError) as err:
        stage.build_wants(plan, "localhost")
    assert err.value.param == field


def test_only_this_hosts_namespaces_are_staged():
    plan = rail_plan("f1", servers=1, rails=1, spines=1)
    plan["namespaces"][2]["host"] = "other"
    _fabric, order, _w, _where = stage.build_wants(dict(plan, namespaces=plan["namespaces"][2:]), "localhost")
    assert order == []
    with pytest.raises(errors.ValidationError) as err:  # a veth to a namespace on another host cannot be
        stage.build_wants(plan, "localhost")
    assert err.value.param == "namespaces[1].links[0].peer.netns"


def test_preflight_names_the_link_class_of_a_delay_and_the_vlan_field(monkeypatch):
    from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core
    monkeypatch.setattr(core, "netem_available", lambda: False)
    plan = rail_plan("f1", servers=1, rails=1, spines=1, delay_us=5)
    ops = stage.diff(wants(plan), {})
    with pytest.raises(errors.ValidationError) as err:
        stage.preflight(plan, ops)
    assert err.value.param == "links.server_leaf.delay" and "nothing was changed" in str(err.value)
    monkeypatch.setattr(stage, "vlan_available", lambda: False)
    plan = rail_plan("f1", servers=1, rails=1, spines=1, vlan_id=100)
    with pytest.raises(errors.ValidationError) as err:
        stage.preflight(plan, stage.diff(wants(plan), {}))
    assert err.value.param == "vlan" and "8021q" in str(err.value)
    stage.preflight(rail_plan("f1", servers=1, rails=1, spines=1), [])  # nothing needed: nothing asked


def test_vlans_come_after_every_other_link():
    ops = stage.diff(wants(rail_plan("f1", servers=1, rails=2, spines=1, vlan_id=100)), {})
    waves = [op["wave"] for op in ops if op["op"] in ("veth", "vlan")]
    assert waves == ["links"] * 4 + ["vlans"] * 2


def test_record_store_keeps_other_hosts(tmp_path):
    a = stage.record_store("f1", str(tmp_path))
    a.set_host("a", {"namespaces": ["f1-server0"]})
    a.save()
    b = stage.record_store("f1", str(tmp_path))
    b.set_host("b", {"namespaces": ["f1-rail0"]})
    b.save()
    both = stage.record_store("f1", str(tmp_path))
    assert both.host("a") == {"namespaces": ["f1-server0"]} and both.host("b") == {"namespaces": ["f1-rail0"]}
    both.set_host("a", None)
    both.set_host("b", None)
    both.save()
    assert not os.path.exists(both.path)


def test_one_run_per_fabric_at_a_time(tmp_path):
    import fcntl
    with stage.RunLock("f1", str(tmp_path)) as lock:
        probe = os.open(lock.path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(probe)
        lock.remove()  # a teardown's: the next run locks a new file
    with stage.RunLock("f1", str(tmp_path)) as again:
        assert os.path.exists(again.path)
