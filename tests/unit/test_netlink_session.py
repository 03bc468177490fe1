# -*- coding: utf-8 -*-
"""NetlinkSession without a kernel: acks, receive failures, interface names, the IPv6 address flag.

A FakeKernel stands in for the netlink socket: it acks each request the way
rtnetlink does (an error for every refusal, an ack where NLM_F_ACK asks),
and a receive with nothing queued fails with EAGAIN, which is what a socket
with SO_RCVTIMEO does when the timeout expires.
"""
import errno
import os
import re
import socket
import struct

import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, rtnl, session as nl_session

NLMSGERR_ATTR_MSG = 1  # linux/netlink.h
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200


def uapi_define(header, name, fallback_module, fallback_name):
    """A constant from a uapi header when installed, else from pyroute2's copy (never from the code under test)."""
    try:
        with open(os.path.join("/usr/include/linux", header), encoding="utf-8") as f:
            found = re.search(r"^#define\s+%s\s+(0x[0-9a-fA-F]+|\d+)\b" % name, f.read(), re.M)
        if found:
            return int(found.group(1), 0)
    except OSError:
        pass
    module = __import__(fallback_module, fromlist=["_"])
    return getattr(module, fallback_name)


class FakeKernel:
    """A netlink socket: verdict(seq, msg_type) is the errno the 'kernel' answers a request with (0: accepted)."""

    def __init__(self, verdict=lambda seq, msg_type: 0, drop=lambda seq: False):
        self.verdict, self.drop = verdict, drop
        self.inbox, self.sent, self.options = [], [], {}
        self.recv_error = None
        self.closed = False

    def setsockopt(self, level, option, value):
        self.options[(level, option)] = value

    def send(self, data):
        offset = 0
        while offset < len(data):
            size, msg_type, flags, seq, _pid = nla.NLMSG_HDR.unpack_from(data, offset)
            self.sent.append((seq, msg_type, flags))
            code = self.verdict(seq, msg_type)
            if (code or flags & nla.NLM_F_ACK) and not self.drop(seq):
                self.inbox.append(self._ack(code, data[offset:offset + nla.NLMSG_HDR.size], seq))
            offset += nla.align4(size)
        return len(data)

    @staticmethod
    def _ack(code, header, seq):
        payload = struct.pack("=i", -code) + header
        flags = NLM_F_CAPPED
        if code:
            payload += nla.attr_str(NLMSGERR_ATTR_MSG, "refused seq %d" % seq)
            flags |= NLM_F_ACK_TLVS
        return nla.message(nla.NLMSG_ERROR, flags, seq, payload)

    def _next(self):
        if self.recv_error is not None:
            raise self.recv_error
        if not self.inbox:
            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))  # SO_RCVTIMEO expired
        return self.inbox.pop(0)

    def recv(self, _size):
        return self._next()

    def recv_into(self, buf):
        data = self._next()
        buf[:len(data)] = data
        return len(data)

    def close(self):
        self.closed = True


@pytest.fixture
def fake_session(monkeypatch):
    """NetlinkSession(...) whose netlink socket is a FakeKernel (no namespace switch, no kernel)."""
    made = []

    def sockets(_protocol):
        made.append(FakeKernel())
        return made[-1], None

    monkeypatch.setattr(nl_session, "_session_sockets", sockets)
    monkeypatch.setattr(nl_session, "in_netns", lambda _netns, make: make())

    def make(**kw):
        s = nl_session.NetlinkSession(**kw)
        assert s.sock is made[-1]
        return s
    return make


def timeval(value):
    return struct.unpack("@ll", value)


# ------------------------------------------------------------- the IPv6 flag --

def test_ipv6_addresses_are_added_without_duplicate_address_detection():
    nodad = uapi_define("if_addr.h", "IFA_F_NODAD", "pyroute2.netlink.rtnl.ifaddrmsg", "IFA_F_NODAD")
    permanent = uapi_define("if_addr.h", "IFA_F_PERMANENT", "pyroute2.netlink.rtnl.ifaddrmsg", "IFA_F_PERMANENT")
    assert nodad != permanent
    for action in ("add", "delete"):
        _type, _flags, body = rtnl.addr_request(action, 3, "fd00::1/64")
        assert rtnl.IFADDRMSG.unpack_from(body)[2] == nodad
        _type, _flags, body = rtnl.addr_request(action, 3, "10.0.0.1/24")
        assert rtnl.IFADDRMSG.unpack_from(body)[2] == 0  # IPv4 has no DAD
    assert rtnl.IFA_F_NODAD == nodad


