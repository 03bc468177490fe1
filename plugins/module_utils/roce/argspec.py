# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of aifabric.emulation.roce (DOCUMENTATION must match it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# present/absent are documented aliases of merged/deleted, as in every module of the collection
STATES = ["merged", "present", "replaced", "deleted", "absent", "gathered", "rendered", "validated"]
PROFILES = ["lossless_prio3"]

ARGUMENT_SPEC = dict(
    netdev=dict(type="str"),
    netns=dict(type="str"),
    allow_management=dict(type="bool", default=False),
    rdma_device=dict(type="str"),
    port=dict(type="int", default=1),
    profile=dict(type="str", choices=PROFILES),
    pfc=dict(type="dict", options=dict(
        enabled=dict(type="list", elements="int", required=True),
        delay=dict(type="int"),
    )),
    ets=dict(type="dict", options=dict(
        prio_tc=dict(type="list", elements="int", required=True),
        tsa=dict(type="list", elements="str", required=True),
        bandwidth=dict(type="list", elements="int", required=True),
    )),
    dscp_map=dict(type="dict"),
    trust=dict(type="str", choices=["dscp", "pcp"]),
    ecn=dict(type="dict", options=dict(
        np=dict(type="list", elements="int", required=True),
        rp=dict(type="list", elements="int", required=True),
    )),
    cnp=dict(type="dict", options=dict(
        priority=dict(type="int"),
        dscp=dict(type="int"),
    )),
    rdma_cm=dict(type="dict", options=dict(
        tos=dict(type="int"),
        mode=dict(type="str", choices=["RoCE v2", "IB/RoCE v1"]),
    )),
    mtu=dict(type="int"),
    soft_roce=dict(type="dict", options=dict(
        type=dict(type="str", choices=["rxe", "siw"], default="rxe"),
        name=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )),
    roce_priority=dict(type="int"),
    nccl_ib_tc=dict(type="int"),
    fail_on_inconsistency=dict(type="bool", default=True),
    sysfs_root=dict(type="path", default="/"),
    state=dict(type="str", choices=STATES, default="merged"),
)

REQUIRED_IF = [
    ("state", "merged", ["netdev"]),
    ("state", "replaced", ["netdev"]),
    ("state", "present", ["netdev"]),
    ("state", "deleted", ["netdev"]),
    ("state", "absent", ["netdev"]),
    ("state", "gathered", ["netdev"]),
    ("state", "rendered", ["netdev"]),
    ("state", "validated", ["netdev"]),
]
