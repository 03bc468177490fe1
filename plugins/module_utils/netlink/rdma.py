# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NETLINK_RDMA nldev codec (rdma/rdma_netlink.h): devices, ports, rxe/siw links."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import struct

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession

NETLINK_RDMA = 20
RDMA_NL_NLDEV = 5
RDMA_NLDEV_CMD_GET, RDMA_NLDEV_CMD_NEWLINK, RDMA_NLDEV_CMD_DELLINK, RDMA_NLDEV_CMD_PORT_GET = 1, 3, 4, 5

RDMA_NLDEV_ATTR_DEV_INDEX = 1  # u32
RDMA_NLDEV_ATTR_DEV_NAME = 2  # string
RDMA_NLDEV_ATTR_PORT_INDEX = 3  # u32; in CMD_GET replies: the number of ports
RDMA_NLDEV_ATTR_FW_VERSION = 5  # string
RDMA_NLDEV_ATTR_PORT_STATE = 12  # u8
RDMA_NLDEV_ATTR_PORT_PHYS_STATE = 13  # u8
RDMA_NLDEV_ATTR_DEV_NODE_TYPE = 14  # u8
RDMA_NLDEV_ATTR_NDEV_INDEX = 50  # u32
RDMA_NLDEV_ATTR_NDEV_NAME = 51  # string
RDMA_NLDEV_ATTR_LINK_TYPE = 65  # string
RDMA_NLDEV_ATTR_DEV_PROTOCOL = 67  # string

# The names iproute2's rdma tool prints for the numeric values.
NODE_TYPES = ("unknown", "ca", "switch", "router", "rnic", "usnic", "usnic_udp", "unspecified")
PORT_STATES = ("NOP", "DOWN", "INIT", "ARMED", "ACTIVE", "ACTIVE_DEFER")
PHYS_STATES = ("NOP", "SLEEP", "POLLING", "DISABLED", "ARMED", "LINK_UP", "LINK_ERROR_RECOVER",
               "PHY_TEST", "UNKNOWN", "OPA_OFFLINE", "UNKNOWN", "OPA_TEST")
LINK_TYPES = ("rxe", "siw")


def nldev_type(op):
    """RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, op)."""
    return (RDMA_NL_NLDEV << 10) + op


def open_session():
    """A NETLINK_RDMA session; rdma links live in the initial network namespace."""
    return NetlinkSession(None, protocol=NETLINK_RDMA)


def _u8(payload):
    return struct.unpack_from("=B", payload)[0]


def _name(table, value, default="UNKNOWN"):
    return table[value] if value < len(table) else default


def parse_device(payload):
    """One CMD_GET reply: {index, name, node_type, fw_version, ports, protocol[, link_type]}."""
    attrs = nla.attrs_dict(payload)
    out = {"index": nla.as_u32(attrs[RDMA_NLDEV_ATTR_DEV_INDEX]),
           "name": nla.as_str(attrs[RDMA_NLDEV_ATTR_DEV_NAME]),
           "node_type": None, "fw_version": None, "ports": None, "protocol": None}
    if RDMA_NLDEV_ATTR_DEV_NODE_TYPE in attrs:
        out["node_type"] = _name(NODE_TYPES, _u8(attrs[RDMA_NLDEV_ATTR_DEV_NODE_TYPE]), "unknown")
    if RDMA_NLDEV_ATTR_FW_VERSION in attrs:
        out["fw_version"] = nla.as_str(attrs[RDMA_NLDEV_ATTR_FW_VERSION])
    if RDMA_NLDEV_ATTR_PORT_INDEX in attrs:
        out["ports"] = nla.as_u32(attrs[RDMA_NLDEV_ATTR_PORT_INDEX])
    if RDMA_NLDEV_ATTR_DEV_PROTOCOL in attrs:
        out["protocol"] = nla.as_str(attrs[RDMA_NLDEV_ATTR_DEV_PROTOCOL])
    if RDMA_NLDEV_ATTR_LINK_TYPE in attrs:
        out["link_type"] = nla.as_str(attrs[RDMA_NLDEV_ATTR_LINK_TYPE])
    return out


def parse_port(payload):
    """One CMD_PORT_GET reply: {dev_index, dev_name, port, state, phys_state, netdev, netdev_index}."""
    attrs = nla.attrs_dict(payload)
    out = {"dev_index": nla.as_u32(attrs[RDMA_NLDEV_ATTR_DEV_INDEX]),
           "dev_name": nla.as_str(attrs[RDMA_NLDEV_ATTR_DEV_NAME]),
           "port": nla.as_u32(attrs[RDMA_NLDEV_ATTR_PORT_INDEX]),
           "state": None, "phys_state": None, "netdev": None, "netdev_index": None}
    if RDMA_NLDEV_ATTR_PORT_STATE in attrs:
        out["state"] = _name(PORT_STATES, _u8(attrs[RDMA_NLDEV_ATTR_PORT_STATE]))
    if RDMA_NLDEV_ATTR_PORT_PHYS_STATE in attrs:
        out["phys_state"] = _name(PHYS_STATES, _u8(attrs[RDMA_NLDEV_ATTR_PORT_PHYS_STATE]))
    if RDMA_NLDEV_ATTR_NDEV_NAME in attrs and RDMA_NLDEV_ATTR_NDEV_INDEX in attrs:
        out["netdev"] = nla.as_str(attrs[RDMA_NLDEV_ATTR_NDEV_NAME])
        out["netdev_index"] = nla.as_u32(attrs[RDMA_NLDEV_ATTR_NDEV_INDEX])
    return out


def dump_devices(session):
    replies = session.dump(nldev_type(RDMA_NLDEV_CMD_GET), b"")
    return [parse_device(body) for rtype, body in replies if rtype == nldev_type(RDMA_NLDEV_CMD_GET)]


def dump_ports(session):
    """Every port of every device; the kernel dumps ports one device at a time."""
    out = []
    for dev in dump_devices(session):
        request = nla.attr_u32(RDMA_NLDEV_ATTR_DEV_INDEX, dev["index"])
        replies = session.dump(nldev_type(RDMA_NLDEV_CMD_PORT_GET), request)
        out.extend(parse_port(body) for rtype, body in replies if rtype == nldev_type(RDMA_NLDEV_CMD_PORT_GET))
    return out


def new_link_request(name, link_type, netdev):
    """`rdma link add NAME type LINK_TYPE netdev NETDEV`; the session adds REQUEST|ACK."""
    if link_type not in LINK_TYPES:
        raise ValueError("unknown rdma link type %r" % (link_type,))
    body = (nla.attr_str(RDMA_NLDEV_ATTR_DEV_NAME, name) + nla.attr_str(RDMA_NLDEV_ATTR_LINK_TYPE, link_type)
            + nla.attr_str(RDMA_NLDEV_ATTR_NDEV_NAME, netdev))
    return nldev_type(RDMA_NLDEV_CMD_NEWLINK), 0, body


def del_link_request(dev_index):
    """`rdma link delete NAME`, by device index."""
    return nldev_type(RDMA_NLDEV_CMD_DELLINK), 0, nla.attr_u32(RDMA_NLDEV_ATTR_DEV_INDEX, dev_index)
