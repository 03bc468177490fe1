# -*- coding: utf-8 -*-
"""Fabric codecs (netlink/rtnl.py, netlink/tc.py additions): byte for byte what iproute2 sends, decoders, pyroute2.

The CAPTURED requests are what ip 6.1 and tc 6.1 sent on Linux 6.18 (psched
clock 1000/64 ticks per µs, hz 1e9), taken with
`strace -e trace=sendmsg -e write=3 <command>` and stored zlib+base64:

  htbq    tc qdisc add dev d0 root handle 1: htb default 1 r2q 10                  (d0: ifindex 3)
  htbc    tc class add dev d0 parent 1: classid 1:1 htb rate 10gbit ceil 10gbit burst 100000 cburst 100000
          quantum 200000
  htbc64  tc class change ... the same with rate 400gbit ceil 400gbit                (64-bit rate attributes)
  tbf64   tc qdisc add dev d1 root handle 1: tbf rate 400gbit burst 100000 limit 5000000   (d1: ifindex 2)
  tbf     tc qdisc replace dev d1 root handle 1: tbf rate 100mbit burst 20000 limit 300000
  br      ip link add br0 mtu 9000 type bridge
  veth    ip link add v0 mtu 9000 type veth peer name w0 mtu 9000 netns NS       (NS open as fd 4)
  route   ip route add 10.7.0.0/16 via 10.5.0.2 dev d0 proto static
"""
import base64
import struct
import zlib

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg as pyroute2_ifinfmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg as pyroute2_rtmsg

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, rtnl, tc

CAPTURED = {
    "htbq": (72, "eNrzYGBgUGFgZbt0iS+bAQqYwSQjw38gALE4gOyMkiQGGQYmBgkgBslzgVUgAAB+iggi"),
    "htbc": (2152, (
        "eNrL4GBg0GBgZbt0iS+bAQqYgZgRCBnAmIGBA0hnlCQx2HAwMRgA2cxA4f//GRgaahq9kNmPWBgYQNiBlxlmFAMLCwvDKBgF"
        "9AT8o3hQYRYW5tFEOQpGy4ARjAHJ0xoC")),
    "htbc64": (2176, (
        "eNpr4GBg0GBgZbh0iS+bAQqYgZgRCBnAmIGBA0hnlCQxhHAwMfAwsDEwlFgv4QaK8zCww9kGQDXMQOX//4Pw///IbHmgPAg7"
        "8DLDrGBgYWFhGAWjYBSMXMDCwjwaCKNgFIxgAADxHxQx")),
    "tbf64": (1136, (
        "eNorYGFgUGFgZbt0iS+bAQqYwCQjw38gALE4gOySpDQGFxYmBg0gm5mRgQEkA5OHAQdvH4Z0Rgibg4GNYUEbIwMPA9CCEusl"
        "3EAxFhYmhlEwCkbByAUA+FISYg==")),
    "tbf": (1124, (
        "eNpN0WmIjQEUxvFz733vzB1lKBISN01MQqIYZSkSkpGEhDQTQw2KRkREWcpSJCQkIVuiLIUJCQlJQ0JClrIUERFZ/uP9f/DU"
        "7/TUqfPlzEwiKiKfb2oqrw+T/Tcz8Yc0twK9obYuqpJsVNJzmYjmTbHxYvyf51uTOFyT9kKURLE6IknSa63UBb01BNWajnla"
        "ro3YrWO4oFt4rHf4obJMqgMqVYVRmozZWqy12K6DOKNruK9X+KJcNtUGXdUXwzQeNVqgldisvTihS7ijp/igX2qZi+iknhik"
        "MZiqei3Feu3EEZ3DDT3EG31TKf9vp27orxGYqFlqwGrx6tivU7iiJrzQJ2XyEa1VRB8NxTjN0Hys0Cbs0XE06jae6L1+okVJ"
        "qiN6aCBGa4rmYInWYYcO4ayu44Fe6yuS0lRbVKgfhmuCarFQq7BF+3BSl3FXz/QRv1VeiOisXhissZqGuVqGDdqFozqPm3qk"
        "t/iuQllEe3XHAI3UJNRpEdZoGw7oNK7qnl7is/4CxCqUiA==")),
    "br": (64, "eNpzYGBgEGBgZbt4iS+bAQvgYGBh0FAG0cwMSUUGQLVCDFwMjEB2Zkp6KgMDALhTBng="),
    "veth": (108, "eNrLYWBgEGBgZbt4iS+bAQvgYGBh0FBmYGBnYGYoM2BgsGEQAooxMpSllmQYMDAx6ADZuPRwMMgAWRC95UC9ANWtB0g="),
    "route": (52, "eNozYWBgkGBgZbt4iS8byGRgEmBg+MfCwAhicwApLnYQzcrAxcrAxMHAwsAMFAcAkrgD0A=="),
}


