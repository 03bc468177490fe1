# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The raw record of a sweep: one JSON line per finished point (or baseline) in <run dir>/records.jsonl.

Each line is appended, flushed and fsynced before the sweep moves on, so a
killed controller loses at most the point it was running. A torn last line (a
write cut short) is ignored on read and cut off before the next append; a bad
line anywhere else is an error. Resuming: finished(spec_hash) gives the keys
of the points already recorded with that spec hash, which the sweep skips.

A record:
    v             1
    kind          "point" | "baseline"
    spec_hash     the sweep's spec hash (spec.spec_hash)
    key           the point's key ("baseline" for the baseline)
    index, probe, values, labels, numeric   from the point (baseline: index -1, empty values)
    impairments   what was asked for per link end (the point's impairments; {} for the baseline)
    readback      {end key: what the kernel reports on that end}, as the role read it back
    host_facts    {host: {kernel: "6.1.0-...", netem_features: [...], ...}}
    repeats       [repeat]: the workload module's result per run (stats.py), with ok and error
    status        "ok" (every repeat ok) | "partial" | "failed" (none ok)
    started, finished   ISO 8601 UTC; duration_s
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile
import time

from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import stats

RECORDS = "records.jsonl"
SPEC = "spec.json"
VERSION = 1


def now_iso(epoch=None):
    t = time.time() if epoch is None else epoch
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


def status_of(repeats):
    ok = [r for r in repeats if stats.repeat_ok(r)]
    if len(ok) == len(repeats) and repeats:
        return "ok"
    return "partial" if ok else "failed"


def make_record(spec, point, repeats, host_facts=None, readback=None, started=None, finished=None,
                kind="point"):
    """A record for a finished point (point None and kind baseline for the baseline)."""
    started = time.time() if started is None else started
    finished = time.time() if finished is None else finished
    point = point or {"index": -1, "key": "baseline", "probe": None, "values": {}, "labels": {},
                      "numeric": {}, "impairments": {}}
    return {
        "v": VERSION, "kind": kind, "spec_hash": spec["spec_hash"], "key": point["key"],
        "index": point["index"], "probe": point.get("probe"), "values": point["values"],
        "labels": point.get("labels", {}), "numeric": point.get("numeric", {}),
        "impairments": point.get("impairments", {}), "readback": readback or {},
        "host_facts": host_facts or {}, "repeats": list(repeats), "status": status_of(repeats),
        "started": now_iso(started), "finished": now_iso(finished), "duration_s": round(finished - started, 3),
    }


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Store:
    """records.jsonl (and spec.json) in one run directory."""

    def __init__(self, run_dir):
        self.run_dir = run_dir
        self.path = os.path.join(run_dir, RECORDS)

    def _repair(self):
        """Cut a torn last line off, so the next append starts on a line of its own."""
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return
        if not data or data.endswith(b"\n"):
            return
        keep = data.rfind(b"\n") + 1
        with open(self.path, "r+b") as f:
            f.truncate(keep)
            f.flush()
            os.fsync(f.fileno())

    def append(self, record):
        """Append one record as a line; flushed and fsynced before returning."""
        os.makedirs(self.run_dir, exist_ok=True)
        new = not os.path.exists(self.path)
        self._repair()
        line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
        with open(self.path, "a") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        if new:
            _fsync_dir(self.run_dir)

    def records(self, spec_hash=None):
        """Every complete record (of spec_hash, if given), in file order."""
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        lines = data.split(b"\n")
        lines.pop()  # after the last newline: empty, or a torn line (ignored)
        out = []
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line.decode("utf-8"))
            except ValueError as e:
                raise ValueError("%s line %d is not a record: %s" % (self.path, n, e))
            if spec_hash is None or rec.get("spec_hash") == spec_hash:
                out.append(rec)
        return out

    def finished(self, spec_hash, include_failed=True):
        """Keys of the points (and "baseline") already recorded for spec_hash."""
        return set(r["key"] for r in self.records(spec_hash)
                   if include_failed or r.get("status") != "failed")

    def baseline(self, spec_hash):
        found = None
        for r in self.records(spec_hash):
            if r.get("kind") == "baseline":
                found = r
        return found

    def write_spec(self, spec):
        """spec.json: the canonical spec of the run, written atomically."""
        write_json(os.path.join(self.run_dir, SPEC), spec)

    def read_spec(self):
        with open(os.path.join(self.run_dir, SPEC)) as f:
            return json.load(f)


def write_json(path, data):
    write_text(path, json.dumps(data, sort_keys=True, indent=1) + "\n")


def write_text(path, text):
    """Write a file atomically: a temporary file in the same directory, fsynced, renamed over it."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
