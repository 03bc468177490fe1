"""One side of the two-VM fabric test; runs inside a lab VM as root.

    fabric_guest.py a|b MAC MY_IP PEER_IP OUTDIR

Both VMs compile the same rail_optimized fabric (4 servers x 2 rails, 2 spines; see spec()): VM a (vmA)
stages servers 0-1 and every switch, VM b (vmB) servers 2-3, so every server link of servers 2-3 and the
management network cross between the VMs as VXLAN over the NIC with MAC, the loopback qemu link the host
test made. Per mode (l3, then l2, with the same VNIs): stage this VM's share through the stager's API, read
back with iproute2 (`ip -j -d`, `tc -j`) the namespaces that hold VXLANs and the root namespace, ping
across the VXLANs (same rail, across rails through the spines, management, a full-MTU and an oversize
packet with DF), re-stage (must be a no-op), tear down and look for leftovers. Before that, a fabric whose
VXLANs the underlay cannot carry must be refused with nothing made.

Everything happens in this one process (process starts cost 0.5-2 s under TCG): iproute2 and ping are
only oracles and probes, started all at once and waited for together.

The sides keep step over a TCP connection on the same link (a listens, b connects): a barrier is one JSON
line each way, so nothing waits for a fixed time. Every wait is bounded, a side that fails tells the other
before it tears its share down, and each side writes what it saw to OUTDIR/<role>.json for the host test
to judge (spec() and probes() are imported there too).
"""
import subprocess

MODULES = None
if __name__ == "__main__":  # in the guest (the host test imports this file for spec() and probes())
    # the kernel modules the fabric needs load while Python imports the rest (each autoload is a modprobe
    # process, about a second apiece under TCG); staging waits for this to exit
    MODULES = subprocess.Popen(["modprobe", "-a", "veth", "vxlan", "bridge", "sch_htb", "sch_netem"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

import errno  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, ".cache", "collections"))
from ansible_collections.aifabric.emulation.plugins.module_utils import errors  # noqa: E402
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as fabric_compile  # noqa: E402
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import stage  # noqa: E402
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import netns as nsmod  # noqa: E402

HOSTS = {"a": "vmA", "b": "vmB"}
MACS = {"a": "52:54:00:af:10:01", "b": "52:54:00:af:10:02"}
IPS = {"a": "10.252.0.1", "b": "10.252.0.2"}
PORT = 7471  # the control connection, on the underlay
MODES = ("l3", "l2")
CLASS_MTU = 1500  # the VMs' link NIC has MTU 1500: VXLAN leaves 1450 of it, which the compiler accounts for
REFUSED_MTU = 9000  # the default class MTU: its VXLANs (8950) do not fit a 1500 underlay


def spec(name, mode, devs, mtu=CLASS_MTU):
    """The fabric both VMs compile; devs: the link NIC's name on (vmA, vmB)."""
    return {"name": name, "kind": "rail_optimized", "mode": mode, "servers": 4, "rails": 2, "spines": 2,
            "links": {"server_leaf": {"rate": "100mbit", "delay": "50us", "mtu": mtu},
                      "leaf_spine": {"rate": "100mbit", "mtu": mtu}},
            "placement": {"hosts": [{"name": "vmA", "underlay": IPS["a"], "underlay_dev": devs[0], "servers": "0-1"},
                                    {"name": "vmB", "underlay": IPS["b"], "underlay_dev": devs[1], "servers": "2-3"}],
                          "switches": "vmA"}}


def compile_plan(name, mode, devs, mtu=CLASS_MTU):
    return fabric_compile.compile_plan(spec(name, mode, devs, mtu), hosts=sorted(HOSTS.values()))


def _address(plan, node, ifname):
    return plan["nodes"][node]["interfaces"][ifname]["address"].split("/")[0]


