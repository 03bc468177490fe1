# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of aifabric.emulation.fabric (DOCUMENTATION must match it).

The topology itself is one dict option: its keys are validated in depth by
fabric/model.py (which names the field), and by roles/fabric's
meta/argument_specs.yml when the role is used.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

STATES = ["present", "absent", "gathered", "rendered", "validated"]

ARGUMENT_SPEC = dict(
    topology=dict(type="dict"),
    name=dict(type="str"),
    host=dict(type="str"),
    inventory_hosts=dict(type="list", elements="str"),
    state=dict(type="str", choices=STATES, default="present"),
)

REQUIRED_IF = [
    ("state", "present", ["topology"]),
    ("state", "rendered", ["topology"]),
    ("state", "validated", ["topology"]),
    ("state", "absent", ["topology", "name"], True),
    ("state", "gathered", ["topology", "name"], True),
]
