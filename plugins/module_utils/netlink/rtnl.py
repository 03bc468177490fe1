# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Link, address and route codecs (linux/rtnetlink.h, linux/if_link.h)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import struct

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla

RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK = 16, 17, 18, 19
RTM_GETADDR = 22
RTM_GETROUTE = 26
IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
RTMSG = struct.Struct("=BBBBBBBBI")  # family dst_len src_len tos table proto scope type flags
IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_LINKINFO, IFLA_IFALIAS = 3, 4, 5, 10, 18, 20
IFLA_INFO_KIND = 1
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_TABLE, RTA_MULTIPATH = 1, 4, 5, 15, 9
RT_TABLE_MAIN = 254
IFF_UP = 0x1


def ifinfomsg(index=0, flags=0, change=0):
    return IFINFOMSG.pack(socket.AF_UNSPEC, 0, index, flags, change)


def parse_link(payload):
    _fam, _type, index, flags, _change = IFINFOMSG.unpack_from(payload)
    attrs = nla.attrs_dict(payload, IFINFOMSG.size)
    kind = None
    if IFLA_LINKINFO in attrs:
        info = nla.attrs_dict(attrs[IFLA_LINKINFO])
        if IFLA_INFO_KIND in info:
            kind = nla.as_str(info[IFLA_INFO_KIND])
    return {
        "index": index,
        "name": nla.as_str(attrs.get(IFLA_IFNAME, b"")),
        "up": bool(flags & IFF_UP),
        "kind": kind,
        "alias": nla.as_str(attrs[IFLA_IFALIAS]) if IFLA_IFALIAS in attrs else "",
        "mtu": nla.as_u32(attrs[IFLA_MTU]) if IFLA_MTU in attrs else None,
    }


def dump_links(session):
    return [parse_link(body) for _t, body in session.dump(RTM_GETLINK, ifinfomsg())]


def new_link_request(name, kind, up=True):
    body = ifinfomsg(0, IFF_UP if up else 0, IFF_UP if up else 0)
    body += nla.attr_str(IFLA_IFNAME, name)
    body += nla.nested(IFLA_LINKINFO, nla.attr_str(IFLA_INFO_KIND, kind))
    return RTM_NEWLINK, nla.NLM_F_CREATE | nla.NLM_F_EXCL, body


def set_alias_request(name, alias):
    """The kernel ignores IFLA_IFALIAS on creation; set it on the named link."""
    body = ifinfomsg() + nla.attr_str(IFLA_IFNAME, name) + nla.attr_str(IFLA_IFALIAS, alias)
    return RTM_SETLINK, 0, body


def del_link_request(index):
    return RTM_DELLINK, 0, ifinfomsg(index)


def dump_addresses(session):
    """[(ifindex, address string)] for every IPv4/IPv6 address."""
    out = []
    for _t, body in session.dump(RTM_GETADDR, IFADDRMSG.pack(0, 0, 0, 0, 0)):
        family, _plen, _flags, _scope, index = IFADDRMSG.unpack_from(body)
        attrs = nla.attrs_dict(body, IFADDRMSG.size)
        raw = attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS)
        if raw and family in (socket.AF_INET, socket.AF_INET6):
            out.append((index, socket.inet_ntop(family, raw)))
    return out


def default_route_ifindexes(session):
    """Interfaces that carry a default route in the main table (v4 and v6)."""
    found = set()
    for family in (socket.AF_INET, socket.AF_INET6):
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


def _multipath_ifindexes(buf):
    offset, out = 0, set()
    while offset + 8 <= len(buf):
        length, _flags, _hops, ifindex = struct.unpack_from("=HBBi", buf, offset)
        if length < 8:
            break
        out.add(ifindex)
        offset += nla.align4(length)
    return out
