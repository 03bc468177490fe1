# -*- coding: utf-8 -*-
"""DCB (IEEE 802.1Qaz) codec: request bytes from the uapi layout, GET reply parsing, errors."""
import errno
import struct

import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import dcb, nla
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkError

REQ_ACK = nla.NLM_F_REQUEST | nla.NLM_F_ACK
PFC = {"pfc_cap": 8, "pfc_en": 0x88, "mbc": 1, "delay": 0x1234,
       "requests": [1, 2, 3, 4, 5, 6, 7, 2 ** 40], "indications": [9, 0, 0, 0, 0, 0, 0, 2 ** 63]}
ETS = {"willing": 1, "ets_cap": 8, "cbs": 0, "tc_tx_bw": [60, 40, 0, 0, 0, 0, 0, 0],
       "tc_rx_bw": [10, 20, 30, 40, 0, 0, 0, 0], "tc_tsa": [2, 2, 0, 0, 0, 0, 1, 255],
       "prio_tc": [0, 0, 1, 1, 2, 3, 4, 7], "tc_reco_bw": [50, 50, 0, 0, 0, 0, 0, 0],
       "tc_reco_tsa": [2, 2, 0, 0, 0, 0, 0, 0], "reco_prio_tc": [7, 6, 5, 4, 3, 2, 1, 0]}
APPS = [(dcb.SEL_DSCP, 26, 3), (dcb.SEL_DSCP, 46, 5), (dcb.SEL_ETHERTYPE, 0x8906, 3),
        (dcb.SEL_STREAM, 4791, 4), (dcb.SEL_DGRAM, 4791, 4), (dcb.SEL_ANY, 3260, 2)]

# Byte layouts (little-endian host):
#   struct dcbmsg   = family u8 (0 = AF_UNSPEC), cmd u8, pad u16      -> 4 bytes
#   DCB_ATTR_IFNAME = nla_len 7, type 1, "va\0", 1 pad byte           -> 07000100 76610000
#   DCB_ATTR_IEEE   = type 13 | NLA_F_NESTED (0x8000)                 -> LLLL0d80
#   struct dcb_app  = selector u8, priority u8, protocol u16          -> 4 bytes
#   cmd: DCB_CMD_IEEE_SET 20 (0x14), DCB_CMD_IEEE_GET 21 (0x15), DCB_CMD_IEEE_DEL 27 (0x1b)
HDR_VA = "0700010076610000"
GET_VA = "00150000" + HDR_VA
# dcb app add dev va dscp-prio 26:3
APP_ADD_VA = ("00140000" + HDR_VA
              + "10000d80"    # DCB_ATTR_IEEE nest, len 16
              + "0c000380"    # DCB_ATTR_IEEE_APP_TABLE nest (3), len 12
              + "08000100"    # DCB_ATTR_IEEE_APP (1), len 8
              + "05031a00")   # selector 5 (DSCP), priority 3, protocol 26
APP_DEL_VA = "001b0000" + APP_ADD_VA[8:]
# dcb pfc set dev va prio-pfc 3:on, starting from a zeroed struct ieee_pfc
PFC_SET_VA = ("00140000" + HDR_VA
              + "90000d80"    # DCB_ATTR_IEEE nest, len 4 + 140 = 144
              + "8c000200"    # DCB_ATTR_IEEE_PFC (2), len 4 + sizeof(ieee_pfc) 136 = 140
              + "00080000"    # pfc_cap 0, pfc_en 0x08 (prio 3), mbc 0, 1 pad byte (u16 alignment)
              + "00000000"    # delay u16 0, 2 pad bytes (u64 alignment)
              + "00" * 128)   # requests[8] u64, indications[8] u64
# dcb ets set dev va tc-tsa 0:ets 1:ets tc-bw 0:60 1:40, from a zeroed struct ieee_ets
ETS_SET_VA = ("00140000" + HDR_VA
              + "44000d80"    # DCB_ATTR_IEEE nest, len 4 + 64 = 68
              + "3f000100"    # DCB_ATTR_IEEE_ETS (1), len 4 + sizeof(ieee_ets) 59 = 63
              + "000000"      # willing, ets_cap, cbs
              + "3c28000000000000"  # tc_tx_bw 60, 40
              + "0000000000000000"  # tc_rx_bw
              + "0202000000000000"  # tc_tsa ETS, ETS, strict...
              + "00" * 32           # prio_tc, tc_reco_bw, tc_reco_tsa, reco_prio_tc
              + "00")               # nla padding 63 -> 64
