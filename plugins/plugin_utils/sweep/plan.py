# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sweep planner: which points a sweep runs, in which order (pure; nothing is applied here).

A point is a dict:
    index         its place in the run order (0-based)
    key           "p-<16 hex>": a hash of values (and of probe for bisect), stable across runs, for resuming
    values        {axis name: canonical value}
    labels        {axis name: short text}
    numeric       {axis name: number in the axis's display unit, or None}
    probe         None (grid, random) or the bisect probe number
    impairments   {end key: {link, node, host, netns, interface, direction, rule, seed}}: the netem rule (the
                  netem module's rule form) for every link end some axis selects
    seed          the sweep's seed, or None

points(spec) gives every point of grid and random orders. Bisect(spec).next(records)
gives the next probe of a bisect, or None once it is done: a pure function of
the records so far, so a resumed sweep replays the same decisions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import itertools
import json
import math
import random

from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import spec as sweep_spec
from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import stats

BASELINE_KEY = "baseline"


def point_key(values, probe=None):
    data = {"values": values} if probe is None else {"values": values, "probe": probe}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return "p-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def end_seed(seed, key, end_key):
    """A netem seed per point and link end, derived from the sweep's seed (None without one)."""
    if seed is None:
        return None
    text = "%d/%s/%s" % (seed, key, end_key)
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], 16)


def all_ends(spec):
    """Every link end any axis touches, in a stable order: what restoring the fabric clears."""
    seen, out = set(), []
    for ax in spec["axes"]:
        for end in ax["ends"]:
            if end["key"] not in seen:
                seen.add(end["key"])
                out.append(end)
    return out


def make_point(spec, index, values, probe=None):
    key = point_key(values, probe)
    impairments = {}
    for end in all_ends(spec):
        rule = sweep_spec.rule_for(spec["axes"], values, end["key"])
        if not rule:
            continue
        impairments[end["key"]] = {"link": end["link"], "node": end["node"], "host": end["host"],
                                   "netns": end["netns"], "interface": end["interface"],
                                   "direction": end["direction"], "rule": rule,
                                   "seed": end_seed(spec["seed"], key, end["key"])}
    numeric = {}
    for ax in spec["axes"]:
        v = values[ax["name"]]
        numeric[ax["name"]] = (sweep_spec.parse_base(ax["kind"], v, ax["name"]) /
                               sweep_spec._DISPLAY_SCALE[ax["kind"]]) if ax["numeric"] is not None else None
    return {"index": index, "key": key, "values": values,
            "labels": dict((k, sweep_spec.value_label(v)) for k, v in values.items()),
            "numeric": numeric, "probe": probe, "impairments": impairments, "seed": spec["seed"]}


def grid_values(spec):
    names = [ax["name"] for ax in spec["axes"]]
    for combo in itertools.product(*[ax["values"] for ax in spec["axes"]]):
        yield dict(zip(names, combo))


def points(spec):
    """Every point of a grid or random sweep, in run order."""
    order = spec["order"]
    if order["type"] == "bisect":
        raise ValueError("a bisect's points depend on its results: use Bisect(spec).next(records)")
    values = list(grid_values(spec))
    if order["type"] == "random":
        seed = order["seed"] if order["seed"] is not None else (spec["seed"] or 0)
        random.Random(seed).shuffle(values)
        if order["points"] is not None:
            values = values[:order["points"]]
    return [make_point(spec, i, v) for i, v in enumerate(values)]


def total_points(spec):
    """How many points the sweep runs (a bisect: at most max_probes)."""
    order = spec["order"]
    if order["type"] == "bisect":
        return order["max_probes"]
    n = 1
    for ax in spec["axes"]:
        n *= len(ax["values"])
    if order["type"] == "random" and order["points"] is not None:
        n = min(n, order["points"])
    return n


def netem_config(point, host=None, seed_supported=True):
    """The netem module's bulk `config` for one point, on one host (None: every host).

    seed_supported: whether the host's kernel takes a netem seed (Linux 6.6+); without it the seed is left out.
    """
    out = []
    for end_key in sorted(point["impairments"]):
        imp = point["impairments"][end_key]
        if host is not None and imp["host"] != host:
            continue
        rule = dict(imp["rule"])
        if seed_supported and imp["seed"] is not None:
            rule["seed"] = imp["seed"]
        out.append({"interface": imp["interface"], "netns": imp["netns"], "direction": imp["direction"],
                    "rules": [rule]})
    return out


# -------------------------------------------------------------- bisect --


