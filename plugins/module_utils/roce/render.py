# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dcb / rdma / ip / shell lines equivalent to planned RoCE operations."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils.engine import quote
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import model


def _pairs(values, fmt=str):
    return " ".join("%d:%s" % (i, fmt(v)) for i, v in enumerate(values))


def command(op):
    dev, kind = op.get("netdev", "DEV"), op["op"]
    if kind == "dcb":
        what, value = op["what"], op["value"]
        if what == "pfc":
            line = "dcb pfc set dev %s prio-pfc %s" % (
                dev, " ".join("%d:%s" % (p, "on" if value["pfc_en"] & (1 << p) else "off") for p in range(8)))
            return line + (" delay %d" % value["delay"] if value.get("delay") else "")
        if what == "ets":
            return "dcb ets set dev %s prio-tc %s tc-tsa %s tc-bw %s" % (
                dev, _pairs(value["prio_tc"]), _pairs(value["tc_tsa"], lambda t: model.TSA_NAMES.get(t, t)),
                _pairs(value["tc_tx_bw"]))
        if what == "apptrust":
            names = {5: "dscp", 255: "pcp"}
            return "dcb apptrust set dev %s order %s" % (dev, " ".join(names.get(s, str(s)) for s in value))
        pairs = " ".join("%d:%d" % (proto, prio) for _sel, proto, prio in value)
        return "dcb app %s dev %s dscp-prio %s" % ("add" if what == "app_add" else "del", dev, pairs)
    if kind == "write":
        return quote.join(["echo", str(op["value"]), ">", op["path"]])
    if kind == "mkdir":
        return quote.join(["mkdir", "-p", op["path"]])
    if kind == "rmdir":
        return quote.join(["rmdir", op["path"]])
    if kind == "mount":
        return quote.join(["mount", "-t", "configfs", "none", op["path"]])
    if kind == "mtu":
        return "ip link set dev %s mtu %d" % (dev, op["value"])
    if op["action"] == "add":
        return "rdma link add %s type %s netdev %s" % (op["name"], op["type"], dev)
    return "rdma link delete %s" % op["name"]


def commands(ops):
    return [command(op) for op in ops]
