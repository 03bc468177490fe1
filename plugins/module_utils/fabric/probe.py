# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of a staged fabric (state: validated): reachability, path MTU, ECMP spread, sampled links.

Nothing is forked and nothing is changed. Every probe is a UDP datagram
between sockets this process opens inside the fabric's namespaces (the
thread switches into a namespace with setns() just long enough to create its
sockets, which keep that namespace); one poll() loop then drives every socket
of every namespace at once, so the namespaces are probed concurrently.

- Reachability: every server endpoint (a fabric NIC, bound with
  SO_BINDTODEVICE as `ping -I` binds) sends to every other endpoint on its
  rail (leaf_spine and clos3: the one plane, `fab0`), giving one matrix per
  rail; in rail_optimized each endpoint also sends to the next server on each
  other rail, across the spines. A probe counts when it arrives at the
  destination's socket; it is sent again until `timeout` runs out.
- Path MTU: datagrams of exactly the planned MTU with DF set
  (IP_MTU_DISCOVER=IP_PMTUDISC_DO) must arrive, and one byte more must be
  refused by the sender (EMSGSIZE), answered with ICMP "fragmentation
  needed", or lost. Paths: each endpoint to the next server on its rail, and
  each switch link in both directions (in l2 a leaf's bridge has no address:
  the spine and the first server under the leaf). IP_RECVERR turns ICMP
  errors into messages that name the router and the MTU it reported, so a
  lost datagram with no ICMP error is named a black hole. A path MTU the
  kernel learned from ICMP earlier (lower than planned; cached up to
  net.ipv4.route.mtu_expires) is reported and the datagram is sent again
  with IP_PMTUDISC_PROBE, which tests the links as they are now.
- ECMP spread (l3): from a server under each leaf, `flows` UDP flows (one
  datagram to each of `flows` destination ports) to a server whose path
  crosses the leaf's uplinks; the spines' packet counters (RTM_GETLINK,
  IFLA_STATS64) on the interfaces facing that leaf, read before and after,
  show how the flows divided. clos3 flows go to another pod, and the
  super-spines are measured too. Leaves measured at once never share a
  measured interface.
- Sampled links: the rate qdisc (htb class or tbf) and netem delay of up to
  `sample` links, both ends, read back over netlink (fabric/gather.py) and
  compared with the plan, with the device MTU.

- ARP table: the entries the fabric needs when all addresses talk (2 per
  routed link, n(n-1) per l2 subnet) against gc_thresh3, the host-wide cap
  of the one neighbour table all namespaces share.

Only namespaces on this host are probed; endpoints elsewhere are counted in
scope.endpoints_elsewhere.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import ipaddress
import os
import select
import socket
import struct
import time

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import gather as g
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import netns as nsmod, nla, rtnl
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession

SO_BINDTODEVICE = 25
IP_MTU_DISCOVER, IP_RECVERR = 10, 11
IP_PMTUDISC_DO, IP_PMTUDISC_PROBE = 2, 3
MSG_ERRQUEUE = 0x2000
SO_EE_ORIGIN_LOCAL, SO_EE_ORIGIN_ICMP = 1, 2
IFLA_STATS64 = 23
GC_THRESH3 = "/proc/sys/net/ipv4/neigh/default/gc_thresh3"
UDP_IP_HEADERS = 28  # IPv4 (20) + UDP (8): a datagram of MTU m carries m - 28 bytes
EXTENDED_ERR = struct.Struct("=IBBBBII")  # struct sock_extended_err
HEADER = struct.Struct("!4sBxHI")  # magic, kind, run (one per Engine), probe id
MAGIC = b"AFvp"
KINDS = ("reach", "mtu", "over", "flow")
ATTEMPTS = 3
UNLIKELY = 1e-6  # an idle ECMP path is a problem when chance alone would leave one idle less often than this
MATRIX_MAX = 32  # servers: wider matrices are left out of the summary (the data has them)
LISTENERS_PER_ROUND = 512

ICMP_UNREACH = {0: "network unreachable", 1: "host unreachable", 2: "protocol unreachable",
                3: "port unreachable", 4: "fragmentation needed", 9: "network prohibited",
                10: "host prohibited", 13: "administratively prohibited"}


# ------------------------------------------------------------ pure --


def balance(counts):
    """{"shares": [fraction per path], "imbalance": busiest path over the mean} of per-path packet counts.

    imbalance is 1.0 when the paths carried equal shares and n (the number
    of paths) when one carried everything; None when nothing was counted.
    """
    counts = [max(0, int(c)) for c in counts]
    total = sum(counts)
    if not counts or total == 0:
        return {"shares": [0.0 for _c in counts], "imbalance": None}
    return {"shares": [round(float(c) / total, 4) for c in counts],
            "imbalance": round(max(counts) * len(counts) / float(total), 3)}


def idle_is_unlikely(paths, flows):
    """Whether `flows` flows hashed uniformly over `paths` paths leave some path idle with probability < UNLIKELY."""
    if paths < 2 or flows < 1:
        return False
    return paths * (1.0 - 1.0 / paths) ** flows < UNLIKELY


def server_label(name):
    """The column label of a server in a matrix: its number (server12 -> 12), else its name."""
    digits = ""
    for ch in reversed(name):
        if not ch.isdigit():
            break
        digits = ch + digits
    return digits or name


def format_matrix(servers, matrix):
    """Lines of a reachability matrix: a row per sender, a column per receiver.

    matrix[i][j]: True reachable, False not, None not probed (the diagonal).
    """
    labels = [server_label(s) for s in servers]
    width = max([len(x) for x in labels] + [1])
    name_width = max([len(s) for s in servers] + [4])
    cell = {True: ".", False: "X", None: "-"}
    lines = ["  %s %s" % (" " * name_width, " ".join(x.rjust(width) for x in labels))]
    for name, row in zip(servers, matrix):
        lines.append("  %s %s" % (name.ljust(name_width), " ".join(cell[v].rjust(width) for v in row)))
    lines.append("  (row: from, column: to; . reachable, X unreachable)")
    return lines


def _ip(cidr):
    return None if not cidr else cidr.split("/")[0]


class Endpoint:
    """A server's fabric NIC: where probes leave from and arrive at."""

    def __init__(self, server, ifname, dev, address, plane, leaf, pod, netns, host, mtu, link):
        self.server, self.ifname, self.dev, self.address = server, ifname, dev, address
        self.plane, self.leaf, self.pod, self.netns, self.host = plane, leaf, pod, netns, host
        self.mtu, self.link = mtu, link

    @property
    def label(self):
        return "%s/%s" % (self.server, self.ifname)


