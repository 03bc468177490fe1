# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Route lookups (RTM_GETROUTE for one destination) and how links stack on each other.

``route_get`` asks the kernel the question ``ip route get DST [from SRC]``
asks: which route, and so which output interface, a packet to DST would take
from this namespace, policy rules included. ``dump_link_relations`` reads, for
every link, the device it is stacked on (IFLA_LINK: a VLAN's or macvlan's
parent, a veth's peer) and its master (IFLA_MASTER: a bond or bridge), which
is how traffic on one interface also crosses others.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import socket
import struct

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkError

RTM_NEWROUTE, RTM_GETROUTE = 24, 26
RTM_GETLINK = 18
RTMSG = struct.Struct("=BBBBBBBBI")  # family dst_len src_len tos table protocol scope type flags
RTA_DST, RTA_SRC, RTA_IIF, RTA_OIF, RTA_GATEWAY, RTA_PREFSRC, RTA_TABLE = 1, 2, 3, 4, 5, 7, 15
IFINFOMSG = struct.Struct("=BxHiII")
IFLA_IFNAME, IFLA_LINK, IFLA_MASTER, IFLA_LINKINFO, IFLA_EXT_MASK, IFLA_LINK_NETNSID = 3, 5, 10, 18, 29, 37
IFLA_INFO_KIND = 1
RTEXT_FILTER_SKIP_STATS = 1 << 3

# Answers meaning "no route to that destination from here", not a failure of the request.
NO_ROUTE = (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EINVAL, errno.EACCES, errno.EPERM)

_U32 = struct.Struct("=I").unpack_from
_S32 = struct.Struct("=i").unpack_from


def family_of(address):
    """(family, packed bytes) of an IPv4 or IPv6 address literal; ValueError otherwise."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            return family, socket.inet_pton(family, address)
        except (OSError, ValueError):
            continue
    raise ValueError("not an IP address: %r" % (address,))


def get_route_request(dst, src=None, oif=None):
    """RTM_GETROUTE for one destination, as (type, flags, payload) for NetlinkSession.transact."""
    family, raw = family_of(dst)
    bits = len(raw) * 8
    src_raw = b""
    if src is not None:
        src_family, src_raw = family_of(src)
        if src_family != family:
            raise ValueError("%s and %s are not of one address family" % (dst, src))
    body = RTMSG.pack(family, bits, bits if src_raw else 0, 0, 0, 0, 0, 0, 0)
    body += nla.attr(RTA_DST, raw)
    if src_raw:
        body += nla.attr(RTA_SRC, src_raw)
    if oif is not None:
        body += nla.attr_u32(RTA_OIF, oif)
    return RTM_GETROUTE, 0, body


def parse_route(body):
    """The fields of one RTM_NEWROUTE payload that say where a packet goes."""
    family, _dst_len, _src_len, _tos, table, _proto, scope, rtype, _flags = RTMSG.unpack_from(body)
    attrs = nla.attrs_dict(body, RTMSG.size)

    def address(kind):
        value = attrs.get(kind)
        return socket.inet_ntop(family, bytes(value)) if value else None

    return {
        "family": family,
        "type": rtype,
        "scope": scope,
        "table": nla.as_u32(attrs[RTA_TABLE]) if RTA_TABLE in attrs else table,
        "oif": nla.as_u32(attrs[RTA_OIF]) if RTA_OIF in attrs else None,
        "dst": address(RTA_DST),
        "gateway": address(RTA_GATEWAY),
        "prefsrc": address(RTA_PREFSRC),
    }


def route_get(session, dst, src=None, oif=None):
    """The route a packet to dst (from local address src, out of oif) takes, or None when there is none."""
    try:
        replies = session.transact(*get_route_request(dst, src, oif))
    except NetlinkError as e:
        if e.errno in NO_ROUTE:
            return None
        raise
    for rtype, body in replies:
        if rtype == RTM_NEWROUTE:
            return parse_route(body)
    return None


def parse_link_relation(body):
    """{index, name, kind, link, netnsid, master} of one link message payload."""
    index = _S32(body, 4)[0]
    attrs = nla.pick(body, IFINFOMSG.size, (IFLA_IFNAME, IFLA_LINK, IFLA_MASTER, IFLA_LINKINFO, IFLA_LINK_NETNSID))
    kind = None
    if IFLA_LINKINFO in attrs:
        info = nla.pick(attrs[IFLA_LINKINFO], 0, (IFLA_INFO_KIND,))
        if IFLA_INFO_KIND in info:
            kind = nla.as_str(info[IFLA_INFO_KIND])
    return {
        "index": index,
        "name": nla.as_str(attrs[IFLA_IFNAME]) if IFLA_IFNAME in attrs else "",
        "kind": kind,
        "link": _U32(attrs[IFLA_LINK])[0] if IFLA_LINK in attrs else None,
        "netnsid": _S32(attrs[IFLA_LINK_NETNSID])[0] if IFLA_LINK_NETNSID in attrs else None,
        "master": _U32(attrs[IFLA_MASTER])[0] if IFLA_MASTER in attrs else None,
    }


def dump_link_relations(session):
    """parse_link_relation() of every link in the session's namespace (one dump, counters skipped)."""
    request = IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + nla.attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)
    return [parse_link_relation(body) for _type, body in session.dump(RTM_GETLINK, request)]