class Bisect:
    """Find where the JCT ratio crosses order.bisect.target along one monotone axis.

    The bracket is [good, bad]: good is below the target, bad above it (for
    rate, bad is the lower rate). With probe_bounds, bad is probed first (not
    crossed there: status not_crossed), then good (crossed there already:
    crossed_at_good); then the midpoint (geometric with scale log) until the
    bracket is within tolerance (converged) or max_probes probes ran
    (max_probes). A probe decides by the 95% CI of its JCT ratio: above the
    target when the CI's low end is, below when its high end is; when the CI
    holds the target, the same value is probed again (up to reprobes times,
    pooling the repeats), and then the point estimate decides. A probe whose
    every repeat failed (a hung or timed-out job) counts as above the target.
    """

    def __init__(self, spec):
        self.spec = spec
        self.order = spec["order"]
        if self.order["type"] != "bisect":
            raise ValueError("not a bisect sweep")
        self.axis = [a for a in spec["axes"] if a["name"] == self.order["axis"]][0]
        self.fixed = dict((a["name"], a["values"][0]) for a in spec["axes"] if a is not self.axis)

    def _values(self, base):
        values = dict(self.fixed)
        values[self.axis["name"]] = sweep_spec.format_value(self.axis["kind"], base)
        return values

    def _snap(self, base):
        """The base value a formatted value reads back as (probes use what the kernel gets)."""
        text = sweep_spec.format_value(self.axis["kind"], base)
        return sweep_spec.parse_base(self.axis["kind"], text, self.axis["name"])

    def _mid(self, a, b):
        if self.order["scale"] == "log":
            return self._snap(math.sqrt(a * b))
        return self._snap((a + b) / 2.0)

    def next(self, records):
        """The next point to run, or None when the bisection is done."""
        return self._run(records)[0]

    def trace(self, records):
        """{axis, unit, target, status, good, bad, probes: [...]}: what the bisection did so far."""
        return self._run(records)[1]

    def _run(self, records):
        o = self.order
        by_key = dict((r["key"], r) for r in records if r.get("kind") == "point")
        baseline = stats.baseline_of(records)
        scale = o["unit_scale"]
        up = o["monotone"] > 0
        good, bad = (o["low"], o["high"]) if up else (o["high"], o["low"])
        good, bad = self._snap(good), self._snap(bad)
        trace = {"axis": self.axis["name"], "unit": self.axis["unit"], "target": o["target"], "status": "running",
                 "good": good / scale, "bad": bad / scale, "probes": []}
        probe = [0]
        pooled = {}

        def ask(base):
            """(point to run, None) when it has no record yet, else (None, decision)."""
            values = self._values(base)
            point = make_point(self.spec, probe[0], values, probe[0])
            rec = by_key.get(point["key"])
            if rec is None:
                return point, None
            probe[0] += 1
            reps = pooled.setdefault(point["values"][self.axis["name"]], [])
            reps.extend(stats.jcts(rec))
            r = stats.ratio_ci(reps, stats.jcts(baseline)) if baseline else stats.NO_RATIO
            if rec.get("status") == "failed" and not reps:
                decision, by = "crossed", "failed"  # every repeat failed (hung, timed out): slower than any target
            elif r["low"] is not None and r["low"] > o["target"]:
                decision, by = "crossed", "ci"
            elif r["high"] is not None and r["high"] < o["target"]:
                decision, by = "below", "ci"
            else:
                decision, by = None, "estimate"
            trace["probes"].append({"probe": point["probe"], "key": point["key"], "value": values[self.axis["name"]],
                                    "x": base / scale, "ratio": r["ratio"], "ci_low": r["low"],
                                    "ci_high": r["high"], "repeats": len(reps), "decision": decision, "by": by})
            return None, decision

        def decide(base):
            """(point to run, None), (None, crossed: bool), or (None, None) when no probe is left."""
            asked = 0
            for _attempt in range(o["reprobes"] + 1):
                if probe[0] >= o["max_probes"]:
                    break
                point, decision = ask(base)
                if point is not None:
                    return point, None
                asked += 1
                if decision is not None:
                    return None, decision == "crossed"
            if not asked:
                return None, None
            last = trace["probes"][-1]
            crossed = last["ratio"] is not None and last["ratio"] >= o["target"]
            last["decision"] = "crossed" if crossed else "below"
            return None, crossed

        def finish(status):
            trace["status"] = status
            trace["good"], trace["bad"] = good / scale, bad / scale
            return None, trace

        if o["probe_bounds"]:
            point, crossed = decide(bad)
            if point is not None:
                return point, trace
            if crossed is None:
                return finish("max_probes")
            if not crossed:
                return finish("not_crossed")
            point, crossed = decide(good)
            if point is not None:
                return point, trace
            if crossed is None:
                return finish("max_probes")
            if crossed:
                return finish("crossed_at_good")
        while abs(bad - good) > o["tolerance"]:
            mid = self._mid(good, bad)
            if mid in (good, bad):
                break  # the units cannot split the bracket further
            point, crossed = decide(mid)
            if point is not None:
                trace["good"], trace["bad"] = good / scale, bad / scale
                return point, trace
            if crossed is None:
                return finish("max_probes")
            if crossed:
                bad = mid
            else:
                good = mid
        return finish("converged")
