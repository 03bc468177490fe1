# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""File knobs under a configurable root: MLNX_OFED ECN/DCQCN and trust sysfs, RDMA-CM configfs.

  sys/class/net/<dev>/ecn/roce_np/enable/<prio>      1/0 (notification point)
  sys/class/net/<dev>/ecn/roce_rp/enable/<prio>      1/0 (reaction point)
  sys/class/net/<dev>/ecn/roce_np/cnp_802p_prio      CNP priority
  sys/class/net/<dev>/ecn/roce_np/cnp_dscp           CNP DSCP
  sys/class/net/<dev>/qos/trust                      pcp | dscp
  sys/kernel/config/rdma_cm/<rdma dev>/ports/<port>/default_roce_tos, default_roce_mode
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

CONFIGFS = "sys/kernel/config"


def path(root, *parts):
    return os.path.join(root, *parts)


def read(file_path):
    try:
        with open(file_path) as f:
            return f.read().strip()
    except (IOError, OSError):
        return None


def ecn_dir(root, netdev, side):
    return path(root, "sys/class/net", netdev, "ecn", "roce_" + side)


def read_ecn(root, netdev):
    out = {}
    for side in ("np", "rp"):
        base = os.path.join(ecn_dir(root, netdev, side), "enable")
        if not os.path.isdir(base):
            return None
        out[side] = [p for p in range(8) if read(os.path.join(base, str(p))) == "1"]
    return out


def read_cnp(root, netdev):
    base = ecn_dir(root, netdev, "np")
    prio, dscp = read(os.path.join(base, "cnp_802p_prio")), read(os.path.join(base, "cnp_dscp"))
    if prio is None and dscp is None:
        return None
    return {"priority": int(prio) if prio is not None else None, "dscp": int(dscp) if dscp is not None else None}


def trust_file(root, netdev):
    return path(root, "sys/class/net", netdev, "qos", "trust")


def read_trust(root, netdev):
    text = read(trust_file(root, netdev))
    if text is None:
        return None
    return "dscp" if "dscp" in text.lower() else "pcp"


def rdma_cm_dir(root, rdma_device):
    return path(root, CONFIGFS, "rdma_cm", rdma_device)


def read_rdma_cm(root, rdma_device, port=1):
    """None when the device has no configfs directory (kernel defaults apply)."""
    base = os.path.join(rdma_cm_dir(root, rdma_device), "ports", str(port))
    if not os.path.isdir(base):
        return None
    tos = read(os.path.join(base, "default_roce_tos"))
    return {"tos": int(tos) if tos not in (None, "") else None, "mode": read(os.path.join(base, "default_roce_mode"))}


def configfs_ready(root):
    """True when configfs is mounted (always true for a fake root)."""
    if root != "/":
        return True
    try:
        with open("/proc/mounts") as f:
            return any(line.split()[1] == "/" + CONFIGFS for line in f if len(line.split()) > 2)
    except (IOError, OSError):
        return False


def apply(op):
    """Run one file op: write / mkdir / rmdir / mount."""
    if op["op"] == "write":
        with open(op["path"], "w") as f:
            f.write(str(op["value"]) + "\n")
    elif op["op"] == "mkdir":
        os.makedirs(op["path"], exist_ok=True)
    elif op["op"] == "rmdir":
        os.rmdir(op["path"])
    elif op["op"] == "mount":
        import subprocess  # once per host, never per item
        subprocess.run(["mount", "-t", "configfs", "none", op["path"]], check=True, capture_output=True)
