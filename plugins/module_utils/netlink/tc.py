# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Traffic-control codecs: tcmsg, netem, prio, ingress, u32 and mirred.

netem is encoded in full: pyroute2 0.9.7 lacks TCA_NETEM_LOSS, DELAY_DIST,
SLOT, ECN, RATE64, LATENCY64/JITTER64 and PRNG_SEED. Layouts follow
linux/pkt_sched.h, linux/pkt_cls.h and linux/tc_act/tc_mirred.h.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import struct

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla

RTM_NEWQDISC, RTM_DELQDISC, RTM_GETQDISC = 36, 37, 38
RTM_NEWTFILTER, RTM_DELTFILTER, RTM_GETTFILTER = 44, 45, 46
TCA_KIND, TCA_OPTIONS = 1, 2

TC_H_ROOT = 0xFFFFFFFF
TC_H_INGRESS = 0xFFFFFFF1
TC_H_INGRESS_BLOCK = 0xFFFFFFF2  # ffff:fff2, the ingress/clsact filter block
INGRESS_HANDLE = 0xFFFF0000

ETH_P_ALL, ETH_P_IP, ETH_P_IPV6 = 0x0003, 0x0800, 0x86DD

TCMSG = struct.Struct("=BxxxiIII")  # family, ifindex, handle, parent, info

# netem
TCA_NETEM_CORR, TCA_NETEM_DELAY_DIST, TCA_NETEM_REORDER, TCA_NETEM_CORRUPT = 1, 2, 3, 4
TCA_NETEM_LOSS, TCA_NETEM_RATE, TCA_NETEM_ECN, TCA_NETEM_RATE64 = 5, 6, 7, 8
TCA_NETEM_LATENCY64, TCA_NETEM_JITTER64, TCA_NETEM_SLOT, TCA_NETEM_SLOT_DIST = 10, 11, 12, 13
TCA_NETEM_PRNG_SEED = 14
NETEM_LOSS_GI, NETEM_LOSS_GE = 1, 2
NETEM_QOPT = struct.Struct("=IIIIII")  # latency(ticks) limit loss gap duplicate jitter(ticks)
NETEM_CORR = struct.Struct("=III")
NETEM_PAIR = struct.Struct("=II")  # reorder / corrupt: probability, correlation
NETEM_RATE = struct.Struct("=IiIi")
NETEM_SLOT = struct.Struct("=qqiiqq")
NETEM_GI = struct.Struct("=IIIII")  # p13 p31 p32 p14 p23
NETEM_GE = struct.Struct("=IIII")  # p r h k1
PSCHED_SHIFT = 6  # kernel ticks are 64 ns
U32_MAX = 0xFFFFFFFF

# prio
PRIO_QOPT = struct.Struct("=i16B")

# u32 classifier
TCA_U32_CLASSID, TCA_U32_SEL, TCA_U32_ACT = 1, 5, 7
TC_U32_TERMINAL = 1
U32_SEL = struct.Struct("=BBBxHHhhI")  # flags offshift nkeys offmask off offoff hoff hmask
U32_KEY = struct.Struct("=IIii")  # mask val off offmask (mask/val in network order)

# actions
TCA_ACT_KIND, TCA_ACT_OPTIONS = 1, 2
TCA_MIRRED_PARMS = 2
TCA_EGRESS_REDIR = 1
TC_ACT_STOLEN = 4
MIRRED_PARMS = struct.Struct("=IIiiiiI")  # index capab action refcnt bindcnt eaction ifindex


def tc_handle(major, minor=0):
    return ((major & 0xFFFF) << 16) | (minor & 0xFFFF)


def format_handle(value):
    """tc's notation: 'fab0:' for a qdisc handle, 'fab0:2' for a class."""
    if value == TC_H_ROOT:
        return "root"
    major, minor = value >> 16, value & 0xFFFF
    return "%x:%s" % (major, ("%x" % minor) if minor else "")


def tcmsg(ifindex, handle=0, parent=0, info=0):
    return TCMSG.pack(socket.AF_UNSPEC, ifindex, handle, parent, info)


# ---------------------------------------------------------------- netem --


