# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of aifabric.emulation.workload (DOCUMENTATION must match it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

TYPES = ["allreduce", "iperf3", "ib_write_bw", "ib_send_lat", "nccl_tests", "command"]

RANK_OPTIONS = dict(
    netns=dict(type="str"),
    address=dict(type="str"),
    rail_ifnames=dict(type="list", elements="str"),
    mgmt_address=dict(type="str"),
    mgmt_ifname=dict(type="str", default="mgmt0"),
)

IPERF3_OPTIONS = dict(
    streams=dict(type="int", default=1),
    udp=dict(type="bool", default=False),
    bitrate=dict(type="str"),
    duration=dict(type="str", default="5s"),
    client=dict(type="int", default=1),
    server=dict(type="int", default=0),
    rail=dict(type="int", default=0),
    port=dict(type="int", default=5201),
    args=dict(type="list", elements="str", default=[]),
)

PERFTEST_OPTIONS = dict(
    device=dict(type="str"),
    ib_port=dict(type="int"),
    gid_index=dict(type="int"),
    size=dict(type="str"),
    iterations=dict(type="int", default=1000),
    rdma_cm=dict(type="bool", default=False),
    client=dict(type="int", default=1),
    server=dict(type="int", default=0),
    rail=dict(type="int", default=0),
    port=dict(type="int", default=18515),
    args=dict(type="list", elements="str", default=[]),
)

NCCL_TESTS_OPTIONS = dict(
    binary=dict(type="str", default="all_reduce_perf"),
    args=dict(type="list", elements="str", default=["-b", "8", "-e", "128M", "-f", "2", "-g", "1"]),
    launcher=dict(type="list", elements="str", default=[]),
    env=dict(type="dict", default={}),
    roce=dict(type="dict"),
)

COMMAND_OPTIONS = dict(
    argv=dict(type="list", elements="str", required=True),
    regex=dict(type="dict", default={}),
    per_rank=dict(type="bool", default=False),
    netns=dict(type="str"),
    master_port=dict(type="int", default=29500),
)

ARGUMENT_SPEC = dict(
    type=dict(type="str", choices=TYPES, default="allreduce"),
    fabric=dict(type="str"),
    ranks=dict(type="list", elements="dict", options=RANK_OPTIONS),
    steps=dict(type="int", default=20),
    warmup=dict(type="int", default=1),
    compute=dict(type="str", default="0"),
    bytes=dict(type="str", default="4MiB"),
    buckets=dict(type="int", default=1),
    per_rail=dict(type="bool"),
    timeout=dict(type="str", default="300s"),
    repeats=dict(type="int", default=1),
    env=dict(type="dict", default={}),
    mpirun=dict(type="str", default="mpirun"),
    rank_python=dict(type="str", default="/usr/bin/python3"),
    iperf3=dict(type="dict", options=IPERF3_OPTIONS),
    perftest=dict(type="dict", options=PERFTEST_OPTIONS),
    nccl_tests=dict(type="dict", options=NCCL_TESTS_OPTIONS),
    command=dict(type="dict", options=COMMAND_OPTIONS),
)

REQUIRED_IF = [
    ("type", "allreduce", ["fabric", "ranks"], True),
    ("type", "iperf3", ["fabric", "ranks"], True),
    ("type", "ib_write_bw", ["fabric", "ranks"], True),
    ("type", "ib_send_lat", ["fabric", "ranks"], True),
    ("type", "command", ["command"]),
]

MUTUALLY_EXCLUSIVE = [("fabric", "ranks")]
