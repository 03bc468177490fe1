"""roce module against the running kernel: a veth in the initial namespace (no DCB ops, no RDMA)
and a fake MLNX_OFED-style sysfs tree for the ECN/trust knobs."""
import os
import uuid

import pytest

from netlab import sh
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import core, model, preflight, render

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")


@pytest.fixture
def veth():
    name = "afr" + uuid.uuid4().hex[:6]
    sh("ip link add %s type veth peer %sp" % (name, name))
    try:
        yield name
    finally:
        sh("ip link del %s" % name, check=False)


@pytest.fixture
def fake_root(tmp_path, veth):
    for side in ("np", "rp"):
        d = tmp_path / "sys/class/net" / veth / "ecn" / ("roce_" + side) / "enable"
        d.mkdir(parents=True)
        for p in range(8):
            (d / str(p)).write_text("0\n")
    np_dir = tmp_path / "sys/class/net" / veth / "ecn/roce_np"
    (np_dir / "cnp_802p_prio").write_text("0\n")
    (np_dir / "cnp_dscp").write_text("0\n")
    (tmp_path / "sys/class/net" / veth / "qos").mkdir(parents=True)
    (tmp_path / "sys/class/net" / veth / "qos/trust").write_text("pcp\n")
    return str(tmp_path)


def test_gather_reports_missing_dcb_as_data(veth):
    facts = core.gather(veth)
    assert facts["dcb"]["supported"] is False
    assert "not supported by driver veth" in facts["dcb"]["reason"]
    assert facts["mtu"] == int(open("/sys/class/net/%s/mtu" % veth).read())
    assert facts["pfc"] is None and facts["ecn"] is None and facts["rdma_device"] is None


def test_dcb_request_fails_clearly_and_changes_nothing(veth):
    facts = core.gather(veth)
    with pytest.raises(core.RoceError) as err:
        core.plan(model.normalize({"pfc": {"enabled": [3]}, "mtu": 1400}), facts, "merged")
    assert "not supported by driver veth" in str(err.value)
    assert core.gather(veth)["mtu"] == facts["mtu"]


def test_knobs_mtu_idempotence_and_rollback(veth, fake_root):
    want = model.normalize({"ecn": {"np": [3], "rp": [3]}, "cnp": {"priority": 6, "dscp": 48},
                            "trust": "dscp", "mtu": 1400})
    facts = core.gather(veth, root=fake_root)
    assert facts["trust"] == "pcp" and facts["trust_source"] == "sysfs"
    ops = core.plan(want, facts, "merged", fake_root)
    assert render.commands(ops)[-1] == "ip link set dev %s mtu 1400" % veth
    core.apply(ops, veth)
    after = core.gather(veth, root=fake_root)
    assert after["ecn"] == {"np": [3], "rp": [3]} and after["cnp"] == {"priority": 6, "dscp": 48}
    assert after["trust"] == "dscp" and after["mtu"] == 1400
    assert core.plan(want, after, "merged", fake_root) == []
    # a failure part-way undoes what went before: MTU 70000 is refused by the kernel
    bad = core.plan(model.normalize({"ecn": {"np": [3, 4], "rp": [3]}, "mtu": 1400}), after, "merged", fake_root)
    bad.append({"op": "mtu", "value": 70000, "old": 1400, "netdev": veth})
    with pytest.raises(core.RoceError) as err:
        core.apply(bad, veth)
    assert "rolled back" in str(err.value)
    assert core.gather(veth, root=fake_root)["ecn"] == {"np": [3], "rp": [3]}
    deleted = core.plan(model.normalize({"ecn": {"np": [3], "rp": [3]}, "trust": "pcp"}), after, "deleted", fake_root)
    core.apply(deleted, veth)
    final = core.gather(veth, root=fake_root)
    assert final["ecn"] == {"np": [], "rp": []} and final["trust"] == "pcp"


def test_validated_reports_every_gap_and_the_nccl_env(veth, fake_root):
    facts = core.gather(veth, root=fake_root)
    issues = preflight.check(facts, {"nccl_ib_tc": 104})
    checks = sorted(set(i["check"] for i in issues))
    assert checks == ["dscp_map", "ecn", "ets", "nccl_ib_tc", "pfc", "trust"]
    env = preflight.nccl_env(facts, {"nccl_ib_tc": 106})
    assert env == {"NCCL_IB_TC": "106", "NCCL_SOCKET_IFNAME": veth}
