"""Benchmark fabric staging and teardown against ip/tc, ip -batch/tc -batch and pyroute2, on the running kernel.

    tools/bench_fabric [--sizes 128,512,1024,4096] [--reps 3] [--per-command-max 1024] [--out FILE]

Plans: rail_optimized, 8 rails, 4 spines, l3, endpoints/8 servers, every
shaped end htb (compiler defaults: the leaf's end of each server link, both
ends of each uplink), compiled by fabric/compile.py; the ip/tc lines are
fabric/render.py's. Methods, interleaved (the order rotates every round),
medians of --reps rounds:

  stager      fabric/stage.py converge() (with its read-back and commands, as the module runs it);
              teardown: stage.teardown() (namespaces deleted in-process)
  ip-batch    render.batches(): one `ip -batch` / `tc -batch` / `ip netns exec sysctl` per namespace and phase;
              teardown link by link (one `ip -n NS -batch` of `link del` per namespace), then `ip -batch netns del`
  pyroute2    one call per object (NetNS per namespace, tc/route/addr/link calls); teardown: `ip -batch netns del`
  per-command every render.commands() line as its own process; teardown `ip netns del` per namespace

Also: a no-op re-stage against `ip -n NS -j link show` + `tc -n NS -j qdisc show` of every namespace; the time
until the kernel has freed the namespaces after each teardown (a veth from each into an observer namespace of
the benchmark's own goes when the kernel frees it); kernel slab per endpoint (/proc/meminfo Slab, staged minus
before). Run it alone on a quiet machine: it creates and deletes thousands of namespaces.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import COLLECTIONS, REPO, environment, log  # noqa: E402

sys.path.insert(0, COLLECTIONS)
_LINK = os.path.join(COLLECTIONS, "ansible_collections", "aifabric", "emulation")
if not os.path.lexists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(os.path.join("..", "..", "..", ".."), _LINK)

from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as fabric_compile  # noqa
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import render, stage  # noqa: E402
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import netns  # noqa: E402

METHODS = ("stager", "ip-batch", "pyroute2", "per-command")


class Counter:
    processes = 0


def sh(argv, stdin=None):
    Counter.processes += 1
    res = subprocess.run(argv, input=stdin, text=True, capture_output=True, check=False)
    if res.returncode:
        raise RuntimeError("%s exited %d: %s" % (" ".join(argv[:8]), res.returncode, res.stderr.strip()[-800:]))
    return res.stdout


def make_plan(fabric, endpoints):
    spec = {"name": fabric, "kind": "rail_optimized", "mode": "l3", "servers": endpoints // 8, "rails": 8,
            "spines": 4, "links": {"server_leaf": {"rate": "100gbit"}, "leaf_spine": {"rate": "400gbit"}}}
    return fabric_compile.compile_plan(spec)


def names(plan):
    return [n["name"] for n in plan["namespaces"]]


# ----------------------------------------------------------------- kernel --


class Observer:
    """A namespace of the benchmark's own holding one veth end per staged namespace: the kernel removes an end
    when it frees the namespace at the other, so an empty observer means every namespace is gone for good
    (netns deletion only unmounts; the kernel cleans up later, in a worker)."""

    def __init__(self):
        self.name = "bobs" + uuid.uuid4().hex[:6]
        netns.create([self.name])
        self.fd = os.open(netns.path_of(self.name), os.O_RDONLY)

    def attach(self, plan):
        from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl
        from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession
        for i, n in enumerate(names(plan)):
            with NetlinkSession(n) as s:
                s.request(*rtnl.new_veth_request("canary", "o%d" % i, up=False, peer_netns_fd=self.fd))

    def ends(self):
        from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl
        from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession
        with NetlinkSession(self.name) as s:
            return len(rtnl.dump_links(s)) - 1

    def close(self):
        os.close(self.fd)
        netns.delete([self.name])


OBSERVER = []


def slab_kb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("Slab:"):
                return int(line.split()[1])
    return None


def wait_freed(started, timeout=300.0):
    """Seconds from `started` until the kernel has freed every namespace of the plan (None: not within timeout)."""
    deadline = time.monotonic() + timeout
    while OBSERVER[0].ends():
        if time.monotonic() > deadline:
            log("namespaces not freed after %g s" % timeout)
            return None
        time.sleep(0.005)  # polling the kernel: the benchmark's clock, not a test's synchronisation
    return time.perf_counter() - started


# ---------------------------------------------------------------- methods --


def stage_stager(plan):
    res = stage.converge(plan)
    return {"requests": res["requests"], "processes": 0}


def teardown_stager(plan):
    stage.teardown(plan["fabric"])
    return {"processes": 0}


def stage_batch(plan):
    before = Counter.processes
    for tool, ns, lines in render.batches(plan):
        if tool == "sysctl":
            sh(["ip", "netns", "exec", ns, "sysctl", "-q", "-w"] + lines[0])
        else:
            sh([tool] + (["-n", ns] if ns else []) + ["-batch", "-"], render.batch_text(lines))
    return {"processes": Counter.processes - before}


def teardown_links(plan):
    """Link by link: every link a namespace created, deleted from it (a veth once), then the empty namespaces."""
    before = Counter.processes
    for ns in plan["namespaces"]:
        lines = ["link del %s" % l["ifname"] for l in ns["links"]]
        if lines:
            sh(["ip", "-n", ns["name"], "-batch", "-"], "\n".join(lines) + "\n")
    teardown_netns_batch(plan)
    return {"processes": Counter.processes - before}


def teardown_netns_batch(plan):
    before = Counter.processes
    sh(["ip", "-batch", "-"], "".join("netns del %s\n" % n for n in names(plan)))
    return {"processes": Counter.processes - before}


def stage_per_command(plan):
    before = Counter.processes
    for line in render.commands(plan):
        sh(shlex.split(line))
    return {"processes": Counter.processes - before}


def teardown_per_command(plan):
    before = Counter.processes
    for n in names(plan):
        sh(["ip", "netns", "del", n])
    return {"processes": Counter.processes - before}


def stage_pyroute2(plan):
    """One pyroute2 call per object: what a module built on pyroute2's IPRoute/NetNS would send."""
    from pyroute2 import NetNS, netns as p2netns
    spaces = plan["namespaces"]
    for n in spaces:
        p2netns.create(n["name"])
    for n in spaces:
        p2netns.pushns(n["name"])
        try:
            for key, value in n["sysctls"].items():
                with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
                    f.write(value)
        finally:
            p2netns.popns()
    handles = dict((n["name"], NetNS(n["name"])) for n in spaces)
    try:
        for n in spaces:
            ns = handles[n["name"]]
            for l in n["links"]:
                if l["kind"] == "veth":
                    ns.link("add", ifname=l["ifname"], kind="veth", mtu=l["mtu"],
                            peer={"ifname": l["peer"]["ifname"], "mtu": l["mtu"], "net_ns_fd": l["peer"]["netns"]})
                elif l["kind"] == "bridge":
                    ns.link("add", ifname=l["ifname"], kind="bridge", mtu=l["mtu"])
                else:
                    raise ValueError("the pyroute2 peer stages veth and bridge links, not %s" % l["kind"])
        ifaces = render._interfaces(plan)
        for n in spaces:
            ns = handles[n["name"]]
            index = dict((link.get_attr("IFLA_IFNAME"), link["index"]) for link in ns.get_links())
            ns.link("set", index=1, ifalias=render.OWNER_ALIAS % plan["fabric"])
            for port, bridge in sorted(n["masters"].items()):
                ns.link("set", index=index[port], master=index[bridge])
            for name in ["lo"] + ifaces[n["name"]]:
                ns.link("set", index=index[name], state="up")
            for a in n["addresses"]:
                address, plen = a["cidr"].split("/")
                ns.addr("add", index=index[a["ifname"]], address=address, prefixlen=int(plen))
            for r in n["routes"]:
                hops = r["nexthops"]
                if len(hops) == 1:
                    ns.route("add", dst=r["dst"], gateway=hops[0]["via"], oif=index[hops[0]["ifname"]])
                else:
                    ns.route("add", dst=r["dst"], multipath=[{"gateway": h["via"], "oif": index[h["ifname"]]}
                                                             for h in hops])
            for s in n["shaping"]:
                i, rate = index[s["ifname"]], "%dbit" % s["rate_bit"]
                ns.tc("add", "htb", i, 0x10000, default=1)
                ns.tc("add-class", "htb", i, 0x10001, parent=0x10000, rate=rate, ceil=rate, burst=s["burst_bytes"],
                      cburst=s["burst_bytes"], quantum=s["quantum_bytes"])
    finally:
        for handle in handles.values():
            handle.close()
    return {"processes": None}


