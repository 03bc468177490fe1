# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DCB (IEEE 802.1Qaz) rtnetlink messages (linux/dcbnl.h).

Requests are built exactly as iproute2's dcb tool builds them: struct dcbmsg,
DCB_ATTR_IFNAME, then one nested DCB_ATTR_IEEE holding the setting.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno as errno_mod
import os
import struct

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkError, require_ifname

RTM_GETDCB, RTM_SETDCB = 78, 79
DCB_CMD_IEEE_SET, DCB_CMD_IEEE_GET, DCB_CMD_IEEE_DEL = 20, 21, 27
DCB_ATTR_IFNAME, DCB_ATTR_IEEE = 1, 13
DCB_ATTR_IEEE_ETS, DCB_ATTR_IEEE_PFC, DCB_ATTR_IEEE_APP_TABLE = 1, 2, 3
# Newer than the installed uapi header (kernel 6.2+, include/uapi/linux/dcbnl.h):
# enum ieee_attrs gained DCB_ATTR_DCB_APP_TRUST_TABLE = 11 and enum
# ieee_attrs_app gained DCB_ATTR_DCB_APP = 2, which carries non-IEEE selectors
# (DCB_APP_SEL_PCP = 255) where DCB_ATTR_IEEE_APP = 1 carries IEEE ones.
DCB_ATTR_DCB_APP_TRUST_TABLE = 11
DCB_ATTR_IEEE_APP, DCB_ATTR_DCB_APP = 1, 2

SEL_ETHERTYPE, SEL_STREAM, SEL_DGRAM, SEL_ANY, SEL_DSCP = 1, 2, 3, 4, 5
SEL_PCP = 255
TSA_STRICT, TSA_CBS, TSA_ETS, TSA_VENDOR = 0, 1, 2, 255

FLAGS = nla.NLM_F_REQUEST | nla.NLM_F_ACK  # what dcb sets on every request
DCBMSG = struct.Struct("=BBH")  # dcb_family (AF_UNSPEC), cmd, pad
IEEE_PFC = struct.Struct("=BBBxH2x8Q8Q")  # 136 bytes; u64 arrays 8-aligned
IEEE_ETS = struct.Struct("=BBB56B")  # 59 bytes, no padding
DCB_APP = struct.Struct("=BBH")  # selector, priority, protocol
ETS_ARRAYS = ("tc_tx_bw", "tc_rx_bw", "tc_tsa", "prio_tc", "tc_reco_bw", "tc_reco_tsa", "reco_prio_tc")
NOT_SUPPORTED = (errno_mod.EOPNOTSUPP, errno_mod.ENODEV, errno_mod.EINVAL)


class DcbNotSupported(Exception):
    """The device has no DCB (dcbnl) operations."""

    def __init__(self, ifname, code, driver=None):
        self.ifname, self.errno = ifname, code
        self.driver = driver or driver_name(ifname)
        Exception.__init__(self, "%s: DCB is not supported by driver %s" % (ifname, self.driver))


def driver_name(ifname):
    """Basename of /sys/class/net/IFNAME/device/driver, or "unknown"."""
    try:
        return os.path.basename(os.readlink("/sys/class/net/%s/device/driver" % ifname))
    except (OSError, ValueError):
        return "unknown"


def _request(msg_type, cmd, ifname, *ieee):
    payload = DCBMSG.pack(0, cmd, 0) + nla.attr_str(DCB_ATTR_IFNAME, require_ifname(ifname))
    if ieee:
        payload += nla.nested(DCB_ATTR_IEEE, *ieee)
    return msg_type, FLAGS, payload


def _app_attr(selector):
    return DCB_ATTR_DCB_APP if selector == SEL_PCP else DCB_ATTR_IEEE_APP


def get_request(ifname):
    """DCB_CMD_IEEE_GET for one device."""
    return _request(RTM_GETDCB, DCB_CMD_IEEE_GET, ifname)


def pack_pfc(pfc):
    return IEEE_PFC.pack(pfc.get("pfc_cap", 0), pfc.get("pfc_en", 0), pfc.get("mbc", 0), pfc.get("delay", 0),
                         *(list(pfc.get("requests") or [0] * 8) + list(pfc.get("indications") or [0] * 8)))


def pack_ets(ets):
    arrays = []
    for key in ETS_ARRAYS:
        arrays.extend(ets.get(key) or [0] * 8)
    return IEEE_ETS.pack(ets.get("willing", 0), ets.get("ets_cap", 0), ets.get("cbs", 0), *arrays)


def set_pfc_request(ifname, pfc):
    """DCB_CMD_IEEE_SET of a whole struct ieee_pfc (missing fields are 0)."""
    return _request(RTM_SETDCB, DCB_CMD_IEEE_SET, ifname, nla.attr(DCB_ATTR_IEEE_PFC, pack_pfc(pfc)))


