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


# --------------------------------------------------- htb, tbf, classes --
# Built as iproute2 builds them (tc/q_htb.c, tc/q_tbf.c, tc/tc_core.c): rates in bytes/s, bursts turned
# into transmission times in scheduler ticks with /proc/net/psched's clock, 256-slot rate tables, and the
# 64-bit rate attributes from 2^32 bytes/s on. Nests are framed as tc frames them (no NLA_F_NESTED).

RTM_NEWTCLASS, RTM_DELTCLASS, RTM_GETTCLASS = 40, 41, 42
NLM_F_ECHO = 0x8
TCA_HTB_PARMS, TCA_HTB_INIT, TCA_HTB_CTAB, TCA_HTB_RTAB = 1, 2, 3, 4
TCA_HTB_DIRECT_QLEN, TCA_HTB_RATE64, TCA_HTB_CEIL64 = 5, 6, 7
TCA_TBF_PARMS, TCA_TBF_RTAB, TCA_TBF_PTAB, TCA_TBF_RATE64 = 1, 2, 3, 4
TCA_TBF_PRATE64, TCA_TBF_BURST, TCA_TBF_PBURST = 5, 6, 7
TC_LINKLAYER_ETHERNET = 1
TC_LINKLAYER_MASK = 0x0F
HTB_VERSION = 3  # what tc sends; the kernel answers 0x30011 (HTB_VER)
HTB_GLOB = struct.Struct("=IIIII")  # version rate2quantum defcls debug direct_pkts
RATESPEC = struct.Struct("=BBHhHI")  # cell_log linklayer overhead cell_align mpu rate
HTB_OPT = struct.Struct("=BBHhHIBBHhHIIIIII")  # rate, ceil, buffer cbuffer quantum level prio
TBF_QOPT = struct.Struct("=BBHhHIBBHhHIIII")  # rate, peakrate, limit buffer mtu
HTB_CLASS_MTU = 1600  # tc's default for htb ("eth packet len")
TIME_UNITS_PER_SEC = 1000000
NSEC_PER_SEC = 1000000000
_PSCHED = []


def psched():
    """(tick_in_usec, hz) as tc_core_init() and get_hz() compute them from /proc/net/psched."""
    if not _PSCHED:
        t2us, us2t, clock_res, hz = 1000, 64, 1000000, 1000000000  # what Linux has reported since 2.6.24
        try:
            with open("/proc/net/psched") as f:
                t2us, us2t, clock_res, hz = [int(v, 16) for v in f.read().split()[:4]]
        except (IOError, OSError, ValueError):
            pass
        if clock_res == 1000000000:
            t2us = us2t
        tick_in_usec = float(t2us) / us2t * (float(clock_res) / TIME_UNITS_PER_SEC)
        _PSCHED.append((tick_in_usec, hz if clock_res == 1000000 else 100))
    return _PSCHED[0]


def calc_xmittime(rate, size):
    """tc_calc_xmittime(): ticks to send `size` bytes at `rate` bytes/s (C's truncations kept)."""
    if not rate:
        return 0
    usec = int(TIME_UNITS_PER_SEC * (float(size) / float(rate)))
    return min(int((usec & U32_MAX) * psched()[0]), U32_MAX)


def calc_xmitsize(rate, ticks):
    """tc_calc_xmitsize(): bytes sent at `rate` in `ticks`, as tc prints a burst (whole µs: lossy at high rates)."""
    return int(float(rate) * int(ticks / psched()[0]) / TIME_UNITS_PER_SEC)


def ticks_to_bytes(rate, ticks):
    """Bytes sent at `rate` in `ticks`, without tc's rounding to whole µs."""
    return int(round(float(rate) * ticks / psched()[0] / TIME_UNITS_PER_SEC))


_RTABLES = {}


def calc_rtable(rate, mtu, cell_log=-1, mpu=0):
    """tc_calc_rtable() for an Ethernet link: (cell_log, 1,024-byte table); memoised (a fabric has few rates)."""
    key = (rate, mtu, cell_log, mpu)
    found = _RTABLES.get(key)
    if found is None:
        if len(_RTABLES) > 1024:
            _RTABLES.clear()
        found = _RTABLES[key] = _calc_rtable(rate, mtu, cell_log, mpu)
    return found


def _calc_rtable(rate, mtu, cell_log, mpu):
    if mtu == 0:
        mtu = 2047
    if cell_log < 0:
        cell_log = 0
        while (mtu >> cell_log) > 255:
            cell_log += 1
    rate32 = min(rate, U32_MAX)
    table = [calc_xmittime(rate32, max((i + 1) << cell_log, mpu)) for i in range(256)]
    return cell_log, struct.pack("=256I", *table)