STAGE = {"stager": stage_stager, "ip-batch": stage_batch, "pyroute2": stage_pyroute2,
         "per-command": stage_per_command}


def teardown_for(method, endpoints, link_max):
    if method == "stager":
        return "namespaces (in-process)", teardown_stager
    if method == "ip-batch":
        if endpoints <= link_max:
            return "link by link (ip -batch per namespace)", teardown_links
        return "ip -batch netns del", teardown_netns_batch
    if method == "pyroute2":
        return "ip -batch netns del", teardown_netns_batch
    return "ip netns del per namespace", teardown_per_command


def noop_and_dump(plan):
    t0 = time.perf_counter()
    res = stage.converge(plan)
    noop = time.perf_counter() - t0
    assert not res["changed"] and res["requests"] == 0, "the re-stage was not a no-op"
    t0 = time.perf_counter()
    for n in names(plan):
        sh(["ip", "-n", n, "-j", "link", "show"])
        sh(["tc", "-n", n, "-j", "qdisc", "show"])
    return noop, time.perf_counter() - t0


# -------------------------------------------------------------------- run --


def one(method, endpoints, rep, link_max):
    fabric = "b%s%s" % (method[0], uuid.uuid4().hex[:5])
    plan = make_plan(fabric, endpoints)
    base_slab = slab_kb()
    row = {"method": method, "endpoints": endpoints, "rep": rep, "namespaces": len(plan["namespaces"])}
    try:
        t0 = time.perf_counter()
        row.update(STAGE[method](plan))
        row["stage_s"] = time.perf_counter() - t0
        if method == "stager":
            row["slab_kb_per_endpoint"] = (slab_kb() - base_slab) / float(endpoints)
            row["noop_s"], row["dump_s"] = noop_and_dump(plan)
        row["teardown_by"], teardown = teardown_for(method, endpoints, link_max)
        OBSERVER[0].attach(plan)
        t0 = time.perf_counter()
        row["teardown_processes"] = teardown(plan)["processes"]
        row["teardown_s"] = time.perf_counter() - t0
        row["freed_s"] = wait_freed(t0)
    finally:
        left = netns.names(fabric + "-")
        if left:
            netns.delete(left)
            wait_freed(time.perf_counter())
    log("%-11s %5d endpoints rep %d: stage %.3f s, teardown %.3f s%s" % (
        method, endpoints, rep, row["stage_s"], row["teardown_s"],
        ", no-op %.3f s vs dump %.3f s" % (row["noop_s"], row["dump_s"]) if "noop_s" in row else ""))
    return row


