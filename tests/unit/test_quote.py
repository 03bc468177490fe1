# -*- coding: utf-8 -*-
"""Rendered commands are valid shell: the oracle is shlex, which must read back every word exactly."""
import shlex

import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils.engine import quote

CASES = [
    ["ip", "link", "add", "link", "eth0", "name", "eth0.101", "type", "vlan", "id", "101"],
    ["ip", "link", "set", "ifb-eth1", "alias", "aifabric.emulation netem ingress of eth1; hook=created", "up"],
    ["echo", "", ">", "/sys/class/net/x/qos/trust"],
    ["echo", "RoCE v2", ">", "/sys/kernel/config/rdma_cm/rxe0/ports/1/default_roce_mode"],
    ["ip", "link", "add", "a&b"], ["x'y"], ["a|b"], ["$HOME"], ["a;b"], ["*"], ["~root"], ["a\tb"],
    ["ip", "link", "add", "v", "&&", "ip", "link", "set", "v", "up"],
]


@pytest.mark.parametrize("argv", CASES)
def test_join_reads_back_word_for_word(argv):
    assert shlex.split(quote.join(argv)) == argv


def test_plain_lines_are_not_quoted():
    assert quote.join(["tc", "qdisc", "add", "dev", "eth1", "root", "handle", "fab0:", "netem", "delay", "5ms"]) == \
        "tc qdisc add dev eth1 root handle fab0: netem delay 5ms"
