# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of what the workload tools print. Pure, standard library only.

- nccl_tests(text): the table of all_reduce_perf (and every other nccl-tests
  binary): header (version, NCCL version, parameters, one line per rank),
  rows (size, count, type, redop, root, then time/algbw/busbw/#wrong out of
  place and in place; #wrong may be N/A), the out-of-bounds verdict and the
  average bus bandwidth. Lines it does not know (MPI warnings, NCCL INFO) are
  skipped. Units stay nccl-tests' own: time in us, bandwidths in GB/s.
- iperf3(text): iperf3 -J (TCP or UDP, any number of streams).
- perftest_bw(text) / perftest_lat(text): ib_write_bw / ib_send_lat (and the
  other perftest BW and latency tests), server or client side.
- driver(text): the JSON line the collection's all-reduce rank program prints.
- regex_metrics(text, patterns): {metric: regex} for anything else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.aifabric.emulation.plugins.module_utils import errors

DRIVER_TAG = "AIFABRIC_ALLREDUCE "

# ------------------------------------------------------------ nccl-tests --

_NT_VERSION = re.compile(r"^#\s*nccl-tests version (\S+)(?:\s+nccl-headers=(\d+))?(?:\s+nccl-library=(\d+))?")
_NT_START = re.compile(r"^#\s*Collective test starting:\s*(\S+)")
_NT_RANK = re.compile(r"^#\s*Rank\s+(\d+)(?:\s+Group\s+(\d+))?\s+Pid\s+(\d+)\s+on\s+(\S+)\s+device\s+(\d+)\s+"
                      r"\[([^\]]*)\]\s*(.*?)\s*$")
_NT_NCCL = re.compile(r"^\s*NCCL version (\S+)")
_NT_OOB = re.compile(r"^#\s*Out of bounds values\s*:\s*(\d+)\s+(\S+)")
_NT_AVG = re.compile(r"^#\s*Avg bus bandwidth\s*:\s*([0-9.eE+-]+)")
_NT_PARAM = re.compile(r"(nThread|nGpus|minBytes|maxBytes|warmup iters|agg iters|iters|validation|graph|unalign)"
                       r":?\s+(-?\d+)")
_NT_FAIL = re.compile(r"(Test (?:NCCL|CUDA|HIP) failure|NCCL WARN|Test failure)")


def _num(text):
    if text == "N/A":
        return None
    return float(text)


def _wrong(text):
    return None if text == "N/A" else int(float(text))


def _nt_row(tokens):
    """A table row's tokens -> dict, or None when the line is not a row."""
    if len(tokens) not in (12, 13) or not tokens[0].isdigit() or not tokens[1].isdigit():
        return None
    with_root = len(tokens) == 13
    rest = tokens[5:] if with_root else tokens[4:]
    try:
        row = {
            "size": int(tokens[0]), "count": int(tokens[1]), "type": tokens[2], "redop": tokens[3],
            "root": int(tokens[4]) if with_root else None,
            "out_of_place": {"time_us": _num(rest[0]), "algbw": _num(rest[1]), "busbw": _num(rest[2]),
                             "wrong": _wrong(rest[3])},
            "in_place": {"time_us": _num(rest[4]), "algbw": _num(rest[5]), "busbw": _num(rest[6]),
                         "wrong": _wrong(rest[7])},
        }
    except ValueError:
        return None
    return row


def nccl_tests(text):
    """Everything nccl-tests reports, as data (units: us and GB/s, as printed)."""
    out = {"version": None, "nccl_headers": None, "nccl_library": None, "nccl_version": None, "collective": None,
           "params": {}, "devices": [], "nranks": None, "rows": [], "out_of_bounds": None, "ok": None,
           "avg_busbw": None, "failures": []}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            m = _NT_VERSION.match(stripped)
            if m:
                out["version"], out["nccl_headers"], out["nccl_library"] = m.group(1), m.group(2), m.group(3)
                continue
            m = _NT_START.match(stripped)
            if m:
                out["collective"] = m.group(1)
                continue
            m = _NT_RANK.match(stripped)
            if m:
                out["devices"].append({"rank": int(m.group(1)), "group": int(m.group(2) or 0),
                                       "pid": int(m.group(3)), "host": m.group(4), "device": int(m.group(5)),
                                       "bus_id": m.group(6), "name": m.group(7)})
                continue
            m = _NT_OOB.match(stripped)
            if m:
                out["out_of_bounds"], out["ok"] = int(m.group(1)), m.group(2) == "OK"
                continue
            m = _NT_AVG.match(stripped)
            if m:
                out["avg_busbw"] = float(m.group(1))
                continue
            if "nThread" in stripped and "minBytes" in stripped:
                for key, value in _NT_PARAM.findall(stripped):
                    out["params"][key.replace(" ", "_")] = int(value)
            continue
        m = _NT_NCCL.match(stripped)
        if m:
            out["nccl_version"] = m.group(1)
            continue
        row = _nt_row(stripped.split())
        if row is not None:
            out["rows"].append(row)
            continue
        if _NT_FAIL.search(stripped):
            out["failures"].append(stripped)
    ranks = set(d["rank"] for d in out["devices"])
    out["nranks"] = len(ranks) if ranks else None
    return out


# ---------------------------------------------------------------- iperf3 --


def iperf3(text):
    """iperf3 -J's figures: throughput sent and received (bit/s), bytes, retransmits, UDP loss and jitter."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise errors.ModuleError("iperf3", "iperf3 -J printed no JSON (%s): %s" % (e, text.strip()[-300:]))
    if not isinstance(data, dict):
        raise errors.ModuleError("iperf3", "iperf3 -J printed %s, not an object" % type(data).__name__)
    start, end = data.get("start") or {}, data.get("end") or {}
    test = start.get("test_start") or {}
    out = {"error": data.get("error"), "protocol": test.get("protocol"), "streams": test.get("num_streams"),
           "duration_s": test.get("duration"), "version": start.get("version"),
           "sent_bps": None, "received_bps": None, "bytes_sent": None, "bytes_received": None, "seconds": None,
           "retransmits": None, "jitter_ms": None, "lost_packets": None, "packets": None, "lost_percent": None,
           "cpu": end.get("cpu_utilization_percent"), "intervals_bps": []}
    sent, received = end.get("sum_sent"), end.get("sum_received")
    if sent:
        out.update(sent_bps=sent.get("bits_per_second"), bytes_sent=sent.get("bytes"), seconds=sent.get("seconds"),
                   retransmits=sent.get("retransmits"))
    if received:
        out.update(received_bps=received.get("bits_per_second"), bytes_received=received.get("bytes"))
    udp = received if received and "lost_packets" in received else end.get("sum")  # the receiver's, when given
    if out["protocol"] == "UDP" and udp:
        out.update(jitter_ms=udp.get("jitter_ms"), lost_packets=udp.get("lost_packets"), packets=udp.get("packets"),
                   lost_percent=udp.get("lost_percent"))
        if out["sent_bps"] is None:
            out.update(sent_bps=udp.get("bits_per_second"), bytes_sent=udp.get("bytes"), seconds=udp.get("seconds"))
    for interval in data.get("intervals") or []:
        total = interval.get("sum") or {}
        if total.get("bits_per_second") is not None:
            out["intervals_bps"].append(total["bits_per_second"])
    return out


# -------------------------------------------------------------- perftest --

_PT_TITLE = re.compile(r"^\s*([A-Za-z_ ]+?(?:BW|Latency) Test)\s*$")
_PT_FIELD = re.compile(r"([A-Za-z][A-Za-z_.* ]*?)\s*:\s*(\S+(?:\[[A-Za-z]+\])?)")
_PT_BW_HEAD = re.compile(r"#bytes\s+#iterations\s+BW peak\[([A-Za-z/]+)\]\s+BW average\[([A-Za-z/]+)\]"
                         r"\s+MsgRate\[Mpps\]")
_PT_LAT_HEAD = re.compile(r"#bytes\s+#iterations\s+t_min\[usec\]")
MB_PER_SEC = 0x100000  # perftest's MB/sec is 2^20 bytes per second (report_fmt MBS)
GBIT_PER_SEC = 125000000  # and Gb/sec 10^9 bits per second (--report_gbits)


def _perftest_header(text):
    info = {"test": None, "fields": {}}
    for line in text.splitlines():
        m = _PT_TITLE.match(line)
        if m and info["test"] is None:
            info["test"] = m.group(1).strip()
            continue
        if ":" in line and not line.lstrip().startswith(("#", "local address", "remote address", "GID:")):
            for key, value in _PT_FIELD.findall(line):
                info["fields"].setdefault(key.strip(), value)
    f = info["fields"]
    return {"test": info["test"], "device": f.get("Device"), "link_type": f.get("Link type"),
            "transport": f.get("Transport type"), "connection": f.get("Connection type"),
            "mtu": f.get("Mtu"), "gid_index": int(f["GID index"]) if f.get("GID index", "").isdigit() else None,
            "qps": int(f["Number of qps"]) if f.get("Number of qps", "").isdigit() else None,
            "rdma_cm": f.get("rdma_cm QPs"), "exchange": f.get("Data ex. method")}


def _rows_after(text, head):
    rows, found = [], None
    for line in text.splitlines():
        if found is None:
            m = head.search(line)
            if m:
                found = m
            continue
        stripped = line.strip()
        if stripped.startswith("---"):
            if rows:
                break
            continue
        tokens = stripped.split()
        if not tokens or not tokens[0].isdigit():
            continue
        rows.append(tokens)
    return found, rows


def perftest_bw(text):
    """A perftest BW test's table: {bytes, iterations, bw_peak, bw_average, msg_rate_mpps} per row, in its unit."""
    out = _perftest_header(text)
    head, rows = _rows_after(text, _PT_BW_HEAD)
    out.update(unit=head.group(2) if head else None, rows=[])
    for tokens in rows:
        if len(tokens) < 5:
            continue
        out["rows"].append({"bytes": int(tokens[0]), "iterations": int(tokens[1]), "bw_peak": float(tokens[2]),
                            "bw_average": float(tokens[3]), "msg_rate_mpps": float(tokens[4])})
    return out


def perftest_gbps(value, unit):
    """A perftest bandwidth in its unit (MB/sec or Gb/sec) -> Gbit/s (10^9 bit/s)."""
    if value is None:
        return None
    factor = GBIT_PER_SEC if unit == "Gb/sec" else MB_PER_SEC
    return value * factor * 8 / 1e9


_LAT_KEYS = ("t_min_us", "t_max_us", "t_typical_us", "t_avg_us", "t_stdev_us", "p99_us", "p99_9_us")


def perftest_lat(text):
    """A perftest latency test's table (usec): t_min, t_max, t_typical (the median), t_avg, t_stdev, 99%, 99.9%."""
    out = _perftest_header(text)
    head, rows = _rows_after(text, _PT_LAT_HEAD)
    out["rows"] = []
    for tokens in rows:
        if len(tokens) < 4:
            continue
        row = {"bytes": int(tokens[0]), "iterations": int(tokens[1])}
        values = [float(t) for t in tokens[2:2 + len(_LAT_KEYS)]]
        row.update(dict(zip(_LAT_KEYS, values + [None] * (len(_LAT_KEYS) - len(values)))))
        out["rows"].append(row)
    return out


# ---------------------------------------------------------------- driver --


def driver(text):
    """The last JSON line the all-reduce rank program printed (tagged DRIVER_TAG), or None."""
    found = None
    for line in text.splitlines():
        at = line.find(DRIVER_TAG)
        if at < 0:
            continue
        try:
            found = json.loads(line[at + len(DRIVER_TAG):])
        except ValueError:
            continue
    if found is not None and not isinstance(found, dict):
        return None
    return found


# ----------------------------------------------------------------- regex --


def compile_patterns(patterns, path="command.regex"):
    """{metric: regex} -> {metric: compiled}; each must compile and have at most one group (or a group `value`)."""
    out = {}
    for metric, pattern in sorted((patterns or {}).items()):
        if not isinstance(pattern, str):
            raise errors.ValidationError("%s.%s" % (path, metric), "a regex is text, not %r" % (pattern,))
        try:
            rx = re.compile(pattern, re.M)
        except re.error as e:
            raise errors.ValidationError("%s.%s" % (path, metric), "%r does not compile: %s" % (pattern, e))
        if rx.groups > 1 and "value" not in rx.groupindex:
            raise errors.ValidationError("%s.%s" % (path, metric), "%r has %d groups: use one, or name the "
                                         "number's group (?P<value>...)" % (pattern, rx.groups))
        out[metric] = rx
    return out


def _value(match):
    if "value" in match.re.groupindex:
        text = match.group("value")
    elif match.re.groups:
        text = match.group(1)
    else:
        text = match.group(0)
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def regex_metrics(text, compiled):
    """{metric: the last match's number (or text)} plus {metric: [every match]} under "all"."""
    last, every = {}, {}
    for metric, rx in compiled.items():
        values = [_value(m) for m in rx.finditer(text)]
        every[metric] = values
        last[metric] = values[-1] if values else None
    return last, every
