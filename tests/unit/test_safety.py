# -*- coding: utf-8 -*-
"""The management guard without a kernel: ancestry walk on a fake /proc, env parsing, namespaces, policy."""
import json
import os
import socket

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg as pyroute2_ifinfmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg as pyroute2_rtmsg

from ansible_collections.aifabric.emulation.plugins.module_utils import errors, safety
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, route

SSH = "10.0.0.9 53422 10.0.0.5 22"


class FakeProc:
    """A /proc tree: <root>/<pid>/{status,environ,ns/net}; ns/net links to a file per namespace."""

    def __init__(self, tmp_path):
        self.root = tmp_path / "proc"
        self.ns_dir = tmp_path / "ns"
        self.root.mkdir()
        self.ns_dir.mkdir()

    def ns(self, name):
        path = self.ns_dir / name
        if not path.exists():
            path.write_text(name)
        return str(path)

    def add(self, pid, ppid, env=None, ns="init", status=True):
        d = self.root / str(pid)
        (d / "ns").mkdir(parents=True)
        if status:
            (d / "status").write_text("Name:\tproc%d\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\nPid:\t%d\n"
                                      "PPid:\t%d\nTracerPid:\t0\n" % (pid, pid, pid, ppid))
        if env is not None:
            (d / "environ").write_bytes(b"".join(("%s=%s" % kv).encode() + b"\0" for kv in env.items()))
        os.symlink(self.ns(ns), str(d / "ns" / "net"))
        return self

    @property
    def path(self):
        return str(self.root)


def sudo_tree(tmp_path, leaf):
    """init <- sshd <- login shell (SSH) <- sudo (SSH) <- sh (env reset) <- leaf (env reset), all in "init"."""
    return (FakeProc(tmp_path)
            .add(1, 0, {"TERM": "linux"})
            .add(100, 1, {"PATH": "/usr/sbin"})
            .add(200, 100, {"SSH_CONNECTION": SSH, "USER": "u"})
            .add(300, 200, {"SSH_CONNECTION": SSH, "SUDO_COMMAND": "x"})
            .add(400, 300, {"SUDO_USER": "u"})
            .add(leaf, 400, {"SUDO_USER": "u"}))


# ---------------------------------------------------------------- ancestry --

def test_walk_finds_the_process_sshd_started_through_sudo(tmp_path):
    proc = sudo_tree(tmp_path, 500)
    assert safety.find_ssh_ancestor({"SUDO_USER": "u"}, pid=500, proc_root=proc.path) == (200, SSH)


def test_own_environment_comes_first_and_the_walk_keeps_the_topmost_with_that_value(tmp_path):
    proc = (FakeProc(tmp_path).add(1, 0, {}).add(100, 1, {})
            .add(200, 100, {"SSH_CONNECTION": SSH})
            .add(300, 200, {"SSH_CONNECTION": SSH})
            .add(500, 300, {"SSH_CONNECTION": "stale 1 2 3"}))  # our /proc environ differs from environ
    assert safety.find_ssh_ancestor({"SSH_CONNECTION": SSH}, pid=500, proc_root=proc.path) == (200, SSH)


def test_own_environment_alone(tmp_path):
    proc = FakeProc(tmp_path).add(1, 0, {}).add(500, 1, {})
    assert safety.find_ssh_ancestor({"SSH_CONNECTION": SSH}, pid=500, proc_root=proc.path) == (500, SSH)


def test_walk_stops_where_the_value_changes(tmp_path):
    """A nested login: the outer session's value above the inner one is not ours."""
    inner = "10.1.1.1 999 10.1.1.2 22"
    proc = (FakeProc(tmp_path).add(1, 0, {})
            .add(200, 1, {"SSH_CONNECTION": SSH})
            .add(300, 200, {"SSH_CONNECTION": inner})
            .add(500, 300, {}))
    assert safety.find_ssh_ancestor({}, pid=500, proc_root=proc.path) == (300, inner)


def test_no_ssh_anywhere(tmp_path):
    proc = FakeProc(tmp_path).add(1, 0, {"HOME": "/"}).add(400, 1, {}).add(500, 400, {})
    assert safety.find_ssh_ancestor({}, pid=500, proc_root=proc.path) is None


