# -*- coding: utf-8 -*-
"""The topology compiler: golden files, error table, and invariants checked independently of the compiler.

tests/unit/topology/input/<case>.yml is a spec (or {spec, hosts}); the plan must
equal expected/<case>.json (sorted keys, indent 1) and the rendered commands
expected/<case>.sh. AIFABRIC_REGEN=1 rewrites the goldens (review the diff).
errors.yml pairs bad specs with the field and message they must fail with.

The invariants below do not reuse the compiler's helpers: they read the plan
as the stager, the inventory plugin and the sweep would, and recompute what
must hold (veth ends, address pools, /31 pairs, next hops, ECMP widths,
oversubscription, name lengths and stability).
"""
import copy
import ipaddress
import json
import os
import time

import pytest
import yaml

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as fabric_compile
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import model, render

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "topology")
CASES = sorted(os.path.splitext(f)[0] for f in os.listdir(os.path.join(HERE, "input")) if f.endswith(".yml"))
REGEN = os.environ.get("AIFABRIC_REGEN") == "1"


def load_case(case):
    with open(os.path.join(HERE, "input", case + ".yml")) as f:
        data = yaml.safe_load(f)
    if "spec" in data:
        return data["spec"], data.get("hosts")
    return data, None


def dump_plan(plan):
    return json.dumps(plan, sort_keys=True, indent=1) + "\n"


def golden(case, ext, text):
    path = os.path.join(HERE, "expected", case + ext)
    if REGEN:
        with open(path, "w") as f:
            f.write(text)
    with open(path) as f:
        return f.read()


# ------------------------------------------------------------------ goldens --


@pytest.mark.parametrize("case", CASES)
def test_golden_plan(case):
    spec, hosts = load_case(case)
    plan = fabric_compile.compile_plan(spec, hosts=hosts)
    text = dump_plan(plan)
    assert text == golden(case, ".json", text)


@pytest.mark.parametrize("case", CASES)
def test_golden_commands(case):
    spec, hosts = load_case(case)
    text = "\n".join(render.commands(fabric_compile.compile_plan(spec, hosts=hosts))) + "\n"
    assert text == golden(case, ".sh", text)


@pytest.mark.parametrize("case", CASES)
def test_deterministic_and_input_untouched(case):
    spec, hosts = load_case(case)
    before = copy.deepcopy(spec)
    first = dump_plan(fabric_compile.compile_plan(spec, hosts=hosts))
    assert spec == before
    assert dump_plan(fabric_compile.compile_plan(copy.deepcopy(spec), hosts=hosts)) == first


# ------------------------------------------------------------------- errors --


def load_errors():
    with open(os.path.join(HERE, "errors.yml")) as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize("case", load_errors(), ids=lambda c: c["name"])
def test_error(case):
    with pytest.raises(errors.ValidationError) as err:
        fabric_compile.compile_plan(case["spec"], hosts=case.get("hosts"), rxe_in_netns=case.get("rxe_in_netns"))
    assert err.value.path == case["field"], str(err.value)
    assert case["message"] in err.value.message, err.value.message


def test_error_names_are_unique():
    names = [c["name"] for c in load_errors()]
    assert len(names) == len(set(names))


# --------------------------------------------------------------- invariants --


def namespaces_by_name(plan):
    return dict((ns["name"], ns) for ns in plan["namespaces"])


def all_interfaces(plan):
    """netns -> set of interface names, from the namespace entries alone (own links, veth peers, lo)."""
    out = dict((ns["name"], {"lo"}) for ns in plan["namespaces"])
    for ns in plan["namespaces"]:
        for link in ns["links"]:
            assert link["ifname"] not in out[ns["name"]], (ns["name"], link["ifname"])
            out[ns["name"]].add(link["ifname"])
            if link["kind"] == "veth":
                peer = link["peer"]
                assert peer["netns"] in out, peer
                assert peer["ifname"] not in out[peer["netns"]], peer
                out[peer["netns"]].add(peer["ifname"])
    return out


