"""DCB codec vs iproute2's dcb, byte for byte.

Requests are compared as whole netlink messages (length, type, flags, payload)
with only nlmsg_seq and nlmsg_pid left out. What reaches the kernel is read
from an nlmon capture. veth has no DCB ops, so the kernel refuses every DCB
request with EOPNOTSUPP, and dcb's read-modify-write commands (pfc set, ets
set) stop after their failing GET: their SETs are recorded by an LD_PRELOAD
shim (dcbshim/shim.c) that answers dcb's GET with zeroed settings instead.
"""
import errno
import os
import struct
import subprocess
import time

import pytest

from netlab import sh
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import dcb, nla
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession

SHIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dcbshim", "shim.c")
LINKTYPE_NETLINK = 253
ARPHRD_NETLINK = 824
GET, SET, DEL = (78, 21), (79, 20), (79, 27)  # (nlmsg_type, dcbmsg.cmd)
PFC3 = {"pfc_en": 1 << 3}
PFC_MORE = {"pfc_en": 0x81, "delay": 4096, "mbc": 1}
ETS = {"tc_tsa": [dcb.TSA_ETS, dcb.TSA_ETS] + [dcb.TSA_STRICT] * 6, "tc_tx_bw": [60, 40] + [0] * 6}
ETS_ARGS = ("tc-tsa 0:ets 1:ets 2:strict 3:strict 4:strict 5:strict 6:strict 7:strict "
            + "tc-bw 0:60 1:40 2:0 3:0 4:0 5:0 6:0 7:0")
APP = [(dcb.SEL_DSCP, 26, 3)]
APPS = [(dcb.SEL_DSCP, 26, 3), (dcb.SEL_DSCP, 46, 5), (dcb.SEL_ETHERTYPE, 0x8906, 3)]


def split(buf):
    """[(len, type, flags, payload)] of the netlink messages in buf; seq and pid dropped."""
    out, offset = [], 0
    while offset + 16 <= len(buf):
        size, msg_type, flags, _seq, _pid = nla.NLMSG_HDR.unpack_from(buf, offset)
        out.append((size, msg_type, flags, buf[offset + 16:offset + size]))
        offset += nla.align4(size)
    return out


def wire(request):
    """A codec request as NetlinkSession puts it on the wire, in split() form."""
    return split(nla.message(*request[:2], 0, request[2]))[0]


def kind(msg):
    return msg[1], msg[3][1]


