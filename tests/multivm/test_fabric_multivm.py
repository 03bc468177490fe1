"""One fabric staged across two lab VMs joined by a unix-socket link: VXLAN between two real kernels.

VM a (vmA) carries servers 0-1 and every switch of a rail_optimized fabric (4 servers x 2 rails, 2 spines),
VM b (vmB) servers 2-3, so every link of servers 2-3 and the management network cross between the VMs as
VXLAN over their link NICs (MTU 1500), which meet on a unix-socket stream. Each VM runs the whole scenario
in one guest process (tests/multivm/fabric_guest.py), l3 and then l2 with the same VNIs; this side
compiles the same plans and judges what each VM saw:

- a fabric whose VXLANs (9000 less 50) the 1500-byte underlay cannot carry is refused naming
  links.server_leaf.mtu, with nothing made;
- every namespace holding a VXLAN (vmA: both rail leaves and the management hub; vmB: its servers and
  management bridge) holds what the plan asks for (`ip -j -d`, `tc -j`: links, masters, addresses, routes,
  qdiscs); the VXLANs have the plan's VNI, ends, port and underlay device, at the class MTU less 50, as
  the plan's notes say, and the root namespaces hold nothing of the fabric;
- pings cross the VXLANs: same rail, across rails through the spines, vmB to vmB through vmA's rail leaf,
  management; a packet of the full VXLAN MTU with DF arrives, one byte more is refused at that MTU, and
  neither underlay fragments or reassembles anything;
- staging again is a no-op; teardown leaves no fabric namespace, no VXLAN, veth or bridge in the root
  namespace and no state record on either VM, and the next mode stages the same VNIs right after it.
"""
import json
import os
import re
import signal
import subprocess
import time
import uuid

from netlab import REPO  # first: it links the collection into .cache/collections, which fabric_guest imports
import fabric_guest as guest  # noqa: E402  pylint: disable=wrong-import-order

VXLAN_OVERHEAD = 50
ROLES = ("a", "b")


def boot(role, nic, outdir, log):
    peer = "b" if role == "a" else "a"
    cmd = [os.path.join(REPO, "tools", "labvm"), "--memory", "1024M", "--timeout", "900",
           "--nic", "%s,mac=%s" % (nic, guest.MACS[role]), "run", "--",
           os.path.join(REPO, ".venv", "bin", "python"), os.path.join(REPO, "tests", "multivm", "fabric_guest.py"),
           role, guest.MACS[role], guest.IPS[role], guest.IPS[peer], outdir]
    return subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def run_vms(outdir):
    """Boot vmA (the link's server end), then vmB once the socket is there; wait for both; their results."""
    sock = "/tmp/aifabric-lab-%s.sock" % os.path.basename(outdir)
    procs = []
    try:
        with open(os.path.join(outdir, "a.log"), "w") as alog, open(os.path.join(outdir, "b.log"), "w") as blog:
            procs.append(boot("a", "stream,server=on,addr.type=unix,addr.path=" + sock, outdir, alog))
            deadline = time.time() + 120
            while not os.path.exists(sock) and time.time() < deadline and procs[0].poll() is None:
                time.sleep(0.2)  # poll interval: qemu makes the socket while it starts
            assert os.path.exists(sock), "vmA never opened the link socket: %s" % tail(outdir, "a")
            procs.append(boot("b", "stream,server=off,addr.type=unix,addr.path=" + sock, outdir, blog))
            for proc in procs:
                proc.wait(timeout=900)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if os.path.exists(sock):
            os.unlink(sock)
    results = {}
    for role in ROLES:
        path = os.path.join(outdir, role + ".json")
        assert os.path.exists(path), "vm%s wrote no result: %s" % (role.upper(), tail(outdir, role))
        with open(path) as f:
            results[role] = json.load(f)
    return results


def tail(outdir, role):
    try:
        with open(os.path.join(outdir, role + ".log")) as f:
            return f.read()[-3000:]
    except OSError:
        return "(no log)"


# ------------------------------------------------------------- oracles --


