"""roce module on a real kernel with soft-RoCE (rdma_rxe), RDMA-CM configfs and a real RDMA transfer.

rxe works only in the initial namespace on these kernels, so the veth pair lives there (unique names,
removed in finally). The transfer runs between two rxe devices of this VM; its RoCEv2 packets (UDP 4791)
are captured and their DSCP checked against what the module set.
"""
import json
import os
import re
import subprocess
import time
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


def test_rdma_transfer_carries_the_configured_dscp(rails):
    a, b = rails
    dev_a, dev_b = "rxe" + a[-4:], "rxb" + b[-4:]
    run(a, {"soft_roce": {"name": dev_a}, "rdma_cm": {"tos": 106, "mode": "RoCE v2"}})
    run(b, {"soft_roce": {"name": dev_b}, "rdma_cm": {"tos": 106, "mode": "RoCE v2"}})
    dump = subprocess.Popen(["tcpdump", "-l", "-n", "-v", "-i", "any", "-c", "20", "udp port 4791"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    server = subprocess.Popen(["ib_write_bw", "-R", "-d", dev_b, "-s", "4096", "-n", "50", "-F"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(3)
        client = subprocess.run(["ib_write_bw", "-R", "-d", dev_a, "-s", "4096", "-n", "50", "-F", "10.250.1.1"],
                                capture_output=True, text=True, timeout=120, check=False)
        out = dump.communicate(timeout=60)[0]
    finally:
        for proc in (server, dump):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert client.returncode == 0, client.stdout[-2000:] + client.stderr[-2000:]
    tos = re.findall(r"tos 0x([0-9a-f]+)", out)
    assert len(tos) >= 10, out[-2000:]
    assert set(int(t, 16) >> 2 for t in tos) == {26}, sorted(set(tos))


def test_playbook_soft_roce_and_preflight(rails):
    a, _b = rails
    run_playbook("roce_soft.yml", netdev=a, rxe="rxe" + a[-4:])
