# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One rtnetlink socket per network namespace, with batched requests.

Requests are queued and sent many per sendmsg(); the kernel answers each with
an ack, which flush() collects and matches by sequence number. Dumps stream
replies until NLMSG_DONE. The socket is opened inside a named namespace by
switching this thread into it just long enough to create the socket.

Every receive has a timeout (SO_RCVTIMEO, set once when the socket is made,
so waiting costs no extra system call), and a receive buffer overflow
(ENOBUFS) becomes a NetlinkError that says what was lost.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno as errno_mod
import fcntl
import os
import socket
import struct
import threading
import time

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla

NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NETLINK_CAP_ACK = 10
NLM_F_DUMP_INTR = 0x10
NLM_F_ACK_TLVS = 0x200
NLM_F_CAPPED = 0x100
NLMSGERR_ATTR_MSG = 1
CLONE_NEWNET = 0x40000000
SIOCGIFINDEX = 0x8933
NETNS_RUN_DIR = "/run/netns"
SEND_CHUNK = 32 * 1024
SEND_MAX_MESSAGES = 100  # each ack costs ~1 KiB of receive buffer (skb truesize), not its 36 bytes
RECV_SIZE = 1024 * 1024
SO_RCVBUFFORCE = 33
NETLINK_NO_ENOBUFS = 5
DEFAULT_TIMEOUT = 30.0  # seconds one receive may wait for the kernel
IFNAMSIZ = 16  # linux/if.h; names are at most IFNAMSIZ - 1 bytes
_TIMEVAL = struct.Struct("@ll")  # struct timeval: tv_sec, tv_usec


class NetlinkError(Exception):
    """The kernel refused a request.

    From request(): `acks` holds every ack of the flush and `failures` how many of them were refusals.
    """

    def __init__(self, code, text="", request=None, acks=None):
        self.errno = code
        self.text = text
        self.request = request
        self.acks = list(acks or ())
        self.failures = sum(1 for ack in self.acks if not ack.ok)
        detail = os.strerror(code)
        if text:
            detail = "%s (%s)" % (text, detail)
        Exception.__init__(self, detail)


class NetlinkTimeout(NetlinkError):
    """The kernel did not answer within the session's receive timeout."""

    def __init__(self, where, waiting_for, timeout):
        self.where, self.waiting_for, self.timeout = where, waiting_for, timeout
        limit = "within %g s (the session's receive timeout) " % timeout if timeout else ""
        NetlinkError.__init__(self, errno_mod.ETIMEDOUT, "%s: no answer from the kernel %swhile waiting for %s"
                              % (where, limit, waiting_for))


class ReceiveBufferOverflow(NetlinkError):
    """The socket's receive buffer overflowed (ENOBUFS): the kernel dropped replies."""

    def __init__(self, where, waiting_for):
        self.where, self.waiting_for = where, waiting_for
        NetlinkError.__init__(self, errno_mod.ENOBUFS,
                              "%s: the netlink receive buffer overflowed while waiting for %s, so the kernel dropped "
                              "replies and the outcome of those requests is unknown; read the state again and retry "
                              "with fewer requests per flush (a larger buffer needs root, SO_RCVBUFFORCE)"
                              % (where, waiting_for))


class InvalidInterfaceName(NetlinkError, ValueError):
    """A name that cannot be a Linux interface name; refused before it reaches the kernel."""

    def __init__(self, name, reason):
        self.name, self.reason = name, reason
        NetlinkError.__init__(self, errno_mod.EINVAL, reason)
        self.args = (reason,)

    def __str__(self):
        return self.reason


class InterfaceNameTooLong(InvalidInterfaceName):
    """Longer than IFNAMSIZ - 1 bytes: the kernel would see a truncated name (another link's, maybe)."""


class NamespaceNotFound(Exception):
    pass


def check_ifname(name):
    """Why `name` cannot be a Linux interface name (the kernel's dev_valid_name), or None when it can."""
    problem = _ifname_problem(name)
    return problem[0] if problem else None


def require_ifname(name):
    """name, or InvalidInterfaceName (InterfaceNameTooLong when that is the reason) if Linux would refuse it."""
    problem = _ifname_problem(name)
    if problem:
        raise (InterfaceNameTooLong if problem[1] else InvalidInterfaceName)(name, problem[0])
    return name


# Bytes the kernel's dev_valid_name() refuses; its isspace() is Latin-1's (lib/ctype.c),
# so 0xa0 counts as a space - and 0xa0 is a UTF-8 continuation byte (for example in 'à').
_IFNAME_BAD_BYTES = {
    0x2F: "'/'", 0x3A: "':'", 0x00: "a NUL byte", 0x20: "a space", 0x09: "a tab", 0x0A: "a newline",
    0x0B: "a vertical tab", 0x0C: "a form feed", 0x0D: "a carriage return",
    0xA0: "the byte 0xa0 (the kernel reads it as a space; it is part of some UTF-8 letters)",
}


