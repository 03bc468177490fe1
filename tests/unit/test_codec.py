# -*- coding: utf-8 -*-
"""Netlink codecs: netem, u32, mirred, tcmsg framing and error parsing."""
import socket
import struct

import pytest
from pyroute2.netlink.rtnl.tcmsg import tcmsg as pyroute2_tcmsg

from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model, plan
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, session, tc

U32_MAX = 0xFFFFFFFF


def netem(**overrides):
    """A netem dict with every plain field set to a distinct non-zero value."""
    p = model.empty_netem()
    p.update(limit=12345, latency=10 * 10**6, jitter=1234567, delay_corr=11, loss=22, loss_corr=33, gap=4,
             duplicate=55, dup_corr=66, reorder=77, reorder_corr=88, corrupt=99, corrupt_corr=111,
             rate=1250000000, packet_overhead=-14, cell_size=53, cell_overhead=5)
    p.update(overrides)
    return p


def options_attrs(options):
    return nla.attrs_dict(options, tc.NETEM_QOPT.size)


VARIANTS = {
    "plain": {},
    "zero": dict(model.empty_netem()),
    "gemodel": dict(gemodel=(1, 2, 3, 4), ecn=True),
    "gimodel": dict(gimodel=(5, 6, 7, 8, 9)),
    "slot-min-max": dict(slot=(10**6, 2 * 10**6, 10, 65536, 0, 0)),
    "slot-distribution": dict(slot=(0, 0, 3, 0, 10**6, 10**5)),
    "seed": dict(seed=2**64 - 1),
    "seed-zero": dict(seed=0),
    "rate-just-below-2^32": dict(rate=U32_MAX),
    "rate-above-2^32": dict(rate=50 * 10**9),
    "latency-above-u32-ticks": dict(latency=2**40 + 64, jitter=2**31 - 1),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_netem_round_trip(name):
    p = netem(**VARIANTS[name])
    assert tc.decode_netem(tc.encode_netem(p)) == p


@pytest.mark.parametrize("latency, jitter", [(10 * 10**6, 1234567), (2**40 + 64, 100), (63, 64)])
def test_netem_qopt_carries_ticks_and_64bit_times(latency, jitter):
    options = tc.encode_netem(netem(latency=latency, jitter=jitter))
    qopt = tc.NETEM_QOPT.unpack_from(options)
    assert qopt == (min(latency >> 6, U32_MAX), 12345, 22, 4, 55, min(jitter >> 6, U32_MAX))
    attrs = options_attrs(options)
    assert nla.as_s64(attrs[tc.TCA_NETEM_LATENCY64]) == latency
    assert nla.as_s64(attrs[tc.TCA_NETEM_JITTER64]) == jitter


def test_netem_fixed_attributes():
    attrs = options_attrs(tc.encode_netem(netem()))
    assert tc.NETEM_CORR.unpack(attrs[tc.TCA_NETEM_CORR]) == (11, 33, 66)
    assert tc.NETEM_PAIR.unpack(attrs[tc.TCA_NETEM_REORDER]) == (77, 88)
    assert tc.NETEM_PAIR.unpack(attrs[tc.TCA_NETEM_CORRUPT]) == (99, 111)
    assert tc.NETEM_RATE.unpack(attrs[tc.TCA_NETEM_RATE]) == (1250000000, -14, 53, 5)
    assert nla.as_u32(attrs[tc.TCA_NETEM_ECN]) == 0
    assert tc.NETEM_SLOT.unpack(attrs[tc.TCA_NETEM_SLOT]) == (0,) * 6  # sent zeroed to clear a slot
    for absent in (tc.TCA_NETEM_RATE64, tc.TCA_NETEM_LOSS, tc.TCA_NETEM_PRNG_SEED,
                   tc.TCA_NETEM_DELAY_DIST, tc.TCA_NETEM_SLOT_DIST):
        assert absent not in attrs


@pytest.mark.parametrize("rate, rate32, rate64", [
    (U32_MAX, U32_MAX, None), (2**32, U32_MAX, 2**32), (50 * 10**9, U32_MAX, 50 * 10**9)])
def test_netem_rate64_only_above_u32(rate, rate32, rate64):
    attrs = options_attrs(tc.encode_netem(netem(rate=rate)))
    assert tc.NETEM_RATE.unpack(attrs[tc.TCA_NETEM_RATE])[0] == rate32
    assert (nla.as_u64(attrs[tc.TCA_NETEM_RATE64]) if rate64 else None) == rate64
    assert (tc.TCA_NETEM_RATE64 in attrs) == (rate64 is not None)


@pytest.mark.parametrize("field, kind, layout", [
    ("gemodel", tc.NETEM_LOSS_GE, tc.NETEM_GE), ("gimodel", tc.NETEM_LOSS_GI, tc.NETEM_GI)])
def test_netem_loss_models_are_nested(field, kind, layout):
    values = tuple(range(1, layout.size // 4 + 1))
    raw = tc.encode_netem(netem(**{field: values}))
    size, nla_type = nla.NLA_HDR.unpack_from(raw, tc.NETEM_QOPT.size + _offset_of(raw, tc.TCA_NETEM_LOSS))
    assert nla_type & nla.NLA_F_NESTED
    models = nla.attrs_dict(options_attrs(raw)[tc.TCA_NETEM_LOSS])
    assert list(models) == [kind]
    assert layout.unpack(models[kind]) == values


def _offset_of(options, kind):
    offset = 0
    for nla_type, payload in nla.iter_attrs(options, tc.NETEM_QOPT.size):
        if nla_type == kind:
            return offset
        offset += nla.align4(nla.NLA_HDR.size + len(payload))
    raise AssertionError("attribute %d missing" % kind)


def test_netem_seed_only_when_set():
    assert tc.TCA_NETEM_PRNG_SEED not in options_attrs(tc.encode_netem(netem()))
    attrs = options_attrs(tc.encode_netem(netem(seed=0)))
    assert nla.as_u64(attrs[tc.TCA_NETEM_PRNG_SEED]) == 0


@pytest.mark.parametrize("delay_table, slot_table", [
    ([-32768, -1, 0, 1, 32767], None), (None, [7, -7, 3]), ([1, 2, 3], [4, 5])])
def test_netem_distribution_tables_are_s16_arrays(delay_table, slot_table):
    p = netem(slot=(0, 0, 0, 0, 10**6, 10**5))
    raw = tc.encode_netem(p, delay_table, slot_table)
    attrs = options_attrs(raw)
    for kind, table in ((2, delay_table), (13, slot_table)):
        if table is None:
            assert kind not in attrs
        else:
            assert list(struct.unpack("=%dh" % len(table), attrs[kind])) == table
    assert tc.decode_netem(raw) == p


def test_pyroute2_decodes_our_netem_qdisc():
    p = netem(delay_corr=1, loss_corr=2, dup_corr=3, gemodel=(1, 2, 3, 4), seed=5)
    msg_type, flags, body = tc.qdisc_request("replace", 7, tc.TC_H_ROOT, plan.ROOT_HANDLE, "netem",
                                             tc.encode_netem(p, [1, 2]))
    assert (msg_type, flags) == (tc.RTM_NEWQDISC, nla.NLM_F_CREATE | nla.NLM_F_REPLACE)
    m = pyroute2_tcmsg(nla.message(msg_type, flags | nla.NLM_F_REQUEST, 9, body))
    m.decode()
    assert m["header"]["type"] == tc.RTM_NEWQDISC
    assert m["header"]["sequence_number"] == 9
    assert (m["index"], m["handle"], m["parent"]) == (7, 0xFAB00000, 0xFFFFFFFF)
    assert m.get_attr("TCA_KIND") == "netem"
    opts = m.get_attr("TCA_OPTIONS")
    assert [opts[k] for k in ("delay", "limit", "loss", "gap", "duplicate", "jitter")] == [
        p["latency"] >> 6, p["limit"], p["loss"], p["gap"], p["duplicate"], p["jitter"] >> 6]
    assert dict(opts.get_attr("TCA_NETEM_CORR")) == {"delay_corr": 1, "loss_corr": 2, "dup_corr": 3}
    assert dict(opts.get_attr("TCA_NETEM_REORDER")) == {"prob_reorder": 77, "corr_reorder": 88}
    assert dict(opts.get_attr("TCA_NETEM_CORRUPT")) == {"prob_corrupt": 99, "corr_corrupt": 111}
    assert dict(opts.get_attr("TCA_NETEM_RATE")) == {
        "rate": 1250000000, "packet_overhead": -14, "cell_size": 53, "cell_overhead": 5}


def test_pyroute2_decodes_our_filter_and_delete():
    options = tc.encode_u32([(0xFFFFFF00, 0x0A000001, 16)], classid=plan.class_id(1))
    msg_type, flags, body = tc.filter_request("add", 3, plan.ROOT_HANDLE, 12, tc.ETH_P_IP, "u32", options)
    m = pyroute2_tcmsg(nla.message(msg_type, flags, 1, body))
    m.decode()
    assert (m["header"]["type"], m["index"], m["parent"]) == (tc.RTM_NEWTFILTER, 3, plan.ROOT_HANDLE)
    assert m["info"] >> 16 == 12 and socket.ntohs(m["info"] & 0xFFFF) == tc.ETH_P_IP
    assert m.get_attr("TCA_KIND") == "u32"
    assert m.get_attr("TCA_OPTIONS").get_attr("TCA_U32_CLASSID") == 0xFAB00002
    msg_type, _flags, body = tc.qdisc_request("delete", 3, tc.TC_H_ROOT, plan.ROOT_HANDLE)
    parsed = tc.parse_tcmsg(body)
    assert msg_type == tc.RTM_DELQDISC
    assert (parsed["ifindex"], parsed["handle"], parsed["parent"], parsed["kind"]) == (3, 0xFAB00000, tc.TC_H_ROOT, "")


# ------------------------------------------------------------------ u32 --


@pytest.mark.parametrize("keys, classid", [
    ([(0x00FC0000, 26 << 18, 0)], 0xFAB00002),
    ([(0xFFFFFFFF, 0x0A000001, 12), (0xFFFFFF00, 0x0A0001FF, 16)], 0xFAB00003),
    ([], None),
])
def test_u32_round_trip(keys, classid):
    out = tc.decode_u32(tc.encode_u32(keys, classid=classid))
    assert out["keys"] == [(m, v & m, off) for m, v, off in keys]  # value is masked on the wire
    assert out["classid"] == classid
    assert out["redirect_ifindex"] is None


def test_u32_mirred_redirect_round_trip():
    raw = tc.encode_u32([(0, 0, 0)], actions=[tc.mirred_redirect(42)])
    out = tc.decode_u32(raw)
    assert out == {"keys": [(0, 0, 0)], "classid": None, "redirect_ifindex": 42}
    sel = nla.attrs_dict(raw)[tc.TCA_U32_SEL]
    assert tc.U32_SEL.unpack_from(sel)[:3] == (tc.TC_U32_TERMINAL, 0, 1)


def test_u32_keys_are_network_order_on_the_wire():
    sel = nla.attrs_dict(tc.encode_u32([(0xFFFFFF00, 0x0A000105, 16)], classid=1))[tc.TCA_U32_SEL]
    assert sel[tc.U32_SEL.size:tc.U32_SEL.size + 8] == bytes([0xFF, 0xFF, 0xFF, 0, 10, 0, 1, 0])


@pytest.mark.parametrize("match, expected", [
    ({"dst": ["10.0.0.1/32"], "src": [], "dscp": []}, ("10.0.0.1/32", None, None)),
    ({"dst": ["10.1.2.0/24"], "src": ["10.9.0.0/16"], "dscp": [46]}, ("10.1.2.0/24", "10.9.0.0/16", 46)),
    ({"dst": ["fd00:1:2:3::/64"], "src": [], "dscp": []}, ("fd00:1:2:3::/64", None, None)),
    ({"dst": [], "src": ["fd00::1/128"], "dscp": [0]}, (None, "fd00::1/128", 0)),
    ({"dst": ["2001:db8::/32"], "src": ["2001:db8:ff::/48"], "dscp": [63]}, ("2001:db8::/32", "2001:db8:ff::/48", 63)),
    # /0 matches every address of its family and so needs no key: it reads back as absent
    ({"dst": ["0.0.0.0/0"], "src": [], "dscp": [26]}, (None, None, 26)),
    ({"dst": [], "src": ["::/0"], "dscp": [26]}, (None, None, 26)),
])
def test_keys_to_match_inverts_match_filters(match, expected):
    (proto, keys), = plan.match_filters(match)
    assert proto == (plan.ETH_P_IPV6 if ":" in "".join(match["dst"] + match["src"]) else plan.ETH_P_IP)
    wire = tc.decode_u32(tc.encode_u32(keys, classid=plan.class_id(1)))["keys"]
    assert plan.keys_to_match(proto, wire) == expected


def test_dscp_only_match_covers_both_families():
    filters = plan.match_filters({"dst": [], "src": [], "dscp": [26]})
    assert [(p, plan.keys_to_match(p, k)) for p, k in filters] == [
        (plan.ETH_P_IP, (None, None, 26)), (plan.ETH_P_IPV6, (None, None, 26))]


# ----------------------------------------------------------- tcmsg, prio --


def test_prio_round_trip():
    assert tc.decode_prio(tc.encode_prio(4)) == {"bands": 4, "priomap": [0] * 16}


@pytest.mark.parametrize("value, text", [(0xFAB00000, "fab0:"), (0xFAB00002, "fab0:2"), (tc.TC_H_ROOT, "root")])
def test_format_handle(value, text):
    assert tc.format_handle(value) == text


# ------------------------------------------------------- error parsing --

ORIGINAL = nla.NLMSG_HDR.pack(40, tc.RTM_NEWQDISC, 0x605, 3, 0) + b"\0" * 24


def _error_payload(code, inner, *tlvs):
    return struct.pack("=i", -code) + inner + b"".join(tlvs)


@pytest.mark.parametrize("flags, inner, expected", [
    (session.NLM_F_ACK_TLVS | session.NLM_F_CAPPED, ORIGINAL[:16], (22, "netem: bad slot")),
    (session.NLM_F_ACK_TLVS, ORIGINAL, (22, "netem: bad slot")),  # uncapped: full request echoed
    (0, ORIGINAL, (22, "")),  # no TLVs announced: the text is not looked for
])
def test_parse_error_with_extack(flags, inner, expected):
    payload = _error_payload(22, inner, nla.attr_str(session.NLMSGERR_ATTR_MSG, "netem: bad slot"),
                             nla.attr_u32(2, 0))
    assert session._parse_error(flags, payload) == expected


def test_parse_error_plain_ack():
    assert session._parse_error(0, _error_payload(0, ORIGINAL[:16])) == (0, "")
    assert session._parse_error(session.NLM_F_CAPPED, _error_payload(0, ORIGINAL[:16])) == (0, "")


def test_netlink_error_message():
    err = session.NetlinkError(22, "netem: bad slot")
    assert (err.errno, err.text) == (22, "netem: bad slot")
    assert str(err).startswith("netem: bad slot (")
