# -*- coding: utf-8 -*-
"""NETLINK_RDMA nldev codec and the RDMA sysfs readers (fake tree)."""
import pathlib
import struct

import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, rdma
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import sysfs

# rdma/rdma_netlink.h: type = RDMA_NL_GET_TYPE(RDMA_NL_NLDEV=5, op) = (5 << 10) + op, so
# NEWLINK (3) = 0x1403 and DELLINK (4) = 0x1404, sent with NLM_F_REQUEST|NLM_F_ACK = 0x0005.
# Attributes: DEV_INDEX=1 (u32), DEV_NAME=2, NDEV_NAME=51 (0x33), LINK_TYPE=65 (0x41), each
# {u16 len (header + payload), u16 type} + NUL-terminated payload, zero-padded to 4 bytes.
NEWLINK = bytes.fromhex("".join([
    "30000000", "0314", "0500", "07000000", "00000000",  # nlmsghdr: len 48, type 0x1403, flags, seq 7, pid 0
    "0900", "0200", "7278653000", "000000",              # DEV_NAME "rxe0\0" (len 9) + 3 pad
    "0800", "4100", "72786500",                          # LINK_TYPE "rxe\0" (len 8)
    "0900", "3300", "7278763000", "000000"]))            # NDEV_NAME "rxv0\0" (len 9) + 3 pad
DELLINK = bytes.fromhex("".join([
    "18000000", "0414", "0500", "07000000", "00000000",  # nlmsghdr: len 24, type 0x1404
    "0800", "0100", "03000000"]))                        # DEV_INDEX u32 3


def wire(request, seq=7):
    msg_type, flags, payload = request
    return nla.message(msg_type, flags | nla.NLM_F_REQUEST | nla.NLM_F_ACK, seq, payload)


def test_link_requests_byte_layout():
    assert wire(rdma.new_link_request("rxe0", "rxe", "rxv0")) == NEWLINK
    assert wire(rdma.del_link_request(3)) == DELLINK
    assert rdma.new_link_request("siw0", "siw", "eth0")[0] == 0x1403
    with pytest.raises(ValueError):
        rdma.new_link_request("x0", "mlx5", "eth0")


def u8(kind, value):
    return nla.attr(kind, struct.pack("=B", value))


def device_reply(index, name, ports=1, fw=None):
    body = nla.attr_u32(1, index) + nla.attr_str(2, name) + nla.attr_u32(3, ports)
    body += nla.attr_u64(4, 0x1234) + nla.attr_u64(6, 0xAABBCCDDEEFF0011)  # CAP_FLAGS, NODE_GUID: ignored
    if fw:
        body += nla.attr_str(5, fw)
    return body + u8(14, 1) + nla.attr_str(67, "roce") + u8(84, 0)  # NODE_TYPE ca, DEV_PROTOCOL, DEV_DIM


def port_reply(dev_index, dev_name, port, state, phys, netdev=None, netdev_index=None):
    body = nla.attr_u32(1, dev_index) + nla.attr_str(2, dev_name) + nla.attr_u32(3, port)
    body += u8(12, state) + u8(13, phys)
    if netdev:
        body += nla.attr_u32(50, netdev_index) + nla.attr_str(51, netdev)
    return body


class FakeSession:
    def __init__(self, replies):
        self.replies, self.calls = replies, []

    def dump(self, msg_type, payload):
        self.calls.append((msg_type, payload))
        if msg_type == 0x1401:
            return self.replies["dev"]
        return self.replies[nla.as_u32(nla.attrs_dict(payload)[1])]


