# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Link, address and route codecs (linux/rtnetlink.h, linux/if_link.h)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import socket
import struct

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import require_ifname

RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK = 16, 17, 18, 19
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
RTM_GETROUTE = 26
IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
RTMSG = struct.Struct("=BBBBBBBBI")  # family dst_len src_len tos table proto scope type flags
IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_LINKINFO, IFLA_IFALIAS = 3, 4, 5, 10, 18, 20
IFLA_LINK_NETNSID = 37
IFLA_EXT_MASK = 29
RTEXT_FILTER_SKIP_STATS = 1 << 3
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
IFA_ADDRESS, IFA_LOCAL = 1, 2
IFA_F_NODAD = 0x02  # linux/if_addr.h: no duplicate address detection (the address is usable at once)
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_TABLE, RTA_MULTIPATH = 1, 4, 5, 15, 9
RT_TABLE_MAIN = 254
IFF_UP = 0x1


_LINK_KIND, _LINK_DATA = (IFLA_LINKINFO, IFLA_INFO_KIND), (IFLA_LINKINFO, IFLA_INFO_DATA)
_LINK_LAYOUTS = nla.Layouts(IFINFOMSG.size, (IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_LINKINFO, IFLA_IFALIAS,
                                             IFLA_LINK_NETNSID),
                            nested={IFLA_LINKINFO: (IFLA_INFO_KIND, IFLA_INFO_DATA)})
_U32 = struct.Struct("=I").unpack_from
_S32 = struct.Struct("=i").unpack_from
_INDEX_FLAGS = struct.Struct("=iI").unpack_from


def ifinfomsg(index=0, flags=0, change=0):
    return IFINFOMSG.pack(socket.AF_UNSPEC, 0, index, flags, change)


def parse_link(buf, start=0, end=None):
    """The few link attributes we use, from the link message in buf[start:end].

    Written out inline: fact gathering runs this for every link of a namespace.
    """
    end = len(buf) if end is None else end
    index, flags = _INDEX_FLAGS(buf, start + 4)
    at = _LINK_LAYOUTS.find(buf, start, end).get
    name, kind, alias, data, mtu, link, netnsid = (at(IFLA_IFNAME), at(_LINK_KIND), at(IFLA_IFALIAS),
                                                   at(_LINK_DATA), at(IFLA_MTU), at(IFLA_LINK),
                                                   at(IFLA_LINK_NETNSID))
    return {"index": index, "name": _string(buf, start, name) if name else "", "up": bool(flags & IFF_UP),
            "kind": _string(buf, start, kind) if kind else None,
            "alias": _string(buf, start, alias) if alias else "",
            "mtu": _U32(buf, start + mtu[0])[0] if mtu else None,
            "link": _U32(buf, start + link[0])[0] if link else None,
            "data": bytes(buf[start + data[0]:start + data[0] + data[1]]) if data else None,
            "netnsid": _S32(buf, start + netnsid[0])[0] if netnsid else None}


def _string(buf, start, where):
    """The NUL-terminated attribute string at where = (offset from start, length)."""
    text = buf[start + where[0]:start + where[0] + where[1]]
    cut = text.find(b"\0")
    return (text if cut < 0 else text[:cut]).decode(errors="replace")


def dump_links(session):
    # RTEXT_FILTER_SKIP_STATS: the counters are most of each message and we never read them
    request = ifinfomsg() + nla.attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)
    return session.dump(RTM_GETLINK, request, parse_link)


def ifname_attr(name, kind=IFLA_IFNAME):
    """The attribute naming a link; InvalidInterfaceName (InterfaceNameTooLong: over 15 bytes) for what Linux refuses.

    The kernel would refuse such a name too, but it is clearer to name the
    problem before anything is sent (and nothing is ever cut short).
    """
    return nla.attr_str(kind, require_ifname(name))


