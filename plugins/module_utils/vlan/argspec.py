# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of aifabric.emulation.vlan (DOCUMENTATION must match it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# present/absent are documented aliases of merged/deleted, as in every module of the collection
STATES = ["merged", "present", "replaced", "overridden", "deleted", "absent", "gathered", "rendered", "parsed"]

VLAN_SPEC = dict(
    name=dict(type="str"),
    parent=dict(type="str", required=True),
    id=dict(type="int"),  # required by the model for every state but gathered
    protocol=dict(type="str", choices=["802.1Q", "802.1ad"], default="802.1Q"),
    mtu=dict(type="int"),
    admin_state=dict(type="str", choices=["up", "down"]),
    addresses=dict(type="list", elements="str"),
    egress_qos_map=dict(type="dict"),
    ingress_qos_map=dict(type="dict"),
    reorder_hdr=dict(type="bool"),
    gvrp=dict(type="bool"),
    mvrp=dict(type="bool"),
    loose_binding=dict(type="bool"),
)

ARGUMENT_SPEC = dict(
    config=dict(type="list", elements="dict", options=VLAN_SPEC),
    netns=dict(type="str"),
    running_config=dict(type="str"),
    state=dict(type="str", choices=STATES, default="merged"),
    allow_management=dict(type="bool", default=False),
)

REQUIRED_IF = [
    ("state", "merged", ["config"]),
    ("state", "replaced", ["config"]),
    ("state", "overridden", ["config"]),
    ("state", "present", ["config"]),
    ("state", "deleted", ["config"]),
    ("state", "absent", ["config"]),
    ("state", "parsed", ["running_config"]),
    ("state", "rendered", ["config"]),
]
