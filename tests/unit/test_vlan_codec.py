# -*- coding: utf-8 -*-
"""Netlink codecs used by the vlan module: IFLA_VLAN_* data, VLAN creation, addresses, links."""
import socket
import struct

import pytest
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg as pyroute2_ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg as pyroute2_ifinfmsg

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, rtnl, vlan

ALL_OFF = {"reorder_hdr": False, "gvrp": False, "mvrp": False, "loose_binding": False}


def raw_attrs(buf, offset=0):
    """[(type with flag bits, payload)]: like nla.iter_attrs, but keeps NLA_F_NESTED."""
    out = []
    while offset + 4 <= len(buf):
        size, kind = nla.NLA_HDR.unpack_from(buf, offset)
        out.append((kind, buf[offset + 4:offset + size]))
        offset += nla.align4(size)
    return out


def decoded(**kw):
    out = {"id": None, "protocol": "802.1Q", "flags": dict(ALL_OFF), "egress_qos_map": {}, "ingress_qos_map": {}}
    out.update(kw)
    return out


ROUND_TRIPS = {
    "id-only": (dict(vid=10), decoded(id=10)),
    "id-4094-802.1ad": (dict(vid=4094, protocol="802.1ad"), decoded(id=4094, protocol="802.1ad")),
    "id-1-802.1Q": (dict(vid=1, protocol="802.1Q"), decoded(id=1)),
    "all-flags": (dict(vid=5, flags=dict((k, True) for k in ALL_OFF)),
                  decoded(id=5, flags=dict((k, True) for k in ALL_OFF))),
    "some-flags": (dict(vid=5, flags={"reorder_hdr": True, "mvrp": True}),
                   decoded(id=5, flags=dict(ALL_OFF, reorder_hdr=True, mvrp=True))),
    "maps": (dict(vid=7, egress={3: 3, 0: 7}, ingress={5: 4}),
             decoded(id=7, egress_qos_map={0: 7, 3: 3}, ingress_qos_map={5: 4})),
    "zero-entries-dropped": (dict(vid=7, egress={1: 0, 2: 5}, ingress={6: 0}),
                             decoded(id=7, egress_qos_map={2: 5})),
    "nothing": (dict(), decoded()),
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIPS))
def test_vlan_data_round_trip(name):
    kwargs, want = ROUND_TRIPS[name]
    assert vlan.decode_data(vlan.encode_data(**kwargs)) == want


def test_decode_empty_or_none():
    assert vlan.decode_data(None) == decoded()
    assert vlan.decode_data(b"") == decoded()


@pytest.mark.parametrize("protocol, raw", [("802.1Q", b"\x81\x00"), ("802.1ad", b"\x88\xa8")])
def test_protocol_is_big_endian(protocol, raw):
    attrs = nla.attrs_dict(vlan.encode_data(protocol=protocol))
    assert attrs[vlan.IFLA_VLAN_PROTOCOL] == raw


def test_unknown_protocol_decodes_as_unknown():
    assert vlan.decode_data(nla.attr(vlan.IFLA_VLAN_PROTOCOL, b"\x91\x00"))["protocol"] == "unknown"


def test_vlan_id_is_host_order_u16():
    attrs = nla.attrs_dict(vlan.encode_data(vid=0x0102))
    assert attrs[vlan.IFLA_VLAN_ID] == struct.pack("=H", 0x0102)


@pytest.mark.parametrize("flags, value", [
    ({}, 0), ({"reorder_hdr": True}, 1), ({"gvrp": True}, 2), ({"loose_binding": True}, 4), ({"mvrp": True}, 8),
    ({"reorder_hdr": True, "gvrp": False, "loose_binding": True, "mvrp": True}, 13)])
def test_flags_bits_with_full_mask(flags, value):
    attrs = nla.attrs_dict(vlan.encode_data(flags=flags))
    assert struct.unpack("=II", attrs[vlan.IFLA_VLAN_FLAGS]) == (value, 0xF)