def pcap_messages(path):
    """Netlink messages in an nlmon pcap: LINKTYPE_NETLINK, a 16-byte cooked header per packet."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic, linktype = struct.unpack_from("<I", data)[0], struct.unpack_from("<I", data, 20)[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D) and linktype == LINKTYPE_NETLINK
    out, offset = [], 24
    while offset + 16 <= len(data):
        incl = struct.unpack_from("<I", data, offset + 8)[0]
        packet = data[offset + 16:offset + 16 + incl]
        offset += 16 + incl
        if len(packet) < incl:
            break
        # cooked header (big-endian): pkttype, ARPHRD_NETLINK, addr len, addr[8], netlink protocol
        _pkttype, hatype, _alen, _addr, protocol = struct.unpack_from(">HHH8sH", packet)
        assert (hatype, protocol) == (ARPHRD_NETLINK, 0)  # 0: NETLINK_ROUTE
        out.extend(split(packet[16:]))
    return out


def dcb_requests(messages):
    return [m for m in messages if m[1] in (dcb.RTM_GETDCB, dcb.RTM_SETDCB) and m[2] & nla.NLM_F_REQUEST]


def capture(ns, path, count, action):
    """Run action() while tcpdump records netlink in ns; return the first count DCB requests."""
    sh("ip -n %s link add nlmon0 type nlmon && ip -n %s link set nlmon0 up" % (ns, ns))
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", "nlmon0", "-U", "-Z", "root", "-w", path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # tcpdump is ready once it says it is listening
            if "listening on" in line:
                assert "link-type NETLINK" in line
                break
        action()
        deadline = time.time() + 60
        while len(dcb_requests(pcap_messages(path))) < count and time.time() < deadline:
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    got = dcb_requests(pcap_messages(path))
    assert len(got) == count
    return got


def run_dcb(ns, args, env=""):
    return sh("ip netns exec %s %s dcb %s" % (ns, env, args), check=False)


def test_get_and_app_parity_on_the_wire(pair, tmp_path):
    """Real kernel: dcb and the codec send identical GET / APP SET / APP DEL; dcb never SETs pfc or ets."""
    dcb_args = ["pfc show dev va", "pfc set dev va prio-pfc 3:on", "ets set dev va " + ETS_ARGS,
                "app add dev va dscp-prio 26:3", "app del dev va dscp-prio 26:3",
                "app add dev va dscp-prio 26:3 46:5 ethtype-prio 0x8906:3"]
    ours = [dcb.app_request("add", "va", APP), dcb.app_request("delete", "va", APP),
            dcb.app_request("add", "va", APPS), dcb.set_pfc_request("va", PFC3), dcb.set_ets_request("va", ETS)]
    results, errors = [], []

    def action():
        results.extend(run_dcb(pair.a, args) for args in dcb_args)
        with NetlinkSession(pair.a) as session:
            with pytest.raises(dcb.DcbNotSupported) as info:
                dcb.get_ieee(session, "va")
            errors.append(info.value)
            for request in ours:
                with pytest.raises(dcb.DcbNotSupported) as refused:
                    dcb.apply(session, request)
                errors.append(refused.value)

    got = capture(pair.a, str(tmp_path / "nl.pcap"), 12, action)
    for res in results:
        assert res.returncode != 0 and "Operation not supported" in res.stderr
    assert str(errors[0]) == "va: DCB is not supported by driver unknown"
    assert [err.errno for err in errors] == [errno.EOPNOTSUPP] * 6
    theirs, mine = got[:6], got[6:]
    # dcb's pfc/ets set read first, got EOPNOTSUPP and sent no SET at all
    assert [kind(m) for m in theirs] == [GET, GET, GET, SET, DEL, SET]
    assert [kind(m) for m in mine] == [GET, SET, DEL, SET, SET, SET]
    assert theirs[0] == theirs[1] == theirs[2] == mine[0] == wire(dcb.get_request("va"))
    assert theirs[3] == mine[1] == wire(dcb.app_request("add", "va", APP))
    assert theirs[4] == mine[2] == wire(dcb.app_request("delete", "va", APP))
    assert theirs[5] == mine[3] == wire(dcb.app_request("add", "va", APPS))
    assert mine[4:] == [wire(ours[3]), wire(ours[4])]
    # dcbmsg IEEE_SET, IFNAME "va", IEEE nest, APP_TABLE nest, IEEE_APP {selector DSCP, prio 3, protocol 26}
    assert theirs[3][3].hex() == "00140000" + "0700010076610000" + "10000d80" + "0c000380" + "08000100" + "05031a00"


def test_set_parity_through_shim(pair, tmp_path):
    """dcb (GETs answered by the shim) and the codec (on the wire) send identical pfc / ets / app SETs."""
    lib, log = str(tmp_path / "shim.so"), str(tmp_path / "dcb.log")
    sh("cc -shared -fPIC -O2 -o %s %s -ldl" % (lib, SHIM))
    env = "env LD_PRELOAD=%s DCBSHIM_LOG=%s" % (lib, log)
    cases = [("pfc set dev va prio-pfc 3:on", dcb.set_pfc_request("va", PFC3)),
             ("pfc set dev va prio-pfc 0:on 7:on delay 4096 macsec-bypass on", dcb.set_pfc_request("va", PFC_MORE)),
             ("ets set dev va " + ETS_ARGS, dcb.set_ets_request("va", ETS)),
             ("app add dev va dscp-prio 26:3", dcb.app_request("add", "va", APP)),
             ("app del dev va dscp-prio 26:3 46:5 ethtype-prio 0x8906:3", dcb.app_request("delete", "va", APPS))]
    for args, _request in cases:
        res = run_dcb(pair.a, args, env)
        assert res.returncode == 0, res.stderr
    shown = run_dcb(pair.a, "pfc show dev va", env)
    assert shown.returncode == 0 and "prio-pfc 0:off 1:off 2:off 3:off" in shown.stdout
    with open(log, "rb") as f:
        theirs = split(f.read())
    assert [kind(m) for m in theirs] == [GET, SET, GET, SET, GET, SET, SET, DEL, GET]
    theirs_sets = [m for m in theirs if kind(m) != GET]
    assert all(m == wire(dcb.get_request("va")) for m in theirs if kind(m) == GET)

    def action():
        with NetlinkSession(pair.a) as session:
            for _args, request in cases:
                with pytest.raises(dcb.DcbNotSupported) as refused:
                    dcb.apply(session, request)
                assert refused.value.errno == errno.EOPNOTSUPP

    mine = capture(pair.a, str(tmp_path / "nl.pcap"), len(cases), action)
    assert mine == theirs_sets
    assert [m[0] for m in mine] == [172, 172, 96, 44, 60]  # nlmsghdr 16 + dcbmsg 4 + ifname 8 + DCB_ATTR_IEEE
    assert mine[0][3][-136:-128].hex() == "0008000000000000"  # pfc_cap, pfc_en 0x08, mbc, pad, delay, pad
    assert mine[1][3][-136:-128].hex() == "0081010000100000"  # pfc_en 0x81, mbc 1, delay 4096