def endpoints(plan):
    """Every server endpoint of the plan, servers in the plan's order, NICs by name."""
    links = dict((l["id"], l) for l in plan["links"])
    out = []
    for server in servers_of(plan):
        node = plan["nodes"][server]
        for ifname in sorted(node["interfaces"]):
            itf = node["interfaces"][ifname]
            if itf.get("management") or not itf.get("address") or not itf.get("link"):
                continue
            dev = ifname if itf.get("vlan_id") is None else "%s.%d" % (ifname, itf["vlan_id"])
            out.append(Endpoint(server, ifname, dev, _ip(itf["address"]), ifname, itf["peer_node"], node.get("pod"),
                                node["netns"], node.get("host", "localhost"), links[itf["link"]]["mtu"], itf["link"]))
    return out


def servers_of(plan):
    order = [ns["node"] for ns in plan["namespaces"]]
    return [n for n in order if plan["nodes"].get(n, {}).get("role") == "server"]


def planes(eps):
    """{plane: [endpoints]} in server order; planes sorted by name."""
    out = {}
    for ep in eps:
        out.setdefault(ep.plane, []).append(ep)
    return dict(sorted(out.items()))


def path_mtu(plan, src, dst):
    """The MTU a path between two endpoints must carry: the lowest of every link it may take.

    Links it may take: both server links and, when the leaves differ, every
    uplink of either leaf (ECMP picks one), plus in clos3 across pods every
    spine-super link of either pod.
    """
    links = dict((l["id"], l) for l in plan["links"])
    mtus = [links[src.link]["mtu"], links[dst.link]["mtu"]]
    if src.leaf != dst.leaf:
        leaves = (src.leaf, dst.leaf)
        for l in plan["links"]:
            ends = [e["node"] for e in l["ends"]]
            if l["class"] == "leaf_spine" and (ends[0] in leaves or ends[1] in leaves):
                mtus.append(l["mtu"])
            elif l["class"] == "spine_super" and src.pod != dst.pod and l.get("pod") in (src.pod, dst.pod):
                mtus.append(l["mtu"])
    return min(mtus)


def neighbour_demand(plan, host):
    """ARP entries this host's fabric namespaces hold when every address talks to every other on its subnet.

    A /31 link costs 2 (one entry at each end), an l2 leaf subnet of n
    addresses n(n-1). The kernel's ARP table is one for all namespaces, and
    net.ipv4.neigh.default.gc_thresh3 caps it host-wide (1024 by default).
    """
    members = {}
    for node in plan["nodes"].values():
        if node.get("host", "localhost") != host:
            continue
        for itf in node["interfaces"].values():
            if itf.get("address") and not itf.get("management"):
                net = ipaddress.ip_interface(itf["address"]).network
                members[net] = members.get(net, 0) + 1
    return sum(n * (n - 1) for n in members.values())


def sample_links(links, sample):
    """Up to `sample` links to read back: those unlike the rest of their class first (overrides), then evenly
    spread over the plan's order (uplinks, spine-super links, server links)."""
    if sample <= 0 or not links:
        return []
    common = {}
    for l in links:
        key = (l["rate_bit"], l["delay_us"], l["mtu"])
        common.setdefault(l["class"], {}).setdefault(key, 0)
        common[l["class"]][key] += 1
    usual = dict((c, max(sorted(keys.items()), key=lambda kv: kv[1])[0]) for c, keys in common.items())
    odd = [i for i, l in enumerate(links) if (l["rate_bit"], l["delay_us"], l["mtu"]) != usual[l["class"]]]
    picked, unusual = list(odd[:sample]), set(odd)
    rest = [i for i in range(len(links)) if i not in unusual]
    want = sample - len(picked)
    if want > 0 and rest:
        if want >= len(rest):
            picked.extend(rest)
        else:
            step = float(len(rest)) / want
            picked.extend(rest[int(k * step)] for k in range(want))
    return [links[i] for i in sorted(set(picked))]


def ecmp_rounds(experiments, flows):
    """Experiments in rounds run one after another: at most one per group (leaf; clos3: pod, whose spines all
    experiments of the pod cross) in a round, so no measured interface carries two, and at most
    LISTENERS_PER_ROUND destination sockets open at once."""
    groups = {}
    for exp in experiments:
        groups.setdefault(exp[0], []).append(exp)
    rounds = []
    depth = max([len(v) for v in groups.values()] + [0])
    per_round = max(1, LISTENERS_PER_ROUND // max(flows, 1))
    for r in range(depth):
        batch = [v[r] for _k, v in sorted(groups.items(), key=lambda kv: str(kv[0])) if len(v) > r]
        for k in range(0, len(batch), per_round):
            rounds.append(batch[k:k + per_round])
    return rounds


# -------------------------------------------------------- sockets --


class Sock:
    """One UDP socket in one namespace."""

    __slots__ = ("sock", "fd", "netns", "label", "address", "port", "error")

    def __init__(self, netns, label, address):
        self.sock = self.fd = self.port = self.error = None
        self.netns, self.label, self.address = netns, label, address


def _open_udp(spec, dev, pmtudisc=IP_PMTUDISC_DO):
    """Bind spec (a Sock) here: its address, a free port, optionally a device; errors are kept, not raised."""
    s = None
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if dev:
            s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, dev.encode())
        s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, pmtudisc)
        s.bind((spec.address, 0))
        s.setblocking(False)
    except OSError as e:
        if s is not None:
            s.close()
        spec.error = "%s cannot open a socket on %s%s: %s" % (spec.label, spec.address, " (%s)" % dev if dev else "",
                                                              e.strerror or e)
        return spec
    spec.sock, spec.fd, spec.port = s, s.fileno(), s.getsockname()[1]
    return spec


def open_sockets(netns, wanted):
    """[(Sock, dev)] of one namespace opened from inside it (one setns there and back)."""
    def make():
        done = []
        try:
            for spec, dev in wanted:
                done.append(_open_udp(spec, dev))
        except BaseException:
            close_socks(done)
            raise
        return done
    return nsmod.in_netns(netns, make)


def close_socks(socks):
    for s in socks:
        if s.sock is not None:
            s.sock.close()
            s.sock = None


def raise_fd_limit(needed):
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        top = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (top, hard))


# ---------------------------------------------------------- probes --