# apptrust order dscp pcp (kernel 6.2+ uapi): one u8 attribute per selector
APPTRUST_VA = ("00140000" + HDR_VA
               + "18000d80"    # DCB_ATTR_IEEE nest, len 24
               + "14000b80"    # DCB_ATTR_DCB_APP_TRUST_TABLE nest (11), len 20
               + "0500010005000000"    # DCB_ATTR_IEEE_APP (1) u8 5 (DSCP) + 3 pad
               + "05000200ff000000")   # DCB_ATTR_DCB_APP (2) u8 255 (PCP) + 3 pad


def reply(*ieee):
    """A DCB_CMD_IEEE_GET reply payload as the kernel builds it (dcbnl_ieee_fill)."""
    return struct.pack("=BBH", 0, 21, 0) + nla.attr_str(1, "va") + nla.nested(13, *ieee)


def app_table(entries):
    return nla.nested(3, *[nla.attr(1, struct.pack("=BBH", s, prio, proto)) for s, proto, prio in entries])


@pytest.mark.parametrize("built, expected", [
    (dcb.get_request("va"), (78, REQ_ACK, GET_VA)),
    (dcb.app_request("add", "va", [(dcb.SEL_DSCP, 26, 3)]), (79, REQ_ACK, APP_ADD_VA)),
    (dcb.app_request("delete", "va", [(dcb.SEL_DSCP, 26, 3)]), (79, REQ_ACK, APP_DEL_VA)),
    (dcb.set_pfc_request("va", {"pfc_en": 1 << 3}), (79, REQ_ACK, PFC_SET_VA)),
    (dcb.set_ets_request("va", {"tc_tsa": [2, 2] + [0] * 6, "tc_tx_bw": [60, 40] + [0] * 6}),
     (79, REQ_ACK, ETS_SET_VA)),
    (dcb.set_apptrust_request("va", [dcb.SEL_DSCP, dcb.SEL_PCP]), (79, REQ_ACK, APPTRUST_VA)),
], ids=["get", "app-add", "app-del", "pfc", "ets", "apptrust"])
def test_request_bytes(built, expected):
    msg_type, flags, payload = built
    assert (msg_type, flags, payload.hex()) == expected


def test_constants():
    assert (dcb.RTM_GETDCB, dcb.RTM_SETDCB) == (78, 79)
    assert (dcb.SEL_ETHERTYPE, dcb.SEL_STREAM, dcb.SEL_DGRAM, dcb.SEL_ANY, dcb.SEL_DSCP) == (1, 2, 3, 4, 5)
    assert (dcb.TSA_STRICT, dcb.TSA_CBS, dcb.TSA_ETS, dcb.TSA_VENDOR) == (0, 1, 2, 255)
    assert (dcb.IEEE_PFC.size, dcb.IEEE_ETS.size, dcb.DCB_APP.size) == (136, 59, 4)


def test_pfc_round_trip():
    _type, _flags, payload = dcb.set_pfc_request("eth0", PFC)
    parsed = dcb.parse_ieee(payload)
    assert parsed == {"pfc": PFC, "ets": None, "app": [], "apptrust": None}
    assert payload[-136:][:8] == bytes.fromhex("0888010034120000")


def test_pfc_defaults_to_zero():
    _type, _flags, payload = dcb.set_pfc_request("eth0", {"pfc_en": 0xff})
    assert dcb.parse_ieee(payload)["pfc"] == {"pfc_cap": 0, "pfc_en": 0xff, "mbc": 0, "delay": 0,
                                              "requests": [0] * 8, "indications": [0] * 8}


def test_ets_round_trip():
    _type, _flags, payload = dcb.set_ets_request("eth0", ETS)
    assert dcb.parse_ieee(payload) == {"pfc": None, "ets": ETS, "app": [], "apptrust": None}


@pytest.mark.parametrize("action, cmd", [("add", 20), ("delete", 27)])
def test_app_round_trip(action, cmd):
    _type, _flags, payload = dcb.app_request(action, "eth0", APPS)
    assert payload[1] == cmd
    assert dcb.parse_ieee(payload)["app"] == APPS
    assert dcb.parse_ieee(payload)["app"][0] == (5, 26, 3)  # dscp 26 -> prio 3


def test_app_pcp_uses_dcb_app_attr():
    _type, _flags, payload = dcb.app_request("add", "va", [(dcb.SEL_PCP, 0x0b, 5)])
    assert payload[-8:].hex() == "08000200ff050b00"  # DCB_ATTR_DCB_APP (2), len 8; selector 255, prio 5, protocol 11
    assert dcb.parse_ieee(payload)["app"] == [(255, 11, 5)]


def test_app_rejects_unknown_action():
    with pytest.raises(KeyError):
        dcb.app_request("replace", "va", APPS)