def new_link_request(name, kind, up=True):
    body = ifinfomsg(0, IFF_UP if up else 0, IFF_UP if up else 0)
    body += ifname_attr(name)
    body += nla.nested(IFLA_LINKINFO, nla.attr_str(IFLA_INFO_KIND, kind))
    return RTM_NEWLINK, nla.NLM_F_CREATE | nla.NLM_F_EXCL, body


def set_alias_request(name, alias):
    """The kernel ignores IFLA_IFALIAS on creation; set it on the named link."""
    body = ifinfomsg() + ifname_attr(name) + nla.attr_str(IFLA_IFALIAS, alias)
    return RTM_SETLINK, 0, body


def del_link_request(index):
    return RTM_DELLINK, 0, ifinfomsg(index)


_INET_FAMILIES = (socket.AF_INET, socket.AF_INET6)
RT_SCOPE_LINK = 253


def dump_addresses(session, with_prefix=False, ipv6_link_local=True):
    """[(ifindex, address)] for every IPv4/IPv6 address ('addr/len' with with_prefix).

    ipv6_link_local=False leaves out the fe80::/10 addresses the kernel gives every IPv6 link.
    IFA_LOCAL wins over IFA_ADDRESS (the peer, on point-to-point links).
    """
    header, ntop = nla.NLA_HDR.unpack_from, socket.inet_ntop

    def parse(buf, start, end):
        family, plen, _flags, scope, index = IFADDRMSG.unpack_from(buf, start)
        if family not in _INET_FAMILIES or (scope == RT_SCOPE_LINK and family == socket.AF_INET6
                                            and not ipv6_link_local):
            return None
        offset, where = start + IFADDRMSG.size, None
        while offset + 4 <= end:  # a few attributes, IFA_LOCAL among the first: no layout cache needed
            size, kind = header(buf, offset)
            if size < 4:
                break
            if kind == IFA_LOCAL:
                where = offset
                break
            if kind == IFA_ADDRESS:
                where = offset
            offset += (size + 3) & ~3
        if where is None:
            return None
        text = ntop(family, bytes(buf[where + 4:where + header(buf, where)[0]]))
        return index, "%s/%d" % (text, plen) if with_prefix else text

    return [a for a in session.dump(RTM_GETADDR, IFADDRMSG.pack(0, 0, 0, 0, 0), parse) if a is not None]


def addr_request(action, ifindex, cidr):
    """RTM_NEWADDR / RTM_DELADDR for 'address/prefixlen'."""
    text, plen = cidr.rsplit("/", 1)
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    raw = socket.inet_pton(family, text)
    body = IFADDRMSG.pack(family, int(plen), IFA_F_NODAD if family == socket.AF_INET6 else 0, 0, ifindex)
    body += nla.attr(IFA_LOCAL, raw) + nla.attr(IFA_ADDRESS, raw)
    if action == "delete":
        return RTM_DELADDR, 0, body
    return RTM_NEWADDR, nla.NLM_F_CREATE | nla.NLM_F_EXCL, body


def set_link_request(index, up=None, mtu=None, data_kind=None, data=None):
    """RTM_NEWLINK on an existing link: admin state, MTU, kind-specific data."""
    flags = change = 0
    if up is not None:
        flags, change = (IFF_UP if up else 0), IFF_UP
    body = ifinfomsg(index, flags, change)
    if mtu is not None:
        body += nla.attr_u32(IFLA_MTU, mtu)
    if data is not None:
        body += nla.nested(IFLA_LINKINFO, nla.attr_str(IFLA_INFO_KIND, data_kind),
                           nla.nested(IFLA_INFO_DATA, data))
    return RTM_NEWLINK, 0, body