def check_namespace(plan, entry, seen, qdiscs, underlay_index):
    """What `ip -j -d` and `tc -j` showed in one namespace against the plan's entry for it."""
    ns = entry["name"]
    links = dict((l["ifname"], l) for l in seen["links"])
    assert links.pop("lo").get("ifalias") == "aifabric-fabric:" + plan["fabric"], ns
    wanted = dict((l["ifname"], l) for l in entry["links"])
    for other in plan["namespaces"]:
        for l in other["links"]:
            if l["kind"] == "veth" and l["peer"]["netns"] == ns:
                wanted[l["peer"]["ifname"]] = dict(l, ifname=l["peer"]["ifname"])
    assert sorted(links) == sorted(wanted), ns
    by_index = dict((l["ifindex"], l["ifname"]) for l in seen["links"])
    for name, want in wanted.items():
        got = links[name]
        info = got.get("linkinfo") or {}
        assert info.get("info_kind") == want["kind"], (ns, name, info)
        assert got["mtu"] == want["mtu"] and "UP" in got["flags"], (ns, name, got["mtu"], got["flags"])
        assert got.get("master") == entry["masters"].get(name), (ns, name)
        if want["kind"] == "vxlan":
            data = info["info_data"]
            assert (data["id"], data.get("local"), data.get("remote"), data["port"]) == (
                want["vni"], want["local"], want["remote"], want["port"]), (ns, name, data)
            # the underlay device lives in the root namespace: ip names its index "if<N>", or after a link
            # here that happens to have the same index
            assert data.get("link") in ("if%d" % underlay_index, by_index.get(underlay_index)), (ns, name, data)
            assert "link_netnsid" in got, (ns, name)  # its UDP socket stayed in the root namespace
    addrs = sorted("%s %s/%d" % (l["ifname"], a["local"], a["prefixlen"]) for l in seen["addrs"]
                   for a in l.get("addr_info", []) if l["ifname"] != "lo")
    assert addrs == sorted("%s %s" % (a["ifname"], a["cidr"]) for a in entry["addresses"]), ns
    routes = {}
    for r in seen["routes"]:
        if r.get("protocol") == "kernel":
            continue
        assert r["protocol"] == "static", (ns, r)
        hops = r.get("nexthops") or [{"gateway": r.get("gateway"), "dev": r["dev"]}]
        routes[r["dst"]] = sorted((h.get("gateway"), h["dev"]) for h in hops)
    assert routes == dict((r["dst"], sorted((h["via"], h["ifname"]) for h in r["nexthops"]))
                          for r in entry["routes"]), ns
    roots = dict((q["dev"], q) for q in qdiscs if q.get("root"))
    for s in entry["shaping"]:
        q = roots[s["ifname"]]
        assert (q["kind"], q["handle"]) == (s["qdisc"], "1:"), (ns, q)
    for n in entry["netem"]:
        if n["parent"] == "root":
            q = roots[n["ifname"]]
        else:
            q = [q for q in qdiscs if q["dev"] == n["ifname"] and q.get("parent") == n["parent"]][0]
        assert (q["kind"], q["handle"]) == ("netem", n["handle"]), (ns, q)
    extra = set(roots) - set(s["ifname"] for s in entry["shaping"]) - set(n["ifname"] for n in entry["netem"])
    for dev in extra:
        assert roots[dev]["handle"] == "0:", "%s: a qdisc the plan does not ask for on %s: %s" % (ns, dev, roots[dev])


def only_lo_and(links, dev):
    """Nothing of a fabric in a root namespace: just lo and the link NIC."""
    return sorted((l["ifname"], (l.get("linkinfo") or {}).get("info_kind")) for l in links) == [(dev, None),
                                                                                                ("lo", None)]


# ---------------------------------------------------------------- test --