class Probe:
    """One datagram's journey from one Sock to another, with the outcome.

    expect: True (must arrive) or False (must not: one byte over the MTU).
    outcome: None while pending; "arrived", "refused" (the sender's kernel
    said no), "icmp" (a router answered with an error) or "lost".
    """

    __slots__ = ("pid", "kind", "src", "to", "dst", "size", "expect", "attempts", "last", "outcome", "detail",
                 "icmp_mtu", "cached_mtu", "received")

    def __init__(self, kind, src, to, size, expect=True):
        self.pid = None
        self.kind, self.src, self.to, self.size, self.expect = kind, src, to, size, expect
        self.dst = (to.address, to.port)
        self.attempts, self.last, self.outcome, self.detail = 0, None, None, None
        self.icmp_mtu = self.cached_mtu = self.received = None

    @property
    def ok(self):
        return (self.outcome == "arrived") == self.expect

    def payload(self, run=0):
        head = HEADER.pack(MAGIC, KINDS.index(self.kind), run, self.pid)
        return head + b"\0" * max(0, self.size - len(head))


def _icmp_text(origin, etype, code, info, offender):
    if origin == SO_EE_ORIGIN_ICMP and etype == 3:
        text = "ICMP %s" % ICMP_UNREACH.get(code, "destination unreachable (code %d)" % code)
        if code == 4:
            text += ", next-hop MTU %d" % info
    elif origin == SO_EE_ORIGIN_ICMP and etype == 11:
        text = "ICMP time exceeded (a routing loop?)"
    elif origin == SO_EE_ORIGIN_ICMP:
        text = "ICMP type %d code %d" % (etype, code)
    else:
        text = "local error"
    return text + (" from %s" % offender if offender else "")


class Engine:
    """Sends probes and collects what happens to them, across every socket, in one poll() loop.

    Each engine stamps its datagrams with a run number of its own, so a late
    datagram of an earlier run (a probe sent again) is never taken for one of
    this run's.
    """

    _runs = [0]

    def __init__(self):
        self.probes = []
        self.open = 0
        Engine._runs[0] = (Engine._runs[0] + 1) & 0xFFFF
        self.run_id = Engine._runs[0]

    def _mine(self, data):
        """The probe a datagram (or the part of it an ICMP error quotes) belongs to, or None."""
        if len(data) < HEADER.size:
            return None
        magic, _kind, run, pid = HEADER.unpack_from(data)
        if magic != MAGIC or run != self.run_id or pid >= len(self.probes):
            return None
        return self.probes[pid]

    def add(self, probe):
        probe.pid = len(self.probes)
        self.probes.append(probe)
        return probe

    def _settle(self, p, outcome, detail=None):
        if p.outcome is None:
            self.open -= 1
        p.outcome, p.detail = outcome, detail

    def _drain_errors(self, s):
        """Read s's error queue; attribute ICMP errors to probes. Returns (icmp errors read, last local MTU)."""
        icmp, local_mtu = 0, None
        while True:
            try:
                data, anc, _flags, _addr = s.sock.recvmsg(64, 512, MSG_ERRQUEUE)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    break
                raise
            for level, kind, body in anc:
                if level != socket.IPPROTO_IP or kind != IP_RECVERR or len(body) < EXTENDED_ERR.size:
                    continue
                _err, origin, etype, code, _pad, info, _data = EXTENDED_ERR.unpack_from(body)
                offender = None
                if len(body) >= EXTENDED_ERR.size + 8:
                    family = struct.unpack_from("=H", body, EXTENDED_ERR.size)[0]
                    if family == socket.AF_INET:
                        offender = socket.inet_ntoa(body[EXTENDED_ERR.size + 4:EXTENDED_ERR.size + 8])
                if origin == SO_EE_ORIGIN_LOCAL:
                    local_mtu = info
                    continue
                icmp += 1
                p = self._mine(data)
                if p is None or p.outcome is not None:
                    continue
                self._settle(p, "icmp", _icmp_text(origin, etype, code, info, offender))
                if origin == SO_EE_ORIGIN_ICMP and etype == 3 and code == 4:
                    p.icmp_mtu = info
        return icmp, local_mtu

    def _sendto(self, p, mode=None):
        """One sendto; on a failure first collect pending ICMP errors (a socket reports an earlier datagram's
        error on its next call), and try again once if there were any."""
        s = p.src
        data = p.payload(self.run_id)
        for attempt in (0, 1):
            try:
                if mode is not None:
                    s.sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, mode)
                try:
                    s.sock.sendto(data, p.dst)
                finally:
                    if mode is not None:
                        s.sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
                return None, None
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ENOBUFS):
                    return e.errno, None
                icmp, local_mtu = self._drain_errors(s)
                if icmp and attempt == 0:
                    continue
                return e.errno, local_mtu
        return None, None

    def send(self, p, now):
        p.last = now
        if p.src.sock is None:
            self._settle(p, "refused", "not sent: the sender " + p.src.error)
            return
        if p.to.sock is None:
            self._settle(p, "refused", "not sent: the destination " + p.to.error)
            return
        p.attempts += 1
        code, local_mtu = self._sendto(p)
        if code in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ENOBUFS):
            p.attempts -= 1  # the socket's buffer is full: again at the next round
            return
        if code == errno.EMSGSIZE and p.kind == "mtu":
            # the kernel holds a lower path MTU (learned from ICMP earlier): test the links themselves
            p.cached_mtu = local_mtu
            code, local_mtu = self._sendto(p, IP_PMTUDISC_PROBE)
        if code is None or p.outcome is not None:
            return
        if code == errno.EMSGSIZE:
            self._settle(p, "refused", "refused by the sender (EMSGSIZE%s)"
                         % (", MTU %d" % local_mtu if local_mtu else ""))
        else:
            self._settle(p, "refused", "refused by the sender: %s (%s)"
                         % (os.strerror(code), errno.errorcode.get(code, code)))

    def _receive(self, s):
        while True:
            try:
                data = s.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK) or not self._drain_errors(s)[0]:
                    return
                continue  # an ICMP error reported on this call: collected, read on
            p = self._mine(data)
            if p is None or p.dst != (s.address, s.port):
                continue
            p.received = len(data)
            if len(data) == p.size and p.outcome != "arrived":
                if p.outcome is None:
                    self.open -= 1
                p.outcome, p.detail = "arrived", None  # arrival is proof, whatever was said before

    def run(self, socks, timeout, resend=True):
        """Send every probe, then poll until each has an outcome or `timeout` seconds have passed.

        Probes that must arrive are sent again every timeout/(ATTEMPTS+1)
        seconds, ATTEMPTS times in all, unless resend is False.
        """
        start = time.monotonic()
        deadline = start + timeout
        interval = max(timeout / (ATTEMPTS + 1.0), 0.02)
        poller = select.poll()
        by_fd = {}
        for s in socks:
            if s.sock is not None and s.fd not in by_fd:
                by_fd[s.fd] = s
                poller.register(s.fd, select.POLLIN | select.POLLERR)
        self.open = sum(1 for p in self.probes if p.outcome is None)
        for p in self.probes:
            if p.outcome is None and p.attempts == 0:
                self.send(p, start)
        next_round = start + interval
        while self.open > 0:
            now = time.monotonic()
            if now >= deadline:
                break
            if resend and now >= next_round:
                for p in self.probes:
                    if p.outcome is None and p.expect and p.attempts < ATTEMPTS:
                        self.send(p, now)
                next_round = now + interval
            wake = min(deadline, next_round) if resend else deadline
            for fd, event in poller.poll(int(max(0.0, wake - time.monotonic()) * 1000) + 1):
                s = by_fd[fd]
                if event & select.POLLERR:
                    self._drain_errors(s)
                if event & select.POLLIN:
                    self._receive(s)
        for p in self.probes:
            if p.outcome is None:
                self._settle(p, "lost", p.detail or "no answer within %g s" % timeout)
        return time.monotonic() - start