def default_route_ifindexes(session):
    """Interfaces that carry a default route in the main table (v4 and v6).

    A route lookup towards a documentation address answers cheaply when there
    is no default route at all (the common case in lab namespaces); only
    otherwise are the routing tables dumped.
    """
    found = set()
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        if not _has_default_candidate(session, family, probe):
            continue
        for _t, body in session.dump(RTM_GETROUTE, RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)):
            fields = RTMSG.unpack_from(body)
            attrs = nla.attrs_dict(body, RTMSG.size)
            table = nla.as_u32(attrs[RTA_TABLE]) if RTA_TABLE in attrs else fields[4]
            if fields[1] != 0 or table != RT_TABLE_MAIN:
                continue
            if RTA_OIF in attrs:
                found.add(nla.as_u32(attrs[RTA_OIF]))
            if RTA_MULTIPATH in attrs:
                found.update(_multipath_ifindexes(attrs[RTA_MULTIPATH]))
    return found


def _has_default_candidate(session, family, probe):
    """False when a lookup of `probe` finds no route at all."""
    body = RTMSG.pack(family, 32 if family == socket.AF_INET else 128, 0, 0, 0, 0, 0, 0, 0)
    body += nla.attr(RTA_DST, socket.inet_pton(family, probe))
    try:
        session.request(RTM_GETROUTE, 0, body)
    except Exception as e:  # pylint: disable=broad-except
        return getattr(e, "errno", None) not in (errno.ENETUNREACH, errno.EHOSTUNREACH)
    return True


def _multipath_ifindexes(buf):
    offset, out = 0, set()
    while offset + 8 <= len(buf):
        length, _flags, _hops, ifindex = struct.unpack_from("=HBBi", buf, offset)
        if length < 8:
            break
        out.add(ifindex)
        offset += nla.align4(length)
    return out


# ------------------------------------------------ fabric staging: links --
# veth with its peer in another namespace, bridges, ports, VXLAN, details for read-back.
# Nests are framed as iproute2 frames them (no NLA_F_NESTED), so requests compare byte for byte with `ip`'s.

IFLA_NET_NS_PID, IFLA_NET_NS_FD = 19, 28
VETH_INFO_PEER = 1
IFLA_VXLAN_ID, IFLA_VXLAN_GROUP, IFLA_VXLAN_LINK, IFLA_VXLAN_LOCAL = 1, 2, 3, 4
IFLA_VXLAN_PORT, IFLA_VXLAN_GROUP6, IFLA_VXLAN_LOCAL6 = 15, 16, 17
RTM_NEWROUTE, RTM_DELROUTE = 24, 25
RTA_PRIORITY = 6
RTPROT_KERNEL, RTPROT_BOOT, RTPROT_STATIC = 2, 3, 4
RT_SCOPE_UNIVERSE, RT_SCOPE_NOWHERE = 0, 255
RTN_UNICAST = 1
RTNEXTHOP = struct.Struct("=HBBi")  # len, flags, hops, ifindex


def _nest(kind, *children):
    return nla.attr(kind, b"".join(children))


def _kind(name):
    return nla.attr(IFLA_INFO_KIND, name.encode())  # as ip sends it: no NUL (the kernel takes either)


def _link_body(index, name, mtu, up, extra=b"", before_name=b""):
    """ifinfomsg, then attributes in the order `ip link add NAME mtu M [netns NS] type ...` sends them."""
    body = ifinfomsg(index, IFF_UP if up else 0, IFF_UP if up else 0)
    if mtu is not None:
        body += nla.attr_u32(IFLA_MTU, mtu)
    body += before_name
    if name is not None:
        body += ifname_attr(name)
    return body + extra