def check_veths(plan):
    names = [ns["name"] for ns in plan["namespaces"]]
    assert len(names) == len(set(names))
    position = dict((name, i) for i, name in enumerate(names))
    ends = {}
    for ns in plan["namespaces"]:
        for link in ns["links"]:
            if link["kind"] != "veth":
                continue
            peer = link["peer"]
            assert peer["netns"] in position and peer["netns"] != ns["name"]
            assert position[ns["name"]] < position[peer["netns"]], "a veth is listed under the first namespace"
            for end in ((ns["name"], link["ifname"]), (peer["netns"], peer["ifname"])):
                assert end not in ends, end
                ends[end] = link
    # every plan link that is not VXLAN is one veth between its two ends
    for link in plan["links"]:
        a, b = link["ends"]
        if link["vxlan"]:
            continue
        veth = ends[(a["netns"], a["ifname"])]
        assert veth is ends[(b["netns"], b["ifname"])]
        assert veth["mtu"] == link["mtu"]


def l3_name(link, end):
    return end["ifname"] + (".%d" % link["vlan_id"] if link["vlan_id"] is not None else "")


def check_addresses(plan):
    fabric = ipaddress.ip_network(plan["addressing"]["fabric"])
    mgmt = ipaddress.ip_network(plan["addressing"]["management"])
    seen = {}
    for ns in plan["namespaces"]:
        for entry in ns["addresses"]:
            iface = ipaddress.ip_interface(entry["cidr"])
            assert iface.ip not in seen, (entry, seen.get(iface.ip))
            seen[iface.ip] = (ns["name"], entry["ifname"])
            pool = mgmt if entry["ifname"] == "mgmt0" else fabric
            assert iface.network.subnet_of(pool), (entry, pool)
            assert iface.ip != iface.network.network_address or iface.network.prefixlen == 31
            assert iface.ip != iface.network.broadcast_address or iface.network.prefixlen == 31
    for link in plan["links"]:
        a, b = link["ends"]
        for end in (a, b):
            if end["address"]:
                assert seen[ipaddress.ip_interface(end["address"]).ip] == (end["netns"], l3_name(link, end))
        if a["address"] and b["address"] and a["address"].endswith("/31"):
            ia, ib = ipaddress.ip_interface(a["address"]), ipaddress.ip_interface(b["address"])
            assert ia.network == ib.network and ia.ip != ib.ip, link["id"]
    return seen


def segments(plan):
    """(netns, l3 ifname) -> segment id: a point-to-point link, or an l2 leaf's bridge with all its ports."""
    seg = {}
    bridged = dict((ns["name"], set(ns["masters"])) for ns in plan["namespaces"])
    for link in plan["links"]:
        a, b = link["ends"]
        ids = []
        for end in (a, b):
            if l3_name(link, end) in bridged[end["netns"]] and plan["nodes"][end["node"]]["role"] == "leaf":
                ids.append("bridge:" + end["netns"])
        sid = ids[0] if ids else "link:" + link["id"]
        for end in (a, b):
            seg[(end["netns"], l3_name(link, end))] = sid
    return seg


def check_routes(plan, owners):
    seg = segments(plan)
    ifaces = all_interfaces(plan)
    for ns in plan["namespaces"]:
        local = dict((e["ifname"], ipaddress.ip_interface(e["cidr"])) for e in ns["addresses"])
        for route in ns["routes"]:
            ipaddress.ip_network(route["dst"])
            vias = [hop["via"] for hop in route["nexthops"]]
            assert len(set(vias)) == len(vias), route
            for hop in route["nexthops"]:
                via = ipaddress.ip_address(hop["via"])
                assert hop["ifname"] in ifaces[ns["name"]]
                assert via in local[hop["ifname"]].network, (ns["name"], hop)
                owner_ns, owner_if = owners[via]
                assert owner_ns != ns["name"], hop
                assert seg[(ns["name"], hop["ifname"])] == seg[(owner_ns, owner_if)], (ns["name"], hop)


def check_names(plan):
    for ns in plan["namespaces"]:
        names = [link["ifname"] for link in ns["links"]] + [link["peer"]["ifname"] for link in ns["links"]
                                                            if link["kind"] == "veth"]
        names += list(ns["masters"]) + list(ns["masters"].values())
        for name in names:
            assert 1 <= len(name.encode()) <= 15, name
    for name, node in plan["nodes"].items():
        assert node["netns"] == "%s-%s" % (plan["fabric"], name)
        for ifname in node["interfaces"]:
            assert len(ifname.encode()) <= 15


