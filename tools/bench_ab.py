"""A/B of the no-op paths: this checkout's cores against another revision's, in one lab VM run.

    tools/bench_ab [--old REV] [--reps 5]

The no-op re-run (converge on what is already converged) of the netem core
(500 interfaces) and of the VLAN core (1,000 VLANs with an address each) is
timed in-process, in child processes that import either revision's
module_utils, interleaved with the peer dump (`tc -j qdisc show`,
`ip -j link show`), so the ratios of both revisions come from the same
machine, kernel and minute. The VLAN apply (1,000 VLANs onto fresh parents)
is compared the same way with `ip -batch`. The old revision is exported with `git archive`
into tests/output/ab-<rev> (the guest sees the host's file system there).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import COLLECTIONS, REPO, environment, log  # noqa: E402

NETEM_CHILD = r"""
import os, sys, json, time
sys.path.insert(0, sys.argv[1])
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model
n, rules = int(sys.argv[2]), json.loads(sys.argv[3])
rules = model.normalize_rules(rules, os.uname()[2])
make = lambda: [core.Job("b%d" % i, rules, state="present", netns="bench") for i in range(n)]
core.converge(make())  # the revision's own first run (it may keep its own state record)
times = []
for _ in range(3):
    jobs = make()
    t0 = time.perf_counter(); core.converge(jobs); times.append(time.perf_counter() - t0)
    if any(j.result["changed"] for j in jobs):
        sys.exit("netem no-op changed something")
print(json.dumps(times))
"""

VLAN_CHILD = r"""
import sys, json, time
sys.path.insert(0, sys.argv[1])
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import core, model
cfg = json.loads(sys.argv[2])
times = []
if sys.argv[4] == "apply":
    t0 = time.perf_counter()
    result = core.converge(model.normalize_config(cfg), "merged", netns=sys.argv[3])
    times.append(time.perf_counter() - t0)
    if not result["changed"] or len(result["commands"]) != 2 * len(cfg):
        sys.exit("vlan apply: changed=%s, %d commands" % (result["changed"], len(result["commands"])))
    print(json.dumps(times))
    sys.exit(0)
for _ in range(3):
    t0 = time.perf_counter()
    result = core.converge(model.normalize_config(cfg), "merged", netns=sys.argv[3])
    times.append(time.perf_counter() - t0)
    if result["changed"]:
        sys.exit("vlan no-op changed something: %s" % result["commands"][:3])
print(json.dumps(times))
"""


def export(rev):
    path = os.path.join(REPO, "tests", "output", "ab-%s" % rev, "ansible_collections", "aifabric", "emulation")
    if not os.path.isdir(os.path.join(path, "plugins")):
        os.makedirs(path, exist_ok=True)
        archive = subprocess.run(["git", "-C", REPO, "archive", rev, "plugins"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", path], input=archive.stdout, check=True)
    return os.path.dirname(os.path.dirname(os.path.dirname(path)))


def child(code, path, *args):
    out = subprocess.run([sys.executable, "-c", code, path] + list(args), capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip()[-2000:])
    return json.loads(out.stdout)


def measure(label, reps, run_child, dump, old_path, reset=None, peer_reps=3):
    """reset: called before every timed child and peer run (apply needs a clean slate)."""
    rows = {"old": [], "new": [], "dump": []}
    for _ in range(reps):
        for tag, path in (("old", old_path), ("new", COLLECTIONS)):
            if reset:
                reset()
            rows[tag] += run_child(path)
        for _ in range(peer_reps):
            if reset:
                reset()
            rows["dump"].append(dump())
    out = {"times": rows}
    # the minimum is the cost without interference (other load on the host); the median is shown too
    for stat, fn in (("median", statistics.median), ("min", min)):
        v = dict((k, fn(x)) for k, x in rows.items())
        out[stat] = {"seconds": v, "old_ratio": v["old"] / v["dump"], "new_ratio": v["new"] / v["dump"],
                     "new_vs_old": v["new"] / v["old"]}
        log("%s (%s): old %.3f s (%.2fx the peer), new %.3f s (%.2fx), new/old %.2f; peer %.3f s"
            % (label, stat, v["old"], out[stat]["old_ratio"], v["new"], out[stat]["new_ratio"],
               out[stat]["new_vs_old"], v["dump"]))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--old", default="07ca2d0", help="the revision to compare with (default: before the engine)")
    p.add_argument("--reps", type=int, default=5, help="child runs per revision (3 timed no-ops each)")
    p.add_argument("--apply-reps", type=int, default=3, help="VLAN apply runs per revision (0: none)")
    p.add_argument("--json", default=os.path.join(REPO, "tests", "output", "bench_ab.json"))
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_ab.py: run as root (tools/bench_ab boots the lab VM)")
    old_path = export(args.old)
    os.environ["AIFABRIC_STATE_DIR"] = tempfile.mkdtemp(prefix="bench-ab-state-")
    import bench_netem
    import bench_vlan
    report = {"environment": environment(), "old": args.old}

    class NetemArgs:
        sizes, reps, reps_large, large, no_tcset = [500], 3, 3, 500, True
    netem = bench_netem.Bench(NetemArgs())
    try:
        netem.setup()
        netem.m_core_inproc(500)
        rules = json.dumps(bench_netem.USER_RULES)
        report["netem no-op, 500 interfaces, vs tc -j qdisc show"] = measure(
            "netem no-op", args.reps, lambda path: child(NETEM_CHILD, path, "500", rules),
            lambda: netem.m_dump(500), old_path)
    finally:
        netem.teardown()

    class VlanArgs:
        n, settle = 1000, 1.0
    vlan = bench_vlan.Bench(VlanArgs())
    subprocess.run(["modprobe", "8021q"], check=False)
    subprocess.run(["sysctl", "-qw", "net.core.rmem_max=4194304"], check=False)
    try:
        vlan.setup()
        vlan.m_core_inproc(changed=True)
        cfg = json.dumps(vlan.cfg)
        report["vlan no-op, 1,000 VLANs, vs ip -j link show"] = measure(
            "vlan no-op", args.reps, lambda path: child(VLAN_CHILD, path, cfg, bench_vlan.NS, "no-op"),
            vlan.m_dump, old_path)
        if args.apply_reps:
            report["vlan apply, 1,000 VLANs, vs ip -batch"] = measure(
                "vlan apply (the peer is ip -batch)", args.apply_reps,
                lambda path: child(VLAN_CHILD, path, cfg, bench_vlan.NS, "apply"), vlan.m_ip_batch, old_path,
                reset=vlan.parents, peer_reps=1)
    finally:
        vlan.teardown()
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
    log("wrote %s" % args.json)


if __name__ == "__main__":
    main()
