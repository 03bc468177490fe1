# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The all-reduce rank program: N steps of emulated compute, each followed by an MPI_Allreduce of S bytes.

It is not imported by the module: the workload module writes this file into
the job's directory and mpirun starts it with the rank Python (Debian's
python3, whose python3-mpi4py binds Open MPI). It needs only the standard
library and mpi4py (no numpy): the buffers are array('f') of float32, reduced
with MPI.FLOAT and MPI.SUM, as nccl-tests' default (float, sum).

    python3 allreduce_driver.py --bytes S --steps N --compute SECONDS [--buckets B] [--warmup W]

Every rank initialises its send buffer to rank + 1, so every element of the
result must be n(n+1)/2 (exact in float32 for small n); the last step's result
is checked whole and the elements that differ are counted (`wrong`, like
nccl-tests' #wrong). A step is sleep(compute) then the step's all-reduces (one
per bucket, in order, each of its share of S). Each rank times, per step, the
whole step and the all-reduces alone; rank 0 gathers them and prints one JSON
line tagged "AIFABRIC_ALLREDUCE ": per step the slowest rank's step time (the
step of a synchronous job ends when its last rank is done) and the ranks'
mean all-reduce time (nccl-tests averages its time over the ranks).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import array
import json
import sys
import time

TAG = "AIFABRIC_ALLREDUCE "
VERSION = 1


def parse_args(argv):
    opts = {"bytes": None, "steps": None, "compute": 0.0, "buckets": 1, "warmup": 1}
    it = iter(argv)
    for arg in it:
        key = arg.lstrip("-")
        if key not in opts:
            raise SystemExit("allreduce_driver: unknown option %s" % arg)
        opts[key] = float(next(it)) if key == "compute" else int(next(it))
    if opts["bytes"] is None or opts["steps"] is None:
        raise SystemExit("allreduce_driver: --bytes and --steps are required")
    return opts


def bucket_counts(count, buckets):
    """count float32 elements split into `buckets` near-equal parts (the first ones one larger)."""
    base, extra = divmod(count, buckets)
    return [base + (1 if i < extra else 0) for i in range(buckets) if base + (1 if i < extra else 0)]


def main(argv):
    from mpi4py import MPI  # imported here: the module reads this file's text, it never imports mpi4py

    opts = parse_args(argv)
    comm = MPI.COMM_WORLD
    n, rank = comm.Get_size(), comm.Get_rank()
    count = opts["bytes"] // 4
    counts = bucket_counts(count, max(1, opts["buckets"]))
    sends = [array.array("f", [float(rank + 1)]) * c for c in counts]
    recvs = [array.array("f", bytes(4 * c)) for c in counts]
    bufs = [([s, MPI.FLOAT], [r, MPI.FLOAT]) for s, r in zip(sends, recvs)]
    for _warm in range(opts["warmup"]):  # connections are opened lazily: not inside step 1
        for send, recv in bufs:
            comm.Allreduce(send, recv, op=MPI.SUM)
    comm.Barrier()
    steps, comms = [], []
    t_job = MPI.Wtime()
    for _step in range(opts["steps"]):
        t0 = MPI.Wtime()
        if opts["compute"] > 0:
            time.sleep(opts["compute"])
        t1 = MPI.Wtime()
        for send, recv in bufs:
            comm.Allreduce(send, recv, op=MPI.SUM)
        t2 = MPI.Wtime()
        steps.append(t2 - t0)
        comms.append(t2 - t1)
    job_s = MPI.Wtime() - t_job
    expected = n * (n + 1) / 2.0
    wrong = sum(len(r) - r.count(expected) for r in recvs)
    gathered = comm.gather({"step_s": steps, "comm_s": comms, "wrong": wrong, "job_s": job_s,
                            "host": MPI.Get_processor_name()}, root=0)
    if rank == 0:
        report = {
            "driver": "aifabric-allreduce", "version": VERSION, "ranks": n, "bytes": 4 * count,
            "buckets": len(counts), "steps": opts["steps"], "warmup": opts["warmup"], "compute_s": opts["compute"],
            "step_s": [max(g["step_s"][i] for g in gathered) for i in range(opts["steps"])],
            "comm_s": [sum(g["comm_s"][i] for g in gathered) / n for i in range(opts["steps"])],
            "loop_s": max(g["job_s"] for g in gathered),
            "wrong": sum(g["wrong"] for g in gathered), "expected": expected,
            "mpi": MPI.Get_library_version().replace("\0", "").splitlines()[0].strip(),
            "mpi4py": sys.modules["mpi4py"].__version__,
            "hosts": [g["host"] for g in gathered],
        }
        sys.stdout.write(TAG + json.dumps(report, sort_keys=True) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))  # a rank program run by mpirun, not an Ansible module
