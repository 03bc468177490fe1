"""VLAN module on a real kernel with 8021q; `ip -j -d link show` and tcpdump as oracles."""
import json
import subprocess

import pytest

from netlab import read_until, run_playbook, sh
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import core, model


def converge(config, state="merged", netns=None, check_mode=False):
    return core.converge(model.normalize_config(config), state, netns, check_mode)


def link(ns, name):
    res = sh("ip -n %s -j -d link show %s" % (ns, name), check=False)
    return json.loads(res.stdout)[0] if res.returncode == 0 else None


def vlans(ns):
    return sorted(l["ifname"] for l in json.loads(sh("ip -n %s -j -d link show type vlan" % ns).stdout))


def addrs(ns, name):
    info = json.loads(sh("ip -n %s -j addr show dev %s" % (ns, name)).stdout)[0]
    return sorted("%s/%d" % (a["local"], a["prefixlen"]) for a in info["addr_info"] if a["scope"] != "link")


def capture(ns, dev, bpf, count, action):
    """Start tcpdump, run action() once it captures, return tcpdump's -e lines."""
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-l", "-e", "-n", "-i", dev, "-c", str(count), bpf],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # tcpdump says "listening on" once its socket is open and filtered
        read_until(proc, proc.stderr, b"listening on", 60)
        action()
        out, _err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return out.splitlines()


def send_udp(ns, dst, priority, count=3):
    code = ("import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "s.setsockopt(socket.SOL_SOCKET,socket.SO_PRIORITY,%d)\n"
            "for i in range(%d):\n s.sendto(b'x',('%s',9999))\n" % (priority, count, dst))
    sh("ip netns exec %s python3 -c \"%s\"" % (ns, code))


def test_vlan_ping_pcp_and_read_back(pair):
    a = [{"parent": "va", "id": 100, "addresses": ["10.100.0.1/24", "fd10::1/64"], "mtu": 1400,
          "egress_qos_map": {3: 5, 0: 0}, "ingress_qos_map": {5: 3}, "gvrp": False}]
    res = converge(a, netns=pair.a)
    assert res["changed"] and res["before"] == []
    converge([{"parent": "vb", "id": 100, "addresses": ["10.100.0.2/24"]}], netns=pair.b)
    info = link(pair.a, "va.100")
    data = info["linkinfo"]["info_data"]
    assert data["protocol"] == "802.1Q" and data["id"] == 100 and info["mtu"] == 1400
    assert "REORDER_HDR" in data["flags"] and "UP" in info["flags"]
    assert [m for m in data["egress_qos"] if m["to"]] == [{"from": 3, "to": 5}]
    assert [m for m in data["ingress_qos"] if m["to"]] == [{"from": 5, "to": 3}]
    assert addrs(pair.a, "va.100") == ["10.100.0.1/24", "fd10::1/64"]
    assert converge(a, netns=pair.a)["changed"] is False
    sh("ip netns exec %s ping -n -c 3 -i 0.2 -W 2 10.100.0.2" % pair.a)
    lines = capture(pair.b, "vb", "vlan and udp port 9999", 3, lambda: send_udp(pair.a, "10.100.0.2", 3))
    assert len(lines) == 3 and all("vlan 100, p 5," in l for l in lines), lines
    lines = capture(pair.b, "vb", "vlan and udp port 9999", 2, lambda: send_udp(pair.a, "10.100.0.2", 1, 2))
    assert all("vlan 100, p 0," in l for l in lines), lines