def test_qos_maps_are_nested_sorted_and_keep_zero_on_encode():
    """A 'to' of 0 is sent (it clears a kernel entry); entries go out sorted by 'from'."""
    kinds = dict(raw_attrs(vlan.encode_data(egress={5: 0, 3: 3})))
    assert vlan.IFLA_VLAN_EGRESS_QOS | nla.NLA_F_NESTED in kinds
    entries = raw_attrs(kinds[vlan.IFLA_VLAN_EGRESS_QOS | nla.NLA_F_NESTED])
    assert entries == [(vlan.IFLA_VLAN_QOS_MAPPING, struct.pack("=II", 3, 3)),
                       (vlan.IFLA_VLAN_QOS_MAPPING, struct.pack("=II", 5, 0))]


def test_empty_maps_are_not_sent():
    assert vlan.encode_data(egress={}, ingress={}) == b""


FLAGS = {"reorder_hdr": True, "gvrp": False, "mvrp": True, "loose_binding": False}


def test_new_vlan_request_layout():
    msg_type, flags, body = vlan.new_vlan_request("eth0.10", 3, 10, "802.1ad", FLAGS, {3: 3}, {2: 4}, 9000, True)
    assert msg_type == rtnl.RTM_NEWLINK
    assert flags == nla.NLM_F_CREATE | nla.NLM_F_EXCL
    assert rtnl.IFINFOMSG.unpack_from(body) == (socket.AF_UNSPEC, 0, 0, rtnl.IFF_UP, rtnl.IFF_UP)
    attrs = raw_attrs(body, rtnl.IFINFOMSG.size)
    assert [k for k, _v in attrs] == [rtnl.IFLA_IFNAME, rtnl.IFLA_LINK, rtnl.IFLA_MTU,
                                      rtnl.IFLA_LINKINFO | nla.NLA_F_NESTED]
    assert attrs[0][1] == b"eth0.10\0"
    assert nla.as_u32(attrs[1][1]) == 3 and nla.as_u32(attrs[2][1]) == 9000
    info = raw_attrs(attrs[3][1])
    assert [k for k, _v in info] == [rtnl.IFLA_INFO_KIND, rtnl.IFLA_INFO_DATA | nla.NLA_F_NESTED]
    assert info[0][1] == b"vlan\0"
    assert vlan.decode_data(info[1][1]) == decoded(id=10, protocol="802.1ad", flags=dict(ALL_OFF, **FLAGS),
                                                   egress_qos_map={3: 3}, ingress_qos_map={2: 4})


def test_new_vlan_request_down_without_mtu():
    _t, _f, body = vlan.new_vlan_request("v", 7, 1, up=False)
    assert rtnl.IFINFOMSG.unpack_from(body)[3:] == (0, rtnl.IFF_UP)
    kinds = [k & nla.NLA_TYPE_MASK for k, _v in raw_attrs(body, rtnl.IFINFOMSG.size)]
    assert kinds == [rtnl.IFLA_IFNAME, rtnl.IFLA_LINK, rtnl.IFLA_LINKINFO]
    info = nla.attrs_dict(nla.attrs_dict(body, rtnl.IFINFOMSG.size)[rtnl.IFLA_LINKINFO])
    assert vlan.decode_data(info[rtnl.IFLA_INFO_DATA]) == decoded(id=1)


def test_pyroute2_decodes_our_new_vlan_request():
    msg_type, flags, body = vlan.new_vlan_request("eth0.10", 3, 10, "802.1ad", FLAGS, {3: 3}, {2: 4}, 9000, True)
    m = pyroute2_ifinfmsg(nla.message(msg_type, flags | nla.NLM_F_REQUEST, 1, body))
    m.decode()
    assert m["index"] == 0 and m["flags"] == rtnl.IFF_UP and m["change"] == rtnl.IFF_UP
    assert m.get_attr("IFLA_IFNAME") == "eth0.10"
    assert m.get_attr("IFLA_LINK") == 3
    assert m.get_attr("IFLA_MTU") == 9000
    info = m.get_attr("IFLA_LINKINFO")
    assert info.get_attr("IFLA_INFO_KIND") == "vlan"
    data = info.get_attr("IFLA_INFO_DATA")
    assert data.get_attr("IFLA_VLAN_ID") == 10
    assert data.get_attr("IFLA_VLAN_PROTOCOL") == 0x88A8  # pyroute2 reads it as big-endian
    assert data.get_attr("IFLA_VLAN_FLAGS") == {"flags": 0x9, "mask": 0xF}
    egress = [(e["from"], e["to"]) for e in data.get_attr("IFLA_VLAN_EGRESS_QOS").get_attrs("IFLA_VLAN_QOS_MAPPING")]
    ingress = [(e["from"], e["to"]) for e in data.get_attr("IFLA_VLAN_INGRESS_QOS").get_attrs("IFLA_VLAN_QOS_MAPPING")]
    assert (egress, ingress) == ([(3, 3)], [(2, 4)])