def test_walk_survives_unreadable_and_vanished_processes(tmp_path):
    proc = (FakeProc(tmp_path).add(1, 0, {"SSH_CONNECTION": SSH})
            .add(300, 1, None)  # environ unreadable: counts as no variable
            .add(500, 300, {}))
    assert safety.find_ssh_ancestor({}, pid=500, proc_root=proc.path) == (1, SSH)
    (tmp_path / "other").mkdir()
    proc2 = FakeProc(tmp_path / "other").add(500, 77, {})  # parent 77 is gone
    assert safety.find_ssh_ancestor({}, pid=500, proc_root=proc2.path) is None


def test_walk_terminates_on_a_parent_loop(tmp_path):
    proc = FakeProc(tmp_path).add(600, 700, {}).add(700, 600, {}).add(500, 600, {})
    assert safety.find_ssh_ancestor({}, pid=500, proc_root=proc.path) is None


def test_connection_records_the_ancestors_namespace_not_ours(tmp_path):
    proc = (FakeProc(tmp_path).add(1, 0, {}, ns="init")
            .add(200, 1, {"SSH_CONNECTION": SSH}, ns="mgmt")
            .add(500, 200, {}, ns="lab"))  # e.g. `ip netns exec lab ...` below the login shell
    conn = safety.find_connection({}, pid=500, proc_root=proc.path)
    assert conn.traced and conn.pid == 200
    assert conn.netns == safety.namespace_id(proc.ns("mgmt")) != safety.namespace_id(proc.ns("lab"))
    assert (conn.peer, conn.peer_port, conn.local, conn.local_port) == ("10.0.0.9", 53422, "10.0.0.5", 22)


def test_connection_from_the_controller_when_there_is_no_ancestry(tmp_path):
    proc = FakeProc(tmp_path).add(1, 0, {}).add(500, 1, {}, ns="lab")
    env = {"AIFABRIC_CONNECTION": json.dumps({"connection": "ansible.builtin.ssh", "host": "10.0.0.5", "port": 2222})}
    conn = safety.find_connection(env, pid=500, proc_root=proc.path)
    assert not conn.traced and conn.kind == "ssh"
    assert (conn.local, conn.local_port, conn.peer) == ("10.0.0.5", 2222, None)
    assert conn.netns == safety.namespace_id(proc.ns("lab"))
    assert "10.0.0.5:2222" in conn.describe() and "controller" in conn.describe()


@pytest.mark.parametrize("env", [
    {},
    {"AIFABRIC_CONNECTION": json.dumps({"connection": "local", "host": "localhost", "port": None})},
    {"AIFABRIC_CONNECTION": json.dumps({"connection": "community.docker.docker", "host": "c1", "port": None})},
    {"AIFABRIC_CONNECTION": "not json"},
])
def test_no_connection_to_protect(tmp_path, env):
    proc = FakeProc(tmp_path).add(1, 0, {}).add(500, 1, {})
    assert safety.find_connection(env, pid=500, proc_root=proc.path) is None


def test_ssh_ancestry_counts_even_when_the_controller_says_local(tmp_path):
    """ansible-playbook run on a host one is logged into over SSH: that session is still cut."""
    proc = sudo_tree(tmp_path, 500)
    env = {"AIFABRIC_CONNECTION": json.dumps({"connection": "local", "host": "localhost", "port": None})}
    conn = safety.find_connection(env, pid=500, proc_root=proc.path)
    assert conn.traced and conn.local == "10.0.0.5"


# ----------------------------------------------------------------- parsing --

@pytest.mark.parametrize("value, expected", [
    (SSH, {"peer": "10.0.0.9", "peer_port": 53422, "local": "10.0.0.5", "local_port": 22, "zone": None}),
    ("fd00:0:0::9 40000 FD00::5 2222",
     {"peer": "fd00::9", "peer_port": 40000, "local": "fd00::5", "local_port": 2222, "zone": None}),
    ("::ffff:192.0.2.7 40000 ::ffff:192.0.2.1 22",
     {"peer": "192.0.2.7", "peer_port": 40000, "local": "192.0.2.1", "local_port": 22, "zone": None}),
    ("fe80::9%eth0 40000 fe80::5%eth0 22",
     {"peer": "fe80::9", "peer_port": 40000, "local": "fe80::5", "local_port": 22, "zone": "eth0"}),
])
def test_parse_ssh_connection(value, expected):
    assert safety.parse_ssh_connection(value) == expected


