"""Fabric staging on the running kernel: stage, read back with iproute2, ping, converge by diff, tear down.

Every fabric here has a fresh name (k + 5 hex digits) and a private state
directory; the fixture's finalizer deletes every namespace with the fabric's
prefix (and any other it was given), whatever the test did.
"""
import json
import os
import re
import sys
import uuid

import pytest

from netlab import REPO, sh
from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.engine.resource import ApplyError
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import gather, stage
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import netns, tc

sys.path.insert(0, os.path.join(REPO, "tools"))
from bench_fabric_plan import rail_plan  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")


def _has_netem():
    from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core
    return core.netem_available()


HAS_NETEM = _has_netem()
HAS_8021Q = stage.vlan_available()


class Fab:
    """One test's fabric: a unique name, a private state directory, cleanup by prefix."""

    def __init__(self, state_dir):
        self.name = "k" + uuid.uuid4().hex[:5]
        self.state_dir = state_dir
        self.extra = []  # other namespaces a test made (underlays, foreign ones, a second fabric's prefix)

    def plan(self, **kw):
        kw.setdefault("servers", 3)
        return rail_plan(kw.pop("fabric", self.name), **kw)

    def converge(self, plan, **kw):
        kw.setdefault("state_dir", self.state_dir)
        return stage.converge(plan, **kw)

    def teardown(self, fabric=None, **kw):
        return stage.teardown(fabric or self.name, state_dir=self.state_dir, **kw)

    def record_path(self, fabric=None):
        return os.path.join(self.state_dir, "fabric", (fabric or self.name) + ".json")

    def namespaces(self, prefix=None):
        return netns.names((prefix or self.name) + "-")

    def leftovers(self, fabric=None):
        """Namespaces with the fabric's prefix, and any file of the fabric's in the state directory."""
        out = self.namespaces(fabric)
        folder = os.path.dirname(self.record_path(fabric))
        if os.path.isdir(folder):
            out += sorted(os.path.join(folder, f) for f in os.listdir(folder)
                          if f.startswith((fabric or self.name) + "."))
        return out

    def cleanup(self):
        names = self.namespaces() + [n for n in netns.names() if n in self.extra or
                                     any(n.startswith(p + "-") for p in self.extra)]
        netns.delete(sorted(set(names)))


@pytest.fixture
def fab(tmp_path):
    f = Fab(str(tmp_path))
    try:
        yield f
    finally:
        f.cleanup()


def ip_j(ns, *args):
    return json.loads(sh("ip -n %s -j %s" % (ns, " ".join(args))).stdout or "[]")


def tc_j(ns, *args):
    return json.loads(sh("tc -n %s -j %s" % (ns, " ".join(args))).stdout or "[]")


def root_links():
    return sorted((l["ifindex"], l["ifname"]) for l in json.loads(sh("ip -j link show").stdout))


def htb_class(ns, dev):
    """rate, ceil, burst, cburst, quantum of htb class 1:1 from `tc -d class show` (text: tc 6.1 has no JSON here)."""
    text = sh("tc -n %s -d class show dev %s classid 1:1" % (ns, dev)).stdout
    m = re.search(r"class htb 1:1 root (?:leaf \S+ )?prio 0 quantum (\d+) rate (\S+) ceil (\S+) "
                  r".*burst (\S+)/\d+ mpu 0b cburst (\S+)/", text)
    assert m, text
    return m.groups()


def ping(ns, dst, dev=None, count=2):
    res = sh("ip netns exec %s ping -n -q -c %d -i 0.05 -W 2 %s %s" % (ns, count, "-I %s" % dev if dev else "", dst),
             check=False)
    assert res.returncode == 0, "ping %s from %s (%s): %s%s" % (dst, ns, dev, res.stdout, res.stderr)


def rx_packets(ns):
    return sum(l["stats64"]["rx"]["packets"] for l in ip_j(ns, "-s", "link", "show") if l["ifname"] != "lo")


