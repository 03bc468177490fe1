# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers of the RDMA sysfs tree (/sys/class/infiniband) under a configurable root (pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os

CLASS_DIR = "sys/class/infiniband"
ZERO_GID = "0000:0000:0000:0000:0000:0000:0000:0000"
NOT_COUNTERS = ("lifespan",)  # hw_counters/lifespan is a setting (ms), not a counter


def _dev_dir(root, dev):
    return os.path.join(root or "/", CLASS_DIR, dev)


def _port_dir(root, dev, port):
    return os.path.join(_dev_dir(root, dev), "ports", str(port))


def _read(path):
    """Stripped file content, or None if missing or unreadable (EINVAL on an empty GID slot)."""
    try:
        with open(path) as f:
            return f.read().strip()
    except (IOError, OSError):
        return None


def _listdir(path):
    try:
        return os.listdir(path)
    except (IOError, OSError):
        return []


def _numeric(names):
    return sorted(int(n) for n in names if n.isdigit())


def devices(root="/"):
    return sorted(_listdir(os.path.join(root or "/", CLASS_DIR)))


def ports(root, dev):
    return _numeric(_listdir(os.path.join(_dev_dir(root, dev), "ports")))


def gid_address(gid):
    """Compressed form of a sysfs GID; IPv4-mapped ones as ::ffff:a.b.c.d."""
    addr = ipaddress.IPv6Address(gid)
    return "::ffff:%s" % addr.ipv4_mapped if addr.ipv4_mapped else str(addr)


def gids(root, dev, port=1):
    """[{index, gid (as sysfs prints it), address, type, netdev}] of the populated GID slots."""
    base = _port_dir(root, dev, port)
    ethernet = _read(os.path.join(base, "link_layer")) == "Ethernet"
    out = []
    for index in _numeric(_listdir(os.path.join(base, "gids"))):
        gid = _read(os.path.join(base, "gids", str(index)))
        kind = _read(os.path.join(base, "gid_attrs", "types", str(index)))
        if not gid or gid == ZERO_GID or kind is None:
            continue
        if kind != "RoCE v2":  # the kernel prints "IB/RoCE v1" for both
            kind = "RoCE v1" if ethernet else "IB"
        out.append({"index": index, "gid": gid, "address": gid_address(gid), "type": kind,
                    "netdev": _read(os.path.join(base, "gid_attrs", "ndevs", str(index))) or None})
    return out


def hw_counters(root, dev, port=1):
    """{name: int} from ports/<port>/counters and hw_counters (the latter wins on a clash)."""
    out = {}
    for sub in ("counters", "hw_counters"):
        path = os.path.join(_port_dir(root, dev, port), sub)
        for name in sorted(_listdir(path)):
            value = _read(os.path.join(path, name))
            if name not in NOT_COUNTERS and value is not None and value.isdigit():
                out[name] = int(value)
    return out


def netdev_of(root, dev, port=1):
    """The netdev under the port's GIDs (rxe, siw, RoCE NICs), else the device's parent, else None."""
    for entry in gids(root, dev, port):
        if entry["netdev"]:
            return entry["netdev"]
    return _read(os.path.join(_dev_dir(root, dev), "parent")) or None