@pytest.mark.parametrize("value", ["", None, "10.0.0.9 53422 10.0.0.5", "10.0.0.9 x 10.0.0.5 22",
                                   "host.example 1 10.0.0.5 22", "10.0.0.9 1 10.0.0.5 22 extra"])
def test_parse_ssh_connection_rejects(value):
    assert safety.parse_ssh_connection(value) is None


@pytest.mark.parametrize("value, expected", [
    ('{"connection": "ssh", "host": "10.0.0.5", "port": 22}',
     {"connection": "ssh", "host": "10.0.0.5", "port": 22, "remote": True}),
    ('{"connection": "ansible.builtin.paramiko_ssh", "host": "h1", "port": null}',
     {"connection": "paramiko_ssh", "host": "h1", "port": None, "remote": True}),
    ('{"connection": "ansible.builtin.local", "host": "localhost"}',
     {"connection": "local", "host": "localhost", "port": None, "remote": False}),
    ('{"connection": "containers.podman.podman", "host": "c", "port": "22"}',
     {"connection": "podman", "host": "c", "port": None, "remote": False}),
    ('{"connection": "some.vendor.transport", "host": "", "port": true}',
     {"connection": "transport", "host": None, "port": None, "remote": True}),
])
def test_parse_controller(value, expected):
    assert safety.parse_controller(value) == expected


@pytest.mark.parametrize("value", ["", None, "{", "[]", '{"host": "10.0.0.5"}', '{"connection": ""}',
                                   '{"connection": 3}'])
def test_parse_controller_rejects(value):
    assert safety.parse_controller(value) is None


# ------------------------------------------------------------------ policy --

class FakeKernelGuard(safety.Guard):
    """A Guard whose kernel answers come from a table; records which questions were asked."""

    def __init__(self, proc, netns_file, environ, kernel):
        safety.Guard.__init__(self, None, netns_file, environ)
        self.proc_root = proc.path
        self.kernel = kernel
        self.asked = []

    def addresses(self):
        self.asked.append("addresses")
        return self.kernel.get("addresses", [])

    def route(self, dst, src=None, oif=None):
        self.asked.append(("route", dst, src))
        return self.kernel.get("routes", {}).get((dst, src))

    def links(self):
        self.asked.append("links")
        return self.kernel.get("links", [])

    def default_route_ifindexes(self):
        self.asked.append("default")
        return set(self.kernel.get("default", ()))

    def ifindex(self, name):
        return dict((l["name"], l["index"]) for l in self.kernel.get("links", [])).get(name)


def link(index, name, kind=None, lower=None, master=None, netnsid=None):
    return {"index": index, "name": name, "kind": kind, "link": lower, "master": master, "netnsid": netnsid}


def hop(oif, gateway=None):
    return {"oif": oif, "gateway": gateway, "family": socket.AF_INET, "type": 1, "scope": 0, "table": 254,
            "dst": None, "prefsrc": None}


# ifindex 2 eth0 (bond port), 3 eth1 (bond port), 4 bond0, 5 bond0.100 holds 10.0.0.5,
# 6 lab0 routes to 10.0.0.9, 7 lab1 has the default route, 8 mv0 macvlan on lab1
KERNEL = {
    "addresses": [(1, "127.0.0.1"), (5, "10.0.0.5"), (6, "10.6.0.1"), (7, "10.7.0.1"), (8, "10.8.0.1")],
    "routes": {("10.0.0.9", "10.0.0.5"): hop(6, "10.6.0.254")},
    "default": [7],
    "links": [link(1, "lo"), link(2, "eth0", master=4), link(3, "eth1", master=4), link(4, "bond0", "bond"),
              link(5, "bond0.100", "vlan", lower=4), link(6, "lab0", "veth", lower=9, netnsid=0),
              link(7, "lab1"), link(8, "mv0", "macvlan", lower=7)],
}


def guard_for(tmp_path, target_ns="init", conn_ns="init", env=None, kernel=None, ancestry=True):
    kernel = KERNEL if kernel is None else kernel
    proc = FakeProc(tmp_path).add(1, 0, {}).add(100, 1, {})
    proc.add(200, 100, {"SSH_CONNECTION": SSH} if ancestry else {}, ns=conn_ns)
    proc.add(os.getpid(), 200, {}, ns=conn_ns)
    return FakeKernelGuard(proc, proc.ns(target_ns), {} if env is None else env, kernel)


