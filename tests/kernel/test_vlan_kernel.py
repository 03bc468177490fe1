"""VLAN module against the running kernel (which may lack 8021q), in throwaway namespaces."""
import os
import subprocess
import sys

import pytest

from netlab import COLLECTIONS, sh
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import core, model

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")
HAS_8021Q = os.path.exists("/sys/module/8021q") or subprocess.run(
    ["modprobe", "-n", "-q", "8021q"], check=False).returncode == 0  # loaded, or loadable on first use


def converge(config, netns, **kw):
    return core.converge(model.normalize_config(config), kw.pop("state", "merged"), netns, **kw)


@pytest.mark.skipif(HAS_8021Q, reason="this kernel has 8021q; the lab tier covers creation")
def test_missing_8021q_is_reported_and_nothing_is_left(pair):
    with pytest.raises(core.VlanError) as err:
        converge([{"parent": "va", "id": 100, "addresses": ["10.1.0.1/24"]}], pair.a)
    assert "8021q" in str(err.value) and "rolled back" in str(err.value)
    assert "va.100" not in sh("ip -n %s -o link" % pair.a).stdout


def test_check_mode_and_facts_without_touching_the_kernel(pair):
    res = converge([{"parent": "va", "id": 100, "mtu": 1400}], pair.a, check_mode=True)
    assert res["changed"] and res["before"] == [] and res["after"][0]["mtu"] == 1400
    assert res["commands"][0].startswith("ip -n %s link add link va name va.100 mtu 1400 type vlan" % pair.a)
    assert core.gather(pair.a) == []
    assert "va.100" not in sh("ip -n %s -o link" % pair.a).stdout


def test_parent_checks(pair):
    with pytest.raises(core.VlanError) as err:
        converge([{"parent": "nope0", "id": 7}], pair.a, check_mode=True)
    assert err.value.param == "config[0] (nope0.7).parent"
    with pytest.raises(core.VlanError) as err:
        converge([{"parent": "va", "id": 7, "mtu": 9000}], pair.a, check_mode=True)
    assert "config[0] (va.7).mtu" in str(err.value) and "1500" in str(err.value)


def test_parent_in_initial_namespace_is_named(pair):
    sh("ip link add afhost0 type veth peer afhost1")
    try:
        with pytest.raises(core.VlanError) as err:
            converge([{"parent": "afhost0", "id": 9}], pair.a, check_mode=True)
        assert "initial namespace" in str(err.value)
    finally:
        sh("ip link del afhost0", check=False)


def test_modules_need_no_pyroute2(pair):
    """Targets may have Debian 12's pyroute2 0.7, a newer one, or none: the modules use none."""
    code = ("import sys; sys.modules['pyroute2'] = None; sys.path.insert(0, %r)\n"
            "from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import core as v\n"
            "from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core as n\n"
            "print(v.gather(%r), n.gather_all(%r))\n" % (COLLECTIONS, pair.a, pair.a))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] []"


def test_large_batches_do_not_overflow_the_ack_buffer(pair):
    """1,000 address requests in one flush: every ack arrives (no ENOBUFS), every address is there."""
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession
    with NetlinkSession(pair.a) as s:
        index = s.ifindex("va")
        for i in range(1000):
            s.queue(*rtnl.addr_request("add", index, "10.%d.%d.1/32" % (100 + i // 250, i % 250)))
        acks = s.flush()
        assert len(acks) == 1000 and all(a.ok for a in acks)
        assert sum(1 for i, a in rtnl.dump_addresses(s) if i == index and a.startswith("10.1")) == 1000


def test_same_address_twice_on_one_entry_is_not_a_conflict():
    entries = model.normalize_config([{"parent": "va", "id": 5, "addresses": ["10.5.0.1/24", "10.5.0.1/16"]}])
    assert entries[0]["addresses"] == ["10.5.0.1/16", "10.5.0.1/24"]