def check_references(plan):
    ifaces = all_interfaces(plan)
    for ns in plan["namespaces"]:
        here = ifaces[ns["name"]]
        for link in ns["links"]:
            if link["kind"] == "vlan":
                assert link["parent"] in here
        for port, bridge in ns["masters"].items():
            assert port in here and bridge in here
            assert [lk["kind"] for lk in ns["links"] if lk["ifname"] == bridge] == ["bridge"]
        for entry in ns["addresses"] + ns["shaping"] + ns["netem"]:
            assert entry["ifname"] in here, (ns["name"], entry)
        for entry in ns["shaping"] + ns["netem"]:
            assert entry["ifname"] != "mgmt0" and not entry["ifname"].startswith("vxmgmt"), "management is never impaired"
        shaped = set(e["ifname"] for e in ns["shaping"])
        for ne in ns["netem"]:
            assert (ne["parent"] != "root") == (ne["ifname"] in shaped)
        for key, value in ns["sysctls"].items():
            assert isinstance(key, str) and isinstance(value, str)


def check_links(plan):
    ns = namespaces_by_name(plan)
    ids = [link["id"] for link in plan["links"]]
    assert len(ids) == len(set(ids))
    for link in plan["links"]:
        a, b = link["ends"]
        assert link["id"] == "%s~%s" % (a["node"], b["node"])
        assert a["netns"] in ns and b["netns"] in ns and a["netns"] != b["netns"]
        assert "mgmt" not in (a["node"], b["node"])
        assert plan["nodes"][a["node"]]["interfaces"][a["ifname"]]["link"] == link["id"]
        assert plan["nodes"][b["node"]]["interfaces"][b["ifname"]]["peer_node"] == a["node"]
        # shaping and netem where the plan says
        for side, end in (("a", a), ("b", b)):
            shaping = [e for e in ns[end["netns"]]["shaping"] if e["ifname"] == end["ifname"]]
            assert len(shaping) == (1 if side in link["shaped"] else 0), (link["id"], side)
            if shaping:
                assert shaping[0]["rate_bit"] == link["rate_bit"]
            netem = [e for e in ns[end["netns"]]["netem"] if e["ifname"] == end["ifname"]]
            assert [e["delay_us"] for e in netem] == ([link["delay_us"]] if link["delay_us"] else [])
        if link["class"] == "server_leaf":
            assert link["shaped"] == ["b"]
        else:
            assert link["shaped"] == ["a", "b"]
        assert isinstance(link["rate_bit"], int) and isinstance(link["delay_us"], int)


def check_ecmp(plan, spec):
    """ECMP widths: a routed leaf reaches the pool over all its spines; bridged servers over all their gateways."""
    kind = spec["kind"]
    spines = spec["spines_per_pod"] if kind == "clos3" else spec["spines"]
    pool = plan["addressing"]["fabric"]
    ns = namespaces_by_name(plan)
    for name, node in plan["nodes"].items():
        routes = dict((r["dst"], r) for r in ns[node["netns"]]["routes"])
        if node["role"] == "leaf" and plan["mode"] == "l3":
            assert len(routes[pool]["nexthops"]) == spines, name
        if node["role"] == "server" and plan["mode"] == "l2":
            rails = spec["rails"] if kind == "rail_optimized" else 1
            assert len(routes[pool]["nexthops"]) == spines * rails, name
        if node["role"] == "server" and plan["mode"] == "l3":
            rails = spec["rails"] if kind == "rail_optimized" else 1
            assert len(routes[pool]["nexthops"]) == rails, name
        if node["role"] == "spine" and kind == "clos3":
            assert len(routes[pool]["nexthops"]) == spec["super_spines"]
        if node["role"] == "super_spine":
            assert len(routes) == spec["pods"]
            assert all(len(r["nexthops"]) == spines for r in routes.values())
        if node["role"] in ("spine", "super_spine") or (node["role"] == "leaf" and plan["mode"] == "l3"):
            assert ns[node["netns"]]["sysctls"]["net.ipv4.ip_forward"] == "1"
            assert ns[node["netns"]]["sysctls"]["net.ipv4.fib_multipath_hash_policy"] == "1"


