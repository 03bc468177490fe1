# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""802.1Q / 802.1ad link codec (linux/if_link.h IFLA_VLAN_*)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import struct

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, rtnl

IFLA_VLAN_ID, IFLA_VLAN_FLAGS, IFLA_VLAN_EGRESS_QOS, IFLA_VLAN_INGRESS_QOS, IFLA_VLAN_PROTOCOL = 1, 2, 3, 4, 5
IFLA_VLAN_QOS_MAPPING = 1
QOS_MAPPING = struct.Struct("=II")  # from, to
VLAN_FLAGS = struct.Struct("=II")  # flags, mask
FLAG_BITS = {"reorder_hdr": 0x1, "gvrp": 0x2, "loose_binding": 0x4, "mvrp": 0x8}
ALL_FLAGS = 0xF
PROTOCOLS = {"802.1Q": 0x8100, "802.1ad": 0x88A8}
PROTOCOL_NAMES = dict((v, k) for k, v in PROTOCOLS.items())


def encode_flags(flags):
    value = 0
    for name, bit in FLAG_BITS.items():
        if flags.get(name):
            value |= bit
    return nla.attr(IFLA_VLAN_FLAGS, VLAN_FLAGS.pack(value, ALL_FLAGS))


def encode_qos(kind, mapping):
    """Nested map; a 'to' of 0 clears an entry."""
    entries = [nla.attr(IFLA_VLAN_QOS_MAPPING, QOS_MAPPING.pack(k, v)) for k, v in sorted(mapping.items())]
    return nla.nested(kind, *entries)


def encode_data(vid=None, protocol=None, flags=None, egress=None, ingress=None):
    parts = []
    if vid is not None:
        parts.append(nla.attr(IFLA_VLAN_ID, struct.pack("=H", vid)))
    if protocol is not None:
        parts.append(nla.attr(IFLA_VLAN_PROTOCOL, struct.pack("!H", PROTOCOLS[protocol])))
    if flags is not None:
        parts.append(encode_flags(flags))
    if egress:
        parts.append(encode_qos(IFLA_VLAN_EGRESS_QOS, egress))
    if ingress:
        parts.append(encode_qos(IFLA_VLAN_INGRESS_QOS, ingress))
    return b"".join(parts)


_ATTR_HEADER = nla.NLA_HDR.unpack_from
_U16 = struct.Struct("=H").unpack_from
_BE16 = struct.Struct("!H").unpack_from
_FLAG_VALUES = dict((value, dict((k, bool(value & bit)) for k, bit in FLAG_BITS.items())) for value in range(16))


def decode_data(data):
    """{id, protocol, flags{...}, egress_qos_map, ingress_qos_map} (zero entries dropped)."""
    vid, protocol, flags, egress, ingress = decode_fields(data)
    return {"id": vid, "protocol": protocol, "flags": dict(flags), "egress_qos_map": dict(egress),
            "ingress_qos_map": dict(ingress)}


def decode_fields(data):
    """(id, protocol, flags, egress map, ingress map) of IFLA_INFO_DATA.

    Fact gathering calls this for every VLAN and shares the result between
    VLANs with the same data, so the dicts returned are to be read, never
    changed.
    """
    vid, protocol, flags, egress, ingress = None, "802.1Q", _FLAG_VALUES[0], {}, {}
    offset, end = 0, len(data or b"")
    while offset + 4 <= end:
        size, kind = _ATTR_HEADER(data, offset)
        if size < 4:
            break
        kind &= nla.NLA_TYPE_MASK
        if kind == IFLA_VLAN_ID:
            vid = _U16(data, offset + 4)[0]
        elif kind == IFLA_VLAN_PROTOCOL:
            protocol = PROTOCOL_NAMES.get(_BE16(data, offset + 4)[0], "unknown")
        elif kind == IFLA_VLAN_FLAGS:
            flags = _FLAG_VALUES[VLAN_FLAGS.unpack_from(data, offset + 4)[0] & ALL_FLAGS]
        elif kind in (IFLA_VLAN_EGRESS_QOS, IFLA_VLAN_INGRESS_QOS):
            mapping = egress if kind == IFLA_VLAN_EGRESS_QOS else ingress
            for _t, entry in nla.iter_attrs(data, offset + 4, offset + size):
                src, dst = QOS_MAPPING.unpack_from(entry)
                if dst:
                    mapping[src] = dst
        offset += (size + 3) & ~3
    return vid, protocol, flags, egress, ingress


def new_vlan_request(name, parent_index, vid, protocol="802.1Q", flags=None, egress=None, ingress=None,
                     mtu=None, up=True):
    body = rtnl.ifinfomsg(0, rtnl.IFF_UP if up else 0, rtnl.IFF_UP)
    body += rtnl.ifname_attr(name) + nla.attr_u32(rtnl.IFLA_LINK, parent_index)
    if mtu is not None:
        body += nla.attr_u32(rtnl.IFLA_MTU, mtu)
    body += nla.nested(rtnl.IFLA_LINKINFO, nla.attr_str(rtnl.IFLA_INFO_KIND, "vlan"),
                       nla.nested(rtnl.IFLA_INFO_DATA, encode_data(vid, protocol, flags, egress, ingress)))
    return rtnl.RTM_NEWLINK, nla.NLM_F_CREATE | nla.NLM_F_EXCL, body
