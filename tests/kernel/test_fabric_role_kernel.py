"""The fabric role and module end to end on the running kernel, through ansible-playbook.

The role stages a small rail-optimized fabric and writes its inventory source;
a second play reaches the emulated servers through that inventory (the
fabric inventory plugin and the netns become plugin) and runs the
collection's vlan module, `ip` and `ping` inside them. Oracles: `ip -j`,
`tc -j` and /run/netns, read independently of the module.
"""
import json
import os
import subprocess

import pytest

from netlab import REPO, assert_no_deprecation, ip_json, sh, tc_json

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")

FABRIC = "kfr"
TOPOLOGY = {"name": FABRIC, "kind": "rail_optimized", "mode": "l3", "servers": 3, "rails": 2, "spines": 2,
            "links": {"server_leaf": {"rate": "100mbit", "mtu": 9000}, "leaf_spine": {"rate": "50mbit"}}}
PLAYBOOKS = os.path.join(REPO, "tests", "kernel", "playbooks")


def ours():
    return sorted(n for n in os.listdir("/run/netns") if n.startswith(FABRIC + "-")) if os.path.isdir(
        "/run/netns") else []


def playbook(playbook_name, tmp_path, inventory=None, check=False, **extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_DEPRECATION_WARNINGS="true")
    argv = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), os.path.join(PLAYBOOKS, playbook_name),
            "-e", json.dumps(extra)]
    if inventory:
        argv += ["-i", inventory]
    if check:
        argv.append("--check")
    res = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert_no_deprecation(res.stdout, res.stderr, playbook_name)
    return res


@pytest.fixture
def fabric(tmp_path):
    def cleanup():
        for name in ours():
            sh("ip netns del %s" % name, check=False)
        record = "/run/aifabric-emulation/fabric/%s.json" % FABRIC
        if os.path.exists(record):
            os.unlink(record)
    cleanup()
    try:
        yield tmp_path
    finally:
        cleanup()


def stage(tmp_path, check=False, topology=None, **extra):
    out = tmp_path / "result.json"
    res = playbook("fabric_role.yml", tmp_path, check=check, topology=TOPOLOGY if topology is None else topology,
                   inventory_dir_out=str(tmp_path), result_file=str(out), **extra)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    return json.loads(out.read_text()), res.stdout


def test_role_stages_converges_reaches_and_tears_down(fabric):
    tmp_path = fabric
    first, stdout = stage(tmp_path)
    assert first["changed"] is True
    assert "fabric kfr on localhost: 3 servers, 6 endpoints" in stdout
    names = ours()
    assert names == sorted("%s-%s" % (FABRIC, n) for n in
                           ["mgmt", "rail0", "rail1", "server0", "server1", "server2", "spine0", "spine1"])
    # independent read-back: server0's rail interfaces, and the htb rate on a spine-facing uplink
    links = dict((l["ifname"], l) for l in ip_json("%s-server0" % FABRIC, "-d", "link", "show"))
    assert {"rail0", "rail1", "mgmt0"} <= set(links) and links["rail0"]["mtu"] == 9000
    classes = sh("tc -n %s-rail0 class show dev spine0" % FABRIC).stdout  # iproute2 6.1 prints no JSON for classes
    assert "class htb" in classes and "rate 50Mbit" in classes, classes
    assert any(q["kind"] == "htb" for q in tc_json("%s-rail0" % FABRIC, "qdisc", "show", "dev", "spine0"))

    again, _out = stage(tmp_path)
    assert again["changed"] is False and again["requests"] == 0

    inventory = tmp_path / ("%s.fabric.yml" % FABRIC)
    assert inventory.exists()
    results = tmp_path / "endpoints"
    results.mkdir()
    res = playbook("fabric_endpoints.yml", tmp_path, inventory=str(inventory), result_dir=str(results))
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    for i in range(3):
        seen = json.loads((results / ("%s-server%d.json" % (FABRIC, i))).read_text())
        ifnames = sorted(l["ifname"] for l in seen["addr"])
        assert ifnames == ["lo", "mgmt0", "rail0", "rail1"], ifnames  # the server's namespace, nothing else
        assert seen["ping"] == 0 and seen["vlans"] == []

    bigger = dict(TOPOLOGY, servers=4)
    predicted, _out = stage(tmp_path, check=True, topology=bigger)
    assert predicted["changed"] is True and ours() == names  # check mode touched nothing
    assert predicted["touched"] and all(FABRIC + "-server3" == t or not t.startswith(FABRIC + "-server")
                                        for t in predicted["touched"]), predicted["touched"]

    gone, _out = stage(tmp_path, state="absent", topology={}, fabric=FABRIC)
    assert gone["changed"] is True and gone["removed"]["namespaces"] == len(names)
    assert ours() == [] and not inventory.exists()
    assert not [l for l in json.loads(sh("ip -j link show").stdout) if l["ifname"].startswith(FABRIC)]


def test_bad_topology_fails_naming_the_field_and_touches_nothing(fabric):
    out = fabric / "result.json"
    bad = dict(TOPOLOGY, links={"server_leaf": {"rate": "fast"}})
    res = playbook("fabric_role.yml", fabric, topology=bad, result_file=str(out))
    assert res.returncode != 0
    assert "topology.links.server_leaf.rate" in res.stdout, res.stdout[-3000:]
    assert ours() == [] and not out.exists()


def test_role_argument_spec_refuses_an_unknown_kind(fabric):
    res = playbook("fabric_role.yml", fabric, topology=dict(TOPOLOGY, kind="torus"), result_file=str(fabric / "r"))
    assert res.returncode != 0, res.stdout[-3000:]
    assert "value of kind must be one of" in res.stdout and "got: torus found in fabric_topology" in res.stdout
    assert ours() == []