def check_oversubscription(plan, spec):
    if spec.get("oversubscription") is None or spec.get("overrides"):
        return
    ratio = spec["oversubscription"]
    ratio = float(str(ratio).split(":", maxsplit=1)[0])
    down, up = {}, {}
    for link in plan["links"]:
        if link["class"] == "server_leaf":
            down[link["ends"][1]["node"]] = down.get(link["ends"][1]["node"], 0) + link["rate_bit"]
        elif link["class"] == "leaf_spine":
            up[link["ends"][0]["node"]] = up.get(link["ends"][0]["node"], 0) + link["rate_bit"]
    assert set(down) == set(up) and down
    for leaf in down:
        assert down[leaf] / up[leaf] == pytest.approx(ratio, rel=1e-9), leaf
    assert plan["summary"]["bottlenecks"][0]["ratio"] == pytest.approx(ratio)


def check_summary(plan):
    roles = [n["role"] for n in plan["nodes"].values()]
    summary = plan["summary"]
    assert summary["servers"] == roles.count("server")
    assert summary["links"] == len(plan["links"])
    assert summary["namespaces"] == len(plan["namespaces"]) == len(plan["nodes"])
    assert summary["endpoints"] == sum(1 for n in plan["nodes"].values() if n["role"] == "server"
                                       for i in n["interfaces"].values() if not i["management"])


def check_management(plan):
    ns = namespaces_by_name(plan)
    for name, node in plan["nodes"].items():
        if node["role"] != "server":
            assert node["management_address"] is None
            continue
        mgmt0 = node["interfaces"]["mgmt0"]
        assert mgmt0["management"] and mgmt0["address"].split("/")[0] == node["management_address"]
        peer = plan["nodes"][mgmt0["peer_node"]]
        assert peer["role"] == "management" and peer["host"] == node["host"]
        assert ns[peer["netns"]]["masters"][mgmt0["peer_ifname"]] == "mgmt"


def check_vxlan(plan):
    hosts = plan["hosts"]
    vnis = {}
    for ns in plan["namespaces"]:
        for link in ns["links"]:
            if link["kind"] != "vxlan":
                continue
            assert link["local"] == hosts[ns["host"]]["underlay"] and link["remote"] != link["local"]
            vnis.setdefault(link["vni"], []).append((ns["host"], link))
    for vni, ends in vnis.items():
        assert len(ends) == 2, vni
        (h1, e1), (h2, e2) = ends
        assert h1 != h2 and e1["local"] == e2["remote"] and e1["remote"] == e2["local"] and e1["mtu"] == e2["mtu"]
    for link in plan["links"]:
        a, b = link["ends"]
        assert (a["host"] != b["host"]) == (link["vxlan"] is not None)
        if link["vxlan"]:
            assert link["vxlan"]["vni"] in vnis


@pytest.mark.parametrize("case", CASES)
def test_invariants(case):
    spec, hosts = load_case(case)
    plan = fabric_compile.compile_plan(spec, hosts=hosts)
    check_veths(plan)
    owners = check_addresses(plan)
    check_routes(plan, owners)
    check_names(plan)
    check_references(plan)
    check_links(plan)
    check_ecmp(plan, spec)
    check_oversubscription(plan, spec)
    check_summary(plan)
    check_management(plan)
    check_vxlan(plan)
    json.dumps(plan)


def object_names(plan):
    """Every name the plan gives: namespaces, link ids, and (netns, interface) pairs."""
    names = set(ns["name"] for ns in plan["namespaces"]) | set(link["id"] for link in plan["links"])
    for netns, ifaces in all_interfaces(plan).items():
        names |= set((netns, i) for i in ifaces)
    return names