def new_veth_request(name, peer, mtu=None, peer_mtu=None, peer_netns_fd=None, up=True, peer_up=False):
    """RTM_NEWLINK: veth `name` here, its `peer` in the namespace of peer_netns_fd (None: here too).

    `ip link add NAME mtu M up type veth peer name PEER mtu M netns NS`. The
    peer comes up with a request of its own: the kernel opens it before the
    pair is joined, and refuses (ENOTCONN).
    """
    peer_attrs = b""
    if peer_netns_fd is not None:
        peer_attrs = nla.attr_u32(IFLA_NET_NS_FD, peer_netns_fd)
    peer_body = _link_body(0, peer, mtu if peer_mtu is None else peer_mtu, peer_up, before_name=peer_attrs)
    info = _nest(IFLA_LINKINFO, _kind("veth"),
                 _nest(IFLA_INFO_DATA, nla.attr(VETH_INFO_PEER, peer_body)))
    return RTM_NEWLINK, nla.NLM_F_CREATE | nla.NLM_F_EXCL, _link_body(0, name, mtu, up, info)


def new_bridge_request(name, mtu=None, up=True):
    """RTM_NEWLINK: `ip link add NAME mtu M up type bridge` (STP off: ports forward at once)."""
    info = _nest(IFLA_LINKINFO, _kind("bridge"))
    return RTM_NEWLINK, nla.NLM_F_CREATE | nla.NLM_F_EXCL, _link_body(0, name, mtu, up, info)


def _ip_bytes(text):
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    return family, socket.inet_pton(family, text)


def encode_vxlan(vni, port=4789, local=None, remote=None, link=None):
    """IFLA_INFO_DATA payload of a VXLAN: id, remote (the 'group' attribute), local, underlay ifindex, UDP port."""
    parts = [nla.attr_u32(IFLA_VXLAN_ID, vni)]
    if remote:
        family, raw = _ip_bytes(remote)
        parts.append(nla.attr(IFLA_VXLAN_GROUP if family == socket.AF_INET else IFLA_VXLAN_GROUP6, raw))
    if local:
        family, raw = _ip_bytes(local)
        parts.append(nla.attr(IFLA_VXLAN_LOCAL if family == socket.AF_INET else IFLA_VXLAN_LOCAL6, raw))
    if link:
        parts.append(nla.attr_u32(IFLA_VXLAN_LINK, link))
    parts.append(nla.attr(IFLA_VXLAN_PORT, struct.pack("!H", port)))
    return b"".join(parts)


def decode_vxlan(data):
    """{vni, port, local, remote, link} of a VXLAN's IFLA_INFO_DATA."""
    out = {"vni": None, "port": None, "local": None, "remote": None, "link": None}
    for kind, payload in nla.iter_attrs(data or b""):
        if kind == IFLA_VXLAN_ID:
            out["vni"] = nla.as_u32(payload)
        elif kind == IFLA_VXLAN_PORT:
            out["port"] = struct.unpack_from("!H", payload)[0]
        elif kind in (IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6):
            family = socket.AF_INET if kind in (IFLA_VXLAN_GROUP, IFLA_VXLAN_LOCAL) else socket.AF_INET6
            text = socket.inet_ntop(family, bytes(payload))
            if text not in ("0.0.0.0", "::"):
                out["remote" if kind in (IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6) else "local"] = text
        elif kind == IFLA_VXLAN_LINK:
            out["link"] = nla.as_u32(payload) or None
    return out


def new_vxlan_request(name, vni, port=4789, local=None, remote=None, link=None, mtu=None, netns_fd=None, up=True):
    """RTM_NEWLINK for a VXLAN whose UDP socket lives in the sender's namespace.

    With netns_fd the device itself is created in that namespace in the same
    request (what `ip link add ... type vxlan` + `ip link set NAME netns NS`
    do in two): its underlay (link, local address, socket) stays in the
    sender's namespace, and no name is ever taken there.
    """
    extra = _nest(IFLA_LINKINFO, _kind("vxlan"),
                  _nest(IFLA_INFO_DATA, encode_vxlan(vni, port, local, remote, link)))
    fd = nla.attr_u32(IFLA_NET_NS_FD, netns_fd) if netns_fd is not None else b""
    return RTM_NEWLINK, nla.NLM_F_CREATE | nla.NLM_F_EXCL, _link_body(0, name, mtu, up, extra, fd)