# --------------------------------------------------------- counters --


def link_stats(session, ifname):
    """(rx_packets, tx_packets) of one link, from IFLA_STATS64 of an RTM_GETLINK (None: no such link)."""
    index = session.ifindex(ifname)
    if index is None:
        return None
    for rtype, body in session.transact(rtnl.RTM_GETLINK, 0, rtnl.ifinfomsg(index)):
        if rtype != rtnl.RTM_NEWLINK:
            continue
        attrs = nla.pick(body, rtnl.IFINFOMSG.size, (IFLA_STATS64,))
        if IFLA_STATS64 in attrs and len(attrs[IFLA_STATS64]) >= 16:
            return struct.unpack_from("=QQ", attrs[IFLA_STATS64])
    return None


# -------------------------------------------------------- validator --


class Validator:
    """Validation of one host's share of a staged fabric: run() does every part (open, connectivity, ecmp,
    sampled_links, close); tests call the parts."""

    def __init__(self, plan, host="localhost", sample=8, flows=64, timeout=1.0, state_dir=None):
        for name, value, low in (("sample", sample, 0), ("flows", flows, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise errors.ValidationError(name, "%r: a whole number >= %d" % (value, low))
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 60:
            raise errors.ValidationError("timeout", "%r: seconds, more than 0 and at most 60" % (timeout,))
        self.plan, self.host, self.state_dir = plan, host, state_dir
        self.sample, self.flows, self.timeout = sample, flows, float(timeout)
        self.fabric = plan["fabric"]
        self.nodes = plan["nodes"]
        self.all_endpoints = endpoints(plan)
        self.eps = [ep for ep in self.all_endpoints if ep.host == host]
        self.socks = {}  # (netns, address) -> Sock
        self.sessions = {}
        self.problems = []
        self.elapsed = {}

    # ------------------------------------------------------------ setup --

    def local(self, node):
        return self.nodes[node].get("host", "localhost") == self.host

    def check_staged(self):
        wanted = [ns["name"] for ns in self.plan["namespaces"] if ns.get("host", "localhost") == self.host]
        missing = [n for n in wanted if g.namespace_mark(n) != g.mark(self.fabric)]
        if missing:
            raise errors.ModuleError(None, "fabric %s is not staged on %s: %s %s not there (or not the "
                                     "fabric's); stage it with state=present first"
                                     % (self.fabric, self.host, ", ".join(missing[:5])
                                        + (" and %d more" % (len(missing) - 5) if len(missing) > 5 else ""),
                                        "is" if len(missing) == 1 else "are"))

    def session(self, netns):
        s = self.sessions.get(netns)
        if s is None:
            s = self.sessions[netns] = NetlinkSession(netns, timeout=max(self.timeout, 5.0))
        return s

    def sock(self, netns, address):
        return self.socks[(netns, address)]

    def open(self):
        """Endpoint sockets, and sockets on both addressed ends of every local switch link."""
        want = {}
        for ep in self.eps:
            want.setdefault(ep.netns, []).append((Sock(ep.netns, ep.label, ep.address), ep.dev))
        ends = [a for a, _b, _l in self.switch_hops()]
        if self.plan["mode"] == "l2":
            ends.extend(spine_end for spine_end, _ep, _l in self.l2_hops())
        for end in ends:
            key = (end["netns"], _ip(end["address"]))
            if not any((spec.netns, spec.address) == key for spec, _d in want.get(end["netns"], [])):
                want.setdefault(end["netns"], []).append(
                    (Sock(end["netns"], "%s/%s" % (end["node"], end["ifname"]), _ip(end["address"])), end["ifname"]))
        raise_fd_limit(sum(len(v) for v in want.values()) + LISTENERS_PER_ROUND + 4 * len(self.plan["namespaces"])
                       + 256)
        for netns in sorted(want):
            for spec in open_sockets(netns, want[netns]):
                self.socks[(spec.netns, spec.address)] = spec

    def close(self):
        close_socks(list(self.socks.values()))
        self.socks = {}
        for s in self.sessions.values():
            s.close()
        self.sessions = {}

    # ---------------------------------------------------- what to probe --

    def switch_hops(self):
        """[(from end, to end, link)]: both directions of every switch link on this host with addresses at both
        ends (in l2 a leaf's ends are bridge ports without one: see l2_hops)."""
        out = []
        for l in self.plan["links"]:
            if l["class"] == "server_leaf":
                continue
            a, b = l["ends"]
            if not (a.get("host", "localhost") == self.host and b.get("host", "localhost") == self.host):
                continue
            if a.get("address") and b.get("address"):
                out.extend([(a, b, l), (b, a, l)])
        return out

    def l2_hops(self):
        """[(spine end, endpoint, link)]: l2 leaf-spine links, probed from the spine to a server under the leaf."""
        out = []
        for l in self.plan["links"]:
            if l["class"] != "leaf_spine":
                continue
            ends = [e for e in l["ends"] if e.get("host", "localhost") == self.host]
            if len(ends) != 2:
                continue
            leaf_end = [e for e in ends if not e.get("address")]
            spine_end = [e for e in ends if e.get("address")]
            if len(leaf_end) != 1 or len(spine_end) != 1:
                continue
            under = [ep for ep in self.eps if ep.leaf == leaf_end[0]["node"]
                     and ipaddress.ip_address(ep.address) in ipaddress.ip_interface(spine_end[0]["address"]).network]
            if under:
                out.append((spine_end[0], under[0], l))
        return out

    # ------------------------------------------------------ connectivity --

    def connectivity(self):
        """Reachability per rail (and across rails) and path MTU, in one poll loop. Returns (reach, mtu)."""
        t0 = time.monotonic()
        engine = Engine()
        by_plane = planes(self.eps)
        reach = {}
        for plane, eps in by_plane.items():
            rows = []
            for src in eps:
                row = []
                for dst in eps:
                    if dst.server == src.server:
                        row.append(None)
                        continue
                    row.append(engine.add(Probe("reach", self.sock(src.netns, src.address),
                                                self.sock(dst.netns, dst.address), 32)))
                rows.append(row)
            reach[plane] = (eps, rows)
        cross = []
        if self.plan["kind"] == "rail_optimized" and len(by_plane) > 1:
            names = list(by_plane)
            for plane in names:
                eps = by_plane[plane]
                for i, src in enumerate(eps):
                    for other in names:
                        if other == plane:
                            continue
                        dst_list = by_plane[other]
                        dst = _next_server(dst_list, src.server, i)
                        if dst is None:
                            continue
                        cross.append((plane, other, src, dst, engine.add(Probe(
                            "reach", self.sock(src.netns, src.address), self.sock(dst.netns, dst.address), 32))))
        mtu_paths = []
        for plane, eps in by_plane.items():
            if len(eps) < 2:
                continue
            ring = list(range(len(eps))) if len(eps) > 2 else [0, 1]
            for i in ring:
                src, dst = eps[i], eps[(i + 1) % len(eps)]
                if src.server == dst.server:
                    continue
                mtu_paths.append(self._mtu_pair(engine, src.label, self.sock(src.netns, src.address),
                                                dst.label, self.sock(dst.netns, dst.address),
                                                path_mtu(self.plan, src, dst), "server"))
        for a, b, link in self.switch_hops():
            mtu_paths.append(self._mtu_pair(engine, "%s/%s" % (a["node"], a["ifname"]),
                                            self.sock(a["netns"], _ip(a["address"])),
                                            "%s/%s" % (b["node"], b["ifname"]),
                                            self.sock(b["netns"], _ip(b["address"])), link["mtu"], link["id"]))
        if self.plan["mode"] == "l2":
            for spine_end, ep, link in self.l2_hops():
                label = "%s/%s" % (spine_end["node"], spine_end["ifname"])
                spine_sock = self.sock(spine_end["netns"], _ip(spine_end["address"]))
                ep_sock = self.sock(ep.netns, ep.address)
                mtu = min(link["mtu"], ep.mtu)
                mtu_paths.append(self._mtu_pair(engine, label, spine_sock, ep.label, ep_sock, mtu, link["id"]))
                mtu_paths.append(self._mtu_pair(engine, ep.label, ep_sock, label, spine_sock, mtu, link["id"]))
        engine.run(list(self.socks.values()), self.timeout)
        self.elapsed["connectivity"] = round(time.monotonic() - t0, 3)
        return self._reach_result(reach, cross), self._mtu_result(mtu_paths)

    def _mtu_pair(self, engine, src_label, src, dst_label, dst, mtu, via):
        """A path's three probes: a small control datagram, one of the MTU and one a byte over it (all DF)."""
        control = engine.add(Probe("reach", src, dst, 32))
        at = engine.add(Probe("mtu", src, dst, mtu - UDP_IP_HEADERS))
        over = engine.add(Probe("over", src, dst, mtu - UDP_IP_HEADERS + 1, expect=False))
        return {"from": src_label, "to": dst_label, "via": via, "mtu": mtu, "control": control, "at": at,
                "over": over}

    def _reach_result(self, reach, cross):
        out = {"planes": {}, "across_rails": None, "failures": []}
        total = ok = 0
        for plane, (eps, rows) in reach.items():
            matrix, failed = [], []
            for src, row in zip(eps, rows):
                cells = []
                for dst, p in zip(eps, row):
                    if p is None:
                        cells.append(None)
                        continue
                    cells.append(p.ok)
                    total += 1
                    ok += p.ok
                    if not p.ok:
                        failed.append([src.server, dst.server])
                        out["failures"].append({"plane": plane, "from": src.server, "to": dst.server,
                                                "from_address": src.address, "to_address": dst.address,
                                                "reason": p.detail})
                matrix.append(cells)
            pairs = sum(1 for row in matrix for v in row if v is not None)
            out["planes"][plane] = {"servers": [ep.server for ep in eps], "matrix": matrix,
                                    "reachable": pairs - len(failed), "pairs": pairs, "unreachable": failed}
            if failed:
                self.problems.append("reachability %s: %d of %d pairs unreachable: %s" % (
                    plane, len(failed), pairs, _pairs_text(out["failures"], plane)))
        if cross:
            rails = sorted(set(c[0] for c in cross) | set(c[1] for c in cross))
            index = dict((r, i) for i, r in enumerate(rails))
            oks = [[None if i == j else 0 for j in rails] for i in rails]
            tots = [[None if i == j else 0 for j in rails] for i in rails]
            failed = []
            for src_plane, dst_plane, src, dst, p in cross:
                i, j = index[src_plane], index[dst_plane]
                tots[i][j] += 1
                oks[i][j] += p.ok
                total += 1
                ok += p.ok
                if not p.ok:
                    plane = "%s->%s" % (src_plane, dst_plane)
                    failed.append([src.label, dst.label])
                    out["failures"].append({"plane": plane, "from": src.label, "to": dst.label,
                                            "from_address": src.address, "to_address": dst.address,
                                            "reason": p.detail})
            out["across_rails"] = {"rails": rails, "reachable": oks, "probed": tots, "unreachable": failed}
            if failed:
                self.problems.append("reachability across rails: %d of %d probes lost: %s" % (
                    len(failed), len(cross), _pairs_text([f for f in out["failures"] if "->" in f["plane"]], None)))
        out.update(probes=total, reachable=ok, ok=ok == total)
        return out

    def _mtu_result(self, paths):
        out = {"paths": [], "ok": True}
        for path in paths:
            control, at, over = path.pop("control"), path.pop("at"), path.pop("over")
            entry = dict(path)
            if at.outcome == "lost":
                at.detail = ("lost without an ICMP error (an MTU black hole)" if at.received is None else
                             "only %d of %d bytes arrived" % (at.received, at.size))
            entry.update(reachable=control.ok, at_mtu=at.outcome, at_mtu_detail=at.detail, over=over.outcome,
                         over_detail=over.detail,
                         cached_mtu=at.cached_mtu if at.cached_mtu and at.cached_mtu < path["mtu"] else None)
            problem = None
            if not control.ok:
                # the path is down: the reachability matrix names server pairs; switch links are named here
                problem = None if path["via"] == "server" else "the link does not carry small datagrams either (%s)" \
                    % control.detail
            elif not at.ok:
                problem = "%d-byte datagrams (DF) do not arrive: %s" % (path["mtu"], at.detail)
            elif not over.ok:
                problem = ("a datagram one byte over %d arrived: the path MTU is larger than planned" % path["mtu"])
            entry["ok"] = control.ok and at.ok and over.ok
            if not entry["ok"]:
                out["ok"] = False
            if problem:
                self.problems.append("path MTU %s -> %s: %s" % (path["from"], path["to"], problem))
            out["paths"].append(entry)
        out["checked"] = len(out["paths"])
        out["failed"] = sum(1 for p in out["paths"] if not p["ok"])
        return out

    # ------------------------------------------------------------- ECMP --

    def ecmp_experiments(self):
        """[(group, leaf, src endpoint, dst endpoint, tiers)] of the l3 spread measurements on this host.

        tiers: [(tier name, [(node, [(netns, ifname)])])]: the interfaces whose rx counters add up per node.
        """
        out = []
        if self.plan["mode"] != "l3" or self.flows < 1:
            return out
        by_plane = planes(self.eps)
        leaves = [n["node"] for n in self.plan["namespaces"] if self.nodes[n["node"]]["role"] == "leaf"]
        for leaf in leaves:
            if not self.local(leaf):
                continue
            uplinks = [l for l in self.plan["links"] if l["class"] == "leaf_spine"
                       and leaf in [e["node"] for e in l["ends"]]]
            if len(uplinks) < 2:
                continue
            under = [ep for ep in self.eps if ep.leaf == leaf]
            if not under:
                continue
            src = under[0]
            dst = self._ecmp_destination(src, by_plane)
            if dst is None:
                continue
            spine_tier = []
            for l in uplinks:
                far = [e for e in l["ends"] if e["node"] != leaf][0]
                spine_tier.append((far["node"], [(far["netns"], far["ifname"])], far.get("host", "localhost")))
            tiers = [("spines", spine_tier)]
            if self.plan["kind"] == "clos3" and dst.pod != src.pod:
                spines = set(n for n, _i, _h in spine_tier)
                supers = {}
                for l in self.plan["links"]:
                    if l["class"] != "spine_super":
                        continue
                    lo, hi = l["ends"]
                    if lo["node"] in spines:
                        supers.setdefault(hi["node"], ([], hi.get("host", "localhost")))[0].append(
                            (hi["netns"], hi["ifname"]))
                tiers.append(("super_spines", [(n, v[0], v[1]) for n, v in sorted(supers.items())]))
            if any(h != self.host for _t, nodes in tiers for _n, _i, h in nodes):
                continue
            tiers = [(t, [(n, i) for n, i, _h in nodes]) for t, nodes in tiers]
            group = src.pod if self.plan["kind"] == "clos3" else leaf
            out.append((group, leaf, src, dst, tiers))
        return out

    def _ecmp_destination(self, src, by_plane):
        if self.plan["kind"] == "rail_optimized":
            names = list(by_plane)
            if len(names) < 2:
                return None
            other = by_plane[names[(names.index(src.plane) + 1) % len(names)]]
            return _next_server(other, src.server, 0)
        cands = [ep for ep in self.eps if ep.leaf != src.leaf]
        if self.plan["kind"] == "clos3":
            cands = [ep for ep in cands if ep.pod != src.pod] or cands
        if not cands:
            return None
        after = [ep for ep in cands if self.all_endpoints.index(ep) > self.all_endpoints.index(src)]
        return (after or cands)[0]

    def ecmp(self):
        """How flows from each leaf divide over its spines (and super-spines), from the kernel's counters."""
        t0 = time.monotonic()
        experiments = self.ecmp_experiments()
        result = {"flows": self.flows, "experiments": [], "ok": True, "skipped": None}
        if self.plan["mode"] != "l3":
            result["skipped"] = "l2 mode: leaves bridge, servers pick a spine themselves"
        elif self.flows < 1:
            result["skipped"] = "flows is 0"
        elif not experiments:
            result["skipped"] = "no leaf on this host has two uplinks and a server with a destination across them"
        for batch in ecmp_rounds(experiments, self.flows):
            result["experiments"].extend(self._ecmp_round(batch))
        for e in result["experiments"]:
            if not e["ok"]:
                result["ok"] = False
        self.elapsed["ecmp"] = round(time.monotonic() - t0, 3)
        return result

    def _ecmp_round(self, batch):
        listeners = {}
        for _g, leaf, src, dst, _t in batch:
            listeners[leaf] = [Sock(dst.netns, "%s:flow%d" % (dst.label, f), dst.address) for f in range(self.flows)]
        opened = []
        try:
            by_ns = {}
            for leaf, socks in listeners.items():
                by_ns.setdefault(socks[0].netns, []).extend((s, None) for s in socks)
            for netns, wanted in sorted(by_ns.items()):
                opened.extend(open_sockets(netns, wanted))
            engine = Engine()
            flows = {}
            for _g, leaf, src, dst, _t in batch:
                src_sock = self.sock(src.netns, src.address)
                flows[leaf] = [engine.add(Probe("flow", src_sock, s, 32)) for s in listeners[leaf]]
            counters = [(leaf, tier, node, ifs) for _g, leaf, _s, _d, tiers in batch for tier, nodes in tiers
                        for node, ifs in nodes]
            before = self._read_counters(counters)
            engine.run(opened + list(self.socks.values()), self.timeout, resend=False)
            after = self._read_counters(counters)
        finally:
            close_socks(opened)
        out = []
        for _g, leaf, src, dst, tiers in batch:
            received = sum(1 for p in flows[leaf] if p.outcome == "arrived")
            entry = {"leaf": leaf, "from": src.label, "to": dst.label, "from_address": src.address,
                     "to_address": dst.address, "flows": self.flows, "received": received, "tiers": [], "ok": True}
            problems = []
            if received < self.flows:
                why = {}
                for p in flows[leaf]:
                    if p.outcome != "arrived":
                        why[p.detail] = why.get(p.detail, 0) + 1
                problems.append("%d of %d flows lost (%s)" % (self.flows - received, self.flows, ", ".join(
                    "%d: %s" % (n, d) for d, n in sorted(why.items(), key=lambda kv: (-kv[1], str(kv[0]))))))
            for tier, nodes in tiers:
                names = [n for n, _i in nodes]
                packets = [after[(leaf, tier, n)] - before[(leaf, tier, n)] for n in names]
                b = balance(packets)
                entry["tiers"].append({"tier": tier, "nodes": names, "packets": packets, "shares": b["shares"],
                                       "imbalance": b["imbalance"],
                                       "interfaces": [["%s/%s" % (ns, ifname) for ns, ifname in i] for _n, i in nodes]})
                idle = [n for n, c in zip(names, packets) if c <= 0]
                if idle and received == self.flows and idle_is_unlikely(len(names), self.flows):
                    problems.append("%s carried none of %d flows over %d %s (is net.ipv4.fib_multipath_hash_policy "
                                    "still 1?)" % (", ".join(idle), self.flows, len(names), tier.replace("_", "-")))
            if problems:
                entry["ok"] = False
                self.problems.append("ECMP from %s (%s -> %s): %s" % (leaf, src.label, dst.label, "; ".join(problems)))
            out.append(entry)
        return out

    def _read_counters(self, counters):
        out = {}
        for leaf, tier, node, ifs in counters:
            total = 0
            for netns, ifname in ifs:
                stats = link_stats(self.session(netns), ifname)
                total += stats[0] if stats else 0
            out[(leaf, tier, node)] = total
        return out

    # ------------------------------------------------------------ links --

    def sampled_links(self):
        """Rate, delay and MTU of sampled links, read back from the kernel, against the plan."""
        t0 = time.monotonic()
        local = [l for l in self.plan["links"] if any(e.get("host", "localhost") == self.host for e in l["ends"])]
        picked = sample_links(local, self.sample)
        impaired = self.impaired_ends()
        picked += [l for l in local if l not in picked  # the impaired links are always read back
                   and any((e["netns"], e["ifname"]) in impaired for e in l["ends"])]
        entries = dict((ns["name"], ns) for ns in self.plan["namespaces"])
        read = {}
        out = {"sampled": [], "ok": True, "impaired": 0}
        for l in picked:
            for end in l["ends"]:
                if end.get("host", "localhost") != self.host:
                    continue
                ns = end["netns"]
                if ns not in read:
                    read[ns] = self._read_qdiscs(ns)
                links, qdiscs = read[ns]
                want = _planned_end(entries.get(ns, {}), end["ifname"], l)
                view = g.qdisc_view(qdiscs.get(end["ifname"], {}))
                got = {"qdisc": view.get("qdisc"), "rate_bit": view.get("rate_bit"),
                       "delay_us": view.get("delay_us", 0), "mtu": links.get(end["ifname"])}
                diffs = []
                if end["ifname"] not in links:
                    diffs.append("the interface is missing")
                else:
                    for key, unit in (("qdisc", ""), ("rate_bit", " bit/s"), ("delay_us", " us"), ("mtu", "")):
                        if not _same(key, got[key], want[key]):
                            diffs.append("%s %s%s, plan %s%s" % (key.replace("_bit", "").replace("_us", ""),
                                                                 _v(got[key]), unit if got[key] is not None else "",
                                                                 _v(want[key]), unit if want[key] is not None else ""))
                item = {"link": l["id"], "class": l["class"], "node": end["node"], "netns": ns,
                        "ifname": end["ifname"], "plan": want, "kernel": got, "ok": not diffs}
                rule = impaired.get((ns, end["ifname"]))
                if rule is not None:  # the collection impaired this end (a sweep point): not the plan, and not a fault
                    item.update(impaired=rule, ok=True, differs=diffs)
                    out["impaired"] += 1
                    diffs = []
                out["sampled"].append(item)
                if diffs:
                    out["ok"] = False
                    self.problems.append("link %s at %s/%s: %s" % (l["id"], end["node"], end["ifname"],
                                                                   "; ".join(diffs)))
        out["links"] = len(picked)
        out["ends"] = len(out["sampled"])
        self.elapsed["links"] = round(time.monotonic() - t0, 3)
        return out

    def impaired_ends(self):
        """{(netns, ifname): rule} of the ends the fabric's state record says the collection impaired here."""
        from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import impair, stage
        try:
            entry = stage.record_store(self.plan["fabric"], self.state_dir).host(self.host)
        except (IOError, OSError, ValueError):
            return {}
        return dict(((e["netns"], e["interface"]), e["rule"]) for e in impair.recorded(entry))

    def _read_qdiscs(self, netns):
        session = self.session(netns)
        links = rtnl.dump_links(session)
        by_index = dict((l["index"], l["name"]) for l in links)
        state = g.NsState(netns)
        g.read_qdiscs(session, state, by_index)
        return dict((l["name"], l["mtu"]) for l in links), state.qdiscs

    # ------------------------------------------------------------- all --

    def neighbours(self):
        """The fabric's ARP demand here against the host-wide cap; over it, traffic is dropped at random."""
        needed = neighbour_demand(self.plan, self.host)
        try:
            with open(GC_THRESH3) as f:  # this thread's namespace: the host's, where the module runs
                cap = int(f.read().strip())
        except (IOError, OSError, ValueError):
            cap = None
        ok = cap is None or needed <= cap
        if not ok:
            self.problems.append(
                "the fabric's addresses need up to %d ARP entries on this host (every address with every other on "
                "its subnet), more than net.ipv4.neigh.default.gc_thresh3 = %d, which all namespaces share: beyond "
                "it the kernel drops packets (neighbor table overflow); raise gc_thresh3 and gc_thresh2 above %d"
                % (needed, cap, needed))
        return {"needed": needed, "gc_thresh3": cap, "ok": ok}

    def run(self):
        t0 = time.monotonic()
        self.check_staged()
        neighbours = self.neighbours()  # first: when it fails, it explains the losses below
        try:
            self.open()
            reach, mtu = self.connectivity()
            ecmp = self.ecmp()
            links = self.sampled_links()
        finally:
            self.close()
        self.elapsed["total"] = round(time.monotonic() - t0, 3)
        remote = len(self.all_endpoints) - len(self.eps)
        data = {"ok": not self.problems, "problems": list(self.problems),
                "scope": {"host": self.host, "servers": len(set(ep.server for ep in self.eps)),
                          "endpoints": len(self.eps), "endpoints_elsewhere": remote},
                "reachability": reach, "mtu": mtu, "ecmp": ecmp, "links": links, "neighbours": neighbours,
                "settings": {"sample": self.sample, "flows": self.flows, "timeout": self.timeout},
                "elapsed_s": dict(self.elapsed)}
        data["summary_lines"] = summary_lines(self.fabric, data)
        return data


def _v(value):
    return "none" if value is None else value


def _planned_end(entry, ifname, link):
    """What the plan puts on one end of a link: rate qdisc, rate, netem delay, MTU."""
    shaping = [s for s in entry.get("shaping") or [] if s["ifname"] == ifname]
    netem = [n for n in entry.get("netem") or [] if n["ifname"] == ifname]
    return {"qdisc": shaping[0].get("qdisc", "htb") if shaping else None,
            "rate_bit": shaping[0]["rate_bit"] if shaping else None,
            "delay_us": netem[0]["delay_us"] if netem else 0, "mtu": link["mtu"]}


def _same(key, got, want):
    if key == "rate_bit" and got is not None and want is not None:
        return got // 8 == want // 8  # the kernel keeps bytes/s
    return got == want


def _next_server(eps, server, start):
    """The first endpoint in eps after `server`'s position (wrapping), of another server."""
    if not eps:
        return None
    names = [ep.server for ep in eps]
    i = names.index(server) if server in names else start
    for k in range(1, len(eps) + 1):
        ep = eps[(i + k) % len(eps)]
        if ep.server != server:
            return ep
    return None


def _pairs_text(failures, plane, limit=8):
    """'a -> b, c -> d: reason; ...': failed pairs grouped by what happened to them."""
    chosen = [f for f in failures if plane is None or f["plane"] == plane]
    reasons = []
    by_reason = {}
    for f in chosen:
        if f["reason"] not in by_reason:
            reasons.append(f["reason"])
        by_reason.setdefault(f["reason"], []).append("%s -> %s" % (f["from"], f["to"]))
    parts = []
    for reason in reasons:
        pairs = by_reason[reason]
        text = ", ".join(pairs[:limit]) + (" and %d more" % (len(pairs) - limit) if len(pairs) > limit else "")
        parts.append("%s: %s" % (text, reason))
    return "; ".join(parts)


def summary_lines(fabric, data):
    """The readable report."""
    lines = []
    scope = data["scope"]
    verdict = "passed" if data["ok"] else "FAILED (%d problem%s)" % (len(data["problems"]),
                                                                     "" if len(data["problems"]) == 1 else "s")
    lines.append("fabric %s on %s: validation %s in %.2f s (%d servers, %d endpoints%s)" % (
        fabric, scope["host"], verdict, data["elapsed_s"].get("total", 0.0), scope["servers"], scope["endpoints"],
        ", %d on other hosts not probed" % scope["endpoints_elsewhere"] if scope["endpoints_elsewhere"] else ""))
    reach = data["reachability"]
    parts = ["%s %d/%d" % (plane, p["reachable"], p["pairs"]) for plane, p in reach["planes"].items()]
    across = reach.get("across_rails")
    if across:
        ok = sum(v for row in across["reachable"] for v in row if v is not None)
        probed = sum(v for row in across["probed"] for v in row if v is not None)
        parts.append("across rails %d/%d" % (ok, probed))
    lines.append("reachability: %s" % (", ".join(parts) or "no server pairs on this host"))
    for plane, p in reach["planes"].items():
        if p["unreachable"] and len(p["servers"]) <= MATRIX_MAX:
            lines.append("reachability %s:" % plane)
            lines.extend(format_matrix(p["servers"], p["matrix"]))
    for f in reach["failures"][:10]:
        lines.append("  %s: %s -> %s (%s -> %s): %s" % (f["plane"], f["from"], f["to"], f["from_address"],
                                                        f["to_address"], f["reason"]))
    if len(reach["failures"]) > 10:
        lines.append("  ... and %d more" % (len(reach["failures"]) - 10))
    mtu = data["mtu"]
    sizes = sorted(set(p["mtu"] for p in mtu["paths"]))
    lines.append("path MTU: %d/%d paths carry their MTU (%s) with DF set and refuse one byte more" % (
        mtu["checked"] - mtu["failed"], mtu["checked"], ", ".join(str(s) for s in sizes) or "-"))
    for p in mtu["paths"]:
        if not p["ok"]:
            lines.append("  %s -> %s (%d): %s; one byte more: %s" % (
                p["from"], p["to"], p["mtu"], p["at_mtu_detail"] or p["at_mtu"] if p["reachable"] else
                "unreachable", p["over_detail"] or p["over"]))
    stale = [p for p in mtu["paths"] if p["cached_mtu"]]
    if stale:
        lines.append("  note: %d path(s) had a lower path MTU cached from an earlier ICMP error (%s); the links "
                     "carry the planned size now" % (len(stale), ", ".join("%s -> %s: %d" % (
                         p["from"], p["to"], p["cached_mtu"]) for p in stale[:4])))
    ecmp = data["ecmp"]
    if ecmp["skipped"]:
        lines.append("ECMP: not measured (%s)" % ecmp["skipped"])
    for e in ecmp["experiments"]:
        tiers = "; ".join("%s %s (imbalance %s)" % (t["tier"].replace("_", "-"), " ".join(
            "%s %d%%" % (n, round(s * 100)) for n, s in zip(t["nodes"], t["shares"])),
            "-" if t["imbalance"] is None else "%.2f" % t["imbalance"]) for t in e["tiers"])
        lines.append("ECMP from %s: %d/%d flows %s -> %s; %s" % (e["leaf"], e["received"], e["flows"], e["from"],
                                                                 e["to"], tiers))
    links = data["links"]
    bad = [s for s in links["sampled"] if not s["ok"]]
    lines.append("links: %d sampled (%d ends): %s%s" % (
        links["links"], links["ends"], "rate, delay and MTU as planned" if not bad else "%d end(s) differ" % len(bad),
        "; %d end(s) impaired by the collection (a sweep point or an impairment task: not the plan, not a fault)"
        % links["impaired"] if links.get("impaired") else ""))
    for s in bad:
        lines.append("  %s at %s/%s: kernel %s, plan %s" % (s["link"], s["node"], s["ifname"], _brief(s["kernel"]),
                                                            _brief(s["plan"])))
    if data["problems"]:
        lines.append("problems:")
        lines.extend("  - %s" % p for p in data["problems"])
    return lines


def _brief(d):
    return "%s %s bit/s, delay %s us, mtu %s" % (_v(d["qdisc"]), _v(d["rate_bit"]), _v(d["delay_us"]), _v(d["mtu"]))


def validate(plan, host="localhost", sample=8, flows=64, timeout=1.0, state_dir=None):
    """Validate this host's share of a staged fabric.

    {"validation": {ok, problems, scope, reachability, mtu, ecmp, links,
    settings, elapsed_s, summary_lines}, "failed": not ok, "msg": what
    failed (only when it failed)}. A fabric not staged here raises
    errors.ModuleError before anything is probed.
    """
    data = Validator(plan, host, sample=sample, flows=flows, timeout=timeout, state_dir=state_dir).run()
    out = {"validation": data, "failed": not data["ok"]}
    if not data["ok"]:
        out["msg"] = "fabric %s failed validation on %s: %s" % (plan["fabric"], host, "; ".join(data["problems"]))
    return out