def set_ets_request(ifname, ets):
    """DCB_CMD_IEEE_SET of a whole struct ieee_ets (missing fields are 0)."""
    return _request(RTM_SETDCB, DCB_CMD_IEEE_SET, ifname, nla.attr(DCB_ATTR_IEEE_ETS, pack_ets(ets)))


def app_request(action, ifname, entries):
    """Add or delete APP entries [(selector, protocol, priority)]."""
    cmd = {"add": DCB_CMD_IEEE_SET, "delete": DCB_CMD_IEEE_DEL}[action]
    apps = [nla.attr(_app_attr(sel), DCB_APP.pack(sel, prio, proto)) for sel, proto, prio in entries]
    return _request(RTM_SETDCB, cmd, ifname, nla.nested(DCB_ATTR_IEEE_APP_TABLE, *apps))


def set_apptrust_request(ifname, selectors):
    """Trusted APP selectors, most trusted first (one u8 attribute each)."""
    items = [nla.attr(_app_attr(sel), struct.pack("=B", sel)) for sel in selectors]
    return _request(RTM_SETDCB, DCB_CMD_IEEE_SET, ifname, nla.nested(DCB_ATTR_DCB_APP_TRUST_TABLE, *items))


def parse_pfc(data):
    values = IEEE_PFC.unpack_from(data)
    return {"pfc_cap": values[0], "pfc_en": values[1], "mbc": values[2], "delay": values[3],
            "requests": list(values[4:12]), "indications": list(values[12:20])}


def parse_ets(data):
    values = IEEE_ETS.unpack_from(data)
    ets = {"willing": values[0], "ets_cap": values[1], "cbs": values[2]}
    for index, key in enumerate(ETS_ARRAYS):
        ets[key] = list(values[3 + 8 * index:11 + 8 * index])
    return ets


def parse_ieee(payload):
    """Decode a DCB_CMD_IEEE_GET reply (the payload after the nlmsghdr)."""
    result = {"pfc": None, "ets": None, "app": [], "apptrust": None}
    ieee = nla.attrs_dict(payload, DCBMSG.size).get(DCB_ATTR_IEEE, b"")
    for kind, data in nla.iter_attrs(ieee):
        if kind == DCB_ATTR_IEEE_PFC and len(data) >= IEEE_PFC.size:
            result["pfc"] = parse_pfc(data)
        elif kind == DCB_ATTR_IEEE_ETS and len(data) >= IEEE_ETS.size:
            result["ets"] = parse_ets(data)
        elif kind == DCB_ATTR_IEEE_APP_TABLE:
            for app_kind, app in nla.iter_attrs(data):
                if app_kind in (DCB_ATTR_IEEE_APP, DCB_ATTR_DCB_APP) and len(app) >= DCB_APP.size:
                    sel, prio, proto = DCB_APP.unpack_from(app)
                    result["app"].append((sel, proto, prio))
        elif kind == DCB_ATTR_DCB_APP_TRUST_TABLE:
            result["apptrust"] = [ord(sel[:1]) for _kind, sel in nla.iter_attrs(data) if sel]
    return result


def _transact(session, request, ifname):
    try:
        return session.transact(*request)
    except NetlinkError as err:
        # ENODEV also means "no such device": only a present device lacks DCB.
        if err.errno in NOT_SUPPORTED and not (err.errno == errno_mod.ENODEV and session.ifindex(ifname) is None):
            raise DcbNotSupported(ifname, err.errno)
        raise


def get_ieee(session, ifname):
    """Read a device's IEEE DCB configuration; DcbNotSupported without dcbnl ops."""
    for msg_type, body in _transact(session, get_request(ifname), ifname):
        if msg_type == RTM_GETDCB:
            return parse_ieee(body)
    return parse_ieee(b"")


def apply(session, request):
    """Send a SET/DEL request built above and check the driver's verdict.

    dcbnl acks IEEE_SET/IEEE_DEL even when the driver refuses them: the error
    (a negative errno in an s8) comes back only in the reply's DCB_ATTR_IEEE.
    """
    ifname = nla.as_str(nla.attrs_dict(request[2], DCBMSG.size)[DCB_ATTR_IFNAME])
    for msg_type, body in _transact(session, request, ifname):
        result = nla.attrs_dict(body, DCBMSG.size).get(DCB_ATTR_IEEE)
        if msg_type == RTM_SETDCB and result:
            code = -struct.unpack_from("=b", result)[0]
            if code:
                raise NetlinkError(code, "%s: the driver refused the DCB setting" % ifname)
