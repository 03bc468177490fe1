"""One side of the two-VM soft-RoCE test; runs inside a lab VM as root.

    guest_rdma.py server|client MAC MY_IP PEER_IP OUTDIR

Brings up the NIC with MAC, creates rxe0 and sets RDMA-CM ToS 106 through the
roce module's core, runs ib_write_bw over RDMA-CM while tcpdump captures the
RoCEv2 packets (UDP 4791), and writes OUTDIR/<role>.json.
"""
import json
import os
import re
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, ".cache", "collections"))
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import core, model  # noqa: E402


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False)


def nic_by_mac(mac):
    for name in os.listdir("/sys/class/net"):
        with open("/sys/class/net/%s/address" % name) as f:
            if f.read().strip() == mac:
                return name
    raise SystemExit("no NIC with MAC %s" % mac)


def main():
    role, mac, my_ip, peer_ip, outdir = sys.argv[1:6]
    result = {"role": role, "ok": False}
    try:
        dev = nic_by_mac(mac)
        sh("ip addr add %s/24 dev %s; ip link set %s up; modprobe rdma_rxe; modprobe rdma_cm" % (my_ip, dev, dev))
        want = model.normalize({"soft_roce": {"name": "rxe0"}, "rdma_cm": {"tos": 106, "mode": "RoCE v2"}})
        core.apply(core.plan(want, core.gather(dev), "merged"), dev)
        facts = core.gather(dev)
        result["rdma_cm"], result["netdev"] = facts["rdma_cm"], dev
        pcap = os.path.join(outdir, role + ".pcap")
        dump = subprocess.Popen(["tcpdump", "-U", "-n", "-i", dev, "-w", pcap, "udp port 4791"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2)
        bw = ["ib_write_bw", "-R", "-d", "rxe0", "-s", "4096", "-n", "200", "-F"]
        if role == "server":
            run = subprocess.run(bw, capture_output=True, text=True, timeout=400, check=False)
        else:
            deadline = time.time() + 300
            while sh("ping -c 1 -W 1 %s" % peer_ip).returncode and time.time() < deadline:
                time.sleep(1)
            while True:
                run = subprocess.run(bw + [peer_ip], capture_output=True, text=True, timeout=120, check=False)
                if run.returncode == 0 or time.time() > deadline:
                    break
                time.sleep(3)
        time.sleep(1)
        dump.terminate()
        dump.wait()
        text = sh("tcpdump -n -v -r %s" % pcap).stdout
        result.update(ib_write_bw_rc=run.returncode, ib_write_bw_tail=(run.stdout + run.stderr)[-1500:],
                      tos=[int(t, 16) for t in re.findall(r"tos 0x([0-9a-f]+)", text)],
                      sources=sorted(set(re.findall(r"(\d+\.\d+\.\d+\.\d+)\.\d+ > ", text))),
                      ok=run.returncode == 0)
    finally:
        with open(os.path.join(outdir, role + ".json"), "w") as f:
            json.dump(result, f)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
