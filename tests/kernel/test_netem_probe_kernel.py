# -*- coding: utf-8 -*-
"""netem_available() asks the kernel; the oracle is tc itself in a namespace of our own."""
import uuid

from netlab import sh

from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core


def test_probe_agrees_with_tc_and_touches_nothing():
    name = "afp" + uuid.uuid4().hex[:8]
    sh("ip netns add %s" % name)
    try:
        oracle = sh("tc -n %s qdisc add dev lo root netem delay 1ms" % name, check=False).returncode == 0
    finally:
        sh("ip netns del %s" % name, check=False)
    before = sh("ip -j link show; tc -j qdisc show").stdout
    assert core.netem_available() is oracle
    assert sh("ip -j link show; tc -j qdisc show").stdout == before