def link_set_request(index, up=None, mtu=None, master=None, netns_fd=None):
    """RTM_NEWLINK on an existing link: admin state, MTU, master (0: none), namespace."""
    flags = change = 0
    if up is not None:
        flags, change = (IFF_UP if up else 0), IFF_UP
    body = ifinfomsg(index, flags, change)
    if mtu is not None:
        body += nla.attr_u32(IFLA_MTU, mtu)
    if master is not None:
        body += nla.attr_u32(IFLA_MASTER, master)
    if netns_fd is not None:
        body += nla.attr_u32(IFLA_NET_NS_FD, netns_fd)
    return RTM_NEWLINK, 0, body


_DETAIL_LAYOUTS = nla.Layouts(IFINFOMSG.size, (IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_LINKINFO,
                                               IFLA_IFALIAS, IFLA_LINK_NETNSID),
                              nested={IFLA_LINKINFO: (IFLA_INFO_KIND, IFLA_INFO_DATA)})


def parse_link_detail(buf, start=0, end=None):
    """parse_link() plus the master's ifindex (0: none)."""
    end = len(buf) if end is None else end
    index, flags = _INDEX_FLAGS(buf, start + 4)
    at = _DETAIL_LAYOUTS.find(buf, start, end).get
    name, kind, alias, data, mtu, link, netnsid, master = (
        at(IFLA_IFNAME), at(_LINK_KIND), at(IFLA_IFALIAS), at(_LINK_DATA), at(IFLA_MTU), at(IFLA_LINK),
        at(IFLA_LINK_NETNSID), at(IFLA_MASTER))
    return {"index": index, "name": _string(buf, start, name) if name else "", "up": bool(flags & IFF_UP),
            "kind": _string(buf, start, kind) if kind else None,
            "alias": _string(buf, start, alias) if alias else "",
            "mtu": _U32(buf, start + mtu[0])[0] if mtu else None,
            "link": _U32(buf, start + link[0])[0] if link else None,
            "data": bytes(buf[start + data[0]:start + data[0] + data[1]]) if data else None,
            "netnsid": _S32(buf, start + netnsid[0])[0] if netnsid else None,
            "master": _U32(buf, start + master[0])[0] if master else 0}


def dump_link_details(session):
    request = ifinfomsg() + nla.attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)
    return session.dump(RTM_GETLINK, request, parse_link_detail)


def get_link_alias(session, name):
    """The alias of one link by name (None: no such link); one request, no dump."""
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkError
    body = ifinfomsg() + ifname_attr(name) + nla.attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)
    try:
        replies = session.transact(RTM_GETLINK, 0, body)
    except NetlinkError as e:
        if e.errno in (errno.ENODEV, errno.ENOENT):
            return None
        raise
    for msg_type, payload in replies:
        if msg_type == RTM_NEWLINK:
            return parse_link_detail(payload)["alias"]
    return None


# ------------------------------------------------ fabric staging: routes --


def _prefix(cidr):
    text, _slash, plen = cidr.partition("/")
    family, raw = _ip_bytes(text)
    return family, raw, int(plen) if plen else len(raw) * 8