def median(rows, key):
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def summary(rows, sizes):
    out = {}
    for size in sizes:
        entry = {}
        for method in METHODS:
            mine = [r for r in rows if r["endpoints"] == size and r["method"] == method]
            if not mine:
                continue
            entry[method] = dict((k, median(mine, k)) for k in (
                "stage_s", "teardown_s", "freed_s", "noop_s", "dump_s", "slab_kb_per_endpoint", "processes",
                "teardown_processes", "requests"))
            entry[method]["teardown_by"] = mine[0]["teardown_by"]
            entry[method]["namespaces"] = mine[0]["namespaces"]
        out[str(size)] = entry
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="128,512,1024,4096", help="endpoints (servers x 8 rails)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--per-command-max", type=int, default=1024, help="largest size for per-command ip/tc")
    parser.add_argument("--link-teardown-max", type=int, default=1024, help="largest size for link-by-link teardown")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--out", default=os.path.join(REPO, "tests", "output", "bench_fabric.json"))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_fabric: run as root (it creates network namespaces)")
    sizes = [int(s) for s in args.sizes.split(",")]
    methods = [m for m in args.methods.split(",") if m]
    rows = []
    load_before = os.getloadavg()
    OBSERVER.append(Observer())
    try:
        for rep in range(args.reps):
            for size in sizes:
                todo = [m for m in methods if m != "per-command" or size <= args.per_command_max]
                shift = rep % len(todo)
                for method in todo[shift:] + todo[:shift]:
                    rows.append(one(method, size, rep, args.link_teardown_max))
    finally:
        OBSERVER[0].close()
    env = environment(tool="bench_fabric", loadavg_before=load_before, loadavg_after=os.getloadavg())
    result = {"environment": env, "sizes": sizes, "reps": args.reps,
              "summary": summary(rows, sizes), "rows": rows}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print(json.dumps(result["summary"], indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