def uapi_ifa_flag(name):
    """An IFA_F_* value from linux/if_addr.h when installed, else from pyroute2's copy of the uapi (not from us)."""
    import re
    try:
        with open("/usr/include/linux/if_addr.h", encoding="utf-8") as header:
            found = re.search(r"^#define\s+%s\s+(0x[0-9a-fA-F]+|\d+)\b" % name, header.read(), re.M)
        if found:
            return int(found.group(1), 0)
    except OSError:
        pass
    from pyroute2.netlink.rtnl import ifaddrmsg
    return getattr(ifaddrmsg, name)


NODAD = uapi_ifa_flag("IFA_F_NODAD")


@pytest.mark.parametrize("action, cidr, family, plen, ifa_flags", [
    ("add", "10.0.1.1/24", socket.AF_INET, 24, 0),
    ("delete", "10.0.1.1/24", socket.AF_INET, 24, 0),
    ("add", "fd00::1/64", socket.AF_INET6, 64, NODAD),
    ("delete", "2001:db8::11/128", socket.AF_INET6, 128, NODAD),
])
def test_addr_request(action, cidr, family, plen, ifa_flags):
    msg_type, flags, body = rtnl.addr_request(action, 42, cidr)
    if action == "add":
        assert (msg_type, flags) == (rtnl.RTM_NEWADDR, nla.NLM_F_CREATE | nla.NLM_F_EXCL)
    else:
        assert (msg_type, flags) == (rtnl.RTM_DELADDR, 0)
    assert rtnl.IFADDRMSG.unpack_from(body) == (family, plen, ifa_flags, 0, 42)
    raw = socket.inet_pton(family, cidr.split("/")[0])
    assert raw_attrs(body, rtnl.IFADDRMSG.size) == [(rtnl.IFA_LOCAL, raw), (rtnl.IFA_ADDRESS, raw)]
    m = pyroute2_ifaddrmsg(nla.message(msg_type, flags | nla.NLM_F_REQUEST, 1, body))
    m.decode()
    assert (m["family"], m["prefixlen"], m["index"]) == (family, plen, 42)
    assert m.get_attr("IFA_LOCAL") == m.get_attr("IFA_ADDRESS") == cidr.split("/")[0]


@pytest.mark.parametrize("up, flags, change", [(None, 0, 0), (True, rtnl.IFF_UP, rtnl.IFF_UP),
                                               (False, 0, rtnl.IFF_UP)])
def test_set_link_request_admin_state(up, flags, change):
    msg_type, nl_flags, body = rtnl.set_link_request(9, up=up)
    assert (msg_type, nl_flags) == (rtnl.RTM_NEWLINK, 0)
    assert rtnl.IFINFOMSG.unpack_from(body) == (socket.AF_UNSPEC, 0, 9, flags, change)
    assert len(body) == rtnl.IFINFOMSG.size


def test_set_link_request_mtu_and_vlan_data():
    data = vlan.encode_data(flags=FLAGS, egress={3: 0})
    _t, _f, body = rtnl.set_link_request(9, mtu=1400, data_kind="vlan", data=data)
    attrs = raw_attrs(body, rtnl.IFINFOMSG.size)
    assert [k for k, _v in attrs] == [rtnl.IFLA_MTU, rtnl.IFLA_LINKINFO | nla.NLA_F_NESTED]
    assert nla.as_u32(attrs[0][1]) == 1400
    info = nla.attrs_dict(attrs[1][1])
    assert info[rtnl.IFLA_INFO_KIND] == b"vlan\0" and info[rtnl.IFLA_INFO_DATA] == data
    m = pyroute2_ifinfmsg(nla.message(rtnl.RTM_NEWLINK, nla.NLM_F_REQUEST, 1, body))
    m.decode()
    assert m["index"] == 9 and m.get_attr("IFLA_MTU") == 1400
    vdata = m.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_DATA")
    assert vdata.get_attr("IFLA_VLAN_FLAGS") == {"flags": 0x9, "mask": 0xF}