@pytest.mark.parametrize("case", ["rail4x2_l3", "rail4x2_l2", "rail_vlan_l2"])
def test_adding_a_server_adds_only_its_objects(case):
    spec, hosts = load_case(case)
    old = object_names(fabric_compile.compile_plan(spec, hosts=hosts))
    bigger = dict(spec, servers=spec["servers"] + 1)
    new = object_names(fabric_compile.compile_plan(bigger, hosts=hosts))
    added = new - old
    assert old <= new
    n = spec["servers"]
    mine = "server%d" % n
    for item in added:
        text = item if isinstance(item, str) else "%s %s" % item
        assert mine in text, item


def test_leaf_spine_adding_servers_per_leaf_keeps_names():
    spec, _hosts = load_case("overrides")
    spec = dict(spec, overrides=[])
    old = object_names(fabric_compile.compile_plan(spec))
    new = object_names(fabric_compile.compile_plan(dict(spec, servers_per_leaf=3)))
    # leaf_spine numbers servers leaf by leaf, so a wider leaf renumbers the servers after it; switch names stay
    assert set(n for n in old if isinstance(n, str) and "server" not in n) <= new


@pytest.mark.parametrize("spec,grow,new_nodes", [
    ({"name": "g", "kind": "leaf_spine", "leaves": 2, "servers_per_leaf": 3, "spines": 2}, {"leaves": 3},
     ["leaf2", "server6", "server7", "server8"]),
    ({"name": "g", "kind": "clos3", "pods": 2, "leaves_per_pod": 1, "servers_per_leaf": 2, "spines_per_pod": 2,
      "super_spines": 1}, {"pods": 3}, ["pod2-", "server4", "server5"]),
    ({"name": "g", "kind": "rail_optimized", "servers": 2, "rails": 2, "spines": 2}, {"spines": 3}, ["spine2"]),
])
def test_growing_a_tier_adds_only_its_objects(spec, grow, new_nodes):
    old = object_names(fabric_compile.compile_plan(spec))
    new = object_names(fabric_compile.compile_plan(dict(spec, **grow)))
    assert old <= new
    for item in new - old:
        text = item if isinstance(item, str) else "%s %s" % item
        assert any(n in text for n in new_nodes), item


def test_an_override_changes_only_its_link():
    spec, _hosts = load_case("overrides")
    plain = fabric_compile.compile_plan(dict(spec, overrides=[]))
    plan = fabric_compile.compile_plan(spec)
    changed = [(a["id"], b) for a, b in zip(plain["links"], plan["links"]) if a != b]
    assert [c[0] for c in changed] == ["leaf0~spine1", "server3~leaf1"]
    by_id = dict((link["id"], link) for link in plan["links"])
    assert by_id["server3~leaf1"]["rate_bit"] == 10**8 and by_id["server3~leaf1"]["delay_us"] == 500
    assert by_id["leaf0~spine1"]["mtu"] == 1500 and by_id["leaf0~spine1"]["rate_bit"] == 5 * 10**8
    # leaf0: 2 x 1gbit down, 2gbit + 500mbit up; leaf1: 1gbit + 100mbit down, 4gbit up
    assert plan["summary"]["bottlenecks"] == [{"where": "leaves' uplinks", "node": "leaf0", "ratio": 0.8,
                                               "rate_bit": 5 * 10**8}]


def test_routes_reach_every_server_address():
    """Walk the routing tables hop by hop (longest prefix, first next hop) from every server to every other."""
    for case in ("rail4x2_l3", "clos3_2pods", "leaf_spine_3to1", "rail_vlan_l3", "rail4x2_l2", "clos3_2pods_l2"):
        spec, hosts = load_case(case)
        plan = fabric_compile.compile_plan(spec, hosts=hosts)
        walk_all(plan)


