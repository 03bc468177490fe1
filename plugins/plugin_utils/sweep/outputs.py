# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a sweep leaves in its run directory besides the raw record: summary.json, summary.csv, junit.xml.

summarize(spec, records) -> summary (docs/sweep.md), computed from the raw
records only, so a run directory can be summarised again at any time
(tools/sweep_report). write_all(run_dir) writes the three files atomically.
progress_line() is the one line printed per point while the sweep runs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json
import os
import xml.etree.ElementTree as ET

from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import plan as sweep_plan
from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import results, stats

SUMMARY_JSON = "summary.json"
SUMMARY_CSV = "summary.csv"
JUNIT_XML = "junit.xml"
DEFAULT_TARGET = 1.2

# threshold -> (summary field, which side fails, what it is called)
CHECKS = {
    "max_jct_ratio": ("jct_ratio", "above", "JCT ratio"),
    "max_step_p99_ratio": ("step_p99_ratio", "above", "step p99 ratio"),
    "min_busbw_ratio": ("busbw_ratio", "below", "busbw ratio"),
}


def fmt_ratio(r, digits=3, pretty=False):
    """'1.42x (95% CI 1.31-1.55)' from a ratio_ci dict (or a plain number); pretty: with a times sign and an en dash."""
    times, dash = (u"\u00d7", u"\u2013") if pretty else ("x", "-")
    if r is None:
        return "n/a"
    if not isinstance(r, dict):
        return "%.*g%s" % (digits, r, times)
    if r.get("ratio") is None:
        return "n/a"
    if r.get("low") is None:
        return "%.*g%s (no CI: fewer than 2 repeats)" % (digits, r["ratio"], times)

    def num(x):
        return "%.*g" % (digits, x)
    pooled = ", 1 repeat: the baseline's spread" if r.get("method") == "pooled" else ""
    return "%s%s (95%% CI %s%s%s%s)" % (num(r["ratio"]), times, num(r["low"]), dash, num(r["high"]), pooled)


def point_name(values_or_labels):
    return " ".join("%s=%s" % (k, v) for k, v in values_or_labels.items()) or "baseline"


def describe_links(selector):
    """A selector in words, for headlines: rail:0 -> 'rail 0'."""
    words = []
    for term in str(selector).split(","):
        term = term.strip()
        if term == "all":
            words.append("every link")
        elif term == "uplinks":
            words.append("the uplinks")
        elif ":" in term and "/" not in term:
            what, arg = term.split(":", 1)
            words.append("every %s" % what if arg == "*" else "%s %s" % (what, arg))
        else:
            words.append(term)
    return " and ".join(words)


def _breaches(point, thresholds):
    out = []
    for name in sorted(thresholds):
        limit = thresholds[name]
        fieldname, side, label = CHECKS[name]
        r = point[fieldname]
        if r["ratio"] is None:
            continue
        bad = r["ratio"] > limit if side == "above" else r["ratio"] < limit
        if bad:
            significant = r["low"] is not None and (r["low"] > limit if side == "above" else r["high"] < limit)
            out.append({"metric": name, "limit": limit, "value": r["ratio"], "low": r["low"], "high": r["high"],
                        "significant": significant,
                        "message": "%s %g breached: %s %s%s" % (name, limit, label, fmt_ratio(r),
                                                                "" if significant else "; the CI includes the limit")})
    return out


def _point_summary(rec, baseline, thresholds):
    s = stats.point_stats(rec, baseline)
    reps = rec.get("repeats") or []
    out = {"index": rec["index"], "key": rec["key"], "probe": rec.get("probe"), "values": rec["values"],
           "labels": rec.get("labels") or rec["values"], "numeric": rec.get("numeric") or {},
           "status": rec["status"], "repeats": len(reps), "failed_repeats": len(reps) - len(stats.ok_repeats(rec)),
           "errors": sorted(set(r.get("error") for r in reps if r.get("error"))),
           "duration_s": rec.get("duration_s"), "impaired_ends": len(rec.get("impairments") or {})}
    out.update(s)
    out["busbw_gbps"] = stats.describe(stats.busbws(rec))
    if rec["status"] == "failed":
        out["verdict"], out["breaches"] = "error", []
    elif baseline is None:
        out["verdict"], out["breaches"] = "no_baseline", []
    else:
        out["breaches"] = _breaches(out, thresholds)
        out["verdict"] = "fail" if out["breaches"] else "pass"
    return out


