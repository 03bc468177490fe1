# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of aifabric.emulation.fabric (DOCUMENTATION must match it).

The topology itself is one dict option: its keys are validated in depth by
fabric/model.py (which names the field), and by roles/fabric's
meta/argument_specs.yml when the role is used.

impairments[] entries have the netem module's bulk `config` entry shape (its
rule suboptions are the netem module's own), checked in depth by
fabric/impair.py against the plan.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils.netem.argspec import DIRECTIONS, RULE_SPEC

STATES = ["present", "absent", "gathered", "rendered", "validated"]

IMPAIRMENT_SPEC = dict(
    interface=dict(type="str", required=True, aliases=["dev"]),
    netns=dict(type="str"),
    direction=dict(type="str", choices=DIRECTIONS, default="egress"),
    rules=dict(type="list", elements="dict", options=RULE_SPEC),
)

ARGUMENT_SPEC = dict(
    topology=dict(type="dict"),
    name=dict(type="str"),
    host=dict(type="str"),
    inventory_hosts=dict(type="list", elements="str"),
    state=dict(type="str", choices=STATES, default="present"),
    impairments=dict(type="list", elements="dict", options=IMPAIRMENT_SPEC),
    ttl=dict(type="raw"),
    ttl_required=dict(type="bool", default=False),
)

REQUIRED_IF = [
    ("state", "present", ["topology"]),
    ("state", "rendered", ["topology"]),
    ("state", "validated", ["topology"]),
    ("state", "absent", ["topology", "name"], True),
    ("state", "gathered", ["topology", "name"], True),
]
