# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Netlink message and attribute framing (struct-level, no dependencies)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import struct

NLMSG_HDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
NLA_HDR = struct.Struct("=HH")  # len, type

NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3

NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_ROOT = 0x100
NLM_F_MATCH = 0x200
NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400

NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3FFF


def align4(n):
    return (n + 3) & ~3


def attr(kind, payload):
    """One attribute: header, payload, padding."""
    size = NLA_HDR.size + len(payload)
    return NLA_HDR.pack(size, kind) + payload + b"\0" * (align4(size) - size)


def attr_str(kind, text):
    return attr(kind, text.encode() + b"\0")


def attr_u32(kind, value):
    return attr(kind, struct.pack("=I", value))


def attr_u64(kind, value):
    return attr(kind, struct.pack("=Q", value))


def attr_s64(kind, value):
    return attr(kind, struct.pack("=q", value))


def nested(kind, *children):
    return attr(kind | NLA_F_NESTED, b"".join(children))


def message(msg_type, flags, seq, payload):
    return NLMSG_HDR.pack(NLMSG_HDR.size + len(payload), msg_type, flags, seq, 0) + payload


def iter_attrs(buf, offset=0, end=None):
    """Yield (type, payload) for each attribute in buf[offset:end]."""
    end = len(buf) if end is None else end
    while offset + NLA_HDR.size <= end:
        size, kind = NLA_HDR.unpack_from(buf, offset)
        if size < NLA_HDR.size:
            return
        yield kind & NLA_TYPE_MASK, buf[offset + NLA_HDR.size:offset + size]
        offset += align4(size)


def pick(buf, offset, wanted):
    """{type: payload} of the wanted attribute types only, in one pass (dumps are large)."""
    out, end = {}, len(buf)
    unpack = NLA_HDR.unpack_from
    while offset + 4 <= end:
        size, kind = unpack(buf, offset)
        if size < 4:
            break
        kind &= NLA_TYPE_MASK
        if kind in wanted:
            out[kind] = buf[offset + 4:offset + size]
        offset += (size + 3) & ~3
    return out


class Layouts:
    """Where the wanted attributes sit in the messages of a dump.

    A dump brings hundreds of messages that share one attribute layout, and
    walking ~40 attributes per message in Python is the slowest part of
    gathering facts. The first message of each layout is walked; the others
    are checked against it by reading all their attribute headers with one
    precompiled struct and comparing them with the recorded ones. Headers hold
    every length and type, so when they all match, the chain is the same and
    the wanted attributes are at the same offsets. Nothing is assumed about
    the order in which the kernel puts attributes.

    `nested` maps a wanted type to the child types wanted inside it; their
    headers are checked too, and they are found under (type, child type).
    """

    MAX_LAYOUTS = 256

    def __init__(self, header_size, wanted, nested=None):
        self.header_size = header_size
        self.wanted = frozenset(wanted)
        self.nested = dict(nested or {})
        self.layouts = {}  # (message size, first attribute header) -> (read headers, headers, found)

    def find(self, buf, start, end):
        """{type or (type, child): (payload offset from start, payload length)} (shared: do not modify)."""
        key = (end - start, _U32(buf, start + self.header_size)[0] if end - start >= self.header_size + 4 else 0)
        layout = self.layouts.get(key)
        if layout is not None:
            read_headers, headers, found = layout
            if read_headers(buf, start) == headers:
                return found
        found, offsets = {}, []
        self._walk(buf, start, start + self.header_size, end, None, found, offsets)
        if offsets:
            if len(self.layouts) >= self.MAX_LAYOUTS:
                self.layouts.clear()
            read_headers = _headers_reader(offsets)
            self.layouts[key] = (read_headers, read_headers(buf, start), found)
        return found

    def _walk(self, buf, start, offset, end, parent, found, offsets):
        wanted = self.wanted if parent is None else self.nested[parent]
        while offset + 4 <= end:
            size, kind = NLA_HDR.unpack_from(buf, offset)
            if size < 4:
                break
            offsets.append(offset - start)
            kind &= NLA_TYPE_MASK
            if kind in wanted:
                found[kind if parent is None else (parent, kind)] = (offset + 4 - start, size - 4)
                if parent is None and kind in self.nested:
                    self._walk(buf, start, offset + 4, offset + size, kind, found, offsets)
            offset += (size + 3) & ~3


_U32 = struct.Struct("=I").unpack_from


def _headers_reader(offsets):
    """unpack_from(buf, start) of the 32-bit attribute headers at these offsets, in one call."""
    fmt, position = ["="], 0
    for offset in offsets:
        if offset > position:
            fmt.append("%dx" % (offset - position))
        fmt.append("I")
        position = offset + 4
    return struct.Struct("".join(fmt)).unpack_from


def attrs_dict(buf, offset=0):
    return dict(iter_attrs(buf, offset))


def as_u32(payload):
    return struct.unpack_from("=I", payload)[0]


def as_u64(payload):
    return struct.unpack_from("=Q", payload)[0]


def as_s64(payload):
    return struct.unpack_from("=q", payload)[0]


def as_str(payload):
    return payload.split(b"\0", 1)[0].decode(errors="replace")