def _ifname_problem(name):
    """(reason, too long?) or None."""
    if not isinstance(name, str):
        return "%r is not a string" % (name,), False
    if not name:
        return "an interface name cannot be empty", False
    try:
        raw = name.encode()
    except UnicodeEncodeError:
        return "%r is not a valid interface name: it cannot be encoded as UTF-8" % name, False
    if len(raw) > IFNAMSIZ - 1:
        return "%r is %d bytes; Linux allows %d in an interface name" % (name, len(raw), IFNAMSIZ - 1), True
    if name in (".", ".."):
        return "%r is not a valid interface name" % name, False
    for byte in bytearray(raw):
        if byte in _IFNAME_BAD_BYTES:
            return "%r is not a valid interface name: Linux refuses %s in one" % (name, _IFNAME_BAD_BYTES[byte]), False
    return None


def _ifname_bytes(name):
    """name encoded for a fixed IFNAMSIZ field; raises where the kernel would see a cut (another) name."""
    raw = name.encode()
    if len(raw) > IFNAMSIZ - 1 or b"\0" in raw:
        require_ifname(name)
    return raw


def netns_path(name):
    return name if name.startswith("/") else os.path.join(NETNS_RUN_DIR, name)


def _setns(fd):
    setns = getattr(os, "setns", None)
    if setns is not None:
        setns(fd, CLONE_NEWNET)
        return
    import ctypes  # Python < 3.12

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def open_route_socket(netns=None):
    """A NETLINK_ROUTE socket bound inside netns (None: our own namespace)."""
    return in_netns(netns, _new_socket)


def in_netns(netns, make):
    """Call make() with this thread inside netns; sockets keep that namespace.

    Only the calling thread moves, and it is moved back to the namespace it
    was in (not the main thread's) on every path. Should that fail, what
    make() returned is closed and OSError raised.
    """
    if not netns:
        return make()
    path = netns_path(netns)
    try:
        target = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        raise NamespaceNotFound("network namespace %r does not exist (no %s)" % (netns, path)) from None
    try:
        own = _open_thread_netns()
        try:
            return _switched(netns, target, own, make)
        finally:
            os.close(own)
    finally:
        os.close(target)


def _switched(netns, target, own, make):
    try:
        _setns(target)
    except OSError as e:
        if e.errno == errno_mod.EINVAL:
            raise NamespaceNotFound("%r is not a network namespace (setns: %s)" % (netns, os.strerror(e.errno))) from e
        raise
    result = None
    try:
        result = make()
    finally:
        try:
            _setns(own)
        except OSError as e:
            _close_all(result)
            raise OSError(e.errno, "could not return this thread from network namespace %r to its own: %s"
                          % (netns, os.strerror(e.errno))) from e
    return result


def _open_thread_netns():
    """An fd of the calling thread's network namespace (/proc/self/ns/net is the main thread's)."""
    try:
        return os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    except FileNotFoundError:  # Linux < 3.17
        get_native_id = getattr(threading, "get_native_id", None)  # Python >= 3.8
        if get_native_id is not None:
            return os.open("/proc/self/task/%d/ns/net" % get_native_id(), os.O_RDONLY)
        if threading.current_thread() is threading.main_thread():
            return os.open("/proc/self/task/%d/ns/net" % os.getpid(), os.O_RDONLY)
        raise


def _close_all(obj):
    """Close a socket, or each in a tuple of them, ignoring errors (cleanup on a failure path)."""
    for item in obj if isinstance(obj, (tuple, list)) else (obj,):
        close = getattr(item, "close", None)
        if close is not None:
            try:
                close()
            except OSError:
                pass


def _new_socket(protocol=NETLINK_ROUTE):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, protocol)
    try:
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 4 * RECV_SIZE)  # root may exceed rmem_max
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_SIZE)
        for opt in (NETLINK_EXT_ACK, NETLINK_CAP_ACK):
            try:
                sock.setsockopt(SOL_NETLINK, opt, 1)
            except OSError:
                pass
        sock.bind((0, 0))
    except BaseException:
        sock.close()
        raise
    return sock


def _session_sockets(protocol):
    """The netlink socket and the one for ioctls, both in the current namespace; none left open on failure."""
    sock = _new_socket(protocol)
    try:
        return sock, socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except BaseException:
        sock.close()
        raise


