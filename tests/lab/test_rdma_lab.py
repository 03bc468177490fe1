"""Soft-RoCE (rdma_rxe) on the lab kernel: our NETLINK_RDMA codec against iproute2's `rdma`
(requests compared byte for byte), the RDMA sysfs tree, and RDMA-CM defaults in configfs.

rdma_rxe works only in the initial network namespace, so the veth pair lives there. The requests
are captured with strace, not nlmon: the kernel's netlink tap (netlink_filter_tap) passes only a
whitelist of families (route, usersock, sock_diag, nflog, xfrm, fib_lookup, netfilter, generic),
so an nlmon device never sees NETLINK_RDMA.
"""
import json
import os
import shlex
import struct
import sys
import time

import pytest

from netlab import COLLECTIONS, sh
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, rdma
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import sysfs

V0, V1, IP0, IP1 = "rxv0", "rxv1", "10.88.0.1", "10.88.0.2"
RXE = "afrxe0"
NEWLINK, DELLINK = 0x1403, 0x1404  # RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, 3 / 4)
CM_DIR = "/sys/kernel/config/rdma_cm"
CODEC_ADD = ("from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rdma\n"
             "with rdma.open_session() as s:\n    s.request(*rdma.new_link_request(%r, 'rxe', %r))" % (RXE, V0))


def rdma_json(*args):
    return json.loads(sh("rdma -j %s" % " ".join(args)).stdout or "[]")


def rdma_dev(name):
    return next((d for d in rdma_json("dev", "show") if d["ifname"] == name), None)


def sent_messages(cmd, log, types=(NEWLINK, DELLINK)):
    """The netlink messages of these types that cmd sends, with seq and pid zeroed.

    strace -e write=all hex-dumps every sendto: " | 00000  30 00 00 00 03 14 05 00  07 ...  ascii |".
    """
    sh("strace -qq -o %s -e trace=sendto,sendmsg -e write=all %s" % (log, cmd))
    dumps = []
    with open(log) as f:
        for line in f:
            if line.startswith(" | "):
                if line[3:8] == "00000":
                    dumps.append(bytearray())
                dumps[-1] += bytes.fromhex(line[10:58])
    out = []
    for buf in dumps:
        pos = 0
        while pos + nla.NLMSG_HDR.size <= len(buf):
            size, msg_type = struct.unpack_from("=IH", buf, pos)
            if msg_type in types:
                out.append(bytes(buf[pos:pos + 8]) + bytes(8) + bytes(buf[pos + 16:pos + size]))
            pos += nla.align4(max(size, nla.NLMSG_HDR.size))
    return out


def framed(request):
    """What NetlinkSession.request() sends for request, with seq and pid zeroed."""
    msg_type, flags, payload = request
    return nla.message(msg_type, flags | nla.NLM_F_REQUEST | nla.NLM_F_ACK, 0, payload)


@pytest.fixture
def veths():
    try:
        sh("ip link add %s type veth peer name %s" % (V0, V1))
        for dev, addr in ((V0, IP0), (V1, IP1)):
            sh("ip addr add %s/24 dev %s && ip link set %s up" % (addr, dev, dev))
        sh("modprobe rdma_rxe")
        yield
    finally:
        sh("rmdir %s/%s" % (CM_DIR, RXE), check=False)
        sh("rdma link delete %s" % RXE, check=False)
        sh("ip link del %s" % V0, check=False)


def wait_for(probe, timeout=20):
    deadline = time.time() + timeout
    while True:
        value = probe()
        if value or time.time() > deadline:
            return value
        time.sleep(0.5)