def test_same_namespace_address_route_and_the_devices_below(tmp_path):
    found = guard_for(tmp_path).interfaces()
    assert sorted(found) == [2, 3, 4, 5, 6]
    assert found[5].startswith("holds 10.0.0.5, the address Ansible connected to")
    assert "route to 10.0.0.9 via 10.6.0.254" in found[6]
    assert "lower device of bond0.100" in found[4]
    assert "port of bond0" in found[2] and "port of bond0" in found[3]
    assert all(why.endswith("(ssh 10.0.0.9:53422 -> 10.0.0.5:22)") for why in found.values())


def test_other_namespace_guards_nothing_and_asks_the_kernel_nothing(tmp_path):
    g = guard_for(tmp_path, target_ns="lab", conn_ns="init")
    assert g.interfaces() == {}
    assert g.asked == []


def test_namespace_comparison_is_by_inode_not_by_path(tmp_path):
    g = guard_for(tmp_path, target_ns="init", conn_ns="init")
    other_path = str(tmp_path / "bind-of-init")
    os.link(g.netns, other_path)  # another name for the same inode, like /run/netns/<name>
    g.netns = other_path
    assert 5 in g.interfaces()


def test_the_route_is_asked_from_the_local_address_then_without(tmp_path):
    kernel = dict(KERNEL, routes={("10.0.0.9", None): hop(7)})  # e.g. the kernel refuses the source
    g = guard_for(tmp_path, kernel=kernel)
    found = g.interfaces()
    assert g.asked[:3] == ["addresses", ("route", "10.0.0.9", "10.0.0.5"), ("route", "10.0.0.9", None)]
    assert "route to 10.0.0.9, the other end" in found[7] and 8 not in found  # mv0 sits above lab1, not below
    assert "default" not in g.asked  # peer known and found: no fallback


def test_nothing_found_for_a_known_connection_falls_back_to_default_routes(tmp_path):
    kernel = dict(KERNEL, addresses=[(1, "127.0.0.1")], routes={})
    found = guard_for(tmp_path, kernel=kernel).interfaces()
    assert sorted(found) == [7]
    assert "default route" in found[7]


def test_controller_only_address_plus_default_route_fallback(tmp_path):
    env = {"AIFABRIC_CONNECTION": json.dumps({"connection": "ssh", "host": "10.0.0.5", "port": 22})}
    found = guard_for(tmp_path, env=env, ancestry=False).interfaces()
    assert sorted(found) == [2, 3, 4, 5, 7]
    assert found[5].startswith("holds 10.0.0.5") and "default route" in found[7]
    assert "as the controller reports" in found[5]


def test_controller_hostname_falls_back_to_default_routes(tmp_path):
    env = {"AIFABRIC_CONNECTION": json.dumps({"connection": "ssh", "host": "node1.example", "port": None})}
    g = guard_for(tmp_path, env=env, ancestry=False)
    assert sorted(g.interfaces()) == [7]


@pytest.mark.parametrize("env", [{}, {"AIFABRIC_CONNECTION": json.dumps({"connection": "local", "host": "x"})}])
def test_local_without_ancestry_guards_nothing_despite_a_default_route(tmp_path, env):
    g = guard_for(tmp_path, env=env, ancestry=False)
    assert g.interfaces() == {}
    assert g.asked == []


def test_check_names_field_interface_reason_and_the_way_out(tmp_path):
    g = guard_for(tmp_path)
    with pytest.raises(errors.ModuleError) as err:
        g.check([(7, "config[0].interface", "add a netem qdisc on its egress"),
                 (5, "config[1].interface", "add a netem qdisc on its egress")])
    e = err.value
    assert e.param == "config[1].interface"
    assert e.message.startswith("bond0.100 carries the Ansible connection: it holds 10.0.0.5")
    assert e.message.endswith("set allow_management: true to add a netem qdisc on its egress anyway")
    assert str(e).startswith("config[1].interface: bond0.100")