def captured(name):
    size, data = CAPTURED[name]
    raw = zlib.decompress(base64.b64decode(data))
    assert len(raw) == size
    length, msg_type, flags, _seq, _pid = nla.NLMSG_HDR.unpack_from(raw)
    assert length == size
    return msg_type, flags, raw[16:]


@pytest.fixture(autouse=True)
def psched_of_the_capture(monkeypatch):
    monkeypatch.setattr(tc, "_PSCHED", [(1000.0 / 64, 1000000000)])


OURS = {
    "htbq": lambda: tc.qdisc_request_tc("add", 3, tc.TC_H_ROOT, 0x10000, "htb", tc.encode_htb_qdisc(1, 10)),
    "htbc": lambda: tc.class_request("add", 3, 0x10000, 0x10001, "htb",
                                     tc.encode_htb_class(1250000000, burst=100000, cburst=100000, quantum=200000)),
    "htbc64": lambda: tc.class_request("replace", 3, 0x10000, 0x10001, "htb",
                                       tc.encode_htb_class(50000000000, burst=100000, cburst=100000, quantum=200000)),
    "tbf64": lambda: tc.qdisc_request_tc("add", 2, tc.TC_H_ROOT, 0x10000, "tbf",
                                         tc.encode_tbf(50000000000, 100000, limit=5000000)),
    "tbf": lambda: tc.qdisc_request_tc("replace", 2, tc.TC_H_ROOT, 0x10000, "tbf",
                                       tc.encode_tbf(12500000, 20000, limit=300000)),
    "br": lambda: rtnl.new_bridge_request("br0", 9000, up=False),
    "veth": lambda: rtnl.new_veth_request("v0", "w0", 9000, 9000, peer_netns_fd=4, up=False),
    "route": lambda: rtnl.route_request("add", "10.7.0.0/16", [("10.5.0.2", 3)]),
}


@pytest.mark.parametrize("name", sorted(OURS))
def test_requests_are_what_iproute2_sends(name):
    msg_type, flags, payload = OURS[name]()
    their_type, their_flags, theirs = captured(name)
    assert msg_type == their_type
    assert payload == theirs
    if name != "htbc64":  # `tc class change` asks for no flags; we replace, creating if missing
        assert flags | nla.NLM_F_REQUEST | nla.NLM_F_ACK == their_flags


def test_htb_class_round_trip_and_64bit_rates():
    small = tc.decode_htb_class(tc.encode_htb_class(1250000000, burst=100000, quantum=200000))
    assert small == {"rate": 1250000000, "ceil": 1250000000, "buffer": 1250, "cbuffer": tc.htb_buffer(1250000000),
                     "quantum": 200000, "level": 0, "prio": 0}
    big = tc.encode_htb_class(50000000000, burst=100000)
    attrs = nla.attrs_dict(big)
    assert nla.as_u64(attrs[tc.TCA_HTB_RATE64]) == 50000000000 and tc.TCA_HTB_CEIL64 in attrs
    assert tc.decode_htb_class(big)["rate"] == 50000000000
    assert struct.unpack_from("=I", attrs[tc.TCA_HTB_PARMS], 8)[0] == 0xFFFFFFFF  # ratespec.rate saturates
    kept = tc.decode_htb_class(tc.encode_htb_class(1250000000, buffer_ticks=777, cbuffer_ticks=778))
    assert (kept["buffer"], kept["cbuffer"]) == (777, 778)


