"""Hand-made rail-optimized fabric plans in the shape of docs/fabric-plan.md (for the stager's tests and benchmark).

Servers first, then rail leaves, then spines: the order the plan's `namespaces`
lists them in. l3: /31 per link, servers route each rail's /16 through its
leaf and 10.0.0.0/8 over all rails (ECMP), leaves route the other rails over
every spine (ECMP), spines route each rail's /16 to its leaf. l2: a bridge
`br0` in every leaf and spine (one spine: two would make a loop without STP),
one /16 for the fabric.
"""

SYSCTL_SWITCH = {"net.ipv4.ip_forward": "1", "net.ipv4.fib_multipath_hash_policy": "1",
                 "net.ipv4.conf.all.rp_filter": "0", "net.ipv4.conf.default.rp_filter": "0",
                 "net.ipv6.conf.all.disable_ipv6": "1", "net.ipv6.conf.default.disable_ipv6": "1"}
SYSCTL_SERVER = dict(SYSCTL_SWITCH, **{"net.ipv4.ip_forward": "0"})


def _ip4(a, b, c):
    return "10.%d.%d.%d" % (a, b, c)


def rail_plan(fabric="f1", servers=4, rails=2, spines=2, mode="l3", host="localhost", server_rate=10 * 10**9,
              uplink_rate=400 * 10**9, uplink_qdisc="htb", burst=100000, delay_us=0, shaped=True, mtu=9000,
              first_server=0, vlan_id=None):
    """A plan dict; servers are server<first_server>.. so a test can grow a fabric by one."""
    if mode == "l2":
        spines = 1
    server_ids = list(range(first_server, first_server + servers))
    ns = dict()
    order = ["%s-server%d" % (fabric, i) for i in server_ids] + ["%s-rail%d" % (fabric, k) for k in range(rails)] \
        + ["%s-spine%d" % (fabric, j) for j in range(spines)]
    for name in order:
        switch = "server" not in name
        ns[name] = {"name": name, "node": name[len(fabric) + 1:], "host": host,
                    "sysctls": dict(SYSCTL_SWITCH if switch else SYSCTL_SERVER), "links": [], "masters": {},
                    "addresses": [], "routes": [], "shaping": [], "netem": []}
    links = []

    def shape(entry, ifname, rate, qdisc="htb"):
        if shaped:
            s = {"ifname": ifname, "qdisc": qdisc, "rate_bit": rate, "burst_bytes": burst}
            if qdisc == "tbf":
                s["latency_us"] = 1000
            entry["shaping"].append(s)
        if delay_us:
            entry["netem"].append({"ifname": ifname, "delay_us": delay_us, "limit": 10000})

    for i in server_ids:
        s = ns["%s-server%d" % (fabric, i)]
        for k in range(rails):
            leaf = ns["%s-rail%d" % (fabric, k)]
            s["links"].append({"ifname": "rail%d" % k, "kind": "veth", "mtu": mtu,
                               "peer": {"netns": leaf["name"], "ifname": "server%d" % i}})
            n = 2 * i
            if mode == "l3":
                leaf_ip, server_ip = _ip4(k, n >> 8, n & 255), _ip4(k, (n + 1) >> 8, (n + 1) & 255)
                s["addresses"].append({"ifname": "rail%d" % k, "cidr": server_ip + "/31"})
                leaf["addresses"].append({"ifname": "server%d" % i, "cidr": leaf_ip + "/31"})
                s["routes"].append({"dst": "10.%d.0.0/16" % k, "nexthops": [{"via": leaf_ip, "ifname": "rail%d" % k}]})
            else:
                s["addresses"].append({"ifname": "rail%d" % k, "cidr": "10.0.%d.%d/16" % (k, i + 1)})
                leaf["masters"]["server%d" % i] = "br0"
            if vlan_id is not None:
                s["links"].append({"ifname": "rail%d.%d" % (k, vlan_id), "kind": "vlan", "mtu": mtu,
                                   "parent": "rail%d" % k, "vlan_id": vlan_id})
            shape(s, "rail%d" % k, server_rate)
            shape(leaf, "server%d" % i, server_rate)
            links.append({"id": "server%d~rail%d" % (i, k), "class": "server_leaf", "rail": k, "pod": None,
                          "rate_bit": server_rate, "delay_us": delay_us, "mtu": mtu, "shaped": ["a", "b"],
                          "ends": [{"node": "server%d" % i, "netns": s["name"], "ifname": "rail%d" % k, "host": host},
                                   {"node": "rail%d" % k, "netns": leaf["name"], "ifname": "server%d" % i,
                                    "host": host}], "vxlan": None})
        if mode == "l3":
            s["routes"].append({"dst": "10.0.0.0/8", "nexthops": [
                {"via": _ip4(k, (2 * i) >> 8, (2 * i) & 255), "ifname": "rail%d" % k} for k in range(rails)]})
    for k in range(rails):
        leaf = ns["%s-rail%d" % (fabric, k)]
        if mode == "l2":
            leaf["links"].insert(0, {"ifname": "br0", "kind": "bridge", "mtu": mtu})
        for j in range(spines):
            spine = ns["%s-spine%d" % (fabric, j)]
            leaf["links"].append({"ifname": "spine%d" % j, "kind": "veth", "mtu": mtu,
                                  "peer": {"netns": spine["name"], "ifname": "rail%d" % k}})
            if mode == "l3":
                spine["addresses"].append({"ifname": "rail%d" % k, "cidr": "172.16.%d.%d/31" % (k, 2 * j + 1)})
                leaf["addresses"].append({"ifname": "spine%d" % j, "cidr": "172.16.%d.%d/31" % (k, 2 * j)})
                spine["routes"].append({"dst": "10.%d.0.0/16" % k, "nexthops": [
                    {"via": "172.16.%d.%d" % (k, 2 * j), "ifname": "rail%d" % k}]})
            else:
                leaf["masters"]["spine%d" % j] = "br0"
                spine["masters"]["rail%d" % k] = "br0"
            shape(leaf, "spine%d" % j, uplink_rate, uplink_qdisc)
            shape(spine, "rail%d" % k, uplink_rate, uplink_qdisc)
            links.append({"id": "rail%d~spine%d" % (k, j), "class": "leaf_spine", "rail": k, "pod": None,
                          "rate_bit": uplink_rate, "delay_us": delay_us, "mtu": mtu, "shaped": ["a", "b"],
                          "ends": [{"node": "rail%d" % k, "netns": leaf["name"], "ifname": "spine%d" % j,
                                    "host": host},
                                   {"node": "spine%d" % j, "netns": spine["name"], "ifname": "rail%d" % k,
                                    "host": host}], "vxlan": None})
        if mode == "l3":
            for m in range(rails):
                if m != k:
                    leaf["routes"].append({"dst": "10.%d.0.0/16" % m, "nexthops": [
                        {"via": "172.16.%d.%d" % (k, 2 * j + 1), "ifname": "spine%d" % j} for j in range(spines)]})
    if mode == "l2":
        for j in range(spines):
            ns["%s-spine%d" % (fabric, j)]["links"].insert(0, {"ifname": "br0", "kind": "bridge", "mtu": mtu})
    nodes = {}
    for name in order:
        node = ns[name]["node"]
        nodes[node] = {"role": "server" if node.startswith("server") else ("leaf" if node.startswith("rail")
                                                                             else "spine"),
                       "netns": name, "host": host}
    return {"fabric": fabric, "kind": "rail_optimized", "mode": mode, "spec_hash": "sha256:test-%d-%d-%d-%s" % (
        servers, rails, spines, mode), "hosts": {host: {"underlay": None, "underlay_dev": None}},
        "nodes": nodes, "links": links, "namespaces": [ns[n] for n in order],
        "summary": {"servers": servers, "endpoints": servers * rails, "switches": rails + spines,
                    "links": len(links), "namespaces": len(order)}}


def endpoints(plan):
    return plan["summary"]["endpoints"]
