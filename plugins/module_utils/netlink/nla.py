# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Netlink message and attribute framing (struct-level, no dependencies)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import operator
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
    are checked against it with one C-level read of all their attribute
    headers. Headers hold every length and type, so when they all match, the
    chain is the same and the wanted attributes are at the same offsets.

    `nested` maps a wanted type to the child types wanted inside it; their
    headers are checked too, and they are found under (type, child type).
    """

    MAX_LAYOUTS = 256

    def __init__(self, header_size, wanted, nested=None):
        self.header_size = header_size
        self.wanted = frozenset(wanted)
        self.nested = dict(nested or {})
        self.layouts = {}
        self._buf = self._words = None

    def find(self, buf, start, end):
        """{type or (type, child): (payload offset from start, payload length)} (shared: do not modify)."""
        words = self._words_of(buf)
        if words is None:
            return self._walk(buf, start, end)[0]
        key = (end - start, words[(start + self.header_size) >> 2])
        layout = self.layouts.get(key)
        if layout is not None:
            read_headers, headers, found = layout
            if read_headers(words[start >> 2:(end + 3) >> 2]) == headers:
                return found
        found, header_words = self._walk(buf, start, end)
        if header_words:
            if len(self.layouts) >= self.MAX_LAYOUTS:
                self.layouts.clear()
            read_headers = operator.itemgetter(*header_words)
            self.layouts[key] = (read_headers, read_headers(words[start >> 2:(end + 3) >> 2]), found)
        return found

    def _words_of(self, buf):
        """buf as native u32 words, when its attributes are 4-byte aligned in it (a session's dump buffer)."""
        if buf is not self._buf:
            words = None
            if isinstance(buf, bytearray) and len(buf) % 4 == 0:
                words = memoryview(buf).cast("I")
            self._buf, self._words = buf, words
        return self._words

    def _walk(self, buf, start, end):
        found, header_words = {}, []
        if start % 4 or self.header_size % 4:
            header_words = None
        self._walk_level(buf, start, start + self.header_size, end, None, found, header_words)
        return found, header_words

    def _walk_level(self, buf, start, offset, end, parent, found, header_words):
        wanted = self.wanted if parent is None else self.nested[parent]
        while offset + 4 <= end:
            size, kind = NLA_HDR.unpack_from(buf, offset)
            if size < 4:
                break
            if header_words is not None:
                header_words.append((offset - start) >> 2)
            kind &= NLA_TYPE_MASK
            if kind in wanted:
                found[kind if parent is None else (parent, kind)] = (offset + 4 - start, size - 4)
                if parent is None and kind in self.nested:
                    self._walk_level(buf, start, offset + 4, offset + size, kind, found, header_words)
            offset += (size + 3) & ~3


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
