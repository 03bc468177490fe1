# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ranks of a workload: a staged fabric's servers, or ranks given explicitly. Standard library only.

A rank is {netns, address, rail_ifnames, rail_addresses, mgmt_address,
mgmt_ifname}. From a fabric (docs/fabric.md) the ranks are the namespaces
`<fabric>-server<i>` on this host, in the order of i; each is read once over
netlink (links and addresses, nothing else): its rails are the interfaces
`rail<k>` of a rail-optimized fabric (or `rail<k>.<vlan>` when the rails carry a
VLAN: the one with the address) and `fab0` otherwise, its management address
is mgmt0's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.aifabric.emulation.plugins.module_utils import errors

_SERVER = re.compile(r"^(?P<fabric>[a-z][a-z0-9]{0,7})-server(?P<index>\d+)$")
_RAIL = re.compile(r"^(?:rail(?P<rail>\d+)|fab0)(?:\.\d+)?$")


def server_namespaces(fabric, names=None):
    """The fabric's server namespaces on this host, in server order."""
    if names is None:
        from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import netns
        names = netns.names(fabric + "-server")
    found = []
    for name in names:
        m = _SERVER.match(name)
        if m and m.group("fabric") == fabric:
            found.append((int(m.group("index")), name))
    return [name for _i, name in sorted(found)]


def rank_of(netns, links, addresses, mgmt_ifname="mgmt0"):
    """A rank from one namespace's link names and {ifname: [cidr]} (pure; for tests and read_rank)."""
    rails = []
    for name in links:
        m = _RAIL.match(name)
        if not m or not any(":" not in c for c in addresses.get(name, ())):
            continue
        rails.append((int(m.group("rail") or 0), name))
    rails.sort()
    ipv4 = dict((name, sorted(c.split("/")[0] for c in addresses.get(name, ()) if ":" not in c))
                for name in list(links))
    mgmt = ipv4.get(mgmt_ifname) or [None]
    return {"netns": netns, "rail_ifnames": [n for _k, n in rails],
            "rail_addresses": [ipv4[n][0] for _k, n in rails],
            "address": ipv4[rails[0][1]][0] if rails else None,
            "mgmt_address": mgmt[0], "mgmt_ifname": mgmt_ifname}


def read_rank(netns):
    """A rank from the kernel: one link dump and one address dump inside netns."""
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession
    session = NetlinkSession(netns)
    try:
        links = rtnl.dump_link_details(session)
        by_index = dict((l["index"], l["name"]) for l in links)
        addresses = {}
        for index, cidr in rtnl.dump_addresses(session, with_prefix=True, ipv6_link_local=False):
            if by_index.get(index):
                addresses.setdefault(by_index[index], []).append(cidr)
    finally:
        session.close()
    return rank_of(netns, [l["name"] for l in links], addresses)


def from_fabric(fabric, names=None, reader=read_rank):
    spaces = server_namespaces(fabric, names)
    if not spaces:
        raise errors.ValidationError("fabric", "no namespaces %s-server<i> on this host: stage the fabric first "
                                     "(aifabric.emulation.fabric)" % fabric)
    ranks = [reader(ns) for ns in spaces]
    for rank in ranks:
        if not rank["rail_ifnames"]:
            raise errors.ValidationError("fabric", "%s has no rail<k> or fab0 interface with an IPv4 address"
                                         % rank["netns"])
        if rank["mgmt_address"] is None:
            raise errors.ValidationError("fabric", "%s has no address on mgmt0, the management network the "
                                         "launcher's rendezvous uses" % rank["netns"])
    rails = set(len(r["rail_ifnames"]) for r in ranks)
    if len(rails) != 1:
        raise errors.ValidationError("fabric", "the servers have different numbers of rails: %s"
                                     % ", ".join("%s %d" % (r["netns"], len(r["rail_ifnames"])) for r in ranks))
    return ranks


def from_options(ranks):
    """Explicit ranks (the module's `ranks` option), checked."""
    out = []
    for i, r in enumerate(ranks):
        path = "ranks[%d]" % i
        ifnames = list(r.get("rail_ifnames") or [])
        if not ifnames:
            raise errors.ValidationError(path + ".rail_ifnames", "name the interfaces the rank's data traffic "
                                         "uses (e.g. [rail0, rail1])")
        if not r.get("address"):
            raise errors.ValidationError(path + ".address", "required: the rank's fabric address")
        out.append({"netns": r.get("netns"), "address": r["address"], "rail_ifnames": ifnames,
                    "rail_addresses": [r["address"]] * len(ifnames), "mgmt_address": r.get("mgmt_address"),
                    "mgmt_ifname": r.get("mgmt_ifname") or "mgmt0"})
    netns = set(bool(r["netns"]) for r in out)
    if len(netns) > 1:
        raise errors.ValidationError("ranks", "either every rank names its netns or none does (ranks without one "
                                     "run on this host)")
    return out
