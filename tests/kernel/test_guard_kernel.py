"""The management guard on the running kernel: real namespaces, addresses, routes and /proc.

Every probe runs in a fresh PID namespace (unshare --pid --fork --mount-proc),
so its process ancestry is exactly what the test builds, never the SSH session
the test runner itself may have come in on.
"""
import json
import os
import subprocess
import sys
import uuid

import pytest

from netlab import COLLECTIONS, sh

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")

SERVER, CLIENT = "10.77.0.1", "10.55.0.9"
SSH = "%s 40000 %s 22" % (CLIENT, SERVER)

PROBE = r'''
import json, os, sys
sys.path.insert(0, %(collections)r)
from ansible_collections.aifabric.emulation.plugins.module_utils import errors, safety
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession

st = os.stat("/proc/self/ns/net")
out = {"own_netns": [st.st_dev, st.st_ino], "guards": {}, "compat": {}, "checks": {}}
conn = safety.find_connection()
out["connection"] = conn.describe() if conn else None
for ns in sys.argv[1:]:
    with NetlinkSession(ns) as s:
        guard = safety.Guard(s, ns)
        out["guards"][ns] = dict((str(k), v) for k, v in guard.interfaces().items())
        out["compat"][ns] = sorted(safety.management_ifindexes(s))
        try:
            guard.check([(i, "interface", "add a netem qdisc on its egress") for i in sorted(guard.interfaces())])
            out["checks"][ns] = None
        except errors.ModuleError as e:
            out["checks"][ns] = [e.param, e.message]
print(json.dumps(out))
''' % {"collections": COLLECTIONS}


class Lab:
    """A: the namespace the connection comes in on; B: every peer; D: a decoy with the same addresses."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.a, self.b, self.d = "gda" + tag, "gdb" + tag, "gdd" + tag

    def create(self):
        a, b, d = self.a, self.b, self.d
        for ns in (a, b, d):
            sh("ip netns add %s && ip -n %s link set lo up" % (ns, ns))
        for here, ns_here, there, ns_there in (("up0", a, "dn0", b), ("ret0", a, "ret1", b),
                                               ("dflt0", a, "dflt1", b), ("spare0", a, "spare1", b),
                                               ("dd0", d, "dd1", b)):
            sh("ip link add %s netns %s type veth peer %s netns %s" % (here, ns_here, there, ns_there))
            sh("ip -n %s link set %s up && ip -n %s link set %s up" % (ns_here, here, ns_there, there))
        # A: the server address on a macvlan over up0; the way back to the client over ret0;
        # a default route over dflt0 that the connection does not use; spare0 unrelated.
        sh("ip -n %s link add mgmt0 link up0 type macvlan mode bridge && ip -n %s link set mgmt0 up" % (a, a))
        sh("ip -n %s addr add %s/24 dev mgmt0" % (a, SERVER))
        sh("ip -n %s addr add 10.66.0.1/24 dev ret0" % a)
        sh("ip -n %s route add 10.55.0.0/24 via 10.66.0.2 dev ret0" % a)
        sh("ip -n %s addr add 10.44.0.1/24 dev dflt0 && ip -n %s route add default via 10.44.0.2" % (a, a))
        sh("ip -n %s addr add 10.33.0.1/24 dev spare0" % a)
        # D: the same server address and a default route that reaches the client, but no connection.
        sh("ip -n %s addr add %s/24 dev dd0 && ip -n %s route add default via 10.77.0.2" % (d, SERVER, d))

    def destroy(self):
        for ns in (self.a, self.b, self.d):
            sh("ip netns del %s" % ns, check=False)

    def index(self, ns, name):
        return json.loads(sh("ip -n %s -j link show dev %s" % (ns, name)).stdout)[0]["ifindex"]

    def names(self, ns, guard):
        by_index = dict((l["ifindex"], l["ifname"]) for l in json.loads(sh("ip -n %s -j link" % ns).stdout))
        return sorted(by_index[int(i)] for i in guard)


@pytest.fixture
def lab():
    lab = Lab()
    try:
        lab.create()
        yield lab
    finally:
        lab.destroy()


@pytest.fixture
def probe(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE)

    def run(command, namespaces):
        """command: a shell line ending in PROBE (replaced by the probe); returns the probe's JSON."""
        line = command.replace("PROBE", "%s %s %s" % (sys.executable, path, " ".join(namespaces)))
        res = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", line],
                             capture_output=True, text=True, timeout=60, env={"PATH": os.environ["PATH"]},
                             check=False)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)
    return run