# ---------------------------------------------------------- interface names --

VALID_NAMES = ["eth0", "a" * 15, "veth-1.100", "br_x@y", "\u00e9" * 7, "x" + "\u00e1"]  # 14 bytes; 0xc3 0xa1
INVALID_NAMES = [
    ("", "empty"),
    ("a" * 16, "16 bytes"),
    ("abcdefghijklmnoXYZ", "18 bytes"),
    ("\u00e9" * 8, "16 bytes"),  # 8 characters, 16 bytes
    ("a/b", "'/'"),
    ("a b", "a space"),
    ("a\tb", "a tab"),
    ("a\nb", "a newline"),
    ("a\0b", "a NUL byte"),
    ("eth0:1", "':'"),
    (".", "'.'"),
    ("..", "'..'"),
    ("x" + "\u00e0", "0xa0"),  # UTF-8 0xc3 0xa0: the kernel's isspace(0xa0) is true
]


@pytest.mark.parametrize("name", VALID_NAMES)
def test_check_ifname_accepts(name):
    assert nl_session.check_ifname(name) is None
    assert nl_session.require_ifname(name) == name


@pytest.mark.parametrize("name, named", INVALID_NAMES)
def test_check_ifname_names_the_problem(name, named):
    problem = nl_session.check_ifname(name)
    assert isinstance(problem, str) and named in problem
    with pytest.raises(ValueError) as err:
        nl_session.require_ifname(name)
    assert str(err.value) == problem
    assert isinstance(err.value, nl_session.NetlinkError)  # the modules' error handler reports it
    too_long = len(name.encode()) > 15
    assert isinstance(err.value, nl_session.InterfaceNameTooLong) == too_long


def test_check_ifname_refuses_what_is_not_text():
    assert nl_session.check_ifname(None) and nl_session.check_ifname(b"eth0")


class NoIoctl:
    def fileno(self):
        raise AssertionError("the name should have been refused before any ioctl")


@pytest.mark.parametrize("name", ["abcdefghijklmnoXYZ", "a" * 16, "\u00e9" * 8, "eth0\0junk"])
def test_ifindex_refuses_a_name_the_kernel_would_see_cut_short(fake_session, name):
    s = fake_session()
    s.ioctl_sock = NoIoctl()
    with pytest.raises(ValueError) as err:
        s.ifindex(name)
    assert isinstance(err.value, nl_session.InvalidInterfaceName)
    if len(name.encode()) > 15:
        assert isinstance(err.value, nl_session.InterfaceNameTooLong)
        assert "15" in str(err.value) and repr(name) in str(err.value)


@pytest.mark.parametrize("build", [
    lambda name: rtnl.new_link_request(name, "bridge"),
    lambda name: rtnl.set_alias_request(name, "x"),
])
def test_link_requests_refuse_long_names_instead_of_sending_them(build):
    with pytest.raises(nl_session.InterfaceNameTooLong):
        build("abcdefghijklmnoXYZ")
    with pytest.raises(nl_session.InvalidInterfaceName):
        build("a/b")
    _type, _flags, body = build("abcdefghijklmno")
    names = [v for k, v in nla.iter_attrs(body, rtnl.IFINFOMSG.size) if k == rtnl.IFLA_IFNAME]
    assert names == [b"abcdefghijklmno\0"]  # all 15 bytes, NUL-terminated


# ------------------------------------------------------------------- request --

def test_request_raises_on_an_earlier_queued_failure(fake_session):
    s = fake_session(netns="nsx")
    s.sock.verdict = lambda seq, _t: {1: errno.ENODEV, 3: errno.EEXIST}.get(seq, 0)
    for _request in range(3):
        s.queue(rtnl.RTM_NEWLINK, 0, rtnl.ifinfomsg())
    with pytest.raises(nl_session.NetlinkError) as err:
        s.request(rtnl.RTM_SETLINK, 0, rtnl.ifinfomsg())  # accepted itself
    assert err.value.errno == errno.ENODEV  # the first refusal, not the last ack
    text = str(err.value)
    assert "earlier" in text and "seq 1" in text and "refused seq 1" in text
    assert "1 other of the 4" in text
    assert err.value.failures == 2 and [a.errno for a in err.value.acks] == [errno.ENODEV, 0, errno.EEXIST, 0]
    assert [seq for seq, _t, _f in s.sock.sent] == [1, 2, 3, 4] and not s.pending