def probes(plan, role):
    """What this side pings: [{what, node, dev, dst, size (IP bytes with DF; None: a plain ping), reply}]."""
    vx = [link for link in plan["links"] if link["vxlan"]][0]["mtu"]

    def probe(what, node, dev, dst, size=None, reply=True):
        return {"what": what, "node": node, "dev": dev, "dst": dst, "size": size, "reply": reply}

    def mgmt(node):
        return plan["nodes"][node]["management_address"]

    if role == "a":
        return [probe("same rail", "server0", "rail0", _address(plan, "server2", "rail0")),
                probe("rail0 to rail1 through the spines", "server0", "rail0", _address(plan, "server2", "rail1")),
                probe("rail1 to rail0 through the spines", "server1", "rail1", _address(plan, "server3", "rail0")),
                probe("management", "server0", "mgmt0", mgmt("server3")),
                probe("full VXLAN MTU with DF", "server0", "rail0", _address(plan, "server2", "rail0"), vx),
                probe("one byte over the VXLAN MTU with DF", "server1", "rail0", _address(plan, "server2", "rail0"),
                      vx + 1, reply=False)]
    return [probe("same rail", "server2", "rail0", _address(plan, "server0", "rail0")),
            probe("rail1 to rail0 through the spines", "server3", "rail1", _address(plan, "server1", "rail0")),
            probe("vmB to vmB through vmA's rail leaf", "server2", "rail1", _address(plan, "server3", "rail1")),
            probe("management", "server2", "mgmt0", mgmt("server1")),
            probe("full VXLAN MTU with DF", "server2", "rail0", _address(plan, "server0", "rail0"), vx),
            probe("one byte over the VXLAN MTU with DF", "server3", "rail0", _address(plan, "server1", "rail0"),
                  vx + 1, reply=False)]


class Failed(Exception):
    """A bounded wait ran out, or the other side failed; the message says which."""