def target_of(spec):
    if spec["order"]["type"] == "bisect":
        return spec["order"]["target"]
    return spec["thresholds"].get("max_jct_ratio", DEFAULT_TARGET)


def summarize(spec, records):
    """The summary of a run (docs/sweep.md) from its spec and records (records of other spec hashes are ignored)."""
    recs = [r for r in records if r.get("spec_hash") == spec["spec_hash"]]
    baseline = stats.baseline_of(recs)
    latest = {}
    for r in recs:
        if r.get("kind") == "point":
            latest[r["key"]] = r  # a point recorded twice (re-run by hand): the last one counts
    pts = sorted(latest.values(), key=lambda r: (r["probe"] if r.get("probe") is not None else r["index"]))
    points = [_point_summary(r, baseline, spec["thresholds"]) for r in pts]
    base = None
    if baseline is not None:
        base = {"key": "baseline", "status": baseline["status"], "repeats": len(baseline.get("repeats") or []),
                "jct_s": stats.describe(stats.jcts(baseline)),
                "step_p50_s": stats.describe(stats.field(baseline, "step_p50_s")),
                "step_p99_s": stats.describe(stats.field(baseline, "step_p99_s")),
                "busbw_gbps": stats.describe(stats.busbws(baseline)), "duration_s": baseline.get("duration_s")}
    trace = sweep_plan.Bisect(spec).trace(recs) if spec["order"]["type"] == "bisect" and baseline else None
    hosts = {}
    for r in recs:
        hosts.update(r.get("host_facts") or {})
    summary = {
        "name": spec["name"], "spec_hash": spec["spec_hash"], "mode": spec["mode"],
        "fabric": None if spec["plan"] is None else {"name": spec["plan"]["fabric"], "kind": spec["plan"]["kind"],
                                                     "summary": spec["plan"]["summary"]},
        "workload": spec["workload"], "generated": results.now_iso(), "method": stats.METHOD,
        "axes": [{"name": a["name"], "param": a["param"], "unit": a["unit"], "values": a["values"],
                  "numeric": a["numeric"], "links": a["links"], "direction": a["direction"], "ends": len(a["ends"])}
                 for a in spec["axes"]],
        "order": spec["order"], "repeats": spec["repeats"], "baseline_repeats": spec["baseline_repeats"],
        "thresholds": spec["thresholds"], "target": target_of(spec), "baseline": base, "points": points,
        "bisect": trace, "host_facts": hosts,
        "counts": {"planned": sweep_plan.total_points(spec), "recorded": len(points),
                   "passed": sum(p["verdict"] == "pass" for p in points),
                   "failed": sum(p["verdict"] == "fail" for p in points),
                   "errors": sum(p["verdict"] == "error" for p in points)},
    }
    summary["headline"] = headline(spec, summary)
    return summary


def _crossing(spec, points, target):
    """(below label, above label) where the JCT ratio first crosses target along the one varying axis, or None."""
    varying = [a for a in spec["axes"] if len(a["values"]) > 1]
    if len(varying) != 1 or varying[0]["numeric"] is None:
        return None
    ax = varying[0]
    pts = sorted((p for p in points if p["jct_ratio"]["ratio"] is not None),
                 key=lambda p: p["numeric"][ax["name"]] * ax["monotone"])
    for a, b in zip(pts, pts[1:]):
        if a["jct_ratio"]["ratio"] < target <= b["jct_ratio"]["ratio"]:
            return a["labels"][ax["name"]], b["labels"][ax["name"]]
    return None


