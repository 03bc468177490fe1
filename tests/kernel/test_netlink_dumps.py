"""Link and address dumps (the fact gathering fast path) against iproute2, on the running kernel."""
import os

import pytest

from netlab import ip_json, sh
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")
N = 60


@pytest.fixture
def macvlans(pair):
    """N macvlans on va in pair.a, each with an IPv4 and a global IPv6 address; some with an alias."""
    lines = []
    for i in range(N):
        name = "mv%d" % i
        lines += ["link add link va name %s mtu %d type macvlan mode bridge" % (name, 1400 + i),
                  "addr add 10.90.%d.1/24 dev %s" % (i, name),
                  "addr add fd90:%x::1/64 dev %s nodad" % (i, name),
                  "link set %s up" % name]
        if i % 7 == 0:
            lines.append("link set %s alias rail-%d" % (name, i))
    lines.append("addr add 10.91.0.1 peer 10.91.0.2 dev mv0")  # IFA_LOCAL and IFA_ADDRESS differ
    path = "/tmp/afdump-%s.batch" % pair.a
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        sh("ip -n %s -batch %s" % (pair.a, path))
    finally:
        os.unlink(path)
    return pair


def oracle_links(netns):
    out = {}
    for l in ip_json(netns, "-d", "link", "show"):
        out[l["ifname"]] = {"index": l["ifindex"], "mtu": l["mtu"], "up": "UP" in l["flags"],
                            "kind": l.get("linkinfo", {}).get("info_kind"), "alias": l.get("ifalias", "")}
    return out


def oracle_addresses(netns, link_local):
    return sorted((l["ifindex"], "%s/%d" % (a["local"], a["prefixlen"])) for l in ip_json(netns, "addr", "show")
                  for a in l.get("addr_info", []) if a["family"] in ("inet", "inet6")
                  and (link_local or not (a["family"] == "inet6" and a.get("scope") == "link")))


def test_links_and_addresses_match_iproute2(macvlans):
    netns = macvlans.a
    with NetlinkSession(netns) as s:
        for _round in range(2):  # the second round runs on layouts learnt in the first
            links = dict((l["name"], l) for l in rtnl.dump_links(s))
            want = oracle_links(netns)
            assert sorted(links) == sorted(want)
            for name, w in want.items():
                got = links[name]
                assert (got["index"], got["mtu"], got["up"], got["kind"], got["alias"]) == (
                    w["index"], w["mtu"], w["up"], w["kind"], w["alias"]), name
            va = links["va"]["index"]
            assert all(links["mv%d" % i]["link"] == va and links["mv%d" % i]["netnsid"] is None for i in range(N))
            assert links["va"]["netnsid"] is not None  # its peer is in pair.b
            for link_local in (True, False):
                got = sorted(rtnl.dump_addresses(s, with_prefix=True, ipv6_link_local=link_local))
                assert got == oracle_addresses(netns, link_local)
        assert not any(a.startswith("fe80") for _i, a in rtnl.dump_addresses(s, ipv6_link_local=False))


def test_a_changed_layout_is_read_correctly(macvlans):
    """An alias added to one link changes its layout: the new layout is walked, not misread."""
    netns = macvlans.a
    with NetlinkSession(netns) as s:
        rtnl.dump_links(s)
        sh("ip -n %s link set mv1 alias a-much-longer-alias && ip -n %s link set mv2 mtu 1300" % (netns, netns))
        sh("ip -n %s link set mv3 down" % netns)
        links = dict((l["name"], l) for l in rtnl.dump_links(s))
    assert links["mv1"]["alias"] == "a-much-longer-alias" and links["mv2"]["mtu"] == 1300
    assert links["mv3"]["up"] is False and links["mv4"]["up"] is True
