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

RDMA-CM's configfs directory needs configfs mounted and the rdma_cm module
loaded; ensure_configfs() prepares both at plan time, before anything is
applied, or raises a ModuleError for rdma_cm that says what is missing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.aifabric.emulation.plugins.module_utils import errors

CONFIGFS = "sys/kernel/config"
RDMA_CM = "rdma_cm"


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


def _mounted(mounts_file, mount_point):
    try:
        with open(mounts_file) as f:
            return any(len(fields) > 2 and fields[1] == mount_point and fields[2] == "configfs"
                       for fields in (line.split() for line in f))
    except (IOError, OSError):
        return False


def _has_filesystem(filesystems_file, name):
    """True/False from /proc/filesystems; None when it cannot be read."""
    try:
        with open(filesystems_file) as f:
            return any(line.split()[-1:] == [name] for line in f)
    except (IOError, OSError):
        return None


def run_command(argv):
    """(exit status, error text) of a command; a missing program is status 127."""
    import subprocess  # only when configfs needs preparing: never on the common path
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    except OSError as e:
        return 127, str(e)
    text = (done.stderr or done.stdout or b"").decode("utf-8", "replace").strip()
    return done.returncode, text


def _refuse_under_test_root(argv):
    return 1, "not run: the root is a test tree, not the host's"


def _why(status, text):
    return "exit status %d%s" % (status, ": " + text if text else "")


def ensure_configfs(root="/", dry_run=False, run=None):
    """Make RDMA-CM's configfs directory usable; call it at plan time, before anything is applied.

    Returns the commands it ran (or, with dry_run, would run): [] when
    <root>/sys/kernel/config/rdma_cm already exists, which is decided without
    forking. Otherwise it loads configfs (`modprobe configfs`) when the kernel
    does not list it, mounts it, and loads rdma_cm (`modprobe rdma_cm`), which
    creates the directory. Raises errors.ModuleError("rdma_cm", ...) naming
    what is missing when a step fails or the directory is still not there.

    Under a root other than "/" (a test tree) commands are not run unless a
    `run` is given: run(argv) -> (exit status, error text). The tree's own
    proc/mounts and proc/filesystems stand for the host's.
    """
    configfs = os.path.normpath(path(root, CONFIGFS))
    cm_dir = os.path.join(configfs, RDMA_CM)
    if os.path.isdir(cm_dir):
        return []
    if run is None:
        run = run_command if root == "/" else _refuse_under_test_root
    proc = path(root, "proc")
    steps = []

    def step(argv, failure):
        steps.append(" ".join(argv))
        if dry_run:
            return
        status, text = run(argv)
        if status != 0:
            raise errors.ModuleError("rdma_cm", failure % _why(status, text))

    if not _mounted(os.path.join(proc, "mounts"), configfs):
        if _has_filesystem(os.path.join(proc, "filesystems"), "configfs") is not True:
            step(["modprobe", "configfs"],
                 "RDMA-CM defaults are written through configfs, which this kernel does not have: `modprobe "
                 "configfs` failed (%s); build or install the configfs module (CONFIG_CONFIGFS_FS) or leave "
                 "rdma_cm unset")
        step(["mount", "-t", "configfs", "none", configfs],
             "RDMA-CM defaults are written through configfs, which is not mounted at " + configfs + " and could "
             "not be mounted (%s); mount it (mount -t configfs none " + configfs + "), or leave rdma_cm unset "
             "(a container needs the host to mount it)")
    if dry_run or not os.path.isdir(cm_dir):
        step(["modprobe", "rdma_cm"],
             "configfs has no " + RDMA_CM + " directory (the rdma_cm kernel module is not loaded) and `modprobe "
             "rdma_cm` failed (%s); install the kernel's RDMA modules or leave rdma_cm unset")
        if not dry_run and not os.path.isdir(cm_dir):
            raise errors.ModuleError("rdma_cm", "rdma_cm is loaded but %s does not exist: this kernel's RDMA-CM has "
                                     "no configfs support (CONFIG_INFINIBAND_ADDR_TRANS_CONFIGFS); leave rdma_cm "
                                     "unset" % cm_dir)
    return steps


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
        status, text = run_command(["mount", "-t", "configfs", "none", op["path"]])
        if status != 0:  # an OSError, so the run's changes are rolled back like any other failed op
            raise OSError("configfs could not be mounted at %s (%s)" % (op["path"], _why(status, text)))
