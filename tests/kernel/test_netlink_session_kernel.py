"""The netlink session on the running kernel: address flags, interface names, receive failures, namespaces, fds."""
import contextlib
import ctypes
import errno
import gc
import os
import signal
import socket
import struct
import threading
import time
import uuid
import warnings

import pytest

from netlab import ip_json, sh
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, rtnl, session as nl_session
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")
CLONE_NEWNET = 0x40000000
NO_SUCH_INDEX = 0x7FFF0000


@pytest.fixture
def netns():
    """netns() -> the name of a new, empty namespace; all of them are deleted after the test, whatever happens."""
    made = []

    def make():
        name = "afs" + uuid.uuid4().hex[:8]
        sh("ip netns add %s" % name)
        made.append(name)
        return name
    try:
        yield make
    finally:
        for name in made:
            sh("ip netns del %s" % name, check=False)


def ns_id(path):
    st = os.stat(path)
    return st.st_dev, st.st_ino


def thread_ns():
    return ns_id("/proc/thread-self/ns/net")


def open_fds():
    return sorted(os.listdir("/proc/self/fd"))


def enter_netns(path):
    """setns() for the calling thread, written here so that the test does not trust the code under test."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if hasattr(os, "setns"):
            os.setns(fd, CLONE_NEWNET)
        else:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns %s" % path)
    finally:
        os.close(fd)


@contextlib.contextmanager
def hang_guard(seconds):
    """Fail (instead of hanging the run) if the block is still blocked after `seconds`."""
    def on_alarm(_signum, _frame):
        raise AssertionError("still waiting after %d s: the receive has no timeout" % seconds)
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def starve(session, report_overflow):
    """Shrink the receive buffer to the kernel's minimum: the acks of a large batch no longer fit."""
    session.sock.setsockopt(socket.SOL_SOCKET, nl_session.SO_RCVBUFFORCE, 1)
    if not report_overflow:  # the kernel then drops what does not fit without a word: the ack never comes
        session.sock.setsockopt(nl_session.SOL_NETLINK, nl_session.NETLINK_NO_ENOBUFS, 1)
    for i in range(100):
        session.queue(*rtnl.del_link_request(NO_SUCH_INDEX + i))  # each refused (ENODEV): 100 error acks


# ------------------------------------------------------------- the IPv6 flag --

def test_ipv6_address_from_addr_request_is_not_tentative(netns):
    ns = netns()
    sh("ip -n {0} link add va type veth peer name vb && ip -n {0} link set va up && ip -n {0} link set vb up"
       .format(ns))
    sh("ip netns exec %s sysctl -qw net.ipv6.conf.va.accept_dad=1" % ns)
    with NetlinkSession(ns) as s:
        s.request(*rtnl.addr_request("add", s.ifindex("va"), "fd7a::1/64"))
    sh("ip -n %s addr add fd7a::2/64 dev va" % ns)  # the control: no nodad, so the kernel runs DAD (>= 1 s)
    addrs = dict((a["local"], a) for link in ip_json(ns, "addr", "show", "dev", "va")
                 for a in link.get("addr_info", []) if a["family"] == "inet6")
    assert addrs["fd7a::2"].get("tentative") is True, addrs  # DAD does leave addresses tentative on this link
    assert "fd7a::1" in addrs and not addrs["fd7a::1"].get("tentative"), addrs
    assert not addrs["fd7a::1"].get("dadfailed")


# ---------------------------------------------------------- interface names --