def test_one_fabric_across_two_vms_pings_over_vxlan_and_tears_down_clean():
    outdir = os.path.join(REPO, "tests", "output", "multivm-fabric-" + uuid.uuid4().hex[:8])
    os.makedirs(outdir)
    results = run_vms(outdir)
    for role in ROLES:
        assert results[role]["ok"], "vm%s: %s%s" % (role.upper(), results[role].get("error"), tail(outdir, role))
        assert not results[role].get("cleanup_errors"), results[role]
    devs = results["a"]["devs"]
    assert results["b"]["devs"] == devs
    dev_of = dict(zip(ROLES, devs))
    for role in ROLES:
        res = results[role]
        assert res["underlay_mtu"] == guest.CLASS_MTU, res["underlay_mtu"]
        # the VXLANs of the default 9000 class MTU would be 8950 over a 1500 underlay: refused, nothing made
        ref = res["refusal"]
        assert ref["refused"] and ref["param"] == "links.server_leaf.mtu", ref
        assert "MTU 8950" in ref["message"] and "(MTU 1500)" in ref["message"], ref
        assert ref["leftovers"] == {"namespaces": [], "record": False}, ref
    for mode in guest.MODES:
        plan = guest.compile_plan("mv" + mode, mode, devs)
        vxlans = [link for link in plan["links"] if link["vxlan"]]
        assert len(vxlans) == 4 and set(link["ends"][0]["node"] for link in vxlans) == {"server2", "server3"}
        assert set(link["mtu"] for link in vxlans) == {guest.CLASS_MTU - VXLAN_OVERHEAD}
        assert any("4 cross-host links carry VXLAN" in n and "MTU is %d bytes less" % VXLAN_OVERHEAD in n
                   for n in plan["notes"]), plan["notes"]
        if mode == "l2":  # a bridge drops frames above the port's MTU: each leaf's links all take the VXLANs'
            assert any(n.startswith("l2: 8 links took the lowest MTU") for n in plan["notes"]), plan["notes"]
        for role in ROLES:
            host = guest.HOSTS[role]
            got = results[role]["modes"][mode]
            where = "vm%s %s" % (role.upper(), mode)
            assert got["spec_hash"] == got["peer_spec_hash"] == plan["spec_hash"], where
            assert got["stage"]["changed"] and got["record_after_stage"], (where, got["stage"])
            entries = [ns for ns in plan["namespaces"] if ns["host"] == host]
            assert got["stage"]["created"]["namespaces"] == len(entries), (where, got["stage"])
            read = [ns for ns in entries if guest.vxlan_ends(ns)]
            assert len(read) == 3 and sorted(got["namespaces"]) == sorted(ns["name"] for ns in read), where
            root = got["root_links"]
            assert only_lo_and(root, dev_of[role]), (where, root)
            underlay_index = [l["ifindex"] for l in root if l["ifname"] == dev_of[role]][0]
            for entry in read:
                check_namespace(plan, entry, got["namespaces"][entry["name"]], got["qdiscs"].get(entry["name"], []),
                                underlay_index)
            seen_vxlans = [l for ns in got["namespaces"].values() for l in ns["links"]
                           if (l.get("linkinfo") or {}).get("info_kind") == "vxlan"]
            assert len(seen_vxlans) == 5, (where, [l["ifname"] for l in seen_vxlans])  # 4 server links, management
            assert set(l["mtu"] for l in seen_vxlans) == {guest.CLASS_MTU - VXLAN_OVERHEAD}, where
            keys = ("what", "node", "dev", "dst", "size", "reply")
            assert [dict((k, p[k]) for k in keys) for p in got["probes"]] == guest.probes(plan, role), where
            for p in got["probes"]:
                if p["reply"]:  # ping -c 2 -w 20: both replies, however many requests that took
                    assert p["rc"] == 0 and re.search(r"\b2 received\b", p["output"]), (where, p)
                else:
                    assert p["rc"] != 0 and re.search(r"mtu ?= ?%d\b" % (guest.CLASS_MTU - VXLAN_OVERHEAD),
                                                      p["output"]), (where, p)
            before, after = got["counters"]["before"], got["counters"]["after"]
            assert after == before, (where, "the underlay fragmented or reassembled", before, after)
            assert not got["restage"]["changed"] and got["restage"]["requests"] == 0, (where, got["restage"])
            down = got["teardown"]
            assert sorted(down["namespaces"]) == sorted(ns["name"] for ns in entries), (where, down)
            assert down["errors"] == [] and down["kept"] == [], (where, down)
            left = got["leftovers"]
            assert left["namespaces"] == [] and not left["record"], (where, left)
            assert only_lo_and(left["root_links"], dev_of[role]), (where, left["root_links"])