def link_payload(index=7, flags=rtnl.IFF_UP, name="eth0.10", mtu=1500, link=3, kind="vlan", data=None,
                 alias=None, netnsid=None, extra=b""):
    """An RTM_NEWLINK payload as the kernel sends it in a dump (with attributes we ignore)."""
    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 1, index, flags | 0x1000, 0)  # ARPHRD_ETHER, IFF_LOWER_UP
    body += nla.attr_u32(13, 1000)  # IFLA_TXQLEN, ignored
    body += nla.attr_str(rtnl.IFLA_IFNAME, name) + nla.attr_u32(rtnl.IFLA_MTU, mtu) + extra
    if link is not None:
        body += nla.attr_u32(rtnl.IFLA_LINK, link)
    if kind is not None:
        info = [nla.attr_str(rtnl.IFLA_INFO_KIND, kind)]
        if data is not None:
            info.append(nla.nested(rtnl.IFLA_INFO_DATA, data))
        body += nla.nested(rtnl.IFLA_LINKINFO, *info)
    if alias is not None:
        body += nla.attr_str(rtnl.IFLA_IFALIAS, alias)
    if netnsid is not None:
        body += nla.attr(rtnl.IFLA_LINK_NETNSID, struct.pack("=i", netnsid))
    return body


def test_parse_link_vlan():
    data = vlan.encode_data(10, "802.1ad", FLAGS, {3: 3})
    got = rtnl.parse_link(link_payload(data=data, alias="rail 1", netnsid=2))
    assert got == {"index": 7, "name": "eth0.10", "up": True, "kind": "vlan", "alias": "rail 1", "mtu": 1500,
                   "link": 3, "data": data, "netnsid": 2}
    assert vlan.decode_data(got["data"]) == decoded(id=10, protocol="802.1ad", flags=dict(ALL_OFF, **FLAGS),
                                                    egress_qos_map={3: 3})


def test_parse_link_plain_device_down():
    got = rtnl.parse_link(link_payload(index=1, flags=0, name="lo", mtu=65536, link=None, kind=None))
    assert got == {"index": 1, "name": "lo", "up": False, "kind": None, "alias": "", "mtu": 65536,
                   "link": None, "data": None, "netnsid": None}


def test_parse_link_negative_netnsid_and_odd_attribute_lengths():
    odd = nla.attr(99, b"\x01\x02\x03")  # unknown, padded to 4
    got = rtnl.parse_link(link_payload(name="veth0", kind="veth", link=12, netnsid=-1, extra=odd))
    assert (got["name"], got["kind"], got["link"], got["netnsid"], got["data"]) == ("veth0", "veth", 12, -1, None)


def test_pyroute2_agrees_with_parse_link():
    data = vlan.encode_data(100, "802.1Q", FLAGS)
    payload = link_payload(index=21, name="v3.100", mtu=9000, link=5, data=data, alias="x")
    ours = rtnl.parse_link(payload)
    m = pyroute2_ifinfmsg(nla.message(rtnl.RTM_NEWLINK, 0, 1, payload))
    m.decode()
    assert (m["index"], m.get_attr("IFLA_IFNAME"), m.get_attr("IFLA_MTU"), m.get_attr("IFLA_LINK")) == (
        ours["index"], ours["name"], ours["mtu"], ours["link"])
    info = m.get_attr("IFLA_LINKINFO")
    assert info.get_attr("IFLA_INFO_KIND") == ours["kind"]
    assert info.get_attr("IFLA_INFO_DATA").get_attr("IFLA_VLAN_ID") == vlan.decode_data(ours["data"])["id"]


def test_del_link_request():
    msg_type, flags, body = rtnl.del_link_request(33)
    assert (msg_type, flags) == (rtnl.RTM_DELLINK, 0)
    assert rtnl.IFINFOMSG.unpack_from(body)[2] == 33 and len(body) == rtnl.IFINFOMSG.size