def test_ifindex_of_a_long_name_is_refused_not_taken_for_its_prefix(netns):
    ns = netns()
    sh("ip -n %s link add abcdefghijklmno type veth peer name vpeer" % ns)
    sh("ip -n %s link set abcdefghijklmno alias before" % ns)
    index = ip_json(ns, "link", "show", "abcdefghijklmno")[0]["ifindex"]
    with NetlinkSession(ns) as s:
        assert s.ifindex("abcdefghijklmno") == index
        with pytest.raises(nl_session.InterfaceNameTooLong) as err:
            s.ifindex("abcdefghijklmnoXYZ")
        assert isinstance(err.value, ValueError) and "abcdefghijklmnoXYZ" in str(err.value)
        assert s.ifindex("abcdefghijklmn") is None  # a prefix is not the link either
        with pytest.raises(nl_session.InterfaceNameTooLong):
            s.request(*rtnl.set_alias_request("abcdefghijklmnoXYZ", "after"))
        with pytest.raises(nl_session.InterfaceNameTooLong):
            s.request(*rtnl.new_link_request("abcdefghijklmnoXYZ", "bridge"))
    assert ip_json(ns, "link", "show", "abcdefghijklmno")[0].get("ifalias") == "before"
    assert sorted(link["ifname"] for link in ip_json(ns, "link", "show")) == ["abcdefghijklmno", "lo", "vpeer"]


KERNEL_NAMES = ["ok0", "a" * 15, "a" * 16, "abcdefghijklmnoXYZ", "\u00e9" * 7, "\u00e9" * 8, "a/b", "a b",
                "a\tb", "a:b", ".", "..", "a\0b", "x" + "\u00e0", "x" + "\u00e1", "-_.@+"]


def test_check_ifname_agrees_with_the_kernel(netns):
    """check_ifname(name) is None exactly when the kernel creates a link by that very name.

    The requests are built by hand so that the kernel, not our own check, judges.
    (The empty name is left out: given one, the kernel picks a name itself.)
    """
    ns = netns()
    verdicts = {}
    with NetlinkSession(ns) as s:
        for name in KERNEL_NAMES:
            body = rtnl.ifinfomsg() + nla.attr(rtnl.IFLA_IFNAME, name.encode() + b"\0")
            body += nla.nested(rtnl.IFLA_LINKINFO, nla.attr_str(rtnl.IFLA_INFO_KIND, "bridge"))
            try:
                s.request(rtnl.RTM_NEWLINK, nla.NLM_F_CREATE | nla.NLM_F_EXCL, body)
            except nl_session.NetlinkError:
                pass
            links = [link for link in rtnl.dump_links(s) if link["name"] != "lo"]
            verdicts[name] = [link["name"] for link in links] == [name]
            for link in links:
                s.request(*rtnl.del_link_request(link["index"]))
    assert verdicts == dict((name, nl_session.check_ifname(name) is None) for name in KERNEL_NAMES)


# ------------------------------------------------------------------- request --

def test_request_reports_an_earlier_queued_refusal(netns):
    ns = netns()
    with NetlinkSession(ns) as s:
        lo = s.ifindex("lo")
        s.queue(*rtnl.del_link_request(NO_SUCH_INDEX))  # refused: ENODEV
        with pytest.raises(nl_session.NetlinkError) as err:
            s.request(*rtnl.set_link_request(lo, up=True))  # accepted
    assert err.value.errno == errno.ENODEV and "earlier" in str(err.value)
    assert "UP" in ip_json(ns, "link", "show", "lo")[0]["flags"]  # the kernel went on after the refusal


# ---------------------------------------------------------- receive failures --

def test_receive_timeout_is_set_once_on_the_socket():
    with NetlinkSession() as s:
        raw = s.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.calcsize("@ll"))
        assert struct.unpack("@ll", raw) == (30, 0)
        assert s.sock.gettimeout() is None  # no Python-level timeout: no poll() before each receive
    with NetlinkSession(timeout=2.5) as s:
        raw = s.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.calcsize("@ll"))
        sec, usec = struct.unpack("@ll", raw)
        assert sec + usec / 1e6 == pytest.approx(2.5, abs=0.011)  # the kernel keeps it in jiffies


def test_acks_the_kernel_drops_end_in_a_timeout_not_a_hang(netns):
    ns = netns()
    with NetlinkSession(ns, timeout=0.3) as s:
        starve(s, report_overflow=False)
        started = time.monotonic()
        with hang_guard(10), pytest.raises(nl_session.NetlinkTimeout) as err:
            s.flush()
        assert time.monotonic() - started >= 0.3
    assert err.value.errno == errno.ETIMEDOUT and repr(ns) in str(err.value) and "ack" in str(err.value)