def encode_netem(p, delay_table=None, slot_table=None):
    """TCA_OPTIONS payload for a canonical netem dict (see netem.model).

    Every attribute is sent, zero where unused: on a change the kernel keeps
    the old value of any attribute that is missing.
    """
    qopt = NETEM_QOPT.pack(
        min(p["latency"] >> PSCHED_SHIFT, U32_MAX), p["limit"], p["loss"], p["gap"],
        p["duplicate"], min(p["jitter"] >> PSCHED_SHIFT, U32_MAX))
    parts = [
        qopt,
        nla.attr(TCA_NETEM_CORR, NETEM_CORR.pack(p["delay_corr"], p["loss_corr"], p["dup_corr"])),
        nla.attr(TCA_NETEM_REORDER, NETEM_PAIR.pack(p["reorder"], p["reorder_corr"])),
        nla.attr(TCA_NETEM_CORRUPT, NETEM_PAIR.pack(p["corrupt"], p["corrupt_corr"])),
        nla.attr_s64(TCA_NETEM_LATENCY64, p["latency"]),
        nla.attr_s64(TCA_NETEM_JITTER64, p["jitter"]),
        nla.attr_u32(TCA_NETEM_ECN, 1 if p["ecn"] else 0),
    ]
    rate = p["rate"]
    parts.append(nla.attr(TCA_NETEM_RATE, NETEM_RATE.pack(
        min(rate, U32_MAX), p["packet_overhead"], p["cell_size"], p["cell_overhead"])))
    if rate > U32_MAX:
        parts.append(nla.attr_u64(TCA_NETEM_RATE64, rate))
    if p["gemodel"] is not None:
        parts.append(nla.nested(TCA_NETEM_LOSS, nla.attr(NETEM_LOSS_GE, NETEM_GE.pack(*p["gemodel"]))))
    elif p["gimodel"] is not None:
        parts.append(nla.nested(TCA_NETEM_LOSS, nla.attr(NETEM_LOSS_GI, NETEM_GI.pack(*p["gimodel"]))))
    parts.append(nla.attr(TCA_NETEM_SLOT, NETEM_SLOT.pack(*(p["slot"] or (0, 0, 0, 0, 0, 0)))))
    if delay_table:
        parts.append(nla.attr(TCA_NETEM_DELAY_DIST, struct.pack("=%dh" % len(delay_table), *delay_table)))
    if slot_table:
        parts.append(nla.attr(TCA_NETEM_SLOT_DIST, struct.pack("=%dh" % len(slot_table), *slot_table)))
    if p["seed"] is not None:
        parts.append(nla.attr_u64(TCA_NETEM_PRNG_SEED, p["seed"]))
    return b"".join(parts)


def decode_netem(options):
    """Canonical netem dict from a dumped TCA_OPTIONS payload."""
    latency, limit, loss, gap, duplicate, jitter = NETEM_QOPT.unpack_from(options)
    attrs = nla.attrs_dict(options, NETEM_QOPT.size)
    p = {
        "limit": limit, "latency": latency << PSCHED_SHIFT, "jitter": jitter << PSCHED_SHIFT,
        "loss": loss, "gap": gap, "duplicate": duplicate,
        "delay_corr": 0, "loss_corr": 0, "dup_corr": 0,
        "reorder": 0, "reorder_corr": 0, "corrupt": 0, "corrupt_corr": 0,
        "rate": 0, "packet_overhead": 0, "cell_size": 0, "cell_overhead": 0,
        "gemodel": None, "gimodel": None, "slot": None, "ecn": False, "seed": None,
    }
    if TCA_NETEM_LATENCY64 in attrs:
        p["latency"] = nla.as_s64(attrs[TCA_NETEM_LATENCY64])
    if TCA_NETEM_JITTER64 in attrs:
        p["jitter"] = nla.as_s64(attrs[TCA_NETEM_JITTER64])
    if TCA_NETEM_CORR in attrs:
        p["delay_corr"], p["loss_corr"], p["dup_corr"] = NETEM_CORR.unpack_from(attrs[TCA_NETEM_CORR])
    if TCA_NETEM_REORDER in attrs:
        p["reorder"], p["reorder_corr"] = NETEM_PAIR.unpack_from(attrs[TCA_NETEM_REORDER])
    if TCA_NETEM_CORRUPT in attrs:
        p["corrupt"], p["corrupt_corr"] = NETEM_PAIR.unpack_from(attrs[TCA_NETEM_CORRUPT])
    if TCA_NETEM_RATE in attrs:
        rate, p["packet_overhead"], p["cell_size"], p["cell_overhead"] = NETEM_RATE.unpack_from(attrs[TCA_NETEM_RATE])
        p["rate"] = rate
    if TCA_NETEM_RATE64 in attrs:
        p["rate"] = max(p["rate"], nla.as_u64(attrs[TCA_NETEM_RATE64]))
    if TCA_NETEM_LOSS in attrs:
        models = nla.attrs_dict(attrs[TCA_NETEM_LOSS])
        if NETEM_LOSS_GE in models:
            p["gemodel"] = NETEM_GE.unpack_from(models[NETEM_LOSS_GE])
        elif NETEM_LOSS_GI in models:
            p["gimodel"] = NETEM_GI.unpack_from(models[NETEM_LOSS_GI])
    if TCA_NETEM_SLOT in attrs:
        slot = NETEM_SLOT.unpack_from(attrs[TCA_NETEM_SLOT])
        p["slot"] = slot if any(slot) else None
    if TCA_NETEM_ECN in attrs:
        p["ecn"] = bool(nla.as_u32(attrs[TCA_NETEM_ECN]))
    if TCA_NETEM_PRNG_SEED in attrs:
        p["seed"] = nla.as_u64(attrs[TCA_NETEM_PRNG_SEED])
    return p


# ------------------------------------------------------------ prio, u32 --


def encode_prio(bands, default_band=0):
    return PRIO_QOPT.pack(bands, *([default_band] * 16))


