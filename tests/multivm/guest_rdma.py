"""One side of the two-VM soft-RoCE test; runs inside a lab VM as root.

    guest_rdma.py server|client MAC MY_IP PEER_IP OUTDIR

Brings up the NIC with MAC, creates rxe0 and sets RDMA-CM ToS 106 through the
roce module's core, runs ib_write_bw over RDMA-CM while tcpdump captures the
RoCEv2 packets (UDP 4791), and writes OUTDIR/<role>.json.

No fixed sleeps: the transfer starts once tcpdump reports it is listening, the
client polls the peer with ping and retries ib_write_bw until the server's
RDMA-CM listener answers, and the capture ends once tcpdump has written an
end marker datagram sent after the transfer (packets are written in order).
"""
import json
import os
import select
import socket
import struct
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


class Failed(Exception):
    """A bounded wait ran out; the message says for what."""


MARKER_PORT = 9  # discard: the end-of-capture marker datagram


def start_capture(dev, pcap):
    """tcpdump the RoCEv2 packets and end markers on dev; return once tcpdump says it is listening."""
    dump = subprocess.Popen(["tcpdump", "-U", "-n", "-i", dev, "-w", pcap,
                             "udp port 4791 or udp port %d" % MARKER_PORT],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    fd, said = dump.stderr.fileno(), b""
    deadline = time.monotonic() + 120
    while b"listening on" not in said:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            dump.kill()
            raise Failed("tcpdump did not start listening within 120 s: %r" % said)
        chunk = os.read(fd, 4096)
        if not chunk:
            raise Failed("tcpdump exited (%s) before listening: %r" % (dump.wait(), said))
        said += chunk
    return dump


def end_capture(dump, pcap, peer_ip, token):
    """Send a marker after the transfer and stop tcpdump once it has written it: every earlier packet is in."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(token, (peer_ip, MARKER_PORT))  # the peer's ARP entry is fresh from the transfer
    seen, offset, deadline = b"", 0, time.monotonic() + 60
    try:
        while token not in seen:
            if time.monotonic() > deadline:
                raise Failed("tcpdump did not write the end marker within 60 s")
            with open(pcap, "rb") as f:
                f.seek(offset)
                new = f.read()
            offset += len(new)
            seen = seen[-len(token):] + new
            if token not in seen:
                time.sleep(0.1)  # poll interval
    finally:
        dump.terminate()
        dump.wait()


CM_ATTRS = {0x10: "REQ", 0x11: "MRA", 0x12: "REJ", 0x13: "REP", 0x14: "RTU", 0x15: "DREQ", 0x16: "DREP"}


def roce_packets(pcap):
    """(ToS, source IP, kind) of every RoCEv2 packet (IPv4, UDP port 4791) in an Ethernet pcap.

    kind is "CM <message>" for connection-manager MADs (to QP 1), else "data".
    """
    with open(pcap, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    found, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        frame, off = data[off + 16:off + 16 + incl], off + 16 + incl
        if frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        udp = ip[(ip[0] & 15) * 4:]
        if ip[9] != 17 or struct.unpack(">H", udp[2:4])[0] != 4791:
            continue
        bth = udp[8:20]
        kind = "data"
        if int.from_bytes(bth[5:8], "big") == 1:  # GSI QP: a MAD after BTH and DETH
            mad = udp[28:]
            if mad[1:2] == b"\x07":
                attr = struct.unpack(">H", mad[16:18])[0]
                kind = "CM " + CM_ATTRS.get(attr, hex(attr))
            else:
                kind = "MAD class 0x%02x" % mad[1]
        found.append((ip[1], ".".join(str(b) for b in ip[12:16]), kind))
    return found


def wait_for_peer(peer_ip, timeout):
    deadline = time.monotonic() + timeout
    while sh("ping -c 1 -W 1 %s" % peer_ip).returncode:
        if time.monotonic() > deadline:
            raise Failed("peer %s did not answer ping within %d s" % (peer_ip, timeout))
        time.sleep(0.5)  # poll interval (ping itself waits up to 1 s)


def main():
    role, mac, my_ip, peer_ip, outdir = sys.argv[1:6]
    result = {"role": role, "ok": False}
    dump = None
    try:
        dev = nic_by_mac(mac)
        sh("ip addr add %s/24 dev %s; ip link set %s up; modprobe rdma_rxe; modprobe rdma_cm" % (my_ip, dev, dev))
        want = model.normalize({"soft_roce": {"name": "rxe0"}, "rdma_cm": {"tos": 106, "mode": "RoCE v2"}})
        core.apply(core.plan(want, core.gather(dev), "merged"), dev)
        facts = core.gather(dev)
        result["rdma_cm"], result["netdev"] = facts["rdma_cm"], dev
        pcap = os.path.join(outdir, role + ".pcap")
        dump = start_capture(dev, pcap)
        bw = ["ib_write_bw", "-R", "-d", "rxe0", "-s", "4096", "-n", "200", "-F"]
        if role == "server":
            run = subprocess.run(bw, capture_output=True, text=True, timeout=400, check=False)
        else:
            deadline = time.monotonic() + 300
            wait_for_peer(peer_ip, 300)
            # until the server's ib_write_bw listens, RDMA-CM rejects the connection: retry until then
            while True:
                run = subprocess.run(bw + [peer_ip], capture_output=True, text=True, timeout=120, check=False)
                if run.returncode == 0 or time.monotonic() > deadline:
                    break
                time.sleep(1)  # poll interval
        result.update(ib_write_bw_rc=run.returncode, ib_write_bw_tail=(run.stdout + run.stderr)[-1500:])
        end_capture(dump, pcap, peer_ip, ("aifabric-capture-end-%s-%d" % (role, os.getpid())).encode())
        dump = None
        packets = roce_packets(pcap)
        result.update(packets=[list(p) for p in packets],
                      sources=sorted({src for _tos, src, _kind in packets}),
                      ok=run.returncode == 0)
    except Failed as err:
        result["error"] = str(err)
    finally:
        if dump is not None:
            dump.kill()
            dump.wait()
        with open(os.path.join(outdir, role + ".json"), "w") as f:
            json.dump(result, f)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