def test_receive_buffer_overflow_is_a_clear_netlink_error(netns):
    ns = netns()
    with NetlinkSession(ns) as s:
        starve(s, report_overflow=True)
        with hang_guard(10), pytest.raises(nl_session.NetlinkError) as err:
            s.flush()
    assert isinstance(err.value, nl_session.ReceiveBufferOverflow) and err.value.errno == errno.ENOBUFS
    assert repr(ns) in str(err.value) and "overflowed" in str(err.value)


# ----------------------------------------------------- namespaces and threads --

def test_a_worker_thread_returns_to_its_own_namespace_and_the_main_thread_never_moves(netns):
    ns_a, ns_b = netns(), netns()
    sh("ip -n %s link add onlyb type veth peer name onlyb2" % ns_b)
    index_b = ip_json(ns_b, "link", "show", "onlyb")[0]["ifindex"]
    main_before = thread_ns()
    seen, failures = {}, []

    def worker():
        try:
            enter_netns("/run/netns/" + ns_a)
            seen["entered"] = thread_ns()
            with NetlinkSession(ns_b) as s:
                seen["after_open"] = thread_ns()
                seen["main_during"] = ns_id("/proc/self/ns/net")  # the thread group leader, i.e. the main thread
                seen["index"] = s.ifindex("onlyb")
                seen["links"] = sorted(link["name"] for link in rtnl.dump_links(s))

            def refuse():
                raise RuntimeError("make() failed")
            try:
                nl_session.in_netns(ns_b, refuse)
            except RuntimeError:
                seen["after_failure"] = thread_ns()
        except Exception as e:  # pylint: disable=broad-except
            failures.append(e)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert not failures, failures
    a = ns_id("/run/netns/" + ns_a)
    assert seen["entered"] == a
    assert seen["index"] == index_b and seen["links"] == ["lo", "onlyb", "onlyb2"]  # both sockets are in B
    assert seen["after_open"] == a  # back in A, not in the main thread's namespace
    assert seen["after_failure"] == a
    assert seen["main_during"] == main_before and thread_ns() == main_before


# ---------------------------------------------------------- descriptor leaks --

@pytest.fixture
def not_a_namespace(tmp_path):
    path = tmp_path / "not-a-netns"
    path.write_text("just a file\n")
    return str(path)


@pytest.mark.parametrize("which", ["file", "directory", "missing"])
def test_opening_something_that_is_not_a_namespace_closes_everything(not_a_namespace, which):
    path = {"file": not_a_namespace, "directory": os.path.dirname(not_a_namespace),
            "missing": "afs-missing-" + uuid.uuid4().hex[:8]}[which]
    before, own = open_fds(), thread_ns()
    with pytest.raises(nl_session.NamespaceNotFound) as err:
        NetlinkSession(path)
    assert open_fds() == before  # while the exception (and its frames) is still alive
    assert thread_ns() == own
    assert path in str(err.value)


@contextlib.contextmanager
def no_unclosed_sockets():
    """Fail if a socket is left to the garbage collector (which closes it late, with a ResourceWarning)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not unclosed, unclosed


def fail_bind(_sock, _address):
    raise OSError(errno.EADDRINUSE, os.strerror(errno.EADDRINUSE))


def fail_inet_sockets(monkeypatch):
    real = socket.socket

    def make(*args, **kw):
        if (args[0] if args else kw.get("family")) == socket.AF_INET:
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))
        return real(*args, **kw)
    monkeypatch.setattr(socket, "socket", make)


@pytest.mark.parametrize("failure", ["bind", "second socket"])
def test_a_failed_open_closes_what_it_opened(netns, monkeypatch, failure):
    ns = netns()
    before, own = open_fds(), thread_ns()
    with no_unclosed_sockets():
        if failure == "bind":
            monkeypatch.setattr(socket.socket, "bind", fail_bind)
        else:
            fail_inet_sockets(monkeypatch)
        with pytest.raises(OSError) as err:
            NetlinkSession(ns)
        monkeypatch.undo()
        assert open_fds() == before, err.value  # checked while the traceback still holds the frames
        assert thread_ns() == own
        del err