def oracle(plan, ns):
    """What iproute2 reports in ns against what the plan's entry for ns asks for."""
    entry = [n for n in plan["namespaces"] if n["name"] == ns][0]
    links = dict((l["ifname"], l) for l in ip_j(ns, "-d", "link", "show"))
    assert links.pop("lo")["ifalias"] == "aifabric-fabric:" + plan["fabric"]
    wanted = dict((l["ifname"], l) for l in entry["links"])
    for other in plan["namespaces"]:
        for l in other["links"]:
            if l["kind"] == "veth" and l["peer"]["netns"] == ns:
                wanted[l["peer"]["ifname"]] = dict(l, ifname=l["peer"]["ifname"])
    assert sorted(links) == sorted(wanted)
    for name, l in wanted.items():
        got = links[name]
        assert got["linkinfo"]["info_kind"] == l["kind"], name
        assert got["mtu"] == l["mtu"] and "UP" in got["flags"], name
        if l["kind"] == "veth":
            assert "link_netnsid" in got, name
        assert got.get("master") == entry["masters"].get(name), name
    addrs = sorted("%s %s/%d" % (l["ifname"], a["local"], a["prefixlen"]) for l in ip_j(ns, "addr", "show")
                   for a in l.get("addr_info", []) if l["ifname"] != "lo")
    assert addrs == sorted("%s %s" % (a["ifname"], a["cidr"]) for a in entry["addresses"])
    routes = {}
    for r in ip_j(ns, "route", "show"):
        if r.get("protocol") == "kernel":
            continue
        assert r["protocol"] == "static"
        hops = r.get("nexthops") or [{"gateway": r.get("gateway"), "dev": r["dev"]}]
        routes[r["dst"]] = sorted((h.get("gateway"), h["dev"]) for h in hops)
    assert routes == dict((r["dst"], sorted((h["via"], h["ifname"]) for h in r["nexthops"])) for r in entry["routes"])
    qdiscs = dict((q["dev"], q) for q in tc_j(ns, "qdisc", "show") if q.get("root") and q["dev"] != "lo")
    for s in entry["shaping"]:
        q = qdiscs[s["ifname"]]
        assert q["kind"] == s["qdisc"] and q["handle"] == "1:", q
        if s["qdisc"] == "htb":
            assert q["options"]["default"] == "0x1"
            quantum, rate, ceil, burst, cburst = htb_class(ns, s["ifname"])
            # tc prints a burst from its time in whole microseconds: 100000 bytes at 400 Gbit/s shows as 50000b
            shown = tc.calc_xmitsize(s["rate_bit"] // 8, tc.htb_buffer(s["rate_bit"] // 8, s["burst_bytes"]))
            assert rate == ceil == _tc_rate(s["rate_bit"]) and burst == cburst == "%db" % shown
            assert int(quantum) == (s.get("quantum_bytes") or min(max(s["rate_bit"] // 8 // 10, 1000), 200000))
        else:
            assert q["options"]["rate"] == s["rate_bit"] // 8
    for n in entry.get("netem") or []:
        q = qdiscs[n["ifname"]] if n.get("parent", "root") == "root" else [
            q for q in tc_j(ns, "qdisc", "show", "dev", n["ifname"]) if q.get("parent") == "1:1"][0]
        assert q["kind"] == "netem" and q["handle"] == "10:", q
    for dev in set(qdiscs) - set(s["ifname"] for s in entry["shaping"]) - set(n["ifname"] for n in entry["netem"]):
        assert qdiscs[dev]["handle"] == "0:", "a qdisc the plan does not ask for on %s: %s" % (dev, qdiscs[dev])
    sysctls = dict(l.split(" = ") for l in sh("ip netns exec %s sysctl %s" % (ns, " ".join(entry["sysctls"])))
                   .stdout.splitlines())
    assert sysctls == entry["sysctls"]


def _tc_rate(bits):
    for unit, size in (("Gbit", 10**9), ("Mbit", 10**6), ("Kbit", 10**3)):
        if bits >= size and bits % size == 0:
            return "%d%s" % (bits // size, unit)
    return "%dbit" % bits


def snapshot(ns):
    """Link ifindexes and root qdisc handles of ns: what 'untouched' means."""
    links = sorted((l["ifname"], l["ifindex"]) for l in ip_j(ns, "link", "show"))
    qdiscs = sorted((q["dev"], q["kind"], q["handle"]) for q in tc_j(ns, "qdisc", "show"))
    return links, qdiscs


# ------------------------------------------------------------ staging --


def test_l3_stage_reads_back_pings_across_rails_and_spines_and_restages_as_a_noop(fab):
    plan = fab.plan(servers=3, rails=2, spines=2, uplink_qdisc="tbf")
    before_root = root_links()
    res = fab.converge(plan)
    assert res["changed"] and res["created"]["namespaces"] == 7 and res["rollback"] is None
    assert res["created"]["links"] == 3 * 2 + 2 * 2 and res["created"]["routes"] == 3 * 3 + 2 + 4
    assert sorted(fab.namespaces()) == sorted(n["name"] for n in plan["namespaces"])
    for entry in plan["namespaces"]:
        oracle(plan, entry["name"])
    assert root_links() == before_root  # nothing made in the initial namespace
    name = fab.name
    ping("%s-server0" % name, "10.0.0.3")  # same rail, through rail0's leaf
    spines = ["%s-spine0" % name, "%s-spine1" % name]
    seen = sum(rx_packets(s) for s in spines)
    ping("%s-server0" % name, "10.1.0.3", dev="rail0", count=4)  # rail 0 to rail 1: only the spines join them
    assert sum(rx_packets(s) for s in spines) >= seen + 4
    with open(fab.record_path()) as f:
        record = json.load(f)["localhost"]
    assert record["namespaces"] == [n["name"] for n in plan["namespaces"]] and record["spec_hash"] == plan["spec_hash"]
    assert "staging" not in record
    assert res["after"]["%s-server0" % name]["qdiscs"]["rail0"] == {
        "qdisc": "htb", "rate_bit": 10**10, "burst_bytes": 100000}

    again = fab.converge(plan)
    assert not again["changed"] and again["requests"] == 0 and again["commands"] == []
    assert all(v == 0 for k in ("created", "removed", "modified") for v in again[k].values())
    assert again["after"] == again["before"] == res["after"]


def test_l2_stage_bridges_and_pings_through_leaf_and_spine(fab):
    plan = fab.plan(servers=3, rails=2, mode="l2")
    res = fab.converge(plan)
    assert res["created"]["namespaces"] == 3 + 2 + 1
    for entry in plan["namespaces"]:
        oracle(plan, entry["name"])
    name = fab.name
    ping("%s-server1" % name, "10.0.0.1", dev="rail0")  # rail 0's bridge
    seen = rx_packets("%s-spine0" % name)
    ping("%s-server1" % name, "10.0.0.1", dev="rail1", count=3)  # rail 1's leaf, the spine, rail 0's leaf
    assert rx_packets("%s-spine0" % name) >= seen + 3
    assert not fab.converge(plan)["changed"]


def test_check_mode_predicts_and_changes_nothing(fab):
    plan = fab.plan(servers=2)
    res = fab.converge(plan, check_mode=True)
    assert res["changed"] and res["requests"] == 0 and res["created"]["namespaces"] == 6
    assert fab.leftovers() == []
    real = fab.converge(plan)
    assert real["after"] == res["after"]
    veth = "ip -n %s-server0 link add rail0 mtu 9000 up type veth" % fab.name
    assert any(c.startswith(veth) for c in real["commands"])


def test_gather_and_rendered(fab):
    plan = fab.plan(servers=2)
    staged = fab.converge(plan)
    got = stage.gather(fab.name, state_dir=fab.state_dir)
    assert got["namespaces"] == staged["after"] and got["record"]["spec_hash"] == plan["spec_hash"]
    lines = stage.converge(plan, state="rendered")["commands"]
    assert lines[0] == "ip netns add %s-server0" % fab.name
    assert "tc -n %s-server0 qdisc add dev rail0 root handle 1: htb default 1 r2q 10" % fab.name in lines


# ----------------------------------------------------- diff, removal --


def test_adding_a_server_touches_only_that_server_and_removing_it_deletes_its_namespace(fab):
    name = fab.name
    small = fab.plan(servers=3)
    fab.converge(small)
    others = [n["name"] for n in small["namespaces"]]
    snaps = dict((ns, snapshot(ns)) for ns in others)
    big = fab.plan(servers=4)
    res = fab.converge(big)
    new, leaves = "%s-server3" % name, ["%s-rail0" % name, "%s-rail1" % name]
    assert res["touched"] == sorted([new] + leaves)
    assert res["created"] == {"namespaces": 1, "links": 2, "addresses": 4, "routes": 3, "qdiscs": 4, "classes": 4,
                              "sysctls": 0}
    assert all(v == 0 for v in res["removed"].values()) and all(v == 0 for v in res["modified"].values())
    for ns in others:
        links, qdiscs = snapshot(ns)
        old_links, old_qdiscs = snaps[ns]
        if ns in leaves:  # the new port, and nothing else
            assert [l for l in links if l[0] != "server3"] == old_links
            assert [q for q in qdiscs if q[0] != "server3"] == old_qdiscs
        else:
            assert (links, qdiscs) == (old_links, old_qdiscs), ns
    for entry in big["namespaces"]:
        oracle(big, entry["name"])
    ping(new, "10.0.0.1")
    assert set(res["after"]) == set(n["name"] for n in big["namespaces"])

    shrunk = fab.converge(small)
    assert shrunk["removed"]["namespaces"] == 1 and shrunk["removed"]["links"] == 2
    assert new not in netns.names(name) and new in shrunk["before"] and new not in shrunk["after"]
    for ns in others:
        assert snapshot(ns) == snaps[ns], ns  # the leaves' ends of server3's links went with the run
    with open(fab.record_path()) as f:
        assert json.load(f)["localhost"]["namespaces"] == others


def test_a_changed_link_rate_converges_in_place(fab):
    plan = fab.plan(servers=2)
    fab.converge(plan)
    ns = "%s-rail0" % fab.name
    links = snapshot(ns)[0]
    for entry in plan["namespaces"]:
        if entry["name"] == ns:
            for s in entry["shaping"]:
                if s["ifname"] == "server1":
                    s["rate_bit"] = 25 * 10**9
    res = fab.converge(plan)
    assert res["touched"] == [ns] and res["modified"]["classes"] == 1 and res["requests"] == 1
    assert htb_class(ns, "server1")[1] == "25Gbit" and snapshot(ns)[0] == links


# --------------------------------------------------------- teardown --


def test_teardown_leaves_nothing_and_spares_foreign_namespaces_and_a_second_fabric(fab):
    other = "k" + uuid.uuid4().hex[:5]
    fab.extra.append(other)
    before_root = root_links()
    fab.converge(fab.plan(servers=2))
    fab.converge(fab.plan(servers=2, fabric=other))
    foreign = ["%s-foreign" % fab.name, "%s-server9" % fab.name]  # our prefix, not our mark
    for n in foreign:
        sh("ip netns add %s" % n)
    res = fab.teardown()
    assert res["removed"]["namespaces"] == 6 and res["kept"] == [] and not res["errors"]
    assert fab.namespaces() == sorted(foreign) and not os.path.exists(fab.record_path())
    assert len(fab.namespaces(other)) == 6 and os.path.exists(fab.record_path(other))
    assert root_links() == before_root
    assert not fab.teardown()["changed"]  # again: nothing of ours is left
    # without a record, teardown looks for <fabric>-* and deletes only what carries the mark
    os.unlink(fab.record_path(other))
    sh("ip netns add %s-stray" % other)
    res = fab.teardown(other)
    assert res["removed"]["namespaces"] == 6 and res["kept"] == ["%s-stray" % other]
    assert fab.namespaces(other) == ["%s-stray" % other]


def test_teardown_of_1024_endpoints_by_namespace(fab):
    """128 servers x 8 rails, 4 spines, every link shaped: staged, then torn down whole (the benchmark's case)."""
    plan = fab.plan(servers=128, rails=8, spines=4)
    res = fab.converge(plan, commands=False)
    assert res["created"]["namespaces"] == 140 and len(fab.namespaces()) == 140
    assert not fab.converge(plan, commands=False)["changed"]
    fab.teardown()
    assert fab.leftovers() == []


# --------------------------------------------------- failure, rollback --


@pytest.mark.parametrize("wave", ["namespaces", "links", "set", "addresses", "routes", "qdiscs", "classes",
                                  "delete-namespaces"])
def test_injected_failure_on_a_new_fabric_leaves_nothing(fab, wave):
    before_root = root_links()
    with pytest.raises(ApplyError) as err:
        fab.converge(fab.plan(servers=2), fail_at=wave)
    report = err.value.rollback
    assert report.complete and "injected failure after wave %s" % wave in err.value.message, err.value.message
    assert sorted(report.restored) == sorted("netns:%s" % n["name"] for n in fab.plan(servers=2)["namespaces"])
    assert fab.leftovers() == [] and root_links() == before_root


@pytest.mark.parametrize("wave", ["links", "addresses", "classes"])
def test_injected_failure_while_growing_restores_the_existing_namespaces(fab, wave):
    small = fab.plan(servers=2)
    fab.converge(small)
    snaps = dict((n["name"], snapshot(n["name"])) for n in small["namespaces"])
    with open(fab.record_path()) as f:
        record = f.read()
    with pytest.raises(ApplyError) as err:
        fab.converge(fab.plan(servers=3), fail_at=wave)
    assert err.value.rollback.complete, err.value.message
    assert "%s-rail0:link/server2" % fab.name in err.value.rollback.restored
    assert dict((ns, snapshot(ns)) for ns in snaps) == snaps
    assert sorted(fab.namespaces()) == sorted(snaps)
    with open(fab.record_path()) as f:
        assert f.read() == record
    for entry in small["namespaces"]:
        oracle(small, entry["name"])


def _break_a_route(plan, ns_name):
    for entry in plan["namespaces"]:
        if entry["name"] == ns_name:
            entry["routes"].append({"dst": "192.0.2.0/24", "nexthops": [{"via": "198.51.100.1", "ifname": "rail0"}]})


def test_a_kernel_refusal_halfway_rolls_back_what_the_run_made(fab):
    plan = fab.plan(servers=2)
    _break_a_route(plan, "%s-server1" % fab.name)  # a gateway on no connected subnet: the kernel refuses it
    with pytest.raises(ApplyError) as err:
        fab.converge(plan)
    assert "route add 192.0.2.0/24 via 198.51.100.1 dev rail0" in err.value.message
    assert "invalid gateway" in err.value.message and err.value.rollback.complete
    assert fab.leftovers() == []

    small = fab.plan(servers=2)
    fab.converge(small)
    snaps = dict((n["name"], snapshot(n["name"])) for n in small["namespaces"])
    big = fab.plan(servers=3)
    _break_a_route(big, "%s-server2" % fab.name)
    with pytest.raises(ApplyError) as err:
        fab.converge(big)
    assert err.value.rollback.complete
    assert dict((ns, snapshot(ns)) for ns in snaps) == snaps and sorted(fab.namespaces()) == sorted(snaps)


# --------------------------------------------------------- bad input --


@pytest.mark.skipif(HAS_NETEM, reason="this kernel has netem; the lab tier covers link delay")
def test_link_delay_without_netem_names_the_field_and_changes_nothing(fab):
    with pytest.raises(errors.ValidationError) as err:
        fab.converge(fab.plan(servers=2, delay_us=5))
    assert err.value.param == "links.server_leaf.delay" and "netem" in str(err.value)
    assert fab.leftovers() == []


@pytest.mark.skipif(HAS_8021Q, reason="this kernel has 8021q; the lab tier covers VLANs")
def test_vlan_per_rail_without_8021q_names_the_field_and_changes_nothing(fab):
    with pytest.raises(errors.ValidationError) as err:
        fab.converge(fab.plan(servers=2, vlan_id=100))
    assert err.value.param == "vlan" and "8021q" in str(err.value)
    assert fab.leftovers() == []


def test_a_clashing_namespace_is_refused_and_left_alone(fab):
    name = fab.name
    sh("ip netns add %s-rail1" % name)  # someone else's, with our name
    sh("ip -n %s-rail1 link add keepme type bridge" % name)
    plan = fab.plan(servers=2)
    with pytest.raises(errors.ValidationError) as err:
        fab.converge(plan)
    assert err.value.param == "namespaces[3]" and "%s-rail1" % name in str(err.value)
    assert "not made by a fabric" in str(err.value)
    assert fab.namespaces() == ["%s-rail1" % name] and not os.path.exists(fab.record_path())
    assert [l["ifname"] for l in ip_j("%s-rail1" % name, "link", "show")] == ["lo", "keepme"]

    other = "k" + uuid.uuid4().hex[:5]  # a namespace another fabric marked
    fab.extra.append(other)
    sh("ip netns del %s-rail1" % name)
    mine = fab.plan(servers=2)
    fab.converge(mine)
    theirs = fab.plan(servers=2, fabric=other)
    theirs["namespaces"][0]["name"] = "%s-server0" % other
    sh("ip netns add %s-server0" % other)
    sh("ip -n %s-server0 link set lo alias aifabric-fabric:%s" % (other, name))
    with pytest.raises(errors.ValidationError) as err:
        fab.converge(theirs)
    assert "fabric %s's" % name in str(err.value) and err.value.param == "namespaces[0]"


def test_bad_plans_name_their_field():
    plan = rail_plan("kbad", servers=1)
    plan["namespaces"][0]["links"][0]["kind"] = "macvlan"
    with pytest.raises(errors.ValidationError) as err:
        stage.converge(plan, check_mode=True)
    assert err.value.param == "namespaces[0].links[0].kind"
    plan = rail_plan("kbad", servers=1)
    plan["namespaces"][0]["addresses"][0]["ifname"] = "nope0"
    with pytest.raises(errors.ValidationError) as err:
        stage.converge(plan, check_mode=True)
    assert err.value.param == "namespaces[0].addresses[0].ifname"
    with pytest.raises(errors.ValidationError) as err:
        stage.converge(dict(rail_plan("kbad", servers=1), fabric="Bad-Name"))
    assert err.value.param == "fabric"


# ----------------------------------------------------- VXLAN, 2 hosts --


def test_vxlan_between_two_emulated_hosts(fab):
    """Two host namespaces on one underlay; each host stages its half; traffic crosses the VXLAN."""
    name = fab.name
    ha, hb = name + "ha", name + "hb"
    fab.extra += [ha, hb]
    sh("ip netns add %s && ip netns add %s" % (ha, hb))
    sh("ip -n %s link add ul0 type veth peer ul0 netns %s" % (ha, hb))
    for ns, ip in ((ha, "192.0.2.1"), (hb, "192.0.2.2")):
        sh("ip -n %s addr add %s/24 dev ul0 && ip -n %s link set ul0 mtu 9000 up" % (ns, ip, ns))
    plan = {"fabric": name, "kind": "rail_optimized", "mode": "l3", "spec_hash": "sha256:vx",
            "links": [{"id": "server0~rail0", "class": "server_leaf", "ends": [
                {"netns": "%s-server0" % name, "ifname": "rail0"}, {"netns": "%s-rail0" % name, "ifname": "server0"}],
                "vxlan": {"vni": 10007, "port": 4789}}],
            "namespaces": [
                {"name": "%s-server0" % name, "host": "a", "sysctls": {}, "masters": {}, "netem": [],
                 "links": [{"ifname": "rail0", "kind": "vxlan", "mtu": 8950, "vni": 10007, "port": 4789,
                            "local": "192.0.2.1", "remote": "192.0.2.2", "underlay_dev": "ul0"}],
                 "addresses": [{"ifname": "rail0", "cidr": "10.9.0.1/31"}], "routes": [],
                 "shaping": [{"ifname": "rail0", "qdisc": "htb", "rate_bit": 10**9, "burst_bytes": 20000}]},
                {"name": "%s-rail0" % name, "host": "b", "sysctls": {}, "masters": {}, "netem": [], "shaping": [],
                 "links": [{"ifname": "server0", "kind": "vxlan", "mtu": 8950, "vni": 10007, "port": 4789,
                            "local": "192.0.2.2", "remote": "192.0.2.1", "underlay_dev": "ul0"}],
                 "addresses": [{"ifname": "server0", "cidr": "10.9.0.0/31"}], "routes": []}]}
    ra = fab.converge(plan, host="a", host_netns=ha)
    rb = fab.converge(plan, host="b", host_netns=hb)
    assert ra["touched"] == ["%s-server0" % name] and rb["touched"] == ["%s-rail0" % name]
    link = ip_j("%s-server0" % name, "-d", "link", "show", "rail0")[0]
    data = link["linkinfo"]["info_data"]
    assert link["linkinfo"]["info_kind"] == "vxlan" and link["mtu"] == 8950
    assert (data["id"], data["remote"], data["local"], data["port"]) == (10007, "192.0.2.2", "192.0.2.1", 4789)
    assert [l["ifname"] for l in ip_j(ha, "link", "show")] == ["lo", "ul0"]  # nothing left in the host's namespace
    ping("%s-server0" % name, "10.9.0.0")
    assert not fab.converge(plan, host="a", host_netns=ha)["changed"]
    for host in ("a", "b"):
        stage.teardown(name, host=host, state_dir=fab.state_dir)
    assert fab.leftovers() == []
    assert [l["ifname"] for l in ip_j(hb, "link", "show")] == ["lo", "ul0"]


def test_missing_vxlan_underlay_is_named(fab):
    plan = {"fabric": fab.name, "namespaces": [
        {"name": "%s-server0" % fab.name, "links": [{"ifname": "rail0", "kind": "vxlan", "mtu": 1450, "vni": 7,
                                                     "local": "192.0.2.1", "remote": "192.0.2.2",
                                                     "underlay_dev": "nosuchdev0"}]}]}
    with pytest.raises(errors.ValidationError) as err:
        fab.converge(plan)
    assert err.value.param == "namespaces[0].links[0].underlay_dev" and fab.leftovers() == []


# ------------------------------------------------- codecs vs iproute2 --


def test_codecs_make_what_iproute2_makes(fab):
    """The same objects made by ip/tc in one namespace and by our requests in another read back the same."""
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl, tc
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession
    a, b, peer = fab.name + "-ip", fab.name + "-nl", fab.name + "-peer"
    netns.create([a, b, peer])
    ip_cmds = [
        "link add v0 mtu 9000 type veth peer name w0 mtu 9000 netns %s" % peer,
        "link add br0 mtu 9000 type bridge",
        "link add d0 type veth peer name d1",
        "link set v0 master br0",
        "link set v0 up", "link set d0 up", "link set d1 up",
        "addr add 10.5.0.1/24 dev d0", "addr add 10.6.0.1/24 dev d1",
        "route add 10.7.0.0/16 via 10.5.0.2 dev d0 proto static",
        "route add 10.8.0.0/16 proto static nexthop via 10.5.0.2 dev d0 nexthop via 10.6.0.2 dev d1",
    ]
    for c in ip_cmds:
        sh("ip -n %s %s" % (a, c.replace("w0 mtu", "w9 mtu")))
    tc_cmds = [
        "qdisc add dev d0 root handle 1: htb default 1 r2q 10",
        "class add dev d0 parent 1: classid 1:1 htb rate 10gbit ceil 10gbit burst 100000 cburst 100000 quantum 200000",
        "qdisc add dev d1 root handle 1: tbf rate 400gbit burst 100000 limit 5000000",
        "qdisc add dev v0 root handle 1: htb default 1 r2q 10",
        "class add dev v0 parent 1: classid 1:1 htb rate 100mbit burst 1600 cburst 1600 quantum 1000",
    ]
    for c in tc_cmds:
        sh("tc -n %s %s" % (a, c))
    fd = os.open(netns.path_of(peer), os.O_RDONLY)
    try:
        with NetlinkSession(b) as s:
            s.request(*rtnl.new_veth_request("v0", "w0", 9000, 9000, fd, up=False))
            s.request(*rtnl.new_bridge_request("br0", 9000, up=False))
            s.request(*rtnl.new_veth_request("d0", "d1", up=False))
            index = dict((n, s.ifindex(n)) for n in ("v0", "br0", "d0", "d1"))
            for req in (rtnl.link_set_request(index["v0"], master=index["br0"]),
                        rtnl.link_set_request(index["v0"], up=True), rtnl.link_set_request(index["d0"], up=True),
                        rtnl.link_set_request(index["d1"], up=True),
                        rtnl.addr_request("add", index["d0"], "10.5.0.1/24"),
                        rtnl.addr_request("add", index["d1"], "10.6.0.1/24"),
                        rtnl.route_request("add", "10.7.0.0/16", [("10.5.0.2", index["d0"])]),
                        rtnl.route_request("add", "10.8.0.0/16", [("10.5.0.2", index["d0"]),
                                                                  ("10.6.0.2", index["d1"])]),
                        tc.qdisc_request_tc("add", index["d0"], tc.TC_H_ROOT, 0x10000, "htb",
                                            tc.encode_htb_qdisc(1, 10)),
                        tc.class_request("add", index["d0"], 0x10000, 0x10001, "htb",
                                         tc.encode_htb_class(1250000000, burst=100000, cburst=100000, quantum=200000)),
                        tc.qdisc_request_tc("add", index["d1"], tc.TC_H_ROOT, 0x10000, "tbf",
                                            tc.encode_tbf(50000000000, 100000, limit=5000000)),
                        tc.qdisc_request_tc("add", index["v0"], tc.TC_H_ROOT, 0x10000, "htb",
                                            tc.encode_htb_qdisc(1, 10)),
                        tc.class_request("add", index["v0"], 0x10000, 0x10001, "htb",
                                         tc.encode_htb_class(12500000, burst=1600, cburst=1600, quantum=1000))):
                s.request(*req)
    finally:
        os.close(fd)

    def links(ns):
        out = {}
        for l in ip_j(ns, "-d", "link", "show"):
            for key in ("ifindex", "link_index", "address", "link_netnsid", "operstate", "flags"):
                l.pop(key, None)
            for key in ("bridge_id", "root_id", "hello_timer", "tcn_timer", "topology_change_timer", "gc_timer",
                        "bridge_info", "info_slave_data"):
                l.get("linkinfo", {}).get("info_data", {}).pop(key, None)
                l.get("linkinfo", {}).pop(key, None)
            out[l["ifname"]] = l
        return out

    assert links(a) == links(b)
    assert sorted((l["ifname"], l["mtu"]) for l in ip_j(peer, "link", "show")) == [
        ("lo", 65536), ("w0", 9000), ("w9", 9000)]
    assert ip_j(a, "route", "show") == ip_j(b, "route", "show")

    def qdiscs(ns):
        out = tc_j(ns, "qdisc", "show")
        for q in out:
            q["options"].pop("direct_packets_stat", None)  # a counter: IPv6 may have sent a packet already
        return out

    assert qdiscs(a) == qdiscs(b)
    for dev in ("d0", "v0"):
        show = "tc -n %s -d class show dev " + dev
        assert sh(show % a).stdout == sh(show % b).stdout
    # what the kernel keeps, decoded, is what the stager compares with
    with NetlinkSession(b) as s:
        st = gather.read_facts(s, b)
    assert st.qdiscs["d0"]["class"]["key"] == gather.htb_class_item(1250000000, 100000, quantum=200000)["key"]
    assert st.qdiscs["d1"]["root"]["key"] == gather.tbf_item(50000000000, 100000, limit=5000000)["key"]
    assert st.routes == {"10.7.0.0/16": (("10.5.0.2", "d0"),),
                         "10.8.0.0/16": (("10.5.0.2", "d0"), ("10.6.0.2", "d1"))}
    assert st.links["v0"]["master"] == "br0"


def test_vxlan_codec_matches_iproute2(fab):
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession
    host, a, b = fab.name + "-host", fab.name + "-ip", fab.name + "-nl"
    netns.create([host, a, b])
    sh("ip -n %s link add ul0 type veth peer ul1 && ip -n %s addr add 192.0.2.1/24 dev ul0" % (host, host))
    sh("ip -n %s link add vx mtu 1450 netns %s type vxlan id 42 remote 192.0.2.2 local 192.0.2.1 dev ul0 dstport 4789"
       % (host, a))
    fd = os.open(netns.path_of(b), os.O_RDONLY)
    try:
        with NetlinkSession(host) as s:
            s.request(*rtnl.new_vxlan_request("vx", 4200, 4789, "192.0.2.1", "192.0.2.2", s.ifindex("ul0"), 1450, fd,
                                              up=False))
    finally:
        os.close(fd)
    got = [ip_j(ns, "-d", "link", "show", "vx")[0] for ns in (a, b)]
    for l in got:
        for key in ("ifindex", "address", "link_netnsid", "link_index"):
            l.pop(key, None)
    assert got[1]["linkinfo"]["info_data"].pop("id") == 4200 and got[0]["linkinfo"]["info_data"].pop("id") == 42
    assert got[0] == got[1]


# ------------------------------------------------------ compiled plans --

TOPOLOGY = os.path.join(REPO, "tests", "unit", "topology", "input")
CASES = sorted(os.path.splitext(f)[0] for f in os.listdir(TOPOLOGY) if f.endswith(".yml")) \
    if os.path.isdir(TOPOLOGY) else []


def compiled(case, name):
    import yaml
    from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as fabric_compile
    with open(os.path.join(TOPOLOGY, case + ".yml")) as f:
        data = yaml.safe_load(f)
    spec, hosts = (data["spec"], data.get("hosts")) if "spec" in data else (data, None)
    return fabric_compile.compile_plan(dict(spec, name=name), hosts=hosts)


def underlay(fab, plan):
    """One namespace per physical host of the plan, all on one bridge: the hosts' underlay network."""
    from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import render
    hosts = render.hosts(plan)
    if len(hosts) == 1:
        return {hosts[0]: None}
    switch = fab.name + "ul"
    fab.extra.append(switch)
    sh("ip netns add %s && ip -n %s link add br0 type bridge && ip -n %s link set br0 up" % (switch, switch, switch))
    out = {}
    for i, host in enumerate(hosts):
        ns, info = "%sh%d" % (fab.name, i), plan["hosts"][host]
        fab.extra.append(ns)
        dev = info.get("underlay_dev") or "ul0"
        sh("ip netns add %s && ip -n %s link add %s mtu 9000 type veth peer p%d mtu 9000 netns %s"
           % (ns, ns, dev, i, switch))
        sh("ip -n %s link set p%d master br0 up && ip -n %s addr add %s/24 dev %s && ip -n %s link set %s up"
           % (switch, i, ns, info["underlay"], dev, ns, dev))
        out[host] = ns
    return out


def _server_address(plan, node, ifname):
    iface = plan["nodes"][node]["interfaces"][ifname]
    dev = ifname if iface.get("vlan_id") is None else "%s.%d" % (ifname, iface["vlan_id"])
    return dev, iface["address"].split("/")[0]


@pytest.mark.parametrize("case", CASES)
def test_compiled_plan_stages_pings_restages_and_tears_down(fab, case):
    """Every golden topology of the compiler, staged on this kernel, host by host."""
    plan = compiled(case, fab.name)
    hosts = underlay(fab, plan)
    needs_vlan = any(l["kind"] == "vlan" for ns in plan["namespaces"] for l in ns["links"])
    delays = [n for ns in plan["namespaces"] for n in ns["netem"]]
    if needs_vlan and not HAS_8021Q:
        with pytest.raises(errors.ValidationError) as err:
            fab.converge(plan, host=sorted(hosts)[0], host_netns=hosts[sorted(hosts)[0]])
        assert err.value.param == "vlan" or (delays and err.value.param.endswith(".delay"))
        assert fab.leftovers() == []
        return
    if delays and not HAS_NETEM:
        with pytest.raises(errors.ValidationError) as err:
            fab.converge(plan, host=plan["namespaces"][0]["host"], host_netns=hosts[plan["namespaces"][0]["host"]])
        assert err.value.param.startswith("links.") and err.value.param.endswith(".delay")
        assert fab.leftovers() == []
        for ns in plan["namespaces"]:
            ns["netem"] = []  # stage the rest of it
    for host, host_ns in hosts.items():
        res = fab.converge(plan, host=host, host_netns=host_ns)
        assert res["changed"] and res["requests"] > 0
    for entry in plan["namespaces"]:
        oracle(plan, entry["name"])
    servers = sorted((n for n in plan["nodes"].values() if n["role"] == "server"), key=lambda n: n["index"])
    first, last = servers[0], servers[-1]
    fabric_ifs = [i for i, v in sorted(first["interfaces"].items()) if not v["management"]]
    node_of = dict((v["netns"], k) for k, v in plan["nodes"].items())
    for ifname in fabric_ifs[:2]:
        dev, _own = _server_address(plan, node_of[first["netns"]], ifname)
        _dev, address = _server_address(plan, node_of[last["netns"]], ifname)
        ping(first["netns"], address, dev=dev)
    if last.get("management_address"):
        ping(first["netns"], last["management_address"], dev="mgmt0")
    for host, host_ns in hosts.items():
        again = fab.converge(plan, host=host, host_netns=host_ns)
        assert not again["changed"] and again["requests"] == 0, again["commands"]
        if host_ns:
            assert [l["ifname"] for l in ip_j(host_ns, "link", "show") if l["ifname"] not in ("lo",)] == [
                plan["hosts"][host].get("underlay_dev") or "ul0"]
    for host in hosts:
        fab.teardown(host=host)
    assert fab.leftovers() == []


def test_a_second_fabric_with_the_same_vnis_is_refused_by_the_kernel_and_leaves_nothing(fab):
    """Two multi-host fabrics on the same hosts with the same VNIs: the kernel refuses the second's VXLANs halfway
    (after its namespaces and veths exist); the run rolls back and the first fabric still carries traffic."""
    first = compiled("multihost", fab.name)
    hosts = underlay(fab, first)
    for host, host_ns in hosts.items():
        fab.converge(first, host=host, host_netns=host_ns)
    other = "k" + uuid.uuid4().hex[:5]
    fab.extra.append(other)
    second = compiled("multihost", other)
    host = sorted(hosts)[0]
    with pytest.raises(ApplyError) as err:
        fab.converge(second, host=host, host_netns=hosts[host])
    assert "VNI" in err.value.message and err.value.rollback.complete, err.value.message
    assert fab.leftovers(other) == []
    servers = sorted((n for n in first["nodes"].values() if n["role"] == "server"), key=lambda n: n["index"])
    a, b = servers[0], servers[-1]
    assert a["host"] != b["host"]
    ping(a["netns"], b["interfaces"]["rail0"]["address"].split("/")[0], dev="rail0")