def test_htb_defaults_follow_tc():
    assert tc.calc_xmittime(1250000000, 100000) == 1250  # 80 µs x 15.625 ticks
    assert tc.htb_buffer(12500000) == tc.calc_xmittime(12500000, 12500000 // 1000000000 + 1600) == 2000
    cell_log, table = tc.calc_rtable(12500000, 1600)
    assert cell_log == 3 and len(table) == 1024
    assert struct.unpack_from("=I", table, 0)[0] == tc.calc_xmittime(12500000, 8)
    assert tc.decode_htb_qdisc(tc.encode_htb_qdisc(1, 10, direct_qlen=500)) == {
        "r2q": 10, "default_class": 1, "direct_qlen": 500}


def test_tbf_round_trip_and_the_kernels_buffer():
    d = tc.decode_tbf(tc.encode_tbf(12500000, 20000, latency_us=1000))
    assert d["rate"] == 12500000 and d["limit"] == 12500 + 20000 and d["buffer"] == tc.calc_xmittime(12500000, 20000)
    assert tc.decode_tbf(tc.encode_tbf(50000000000, 100000, limit=1))["rate"] == 50000000000
    # TCA_TBF_BURST wins in the kernel: it keeps psched_l2t_ns(rate, burst) and reports it in 64 ns ticks
    assert tc.tbf_kernel_buffer(50000000000, 100000) == 31  # 2 µs, as the kernel test reads back
    assert tc.tbf_kernel_buffer(12500000, 20000) == 25000  # 1.6 ms
    assert tc.TCA_TBF_BURST not in nla.attrs_dict(tc.encode_tbf(12500000, 0, limit=9, buffer_ticks=25000))
    with pytest.raises(ValueError):
        tc.encode_tbf(12500000, 20000)


def test_bursts_printed_like_tc_and_exactly():
    assert tc.calc_xmitsize(50000000000, 31) == 50000  # tc rounds the time down to whole µs
    assert tc.ticks_to_bytes(50000000000, 31) == 99200
    assert tc.ticks_to_bytes(1250000000, 1250) == 100000


def test_vxlan_data_round_trip_and_pyroute2():
    data = rtnl.encode_vxlan(10007, 4789, "192.0.2.1", "192.0.2.2", 5)
    assert rtnl.decode_vxlan(data) == {"vni": 10007, "port": 4789, "local": "192.0.2.1", "remote": "192.0.2.2",
                                       "link": 5}
    assert rtnl.decode_vxlan(rtnl.encode_vxlan(7, 4790, "2001:db8::1", "2001:db8::2")) == {
        "vni": 7, "port": 4790, "local": "2001:db8::1", "remote": "2001:db8::2", "link": None}
    msg_type, flags, body = rtnl.new_vxlan_request("spine0", 10007, 4789, "192.0.2.1", "192.0.2.2", 5, 8950, 7)
    m = pyroute2_ifinfmsg(nla.message(msg_type, flags | nla.NLM_F_REQUEST, 1, body))
    m.decode()
    assert m.get_attr("IFLA_IFNAME") == "spine0" and m.get_attr("IFLA_MTU") == 8950
    assert m.get_attr("IFLA_NET_NS_FD") == 7
    info = m.get_attr("IFLA_LINKINFO")
    assert info.get_attr("IFLA_INFO_KIND") == "vxlan"
    vx = info.get_attr("IFLA_INFO_DATA")
    assert vx.get_attr("IFLA_VXLAN_ID") == 10007 and vx.get_attr("IFLA_VXLAN_PORT") == 4789
    assert vx.get_attr("IFLA_VXLAN_GROUP") == "192.0.2.2" and vx.get_attr("IFLA_VXLAN_LOCAL") == "192.0.2.1"
    assert vx.get_attr("IFLA_VXLAN_LINK") == 5


def test_pyroute2_decodes_our_veth_with_its_peer_elsewhere():
    msg_type, flags, body = rtnl.new_veth_request("rail0", "server0", 9000, 9000, peer_netns_fd=9)
    m = pyroute2_ifinfmsg(nla.message(msg_type, flags | nla.NLM_F_REQUEST, 1, body))
    m.decode()
    assert m["flags"] & rtnl.IFF_UP and m.get_attr("IFLA_IFNAME") == "rail0"
    peer = m.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_DATA").get_attr("VETH_INFO_PEER")
    assert peer.get_attr("IFLA_IFNAME") == "server0" and peer.get_attr("IFLA_NET_NS_FD") == 9
    assert peer.get_attr("IFLA_MTU") == 9000 and not peer["flags"] & rtnl.IFF_UP  # up later: ENOTCONN before


def test_routes_single_and_multipath_round_trip_and_pyroute2():
    one = rtnl.route_request("add", "10.0.0.0/16", [("10.0.0.4", 2)])[2]
    assert rtnl.parse_route_entry(one)["nexthops"] == [("10.0.0.4", 2)]
    msg_type, flags, body = rtnl.route_request("replace", "10.1.0.0/16", [("172.16.0.1", 3), ("172.16.0.3", 4)])
    assert flags == nla.NLM_F_CREATE | nla.NLM_F_REPLACE
    parsed = rtnl.parse_route_entry(body)
    assert parsed["dst"] == "10.1.0.0/16" and parsed["protocol"] == rtnl.RTPROT_STATIC
    assert parsed["nexthops"] == [("172.16.0.1", 3), ("172.16.0.3", 4)] and parsed["table"] == rtnl.RT_TABLE_MAIN
    m = pyroute2_rtmsg(nla.message(msg_type, flags | nla.NLM_F_REQUEST, 1, body))
    m.decode()
    hops = m.get_attr("RTA_MULTIPATH")
    assert [(h.get_attr("RTA_GATEWAY"), h["oif"]) for h in hops] == [("172.16.0.1", 3), ("172.16.0.3", 4)]
    assert m.get_attr("RTA_DST") == "10.1.0.0" and m["dst_len"] == 16
    default = rtnl.parse_route_entry(rtnl.route_request("add", "default", [("10.0.0.1", 2)])[2])
    assert default["dst"] == "default"
    gone = rtnl.route_request("delete", "10.1.0.0/16")
    assert gone[0] == rtnl.RTM_DELROUTE and rtnl.parse_route_entry(gone[2])["nexthops"] == []
    big_table = rtnl.parse_route_entry(rtnl.route_request("add", "10.2.0.0/16", [("10.0.0.1", 2)], table=1000)[2])
    assert big_table["table"] == 1000


def test_link_set_and_detail_parse():
    body = rtnl.link_set_request(5, up=True, mtu=9000, master=7)[2]
    link = rtnl.parse_link_detail(body)
    assert (link["index"], link["up"], link["mtu"], link["master"]) == (5, True, 9000, 7)
    assert rtnl.parse_link_detail(rtnl.link_set_request(5, master=0)[2])["master"] == 0


def test_class_and_qdisc_requests_frame_options_like_tc():
    t, flags, body = tc.class_request("delete", 3, 0x10000, 0x10001)
    assert t == tc.RTM_DELTCLASS and flags == 0 and len(body) == tc.TCMSG.size
    t, flags, body = tc.qdisc_request_tc("add", 3, tc.TC_H_ROOT, 0x10000, "htb", b"xyzw")
    header = nla.NLA_HDR.unpack_from(body, tc.TCMSG.size + 8)
    assert header == (8, tc.TCA_OPTIONS)  # no NLA_F_NESTED: tc's addattr_nest sets none
