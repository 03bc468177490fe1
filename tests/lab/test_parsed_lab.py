"""state: parsed against the live kernel: parse(what iproute2 prints) == what the cores gather.

One scenario (tests/lab/capture_parsed.py: VLANs of both protocols, flags, QoS
maps, addresses, a VLAN whose parent is in another namespace; a root netem with
every option, a five-rule prio tree, a foreign root qdisc, ingress through two
IFBs) is built once through the cores; then `ip -j -d -b` and `tc -j qdisc show`
(one run each per namespace) are parsed and compared with vlan core.gather() and
netem core.gather_all(), the independent oracle. Only what parse cannot know is
left out of the comparison (netem match, distribution names, seeds iproute2 does
not print, and, against the state record, rule names).
"""
import os

import pytest

from capture_parsed import Lab, RELEASE, expected_netem, expected_vlans, without_record
from netlab import kernel_has_netem
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import parse as netem_parse
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import parse as vlan_parse


def has_8021q():
    if os.path.exists("/sys/module/8021q"):
        return True
    for name in ("modules.dep", "modules.builtin"):
        try:
            with open(os.path.join("/lib/modules", RELEASE, name)) as f:
                if "/8021q.ko" in f.read():
                    return True
        except (IOError, OSError):
            pass
    return False


@pytest.fixture(scope="module")
def live():
    missing = [m for m, ok in (("sch_netem", kernel_has_netem()), ("8021q", has_8021q())) if not ok]
    if missing:
        pytest.skip("kernel %s has no %s: the scenario needs netem trees and VLANs" % (RELEASE, " and ".join(missing)))
    lab = Lab()
    try:
        lab.create()
        lab.build()
        yield lab.dump(), lab.gathered()
    finally:
        lab.destroy()


def test_vlans_parsed_equal_gathered(live):
    dumps, views = live
    for ns in ("a", "b"):
        assert vlan_parse.parse(dumps[ns]["addr"]) == expected_vlans(views[ns]["vlan"]), ns
        assert vlan_parse.parse(dumps[ns]["link"]) == expected_vlans(views[ns]["vlan"], from_link_show=True), ns


def test_netem_parsed_equal_gathered(live):
    dumps, views = live
    for ns in ("a", "b"):
        qdisc, link = dumps[ns]["qdisc"], dumps[ns]["link"]
        with_links = netem_parse.parse(qdisc + link)
        assert with_links == expected_netem(views[ns]["netem"], qdisc), ns
        assert without_record(with_links) == expected_netem(views[ns]["netem_recorded"], qdisc, recorded=True), ns
        assert netem_parse.parse(qdisc) == expected_netem(views[ns]["netem"], qdisc, tc_only_links=link), ns


def test_the_scenario_is_what_it_claims(live):
    """The comparisons above are only as good as the state they saw."""
    _dumps, views = live
    vlans = dict((v["name"], v) for v in views["a"]["vlan"])
    assert vlans["s200"]["protocol"] == "802.1ad" and vlans["s200.10"]["parent"] == "s200"
    assert vlans["va.100"]["egress_qos_map"] == {"3": 5, "7": 7} and "fd10::1/64" in vlans["va.100"]["addresses"]
    assert [v["parent"] for v in views["b"]["vlan"]] == ["<other netns>"]
    trees = dict(((t["interface"], t["direction"]), t) for ns in ("a", "b") for t in views[ns]["netem"])
    assert sorted(trees) == [("d0", "egress"), ("dummylongname1", "ingress"), ("va", "egress"), ("vb", "ingress")]
    assert len(trees[("d0", "egress")]["rules"]) == 5
    assert trees[("va", "egress")]["rules"][0]["delay"]["time"] == "250us"