def route_request(action, dst, nexthops=(), table=RT_TABLE_MAIN, protocol=RTPROT_STATIC, metric=None):
    """RTM_NEWROUTE / RTM_DELROUTE for dst ('a.b.c.d/n', 'default') via nexthops [(gateway or None, ifindex)].

    One nexthop is sent as RTA_GATEWAY + RTA_OIF, several as RTA_MULTIPATH
    (one rtnexthop each, with its RTA_GATEWAY): ECMP. action: add (refused if
    the route exists), replace (create or replace) or delete (by dst alone).
    """
    if dst == "default":
        family = socket.AF_INET6 if any(gw and ":" in gw for gw, _i in nexthops) else socket.AF_INET
        raw, plen = b"", 0
    else:
        family, raw, plen = _prefix(dst)
    deleting = action == "delete"
    body = RTMSG.pack(family, plen, 0, 0, table if table < 256 else 0, 0 if deleting else protocol,
                      RT_SCOPE_NOWHERE if deleting else RT_SCOPE_UNIVERSE, 0 if deleting else RTN_UNICAST, 0)
    if table >= 256:
        body += nla.attr_u32(RTA_TABLE, table)
    if plen:
        body += nla.attr(RTA_DST, raw)
    if metric is not None:
        body += nla.attr_u32(RTA_PRIORITY, metric)
    if not deleting:
        body += _nexthops(family, nexthops)
    if deleting:
        return RTM_DELROUTE, 0, body
    flags = nla.NLM_F_CREATE | (nla.NLM_F_REPLACE if action == "replace" else nla.NLM_F_EXCL)
    return RTM_NEWROUTE, flags, body


def _nexthops(family, nexthops):
    if len(nexthops) == 1:
        gateway, ifindex = nexthops[0]
        out = nla.attr(RTA_GATEWAY, socket.inet_pton(family, gateway)) if gateway else b""
        return out + nla.attr_u32(RTA_OIF, ifindex)
    hops = []
    for gateway, ifindex in nexthops:
        attrs = nla.attr(RTA_GATEWAY, socket.inet_pton(family, gateway)) if gateway else b""
        hops.append(RTNEXTHOP.pack(RTNEXTHOP.size + len(attrs), 0, 0, ifindex) + attrs)
    return nla.attr(RTA_MULTIPATH, b"".join(hops))


def parse_route_entry(buf, start=0, end=None):
    """{family, dst ('a.b.c.d/n'), table, protocol, scope, type, metric, nexthops [(gateway, ifindex)]}."""
    end = len(buf) if end is None else end
    family, dst_len, _src_len, _tos, table, proto, scope, rtype, _flags = RTMSG.unpack_from(buf, start)
    if family not in _INET_FAMILIES:
        return None
    attrs = nla.pick(buf[start:end], RTMSG.size, (RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_TABLE, RTA_MULTIPATH,
                                                  RTA_PRIORITY))
    if RTA_TABLE in attrs:
        table = nla.as_u32(attrs[RTA_TABLE])
    if RTA_DST in attrs:
        dst = "%s/%d" % (socket.inet_ntop(family, bytes(attrs[RTA_DST])), dst_len)
    else:
        dst = "default" if dst_len == 0 else None
    hops = []
    if RTA_MULTIPATH in attrs:
        mp, offset = attrs[RTA_MULTIPATH], 0
        while offset + RTNEXTHOP.size <= len(mp):
            length, _f, _h, ifindex = RTNEXTHOP.unpack_from(mp, offset)
            if length < RTNEXTHOP.size:
                break
            inner = nla.attrs_dict(mp[offset + RTNEXTHOP.size:offset + length])
            gateway = socket.inet_ntop(family, bytes(inner[RTA_GATEWAY])) if RTA_GATEWAY in inner else None
            hops.append((gateway, ifindex))
            offset += nla.align4(length)
    elif RTA_OIF in attrs or RTA_GATEWAY in attrs:
        gateway = socket.inet_ntop(family, bytes(attrs[RTA_GATEWAY])) if RTA_GATEWAY in attrs else None
        hops.append((gateway, nla.as_u32(attrs[RTA_OIF]) if RTA_OIF in attrs else 0))
    return {"family": family, "dst": dst, "table": table, "protocol": proto, "scope": scope, "type": rtype,
            "metric": nla.as_u32(attrs[RTA_PRIORITY]) if RTA_PRIORITY in attrs else None, "nexthops": hops}


def dump_routes(session, family=socket.AF_UNSPEC):
    """parse_route_entry() of every IPv4/IPv6 route, every table."""
    request = RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)
    return [r for r in session.dump(RTM_GETROUTE, request, parse_route_entry) if r is not None]
