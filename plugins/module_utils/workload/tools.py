# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The other workload types: iperf3, perftest (ib_write_bw, ib_send_lat), nccl-tests, command + regex.

Each builds its commands (pure, also for check mode), runs them through
runner.Job (one deadline, nothing left behind) and returns metrics.result().
Servers (iperf3 -s, perftest without a peer) run in the server rank's
namespace; clients in the client rank's, towards the server's address on the
chosen rail. A client started before its server listens is refused, and is
started again until the server answers or the deadline passes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.engine import quote
from ansible_collections.aifabric.emulation.plugins.module_utils.workload import metrics, parsers, runner

RETRY_PAUSE_S = 0.1


def _endpoint(ranks, index, what, rail):
    if not ranks:
        raise errors.ValidationError(what, "no ranks: give fabric or ranks")
    if index < 0 or index >= len(ranks):
        raise errors.ValidationError(what, "rank %d does not exist (there are %d ranks)" % (index, len(ranks)))
    rank = ranks[index]
    if rail < 0 or rail >= len(rank["rail_addresses"]):
        raise errors.ValidationError(what.rsplit(".", 1)[0] + ".rail", "rail %d does not exist (rank %d has %d)"
                                     % (rail, index, len(rank["rail_addresses"])))
    return rank


def _pair(ranks, o, section):
    if o["client"] == o["server"]:
        raise errors.ValidationError(section + ".client", "the client and the server are the same rank (%d)"
                                     % o["client"])
    server = _endpoint(ranks, o["server"], section + ".server", o["rail"])
    client = _endpoint(ranks, o["client"], section + ".client", o["rail"])
    return server, client


def _client_loop(job_run, name, argv, refused):
    """Start the client until it is not refused (its server not yet listening) or the deadline passes."""
    attempts = 0
    while True:
        attempts += 1
        proc = job_run.start(name, argv)
        job_run.wait([proc])
        # iperf3 -J exits 0 even when refused: the text decides
        if not refused(proc.stdout + proc.stderr) or job_run.remaining() <= RETRY_PAUSE_S:
            return proc, attempts
        time.sleep(RETRY_PAUSE_S)


def _failed(what, proc):
    tail = (proc.stderr.strip() or proc.stdout.strip())[-1500:]
    return errors.ModuleError(what, "%s exited %s: %s" % (quote.join(proc.argv), proc.returncode, tail))


# ---------------------------------------------------------------- iperf3 --


def iperf3_plan(job, ranks):
    o = job["iperf3"]
    server, client = _pair(ranks, o, "iperf3")
    address = server["rail_addresses"][o["rail"]]
    srv = ["iperf3", "-s", "-1", "-J", "-B", address, "-p", str(o["port"])]
    cli = ["iperf3", "-c", address, "-J", "-p", str(o["port"]), "-P", str(o["streams"]),
           "-t", str(int(o["duration_s"])), "-B", client["rail_addresses"][o["rail"]]]
    if o["udp"]:
        cli += ["-u", "-b", o["bitrate"] or "0"]
    elif o["bitrate"]:
        cli += ["-b", o["bitrate"]]
    cli += list(o["args"])
    return runner.netns_argv(server["netns"], srv), runner.netns_argv(client["netns"], cli)


def _iperf3_refused(text):
    return "unable to connect" in text or "Connection refused" in text


def iperf3(job, ranks, check_mode=False):
    srv, cli = iperf3_plan(job, ranks)
    commands = [quote.join(srv), quote.join(cli)]
    if check_mode:
        return metrics.result("iperf3", ranks=2, command=commands, raw={"check_mode": True})
    job_run = runner.Job(job["timeout_s"], job["env"])
    try:
        server = job_run.start("iperf3-server", srv)
        client, attempts = _client_loop(job_run, "iperf3-client", cli, _iperf3_refused)
        try:
            data = parsers.iperf3(client.stdout)
        except errors.ModuleError:
            raise _failed("iperf3", client)
        if data["error"]:
            raise errors.ModuleError("iperf3", "iperf3 reported: %s (%s)" % (data["error"], quote.join(cli)))
        if client.returncode != 0:
            raise _failed("iperf3", client)
        job_run.wait([server])
    finally:
        job_run.close()
    received = data["received_bps"] if data["received_bps"] is not None else data["sent_bps"]
    data["client_attempts"] = attempts
    try:
        data["server"] = parsers.iperf3(server.stdout)
    except errors.ModuleError:
        data["server"] = None
    nbytes = data["bytes_received"] if data["bytes_received"] is not None else data["bytes_sent"]
    return metrics.result("iperf3", jct_s=job_run.wall_s(), ranks=2, bytes=nbytes,
                          algbw_gbps=None if received is None else received / 1e9, command=commands, raw=data)