def decode_prio(options):
    fields = PRIO_QOPT.unpack_from(options)
    return {"bands": fields[0], "priomap": list(fields[1:])}


def encode_u32(keys, classid=None, actions=()):
    """u32 options; keys are (mask, value, offset) with host-order mask/value."""
    sel = U32_SEL.pack(TC_U32_TERMINAL if classid is not None or actions else 0,
                       0, len(keys), 0, 0, 0, 0, 0)
    sel += b"".join(U32_KEY.pack(struct.unpack("=I", struct.pack("!I", m))[0],
                                 struct.unpack("=I", struct.pack("!I", v & m))[0], off, 0)
                    for m, v, off in keys)
    parts = []
    if classid is not None:
        parts.append(nla.attr_u32(TCA_U32_CLASSID, classid))
    parts.append(nla.attr(TCA_U32_SEL, sel))
    if actions:
        parts.append(nla.nested(TCA_U32_ACT, *[nla.nested(i + 1, a) for i, a in enumerate(actions)]))
    return b"".join(parts)


def decode_u32(options):
    attrs = nla.attrs_dict(options)
    out = {"keys": [], "classid": None, "redirect_ifindex": None}
    if TCA_U32_CLASSID in attrs:
        out["classid"] = nla.as_u32(attrs[TCA_U32_CLASSID])
    if TCA_U32_SEL in attrs:
        sel = attrs[TCA_U32_SEL]
        nkeys = U32_SEL.unpack_from(sel)[2]
        for i in range(nkeys):
            mask, val, off, _om = U32_KEY.unpack_from(sel, U32_SEL.size + i * U32_KEY.size)
            out["keys"].append((_ntoh(mask), _ntoh(val), off))
    if TCA_U32_ACT in attrs:
        for _idx, act in nla.iter_attrs(attrs[TCA_U32_ACT]):
            a = nla.attrs_dict(act)
            if nla.as_str(a.get(TCA_ACT_KIND, b"")) == "mirred" and TCA_ACT_OPTIONS in a:
                m = nla.attrs_dict(a[TCA_ACT_OPTIONS])
                if TCA_MIRRED_PARMS in m:
                    out["redirect_ifindex"] = MIRRED_PARMS.unpack_from(m[TCA_MIRRED_PARMS])[6]
    return out


def _ntoh(value):
    return struct.unpack("!I", struct.pack("=I", value))[0]


def mirred_redirect(ifindex):
    """Action attributes: mirred egress redirect to ifindex."""
    parms = MIRRED_PARMS.pack(0, 0, TC_ACT_STOLEN, 0, 0, TCA_EGRESS_REDIR, ifindex)
    return nla.attr_str(TCA_ACT_KIND, "mirred") + nla.nested(TCA_ACT_OPTIONS, nla.attr(TCA_MIRRED_PARMS, parms))


# ------------------------------------------------------------- requests --


def qdisc_request(action, ifindex, parent, handle, kind=None, options=None):
    """(type, flags, payload) for a qdisc add/replace/delete."""
    body = tcmsg(ifindex, handle, parent)
    if kind:
        body += nla.attr_str(TCA_KIND, kind)
    if options is not None:
        body += nla.attr(TCA_OPTIONS, options)
    if action == "delete":
        return RTM_DELQDISC, 0, body
    flags = nla.NLM_F_CREATE | (nla.NLM_F_REPLACE if action == "replace" else nla.NLM_F_EXCL)
    return RTM_NEWQDISC, flags, body


def filter_request(action, ifindex, parent, pref, protocol, kind=None, options=None):
    info = (pref << 16) | socket.htons(protocol)
    body = tcmsg(ifindex, 0, parent, info)
    if kind:
        body += nla.attr_str(TCA_KIND, kind)
    if options is not None:
        body += nla.nested(TCA_OPTIONS, options)
    if action == "delete":
        return RTM_DELTFILTER, 0, body
    return RTM_NEWTFILTER, nla.NLM_F_CREATE | nla.NLM_F_EXCL, body


# ---------------------------------------------------------------- dumps --


def parse_tcmsg(payload):
    """Dict view of one qdisc or filter message from a dump (kind and options only: dumps are large)."""
    _fam, ifindex, handle, parent, info = TCMSG.unpack_from(payload)
    attrs = nla.pick(payload, TCMSG.size, (TCA_KIND, TCA_OPTIONS))
    kind, options = nla.as_str(attrs.get(TCA_KIND, b"")), attrs.get(TCA_OPTIONS, b"")
    return {"ifindex": ifindex, "handle": handle, "parent": parent,
            "pref": info >> 16, "protocol": socket.ntohs(info & 0xFFFF), "kind": kind, "options": options}


def dump_qdiscs(session, ifindex=0):
    return [parse_tcmsg(body) for _t, body in session.dump(RTM_GETQDISC, tcmsg(ifindex))]


def dump_filters(session, ifindex, parent):
    return [parse_tcmsg(body) for _t, body in session.dump(RTM_GETTFILTER, tcmsg(ifindex, 0, parent))]