def test_qinq_end_to_end(pair):
    for ns, parent, ip in ((pair.a, "va", "192.168.10.1/24"), (pair.b, "vb", "192.168.10.2/24")):
        res = converge([{"name": "s200", "parent": parent, "id": 200, "protocol": "802.1ad"},
                        {"name": "s200.10", "parent": "s200", "id": 10, "addresses": [ip]}], netns=ns)
        assert res["changed"]
        assert link(ns, "s200")["linkinfo"]["info_data"]["protocol"] == "802.1ad"
    assert converge([{"name": "s200", "parent": "va", "id": 200, "protocol": "802.1ad"},
                     {"name": "s200.10", "parent": "s200", "id": 10, "addresses": ["192.168.10.1/24"]}],
                    netns=pair.a)["changed"] is False
    lines = capture(pair.b, "vb", "icmp or (vlan and vlan)", 2,
                    lambda: sh("ip netns exec %s ping -n -c 2 -i 0.2 -W 2 192.168.10.2" % pair.a))
    assert lines and "0x88a8" in lines[0] and "vlan 200" in lines[0] and "vlan 10" in lines[0], lines


def test_replaced_overridden_deleted_and_check_mode(pair):
    sh("ip -n %s link add vc type veth peer vd" % pair.a)
    with pytest.raises(core.VlanError) as err:
        converge([{"parent": "vc", "id": 11}], netns=pair.a)
    assert "config[0] (vc.11).admin_state" in str(err.value) and "vc is down" in str(err.value)
    sh("ip -n %s link set vc up" % pair.a)
    converge([{"parent": "va", "id": 11}, {"parent": "va", "id": 12, "addresses": ["10.12.0.1/24"]},
              {"parent": "va", "id": 13}, {"parent": "vc", "id": 11}], netns=pair.a)
    before = vlans(pair.a)
    res = converge([{"parent": "va", "id": 11, "mtu": 1300}], state="overridden", netns=pair.a, check_mode=True)
    assert res["changed"] and vlans(pair.a) == before
    res = converge([{"parent": "va", "id": 11, "mtu": 1300}, {"parent": "va", "id": 14}],
                   state="overridden", netns=pair.a)
    assert vlans(pair.a) == ["va.11", "va.14", "vc.11"]
    assert sorted(e["name"] for e in res["after"]) == ["va.11", "va.14"]
    assert link(pair.a, "va.11")["mtu"] == 1300
    res = converge([{"parent": "va", "id": 11, "addresses": ["10.11.0.1/24"]}], state="merged", netns=pair.a)
    assert link(pair.a, "va.11")["mtu"] == 1300 and addrs(pair.a, "va.11") == ["10.11.0.1/24"]
    res = converge([{"parent": "va", "id": 11}], state="replaced", netns=pair.a)
    assert link(pair.a, "va.11")["mtu"] == 1500 and addrs(pair.a, "va.11") == []
    res = converge([{"parent": "va", "id": 11}, {"parent": "va", "id": 14}, {"parent": "vc", "id": 11}],
                   state="deleted", netns=pair.a)
    assert res["changed"] and vlans(pair.a) == []
    assert converge([{"parent": "va", "id": 11}], state="deleted", netns=pair.a)["changed"] is False


def test_bad_input_touches_nothing(pair):
    with pytest.raises(core.VlanError) as err:
        converge([{"parent": "va", "id": 21}, {"parent": "va", "id": 22, "mtu": 9000}], netns=pair.a)
    assert "config[1] (va.22).mtu" in str(err.value) and "1500" in str(err.value)
    with pytest.raises(core.VlanError) as err:
        converge([{"parent": "va", "id": 21}, {"parent": "nope0", "id": 22}], netns=pair.a)
    assert "config[1] (nope0.22).parent" in str(err.value)
    assert vlans(pair.a) == []


def test_kernel_refusal_rolls_back(pair):
    sh("ip -n %s link add link va name other100 type vlan id 100" % pair.a)
    with pytest.raises(core.VlanError) as err:
        converge([{"parent": "va", "id": 31, "addresses": ["10.31.0.1/24"]}, {"parent": "va", "id": 100}],
                 netns=pair.a)
    assert "rolled back" in str(err.value)
    assert vlans(pair.a) == ["other100"]


def test_playbook_against_namespaces(pair):
    run_playbook("vlan_rails.yml", ns_a=pair.a, ns_b=pair.b)
    assert vlans(pair.a) == []