def ns_inode(ns):
    st = os.stat("/run/netns/%s" % ns)
    return [st.st_dev, st.st_ino]


def test_connection_in_its_namespace_own_environment(lab, probe):
    out = probe("ip netns exec %s env SSH_CONNECTION='%s' PROBE" % (lab.a, SSH), [lab.a, lab.d])
    assert out["own_netns"] == ns_inode(lab.a)
    a = out["guards"][lab.a]
    assert lab.names(lab.a, a) == ["mgmt0", "ret0", "up0"]
    assert a[str(lab.index(lab.a, "mgmt0"))].startswith("holds %s, the address Ansible connected to" % SERVER)
    assert "route to %s via 10.66.0.2" % CLIENT in a[str(lab.index(lab.a, "ret0"))]
    assert "lower device of mgmt0" in a[str(lab.index(lab.a, "up0"))]
    assert all("ssh %s:40000 -> %s:22" % (CLIENT, SERVER) in why for why in a.values())
    assert out["compat"][lab.a] == sorted(int(i) for i in a)
    param, message = out["checks"][lab.a]
    assert param == "interface" and "carries the Ansible connection" in message
    assert message.endswith("set allow_management: true to add a netem qdisc on its egress anyway")
    # D holds the same address and routes to the client, but the connection is not there
    assert out["guards"][lab.d] == {} and out["compat"][lab.d] == [] and out["checks"][lab.d] is None


def test_ancestors_connection_and_namespace_under_an_env_reset(lab, probe):
    """Like sudo: the probe's own environment has no SSH_CONNECTION and it runs in D; its parent has it, in A."""
    out = probe("ip netns exec %s env SSH_CONNECTION='%s' sh -c 'ip netns exec %s env -u SSH_CONNECTION PROBE; "
                "exit $?'" % (lab.a, SSH, lab.d), [lab.a, lab.d])
    assert out["own_netns"] == ns_inode(lab.d)
    assert lab.names(lab.a, out["guards"][lab.a]) == ["mgmt0", "ret0", "up0"]
    assert out["guards"][lab.d] == {}


def test_no_connection_means_no_management_even_with_a_default_route(lab, probe):
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl
    from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession
    with NetlinkSession(lab.d) as s:  # what the former heuristic called management
        assert rtnl.default_route_ifindexes(s) == {lab.index(lab.d, "dd0")}
    local = json.dumps({"connection": "local", "host": "localhost", "port": None})
    for env in ("", "AIFABRIC_CONNECTION='%s'" % local):
        out = probe("ip netns exec %s env -u SSH_CONNECTION %s PROBE" % (lab.d, env), [lab.d, lab.a])
        assert out["connection"] is None
        assert out["guards"] == {lab.d: {}, lab.a: {}}
        assert out["compat"] == {lab.d: [], lab.a: []}


def test_remote_connection_without_ancestry_uses_the_controller_and_the_default_route(lab, probe):
    for host, expected in (("198.51.100.7", ["dd0"]), (SERVER, ["dd0"])):
        env = json.dumps({"connection": "ssh", "host": host, "port": 22})
        out = probe("ip netns exec %s env -u SSH_CONNECTION AIFABRIC_CONNECTION='%s' PROBE" % (lab.d, env),
                    [lab.d, lab.a])
        d = out["guards"][lab.d]
        assert lab.names(lab.d, d) == expected
        why = d[str(lab.index(lab.d, "dd0"))]
        assert "default route" in why and "as the controller reports" in why
        assert ("holds %s" % SERVER in why) == (host == SERVER)
        assert out["guards"][lab.a] == {}  # the module's own namespace is D: A is not on the way
