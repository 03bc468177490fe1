# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The default workload: Open MPI's MPI_Allreduce over the emulated fabric, one ring per rail.

Like node 0 of a real cluster, mpirun runs in the first server's namespace.
Its hostfile names the servers' namespaces as hosts, and its rsh agent (a
small shell script in the job's directory; Open MPI calls it as
`agent [options] host command...`, as it would call ssh) starts each orted
with `ip netns exec <host> sh -c "<command>"`, so every rank runs in its
server's namespace. Rendezvous and the launcher's own traffic use the
management network (`oob_tcp_if_include mgmt0`); the ranks' data uses only
the fabric (`pml ob1`, `btl tcp,self`, `btl_tcp_if_include` = the ring's rail),
and the all-reduce is Open MPI's ring (`coll_tuned_allreduce_algorithm 4`),
the algorithm nccl-tests' bus bandwidth factor 2(n-1)/n describes. The
emulated servers share this host's CPUs, so idle ranks yield the CPU
(`mpi_yield_when_idle 1`) instead of spinning on it.

On a fabric with several rails (rail_optimized) the job runs one ring per
rail, as NCCL does there: R mpiruns start together, ring k restricted to
rail k and reducing its share of S (S/R bytes, split by float32 elements).
The job's JCT is the wall time from the first launch to the last ring's end,
measured here, outside mpirun. A job step ends when every ring has finished
it, so the job's step (and collective) time is the slowest ring's at that
step; algbw = S / the mean of those collective times.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import inspect
import os
import shutil
import subprocess
import tempfile

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.engine import quote
from ansible_collections.aifabric.emulation.plugins.module_utils.workload import metrics, parsers, runner

AGENT = """#!/bin/sh
# aifabric.emulation workload: Open MPI's rsh agent. Open MPI runs `agent [options] host command...`, as it
# would run ssh; the host is a network namespace, and the command is run there by sh, as sshd would.
while [ $# -gt 0 ]; do
  case "$1" in
    -*) shift ;;
    *) break ;;
  esac
done
host=$1
shift
# every orted on this machine shares its file system: a session directory of its own (TMPDIR is the ring's)
TMPDIR="${TMPDIR:-/tmp}/$host"
mkdir -p "$TMPDIR"
export TMPDIR
exec ip netns exec "$host" /bin/sh -c "$*"
"""
WORKDIR_PLACEHOLDER = "<workdir>"
RING_ALGORITHM = "4"  # coll_tuned_allreduce_algorithm: 4 = ring (Open MPI 4.1)


def split_counts(count, rings):
    """count float32 elements over rings: near-equal shares, the first ones one larger."""
    base, extra = divmod(count, rings)
    return [base + (1 if k < extra else 0) for k in range(rings)]


def _union(names):
    out = []
    for name in names:
        if name and name not in out:
            out.append(name)
    return out


def plan(job, ranks, workdir=WORKDIR_PLACEHOLDER):
    """The rings: [{rail, ifnames, ranks, bytes, argv, hostfile}] (pure)."""
    nrails = len(ranks[0]["rail_ifnames"])
    per_rail = job["per_rail"] if job["per_rail"] is not None else nrails > 1
    rails = list(range(nrails)) if per_rail else [None]
    counts = split_counts(job["bytes"] // 4, len(rails))
    n = len(ranks)
    for k, c in zip(rails, counts):
        if c < n:
            raise errors.ValidationError("bytes", "%d bytes over %d rings leave ring %s %d float32 elements, fewer "
                                         "than its %d ranks" % (job["bytes"], len(rails), k, c, n))
    local = not ranks[0]["netns"]
    hostfile = os.path.join(workdir, "hostfile")
    agent = os.path.join(workdir, "agent")
    driver = os.path.join(workdir, "allreduce_driver.py")
    mgmt = ",".join(_union(r["mgmt_ifname"] for r in ranks))
    rings = []
    for k, count in zip(rails, counts):
        if k is None:
            ifnames = _union(name for r in ranks for name in r["rail_ifnames"])
        else:
            ifnames = _union(r["rail_ifnames"][k] for r in ranks)
        argv = [job["mpirun"], "-np", str(n), "--allow-run-as-root", "--bind-to", "none", "--oversubscribe"]
        if local:
            argv += ["--host", "localhost:%d" % n]
        else:
            argv += ["--hostfile", hostfile, "--mca", "plm_rsh_agent", agent, "--mca", "plm_rsh_no_tree_spawn", "1"]
        argv += ["--mca", "mpi_yield_when_idle", "1",
                 "--mca", "oob_tcp_if_include", mgmt, "--mca", "pml", "ob1", "--mca", "btl", "tcp,self",
                 "--mca", "btl_tcp_if_include", ",".join(ifnames),
                 "--mca", "coll_tuned_use_dynamic_rules", "1",
                 "--mca", "coll_tuned_allreduce_algorithm", RING_ALGORITHM,
                 job["rank_python"], driver, "--bytes", str(4 * count), "--steps", str(job["steps"]),
                 "--compute", repr(job["compute_s"]), "--buckets", str(job["buckets"]), "--warmup", str(job["warmup"])]
        rings.append({"rail": k, "ifnames": ifnames, "ranks": n, "bytes": 4 * count,
                      "argv": runner.netns_argv(ranks[0]["netns"], argv)})
    hosts = "".join("%s slots=1\n" % r["netns"] for r in ranks) if not local else ""
    return {"per_rail": per_rail, "rings": rings, "hostfile": hosts, "workdir": workdir}


def driver_source():
    from ansible_collections.aifabric.emulation.plugins.module_utils.workload import allreduce_driver
    return inspect.getsource(allreduce_driver)


def preflight(job):
    if shutil.which(job["mpirun"]) is None:
        raise errors.ModuleError("mpirun", "%s is not installed: the all-reduce workload needs Open MPI and mpi4py "
                                 "(Debian: apt-get install --no-install-recommends openmpi-bin python3-mpi4py; "
                                 "tools/bootstrap installs them)" % job["mpirun"])
    try:
        res = subprocess.run([job["rank_python"], "-c", "import mpi4py"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=60, check=False)
    except OSError as e:
        raise errors.ModuleError("rank_python", "cannot run %s: %s" % (job["rank_python"], e))
    except subprocess.TimeoutExpired:
        raise errors.ModuleError("rank_python", "%s -c 'import mpi4py' hung" % job["rank_python"])
    if res.returncode != 0:
        raise errors.ModuleError("rank_python", "%s has no mpi4py (Debian: python3-mpi4py, built for the system "
                                 "python3): %s" % (job["rank_python"], res.stdout.decode("utf-8", "replace")[-300:]))


def _write(workdir, name, text, mode=0o644):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def run(job, ranks, check_mode=False):
    if check_mode:
        p = plan(job, ranks)
        return metrics.result("allreduce", ranks=len(ranks), bytes=sum(r["bytes"] for r in p["rings"]),
                              command=[quote.join(r["argv"]) for r in p["rings"]],
                              raw={"check_mode": True, "per_rail": p["per_rail"],
                                   "rings": [dict((k, r[k]) for k in ("rail", "ifnames", "ranks", "bytes"))
                                             for r in p["rings"]]})
    preflight(job)
    workdir = tempfile.mkdtemp(prefix="aifabric-workload-")
    try:
        p = plan(job, ranks, workdir)
        _write(workdir, "agent", AGENT, 0o755)
        _write(workdir, "allreduce_driver.py", driver_source())
        _write(workdir, "hostfile", p["hostfile"])
        env = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
        env.update(job["env"])
        job_run = runner.Job(job["timeout_s"], env)
        try:
            procs = []
            for i, ring in enumerate(p["rings"]):
                tmp = os.path.join(workdir, "ring%d" % i)  # Open MPI's session directories, one tree per ring
                os.mkdir(tmp)
                procs.append(job_run.start("ring%s" % ("" if ring["rail"] is None else ring["rail"]), ring["argv"],
                                           {"TMPDIR": tmp}))
            job_run.wait(procs)
        finally:
            job_run.close()
        return _result(p, procs, job_run.wall_s(), len(ranks))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _result(p, procs, wall, n):
    reports = []
    for ring, proc in zip(p["rings"], procs):
        report = parsers.driver(proc.stdout)
        if proc.returncode != 0 or report is None:
            where = "rail %s (%s)" % (ring["rail"], ",".join(ring["ifnames"])) if ring["rail"] is not None else \
                ",".join(ring["ifnames"])
            tail = (proc.stderr.strip() or proc.stdout.strip())[-1500:]
            raise errors.ModuleError("allreduce", "the ring on %s failed (mpirun exit %s%s): %s"
                                     % (where, proc.returncode, "" if report is None else ", with a report", tail))
        reports.append(report)
    steps = min(len(r["step_s"]) for r in reports)
    step_s = [max(r["step_s"][i] for r in reports) for i in range(steps)]
    comm_s = [max(r["comm_s"][i] for r in reports) for i in range(steps)]
    total = sum(ring["bytes"] for ring in p["rings"])
    alg, bus = metrics.bandwidths(total, metrics.mean(comm_s), n)
    per_rail = []
    for ring, proc, r in zip(p["rings"], procs, reports):
        ring_alg, ring_bus = metrics.bandwidths(ring["bytes"], metrics.mean(r["comm_s"]), n)
        entry = {"rail": ring["rail"], "ifnames": ring["ifnames"], "ranks": r["ranks"], "bytes": ring["bytes"],
                 "jct_s": proc.wall_s, "algbw_gbps": ring_alg, "busbw_gbps": ring_bus, "wrong": r["wrong"]}
        entry.update(metrics.step_figures(r["step_s"]))
        per_rail.append(entry)
    out = metrics.result("allreduce", jct_s=wall, ranks=n, bytes=total, algbw_gbps=alg, busbw_gbps=bus,
                         per_rail=per_rail, command=[quote.join(ring["argv"]) for ring in p["rings"]],
                         raw={"per_rail": p["per_rail"], "step_s": step_s, "comm_s": comm_s,
                              "comm_p50_s": metrics.percentile(comm_s, 50),
                              "comm_p99_s": metrics.percentile(comm_s, 99),
                              "wrong": sum(r["wrong"] for r in reports), "compute_s": reports[0]["compute_s"],
                              "warmup": reports[0]["warmup"], "buckets": reports[0]["buckets"],
                              "mpi": reports[0]["mpi"], "mpi4py": reports[0]["mpi4py"],
                              "rings": reports})
    out.update(metrics.step_figures(step_s))
    if out["raw"]["wrong"]:
        raise errors.ModuleError("allreduce", "the all-reduce returned %d wrong elements (each must be n(n+1)/2 = "
                                 "%g)" % (out["raw"]["wrong"], reports[0]["expected"]))
    return out
