"""A real RDMA transfer between two lab VMs on a unix-socket link, with RDMA-CM ToS set by the module.

Both VMs boot the trixie kernel, create rxe0 on their link NIC and set RDMA-CM's default ToS to 106
(DSCP 26, ECT(0)) through the roce module's core. ib_write_bw runs over RDMA-CM, and tcpdump on each
side captures the RoCEv2 packets (UDP 4791) of the whole transfer; every one of them must carry DSCP 26,
except CM DREPs that answer crossed DREQs at teardown (the kernel's CM sends those with ToS 0).
"""
import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter

from netlab import REPO

MACS = ("52:54:00:af:00:01", "52:54:00:af:00:02")
IPS = ("10.251.0.1", "10.251.0.2")


def boot(role, nic, mac, my_ip, peer_ip, outdir, log):
    cmd = [os.path.join(REPO, "tools", "labvm"), "--kernel", "trixie", "--memory", "1536M",
           "--nic", "%s,mac=%s" % (nic, mac), "run", "--",
           os.path.join(REPO, ".venv", "bin", "python"), os.path.join(REPO, "tests", "multivm", "guest_rdma.py"),
           role, mac, my_ip, peer_ip, outdir]
    return subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def test_rdma_between_two_vms_carries_the_module_dscp():
    tag = uuid.uuid4().hex[:8]
    outdir = os.path.join(REPO, "tests", "output", "multivm-" + tag)
    os.makedirs(outdir)
    sock = "/tmp/aifabric-lab-%s.sock" % tag
    procs = []
    try:
        with open(os.path.join(outdir, "server.log"), "w") as slog, open(os.path.join(outdir, "client.log"), "w") as clog:
            procs.append(boot("server", "stream,server=on,addr.type=unix,addr.path=" + sock, MACS[0], IPS[0], IPS[1],
                              outdir, slog))
            deadline = time.time() + 120
            while not os.path.exists(sock) and time.time() < deadline:
                time.sleep(0.5)
            assert os.path.exists(sock), "the server VM never opened the link socket"
            procs.append(boot("client", "stream,server=off,addr.type=unix,addr.path=" + sock, MACS[1], IPS[1], IPS[0],
                              outdir, clog))
            for proc in procs:
                proc.wait(timeout=900)
        results = {}
        for role in ("server", "client"):
            with open(os.path.join(outdir, role + ".json")) as f:
                results[role] = json.load(f)
        for role, res in results.items():
            assert res["ok"], (role, res)
            assert res["rdma_cm"] == {"tos": 106, "mode": "RoCE v2"}
            seen = Counter("%s from %s, tos 0x%02x" % (kind, src, tos) for tos, src, kind in res["packets"])
            # the whole transfer was captured: 200 writes of 4096 bytes at RoCE MTU 1024, client to server
            writes = [p for p in res["packets"] if p[2] == "data" and p[1] == IPS[1]]
            assert len(writes) >= 200 * 4096 // 1024, (role, seen)
            # The kernel's CM answers some MADs from the received MAD, not from a connection: a DREP to a
            # DREQ that crossed the side's own DREQ, a REJ to a REQ that arrived before the listener was up
            # (the client retries). Those leave with ToS 0 whatever RDMA-CM's default is.
            marked = [tos for tos, _src, kind in res["packets"] if kind not in ("CM DREP", "CM REJ")]
            assert {tos >> 2 for tos in marked} == {26}, (role, seen)
        # each capture saw both directions: the data and its acknowledgements
        assert set(results["server"]["sources"]) == set(IPS)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if os.path.exists(sock):
            os.unlink(sock)
