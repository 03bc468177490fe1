# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A plan (docs/fabric-plan.md) as `ip`/`tc` command lines: state rendered, and the `-batch` peer of the stager.

batches(plan, host) gives the work for one host as a list of
(tool, netns, lines): `tool` is "ip" or "tc", run as `<tool> [-n <netns>]
-batch -` with the lines on stdin (netns None: the initial namespace), or
"sysctl", run as `ip netns exec <netns> sysctl -q -w <lines...>`. The phases,
each over every namespace of the host before the next starts:

1. create the namespaces (one `ip -batch` in the initial namespace);
2. sysctls (before any interface exists, so `default` settings reach them all);
3. VXLAN devices, created from the initial namespace (their UDP socket and
   underlay stay there) straight into their namespace;
4. veths and bridges, one batch per namespace (a veth from the namespace that
   lists it, its peer moved into the other);
5. VLANs (their parents exist now), the ownership mark on `lo`, bridge ports,
   every interface up, addresses, routes;
6. shaping and netem, one `tc -batch` per namespace.

commands(plan, host) is the same as shell lines (`ip -n <netns> ...`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils.engine import quote
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import units

OWNER_ALIAS = "aifabric-fabric:%s"


def _rate(bits):
    for unit, scale in (("tbit", 10**12), ("gbit", 10**9), ("mbit", 10**6), ("kbit", 10**3)):
        if bits >= scale and bits % scale == 0:
            return "%d%s" % (bits // scale, unit)
    return "%dbit" % bits


def _link_add(link, netns=None):
    kind = link["kind"]
    name = link["ifname"]
    if kind == "veth":
        peer = link["peer"]
        return ["link", "add", name, "mtu", str(link["mtu"]), "type", "veth", "peer", "name", peer["ifname"],
                "mtu", str(link["mtu"]), "netns", peer["netns"]]
    if kind == "bridge":
        return ["link", "add", name, "mtu", str(link["mtu"]), "type", "bridge"]
    if kind == "vlan":
        return ["link", "add", "link", link["parent"], "name", name, "mtu", str(link["mtu"]), "type", "vlan",
                "id", str(link["vlan_id"])]
    if kind == "vxlan":
        argv = ["link", "add", name, "netns", netns, "mtu", str(link["mtu"]), "type", "vxlan",
                "id", str(link["vni"]), "local", link["local"], "remote", link["remote"],
                "dstport", str(link["port"])]
        if link.get("underlay_dev"):
            argv += ["dev", link["underlay_dev"]]
        return argv
    raise ValueError("unknown link kind %r" % (kind,))


def _route(route):
    hops = route["nexthops"]
    if len(hops) == 1:
        return ["route", "add", route["dst"], "via", hops[0]["via"], "dev", hops[0]["ifname"]]
    argv = ["route", "add", route["dst"]]
    for hop in hops:
        argv += ["nexthop", "via", hop["via"], "dev", hop["ifname"]]
    return argv


def _tc(ns):
    lines = []
    shaped = {}
    for sh in ns["shaping"]:
        dev = sh["ifname"]
        shaped[dev] = sh
        if sh["qdisc"] == "htb":
            lines.append(["qdisc", "add", "dev", dev, "root", "handle", sh["handle"], "htb", "default", "1"])
            lines.append(["class", "add", "dev", dev, "parent", sh["handle"], "classid", sh["handle"] + "1",
                          "htb", "rate", _rate(sh["rate_bit"]), "ceil", _rate(sh["rate_bit"]),
                          "burst", str(sh["burst_bytes"]), "cburst", str(sh["burst_bytes"]),
                          "quantum", str(sh["quantum_bytes"])])
        else:
            lines.append(["qdisc", "add", "dev", dev, "root", "handle", sh["handle"], "tbf",
                          "rate", _rate(sh["rate_bit"]), "burst", str(sh["burst_bytes"]),
                          "limit", str(sh["limit_bytes"])])
    for ne in ns["netem"]:
        where = ["root"] if ne["parent"] == "root" else ["parent", ne["parent"]]
        delay = units.format_time(ne["delay_us"] * 1000)
        lines.append(["qdisc", "add", "dev", ne["ifname"]] + where
                     + ["handle", ne["handle"], "netem", "delay", delay, "limit", str(ne["limit"])])
    return lines


def _interfaces(plan):
    """netns -> every interface that will be in it (its own links and the veth peers others create)."""
    out = {}
    for ns in plan["namespaces"]:
        out.setdefault(ns["name"], [])
    for ns in plan["namespaces"]:
        for link in ns["links"]:
            out[ns["name"]].append(link["ifname"])
            if link["kind"] == "veth":
                out.setdefault(link["peer"]["netns"], []).append(link["peer"]["ifname"])
    return out


def hosts(plan):
    """The plan's hosts in the order their namespaces first appear."""
    seen = []
    for ns in plan["namespaces"]:
        if ns["host"] not in seen:
            seen.append(ns["host"])
    return seen


def batches(plan, host=None):
    """[(tool, netns, [argv, ...])] for one host (None: the only host, or every host one after another)."""
    if host is None:
        out = []
        for name in hosts(plan):
            out.extend(batches(plan, name))
        return out
    spaces = [ns for ns in plan["namespaces"] if ns["host"] == host]
    owner = OWNER_ALIAS % plan["fabric"]
    ifaces = _interfaces(plan)
    out = [("ip", None, [["netns", "add", ns["name"]] for ns in spaces])]
    for ns in spaces:
        out.append(("sysctl", ns["name"], [["%s=%s" % kv for kv in sorted(ns["sysctls"].items())]]))
    vxlans = [_link_add(link, ns["name"]) for ns in spaces for link in ns["links"] if link["kind"] == "vxlan"]
    if vxlans:
        out.append(("ip", None, vxlans))
    for ns in spaces:
        lines = [_link_add(link) for link in ns["links"] if link["kind"] in ("veth", "bridge")]
        if lines:
            out.append(("ip", ns["name"], lines))
    for ns in spaces:
        lines = [_link_add(link) for link in ns["links"] if link["kind"] == "vlan"]
        lines.append(["link", "set", "lo", "alias", owner])
        lines += [["link", "set", port, "master", bridge] for port, bridge in sorted(ns["masters"].items())]
        lines += [["link", "set", name, "up"] for name in ["lo"] + ifaces[ns["name"]]]
        lines += [["addr", "add", a["cidr"], "dev", a["ifname"]] for a in ns["addresses"]]
        lines += [_route(r) for r in ns["routes"]]
        out.append(("ip", ns["name"], lines))
    for ns in spaces:
        lines = _tc(ns)
        if lines:
            out.append(("tc", ns["name"], lines))
    return out


def commands(plan, host=None):
    """Shell lines; with several hosts and host None, each host's lines follow a `# host <name>` line."""
    names = hosts(plan) if host is None else [host]
    out = []
    for name in names:
        if len(names) > 1:
            out.append("# host %s" % name)
        for tool, netns, lines in batches(plan, name):
            if tool == "sysctl":
                out.append(quote.join(["ip", "netns", "exec", netns, "sysctl", "-q", "-w"] + lines[0]))
                continue
            head = [tool] + (["-n", netns] if netns else [])
            out.extend(quote.join(head + argv) for argv in lines)
    return out


def batch_text(lines):
    """The stdin of `ip -batch -` / `tc -batch -` for one batch's lines."""
    return "".join(quote.join(argv) + "\n" for argv in lines)