def set_receive_timeout(sock, timeout):
    """SO_RCVTIMEO: a blocked receive fails with EAGAIN after `timeout` seconds (None or 0: never)."""
    micro = int(round((timeout or 0) * 1000000))
    if timeout and micro <= 0:
        micro = 1
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _TIMEVAL.pack(micro // 1000000, micro % 1000000))


class Ack:
    __slots__ = ("seq", "errno", "text", "tag")

    def __init__(self, seq, code, text, tag):
        self.seq, self.errno, self.text, self.tag = seq, code, text, tag

    @property
    def ok(self):
        return self.errno == 0


class NetlinkSession:
    """Batched rtnetlink requests and dumps in one namespace.

    timeout: seconds one receive may wait for the kernel (None: for ever);
    on expiry NetlinkTimeout names the namespace and what was awaited.
    """

    netns = timeout = None  # class defaults, for sessions built without __init__ (tests)

    def __init__(self, netns=None, protocol=NETLINK_ROUTE, timeout=DEFAULT_TIMEOUT):
        self.netns = netns
        self.timeout = None
        self.seq = 0
        self.pending = []  # (seq, msg_type, flags, payload, tag)
        self._dump_buffer = None
        self.sock = self.ioctl_sock = None
        self.sock, self.ioctl_sock = in_netns(netns, lambda: _session_sockets(protocol))
        try:
            self.set_timeout(timeout)
        except BaseException:
            self.close()
            raise

    def set_timeout(self, timeout):
        """Seconds one receive may wait for the kernel before NetlinkTimeout (None: wait for ever)."""
        set_receive_timeout(self.sock, timeout)
        self.timeout = timeout

    def close(self):
        for sock in (self.sock, self.ioctl_sock):
            if sock is not None:
                sock.close()
        self.sock = self.ioctl_sock = None

    def ifindex(self, name):
        """Index of a link by name, or None; one ioctl, no dump.

        Raises InterfaceNameTooLong (a ValueError) for a name over 15 bytes
        rather than look up the truncated name, which may be another link.
        """
        try:
            raw = _ifname_bytes(name)
        except UnicodeEncodeError:
            return None  # no link has that name
        try:
            ifreq = fcntl.ioctl(self.ioctl_sock, SIOCGIFINDEX, struct.pack("16si", raw, 0))
        except OSError:
            return None
        return struct.unpack_from("i", ifreq, 16)[0]

    def _where(self):
        return "network namespace %r" % self.netns if self.netns else "this process's network namespace"

    def _receive_failed(self, exc, waiting_for):
        """Raise the clear error for a failed receive (timeout, overflow); return for any other error."""
        code = getattr(exc, "errno", None)
        if isinstance(exc, socket.timeout) or code in (errno_mod.EAGAIN, errno_mod.EWOULDBLOCK):
            raise NetlinkTimeout(self._where(), waiting_for, self.timeout) from exc
        if code == errno_mod.ENOBUFS:
            raise ReceiveBufferOverflow(self._where(), waiting_for) from exc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _next_seq(self):
        self.seq += 1
        return self.seq

    def queue(self, msg_type, flags, payload, tag=None):
        """Queue one request; it is sent by flush()."""
        seq = self._next_seq()
        self.pending.append((seq, msg_type, flags | nla.NLM_F_REQUEST, payload, tag))
        return seq

    def flush(self):
        """Send every queued request, many per send; return one Ack per request, in order.

        Only the last request of each send asks for an ack: the kernel handles
        a socket's requests in order and reports every failure anyway, so once
        that ack is in, every earlier request succeeded unless it reported an
        error. This saves one receive per request.
        """
        acks = []
        pending, self.pending = self.pending, []
        start = 0
        while start < len(pending):
            end, size = start, 0
            while end < len(pending) and end - start < SEND_MAX_MESSAGES and (
                    end == start or size + len(pending[end][3]) + nla.NLMSG_HDR.size <= SEND_CHUNK):
                size += len(pending[end][3]) + nla.NLMSG_HDR.size
                end += 1
            chunk = pending[start:end]
            last = len(chunk) - 1
            self.sock.send(b"".join(
                nla.message(msg_type, flags | (nla.NLM_F_ACK if i == last else 0), seq, payload)
                for i, (seq, msg_type, flags, payload, _tag) in enumerate(chunk)))
            acks.extend(self._collect_acks(chunk))
            start = end
        return acks

    def _collect_acks(self, chunk):
        final = chunk[-1][0]
        tags = dict((item[0], item[4]) for item in chunk)
        errors = {}
        while final not in errors:
            try:
                data = self.sock.recv(RECV_SIZE)
            except OSError as e:
                self._receive_failed(e, "the acks of %d request(s), seq %d-%d" % (len(chunk), chunk[0][0], final))
                raise
            for msg_type, flags, seq, payload in _split(data):
                if msg_type == nla.NLMSG_ERROR and seq in tags:
                    errors[seq] = _parse_error(flags, payload)
        return [Ack(seq, errors.get(seq, (0, ""))[0], errors.get(seq, (0, ""))[1], tags[seq])
                for seq in (item[0] for item in chunk)]

    def request(self, msg_type, flags, payload):
        """Send one request now (and whatever was queued before it); raise NetlinkError if the kernel refuses any.

        The error is the first refusal in queue order, with every ack of the
        flush in its `acks` and the number of refusals in `failures`.
        """
        self.queue(msg_type, flags, payload)
        acks = self.flush()
        failed = [ack for ack in acks if not ack.ok]
        if not failed:
            return
        first = failed[0]
        text = first.text
        if first is not acks[-1]:
            text = "an earlier queued request (seq %d) failed%s" % (first.seq, ": " + text if text else "")
        if len(failed) > 1:
            text += "%s%d other of the %d requests sent together failed too" % (
                "; " if text else "", len(failed) - 1, len(acks))
        raise NetlinkError(first.errno, text, first.tag, acks)

    def transact(self, msg_type, flags, payload):
        """Send one request now; return its replies [(type, payload)], or raise NetlinkError."""
        seq = self._next_seq()
        self.sock.send(nla.message(msg_type, flags | nla.NLM_F_REQUEST | nla.NLM_F_ACK, seq, payload))
        replies = []
        while True:
            try:
                data = self.sock.recv(RECV_SIZE)
            except OSError as e:
                self._receive_failed(e, "the reply to request seq %d (message type %d)" % (seq, msg_type))
                raise
            for rtype, rflags, rseq, body in _split(data):
                if rseq != seq:
                    continue
                if rtype == nla.NLMSG_ERROR:
                    code, text = _parse_error(rflags, body)
                    if code:
                        raise NetlinkError(code, text)
                    return replies
                replies.append((rtype, body))

    def dump(self, msg_type, payload, parse=None):
        """Replies to a dump request: parse(buf, start, end) of each reply's payload, or (type, bytes).

        Replies are read into one reusable buffer and parsed in place, so
        parse must copy what it keeps (slicing does).
        """
        buf = self._dump_buffer
        if buf is None:
            buf = self._dump_buffer = bytearray(RECV_SIZE)
        with memoryview(buf) as view:  # one copy per reply when there is no parser
            return self._dump(msg_type, payload, parse, buf, view)

    def _dump(self, msg_type, payload, parse, buf, view):
        unpack, done_type, error_type = nla.NLMSG_HDR.unpack_from, nla.NLMSG_DONE, nla.NLMSG_ERROR
        for attempt in range(30):
            seq = self._next_seq()
            self.sock.send(nla.message(msg_type, nla.NLM_F_REQUEST | nla.NLM_F_DUMP, seq, payload))
            replies, interrupted, done = [], False, False
            while not done:
                try:
                    size = self.sock.recv_into(buf)
                except OSError as e:
                    self._receive_failed(e, "the replies to dump seq %d (message type %d)" % (seq, msg_type))
                    raise
                offset = 0
                while offset + 16 <= size:
                    length, rtype, flags, rseq, _pid = unpack(buf, offset)
                    if length < 16:
                        break
                    start, offset = offset + 16, offset + ((length + 3) & ~3)
                    if rseq != seq:
                        continue
                    if flags & NLM_F_DUMP_INTR:
                        interrupted = True
                    if rtype == done_type:
                        done = True
                        break
                    if rtype == error_type:
                        code, text = _parse_error(flags, bytes(buf[start:start + length - 16]))
                        if code:
                            raise NetlinkError(code, text)
                        continue
                    end = start + length - 16
                    replies.append(parse(buf, start, end) if parse else (rtype, view[start:end].tobytes()))
            if not interrupted:
                return replies
            time.sleep(min(0.01 * (attempt + 1), 0.2))  # let the concurrent change settle (e.g. IPv6 DAD)
        raise NetlinkError(errno_mod.EINTR, "dump kept being interrupted by concurrent changes")


def _split(buf):
    offset = 0
    while offset + nla.NLMSG_HDR.size <= len(buf):
        size, msg_type, flags, seq, _pid = nla.NLMSG_HDR.unpack_from(buf, offset)
        if size < nla.NLMSG_HDR.size:
            return
        yield msg_type, flags, seq, buf[offset + nla.NLMSG_HDR.size:offset + size]
        offset += nla.align4(size)


def _parse_error(flags, payload):
    code = -struct.unpack_from("=i", payload)[0]
    text = ""
    if flags & NLM_F_ACK_TLVS:
        # acks and capped errors carry only the original header
        inner_len = nla.NLMSG_HDR.size
        if code and not flags & NLM_F_CAPPED:
            inner_len = struct.unpack_from("=I", payload, 4)[0]
        attrs = nla.attrs_dict(payload, 4 + nla.align4(inner_len))
        if NLMSGERR_ATTR_MSG in attrs:
            text = nla.as_str(attrs[NLMSGERR_ATTR_MSG])
    return code, text
