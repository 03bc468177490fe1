#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: workload
short_description: Run a training-like workload over an emulated fabric and measure it the same way every time
version_added: 0.4.0
description:
  - Runs one workload on the host that carries the fabric (the launcher) and returns the same keys for every type
    (RV(jct_s), RV(step_p50_s), RV(step_p99_s), RV(steps), RV(ranks), RV(bytes), RV(algbw_gbps), RV(busbw_gbps),
    RV(per_rail), RV(raw), RV(command)), null where a figure does not apply.
  - V(allreduce) (the default) is a real collective job with Open MPI's C(MPI_Allreduce) through mpi4py. Ranks run
    in the emulated servers' namespaces C(<fabric>-server<i>), their data crosses the emulated fabric, and the
    rendezvous uses the management network (C(mgmt0)). Each of O(steps) steps is O(compute) of emulated compute
    followed by an all-reduce of O(bytes) (optionally in O(buckets)). On a rail-optimized fabric it runs one ring
    per rail, as NCCL does (O(per_rail)). algbw and busbw follow nccl-tests (busbw = algbw x 2(n-1)/n).
  - V(iperf3) runs iperf3 (TCP or UDP, parallel streams) between two ranks; V(ib_write_bw) and V(ib_send_lat) run
    perftest between two ranks (soft-RoCE or hardware RDMA devices); V(nccl_tests) runs an nccl-tests binary on a
    real GPU cluster and parses its table, with C(NCCL_IB_TC), C(NCCL_IB_GID_INDEX) and the rest taken from the
    roce module's V(validated) result; V(command) runs anything else and takes its figures by regular expression.
  - Every process runs under one deadline, O(timeout). A job that overruns it is killed whole (process groups and
    every process that inherited the job's marker, orted daemons and ranks included) and the task fails naming
    C(timeout), so a hung collective does not stall a sweep.
  - The collection's C(docs/workloads.md) describes how each type is run and measured.
author:
  - aifabric.emulation contributors (@aifabric)
requirements:
  - V(allreduce) needs Open MPI and mpi4py for the rank Python (Debian C(openmpi-bin) and C(python3-mpi4py),
    which the collection's C(tools/bootstrap) installs); V(iperf3) needs iperf3; V(ib_write_bw) and
    V(ib_send_lat) need perftest; V(nccl_tests) needs nccl-tests built on the cluster.
extends_documentation_fragment:
  - aifabric.emulation.attributes
attributes:
  check_mode:
    support: full
    details: Reports the commands it would run, runs nothing; C(changed) is always false.
  diff_mode:
    support: none
options:
  type:
    description:
      - The workload.
    type: str
    choices: [allreduce, iperf3, ib_write_bw, ib_send_lat, nccl_tests, command]
    default: allreduce
  fabric:
    description:
      - A fabric staged on this host (aifabric.emulation.fabric); its servers C(<fabric>-server<i>) are the ranks, in
        the order of i, with their rails (C(rail<k>) or C(fab0)) and management addresses read from the kernel.
      - Mutually exclusive with O(ranks).
    type: str
  ranks:
    description:
      - The ranks, given explicitly instead of O(fabric).
    type: list
    elements: dict
    suboptions:
      netns:
        description:
          - The rank's network namespace on this host; leave it out (for every rank) to run the ranks here.
        type: str
      address:
        description:
          - The rank's fabric address (the server end of V(iperf3) and perftest).
        type: str
      rail_ifnames:
        description:
          - The interfaces the rank's data uses, one per rail.
        type: list
        elements: str
      mgmt_address:
        description:
          - The rank's management address (C(MASTER_ADDR) of V(command) with O(command.per_rank)).
        type: str
      mgmt_ifname:
        description:
          - The management interface the launcher's rendezvous uses.
        type: str
        default: mgmt0
  steps:
    description:
      - V(allreduce) steps (each O(compute), then the all-reduce).
    type: int
    default: 20
  warmup:
    description:
      - V(allreduce) untimed all-reduces before the first step (Open MPI connects lazily, on first use).
    type: int
    default: 1
  compute:
    description:
      - Emulated compute per step, a duration (C(20ms), C(1.5s); a plain number is seconds).
    type: str
    default: "0"
  bytes:
    description:
      - The all-reduce size S per step (C(4MiB), C(512K), C(1GB); K/M/G and KiB/MiB/GiB are powers of 1024, kB/MB/GB
        of 1000), a multiple of 4 (float32 elements).
    type: str
    default: 4MiB
  buckets:
    description:
      - Split each step's all-reduce into this many consecutive all-reduces of near-equal size (gradient buckets).
    type: int
    default: 1
  per_rail:
    description:
      - One ring per rail, ring k on rail k reducing its share of O(bytes) (as NCCL on rail-optimized fabrics).
      - Default true when the ranks have more than one rail; V(false) runs one ring over all rails.
    type: bool
  timeout:
    description:
      - The whole job's deadline, a duration; past it every process of the job is killed and the task fails naming
        C(timeout).
    type: str
    default: 300s
  repeats:
    description:
      - Run the job this many times, one after the other, in one task (each run is a whole job, started and timed
        as one; O(timeout) applies to each). Saves a task per run where starting a module is slow.
      - The result's figures are the last run's; RV(repeats) has every run's, a failed one as C(failed) and C(msg).
        The task fails when any run failed, after running them all.
      - 1 to 1000.
    type: int
    default: 1
  env:
    description:
      - Environment for every process of the job (mpirun passes it to the orted daemons and the ranks).
    type: dict
    default: {}
  mpirun:
    description:
      - The Open MPI launcher.
    type: str
    default: mpirun
  rank_python:
    description:
      - The Python the V(allreduce) ranks run; Debian's python3-mpi4py is built for the system python3.
    type: str
    default: /usr/bin/python3
  iperf3:
    description:
      - V(iperf3) options.
    type: dict
    suboptions:
      streams:
        description: Parallel streams (C(-P)).
        type: int
        default: 1
      udp:
        description: UDP instead of TCP (C(-u)).
        type: bool
        default: false
      bitrate:
        description: Target bitrate (C(-b), e.g. C(500M)); with UDP the default is unlimited (C(0)).
        type: str
      duration:
        description: Test length, whole seconds (C(-t)).
        type: str
        default: 5s
      client:
        description: The client's rank index.
        type: int
        default: 1
      server:
        description: The server's rank index.
        type: int
        default: 0
      rail:
        description: Which rail's addresses to use.
        type: int
        default: 0
      port:
        description: The server port.
        type: int
        default: 5201
      args:
        description: More client arguments.
        type: list
        elements: str
        default: []
  perftest:
    description:
      - V(ib_write_bw) and V(ib_send_lat) options.
    type: dict
    suboptions:
      device:
        description: The RDMA device (C(-d), e.g. C(rxe0), C(mlx5_0)).
        type: str
      ib_port:
        description: The device port (C(-i)).
        type: int
      gid_index:
        description: The GID index (C(-x)); the roce module's V(validated) result gives C(NCCL_IB_GID_INDEX).
        type: int
      size:
        description: Message size (C(-s)), a size.
        type: str
      iterations:
        description: Iterations (C(-n)).
        type: int
        default: 1000
      rdma_cm:
        description: Connect through RDMA-CM (C(-R)).
        type: bool
        default: false
      client:
        description: The client's rank index.
        type: int
        default: 1
      server:
        description: The server's rank index.
        type: int
        default: 0
      rail:
        description: Which rail's server address the client connects to.
        type: int
        default: 0
      port:
        description: The TCP port of the out-of-band exchange (C(-p)).
        type: int
        default: 18515
      args:
        description: More arguments for both sides.
        type: list
        elements: str
        default: []
  nccl_tests:
    description:
      - V(nccl_tests) options.
    type: dict
    suboptions:
      binary:
        description: The nccl-tests binary (C(all_reduce_perf), C(all_gather_perf), a path).
        type: str
        default: all_reduce_perf
      args:
        description: Its arguments.
        type: list
        elements: str
        default: ["-b", "8", "-e", "128M", "-f", "2", "-g", "1"]
      launcher:
        description:
          - A launcher in front of the binary (C([mpirun, -np, "16", --hostfile, hosts])); an mpirun-like launcher
            gets C(-x NAME) for every NCCL variable set.
        type: list
        elements: str
        default: []
      env:
        description: NCCL environment; it wins over what O(nccl_tests.roce) gives.
        type: dict
        default: {}
      roce:
        description:
          - The registered result of C(aifabric.emulation.roce) with C(state=validated) (or its C(nccl_env));
            C(NCCL_IB_TC), C(NCCL_IB_GID_INDEX), C(NCCL_IB_HCA) and C(NCCL_SOCKET_IFNAME) come from it.
        type: dict
  command:
    description:
      - V(command) options.
    type: dict
    suboptions:
      argv:
        description: The command, as a list.
        type: list
        elements: str
        required: true
      regex:
        description:
          - "C({metric: regex}): the last match's number (the regex's one group, or a group named C(value)) becomes
            the metric. A metric named like a result key (C(jct_s), C(algbw_gbps), C(busbw_gbps), C(bytes), ...)
            fills that key; C(step_s) takes every match as one step's time, for the step percentiles; the rest go
            to C(raw.metrics)."
        type: dict
        default: {}
      per_rank:
        description:
          - Run the command once per rank, in the rank's namespace, with C(RANK), C(WORLD_SIZE), C(MASTER_ADDR)
            (rank 0's management address), C(MASTER_PORT), C(GLOO_SOCKET_IFNAME) and C(NCCL_SOCKET_IFNAME) (the
            rank's rails) set, as torchrun and gloo expect; the regex reads rank 0's output.
        type: bool
        default: false
      netns:
        description: Without O(command.per_rank), the namespace to run the command in (default this one).
        type: str
      master_port:
        description: C(MASTER_PORT) with O(command.per_rank).
        type: int
        default: 29500
notes:
  - Nothing on the host is changed, so C(changed) is always false.
  - Hardware RoCE bypasses the kernel's qdiscs, so fabric impairments affect soft-RoCE (rdma_rxe) and TCP, never
    hardware RDMA (see C(docs/roce.md)).
seealso:
  - module: aifabric.emulation.fabric
  - module: aifabric.emulation.roce
"""

EXAMPLES = r"""
- name: All-reduce 4 MiB after 20 ms of compute, 50 steps, one ring per rail
  aifabric.emulation.workload:
    fabric: f1
    steps: 50
    compute: 20ms
    bytes: 4MiB
    timeout: 120s
  register: job

- name: Show the JCT and the bus bandwidth
  ansible.builtin.debug:
    msg: "{{ job.jct_s }} s, busbw {{ job.busbw_gbps }} Gbit/s, p99 step {{ job.step_p99_s }} s"

- name: iperf3 between server 0 and server 1, 4 TCP streams, on rail 1
  aifabric.emulation.workload:
    type: iperf3
    fabric: f1
    iperf3:
      streams: 4
      duration: 5s
      rail: 1

- name: ib_send_lat between two explicit ranks on soft-RoCE
  aifabric.emulation.workload:
    type: ib_send_lat
    ranks:
      - {address: 192.0.2.1, rail_ifnames: [eth1]}
      - {address: 192.0.2.1, rail_ifnames: [eth1]}
    perftest:
      device: rxe0
      size: "64"
      iterations: 1000

- name: nccl-tests on a GPU cluster, NCCL_IB_* from the roce pre-flight
  aifabric.emulation.workload:
    type: nccl_tests
    nccl_tests:
      binary: /opt/nccl-tests/build/all_reduce_perf
      args: ["-b", "8", "-e", "8G", "-f", "2", "-g", "1"]
      launcher: [mpirun, -np, "16", --hostfile, /etc/mpi/hosts]
      roce: "{{ preflight }}"
    timeout: 30m

- name: A torchrun training script on every emulated server, its step times by regex
  aifabric.emulation.workload:
    type: command
    fabric: f1
    command:
      per_rank: true
      argv: [torchrun, --nnodes=4, --nproc-per-node=1, --rdzv-backend=static, train.py]
      regex:
        step_s: 'step time: ([0-9.]+) s'
"""

RETURN = r"""
type:
  description: The workload type that ran.
  returned: always
  type: str
  sample: allreduce
jct_s:
  description: Job completion time, seconds, measured by the launcher from the first process's start to the last one's
    end (null in check mode).
  returned: always
  type: float
  sample: 2.43
step_p50_s:
  description: Median step time, seconds (V(allreduce) the slowest rank's whole step; V(ib_send_lat) t_typical).
  returned: always
  type: float
step_p99_s:
  description: 99th percentile step time, seconds (nearest rank).
  returned: always
  type: float
steps:
  description: Steps (or iterations) measured.
  returned: always
  type: int
ranks:
  description: Ranks of the collective (n in the bus bandwidth factor); 2 for point-to-point tests.
  returned: always
  type: int
bytes:
  description: Bytes of one collective (V(allreduce) S; V(nccl_tests) the largest size), or moved (V(iperf3)).
  returned: always
  type: int
algbw_gbps:
  description: Algorithm bandwidth S/t in Gbit/s (10^9 bit/s; nccl-tests prints GB/s, 8 times less); for V(iperf3)
    the received throughput, for V(ib_write_bw) the average bandwidth.
  returned: always
  type: float
busbw_gbps:
  description: Bus bandwidth in Gbit/s, algbw x the collective's nccl-tests factor (all-reduce 2(n-1)/n).
  returned: always
  type: float
per_rail:
  description: V(allreduce) one entry per ring (C(rail), C(ifnames), C(ranks), C(bytes), C(jct_s), C(step_p50_s),
    C(step_p99_s), C(steps), C(algbw_gbps), C(busbw_gbps), C(wrong)); null for other types.
  returned: always
  type: list
  elements: dict
raw:
  description: The type's own figures (the driver's per-step times, iperf3's JSON summary, perftest's or nccl-tests'
    table, regex matches).
  returned: always
  type: dict
command:
  description: The commands run (or, in check mode, that would run), as shell lines.
  returned: always
  type: list
  elements: str
repeats:
  description: Every run's result (the keys above), in order, when O(repeats) is more than 1; a failed run has C(failed)
    and C(msg).
  returned: when repeats > 1
  type: list
  elements: dict
  sample: [{"jct_s": 12.1, "step_p50_s": 0.16}, {"failed": true, "msg": "timeout: the workload ran past its timeout"}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aifabric.emulation.plugins.module_utils.workload.argspec import (
    ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_IF)
from ansible_collections.aifabric.emulation.plugins.module_utils.workload.resource import run_module


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF,
                           mutually_exclusive=MUTUALLY_EXCLUSIVE, supports_check_mode=True)
    run_module(module)


if __name__ == "__main__":
    main()