def test_rxe_link_codec_matches_rdma_tool(veths, tmp_path):
    tool_new = sent_messages("rdma link add %s type rxe netdev %s" % (RXE, V0), tmp_path / "tool-add")
    tool_index = rdma_dev(RXE)["ifindex"]
    tool_del = sent_messages("rdma link delete %s" % RXE, tmp_path / "tool-del")
    assert rdma_dev(RXE) is None
    ours_new = sent_messages("env PYTHONPATH=%s %s -c %s" % (COLLECTIONS, sys.executable, shlex.quote(CODEC_ADD)),
                             tmp_path / "codec-add")
    # byte for byte (seq and pid zeroed): header len/type/flags = 48, 0x1403, REQUEST|ACK, then the attributes
    assert tool_new == ours_new == [framed(rdma.new_link_request(RXE, "rxe", V0))]
    assert tool_new[0][:8] == bytes.fromhex("3000000003140500")
    assert tool_del == [framed(rdma.del_link_request(tool_index))]

    # iproute2 as the oracle: the codec-made link exists on rxv0
    dev = rdma_dev(RXE)
    assert dev["node_type"] == "ca"
    link = wait_for(lambda: [k for k in rdma_json("link", "show") if k["ifname"] == RXE and k["state"] == "ACTIVE"])
    assert [(k["port"], k["netdev"], k["physical_state"]) for k in link] == [(1, V0, "LINK_UP")]

    with rdma.open_session() as session:
        devices, ports = rdma.dump_devices(session), rdma.dump_ports(session)
    assert [(d["index"], d["name"], d["node_type"], d["fw_version"]) for d in devices] == \
        [(d["ifindex"], d["ifname"], d["node_type"], d.get("fw")) for d in rdma_json("dev", "show")]
    assert [(p["dev_index"], p["dev_name"], p["port"], p["state"], p["phys_state"], p["netdev"], p["netdev_index"])
            for p in ports] == \
        [(k["ifindex"], k["ifname"], k["port"], k["state"], k["physical_state"], k.get("netdev"), k.get("netdev_index"))
         for k in rdma_json("link", "show")]
    ours = [d for d in devices if d["name"] == RXE][0]
    assert ours["index"] == dev["ifindex"] and ours["protocol"] == "roce" and ours["ports"] == 1
    netdev_index = json.loads(sh("ip -j link show %s" % V0).stdout)[0]["ifindex"]
    assert [p["netdev_index"] for p in ports if p["dev_name"] == RXE] == [netdev_index]

    # sysfs: a RoCE v2 GID of rxv0's IPv4 address, counters, the netdev
    # (rxe is RoCE v2 only on these kernels: no "IB/RoCE v1" entries)
    gids = wait_for(lambda: [g for g in sysfs.gids("/", RXE) if g["address"] == "::ffff:" + IP0])
    assert [(g["gid"], g["type"], g["netdev"]) for g in gids] == \
        [("0000:0000:0000:0000:0000:ffff:0a58:0001", "RoCE v2", V0)]
    assert {g["type"] for g in sysfs.gids("/", RXE)} == {"RoCE v2"}
    assert RXE in sysfs.devices("/") and sysfs.ports("/", RXE) == [1]
    assert sysfs.netdev_of("/", RXE) == V0
    counters = sysfs.hw_counters("/", RXE)
    assert {"sent_pkts", "rcvd_pkts", "out_of_seq_request"} <= set(counters) and "lifespan" not in counters
    assert all(isinstance(v, int) for v in counters.values())

    # RDMA-CM defaults through configfs
    if not os.path.isdir("/sys/kernel/config/rdma_cm"):
        sh("modprobe rdma_cm")
        if not os.path.ismount("/sys/kernel/config"):
            sh("mount -t configfs none /sys/kernel/config")
    os.mkdir(os.path.join(CM_DIR, RXE))  # the fixture removes it if an assert fails
    port = os.path.join(CM_DIR, RXE, "ports", "1")
    assert sorted(os.listdir(port)) == ["default_roce_mode", "default_roce_tos"]
    for name, value in (("default_roce_tos", "106"), ("default_roce_mode", "RoCE v2")):
        with open(os.path.join(port, name), "w") as f:
            f.write(value)
    assert sh("cat %s/default_roce_tos %s/default_roce_mode" % (port, port)).stdout.splitlines() == ["106", "RoCE v2"]
    os.rmdir(os.path.join(CM_DIR, RXE))

    with rdma.open_session() as session:
        session.request(*rdma.del_link_request(ours["index"]))
        assert RXE not in [d["name"] for d in rdma.dump_devices(session)]
    assert rdma_dev(RXE) is None and RXE not in sysfs.devices("/")
