# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `ip link` / `ip addr` command lines equivalent to planned VLAN operations."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils.engine import quote
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import model


def _onoff(value):
    return "on" if value else "off"


def _qos(name, mapping):
    return [name] + ["%d:%d" % kv for kv in sorted(mapping.items())] if mapping else []


def _flags(flags):
    return [part for k in model.FLAG_NAMES for part in (k, _onoff(flags[k]))]


def command(op, netns=None):
    ip = ["ip"] + (["-n", netns] if netns else [])
    if op["op"] == "delete":
        return ip + ["link", "del", op["name"]]
    if op["op"] == "addr":
        return ip + ["addr", "add" if op["action"] == "add" else "del", op["address"], "dev", op["name"]]
    if op["op"] == "create":
        e = op["entry"]
        line = ip + ["link", "add", "link", e["parent"], "name", e["name"]]
        if e["mtu"] is not None:
            line += ["mtu", str(e["mtu"])]
        line += ["type", "vlan", "protocol", e["protocol"], "id", str(e["id"])] + _flags(e["flags"])
        line += _qos("egress-qos-map", e["egress"]) + _qos("ingress-qos-map", e["ingress"])
        return line + ([] if e["up"] is False else ["&&"] + ip + ["link", "set", e["name"], "up"])
    line = ip + ["link", "set", op["name"]]
    if "mtu" in op:
        line += ["mtu", str(op["mtu"])]
    if "up" in op:
        line.append("up" if op["up"] else "down")
    if any(k in op for k in ("flags", "egress", "ingress")):
        line += ["type", "vlan"]
        if "flags" in op:
            line += _flags(op["flags"])
        line += _qos("egress-qos-map", op.get("egress")) + _qos("ingress-qos-map", op.get("ingress"))
    return line


def commands(ops, netns=None):
    return [quote.join(command(op, netns)) for op in ops]
