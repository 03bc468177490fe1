# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workload's options, checked before anything runs. Pure, standard library only.

normalize(params) -> job: the module's parameters (after the argspec) with units
resolved (compute_s, timeout_s, bytes) and every value range checked; errors
name the option.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils import errors, validate
from ansible_collections.aifabric.emulation.plugins.module_utils.workload import argspec, units

ValidationError = errors.ValidationError


def _env(value, path):
    if value is None:
        return {}
    validate.mapping(value, path, "{NCCL_DEBUG: INFO}")
    out = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key or "=" in key or "\0" in key:
            raise ValidationError(path, "%r is not an environment variable name" % (key,))
        if isinstance(item, bool):
            item = "1" if item else "0"
        if isinstance(item, (dict, list)) or item is None:
            raise ValidationError("%s.%s" % (path, key), "an environment value is text or a number, not %s"
                                  % validate.describe(item))
        out[key] = str(item)
    return out


def _sub(params, name):
    """A type's option dict with the argspec's defaults filled in (the action plugin may pass it partial)."""
    spec = argspec.ARGUMENT_SPEC[name]["options"]
    given = params.get(name) or {}
    out = {}
    for key, option in spec.items():
        value = given.get(key)
        out[key] = option.get("default") if value is None else value
    return out


def normalize(params):
    p = params
    job = {"type": p.get("type") or "allreduce", "fabric": p.get("fabric"), "ranks": p.get("ranks"),
           "per_rail": p.get("per_rail"), "mpirun": p.get("mpirun") or "mpirun",
           "rank_python": p.get("rank_python") or "/usr/bin/python3"}
    if job["type"] not in argspec.TYPES:
        raise ValidationError("type", "%r is not one of %s" % (job["type"], ", ".join(argspec.TYPES)))
    if job["fabric"] is not None and job["ranks"] is not None:
        raise ValidationError("fabric", "give either fabric or ranks, not both")
    if job["fabric"] is not None:
        from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import stage
        try:
            stage.check_fabric_name(job["fabric"])
        except ValidationError as e:
            raise ValidationError("fabric", e.message)
    job["steps"] = validate.integer(p.get("steps", 20), "steps", low=1, high=10 ** 7)
    job["warmup"] = validate.integer(p.get("warmup", 1), "warmup", low=0, high=10 ** 6)
    job["buckets"] = validate.integer(p.get("buckets", 1), "buckets", low=1, high=10 ** 6)
    job["compute_s"] = units.parse_seconds(p.get("compute", "0"), "compute")
    job["timeout_s"] = units.parse_seconds(p.get("timeout", "300s"), "timeout")
    if job["timeout_s"] <= 0:
        raise ValidationError("timeout", "must be more than 0: a hung collective must not stall a sweep")
    job["repeats"] = p.get("repeats", 1) if p.get("repeats") is not None else 1
    if isinstance(job["repeats"], bool) or not isinstance(job["repeats"], int) or not 1 <= job["repeats"] <= 1000:
        raise ValidationError("repeats", "%r: a whole number from 1 to 1000" % (job["repeats"],))
    job["bytes"] = units.parse_bytes(p.get("bytes", "4MiB"), "bytes")
    job["env"] = _env(p.get("env"), "env")
    kind = job["type"]
    if kind == "allreduce":
        if job["bytes"] < 4 or job["bytes"] % 4:
            raise ValidationError("bytes", "%d is not a whole number of float32 elements (a multiple of 4, at "
                                  "least 4)" % job["bytes"])
        if job["bytes"] // 4 < job["buckets"]:
            raise ValidationError("buckets", "%d buckets of %d bytes leave some empty" % (job["buckets"], job["bytes"]))
    if kind == "iperf3":
        o = _sub(p, "iperf3")
        o["duration_s"] = units.parse_seconds(o["duration"], "iperf3.duration")
        if o["duration_s"] < 1 or o["duration_s"] != int(o["duration_s"]):
            raise ValidationError("iperf3.duration", "iperf3 takes whole seconds, at least 1 (got %r)" % o["duration"])
        validate.integer(o["streams"], "iperf3.streams", low=1, high=128)
        validate.integer(o["port"], "iperf3.port", low=1, high=65535)
        if o["bitrate"] is not None and not o["udp"]:
            o["bitrate"] = str(o["bitrate"])
        job["iperf3"] = o
    if kind in ("ib_write_bw", "ib_send_lat"):
        o = _sub(p, "perftest")
        if o["size"] is not None:
            o["size_bytes"] = units.parse_bytes(o["size"], "perftest.size")
        else:
            o["size_bytes"] = None
        validate.integer(o["iterations"], "perftest.iterations", low=1, high=10 ** 9)
        job["perftest"] = o
    if kind == "nccl_tests":
        o = _sub(p, "nccl_tests")
        o["env"] = _env(o["env"], "nccl_tests.env")
        if o["roce"] is not None:
            validate.mapping(o["roce"], "nccl_tests.roce", "the registered result of roce state=validated")
        job["nccl_tests"] = o
    if kind == "command":
        o = _sub(p, "command")
        if not o["argv"]:
            raise ValidationError("command.argv", "required: the command to run, as a list")
        from ansible_collections.aifabric.emulation.plugins.module_utils.workload import parsers
        o["compiled"] = parsers.compile_patterns(o["regex"])
        job["command"] = o
    return job