def _ratespec(rate, cell_log, mpu=0, overhead=0):
    return (cell_log, TC_LINKLAYER_ETHERNET, overhead, -1, mpu, U32_MAX if rate >= 1 << 32 else rate)


def encode_htb_qdisc(default_class=1, r2q=10, direct_qlen=None):
    """TCA_OPTIONS payload of `tc qdisc add ... htb default D r2q R [direct_qlen Q]`."""
    body = nla.attr(TCA_HTB_INIT, HTB_GLOB.pack(HTB_VERSION, r2q, default_class, 0, 0))
    if direct_qlen is not None:
        body += nla.attr_u32(TCA_HTB_DIRECT_QLEN, direct_qlen)
    return body


def decode_htb_qdisc(options):
    attrs = nla.attrs_dict(options or b"")
    out = {"r2q": None, "default_class": None, "direct_qlen": None}
    if TCA_HTB_INIT in attrs:
        _v, out["r2q"], out["default_class"], _d, _p = HTB_GLOB.unpack_from(attrs[TCA_HTB_INIT])
    if TCA_HTB_DIRECT_QLEN in attrs:
        out["direct_qlen"] = nla.as_u32(attrs[TCA_HTB_DIRECT_QLEN])
    return out


def htb_buffer(rate, burst=None, mtu=HTB_CLASS_MTU):
    """The buffer ticks tc sends for an htb rate (bytes/s) and burst (bytes; None: tc's default)."""
    if burst is None:
        burst = rate // psched()[1] + mtu
    return calc_xmittime(rate, burst)


def encode_htb_class(rate, ceil=None, burst=None, cburst=None, quantum=0, prio=0, mtu=HTB_CLASS_MTU,
                     buffer_ticks=None, cbuffer_ticks=None):
    """TCA_OPTIONS payload of `tc class add ... htb rate R [ceil C] [burst B] [cburst CB] [quantum Q]`.

    Rates in bytes/s, bursts in bytes. buffer_ticks/cbuffer_ticks, when given,
    are sent as they are (to put back what a dump showed).
    """
    ceil = rate if not ceil else ceil
    cell_log, rtab = calc_rtable(rate, mtu)
    ccell_log, ctab = calc_rtable(ceil, mtu)
    buffer = htb_buffer(rate, burst, mtu) if buffer_ticks is None else buffer_ticks
    cbuffer = htb_buffer(ceil, cburst, mtu) if cbuffer_ticks is None else cbuffer_ticks
    opt = HTB_OPT.pack(*(_ratespec(rate, cell_log) + _ratespec(ceil, ccell_log)
                         + (buffer, cbuffer, quantum, 0, prio)))
    body = b""
    if rate >= 1 << 32:
        body += nla.attr_u64(TCA_HTB_RATE64, rate)
    if ceil >= 1 << 32:
        body += nla.attr_u64(TCA_HTB_CEIL64, ceil)
    return body + nla.attr(TCA_HTB_PARMS, opt) + nla.attr(TCA_HTB_RTAB, rtab) + nla.attr(TCA_HTB_CTAB, ctab)


def decode_htb_class(options):
    """{rate, ceil (bytes/s), buffer, cbuffer (ticks), quantum, level, prio} of a dumped htb class."""
    attrs = nla.attrs_dict(options or b"")
    if TCA_HTB_PARMS not in attrs:
        return None
    f = HTB_OPT.unpack_from(attrs[TCA_HTB_PARMS])
    out = {"rate": f[5], "ceil": f[11], "buffer": f[12], "cbuffer": f[13], "quantum": f[14], "level": f[15],
           "prio": f[16]}
    if TCA_HTB_RATE64 in attrs:
        out["rate"] = nla.as_u64(attrs[TCA_HTB_RATE64])
    if TCA_HTB_CEIL64 in attrs:
        out["ceil"] = nla.as_u64(attrs[TCA_HTB_CEIL64])
    return out


def encode_tbf(rate, burst, limit=None, latency_us=None, mtu=0, buffer_ticks=None):
    """TCA_OPTIONS payload of `tc qdisc add ... tbf rate R burst B (limit L | latency T)`; bytes/s, bytes, µs.

    buffer_ticks, when given, is sent instead of a burst (to put back what a dump showed).
    """
    if limit is None:
        if latency_us is None:
            raise ValueError("tbf needs a limit or a latency")
        limit = int(rate * float(latency_us) / TIME_UNITS_PER_SEC + burst)
    cell_log, rtab = calc_rtable(rate, mtu)
    rate32 = U32_MAX if rate >= 1 << 32 else rate
    buffer = calc_xmittime(rate32, burst) if buffer_ticks is None else buffer_ticks
    opt = TBF_QOPT.pack(*(_ratespec(rate, cell_log) + (0, 0, 0, 0, 0, 0) + (min(limit, U32_MAX), buffer, 0)))
    body = nla.attr(TCA_TBF_PARMS, opt)
    if buffer_ticks is None:
        body += nla.attr_u32(TCA_TBF_BURST, burst)
    if rate >= 1 << 32:
        body += nla.attr_u64(TCA_TBF_RATE64, rate)
    return body + nla.attr(TCA_TBF_RTAB, rtab)


