# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topology compiler: spec -> plan (docs/fabric-plan.md). Pure, deterministic, standard library only.

compile_plan(spec, hosts=None) validates the spec (model.py) and what only the
topology can tell (override link ids, pool sizes, oversubscription against the
link rates, VNI ranges), then lays the fabric out:

- nodes in the fabric's order: servers, leaves, spines, super-spines, the
  management segment(s); a link id is `<a>~<b>` with a the earlier node;
- links in a stable order: leaf uplinks, spine uplinks (clos3), then server
  links server by server, so adding a server only appends its own links;
- addresses from the fabric pool in aligned blocks, one per leaf (its uplink
  /31s first, then its servers' /31s in l3; its subnet in l2), grouped by pod
  in clos3, the spine-super /31s after them; every router routes aggregates;
- shaping (htb or tbf) and netem (link delay) per link end.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import ipaddress
import json
from fractions import Fraction

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import model

ValidationError = errors.ValidationError

VXLAN_PORT = 4789
VXLAN_OVERHEAD = 50  # outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8
MGMT_MTU = 1500
MGMT_OFFSET = 10  # server i's management address is the pool's network address + 10 + i
SHAPE_HANDLE = "1:"
SHAPE_CLASS = "1:1"
NETEM_HANDLE = "10:"
HTB_QUANTUM_MAX = 200000  # sch_htb warns and clamps above this
NETEM_LIMIT_MIN = 1000  # netem's own default, in packets

BASE_SYSCTLS = {
    "net.ipv6.conf.all.disable_ipv6": "1",
    "net.ipv6.conf.default.disable_ipv6": "1",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
}
ROUTER_SYSCTLS = {"net.ipv4.ip_forward": "1", "net.ipv4.fib_multipath_hash_policy": "1"}
SERVER_SYSCTLS = {"net.ipv4.ip_forward": "0", "net.ipv4.fib_multipath_hash_policy": "1"}
PLAIN_SYSCTLS = {"net.ipv4.ip_forward": "0"}

WHERE = {"rail_optimized": "rail leaves' uplinks", "leaf_spine": "leaves' uplinks", "clos3": "pod leaves' uplinks"}


def compile_plan(spec, hosts=None, rxe_in_netns=None):
    """The plan for spec (a dict, docs/fabric.md).

    hosts: the inventory host names the caller knows (placement must use only
    these), or None to skip that check. rxe_in_netns: whether the target
    kernel runs rdma_rxe inside a network namespace (False refuses
    soft_roce, None leaves the check to the stager and says so in notes).
    """
    canon, host_of = model.normalize_with_hosts(spec, hosts)
    return _Compiler(canon, host_of, rxe_in_netns).run()


def spec_hash(canon):
    text = json.dumps(canon, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _pow2(n):
    """The smallest power of two >= n (n >= 1)."""
    return 1 << (n - 1).bit_length()


def _prefixlen(size):
    return 32 - (size.bit_length() - 1)


_ADDR_CACHE = {}


def _ip(value):
    text = _ADDR_CACHE.get(value)
    if text is None:
        text = str(ipaddress.IPv4Address(value))
        if len(_ADDR_CACHE) < 1 << 16:
            _ADDR_CACHE[value] = text
    return text


class _Compiler:
    def __init__(self, spec, host_of, rxe_in_netns):
        self.s = spec
        self.fab = spec["name"]
        self.kind = spec["kind"]
        self.l3 = spec["mode"] == "l3"
        self.host_of = host_of
        self.rxe_in_netns = rxe_in_netns
        self.notes = []
        pl = spec["placement"]
        self.hosts = dict((h["name"], h) for h in pl["hosts"])
        self.switch_host = pl["switches"]
        self.order = []  # node names in the fabric's order
        self.nodes = {}  # name -> node record (internal)
        self.leaves = []  # leaf records: {name, pod, slot, servers: [(server, server_if)], uplinks: [spine]}
        self.links = []

    # ------------------------------------------------------------ nodes --

    def _node(self, name, role, index, pod=None, rail=None, host=None):
        node = {"name": name, "role": role, "index": index, "pod": pod, "rail": rail,
                "host": host or self.switch_host, "netns": "%s-%s" % (self.fab, name), "ifaces": {}}
        self.order.append(name)
        self.nodes[name] = node
        return node

    def _layout(self):
        s, kind = self.s, self.kind
        if kind == "rail_optimized":
            nservers = s["servers"]
            for i in range(nservers):
                self._node("server%d" % i, "server", i, host=self.host_of[i])
            spines = ["spine%d" % j for j in range(s["spines"])]
            for k in range(s["rails"]):
                name = "rail%d" % k
                self._node(name, "leaf", k, rail=k)
                self.leaves.append({"name": name, "pod": None, "rail": k, "slot": k, "uplinks": spines,
                                    "servers": [("server%d" % i, name) for i in range(nservers)]})
            for j, name in enumerate(spines):
                self._node(name, "spine", j)
        elif kind == "leaf_spine":
            spl = s["servers_per_leaf"]
            for i in range(s["leaves"] * spl):
                self._node("server%d" % i, "server", i, host=self.host_of[i])
            spines = ["spine%d" % j for j in range(s["spines"])]
            for leaf in range(s["leaves"]):
                name = "leaf%d" % leaf
                self._node(name, "leaf", leaf)
                self.leaves.append({"name": name, "pod": None, "rail": None, "slot": leaf, "uplinks": spines,
                                    "servers": [("server%d" % (leaf * spl + m), "fab0") for m in range(spl)]})
            for j, name in enumerate(spines):
                self._node(name, "spine", j)
        else:
            lpp, spl, spp = s["leaves_per_pod"], s["servers_per_leaf"], s["spines_per_pod"]
            for i in range(s["pods"] * lpp * spl):
                self._node("server%d" % i, "server", i, pod=i // (lpp * spl), host=self.host_of[i])
            for p in range(s["pods"]):
                spines = ["pod%d-spine%d" % (p, j) for j in range(spp)]
                for leaf in range(lpp):
                    name = "pod%d-leaf%d" % (p, leaf)
                    self._node(name, "leaf", leaf, pod=p)
                    first = (p * lpp + leaf) * spl
                    self.leaves.append({"name": name, "pod": p, "rail": None, "slot": leaf, "uplinks": spines,
                                        "servers": [("server%d" % (first + m), "fab0") for m in range(spl)]})
            for p in range(s["pods"]):
                for j in range(spp):
                    self._node("pod%d-spine%d" % (p, j), "spine", j, pod=p)
            for j in range(s["super_spines"]):
                self._node("super%d" % j, "super_spine", j)

    # ------------------------------------------------------------ links --

    def _link(self, cls, a, a_if, b, b_if, rail=None, pod=None):
        link = {"id": "%s~%s" % (a, b), "class": cls, "rail": rail, "pod": pod,
                "ends": [{"node": a, "ifname": a_if, "address": None}, {"node": b, "ifname": b_if, "address": None}]}
        self.links.append(link)
        return link

    def _wire(self):
        for leaf in self.leaves:
            leaf["uplink_links"] = [self._link("leaf_spine", leaf["name"], spine, spine, leaf["name"],
                                               leaf["rail"], leaf["pod"]) for spine in leaf["uplinks"]]
        if self.kind == "clos3":
            s = self.s
            self.core = []
            for p in range(s["pods"]):
                for j in range(s["spines_per_pod"]):
                    spine = "pod%d-spine%d" % (p, j)
                    for k in range(s["super_spines"]):
                        sup = "super%d" % k
                        self.core.append(self._link("spine_super", spine, sup, sup, spine, None, p))
        # server links server by server (adding a server appends its links)
        by_server = {}
        for leaf in self.leaves:
            for m, (server, server_if) in enumerate(leaf["servers"]):
                by_server.setdefault(server, []).append((leaf, m, server_if))
        for server in self.order:
            for leaf, m, server_if in by_server.get(server, ()):
                link = self._link("server_leaf", server, server_if, leaf["name"], server, leaf["rail"], leaf["pod"])
                leaf.setdefault("server_links", [None] * len(leaf["servers"]))[m] = link

    # ------------------------------------------------------- parameters --

    def _parameters(self):
        s = self.s
        classes = s["links"]
        uplink_rate = classes["leaf_spine"]["rate_bit"]
        self.uplink_rate = uplink_rate
        ratio = s["oversubscription"]
        if ratio is not None:
            leaf = self.leaves[0]
            down = len(leaf["servers"]) * classes["server_leaf"]["rate_bit"]
            uplinks = len(leaf["uplinks"])
            need = int(Fraction(down) / Fraction(ratio) / uplinks)
            if need > uplink_rate:
                least = Fraction(down, uplinks * uplink_rate)
                raise ValidationError("oversubscription", "%s:1 is impossible with these link rates: %d servers x %s "
                                      "down over %d uplinks needs %s per uplink, above links.leaf_spine.rate (%s); "
                                      "use a ratio of at least %s or a faster links.leaf_spine.rate"
                                      % (ratio, len(leaf["servers"]), _rate(classes["server_leaf"]["rate_bit"]),
                                         uplinks, _rate(need), _rate(uplink_rate), _num(least)))
            if need < 1000:
                raise ValidationError("oversubscription", "%s:1 leaves %d bit/s per uplink; the shapers need at "
                                      "least 1kbit" % (ratio, need))
            self.uplink_rate = need
        for link in self.links:
            cls = classes[link["class"]]
            link["rate_bit"] = self.uplink_rate if link["class"] == "leaf_spine" else cls["rate_bit"]
            link["delay_us"] = cls["delay_us"]
            link["mtu"] = cls["mtu"]
        by_id = dict((link["id"], link) for link in self.links)
        for i, item in enumerate(s["overrides"]):
            link = by_id.get(item["link"])
            if link is None:
                raise ValidationError("overrides[%d].link" % i, "no link %r in this fabric (link ids look like %s)"
                                      % (item["link"], ", ".join(self._id_examples())))
            for key in ("rate_bit", "delay_us", "mtu"):
                if key in item:
                    link[key] = item[key]

    def _id_examples(self):
        seen, out = set(), []
        for link in self.links:
            if link["class"] not in seen:
                seen.add(link["class"])
                out.append(link["id"])
        return out

    # -------------------------------------------------------- addresses --

    def _addresses(self):
        pool = ipaddress.IPv4Network(self.s["addressing"]["fabric"])
        base = int(pool.network_address)
        leaf = self.leaves[0]
        uplinks, servers = len(leaf["uplinks"]), len(leaf["servers"])
        size = _pow2(2 * (uplinks + servers)) if self.l3 else max(4, _pow2(uplinks + servers + 2))
        self.leaf_size = size
        if self.kind == "clos3":
            pod_size = _pow2(self.s["leaves_per_pod"] * size)
            self.pod_size = pod_size
            core = self.s["pods"] * pod_size
            need = core + 2 * len(self.core)
        else:
            need = len(self.leaves) * size
        if need > pool.num_addresses:
            raise ValidationError("addressing.fabric", "%s holds %d addresses; this fabric needs %d (a /%d or "
                                  "larger): %d leaf blocks of %d%s"
                                  % (pool, pool.num_addresses, need, _prefixlen(_pow2(need)), len(self.leaves), size,
                                     " and %d spine-super /31s" % len(self.core) if self.kind == "clos3" else ""))
        self.pool = str(pool)
        plen = _prefixlen(size)
        self.leaf_plen = plen
        for leaf in self.leaves:
            if self.kind == "clos3":
                start = base + leaf["pod"] * self.pod_size + leaf["slot"] * size
            else:
                start = base + leaf["slot"] * size
            leaf["block"] = "%s/%d" % (_ip(start), plen)
            for j, link in enumerate(leaf["uplink_links"]):
                if self.l3:
                    self._p2p(link, start + 2 * j)
                else:
                    link["ends"][1]["address"] = "%s/%d" % (_ip(start + 1 + j), plen)
            for m, link in enumerate(leaf["server_links"]):
                if self.l3:
                    self._p2p(link, start + 2 * uplinks + 2 * m)
                else:
                    link["ends"][0]["address"] = "%s/%d" % (_ip(start + 1 + uplinks + m), plen)
        if self.kind == "clos3":
            self.pod_blocks = ["%s/%d" % (_ip(base + p * self.pod_size), _prefixlen(self.pod_size))
                               for p in range(self.s["pods"])]
            for t, link in enumerate(self.core):
                self._p2p(link, base + core + 2 * t)
        mgmt = ipaddress.IPv4Network(self.s["addressing"]["management"])
        nservers = model.server_count(self.s)
        if nservers + MGMT_OFFSET + 1 > mgmt.num_addresses:
            need = nservers + MGMT_OFFSET + 1
            raise ValidationError("addressing.management", "%s holds %d addresses; %d servers need %d (a /%d or "
                                  "larger: the first %d are kept for the hosts and launchers)"
                                  % (mgmt, mgmt.num_addresses, nservers, need, _prefixlen(_pow2(need)), MGMT_OFFSET))
        self.mgmt_base = int(mgmt.network_address) + MGMT_OFFSET
        self.mgmt_plen = mgmt.prefixlen

    @staticmethod
    def _p2p(link, net):
        """A /31: the upper end (b) takes the even address, the lower end (a) the odd one."""
        link["ends"][0]["address"] = "%s/31" % _ip(net + 1)
        link["ends"][1]["address"] = "%s/31" % _ip(net)

    # -------------------------------------------------------- placement --

    def _hosts_and_mtu(self):
        vni_base = self.s["placement"]["vni_base"]
        for end_pair in (link["ends"] for link in self.links):
            for end in end_pair:
                node = self.nodes[end["node"]]
                end["host"] = node["host"]
                end["netns"] = node["netns"]
        crossing = 0
        for index, link in enumerate(self.links):
            a, b = link["ends"]
            link["vxlan"] = None
            if a["host"] != b["host"]:
                vni = vni_base + index
                if vni > model.VNI_MAX:
                    raise ValidationError("placement.vni_base", "%d + link index %d = VNI %d, above %d"
                                          % (vni_base, index, vni, model.VNI_MAX))
                link["vxlan"] = {"vni": vni, "port": VXLAN_PORT}
                mtu = link["mtu"] - VXLAN_OVERHEAD
                if mtu < 68:
                    raise ValidationError("links.%s.mtu" % link["class"], "%d less the VXLAN overhead (%d) is below "
                                          "68" % (link["mtu"], VXLAN_OVERHEAD))
                link["mtu"] = mtu
                crossing += 1
        if crossing:
            self.notes.append("%d cross-host links carry VXLAN (UDP %d over the hosts' underlay, VNI = %d + link "
                              "index): their MTU is %d bytes less than their class's (IPv4 VXLAN overhead)"
                              % (crossing, VXLAN_PORT, vni_base, VXLAN_OVERHEAD))
        if not self.l3:
            changed = 0
            for leaf in self.leaves:
                segment = leaf["uplink_links"] + leaf["server_links"]
                low = min(link["mtu"] for link in segment)
                for link in segment:
                    if link["mtu"] != low:
                        link["mtu"] = low
                        changed += 1
                leaf["mtu"] = low
            if changed:
                self.notes.append("l2: %d links took the lowest MTU of their leaf's bridge, since a bridge drops "
                                  "frames bigger than the port they leave by without a word" % changed)
        # management segments: one per host with servers, joined to the switches host's one over VXLAN
        server_hosts = []
        for h in self.s["placement"]["hosts"]:
            if h["servers"] and h["name"] != self.switch_host:
                server_hosts.append(h["name"])
        self.mgmt_mtu = MGMT_MTU - VXLAN_OVERHEAD if server_hosts else MGMT_MTU
        self.mgmt_nodes = {self.switch_host: "mgmt"}
        self._mgmt_spokes = []
        for i, h in enumerate(self.s["placement"]["hosts"]):
            if h["name"] in server_hosts:
                vni = vni_base - 1 - len(self._mgmt_spokes)
                if vni < 1:
                    raise ValidationError("placement.vni_base", "%d leaves no VNI below it for the management "
                                          "segments of %d hosts" % (vni_base, len(server_hosts)))
                self.mgmt_nodes[h["name"]] = "mgmt%d" % i
                self._mgmt_spokes.append((h["name"], "mgmt%d" % i, vni))
        if server_hosts:
            self.notes.append("the management network spans %d hosts: each has a bridge `mgmt`, joined to %s's over "
                              "VXLAN (VNI %d and below); its MTU is %d"
                              % (len(server_hosts) + 1, self.switch_host, vni_base - 1, self.mgmt_mtu))

    # ------------------------------------------------------------- plan --

    def run(self):
        self._layout()
        self._wire()
        self._parameters()
        self._addresses()
        self._hosts_and_mtu()
        self._mgmt_nodes()
        namespaces = self._namespaces()
        plan = {
            "fabric": self.fab,
            "kind": self.kind,
            "mode": self.s["mode"],
            "spec_hash": spec_hash(self.s),
            "addressing": dict(self.s["addressing"]),
            "hosts": dict((name, {"underlay": h["underlay"], "underlay_dev": h["underlay_dev"]})
                          for name, h in self.hosts.items()),
            "nodes": self._plan_nodes(),
            "links": [self._plan_link(link) for link in self.links],
            "namespaces": namespaces,
        }
        plan["summary"] = self._summary(plan)
        self._soft_roce()
        plan["notes"] = self.notes
        return plan

    def _mgmt_nodes(self):
        hub = self._node("mgmt", "management", 0, host=self.switch_host)
        hub["bridge"] = True
        for host, name, _vni in self._mgmt_spokes:
            index = int(name[len("mgmt"):])
            self._node(name, "management", index, host=host)

    def _soft_roce(self):
        if not self.s["soft_roce"]:
            return
        why = ("rdma_rxe works only in the initial network namespace on kernels before 2026, and every fabric "
               "endpoint lives in a namespace of its own")
        if self.rxe_in_netns is False:
            raise ValidationError("soft_roce", why + ": this kernel cannot have soft-RoCE endpoints in the fabric")
        if self.rxe_in_netns is None:
            self.notes.append("soft_roce: " + why + "; the stager must refuse it on such kernels before any change")
        if self.s["vlan"]:
            self.notes.append("soft_roce: rxe refuses a VLAN device; it goes on the parent (rail<k>), not "
                              "rail<k>.<id>")

    def _l3_ifname(self, link, end):
        ifname = link["ends"][end]["ifname"]
        if link.get("vlan_id") is not None:
            return "%s.%d" % (ifname, link["vlan_id"])
        return ifname

    def _routes(self):
        """name -> routes, every nexthop a directly connected address of a neighbour."""
        routes = dict((name, []) for name in self.order)
        pool = self.pool

        def hop(link, near, far):
            return {"via": link["ends"][far]["address"].split("/")[0], "ifname": self._l3_ifname(link, near)}

        by_server = {}
        for leaf in self.leaves:
            for link in leaf["server_links"]:
                by_server.setdefault(link["ends"][0]["node"], []).append((leaf, link))
        if self.l3:
            for server, attached in by_server.items():
                if self.kind == "rail_optimized":
                    for leaf, link in attached:
                        routes[server].append({"dst": leaf["block"], "nexthops": [hop(link, 0, 1)]})
                routes[server].append({"dst": pool, "nexthops": [hop(link, 0, 1) for _leaf, link in attached]})
            for leaf in self.leaves:
                routes[leaf["name"]].append({"dst": pool, "nexthops": [hop(link, 0, 1)
                                                                       for link in leaf["uplink_links"]]})
                for link in leaf["uplink_links"]:
                    routes[link["ends"][1]["node"]].append({"dst": leaf["block"], "nexthops": [hop(link, 1, 0)]})
        else:
            for server, attached in by_server.items():
                nexthops = []
                for leaf, link in attached:
                    for up in leaf["uplink_links"]:
                        nexthops.append({"via": up["ends"][1]["address"].split("/")[0],
                                         "ifname": self._l3_ifname(link, 0)})
                routes[server].append({"dst": pool, "nexthops": nexthops})
        if self.kind == "clos3":
            by_spine, by_super = {}, {}
            for link in self.core:
                by_spine.setdefault(link["ends"][0]["node"], []).append(link)
                by_super.setdefault(link["ends"][1]["node"], {}).setdefault(link["pod"], []).append(link)
            for spine, ups in by_spine.items():
                routes[spine].append({"dst": pool, "nexthops": [hop(link, 0, 1) for link in ups]})
            for sup, pods in by_super.items():
                for p in sorted(pods):
                    routes[sup].append({"dst": self.pod_blocks[p], "nexthops": [hop(link, 1, 0) for link in pods[p]]})
        return routes

    def _namespaces(self):
        s = self.s
        vlan = s["vlan"]
        for link in self.links:
            link["vlan_id"] = (vlan["base_id"] + link["rail"]
                               if vlan and link["class"] == "server_leaf" else None)
        routes = self._routes()
        ns = {}
        for name in self.order:
            node = self.nodes[name]
            role = node["role"]
            sysctls = dict(BASE_SYSCTLS)
            if role == "server":
                sysctls.update(SERVER_SYSCTLS)
            elif role == "management" or (role == "leaf" and not self.l3):
                sysctls.update(PLAIN_SYSCTLS)
            else:
                sysctls.update(ROUTER_SYSCTLS)
            ns[name] = {"name": node["netns"], "node": name, "host": node["host"], "sysctls": sysctls,
                        "links": [], "masters": {}, "addresses": [], "routes": routes[name], "shaping": [],
                        "netem": []}
        vlans = dict((name, []) for name in self.order)
        if not self.l3:
            for leaf in self.leaves:
                ns[leaf["name"]]["links"].append({"ifname": "br0", "kind": "bridge", "mtu": leaf["mtu"]})
        shaper = s["shaping"]
        for link in self.links:
            a, b = link["ends"]
            mtu = link["mtu"]
            if link["vxlan"] is None:
                ns[a["node"]]["links"].append({"ifname": a["ifname"], "kind": "veth", "mtu": mtu,
                                               "peer": {"netns": b["netns"], "ifname": b["ifname"]}})
            else:
                for near, far in ((a, b), (b, a)):
                    here, there = self.hosts[near["host"]], self.hosts[far["host"]]
                    ns[near["node"]]["links"].append({
                        "ifname": near["ifname"], "kind": "vxlan", "mtu": mtu, "vni": link["vxlan"]["vni"],
                        "port": VXLAN_PORT, "local": here["underlay"], "remote": there["underlay"],
                        "underlay_dev": here["underlay_dev"]})
            shaped = ["b"] if link["class"] == "server_leaf" else ["a", "b"]
            link["shaped"] = shaped
            for side, end in (("a", a), ("b", b)):
                entry = ns[end["node"]]
                l3_if = end["ifname"]
                if link["vlan_id"] is not None:
                    l3_if = "%s.%d" % (end["ifname"], link["vlan_id"])
                    vlans[end["node"]].append({"ifname": l3_if, "kind": "vlan", "mtu": mtu,
                                               "parent": end["ifname"], "vlan_id": link["vlan_id"]})
                if end["address"]:
                    entry["addresses"].append({"ifname": l3_if, "cidr": end["address"]})
                elif not self.l3 and self.nodes[end["node"]]["role"] == "leaf":
                    entry["masters"][l3_if] = "br0"
                if side in shaped:
                    entry["shaping"].append(_shaping(end["ifname"], shaper, link["rate_bit"], mtu))
                if link["delay_us"]:
                    entry["netem"].append({"ifname": end["ifname"], "delay_us": link["delay_us"],
                                           "limit": _netem_limit(link["rate_bit"], link["delay_us"]),
                                           "handle": NETEM_HANDLE,
                                           "parent": SHAPE_CLASS if side in shaped else "root"})
        # management: a veth from every server to its host's bridge `mgmt`; spokes join the hub over VXLAN
        hub = ns["mgmt"]
        hub["links"].insert(0, {"ifname": "mgmt", "kind": "bridge", "mtu": self.mgmt_mtu})
        for host, name, vni in self._mgmt_spokes:
            spoke = ns[name]
            spoke["links"].append({"ifname": "mgmt", "kind": "bridge", "mtu": self.mgmt_mtu})
            here, there = self.hosts[host], self.hosts[self.switch_host]
            spoke["links"].append({"ifname": "vxmgmt", "kind": "vxlan", "mtu": self.mgmt_mtu, "vni": vni,
                                   "port": VXLAN_PORT, "local": here["underlay"], "remote": there["underlay"],
                                   "underlay_dev": here["underlay_dev"]})
            spoke["masters"]["vxmgmt"] = "mgmt"
            hub_if = "vx" + name
            hub["links"].append({"ifname": hub_if, "kind": "vxlan", "mtu": self.mgmt_mtu, "vni": vni,
                                 "port": VXLAN_PORT, "local": there["underlay"], "remote": here["underlay"],
                                 "underlay_dev": there["underlay_dev"]})
            hub["masters"][hub_if] = "mgmt"
            self.nodes[name]["ifaces"]["vxmgmt"] = _mgmt_iface(None, "mgmt", hub_if)
            self.nodes["mgmt"]["ifaces"][hub_if] = _mgmt_iface(None, name, "vxmgmt")
        for name in self.order:
            node = self.nodes[name]
            if node["role"] != "server":
                continue
            mnode = self.mgmt_nodes[node["host"]]
            address = "%s/%d" % (_ip(self.mgmt_base + node["index"]), self.mgmt_plen)
            node["management_address"] = address.split("/")[0]
            ns[name]["links"].append({"ifname": "mgmt0", "kind": "veth", "mtu": self.mgmt_mtu,
                                      "peer": {"netns": self.nodes[mnode]["netns"], "ifname": name}})
            ns[name]["addresses"].append({"ifname": "mgmt0", "cidr": address})
            ns[mnode]["masters"][name] = "mgmt"
            node["ifaces"]["mgmt0"] = _mgmt_iface(address, mnode, name)
            self.nodes[mnode]["ifaces"][name] = _mgmt_iface(None, name, "mgmt0")
        out = []
        for name in self.order:
            ns[name]["links"].extend(vlans[name])
            out.append(ns[name])
        return out

    def _plan_nodes(self):
        groups = self._groups()
        for link in self.links:
            a, b = link["ends"]
            for near, far in ((a, b), (b, a)):
                self.nodes[near["node"]]["ifaces"][near["ifname"]] = {
                    "address": near["address"], "link": link["id"], "peer_node": far["node"],
                    "peer_ifname": far["ifname"], "rail": link["rail"], "vlan_id": link["vlan_id"],
                    "management": False}
        out = {}
        for name in self.order:
            node = self.nodes[name]
            server = node["role"] == "server"
            out[name] = {
                "role": node["role"], "index": node["index"], "pod": node["pod"], "rail": node["rail"],
                "netns": node["netns"], "host": node["host"], "groups": groups[name],
                "management_address": node.get("management_address"),
                "interfaces": node["ifaces"],
                "roce": self.s["roce"] if server else None,
                "soft_roce": self.s["soft_roce"] if server else False,
            }
        return out

    def _groups(self):
        groups = {}
        for name in self.order:
            node = self.nodes[name]
            role = node["role"]
            if role == "server":
                g = ["fabric_servers"]
                if self.kind == "rail_optimized":
                    g += ["rail_%d" % k for k in range(self.s["rails"])]
            elif role == "management":
                g = ["fabric_management"]
            else:
                g = ["fabric_switches", {"leaf": "leaves", "spine": "spines", "super_spine": "super_spines"}[role]]
                if node["rail"] is not None:
                    g.append("rail_%d" % node["rail"])
            if node["pod"] is not None:
                g.append("pod_%d" % node["pod"])
            groups[name] = g
        return groups

    @staticmethod
    def _plan_link(link):
        return {
            "id": link["id"], "class": link["class"], "rail": link["rail"], "pod": link["pod"],
            "rate_bit": link["rate_bit"], "delay_us": link["delay_us"], "mtu": link["mtu"],
            "shaped": link["shaped"], "vxlan": link["vxlan"], "vlan_id": link["vlan_id"],
            "ends": [dict((k, end[k]) for k in ("node", "netns", "ifname", "host", "address"))
                     for end in link["ends"]],
        }

    def _summary(self, plan):
        roles = [n["role"] for n in plan["nodes"].values()]
        bottlenecks = [self._bottleneck(WHERE[self.kind], [(leaf["name"], leaf["server_links"], leaf["uplink_links"])
                                                           for leaf in self.leaves])]
        if self.kind == "clos3":
            down, up = {}, {}
            for leaf in self.leaves:
                for link in leaf["uplink_links"]:
                    down.setdefault(link["ends"][1]["node"], []).append(link)
            for link in self.core:
                up.setdefault(link["ends"][0]["node"], []).append(link)
            bottlenecks.append(self._bottleneck("pod spines' uplinks", [(n, down[n], up[n]) for n in sorted(
                down, key=self.order.index)]))
        return {
            "servers": roles.count("server"),
            "endpoints": sum(1 for link in self.links if link["class"] == "server_leaf"),
            "switches": sum(1 for r in roles if r in ("leaf", "spine", "super_spine")),
            "links": len(self.links),
            "namespaces": len(plan["namespaces"]),
            "bottlenecks": bottlenecks,
        }

    @staticmethod
    def _bottleneck(where, groups):
        """The worst down:up ratio over groups of (node, downlinks, uplinks), from the links' own rates."""
        worst = None
        for node, downs, ups in groups:
            ratio = Fraction(sum(link["rate_bit"] for link in downs), sum(link["rate_bit"] for link in ups))
            if worst is None or ratio > worst[0]:
                worst = (ratio, node, min(link["rate_bit"] for link in ups))
        return {"where": where, "node": worst[1], "ratio": round(float(worst[0]), 4), "rate_bit": worst[2]}


def _mgmt_iface(address, peer_node, peer_ifname):
    return {"address": address, "link": None, "peer_node": peer_node, "peer_ifname": peer_ifname, "rail": None,
            "vlan_id": None, "management": True}


def _shaping(ifname, qdisc, rate_bit, mtu):
    """A rate qdisc: burst of 1 ms of traffic (at least two frames); htb quantum rate/10 clamped; tbf queue 20 ms."""
    rate_bytes = rate_bit // 8
    burst = max(2 * (mtu + 14), rate_bytes // 1000)
    entry = {"ifname": ifname, "qdisc": qdisc, "rate_bit": rate_bit, "burst_bytes": burst, "handle": SHAPE_HANDLE,
             "quantum_bytes": None, "limit_bytes": None}
    if qdisc == "htb":
        entry["quantum_bytes"] = min(HTB_QUANTUM_MAX, max(mtu + 14, rate_bytes // 10))
    else:
        entry["limit_bytes"] = burst + rate_bytes // 50
    return entry


def _netem_limit(rate_bit, delay_us):
    """Twice the bandwidth-delay product in 1500-byte packets, and never below netem's default of 1000."""
    bdp_packets = -(-rate_bit * delay_us // (1000000 * 8 * 1500))
    return max(NETEM_LIMIT_MIN, 2 * bdp_packets)


def _rate(bits):
    for unit, scale in (("tbit", 10**12), ("gbit", 10**9), ("mbit", 10**6), ("kbit", 10**3)):
        if bits >= scale and bits % scale == 0:
            return "%d%s" % (bits // scale, unit)
    return "%dbit" % bits


def _num(fraction):
    value = float(fraction)
    return "%d" % value if value.is_integer() else "%.4g" % value