def test_parse_dump_replies():
    session = FakeSession({
        "dev": [(0x1401, device_reply(3, "rxe0")), (0x1401, device_reply(4, "mlx5_0", fw="16.35.2000"))],
        3: [(0x1405, port_reply(3, "rxe0", 1, 4, 5, "rxv0", 17))],
        4: [(0x1405, port_reply(4, "mlx5_0", 1, 1, 3))]})
    assert rdma.dump_devices(session) == [
        {"index": 3, "name": "rxe0", "node_type": "ca", "fw_version": None, "ports": 1, "protocol": "roce"},
        {"index": 4, "name": "mlx5_0", "node_type": "ca", "fw_version": "16.35.2000", "ports": 1,
         "protocol": "roce"}]
    session.calls = []
    assert rdma.dump_ports(session) == [
        {"dev_index": 3, "dev_name": "rxe0", "port": 1, "state": "ACTIVE", "phys_state": "LINK_UP",
         "netdev": "rxv0", "netdev_index": 17},
        {"dev_index": 4, "dev_name": "mlx5_0", "port": 1, "state": "DOWN", "phys_state": "DISABLED",
         "netdev": None, "netdev_index": None}]
    # PORT_GET dumps are per device: the request carries DEV_INDEX
    assert session.calls == [(0x1401, b""), (0x1405, bytes.fromhex("0800010003000000")),
                             (0x1405, bytes.fromhex("0800010004000000"))]


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


@pytest.fixture
def tree(tmp_path):
    """A fake root with rxe0 (port 1 on rxv0) and an empty IB device ib0 (no ports dir)."""
    port = tmp_path / "sys/class/infiniband/rxe0/ports/1"
    write(port / "link_layer", "Ethernet")
    write(port / "gids/0", "fe80:0000:0000:0000:5c2a:94ff:fe12:3456")
    write(port / "gid_attrs/types/0", "IB/RoCE v1")
    write(port / "gid_attrs/ndevs/0", "rxv0")
    write(port / "gids/1", "0000:0000:0000:0000:0000:ffff:0a58:0001")
    write(port / "gid_attrs/types/1", "RoCE v2")
    write(port / "gid_attrs/ndevs/1", "rxv0")
    write(port / "gids/2", sysfs.ZERO_GID)  # empty slot: its types/ndevs entries would give EINVAL
    (port / "gid_attrs/types/2").mkdir()  # unreadable as a file, like EINVAL
    write(port / "gids/3", "fe80:0000:0000:0000:0000:0000:0000:0003")  # populated, but its type is unreadable
    for name, value in (("np_cnp_sent", 12), ("rp_cnp_handled", 11), ("out_of_sequence", 3),
                        ("local_ack_timeout_err", 0), ("lifespan", 10)):
        write(port / "hw_counters" / name, str(value))
    write(port / "counters/port_xmit_data", "4096")
    write(port / "counters/symbol_error", "N/A")
    write(tmp_path / "sys/class/infiniband/rxe0/parent", "rxv0")
    (tmp_path / "sys/class/infiniband/ib0").mkdir()
    return str(tmp_path)


def test_sysfs_readers(tree):
    assert sysfs.devices(tree) == ["ib0", "rxe0"]
    assert sysfs.ports(tree, "rxe0") == [1]
    assert sysfs.ports(tree, "ib0") == []
    assert sysfs.gids(tree, "rxe0") == [
        {"index": 0, "gid": "fe80:0000:0000:0000:5c2a:94ff:fe12:3456", "address": "fe80::5c2a:94ff:fe12:3456",
         "type": "RoCE v1", "netdev": "rxv0"},
        {"index": 1, "gid": "0000:0000:0000:0000:0000:ffff:0a58:0001", "address": "::ffff:10.88.0.1",
         "type": "RoCE v2", "netdev": "rxv0"}]
    assert sysfs.hw_counters(tree, "rxe0") == {"np_cnp_sent": 12, "rp_cnp_handled": 11, "out_of_sequence": 3,
                                               "local_ack_timeout_err": 0, "port_xmit_data": 4096}
    assert sysfs.netdev_of(tree, "rxe0") == "rxv0"
    assert sysfs.netdev_of(tree, "ib0") is None
    assert sysfs.gids(tree, "ib0") == [] and sysfs.hw_counters(tree, "ib0", 2) == {}
    assert sysfs.devices(tree + "/nonexistent") == []


def test_sysfs_ib_link_layer_and_parent(tree):
    port = pathlib.Path(tree, "sys/class/infiniband/rxe0/ports/1")
    write(port / "link_layer", "InfiniBand")
    for n in (0, 1):
        write(port / "gid_attrs/ndevs" / str(n), "")
    assert [(g["type"], g["netdev"]) for g in sysfs.gids(tree, "rxe0")] == [("IB", None), ("RoCE v2", None)]
    assert sysfs.netdev_of(tree, "rxe0") == "rxv0"  # from the device's parent file