def headline(spec, summary):
    """One sentence: the worst JCT ratio, where, and where the target is crossed."""
    points = [p for p in summary["points"] if p["jct_ratio"]["ratio"] is not None]
    if summary["baseline"] is None:
        return "No baseline recorded yet: no JCT ratio to report."
    if not points:
        return "Baseline JCT %.3g s; no point has a JCT ratio yet." % summary["baseline"]["jct_s"]["median"]
    worst = max(points, key=lambda p: p["jct_ratio"]["ratio"])
    varying = [a for a in spec["axes"] if len(a["values"]) > 1] or spec["axes"]
    where = ", ".join("%s %s on %s" % (worst["labels"][a["name"]], a["param"].replace("_", " "),
                                       describe_links(a["links"])) for a in varying)
    first = "JCT rises to %.2g\u00d7 at %s" % (worst["jct_ratio"]["ratio"], where)
    if worst["jct_ratio"]["ratio"] < 1.0:
        first = "JCT stays at or below the baseline (at most %.2g\u00d7, at %s)" % (worst["jct_ratio"]["ratio"], where)
    target = summary["target"]
    trace = summary["bisect"]
    second = None
    if trace is not None:
        ax = [a for a in spec["axes"] if a["name"] == trace["axis"]][0]
        what = "%s on %s" % (ax["param"].replace("_", " "), describe_links(ax["links"]))
        unit = _u(trace["unit"])
        lo, hi = sorted((trace["good"], trace["bad"]))
        if trace["status"] in ("converged", "max_probes"):
            second = "the %g\u00d7 threshold is crossed between %.3g%s and %.3g%s %s (bisection %s after %d probes)" % (
                target, lo, unit, hi, unit, what, trace["status"].replace("_", " "), len(trace["probes"]))
        elif trace["status"] == "not_crossed":
            second = "the %g\u00d7 threshold is not reached up to %.3g%s %s" % (target, trace["bad"], unit, what)
        elif trace["status"] == "crossed_at_good":
            second = "the %g\u00d7 threshold is already crossed at %.3g%s %s" % (target, trace["good"], unit, what)
        else:
            second = "the bisection is still running (%d probes so far)" % len(trace["probes"])
    else:
        cross = _crossing(spec, points, target)
        above = sum(p["jct_ratio"]["ratio"] >= target for p in points)
        if cross:
            second = "the %g\u00d7 threshold is crossed between %s and %s" % (target, cross[0], cross[1])
        elif above == 0:
            second = "no point reaches the %g\u00d7 threshold" % target
        else:
            second = "%d of %d points are at or above the %g\u00d7 threshold" % (above, len(points), target)
    return "%s; %s." % (first, second)


def _u(unit):
    if not unit:
        return ""
    return unit if unit == "%" else " " + unit


# --------------------------------------------------------------- files --