def test_apptrust_round_trip():
    order = [dcb.SEL_DSCP, dcb.SEL_PCP, dcb.SEL_ETHERTYPE, dcb.SEL_ANY]
    _type, _flags, payload = dcb.set_apptrust_request("eth0", order)
    assert dcb.parse_ieee(payload)["apptrust"] == order
    _type, _flags, payload = dcb.set_apptrust_request("eth0", [])
    assert dcb.parse_ieee(payload)["apptrust"] == []


def test_parse_full_get_reply():
    payload = reply(nla.attr(1, dcb.pack_ets(ETS)), nla.attr(2, dcb.pack_pfc(PFC)), app_table(APPS),
                    nla.nested(4, nla.attr(1, dcb.pack_ets({}))),  # DCB_ATTR_IEEE_PEER_ETS: ignored
                    nla.nested(11, nla.attr(1, b"\x05"), nla.attr(2, b"\xff")))
    assert dcb.parse_ieee(payload) == {"pfc": PFC, "ets": ETS, "app": APPS, "apptrust": [5, 255]}


def test_parse_reply_of_device_without_settings():
    parsed = dcb.parse_ieee(reply(app_table([])))
    assert parsed == {"pfc": None, "ets": None, "app": [], "apptrust": None}
    assert dcb.parse_ieee(b"") == parsed


class FakeSession:
    def __init__(self, replies=None, error=None, ifindex=7):
        self.replies, self.error, self.index, self.sent = replies or [], error, ifindex, []

    def transact(self, msg_type, flags, payload):
        self.sent.append((msg_type, flags, payload))
        if self.error:
            raise NetlinkError(self.error)
        return self.replies

    def ifindex(self, name):
        return self.index


def test_get_ieee_parses_the_reply():
    session = FakeSession([(78, reply(nla.attr(2, dcb.pack_pfc({"pfc_en": 8})), app_table(APPS[:1])))])
    got = dcb.get_ieee(session, "va")
    assert session.sent == [dcb.get_request("va")]
    assert got["pfc"]["pfc_en"] == 8 and got["app"] == [(5, 26, 3)] and got["ets"] is None


@pytest.mark.parametrize("code", [errno.EOPNOTSUPP, errno.ENODEV, errno.EINVAL])
def test_get_ieee_not_supported(code):
    with pytest.raises(dcb.DcbNotSupported) as info:
        dcb.get_ieee(FakeSession(error=code), "nosuchdcbdev0")
    assert info.value.ifname == "nosuchdcbdev0" and info.value.errno == code
    assert str(info.value) == "nosuchdcbdev0: DCB is not supported by driver unknown"


def test_get_ieee_missing_device_is_not_masked():
    with pytest.raises(NetlinkError) as info:
        dcb.get_ieee(FakeSession(error=errno.ENODEV, ifindex=None), "gone0")
    assert info.value.errno == errno.ENODEV
    with pytest.raises(NetlinkError):
        dcb.get_ieee(FakeSession(error=errno.EPERM), "va")


def test_not_supported_message_names_the_driver(monkeypatch):
    monkeypatch.setattr(dcb.os, "readlink", lambda path: "../../../../bus/pci/drivers/ice")
    err = dcb.DcbNotSupported("ens1f0", errno.EOPNOTSUPP)
    assert (str(err), err.driver, err.errno) == ("ens1f0: DCB is not supported by driver ice", "ice",
                                                 errno.EOPNOTSUPP)
    assert str(dcb.DcbNotSupported("x", 95, driver="mlx5_core")) == "x: DCB is not supported by driver mlx5_core"


def set_reply(code):
    """dcbnl's answer to IEEE_SET / IEEE_DEL: the driver's result as an s8 in DCB_ATTR_IEEE."""
    return struct.pack("=BBH", 0, 20, 0) + nla.attr(13, struct.pack("=b", code))


def test_apply_checks_the_driver_verdict():
    session = FakeSession([(79, set_reply(0))])
    assert dcb.apply(session, dcb.set_pfc_request("va", {"pfc_en": 8})) is None
    assert session.sent == [dcb.set_pfc_request("va", {"pfc_en": 8})]
    with pytest.raises(NetlinkError) as info:
        dcb.apply(FakeSession([(79, set_reply(-errno.EINVAL))]), dcb.set_ets_request("ens1f0", ETS))
    assert info.value.errno == errno.EINVAL and "ens1f0: the driver refused" in str(info.value)


def test_apply_without_dcb_ops():
    with pytest.raises(dcb.DcbNotSupported) as info:
        dcb.apply(FakeSession(error=errno.EOPNOTSUPP), dcb.app_request("add", "va", APPS))
    assert str(info.value) == "va: DCB is not supported by driver unknown"
