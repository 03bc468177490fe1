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
