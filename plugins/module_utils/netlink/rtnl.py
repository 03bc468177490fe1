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
