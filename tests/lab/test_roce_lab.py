"""roce module on a real kernel with soft-RoCE (rdma_rxe) and RDMA-CM configfs.

rxe works only in the initial namespace on these kernels, so the veth pair lives there (unique names,
removed in finally). Two rxe devices of one host talk through rxe's internal loopback, never through
the IP stack, so the RDMA transfer with its DSCP on the wire is in tests/multivm (two VMs).
"""
import json
import os
import uuid

import pytest

from netlab import run_playbook, sh
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import core, model, preflight


def run(netdev, params, state="merged"):
    want = model.normalize(params)
    facts = core.gather(netdev)
    ops = core.plan(want, facts, state)
    core.apply(ops, netdev)
    return ops


@pytest.fixture
def rails():
    tag = uuid.uuid4().hex[:4]
    a, b = "rra" + tag, "rrb" + tag
    sh("modprobe rdma_rxe && modprobe rdma_cm")
    sh("ip link add %s type veth peer %s" % (a, b))
    sh("ip addr add 10.250.0.1/24 dev %s && ip addr add 10.250.1.1/24 dev %s" % (a, b))
    sh("ip link set %s up && ip link set %s up" % (a, b))
    try:
        yield a, b
    finally:
        for dev in ("rxe" + a[-4:], "rxb" + b[-4:]):
            sh("rdma link delete %s" % dev, check=False)
            sh("rmdir /sys/kernel/config/rdma_cm/%s" % dev, check=False)
        sh("ip link del %s" % a, check=False)


def test_soft_roce_rdma_cm_facts_and_cleanup(rails):
    a, _b = rails
    name = "rxe" + a[-4:]
    ops = run(a, {"soft_roce": {"name": name}, "rdma_cm": {"tos": 106, "mode": "RoCE v2"}})
    assert [o["op"] for o in ops][:1] == ["rdma_link"]
    links = json.loads(sh("rdma -j link show").stdout)
    assert any(l["ifname"] == name and l.get("netdev") == a for l in links), links
    facts = core.gather(a)
    assert facts["rdma_device"] == name
    assert facts["rdma_cm"] == {"tos": 106, "mode": "RoCE v2"}
    v2 = [g for g in facts["gids"] if g["type"] == "RoCE v2" and g["netdev"] == a]
    assert any(g["gid"].endswith("ffff:0afa:0001") for g in v2), facts["gids"]
    env = preflight.nccl_env(facts, {"nccl_ib_tc": 106})
    assert env["NCCL_IB_HCA"] == name + ":1" and int(env["NCCL_IB_GID_INDEX"]) in [g["index"] for g in v2]
    assert core.plan(model.normalize({"soft_roce": {"name": name}, "rdma_cm": {"tos": 106, "mode": "RoCE v2"}}),
                     facts, "merged") == []
    run(a, {"soft_roce": {"name": name}, "rdma_cm": {"tos": 106}}, state="deleted")
    assert name not in sh("rdma link show").stdout
    assert not os.path.exists("/sys/kernel/config/rdma_cm/" + name)


def test_soft_roce_refuses_vlan_netdev(rails):
    a, _b = rails
    sh("ip link add link %s name %s.9 type vlan id 9" % (a, a))
    with pytest.raises(core.RoceError) as err:
        run("%s.9" % a, {"soft_roce": {"name": "rxevlan"}})
    assert "VLAN" in str(err.value)


def test_playbook_soft_roce_and_preflight(rails):
    a, _b = rails
    run_playbook("roce_soft.yml", netdev=a, rxe="rxe" + a[-4:])
