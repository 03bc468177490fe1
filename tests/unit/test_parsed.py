# -*- coding: utf-8 -*-
"""state: parsed: real iproute2 JSON in, the cores' gathered view out (golden files), and refused input.

tests/unit/parsed/input/<case>.json|.txt were printed by iproute2 in the lab VM;
expected/<case>.yml is what the cores gathered over netlink from the same kernel
state (tests/lab/capture_parsed.py). A case named vlan-* goes to vlan/parse.py,
netem-* to netem/parse.py. errors.yml pairs bad running_config with its message.
"""
import copy
import decimal
import os

import pytest
import yaml

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model as netem_model
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import parse as netem_parse
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import model as vlan_model
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import parse as vlan_parse

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "parsed")
PARSERS = {"vlan": vlan_parse, "netem": netem_parse}
CASES = sorted(os.path.splitext(f)[0] for f in os.listdir(os.path.join(HERE, "input")))


def read_input(case):
    for ext in (".json", ".txt"):
        path = os.path.join(HERE, "input", case + ext)
        if os.path.exists(path):
            with open(path) as f:
                return f.read()
    raise AssertionError("no input for %s" % case)


def expected(case):
    with open(os.path.join(HERE, "expected", case + ".yml")) as f:
        return yaml.safe_load(f)


def parser(case):
    return PARSERS[case.split("-", 1)[0]]


def test_every_kernel_and_iproute2_is_covered():
    """Both lab kernels, iproute2 6.1 (the host's) and 6.12 (trixie's), for both parsers."""
    for kind in PARSERS:
        for kernel in ("linux6.1", "linux6.12"):
            for iproute2 in ("6.1", "6.12"):
                prefix = "%s-%s-iproute2-%s-" % (kind, kernel, iproute2)
                assert any(c.startswith(prefix) for c in CASES), prefix
    assert all(os.path.exists(os.path.join(HERE, "expected", c + ".yml")) for c in CASES)


@pytest.mark.parametrize("case", CASES)
def test_golden(case):
    assert parser(case).parse(read_input(case)) == expected(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.startswith("vlan-") and "-a-" in c])
def test_vlans_parsed_are_valid_config(case):
    """What parse reports can be given back to the module as config (the same entries come out)."""
    entries = [e for e in vlan_parse.parse(read_input(case)) if e["parent"] != vlan_parse.OTHER_NETNS]
    assert entries
    assert [vlan_model.to_user(e) for e in vlan_model.normalize_config(entries)] == entries


@pytest.mark.parametrize("case", [c for c in CASES if c.startswith("netem-")])
def test_netem_rules_parsed_are_valid_rules(case):
    """Each rule parse reports is valid module input that means the same (match aside, which tc cannot show,
    so a tree's rules are checked one by one)."""
    trees = netem_parse.parse(read_input(case))
    assert trees
    for tree in trees:
        for rule in tree["rules"]:
            given = copy.deepcopy(rule)
            if "jitter" in given.get("slot", {}):  # tc shows no table: a slot distribution must be named again
                given["slot"]["distribution"] = "uniform"
            again = dict(netem_model.rule_to_user(netem_model.normalize_rules([given])[0]))
            for key in ("delay", "slot"):
                if key in again:
                    again[key] = dict((k, v) for k, v in again[key].items() if k != "distribution")
            assert again == rule


def test_ingress_needs_the_link_list():
    """From tc alone an ingress tree shows on its IFB as egress; with the links, on its device."""
    text = read_input("netem-linux6.1-iproute2-6.1-b")
    links = read_input("netem-linux6.1-iproute2-6.1-b-links")[len(text):]
    assert links.lstrip().startswith("[")
    alone = dict((t["interface"], t["direction"]) for t in netem_parse.parse(text))
    both = dict((t["interface"], t["direction"]) for t in netem_parse.parse(text + links))
    assert both == {"vb": "ingress", "dummylongname1": "ingress"}
    assert alone.get("ifb-vb") == "egress" and any(i.startswith("ifb-i") for i in alone)


def print_delay_before_6_9(ns):
    """iproute2 6.1's q_netem.c: tc_core_tick2time(qopt.latency) / 1000000., qopt.latency = ns >> 6 (capped)."""
    ticks = min(ns >> 6, 0xFFFFFFFF)
    return "%g" % ((ticks * 64 // 1000) / 1000000.0)  # tick2time: whole microseconds, cut down


def print_time64(ns):
    """iproute2 6.9+'s delay and jitter, and every version's slot times: ns / 1000000000. with %g."""
    return "%g" % (ns / 1000000000.0)


def read_time(printed, ticks):
    return netem_parse._ns({"t": decimal.Decimal(printed)}, "t", "w", ticks=ticks)


TIMES = [us * 1000 for us in list(range(10, 20001, 10))
         + [25000, 50000, 60000, 123450, 250000, 999990, 1000000, 1500000, 2000000]]


@pytest.mark.parametrize("printer", [print_delay_before_6_9, print_time64])
def test_delay_in_steps_of_10us_reads_back_from_both_printers(printer):
    assert [ns for ns in TIMES if read_time(printer(ns), ticks=True) != ns] == []


def test_slot_times_are_read_as_printed():
    assert [ns for ns in TIMES + [249984, 1001, 1500] if read_time(print_time64(ns), ticks=False) != ns] == []
    assert read_time(print_time64(249984), ticks=False) == 249984  # no tick rounding: 6 digits are exact here


def test_finer_delays_from_iproute2_6_9_read_back():
    for ns in (1001000, 1234000, 1500, 25, 123456000):
        assert read_time(print_time64(ns), ticks=True) == ns, ns


def test_what_iproute2_before_6_9_cannot_tell_apart():
    """The limits netem/parse.py documents: its printer drops up to 1.06 us."""
    assert print_delay_before_6_9(1001000) == print_delay_before_6_9(1000000) == "0.001"
    assert read_time("0.001", ticks=True) == 1000000
    assert print_delay_before_6_9(500) == "0"  # under a microsecond: printed as no delay at all
    assert read_time(print_time64(249000), ticks=True) == 250000  # 6.9+ printing 249us: read as the rounder 250us


def load_errors():
    with open(os.path.join(HERE, "errors.yml")) as f:
        return [pytest.param(c, id=c["id"]) for c in yaml.safe_load(f)]


@pytest.mark.parametrize("case", load_errors())
def test_refused(case):
    with pytest.raises(errors.ValidationError) as err:
        PARSERS[case["parser"]].parse(case["input"])
    assert err.value.param == "running_config"
    assert err.value.message == case["message"]


@pytest.mark.parametrize("kind", sorted(PARSERS))
def test_not_text(kind):
    with pytest.raises(errors.ValidationError) as err:
        PARSERS[kind].parse(None)
    assert err.value.param == "running_config" and "got NoneType" in err.value.message
