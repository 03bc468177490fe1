# -*- coding: utf-8 -*-
"""The dump fast path: attribute layouts checked in C, and parsing replies in place in one buffer."""
import socket
import struct

import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, rtnl, session as nl_session, vlan

VLAN_DATA = vlan.encode_data(10, "802.1Q", {"reorder_hdr": True})


def link_message(index, name, mtu=1500, link=3, kind="vlan", data=VLAN_DATA, alias=None, netnsid=None,
                 filler=(13, 16, 17, 27, 30)):
    """An RTM_NEWLINK payload shaped like the kernel's: many u32 attributes we ignore around the wanted ones."""
    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 1, index, rtnl.IFF_UP, 0)
    body += nla.attr_str(rtnl.IFLA_IFNAME, name)
    body += b"".join(nla.attr_u32(t, 7) for t in filler)
    body += nla.attr_u32(rtnl.IFLA_MTU, mtu)
    if link is not None:
        body += nla.attr_u32(rtnl.IFLA_LINK, link)
    if alias is not None:
        body += nla.attr_str(rtnl.IFLA_IFALIAS, alias)
    info = [nla.attr_str(rtnl.IFLA_INFO_KIND, kind)]
    if data is not None:
        info.append(nla.nested(rtnl.IFLA_INFO_DATA, data))
    body += nla.nested(rtnl.IFLA_LINKINFO, *info)
    if netnsid is not None:
        body += nla.attr(rtnl.IFLA_LINK_NETNSID, struct.pack("=i", netnsid))
    body += nla.nested(26, nla.attr(2, b"\x00" * 64))  # IFLA_AF_SPEC, ignored
    return body


def walked(layouts, buf, start, end):
    """What a walk finds: a fresh Layouts has nothing cached."""
    return nla.Layouts(layouts.header_size, layouts.wanted, layouts.nested).find(buf, start, end)


def in_buffer(*payloads):
    """The payloads as a session's dump buffer holds them: one bytearray, [(start, end)]."""
    buf, spans = bytearray(), []
    for p in payloads:
        buf += b"\x00" * 16  # the netlink header before each payload
        spans.append((len(buf), len(buf) + len(p)))
        buf += p
    buf += b"\x00" * (-len(buf) % 4)
    return buf, spans


def test_a_repeated_layout_is_walked_once_and_read_correctly():
    layouts = nla.Layouts(rtnl.IFINFOMSG.size, (rtnl.IFLA_IFNAME, rtnl.IFLA_MTU))
    names = ["v%d.%d" % (i % 8, 100 + i) for i in range(40)]  # all the same length: one layout
    buf, spans = in_buffer(*[link_message(i, n, mtu=1000 + i) for i, n in enumerate(names)])
    walks = []
    real_walk = layouts._walk
    layouts._walk = lambda *a: walks.append(a[1]) or real_walk(*a)
    for i, (start, end) in enumerate(spans):
        found = layouts.find(buf, start, end)
        offset, size = found[rtnl.IFLA_MTU]
        assert nla.as_u32(buf[start + offset:start + offset + size]) == 1000 + i
        offset, size = found[rtnl.IFLA_IFNAME]
        assert buf[start + offset:start + offset + size] == names[i].encode() + b"\0"
    assert len(walks) == 1 and len(layouts.layouts) == 1


def test_same_length_different_chain_is_not_taken_for_the_cached_layout():
    """Same size and same first header, but the attributes after it differ: the header check catches it."""
    layouts = nla.Layouts(rtnl.IFINFOMSG.size, (rtnl.IFLA_IFNAME, rtnl.IFLA_MTU, rtnl.IFLA_LINK))
    a = link_message(1, "v0.100", link=5, filler=(13, 16, 17, 27, 30))
    b = link_message(2, "v0.101", link=6, filler=(13, 16, 4, 27, 30))  # an MTU where a had LINKMODE
    assert len(a) == len(b) and a[16:20] == b[16:20]
    buf, spans = in_buffer(a, b)
    layouts.find(buf, *spans[0])
    found = layouts.find(buf, *spans[1])
    assert found == walked(layouts, buf, *spans[1])
    offset, _size = found[rtnl.IFLA_MTU]
    assert nla.as_u32(buf[spans[1][0] + offset:spans[1][0] + offset + 4]) == 1500  # the last MTU wins
    assert layouts.find(buf, *spans[0]) == walked(layouts, buf, *spans[0])  # and back again


def test_nested_children_are_found_and_checked():
    layouts = nla.Layouts(rtnl.IFINFOMSG.size, (rtnl.IFLA_LINKINFO,),
                          nested={rtnl.IFLA_LINKINFO: (rtnl.IFLA_INFO_KIND, rtnl.IFLA_INFO_DATA)})
    vlan_msg = link_message(1, "v0.100", kind="vlan", data=VLAN_DATA)
    veth_msg = link_message(2, "v0.101", kind="veth", data=VLAN_DATA)  # same sizes, other kind text
    buf, spans = in_buffer(vlan_msg, veth_msg)
    for (start, end), kind in zip(spans, ("vlan", "veth")):
        found = layouts.find(buf, start, end)
        offset, size = found[(rtnl.IFLA_LINKINFO, rtnl.IFLA_INFO_KIND)]
        assert buf[start + offset:start + offset + size] == kind.encode() + b"\0"
        offset, size = found[(rtnl.IFLA_LINKINFO, rtnl.IFLA_INFO_DATA)]
        assert bytes(buf[start + offset:start + offset + size]) == VLAN_DATA
    assert len(layouts.layouts) == 1  # the values differ, the layout does not