def walk_all(plan):
    ns = namespaces_by_name(plan)
    owner, tables = {}, {}
    for entry in plan["namespaces"]:
        table = []
        for a in entry["addresses"]:
            iface = ipaddress.ip_interface(a["cidr"])
            owner[iface.ip] = entry["name"]
            table.append((iface.network, None))
        for r in entry["routes"]:
            for hop in r["nexthops"]:
                table.append((ipaddress.ip_network(r["dst"]), ipaddress.ip_address(hop["via"])))
        tables[entry["name"]] = table
    servers = [n for n in plan["nodes"].values() if n["role"] == "server"]
    targets = [ipaddress.ip_interface(i["address"]).ip for n in servers for i in n["interfaces"].values()
               if not i["management"]]
    for src in servers:
        for dst in targets:
            here, hops = src["netns"], 0
            while owner[dst] != here:
                matches = [(net, via) for net, via in tables[here] if dst in net]
                assert matches, (src["netns"], str(dst), here)
                best = max(net.prefixlen for net, _via in matches)
                vias = [via for net, via in matches if net.prefixlen == best]
                if vias[0] is None:  # directly connected: the owner is on this segment
                    assert owner[dst] in ns
                    here = owner[dst]
                else:
                    here = owner[vias[0]]
                hops += 1
                assert hops <= 8, ("loop", src["netns"], str(dst))


# -------------------------------------------------------------- the render --


@pytest.mark.parametrize("case", CASES)
def test_render_batches_cover_every_namespace_of_their_host(case):
    spec, hosts = load_case(case)
    plan = fabric_compile.compile_plan(spec, hosts=hosts)
    for host in render.hosts(plan):
        mine = set(ns["name"] for ns in plan["namespaces"] if ns["host"] == host)
        seen = set()
        for tool, netns, lines in render.batches(plan, host):
            assert tool in ("ip", "tc", "sysctl")
            assert netns is None or netns in mine
            seen.add(netns)
            assert lines
        assert mine <= seen
        created = [argv[2] for tool, netns, lines in render.batches(plan, host) if netns is None
                   for argv in lines if argv[:2] == ["netns", "add"]]
        assert sorted(created) == sorted(mine)
    assert render.batch_text([["link", "set", "lo", "up"]]) == "link set lo up\n"


# ------------------------------------------------------------- the model --


def test_normalize_defaults():
    canon = model.normalize({"name": "f1", "kind": "leaf_spine", "leaves": 1, "servers_per_leaf": 1, "spines": 1})
    assert canon["mode"] == "l3" and canon["shaping"] == "htb"
    assert canon["addressing"] == {"fabric": "10.0.0.0/16", "management": "172.31.0.0/16"}
    assert canon["links"]["server_leaf"] == {"rate_bit": 10**9, "delay_us": 0, "mtu": 9000}
    assert "spine_super" not in canon["links"]
    assert canon["placement"]["hosts"] == [{"name": "localhost", "underlay": None, "underlay_dev": None,
                                            "servers": "0"}]


def test_parse_servers():
    assert model.parse_servers("0-3,8", "x", 10) == [0, 1, 2, 3, 8]
    assert model.parse_servers([1, "4-5"], "x", 10) == [1, 4, 5]
    assert model.format_ranges([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8"


def test_soft_roce_note_or_refusal():
    spec = {"name": "s", "kind": "leaf_spine", "leaves": 1, "servers_per_leaf": 2, "spines": 1, "soft_roce": True}
    plan = fabric_compile.compile_plan(spec)
    assert any("initial network namespace" in n for n in plan["notes"])
    assert plan["nodes"]["server0"]["soft_roce"] is True and plan["nodes"]["spine0"]["soft_roce"] is False
    plan = fabric_compile.compile_plan(spec, rxe_in_netns=True)
    assert not any("initial network namespace" in n for n in plan["notes"])


# ------------------------------------------------------------ a big fabric --


def test_1024_endpoints_compile_fast():
    """Sanity bound only (the benchmark script measures growth): 128 servers x 8 rails, 4 spines."""
    spec = {"name": "big", "kind": "rail_optimized", "servers": 128, "rails": 8, "spines": 4,
            "links": {"server_leaf": {"delay": "5us"}}}
    start = time.time()
    plan = fabric_compile.compile_plan(spec)
    lines = render.commands(plan)
    elapsed = time.time() - start
    assert plan["summary"]["endpoints"] == 1024
    assert plan["summary"]["namespaces"] == 128 + 8 + 4 + 1
    assert len(lines) > 4000
    assert elapsed < 5.0, elapsed
    check_veths(plan)
    check_addresses(plan)
    check_names(plan)