# -------------------------------------------------------------- perftest --


def perftest_plan(job, ranks):
    kind, o = job["type"], job["perftest"]
    server, client = _pair(ranks, o, "perftest")
    args = []
    if o["device"]:
        args += ["-d", o["device"]]
    if o["ib_port"] is not None:
        args += ["-i", str(o["ib_port"])]
    if o["gid_index"] is not None:
        args += ["-x", str(o["gid_index"])]
    if o["size_bytes"] is not None:
        args += ["-s", str(o["size_bytes"])]
    args += ["-n", str(o["iterations"]), "-p", str(o["port"]), "-F"]
    if o["rdma_cm"]:
        args += ["-R"]
    args += list(o["args"])
    srv = [kind] + args
    cli = [kind] + args + [server["rail_addresses"][o["rail"]]]
    return runner.netns_argv(server["netns"], srv), runner.netns_argv(client["netns"], cli)


def _perftest_refused(text):
    return "Couldn't connect" in text or "Unable to open file descriptor for socket connection" in text or \
        "Failed to connect" in text or "REJECTED" in text


def perftest(job, ranks, check_mode=False):
    kind = job["type"]
    srv, cli = perftest_plan(job, ranks)
    commands = [quote.join(srv), quote.join(cli)]
    if check_mode:
        return metrics.result(kind, ranks=2, command=commands, raw={"check_mode": True})
    job_run = runner.Job(job["timeout_s"], job["env"])
    try:
        server = job_run.start(kind + "-server", srv)
        client, attempts = _client_loop(job_run, kind + "-client", cli, _perftest_refused)
        if client.returncode != 0:
            raise _failed(kind, client)
        job_run.wait([server])
    finally:
        job_run.close()
    return perftest_result(kind, client.stdout, server.stdout, job_run.wall_s(), commands, attempts)


def perftest_result(kind, client_text, server_text, wall, commands, attempts=1):
    """The result of a perftest run from its client's (and server's) output."""
    if kind == "ib_send_lat":
        data = parsers.perftest_lat(client_text)
        if not data["rows"]:
            raise errors.ModuleError(kind, "no latency table in the output: %s" % client_text.strip()[-800:])
        row = data["rows"][-1]
        data["client_attempts"] = attempts
        return metrics.result(kind, jct_s=wall, ranks=2, bytes=row["bytes"], steps=row["iterations"],
                              step_p50_s=row["t_typical_us"] / 1e6,
                              step_p99_s=None if row["p99_us"] is None else row["p99_us"] / 1e6,
                              command=commands, raw=data)
    data = parsers.perftest_bw(client_text)
    if not data["rows"]:
        data = parsers.perftest_bw(server_text)
    if not data["rows"]:
        raise errors.ModuleError(kind, "no bandwidth table in the output: %s" % client_text.strip()[-800:])
    row = data["rows"][-1]
    data["client_attempts"] = attempts
    data["server"] = parsers.perftest_bw(server_text) if server_text else None
    return metrics.result(kind, jct_s=wall, ranks=2, bytes=row["bytes"] * row["iterations"], steps=row["iterations"],
                          algbw_gbps=parsers.perftest_gbps(row["bw_average"], data["unit"]), command=commands,
                          raw=data)


# ------------------------------------------------------------ nccl-tests --

ROCE_ENV = ("NCCL_IB_TC", "NCCL_IB_GID_INDEX", "NCCL_IB_HCA", "NCCL_SOCKET_IFNAME", "NCCL_IB_TIMEOUT",
            "NCCL_IB_RETRY_CNT", "NCCL_IB_SL")
MPI_LAUNCHERS = ("mpirun", "mpiexec", "orterun", "prterun")


def nccl_env(roce):
    """NCCL_* from the roce module's validated result (or its nccl_env alone)."""
    if not roce:
        return {}
    env = roce.get("nccl_env") if isinstance(roce.get("nccl_env"), dict) else roce
    return dict((k, str(v)) for k, v in sorted(env.items()) if k in ROCE_ENV and v is not None)


def nccl_tests_plan(job):
    o = job["nccl_tests"]
    env = nccl_env(o["roce"])
    env.update(o["env"])
    launcher = list(o["launcher"])
    if launcher and launcher[0].rsplit("/", 1)[-1] in MPI_LAUNCHERS:
        for key in sorted(env):
            launcher += ["-x", key]
    return launcher + [o["binary"]] + list(o["args"]), env