def test_bytes_and_unaligned_input():
    layouts = nla.Layouts(rtnl.IFINFOMSG.size, (rtnl.IFLA_MTU,))
    for mtu, buf, start in ((9000, link_message(1, "x", mtu=9000), 0),
                            (1400, bytearray(b"\x00" + link_message(1, "y", mtu=1400)), 1)):
        for _round in range(2):
            offset, _size = layouts.find(buf, start, len(buf))[rtnl.IFLA_MTU]
            assert nla.as_u32(buf[start + offset:start + offset + 4]) == mtu


def test_zero_length_attribute_ends_the_walk():
    layouts = nla.Layouts(rtnl.IFINFOMSG.size, (rtnl.IFLA_MTU,))
    msg = struct.pack("=BxHiII", 0, 1, 1, 0, 0) + nla.attr_u32(rtnl.IFLA_MTU, 1400) + b"\x00" * 8
    buf, spans = in_buffer(msg)
    assert list(layouts.find(buf, *spans[0])) == [rtnl.IFLA_MTU]


def test_layouts_are_bounded():
    layouts = nla.Layouts(rtnl.IFINFOMSG.size, (rtnl.IFLA_IFNAME,))
    layouts.MAX_LAYOUTS = 4
    buf, spans = in_buffer(*[link_message(i, "n" * (i + 1)) for i in range(12)])
    for start, end in spans:
        layouts.find(buf, start, end)
    assert 0 < len(layouts.layouts) <= 4


def test_parse_link_same_on_the_fast_path_and_the_walk():
    messages = [link_message(i, "v%d.%d" % (i % 8, 100 + i), link=i % 8 + 2, alias="rail %d" % i if i % 3 else None,
                             netnsid=-1 if i % 5 == 0 else None) for i in range(30)]
    buf, spans = in_buffer(*messages)
    for msg, (start, end) in zip(messages, spans):
        assert rtnl.parse_link(buf, start, end) == rtnl.parse_link(msg)


class FakeSocket:
    """Answers each send() with the prepared datagrams, one per recv_into()."""

    def __init__(self, answers):
        self.answers, self.sent, self.queue = answers, [], []

    def send(self, data):
        seq = struct.unpack_from("=I", data, 8)[0]
        self.sent.append(seq)
        self.queue.extend(self.answers(seq, len(self.sent)))
        return len(data)

    def recv_into(self, buf):
        data = self.queue.pop(0)
        buf[:len(data)] = data
        return len(data)


def dump_session(answers):
    s = nl_session.NetlinkSession.__new__(nl_session.NetlinkSession)
    s.sock, s.ioctl_sock, s.seq, s.pending, s._dump_buffer = FakeSocket(answers), None, 0, [], None
    return s


def reply(seq, payload, msg_type=rtnl.RTM_NEWLINK, flags=nla.NLM_F_MULTI):
    return nla.message(msg_type, flags, seq, payload)


def test_dump_parses_in_place_skips_foreign_replies_and_retries_when_interrupted():
    msgs = [link_message(i, "v0.%d" % (100 + i)) for i in range(5)]

    def answers(seq, attempt):
        first = flags = nla.NLM_F_MULTI | (nl_session.NLM_F_DUMP_INTR if attempt == 1 else 0)
        return [reply(seq, msgs[0], flags=first) + reply(seq + 99, msgs[1]) + reply(seq, msgs[1], flags=flags),
                b"".join(reply(seq, m, flags=flags) for m in msgs[2:]) + reply(seq, b"\0" * 4, nla.NLMSG_DONE)]

    s = dump_session(answers)
    got = s.dump(rtnl.RTM_GETLINK, rtnl.ifinfomsg(), rtnl.parse_link)
    assert [l["name"] for l in got] == ["v0.100", "v0.101", "v0.102", "v0.103", "v0.104"]
    assert len(s.sock.sent) == 2  # the interrupted dump was asked again
    assert isinstance(s._dump_buffer, bytearray)


def test_dump_without_parser_returns_copies():
    def answers(seq, _attempt):
        return [reply(seq, b"abcd") + reply(seq, b"efgh"), reply(seq, b"\0" * 4, nla.NLMSG_DONE)]

    got = dump_session(answers).dump(rtnl.RTM_GETLINK, rtnl.ifinfomsg())
    assert got == [(rtnl.RTM_NEWLINK, b"abcd"), (rtnl.RTM_NEWLINK, b"efgh")]
    assert all(isinstance(body, bytes) for _t, body in got)  # copies, not views of the buffer


def test_dump_error_is_raised():
    def answers(seq, _attempt):
        return [reply(seq, struct.pack("=i", -95) + b"\0" * 16, nla.NLMSG_ERROR, 0)]

    with pytest.raises(nl_session.NetlinkError) as err:
        dump_session(answers).dump(rtnl.RTM_GETLINK, rtnl.ifinfomsg())
    assert err.value.errno == 95
