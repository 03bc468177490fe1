# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of aifabric.emulation.netem (DOCUMENTATION must match it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DISTRIBUTIONS = ["uniform", "normal", "pareto", "paretonormal", "custom"]
# merged/deleted are the canonical names; present/absent are their documented aliases
STATES = ["merged", "present", "replaced", "overridden", "deleted", "absent", "gathered", "rendered", "parsed"]

_PAIR = dict(percent=dict(type="str", required=True), correlation=dict(type="str"))

RULE_SPEC = dict(
    name=dict(type="str", default="default"),
    match=dict(type="dict", options=dict(
        dst=dict(type="list", elements="str"),
        src=dict(type="list", elements="str"),
        dscp=dict(type="list", elements="int"),
    )),
    delay=dict(type="dict", options=dict(
        time=dict(type="str", required=True),
        jitter=dict(type="str"),
        correlation=dict(type="str"),
        distribution=dict(type="str", choices=DISTRIBUTIONS, default="uniform"),
        distribution_file=dict(type="path"),
    )),
    loss=dict(type="dict", options=dict(
        model=dict(type="str", choices=["random", "gemodel", "state"], default="random"),
        percent=dict(type="str"),
        correlation=dict(type="str"),
        p=dict(type="str"),
        r=dict(type="str"),
        one_minus_h=dict(type="str"),
        one_minus_k=dict(type="str"),
        p13=dict(type="str"),
        p31=dict(type="str"),
        p32=dict(type="str"),
        p23=dict(type="str"),
        p14=dict(type="str"),
    )),
    duplicate=dict(type="dict", options=dict(_PAIR)),
    corrupt=dict(type="dict", options=dict(_PAIR)),
    reorder=dict(type="dict", options=dict(_PAIR, gap=dict(type="int"))),
    rate=dict(type="dict", options=dict(
        rate=dict(type="str", required=True),
        packet_overhead=dict(type="int", default=0),
        cell_size=dict(type="int", default=0),
        cell_overhead=dict(type="int", default=0),
    )),
    slot=dict(type="dict", options=dict(
        min_delay=dict(type="str"),
        max_delay=dict(type="str"),
        distribution=dict(type="str", choices=["normal", "pareto", "paretonormal", "custom"]),
        distribution_file=dict(type="path"),
        delay=dict(type="str"),
        jitter=dict(type="str"),
        packets=dict(type="int", default=0),
        bytes=dict(type="str", default="0"),
    )),
    ecn=dict(type="bool", default=False),
    limit=dict(type="int"),
    seed=dict(type="int"),
)

DIRECTIONS = ["egress", "ingress"]

# A time-varying profile for one rule (schedule.py); each type takes only its own options.
SCHEDULE_SPEC = dict(
    type=dict(type="str", choices=["flap", "ramp", "trace"], required=True),
    rule=dict(type="str"),
    mode=dict(type="str", choices=["loss", "link"], default="loss"),
    down=dict(type="str"),
    every=dict(type="str"),
    count=dict(type="int", default=1),
    parameter=dict(type="str", choices=["delay", "jitter", "loss", "rate"]),
    start=dict(type="str"),
    end=dict(type="str"),
    duration=dict(type="str"),
    steps=dict(type="int"),
    file=dict(type="path"),
    content=dict(type="str"),
)

CONFIG_SPEC = dict(
    interface=dict(type="str", required=True, aliases=["dev"]),
    netns=dict(type="str"),
    direction=dict(type="str", choices=DIRECTIONS, default="egress"),
    rules=dict(type="list", elements="dict", options=RULE_SPEC),
    ttl=dict(type="raw"),
    schedule=dict(type="dict", options=SCHEDULE_SPEC),
)

ARGUMENT_SPEC = dict(
    config=dict(type="list", elements="dict", options=CONFIG_SPEC),
    interface=dict(type="str", aliases=["dev"]),
    netns=dict(type="str"),
    direction=dict(type="str", choices=DIRECTIONS, default="egress"),
    rules=dict(type="list", elements="dict", options=RULE_SPEC),
    running_config=dict(type="str"),
    state=dict(type="str", choices=STATES, default="merged"),
    allow_management=dict(type="bool", default=False),
    ttl=dict(type="raw"),
    ttl_required=dict(type="bool", default=False),
    schedule=dict(type="dict", options=SCHEDULE_SPEC),
)

MUTUALLY_EXCLUSIVE = [("config", "interface"), ("config", "rules"), ("config", "schedule")]

REQUIRED_IF = [
    ("state", "merged", ["interface", "config"], True),
    ("state", "present", ["interface", "config"], True),
    ("state", "replaced", ["interface", "config"], True),
    ("state", "deleted", ["interface", "config"], True),
    ("state", "absent", ["interface", "config"], True),
    ("state", "rendered", ["interface", "config"], True),
    ("state", "parsed", ["running_config"]),
]