def nccl_tests(job, check_mode=False):
    argv, env = nccl_tests_plan(job)
    commands = [quote.join(["%s=%s" % kv for kv in sorted(env.items())] + argv) if env else quote.join(argv)]
    if check_mode:
        return metrics.result("nccl_tests", command=commands, raw={"check_mode": True, "env": env})
    penv = dict(job["env"])
    penv.update(env)
    job_run = runner.Job(job["timeout_s"], penv)
    try:
        proc = job_run.start("nccl-tests", argv)
        job_run.wait([proc])
    finally:
        job_run.close()
    if proc.returncode != 0:
        raise _failed("nccl_tests", proc)
    return nccl_tests_result(proc.stdout, job_run.wall_s(), commands, env, job["nccl_tests"]["binary"])


def nccl_tests_result(text, wall, commands, env=None, binary=None):
    data = parsers.nccl_tests(text)
    if not data["rows"]:
        raise errors.ModuleError("nccl_tests", "no nccl-tests table in the output: %s" % text.strip()[-800:])
    if data["ok"] is False or data["failures"]:
        raise errors.ModuleError("nccl_tests", "nccl-tests reported wrong results (out of bounds values: %s)%s"
                                 % (data["out_of_bounds"], "; " + "; ".join(data["failures"][:3])
                                    if data["failures"] else ""))
    largest = max(data["rows"], key=lambda r: r["size"])
    oop = largest["out_of_place"]
    data["env"] = env or {}
    data["collective_name"] = metrics.collective_of(data["collective"] or binary or "")
    return metrics.result("nccl_tests", jct_s=wall, ranks=data["nranks"], bytes=largest["size"],
                          step_p50_s=None, step_p99_s=None,
                          algbw_gbps=None if oop["algbw"] is None else oop["algbw"] * 8,
                          busbw_gbps=None if oop["busbw"] is None else oop["busbw"] * 8,
                          command=commands, raw=data)


# --------------------------------------------------------------- command --


def command_plan(job, ranks):
    o = job["command"]
    if not o["per_rank"]:
        return [(None, runner.netns_argv(o["netns"], o["argv"]), {})]
    if not ranks:
        raise errors.ValidationError("command.per_rank", "needs ranks: give fabric or ranks")
    master = ranks[0]["mgmt_address"] or ranks[0]["address"]
    out = []
    for i, rank in enumerate(ranks):
        ifnames = ",".join(rank["rail_ifnames"])
        env = {"RANK": str(i), "NODE_RANK": str(i), "WORLD_SIZE": str(len(ranks)), "LOCAL_RANK": "0",
               "MASTER_ADDR": master, "MASTER_PORT": str(o["master_port"]), "GLOO_SOCKET_IFNAME": ifnames,
               "NCCL_SOCKET_IFNAME": ifnames}
        out.append((i, runner.netns_argv(rank["netns"], o["argv"]), env))
    return out


def command(job, ranks, check_mode=False):
    o = job["command"]
    planned = command_plan(job, ranks)
    commands = [quote.join(["%s=%s" % kv for kv in sorted(env.items())] + argv) if env else quote.join(argv)
                for _i, argv, env in planned]
    if check_mode:
        return metrics.result("command", ranks=len(planned) if o["per_rank"] else None, command=commands,
                              raw={"check_mode": True})
    job_run = runner.Job(job["timeout_s"], job["env"])
    try:
        procs = [job_run.start("command" if i is None else "rank%s" % i, argv, env) for i, argv, env in planned]
        job_run.wait(procs)
    finally:
        job_run.close()
    for proc in procs:
        if proc.returncode != 0:
            raise _failed("command", proc)
    return command_result(procs[0].stdout + procs[0].stderr, job_run.wall_s(), commands, o["compiled"],
                          len(planned) if o["per_rank"] else None, [p.returncode for p in procs])


RESULT_METRICS = ("jct_s", "step_p50_s", "step_p99_s", "steps", "ranks", "bytes", "algbw_gbps", "busbw_gbps")


def command_result(text, wall, commands, compiled, ranks=None, returncodes=None):
    """Metrics from the output: a metric named like a result key fills it; `step_s` (every match) gives the step
    percentiles; the rest go to raw.metrics."""
    last, every = parsers.regex_metrics(text, compiled)
    fields = {"jct_s": wall, "ranks": ranks}
    if every.get("step_s"):
        steps = [v for v in every["step_s"] if isinstance(v, float)]
        fields.update(metrics.step_figures(steps))
    for key in RESULT_METRICS:
        if last.get(key) is not None:
            fields[key] = int(last[key]) if key in ("steps", "ranks", "bytes") else last[key]
    return metrics.result("command", command=commands,
                          raw={"metrics": last, "matches": every, "returncodes": returncodes or [],
                               "output_tail": text[-2000:]}, **fields)
