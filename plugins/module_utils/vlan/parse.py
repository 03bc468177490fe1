# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""state: parsed for VLANs: iproute2's JSON in, the gathered view out, no kernel access.

The input is the output of `ip -j -d addr show` (links with their
addresses) or `ip -j -d link show` (then every VLAN has addresses: []).
The result is what core.gather() returns for the same kernel state: every
VLAN of the dump, sorted by name, in model.to_user()'s shape. Non-VLAN links
are left out, and so are IPv6 link-local addresses, as core.Facts does.

What iproute2 prints carries everything the gathered view holds, so nothing
is lost. A VLAN whose parent lives in another network namespace has
parent "<other netns>" (iproute2 then prints link_index and link_netnsid,
not the parent's name), as in the gathered view.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import model

PARAM = "running_config"
COMMAND = "`ip -j -d addr show`"
OTHER_NETNS = "<other netns>"
PROTOCOLS = {"802.1q": "802.1Q", "802.1ad": "802.1ad"}  # iproute2 prints "802.1q" when the kernel sends none
FLAGS = {"REORDER_HDR": "reorder_hdr", "GVRP": "gvrp", "MVRP": "mvrp", "LOOSE_BINDING": "loose_binding"}
FAMILIES = {"inet": socket.AF_INET, "inet6": socket.AF_INET6}


def _fail(message):
    raise errors.ValidationError(PARAM, message)


def _load(text):
    if not isinstance(text, str):
        _fail("expected the text output of %s, got %s" % (COMMAND, type(text).__name__))
    if not text.strip():
        _fail("is empty: give the output of %s" % COMMAND)
    try:
        data = json.loads(text)
    except ValueError as e:
        _fail("is not JSON (%s): give the output of %s" % (e, COMMAND))
    if not isinstance(data, list):
        _fail("expected a JSON list of links, the output of %s; got a JSON %s" % (COMMAND, _kind(data)))
    return data


def _kind(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "number"


def _field(obj, key, types, where, required=True):
    """obj[key] checked against types; None when absent and not required."""
    if key not in obj:
        if required:
            _fail("%s has no %r: is this the output of %s?" % (where, key, COMMAND))
        return None
    value = obj[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
        _fail("%s.%s is a JSON %s, not what %s prints" % (where, key, _kind(value), COMMAND))
    return value


def _as_tuple(types):
    return types if isinstance(types, tuple) else (types,)


def parse(text):
    """VLAN entries (model.to_user() shape, sorted by name) from `ip -j -d addr show` or `ip -j -d link show`."""
    links = _load(text)
    out = []
    details = False
    for i, link in enumerate(links):
        where = "link[%d]" % i
        if not isinstance(link, dict):
            _fail("%s is a JSON %s, not a link object of %s" % (where, _kind(link), COMMAND))
        name = _field(link, "ifname", str, where)
        where = "link[%d] (%s)" % (i, name)
        info = _field(link, "linkinfo", dict, where, required=False)
        details = details or info is not None
        if info is None or info.get("info_kind") != "vlan":
            continue
        out.append(_vlan(link, info, name, where))
    if not details and any("link" in x or "link_index" in x for x in links if isinstance(x, dict)):
        _fail("has no linkinfo: run ip with -d (%s) so that VLANs can be told from other links" % COMMAND)
    return [model.to_user(e) for e in sorted(out, key=lambda e: e["name"])]


def _vlan(link, info, name, where):
    data = _field(info, "info_data", dict, where + ".linkinfo")
    dwhere = where + ".linkinfo.info_data"
    vid = _field(data, "id", int, dwhere)
    protocol = _field(data, "protocol", str, dwhere, required=False)
    protocol = PROTOCOLS.get((protocol or "802.1Q").lower(), "unknown")
    flags = dict((k, False) for k in model.FLAG_NAMES)  # the kernel sends no flags attribute when all are off
    for flag in _field(data, "flags", list, dwhere, required=False) or []:
        if flag in FLAGS:
            flags[FLAGS[flag]] = True
    if "link_netnsid" in link or "link_index" in link:
        parent = OTHER_NETNS
    else:
        parent = _field(link, "link", str, where, required=False)
        if parent is None:
            _fail("%s is a VLAN without a parent (no 'link'): is this the output of %s?" % (where, COMMAND))
    link_flags = _field(link, "flags", list, where)
    return {
        "name": name, "parent": parent, "id": vid, "protocol": protocol,
        "mtu": _field(link, "mtu", int, where), "up": "UP" in link_flags,
        "addresses": _addresses(link, where),
        "egress": _qos(data, "egress_qos", dwhere), "ingress": _qos(data, "ingress_qos", dwhere),
        "flags": flags,
    }


def _qos(data, key, where):
    out = {}
    for j, m in enumerate(_field(data, key, list, where, required=False) or []):
        mwhere = "%s.%s[%d]" % (where, key, j)
        if not isinstance(m, dict):
            _fail("%s is a JSON %s, not a {from, to} mapping" % (mwhere, _kind(m)))
        src, dst = _field(m, "from", int, mwhere), _field(m, "to", int, mwhere)
        if dst:  # as the core: a mapping to 0 is no mapping
            out[src] = dst
    return out


def _addresses(link, where):
    out = []
    for j, a in enumerate(_field(link, "addr_info", list, where, required=False) or []):
        awhere = "%s.addr_info[%d]" % (where, j)
        if not isinstance(a, dict):
            _fail("%s is a JSON %s, not an address object" % (awhere, _kind(a)))
        family = FAMILIES.get(a.get("family"))
        if family is None:
            continue
        if family == socket.AF_INET6 and a.get("scope") == "link":
            continue  # the kernel gives every IPv6 link one; the module neither reports nor manages them
        local, plen = _field(a, "local", str, awhere), _field(a, "prefixlen", int, awhere)
        try:
            text = socket.inet_ntop(family, socket.inet_pton(family, local))
        except (OSError, ValueError):
            _fail("%s.local %r is not an %s address" % (awhere, local, a["family"]))
        out.append("%s/%d" % (text, plen))
    return model.sort_addresses(out)
