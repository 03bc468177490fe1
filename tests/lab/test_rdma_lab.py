"""Soft-RoCE (rdma_rxe) on the lab kernel: our NETLINK_RDMA codec against iproute2's `rdma`,
an nlmon capture of both, the RDMA sysfs tree, and RDMA-CM defaults in configfs.

rdma_rxe works only in the initial network namespace, so the veth pair lives there.
"""
import json
import os
import signal
import struct
import subprocess
import time

import pytest

from netlab import sh
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, rdma
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import sysfs

V0, V1, IP0, IP1 = "rxv0", "rxv1", "10.88.0.1", "10.88.0.2"
RXE, NLMON = "afrxe0", "afnlmon0"
LINKTYPE_NETLINK = 253
CM_DIR = "/sys/kernel/config/rdma_cm"


def rdma_json(*args):
    return json.loads(sh("rdma -j %s" % " ".join(args)).stdout or "[]")


def rdma_dev(name):
    return next((d for d in rdma_json("dev", "show") if d["ifname"] == name), None)


def netlink_requests(path, family):
    """[(type, flags, payload)] of the requests to the kernel in an nlmon pcap, seq and pid dropped."""
    with open(path, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    assert struct.unpack_from(endian + "I", data, 20)[0] == LINKTYPE_NETLINK
    out, offset = [], 24
    while offset + 16 <= len(data):
        incl = struct.unpack_from(endian + "I", data, offset + 8)[0]
        packet, offset = data[offset + 16:offset + 16 + incl], offset + 16 + incl
        # 16-byte cooked header: pkttype, ARPHRD_NETLINK, addr len, addr[8], netlink family (big endian)
        if struct.unpack_from("!HH", packet, 0)[1] != 824 or struct.unpack_from("!H", packet, 14)[0] != family:
            continue
        pos = 16
        while pos + 16 <= len(packet):
            size, msg_type, flags, _seq, _pid = nla.NLMSG_HDR.unpack_from(packet, pos)
            if flags & nla.NLM_F_REQUEST:
                out.append((msg_type, flags, packet[pos + 16:pos + size]))
            pos += nla.align4(max(size, 16))
    return out


def capture(path, action):
    """Run action() while tcpdump records every netlink message on an nlmon device."""
    sh("ip link add %s type nlmon && ip link set %s up" % (NLMON, NLMON))
    proc = subprocess.Popen(["tcpdump", "-U", "-i", NLMON, "-w", path], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert "listening on" in proc.stderr.readline()
        action()
        time.sleep(1)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


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
        sh("ip link del %s" % NLMON, check=False)
        sh("ip link del %s" % V0, check=False)


def wait_for(probe, timeout=20):
    deadline = time.time() + timeout
    while True:
        value = probe()
        if value or time.time() > deadline:
            return value
        time.sleep(0.5)


def test_rxe_link_codec_matches_rdma_tool(veths, tmp_path):
    pcap = str(tmp_path / "rdma.pcap")
    state = {}

    def add_with_tool_then_codec():
        sh("rdma link add %s type rxe netdev %s" % (RXE, V0))
        state["tool_index"] = rdma_dev(RXE)["ifindex"]
        sh("rdma link delete %s" % RXE)
        assert rdma_dev(RXE) is None
        with rdma.open_session() as session:
            session.request(*rdma.new_link_request(RXE, "rxe", V0))

    capture(pcap, add_with_tool_then_codec)
    requests = netlink_requests(pcap, rdma.NETLINK_RDMA)
    want_new = rdma.new_link_request(RXE, "rxe", V0)
    newlinks = [r for r in requests if r[0] == want_new[0]]
    # the tool's request and ours: same type, flags (REQUEST|ACK) and attribute bytes
    assert newlinks == [(0x1403, 0x5, want_new[2])] * 2
    dellinks = [r for r in requests if r[0] == 0x1404]
    assert dellinks == [(0x1404, 0x5, rdma.del_link_request(state["tool_index"])[2])]

    # iproute2 as the oracle: the codec-made link exists on rxv0
    dev = rdma_dev(RXE)
    assert dev["node_type"] == "ca"
    link = wait_for(lambda: [l for l in rdma_json("link", "show") if l["ifname"] == RXE and l.get("state") == "ACTIVE"])
    assert [(l["port"], l["netdev"], l["physical_state"]) for l in link] == [(1, V0, "LINK_UP")]

    with rdma.open_session() as session:
        devices, ports = rdma.dump_devices(session), rdma.dump_ports(session)
    assert [(d["index"], d["name"], d["node_type"], d["fw_version"]) for d in devices] == \
        [(d["ifindex"], d["ifname"], d["node_type"], d.get("fw")) for d in rdma_json("dev", "show")]
    assert [(p["dev_index"], p["dev_name"], p["port"], p["state"], p["phys_state"], p["netdev"], p["netdev_index"])
            for p in ports] == \
        [(l["ifindex"], l["ifname"], l["port"], l["state"], l["physical_state"], l.get("netdev"), l.get("netdev_index"))
         for l in rdma_json("link", "show")]
    ours = [d for d in devices if d["name"] == RXE][0]
    assert ours["index"] == dev["ifindex"] and ours["protocol"] == "roce" and ours["ports"] == 1
    netdev_index = json.loads(sh("ip -j link show %s" % V0).stdout)[0]["ifindex"]
    assert [p["netdev_index"] for p in ports if p["dev_name"] == RXE] == [netdev_index]

    # sysfs: a RoCE v2 GID of rxv0's IPv4 address, counters, the netdev
    gids = wait_for(lambda: [g for g in sysfs.gids("/", RXE) if g["address"] == "::ffff:" + IP0])
    assert sorted((g["type"], g["netdev"]) for g in gids) == [("RoCE v1", V0), ("RoCE v2", V0)]
    assert [g["gid"] for g in gids][0] == "0000:0000:0000:0000:0000:ffff:0a58:0001"
    assert RXE in sysfs.devices("/") and sysfs.ports("/", RXE) == [1]
    assert sysfs.netdev_of("/", RXE) == V0
    counters = sysfs.hw_counters("/", RXE)
    assert "sent_pkts" in counters and all(isinstance(v, int) for v in counters.values())

    # RDMA-CM defaults through configfs
    if not os.path.isdir("/sys/kernel/config/rdma_cm"):
        sh("modprobe rdma_cm")
        if not os.path.ismount("/sys/kernel/config"):
            sh("mount -t configfs none /sys/kernel/config")
    os.mkdir(os.path.join(CM_DIR, RXE))
    try:
        port = os.path.join(CM_DIR, RXE, "ports", "1")
        assert sorted(os.listdir(port)) == ["default_roce_mode", "default_roce_tos"]
        with open(os.path.join(port, "default_roce_tos"), "w") as f:
            f.write("106")
        with open(os.path.join(port, "default_roce_mode"), "w") as f:
            f.write("RoCE v2")
        assert sh("cat %s/default_roce_tos %s/default_roce_mode" % (port, port)).stdout.splitlines() == \
            ["106", "RoCE v2"]
    finally:
        os.rmdir(os.path.join(CM_DIR, RXE))

    with rdma.open_session() as session:
        session.request(*rdma.del_link_request(ours["index"]))
        assert RXE not in [d["name"] for d in rdma.dump_devices(session)]
    assert rdma_dev(RXE) is None and RXE not in sysfs.devices("/")