class Peer:
    """The control connection to the other VM: one JSON line per message."""

    def __init__(self, role, my_ip, peer_ip, timeout):
        deadline = time.monotonic() + timeout
        self.buf = b""
        if role == "a":
            with socket.socket() as listener:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind((my_ip, PORT))
                listener.listen(1)
                listener.settimeout(timeout)
                try:
                    self.sock = listener.accept()[0]
                except socket.timeout:
                    raise Failed("vmB did not connect within %d s" % timeout)
            return
        while True:
            try:
                self.sock = socket.create_connection((peer_ip, PORT), timeout=5)
                return
            except OSError as e:
                if time.monotonic() > deadline:
                    raise Failed("could not connect to vmA (%s) within %d s: %s" % (peer_ip, timeout, e))
                if not isinstance(e, socket.timeout) and e.errno not in (
                        errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT):
                    raise
            time.sleep(0.2)  # poll interval: vmA's listener is not up yet

    def send(self, msg):
        self.sock.sendall(json.dumps(msg).encode() + b"\n")

    def recv(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failed("the other VM said nothing for %d s" % timeout)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise Failed("the other VM closed the control connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def barrier(self, step, timeout, **info):
        """Say `step` is done here and wait until the other side says the same; its message."""
        self.send(dict(info, step=step))
        msg = self.recv(timeout)
        if msg.get("step") == "failed":
            raise Failed("the other VM failed: %s" % msg.get("error"))
        if msg.get("step") != step:
            raise Failed("out of step: here %r, the other VM %r" % (step, msg.get("step")))
        return msg

    def fail(self, error):
        try:
            self.send({"step": "failed", "error": error})
        except OSError:
            pass


def nic_by_mac(mac):
    for name in os.listdir("/sys/class/net"):
        with open("/sys/class/net/%s/address" % name) as f:
            if f.read().strip() == mac:
                return name
    raise Failed("no NIC with MAC %s" % mac)


def ip_counters():
    """The root namespace's IPv4 fragmentation and reassembly counters (/proc/net/snmp)."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Ip:")]
    stats = dict(zip(rows[0][1:], (int(v) for v in rows[1][1:])))
    return dict((k, stats[k]) for k in ("FragOKs", "FragCreates", "FragFails", "ReasmReqds", "ReasmOKs"))


def _json_docs(text):
    """The JSON documents `ip -j -batch` printed one after another."""
    decoder, docs, at = json.JSONDecoder(), [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return docs
        doc, at = decoder.raw_decode(text, at)
        docs.append(doc)


def _enter(ns):
    nsmod._libc()  # pylint: disable=protected-access  # loaded before the fork, not in the child
    fd = os.open(nsmod.path_of(ns), os.O_RDONLY)

    def enter():  # in the child, before exec
        nsmod._call("setns %s" % ns, "setns", fd, nsmod.CLONE_NEWNET)  # pylint: disable=protected-access
    return fd, enter


def _spawn(argv, stdin=None, ns=None):
    fd, enter = _enter(ns) if ns else (None, None)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=enter)
    finally:
        if fd is not None:
            os.close(fd)
    return proc, stdin


def vxlan_ends(ns):
    return [l["ifname"] for l in ns["links"] if l["kind"] == "vxlan"]


def observe(plan, host, role):
    """Read back with iproute2 every namespace of this host that holds a VXLAN, and the root namespace, and
    run the probes: every process at once. (The kernel tier reads back what stays within one host.)"""
    jobs = {}
    spaces = [ns for ns in plan["namespaces"] if ns["host"] == host and vxlan_ends(ns)]
    for ns in spaces:
        jobs[("ip", ns["name"])] = _spawn(["ip", "-n", ns["name"], "-j", "-d", "-batch", "-"],
                                          "link show\naddr show\nroute show\n")
        if ns["shaping"] or ns["netem"]:
            jobs[("tc", ns["name"])] = _spawn(["tc", "-n", ns["name"], "-j", "qdisc", "show"])
    jobs[("root", None)] = _spawn(["ip", "-j", "-d", "link", "show"])
    todo = probes(plan, role)
    for i, p in enumerate(todo):
        argv = ["ping", "-n", "-I", p["dev"]]
        if p["size"]:
            argv += ["-M", "do", "-s", str(p["size"] - 28)]  # ICMP payload: the IP packet less 20 + 8 bytes
        # -w: wait (up to 20 s) for both replies; without it ping waits two RTTs of the first reply for the
        # second, and RTTs under TCG vary tenfold
        argv += ["-c", "2", "-i", "0.5", "-w", "20"] if p["reply"] else ["-c", "1", "-W", "5"]
        jobs[("ping", i)] = _spawn(argv + [p["dst"]], ns=plan["nodes"][p["node"]]["netns"])
    seen = {"namespaces": {}, "qdiscs": {}, "root_links": None, "probes": todo}
    for (kind, key), (proc, stdin) in jobs.items():
        out, _err = proc.communicate(stdin, timeout=120)
        if kind == "ping":
            todo[key].update(rc=proc.returncode, output=out[-1500:])
            continue
        if proc.returncode:
            raise Failed("%s failed (%d): %s" % (" ".join(proc.args), proc.returncode, out[-500:]))
        if kind == "ip":
            links, addrs, routes = _json_docs(out)
            seen["namespaces"][key] = {"links": links, "addrs": addrs, "routes": routes}
        elif kind == "tc":
            seen["qdiscs"][key] = json.loads(out or "[]")
        else:
            seen["root_links"] = json.loads(out)
    return seen


def root_links():
    proc, _extra = _spawn(["ip", "-j", "-d", "link", "show"])
    out, _err = proc.communicate(timeout=60)
    return json.loads(out)


def refusal(devs, host):
    """A fabric whose VXLANs do not fit the underlay is refused before anything is made."""
    name = "mvmtu"
    plan = compile_plan(name, "l3", devs, mtu=REFUSED_MTU)
    out = {"fabric": name}
    try:
        stage.converge(plan, host=host)
        out["refused"] = False
    except errors.ValidationError as e:
        out.update(refused=True, param=e.param, message=e.message)
    out["leftovers"] = {"namespaces": nsmod.names(name + "-"),
                        "record": os.path.exists(stage.record_store(name).path)}
    return out


def run_mode(mode, devs, role, peer, staged):
    host = HOSTS[role]
    name = "mv" + mode
    plan = compile_plan(name, mode, devs)
    out = {"fabric": name, "spec_hash": plan["spec_hash"]}
    before = ip_counters()
    t = time.monotonic()
    staged.append(name)
    res = stage.converge(plan, host=host, commands=False)
    out["stage"] = {"changed": res["changed"], "requests": res["requests"], "created": res["created"],
                    "seconds": round(time.monotonic() - t, 2)}
    out["record_after_stage"] = os.path.exists(stage.record_store(name).path)
    other = peer.barrier("staged " + mode, 300, spec_hash=plan["spec_hash"])
    out["peer_spec_hash"] = other["spec_hash"]
    t = time.monotonic()
    out.update(observe(plan, host, role))
    out["observe_seconds"] = round(time.monotonic() - t, 2)
    out["counters"] = {"before": before, "after": ip_counters()}
    again = stage.converge(plan, host=host)
    out["restage"] = {"changed": again["changed"], "requests": again["requests"], "commands": again["commands"]}
    peer.barrier("probed " + mode, 300)
    t = time.monotonic()
    down = stage.teardown(plan, host=host)
    staged.remove(name)
    out["teardown"] = {"namespaces": down["namespaces"], "kept": down["kept"], "errors": down["errors"],
                       "seconds": round(time.monotonic() - t, 2)}
    out["leftovers"] = {"namespaces": nsmod.names(name + "-"),
                        "record": os.path.exists(stage.record_store(name).path), "root_links": root_links()}
    peer.barrier("down " + mode, 300)
    return out


def since_boot():
    """Seconds since the guest booted, and since this process started (the interpreter and its imports)."""
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    with open("/proc/self/stat") as f:
        started = int(f.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
    return round(uptime, 2), round(uptime - started, 2)


def main():
    role, mac, my_ip, peer_ip, outdir = sys.argv[1:6]
    start = time.monotonic()
    result = {"role": role, "host": HOSTS[role], "kernel": os.uname().release, "ok": False, "modes": {}}
    result["uptime_at_main"], result["process_age_at_main"] = since_boot()
    staged, peer = [], None
    try:
        dev = nic_by_mac(mac)
        setup = subprocess.run(["ip", "-batch", "-"], input="addr add %s/24 dev %s\nlink set %s up\n" % (
            my_ip, dev, dev), capture_output=True, text=True, check=False)
        if setup.returncode:
            raise Failed("configuring %s: %s" % (dev, setup.stdout + setup.stderr))
        with open("/sys/class/net/%s/mtu" % dev) as f:
            result.update(dev=dev, underlay_mtu=int(f.read()))
        peer = Peer(role, my_ip, peer_ip, 300)
        other = peer.barrier("hello", 60, dev=dev)
        devs = (dev, other["dev"]) if role == "a" else (other["dev"], dev)
        result["devs"] = devs
        result["main_to_hello_seconds"] = round(time.monotonic() - start, 2)
        modprobe = MODULES.communicate(timeout=300)[0].decode(errors="replace")
        if MODULES.returncode:
            raise Failed("modprobe failed (%d): %s" % (MODULES.returncode, modprobe))
        result["refusal"] = refusal(devs, HOSTS[role])
        for mode in MODES:
            result["modes"][mode] = run_mode(mode, devs, role, peer, staged)
        result["ok"] = True
    except Exception:  # pylint: disable=broad-except  # reported to the other side and in the result
        result["error"] = traceback.format_exc()
        if peer is not None:
            peer.fail(result["error"][-800:])
    finally:
        for name in staged:
            try:
                stage.teardown(name, host=HOSTS[role])
            except Exception as e:  # pylint: disable=broad-except
                result.setdefault("cleanup_errors", []).append("%s: %s" % (name, e))
        result["seconds"] = round(time.monotonic() - start, 2)
        with open(os.path.join(outdir, role + ".json"), "w") as f:
            json.dump(result, f, indent=1)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