def csv_text(summary):
    axes = [a["name"] for a in summary["axes"]]
    cols = ["index", "key", "probe"] + axes + [
        "status", "repeats", "failed_repeats", "jct_s_mean", "jct_s_median", "jct_ratio", "jct_ratio_low",
        "jct_ratio_high", "jct_ratio_df", "step_p50_ratio", "step_p99_ratio", "busbw_gbps_mean", "busbw_ratio",
        "verdict", "breaches"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    b = summary["baseline"]
    if b is not None:
        w.writerow([-1, "baseline", ""] + [""] * len(axes) + [
            b["status"], b["repeats"], "", _num(b["jct_s"]["mean"]), _num(b["jct_s"]["median"]), 1, "", "", "",
            1, 1, _num(b["busbw_gbps"]["mean"]), 1, "baseline", ""])
    for p in summary["points"]:
        w.writerow([p["index"], p["key"], "" if p["probe"] is None else p["probe"]] +
                   [p["labels"].get(a, "") for a in axes] + [
                       p["status"], p["repeats"], p["failed_repeats"], _num(p["jct_s"]["mean"]),
                       _num(p["jct_s"]["median"]), _num(p["jct_ratio"]["ratio"]), _num(p["jct_ratio"]["low"]),
                       _num(p["jct_ratio"]["high"]), _num(p["jct_ratio"]["df"]), _num(p["step_p50_ratio"]["ratio"]),
                       _num(p["step_p99_ratio"]["ratio"]), _num(p["busbw_gbps"]["mean"]),
                       _num(p["busbw_ratio"]["ratio"]), p["verdict"], "; ".join(x["message"] for x in p["breaches"])])
    return buf.getvalue()


def _num(x):
    return "" if x is None else "%.6g" % x


def junit_text(summary):
    """JUnit XML: one testcase per point (and one for the baseline); a breached threshold is a failure."""
    points = summary["points"]
    b = summary["baseline"]
    errors_n = summary["counts"]["errors"] + (1 if b is None or b["status"] == "failed" else 0)
    suite = ET.Element("testsuite", {
        "name": "sweep.%s" % summary["name"], "tests": str(len(points) + 1),
        "failures": str(summary["counts"]["failed"]), "errors": str(errors_n), "skipped": "0",
        "time": "%.3f" % sum((p.get("duration_s") or 0) for p in points + ([b] if b else [])),
        "timestamp": summary["generated"]})
    props = ET.SubElement(suite, "properties")
    for name, value in (("spec_hash", summary["spec_hash"]), ("method", summary["method"]),
                        ("thresholds", json.dumps(summary["thresholds"], sort_keys=True)),
                        ("headline", summary["headline"])):
        ET.SubElement(props, "property", {"name": name, "value": value})
    classname = "sweep.%s" % summary["name"]
    case = ET.SubElement(suite, "testcase", {"classname": classname, "name": "baseline",
                                             "time": "%.3f" % ((b or {}).get("duration_s") or 0)})
    if b is None:
        ET.SubElement(case, "error", {"message": "no baseline recorded", "type": "baseline"})
    elif b["status"] == "failed":
        ET.SubElement(case, "error", {"message": "the baseline workload failed in every repeat", "type": "baseline"})
    else:
        ET.SubElement(case, "system-out").text = "JCT median %.6g s over %d repeats" % (
            b["jct_s"]["median"], b["jct_s"]["n"])
    for p in points:
        name = "point %d: %s" % (p["probe"] if p["probe"] is not None else p["index"], point_name(p["labels"]))
        case = ET.SubElement(suite, "testcase", {"classname": classname, "name": name,
                                                 "time": "%.3f" % (p.get("duration_s") or 0)})
        if p["verdict"] == "error":
            ET.SubElement(case, "error", {"message": "the workload failed in every repeat: %s"
                                          % ("; ".join(p["errors"]) or "no JCT"), "type": "workload"})
        elif p["verdict"] == "fail":
            f = ET.SubElement(case, "failure", {"message": "; ".join(x["message"] for x in p["breaches"]),
                                                "type": "threshold"})
            f.text = "\n".join(x["message"] for x in p["breaches"])
        ET.SubElement(case, "system-out").text = "JCT ratio %s; step p99 ratio %s; %d/%d repeats ok" % (
            fmt_ratio(p["jct_ratio"]), fmt_ratio(p["step_p99_ratio"]), p["repeats"] - p["failed_repeats"],
            p["repeats"])
    root = ET.Element("testsuites", {"name": "aifabric sweep", "tests": suite.get("tests"),
                                     "failures": suite.get("failures"), "errors": suite.get("errors")})
    root.append(suite)
    if hasattr(ET, "indent"):
        ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_all(run_dir, spec=None, records=None):
    """summary.json, summary.csv and junit.xml in run_dir (spec and records read from it when not given)."""
    store = results.Store(run_dir)
    spec = spec if spec is not None else store.read_spec()
    records = records if records is not None else store.records(spec["spec_hash"])
    summary = summarize(spec, records)
    results.write_json(os.path.join(run_dir, SUMMARY_JSON), summary)
    results.write_text(os.path.join(run_dir, SUMMARY_CSV), csv_text(summary))
    results.write_text(os.path.join(run_dir, JUNIT_XML), junit_text(summary))
    return summary


# ------------------------------------------------------------ progress --

def _duration(seconds):
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "%dh%02dm" % (h, m) if h else "%dm%02ds" % (m, s) if m else "%ds" % s


def eta(durations, remaining):
    """Seconds left: the mean duration of the points so far times the points remaining (None without any)."""
    durations = [d for d in durations if d is not None]
    if not durations:
        return None
    return sum(durations) / len(durations) * remaining


def progress_line(point, done, total, ratio, eta_s):
    """'[3/12] loss=1% delay=5ms  JCT 1.42x (95% CI 1.31-1.55)  ETA 4m10s' for the point just finished."""
    label = point_name(point.get("labels") or point.get("values") or {})
    return "[%d/%d] %s  JCT %s  ETA %s" % (done, total, label, fmt_ratio(ratio), _duration(eta_s))