def decode_tbf(options):
    """{rate (bytes/s), limit (bytes), buffer, mtu (ticks), peakrate} of a dumped tbf."""
    attrs = nla.attrs_dict(options or b"")
    if TCA_TBF_PARMS not in attrs:
        return None
    f = TBF_QOPT.unpack_from(attrs[TCA_TBF_PARMS])
    out = {"rate": f[5], "peakrate": f[11], "limit": f[12], "buffer": f[13], "mtu": f[14]}
    if TCA_TBF_RATE64 in attrs:
        out["rate"] = nla.as_u64(attrs[TCA_TBF_RATE64])
    if TCA_TBF_PRATE64 in attrs:
        out["peakrate"] = nla.as_u64(attrs[TCA_TBF_PRATE64])
    return out


def _ratecfg(rate):
    """psched_ratecfg_precompute(): the kernel's (mult, shift) for a rate in bytes/s."""
    mult, shift, factor = 1, 0, NSEC_PER_SEC
    if rate <= 0:
        return mult, shift
    while True:
        mult = (factor // rate) & U32_MAX
        if mult & (1 << 31) or factor & (1 << 63):
            return mult, shift
        factor <<= 1
        shift += 1


def tbf_kernel_buffer(rate, burst):
    """The buffer (ticks) the kernel reports for a tbf given `burst` bytes (TCA_TBF_BURST wins over ticks)."""
    mult, shift = _ratecfg(rate)
    return ((burst * mult) >> shift) >> PSCHED_SHIFT


def class_request(action, ifindex, parent, classid, kind=None, options=None):
    """(type, flags, payload) for a class add/replace/delete (options framed as tc frames them)."""
    body = tcmsg(ifindex, classid, parent)
    if kind:
        body += nla.attr_str(TCA_KIND, kind)
    if options is not None:
        body += nla.attr(TCA_OPTIONS, options)
    if action == "delete":
        return RTM_DELTCLASS, 0, body
    flags = nla.NLM_F_CREATE | (nla.NLM_F_REPLACE if action == "replace" else nla.NLM_F_EXCL)
    return RTM_NEWTCLASS, flags, body


def qdisc_request_tc(action, ifindex, parent, handle, kind, options):
    """qdisc_request() with TCA_OPTIONS framed as tc frames them (for htb and tbf, whose options are nests)."""
    msg_type, flags, body = qdisc_request(action, ifindex, parent, handle, kind)
    return msg_type, flags, body + nla.attr(TCA_OPTIONS, options)


def get_classes(session, keys):
    """{(ifindex, classid): parse_tcmsg() or None (no such class)} with RTM_GETTCLASS requests, many per send.

    A class dump covers one device; a request per class, sent in batches,
    costs one system call per batch instead of two per device.
    """
    return get_many(session, RTM_GETTCLASS, [(key, tcmsg(key[0], key[1], 0)) for key in keys], parse_tcmsg)


def get_many(session, msg_type, requests, parse, batch=64):
    """{key: parse(reply payload) or None} for [(key, payload)] get requests (no dump), `batch` per send.

    NLM_F_ECHO: the kernel answers a class get through its notifier, which
    writes to the asker only when asked to echo.
    """
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import session as nls
    out = {}
    for start in range(0, len(requests), batch):
        chunk, by_seq, wire = requests[start:start + batch], {}, []
        for key, payload in chunk:
            seq = session._next_seq()
            by_seq[seq] = key
            out[key] = None
            wire.append(nla.message(msg_type, nla.NLM_F_REQUEST | nla.NLM_F_ACK | NLM_F_ECHO, seq, payload))
        session.sock.send(b"".join(wire))
        waiting = set(by_seq)
        while waiting:
            try:
                data = session.sock.recv(nls.RECV_SIZE)
            except OSError as e:
                session._receive_failed(e, "the replies to %d get request(s)" % len(chunk))
                raise
            for rtype, flags, seq, body in nls._split(data):
                if seq not in waiting:
                    continue
                if rtype == nla.NLMSG_ERROR:
                    waiting.discard(seq)
                    code, text = nls._parse_error(flags, body)
                    if code and code not in (2, 19, 22):  # ENOENT, ENODEV, EINVAL: no such object
                        raise nls.NetlinkError(code, text)
                else:
                    out[by_seq[seq]] = parse(body)
    return out