def test_check_is_lazy_and_allow_overrides(tmp_path):
    g = guard_for(tmp_path)
    g.check([])
    g.check(iter([]))
    g.check([(5, "interface", "delete it")], allow=True)
    assert g.asked == []
    g.check(iter([(7, "interface", "delete it")]))  # lab1 does not carry it
    assert "addresses" in g.asked


def test_compatibility_wrapper_returns_the_guards_indexes(tmp_path, monkeypatch):
    calls = []

    class Stub(safety.Guard):
        def interfaces(self):
            calls.append((self.session, self.netns))
            return {4: "x", 9: "y"}

    monkeypatch.setattr(safety, "Guard", Stub)
    assert safety.management_ifindexes("S") == {4, 9}
    assert calls == [("S", None)]


def test_zone_names_the_interface_of_a_link_local_connection(tmp_path):
    proc = FakeProc(tmp_path).add(1, 0, {}).add(os.getpid(), 1, {})
    kernel = dict(KERNEL, addresses=[], routes={})
    g = FakeKernelGuard(proc, proc.ns("init"), {"SSH_CONNECTION": "fe80::9%lab1 5 fe80::5%lab1 22"}, kernel)
    found = g.interfaces()
    assert sorted(found) == [7]
    assert "%lab1" in found[7] and "default route" not in found[7]


# ------------------------------------------------------------------- codec --

def test_route_request_decodes_with_pyroute2():
    msg_type, flags, body = route.get_route_request("10.0.0.9", "10.0.0.5", oif=6)
    assert (msg_type, flags) == (route.RTM_GETROUTE, 0)
    m = pyroute2_rtmsg(nla.message(msg_type, nla.NLM_F_REQUEST, 3, body))
    m.decode()
    assert (m["family"], m["dst_len"], m["src_len"]) == (socket.AF_INET, 32, 32)
    assert m.get_attr("RTA_DST") == "10.0.0.9" and m.get_attr("RTA_SRC") == "10.0.0.5"
    assert m.get_attr("RTA_OIF") == 6
    _t, _f, body6 = route.get_route_request("fd00::9")
    m6 = pyroute2_rtmsg(nla.message(msg_type, nla.NLM_F_REQUEST, 4, body6))
    m6.decode()
    assert (m6["family"], m6["dst_len"], m6["src_len"]) == (socket.AF_INET6, 128, 0)
    assert m6.get_attr("RTA_DST") == "fd00::9" and m6.get_attr("RTA_SRC") is None
    with pytest.raises(ValueError):
        route.get_route_request("10.0.0.9", "fd00::5")


def test_parse_route_of_a_pyroute2_reply():
    m = pyroute2_rtmsg()
    m["family"], m["dst_len"], m["table"], m["type"], m["scope"] = socket.AF_INET, 32, 254, 1, 0
    m["attrs"] = [("RTA_TABLE", 1000), ("RTA_DST", "10.0.0.9"), ("RTA_OIF", 7), ("RTA_PREFSRC", "10.6.0.1"),
                  ("RTA_GATEWAY", "10.6.0.254")]
    m.encode()
    parsed = route.parse_route(bytes(m.data[16:]))
    assert parsed == {"family": socket.AF_INET, "type": 1, "scope": 0, "table": 1000, "oif": 7,
                      "dst": "10.0.0.9", "gateway": "10.6.0.254", "prefsrc": "10.6.0.1"}


def test_parse_link_relation_of_a_pyroute2_message():
    m = pyroute2_ifinfmsg()
    m["index"] = 12
    m["attrs"] = [("IFLA_IFNAME", "bond0.100"), ("IFLA_MTU", 1500), ("IFLA_LINK", 4), ("IFLA_MASTER", 30),
                  ("IFLA_LINK_NETNSID", 2), ("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "vlan")]})]
    m.encode()
    assert route.parse_link_relation(bytes(m.data[16:])) == {
        "index": 12, "name": "bond0.100", "kind": "vlan", "link": 4, "netnsid": 2, "master": 30}
    bare = pyroute2_ifinfmsg()
    bare["index"] = 1
    bare["attrs"] = [("IFLA_IFNAME", "lo")]
    bare.encode()
    assert route.parse_link_relation(bytes(bare.data[16:])) == {
        "index": 1, "name": "lo", "kind": None, "link": None, "netnsid": None, "master": None}
