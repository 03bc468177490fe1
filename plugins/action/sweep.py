# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for aifabric.emulation.sweep: the sweep's controller side, one step per task.

Runs entirely on the controller (plugins/plugin_utils/sweep); no module is
sent to a host. The role roles/sweep calls it for each step:

- plan:   validate the spec (nothing is applied before this passes), write
          spec.json into the run directory, and list what is left to run:
          the baseline repeats and the points not yet recorded (resume);
- record: append one point's (or the baseline's) repeats to records.jsonl,
          fsynced, and return the progress line;
- next:   the next bisect probe from the records so far (or none: done);
- report: summary.csv, summary.json, junit.xml and report.html, the
          headline, and the thresholds breached (failing when asked to).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.plugins.action import ActionBase

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import outputs, plan as planner, results
from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import spec as sweep_spec, stats

STEPS = ("plan", "record", "next", "report")


def repeat_of(result):
    """A workload module result as one repeat of the record (stats.py's shape)."""
    failed = bool(result.get("failed"))
    metrics = dict((k, result.get(k)) for k in ("algbw_gbps", "busbw_gbps", "ranks", "bytes", "steps")
                   if result.get(k) is not None)
    if result.get("ranks") and "collective" not in metrics:
        metrics["collective"] = "all_reduce"
    return {"jct_s": None if failed else result.get("jct_s"), "step_p50_s": result.get("step_p50_s"),
            "step_p99_s": result.get("step_p99_s"), "metrics": metrics, "ok": not failed and bool(result.get("jct_s")),
            "error": result.get("msg") if failed else None}


def by_host(point, hosts):
    """{host: the netem bulk config of the point's impairments on that host}; a single host takes everything."""
    if point is None:
        return dict((h, []) for h in hosts)
    spots = set(imp["host"] for imp in point["impairments"].values())
    if len(hosts) == 1 and len(spots) <= 1:
        return {hosts[0]: planner.netem_config(point)}
    return dict((h, planner.netem_config(point, host=h)) for h in hosts)


def restore_by_host(spec, hosts):
    """{host: netem config entries (no rules) for every link end an axis selects}: what state absent removes."""
    out = dict((h, []) for h in hosts)
    for end in planner.all_ends(spec):
        host = hosts[0] if len(hosts) == 1 else end["host"]
        out.setdefault(host, []).append({"interface": end["interface"], "netns": end["netns"],
                                         "direction": end["direction"]})
    return out


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = self._task.args
        step = args.get("step")
        try:
            if step not in STEPS:
                raise errors.ValidationError("step", "%r is not one of %s" % (step, ", ".join(STEPS)))
            spec = sweep_spec.normalize(args.get("spec"), check_writable=step == "plan")
            hosts = list(args.get("hosts") or ["localhost"])
            result.update(getattr(self, "_" + step)(spec, args, hosts))
        except errors.ModuleError as e:
            result.update(failed=True, msg="%s: %s" % (e.param, e.message) if e.param else e.message)
        result.setdefault("changed", False)
        return result

    def _plan(self, spec, args, hosts):
        store = results.Store(spec["output"])
        store.write_spec(spec)
        finished = store.finished(spec["spec_hash"]) - {planner.BASELINE_KEY}
        baseline = store.baseline(spec["spec_hash"])  # the latest baseline record, or None
        done_base = len(stats.ok_repeats(baseline)) if baseline else 0
        bisect = spec["order"]["type"] == "bisect"
        pending = [] if bisect else [p for p in planner.points(spec) if p["key"] not in finished]
        for p in pending:
            p["config_by_host"] = by_host(p, hosts)
        return {"spec_hash": spec["spec_hash"], "run_dir": spec["output"], "mode": spec["mode"], "bisect": bisect,
                "total": planner.total_points(spec), "finished": len(finished), "pending": pending,
                "baseline_left": max(0, spec["baseline_repeats"] - done_base),
                "restore_by_host": restore_by_host(spec, hosts), "ttl": spec["ttl"], "settle": spec["settle"],
                "repeats": spec["repeats"], "fabric": (spec["plan"] or {}).get("fabric")}

    def _record(self, spec, args, hosts):
        store = results.Store(spec["output"])
        point = args.get("point")
        repeats = [repeat_of(r) for r in args.get("results") or []]
        kind = "baseline" if point is None else "point"
        finished, started = time.time(), args.get("started")
        warnings = []
        if point is not None and started is not None and finished - float(started) >= spec["ttl"]:
            # the hosts reverted the point's impairment by its TTL while the workload ran: not a measurement of it
            why = ("the point took %.0f s, longer than the ttl of %g s: its impairments were reverted before the "
                   "workload ended; raise ttl" % (finished - float(started), spec["ttl"]))
            for rep in repeats:
                rep.update(ok=False, error=why)
            warnings.append(why)
        record = results.make_record(spec, point, repeats, host_facts=args.get("host_facts"),
                                     readback=args.get("readback"), started=started, finished=finished, kind=kind)
        store.append(record)
        records = store.records(spec["spec_hash"])
        points = [r for r in records if r["kind"] == "point"]
        ratio = None
        base = stats.baseline_of(records, spec["spec_hash"])
        if point is not None and base is not None:
            ratio = stats.point_stats(record, base)["jct_ratio"]
        total = planner.total_points(spec)
        left = max(0, total - len(points))
        eta = outputs.eta([r.get("duration_s") for r in points], left)
        jct = stats.describe(stats.jcts(record))
        line = ("baseline: %d repeats, JCT median %s s" % (len(repeats), "%.3g" % jct["median"] if jct.get("median")
                                                           else "n/a")
                if point is None else outputs.progress_line(point, len(points), total, ratio, eta))
        out = {"progress": line, "status": record["status"], "ratio": ratio}
        if warnings:
            out["warnings"] = warnings
        return out

    def _next(self, spec, args, hosts):
        records = results.Store(spec["output"]).records(spec["spec_hash"])
        point = planner.Bisect(spec).next(records)
        if point is not None:
            point["config_by_host"] = by_host(point, hosts)
        return {"point": point, "done": point is None}

    def _report(self, spec, args, hosts):
        from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import report
        summary = outputs.write_all(spec["output"])
        path = report.write(spec["output"], spec, summary)
        head = outputs.headline(spec, summary)
        breaches = [dict(point=p.get("labels") or p.get("values"), breaches=p["breaches"])
                    for p in summary.get("points", []) if p.get("breaches")]
        out = {"headline": head, "report": path, "run_dir": spec["output"], "breaches": breaches,
               "summary": summary}
        if breaches and args.get("fail_on_breach", True):
            out.update(failed=True, msg="%s; thresholds breached at %d point(s): see %s" % (
                head, len(breaches), spec["output"] + "/junit.xml"))
        return out