def test_request_raises_on_its_own_failure(fake_session):
    s = fake_session()
    s.sock.verdict = lambda seq, _t: errno.EPERM
    with pytest.raises(nl_session.NetlinkError) as err:
        s.request(rtnl.RTM_SETLINK, 0, rtnl.ifinfomsg())
    assert err.value.errno == errno.EPERM and "earlier" not in str(err.value) and "other" not in str(err.value)
    assert err.value.text == "refused seq 1"


def test_request_returns_when_everything_was_accepted(fake_session):
    s = fake_session()
    s.queue(rtnl.RTM_NEWLINK, 0, rtnl.ifinfomsg())
    assert s.request(rtnl.RTM_SETLINK, 0, rtnl.ifinfomsg()) is None
    assert [flags & nla.NLM_F_ACK for _s, _t, flags in s.sock.sent] == [0, nla.NLM_F_ACK]  # still one ack per send


# ---------------------------------------------------------- receive failures --

def test_default_and_per_session_receive_timeout(fake_session):
    key = (socket.SOL_SOCKET, socket.SO_RCVTIMEO)
    s = fake_session()
    assert s.timeout == 30 and timeval(s.sock.options[key]) == (30, 0)
    s = fake_session(timeout=2.25)
    assert timeval(s.sock.options[key]) == (2, 250000)
    s.set_timeout(None)
    assert s.timeout is None and timeval(s.sock.options[key]) == (0, 0)  # 0: block for ever


WAITS = {
    "flush": lambda s: (s.queue(rtnl.RTM_NEWLINK, 0, rtnl.ifinfomsg()), s.flush()),
    "request": lambda s: s.request(rtnl.RTM_NEWLINK, 0, rtnl.ifinfomsg()),
    "transact": lambda s: s.transact(rtnl.RTM_GETLINK, 0, rtnl.ifinfomsg()),
    "dump": lambda s: s.dump(rtnl.RTM_GETLINK, rtnl.ifinfomsg()),
}
AWAITED = {"flush": "ack", "request": "ack", "transact": "reply", "dump": "dump"}


@pytest.mark.parametrize("call", sorted(WAITS))
def test_a_receive_timeout_names_the_namespace_and_what_was_awaited(fake_session, call):
    s = fake_session(netns="afs-ns1", timeout=1.5)
    s.sock.drop = lambda seq: True  # the kernel never answers
    with pytest.raises(nl_session.NetlinkError) as err:
        WAITS[call](s)
    assert isinstance(err.value, nl_session.NetlinkTimeout)
    assert err.value.errno == errno.ETIMEDOUT
    text = str(err.value)
    assert "'afs-ns1'" in text and AWAITED[call] in text and "1.5 s" in text and "seq 1" in text


@pytest.mark.parametrize("call", sorted(WAITS))
def test_enobufs_becomes_a_clear_netlink_error(fake_session, call):
    s = fake_session(netns="afs-ns2")
    s.sock.recv_error = OSError(errno.ENOBUFS, os.strerror(errno.ENOBUFS))
    with pytest.raises(nl_session.NetlinkError) as err:
        WAITS[call](s)
    assert isinstance(err.value, nl_session.ReceiveBufferOverflow)
    assert err.value.errno == errno.ENOBUFS
    text = str(err.value)
    assert "'afs-ns2'" in text and "overflowed" in text and AWAITED[call] in text and "retry" in text


def test_other_receive_errors_are_not_disguised(fake_session):
    s = fake_session()
    s.sock.recv_error = OSError(errno.EBADF, os.strerror(errno.EBADF))
    with pytest.raises(OSError) as err:
        s.transact(rtnl.RTM_GETLINK, 0, rtnl.ifinfomsg())
    assert err.value.errno == errno.EBADF and not isinstance(err.value, nl_session.NetlinkError)


def test_a_timeout_leaves_the_session_usable(fake_session):
    """A late ack of the request that timed out is skipped by sequence number."""
    s = fake_session(timeout=1)
    s.sock.drop = lambda seq: seq == 1
    with pytest.raises(nl_session.NetlinkTimeout):
        s.request(rtnl.RTM_NEWLINK, 0, rtnl.ifinfomsg())
    s.sock.inbox.append(FakeKernel._ack(errno.EINVAL, b"\0" * 16, 1))  # arrives late
    s.sock.drop = lambda seq: False
    assert s.request(rtnl.RTM_NEWLINK, 0, rtnl.ifinfomsg()) is None
