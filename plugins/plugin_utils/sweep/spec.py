# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sweep spec: validate a user's sweep into a canonical dict (docs/sweep.md), before anything is applied.

normalize(sweep) -> canonical dict; every mistake raises errors.ValidationError
with a dotted path (`axes[1].param`, `order.bisect.axis`, `thresholds.x`, `output`).

Canonical shape (all JSON-serialisable):
    name, mode ("fabric" | "targets"), plan (the compiled fabric plan or None),
    targets ([{host, interface, netns}] or None), workload (as given, type checked),
    axes: [{name, param, values, numeric, unit, monotone, links, direction, ends}],
    order: {type: grid} | {type: random, seed, points} |
           {type: bisect, axis, target, tolerance, low, high, max_probes, scale, probe_bounds, reprobes},
    repeats, baseline_repeats, seed, settle, ttl (seconds, float), thresholds, output,
    spec_hash ("sha256:..." of what changes measurements: not name, output, thresholds or ttl).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import itertools
import json
import math
import os
import re

from ansible_collections.aifabric.emulation.plugins.module_utils import errors, validate
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as fabric_compile
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model as netem_model
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import units
from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import select

ValidationError = errors.ValidationError

KEYS = ("name", "fabric", "targets", "workload", "axes", "order", "repeats", "baseline_repeats", "seed",
        "settle", "ttl", "thresholds", "output")
WORKLOAD_TYPES = ("allreduce", "iperf3", "ib_write_bw", "nccl_tests", "command")
THRESHOLDS = ("max_jct_ratio", "max_step_p99_ratio", "min_busbw_ratio")
DISTRIBUTIONS = ("uniform", "normal", "pareto", "paretonormal")
NOT_HASHED = ("name", "output", "thresholds", "ttl", "spec_hash")
DEFAULT_TTL = 600.0
DEFAULT_TARGET = 1.2
DEFAULT_MAX_PROBES = 10

# param -> (kind, netem section, key in that section, monotone: +1 more is worse, -1 less is worse, 0 neither)
PARAMS = {
    "delay": ("time", "delay", "time", 1),
    "jitter": ("time", "delay", "jitter", 1),
    "delay_distribution": ("distribution", "delay", "distribution", 0),
    "loss": ("percent", "loss", "percent", 1),
    "loss_model": ("loss_model", "loss", None, 0),
    "reorder": ("percent", "reorder", "percent", 1),
    "duplicate": ("percent", "duplicate", "percent", 1),
    "corrupt": ("percent", "corrupt", "percent", 1),
    "rate": ("rate", "rate", "rate", -1),
}
DISPLAY_UNIT = {"time": "ms", "percent": "%", "rate": "Mbit/s"}
_DISPLAY_SCALE = {"time": 1e6, "percent": 1.0, "rate": 1e6}  # base units (ns, %, bit/s) per display unit


# ------------------------------------------------------------- values --


def _g(x):
    return "%.6g" % x


def format_value(kind, base):
    """Text in tc's units for a base value (ns, percent, bit/s)."""
    if kind == "time":
        if not base:
            return "0ms"
        for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
            if base >= scale:
                return _g(base / scale) + unit
        return "%dns" % int(round(base))
    if kind == "percent":
        return _g(base) + "%"
    for unit, scale in (("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3)):
        if base >= scale:
            return _g(base / scale) + unit
    return "%dbit" % int(round(base))


def parse_base(kind, value, path):
    """The base value (ns, percent, bit/s) of a time, percentage or rate; ValidationError naming path."""
    try:
        if kind == "time":
            return float(units.parse_time(value))
        if kind == "percent":
            units.parse_percent(value)
            return float(str(value).strip().rstrip("%"))
        rate = units.parse_rate(value)
        return float(rate * 8)
    except units.UnitError as e:
        raise ValidationError(path, str(e))


def _loss_model(value, path):
    validate.mapping(value, path, "{model: gemodel, p: 1%, r: 30%}")
    model = value.get("model")
    if model not in ("gemodel", "state"):
        raise ValidationError(path + ".model", "%r: loss_model values name model gemodel or state "
                              "(random loss is the loss axis)" % (model,))
    try:
        netem_model.normalize_rule({"loss": value}, "rule")
    except ValidationError as e:
        raise ValidationError(path + e.path[len("rule.loss"):], e.message)
    return dict((k, value[k]) for k in sorted(value))


def canonical_value(kind, value, path):
    """(canonical value, base number or None) of one axis value."""
    if kind == "distribution":
        if value not in DISTRIBUTIONS:
            raise ValidationError(path, "%r is not a delay distribution; use one of %s"
                                  % (value, ", ".join(DISTRIBUTIONS)))
        return value, None
    if kind == "loss_model":
        return _loss_model(value, path), None
    base = parse_base(kind, value, path)
    return format_value(kind, base), base


def value_label(value):
    """Short text for a value in tables and plots."""
    if isinstance(value, dict):
        rest = " ".join("%s=%s" % (k, value[k]) for k in sorted(value) if k != "model")
        return ("%s %s" % (value.get("model"), rest)).strip()
    return str(value)


def _range(kind, spec, path):
    validate.mapping(spec, path, "{start: 0.1%, stop: 3%, steps: 6, scale: log}")
    for key in spec:
        if key not in ("start", "stop", "steps", "scale"):
            raise ValidationError("%s.%s" % (path, key), "unknown key; a range has start, stop, steps and scale")
    if kind not in DISPLAY_UNIT:
        raise ValidationError(path, "a range needs a numeric parameter; list values instead")
    for key in ("start", "stop", "steps"):
        if spec.get(key) is None:
            raise ValidationError("%s.%s" % (path, key), "a range needs start, stop and steps")
    start = parse_base(kind, spec["start"], path + ".start")
    stop = parse_base(kind, spec["stop"], path + ".stop")
    steps = validate.integer(spec["steps"], path + ".steps", 1, 1000)
    scale = spec.get("scale") or "linear"
    if scale not in ("linear", "log"):
        raise ValidationError(path + ".scale", "%r: scale is linear or log" % (scale,))
    if scale == "log" and (start <= 0 or stop <= 0):
        raise ValidationError(path + ".start", "a log scale needs start and stop above 0")
    if steps == 1:
        return [spec["start"]]
    out = []
    for i in range(steps):
        f = i / float(steps - 1)
        if scale == "log":
            x = math.exp(math.log(start) + f * (math.log(stop) - math.log(start)))
        else:
            x = start + f * (stop - start)
        out.append(format_value(kind, float("%.3g" % x)))  # 3 digits: 0.0313%, not 0.0312913%
    return out


# -------------------------------------------------------------- pieces --


def duration(value, path, what="a duration such as 30s, 10m or 1h30m"):
    """Seconds (float) from a number of seconds or '500ms', '30s', '10m', '1h30m'."""
    if isinstance(value, bool) or value is None:
        raise ValidationError(path, "expected %s, got %s" % (what, validate.describe(value)))
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValidationError(path, "%r is negative" % (value,))
        return float(value)
    text = str(value).strip()
    parts = re.findall(r"([0-9]*\.?[0-9]+)\s*(ms|h|m|s)", text)
    if not parts or re.sub(r"\s+", "", text) != "".join(n + u for n, u in parts):
        raise ValidationError(path, "cannot read %r as %s" % (value, what))
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * scale[u] for n, u in parts)


def _name(value):
    if value is None:
        return "sweep"
    if not isinstance(value, str) or not re.match(r"^[A-Za-z0-9_.-]{1,64}$", value):
        raise ValidationError("name", "%r: use 1-64 letters, digits, '_', '.' or '-'" % (value,))
    return value


def _plan(fabric):
    validate.mapping(fabric, "fabric", "{name: f1, kind: rail_optimized, servers: 4, rails: 2, spines: 2}")
    if "links" in fabric and "nodes" in fabric and "fabric" in fabric:
        return fabric  # already a compiled plan (docs/fabric-plan.md)
    try:
        return fabric_compile.compile_plan(fabric)
    except ValidationError as e:
        raise ValidationError("fabric.%s" % e.path if e.path else "fabric", e.message)


def _targets(targets):
    validate.sequence(targets, "targets", "[{host: gpu1, interface: eth1}]")
    if not targets:
        raise ValidationError("targets", "lists no interface")
    out, seen = [], set()
    for i, t in enumerate(targets):
        path = "targets[%d]" % i
        validate.mapping(t, path, "{host: gpu1, interface: eth1, netns: null}")
        for key in t:
            if key not in ("host", "interface", "netns"):
                raise ValidationError("%s.%s" % (path, key), "unknown key; a target has host, interface and netns")
        if not isinstance(t.get("host"), str) or not t["host"]:
            raise ValidationError(path + ".host", "required: the inventory host")
        validate.ifname(t.get("interface"), path + ".interface")
        netns = t.get("netns")
        if netns is not None and (not isinstance(netns, str) or not netns):
            raise ValidationError(path + ".netns", "a namespace name or null")
        ident = (t["host"], netns, t["interface"])
        if ident in seen:
            raise ValidationError(path, "%s %s is listed twice" % (t["host"], t["interface"]))
        seen.add(ident)
        out.append({"host": t["host"], "interface": t["interface"], "netns": netns})
    return out


def _workload(workload):
    validate.mapping(workload, "workload", "{type: allreduce}")
    if workload.get("type") not in WORKLOAD_TYPES:
        raise ValidationError("workload.type", "%r is not one of %s"
                              % (workload.get("type"), ", ".join(WORKLOAD_TYPES)))
    from ansible_collections.aifabric.emulation.plugins.module_utils.workload.argspec import ARGUMENT_SPEC
    if "repeats" in workload:
        raise ValidationError("workload.repeats", "the sweep sets it: give the sweep's repeats and baseline_repeats")
    unknown = sorted(k for k in workload if k not in ARGUMENT_SPEC)
    if unknown:
        raise ValidationError("workload.%s" % unknown[0], "not an option of aifabric.emulation.workload (its options: "
                              "%s)" % ", ".join(sorted(ARGUMENT_SPEC)))
    return copy.deepcopy(workload)


def _axis(i, axis, plan, targets):
    path = "axes[%d]" % i
    validate.mapping(axis, path, "{param: loss, values: [0.1%, 1%], links: rail:0}")
    for key in axis:
        if key not in ("name", "param", "values", "links", "direction"):
            raise ValidationError("%s.%s" % (path, key), "unknown key; an axis has name, param, values, links "
                                  "and direction")
    param = axis.get("param")
    if param not in PARAMS:
        raise ValidationError(path + ".param", "%r is not a netem parameter the sweep knows; use one of %s"
                              % (param, ", ".join(sorted(PARAMS))))
    kind, _section, _key, monotone = PARAMS[param]
    name = axis.get("name") or param
    if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9_.-]{1,64}$", name):
        raise ValidationError(path + ".name", "%r: use 1-64 letters, digits, '_', '.' or '-'" % (name,))
    raw = axis.get("values")
    if isinstance(raw, dict) and kind != "loss_model":
        raw = _range(kind, raw, path + ".values")
    if raw is not None:
        if not isinstance(raw, list):
            raw = [raw]
        if not raw:
            raise ValidationError(path + ".values", "lists no value")
    values, numeric = [], []
    for j, v in enumerate(raw or []):
        canon, base = canonical_value(kind, v, "%s.values[%d]" % (path, j))
        if canon in values:
            raise ValidationError("%s.values[%d]" % (path, j), "%s is listed twice" % value_label(canon))
        values.append(canon)
        numeric.append(None if base is None else base / _DISPLAY_SCALE[kind])
    direction = select.direction(axis.get("direction"), path + ".direction", plan is not None)
    links = axis.get("links", "all")
    if plan is not None:
        ends = select.fabric_ends(plan, links, direction, path + ".links")
    else:
        ends = select.target_ends(targets, links, direction, path + ".links")
    return {"name": name, "param": param, "kind": kind, "values": values,
            "numeric": numeric if kind in DISPLAY_UNIT else None, "unit": DISPLAY_UNIT.get(kind),
            "monotone": monotone, "links": links, "direction": direction, "ends": ends}


def _axes(axes, plan, targets):
    validate.sequence(axes, "axes", "[{param: loss, values: [0.1%, 1%], links: rail:0}]")
    if not axes:
        raise ValidationError("axes", "a sweep needs at least one axis")
    out, names = [], {}
    for i, a in enumerate(axes):
        ax = _axis(i, a, plan, targets)
        if ax["name"] in names:
            raise ValidationError("axes[%d].name" % i, "axis name %r is used by axes[%d]; give one of them a name"
                                  % (ax["name"], names[ax["name"]]))
        names[ax["name"]] = i
        out.append(ax)
    # Two axes setting the same netem key on one link end would overwrite each other.
    owner = {}
    for i, ax in enumerate(out):
        section, key = PARAMS[ax["param"]][1:3]
        slot = (section, key) if key and section != "loss" else (section,)
        for end in ax["ends"]:
            prev = owner.setdefault((end["key"], slot), i)
            if prev != i:
                raise ValidationError("axes[%d].links" % i, "%s also sets %s on %s (axes[%d]); one link end takes "
                                      "one value per parameter" % (ax["name"], ax["param"], end["key"], prev))
    return out


def _order(order, axes, repeats):
    if order is None or order == "grid":
        return {"type": "grid"}
    if order in ("random", "bisect"):
        order = {order: {}}
    if not isinstance(order, dict) or len(order) != 1 or list(order)[0] not in ("grid", "random", "bisect"):
        raise ValidationError("order", "expected grid, random {seed, points} or bisect {axis, target, tolerance, "
                              "low, high, max_probes}, got %s" % validate.describe(order))
    kind = list(order)[0]
    body = order[kind] or {}
    path = "order." + kind
    validate.mapping(body, path, "{seed: 1}")
    allowed = {"grid": (), "random": ("seed", "points"),
               "bisect": ("axis", "target", "tolerance", "low", "high", "max_probes", "scale", "probe_bounds",
                          "reprobes")}[kind]
    for key in body:
        if key not in allowed:
            raise ValidationError("%s.%s" % (path, key), "unknown key; %s takes %s"
                                  % (kind, ", ".join(allowed) or "nothing"))
    if kind == "grid":
        return {"type": "grid"}
    if kind == "random":
        seed = validate.optional_integer(body.get("seed"), path + ".seed", 0, 2**63)
        points = validate.optional_integer(body.get("points"), path + ".points", 1, 10**6)
        return {"type": "random", "seed": seed, "points": points}
    return _bisect(body, path, axes, repeats)


def _bisect(body, path, axes, repeats):
    by_name = dict((a["name"], a) for a in axes)
    name = body.get("axis")
    if name is None and len(axes) == 1:
        name = axes[0]["name"]
    if name not in by_name:
        raise ValidationError(path + ".axis", "%r is not an axis; name one of %s" % (name, ", ".join(by_name)))
    ax = by_name[name]
    if not ax["monotone"] or ax["numeric"] is None:
        raise ValidationError(path + ".axis", "bisect needs a numeric axis along which impairment only grows "
                              "(delay, jitter, loss, reorder, duplicate, corrupt, or rate downwards); %s (%s) "
                              "is not monotone" % (name, ax["param"]))
    for other in axes:
        if other is not ax and len(other["values"]) != 1:
            raise ValidationError("axes[%d].values" % axes.index(other), "bisect moves axis %s only; every other "
                                  "axis takes one value (got %d)" % (name, len(other["values"])))
    kind = ax["kind"]
    scale = _DISPLAY_SCALE[kind]
    bases = [x * scale for x in ax["numeric"]]

    def bound(key, default):
        if body.get(key) is None:
            if default is None:
                raise ValidationError("%s.%s" % (path, key), "required: give it, or list the axis's values")
            return default
        return parse_base(kind, body[key], "%s.%s" % (path, key))

    low = bound("low", min(bases) if bases else None)
    high = bound("high", max(bases) if len(bases) > 1 else None)
    if high <= low or math.isnan(high) or math.isnan(low):  # NaN is never above low
        raise ValidationError(path + ".high", "%s must be above low (%s)" % (format_value(kind, high),
                                                                             format_value(kind, low)))
    scale_kind = body.get("scale") or "linear"
    if scale_kind not in ("linear", "log"):
        raise ValidationError(path + ".scale", "%r: scale is linear or log" % (scale_kind,))
    if scale_kind == "log" and low <= 0:
        raise ValidationError(path + ".low", "a log scale needs low above 0")
    tolerance = bound("tolerance", (high - low) / 16.0)
    if not 0 < tolerance < high - low:
        raise ValidationError(path + ".tolerance", "must be above 0 and below high - low (%s)"
                              % format_value(kind, high - low))
    target = body.get("target", DEFAULT_TARGET)
    if isinstance(target, bool) or not isinstance(target, (int, float)) or target <= 0:
        raise ValidationError(path + ".target", "a JCT ratio above 0, such as 1.2, got %s" % validate.describe(target))
    max_probes = validate.integer(body.get("max_probes", DEFAULT_MAX_PROBES), path + ".max_probes", 1, 1000)
    reprobes = validate.integer(body.get("reprobes", 1), path + ".reprobes", 0, 10)
    probe_bounds = body.get("probe_bounds", True)
    if not isinstance(probe_bounds, bool):
        raise ValidationError(path + ".probe_bounds", "true or false")
    return {"type": "bisect", "axis": name, "target": float(target), "low": low, "high": high,
            "tolerance": tolerance, "unit_scale": scale, "kind": kind, "scale": scale_kind,
            "max_probes": max_probes, "reprobes": reprobes, "probe_bounds": probe_bounds,
            "monotone": ax["monotone"]}


def _thresholds(value):
    if value is None:
        return {}
    validate.mapping(value, "thresholds", "{max_jct_ratio: 1.5}")
    out = {}
    for key in value:
        path = "thresholds.%s" % key
        if key not in THRESHOLDS:
            raise ValidationError(path, "unknown metric; thresholds are %s" % ", ".join(THRESHOLDS))
        v = value[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
            raise ValidationError(path, "a ratio above 0, such as 1.5, got %s" % validate.describe(v))
        out[key] = float(v)
    return out


def check_output(path_value):
    """The run directory, absolute; it must be a writable directory or creatable in a writable one."""
    if not isinstance(path_value, str) or not path_value:
        raise ValidationError("output", "required: the run directory, got %s" % validate.describe(path_value))
    path = os.path.abspath(os.path.expanduser(path_value))
    probe = path
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        raise ValidationError("output", "%s is not a directory" % probe)
    if not os.access(probe, os.W_OK | os.X_OK):
        what = "is not writable" if probe == path else "cannot be created: %s is not writable" % probe
        raise ValidationError("output", "%s %s" % (path_value, what))
    return path


# ------------------------------------------------------ point validity --


def rule_for(axes, values, end_key):
    """The netem rule (the netem module's form) for one link end at one point's values."""
    rule = {}
    for ax in axes:
        if not any(e["key"] == end_key for e in ax["ends"]):
            continue
        _set(rule, ax["param"], values[ax["name"]])
    return rule


def _set(rule, param, value):
    section, key = PARAMS[param][1:3]
    if key is None:
        rule[section] = dict(value)
    else:
        rule.setdefault(section, {})[key] = value


def _check_rules(axes):
    """Every rule any point can put on any end passes the netem model, naming the axis at fault."""
    signatures = {}
    for i, ax in enumerate(axes):
        for end in ax["ends"]:
            signatures.setdefault(end["key"], []).append(i)
    seen = set()
    for end_key, idx in signatures.items():
        idx = tuple(idx)
        if idx in seen:
            continue
        seen.add(idx)
        for combo in itertools.product(*[axes[i]["values"] for i in idx]):
            rule = {}
            for i, v in zip(idx, combo):
                _set(rule, axes[i]["param"], v)
            _check_rule(rule, [axes[i] for i in idx], idx, end_key)


def _check_rule(rule, axes, idx, end_key):
    plain = copy.deepcopy(rule)
    dist = plain.get("delay", {}).pop("distribution", None)
    try:
        if dist not in (None, "uniform") and not plain.get("delay", {}).get("jitter"):
            raise ValidationError("rule.delay.distribution", "a %s distribution needs jitter above 0" % dist)
        if "delay" in plain and plain["delay"].get("time") is None:
            raise ValidationError("rule.delay.jitter", "jitter needs a delay; add a delay axis on these links")
        netem_model.normalize_rule(plain, "rule")
    except ValidationError as e:
        at = e.path[len("rule."):].split(".")
        culprit = None
        for i, ax in zip(idx, axes):
            section, key = PARAMS[ax["param"]][1:3]
            if at[0] == section and (key is None or len(at) < 2 or at[1] == key):
                culprit = i
        culprit = idx[-1] if culprit is None else culprit
        where = ", ".join("%s=%s" % (ax["name"], value_label(_get(rule, ax["param"]))) for ax in axes)
        raise ValidationError("axes[%d].values" % culprit, "at %s on %s: %s" % (where, end_key, e.message))


def _get(rule, param):
    section, key = PARAMS[param][1:3]
    return rule[section] if key is None else rule[section][key]


# ---------------------------------------------------------------- main --


def spec_hash(canon):
    """sha256 of what changes the measurements (not name, output, thresholds or ttl)."""
    data = dict((k, v) for k, v in canon.items() if k not in NOT_HASHED)
    if data.get("plan") is not None:
        data["plan"] = data["plan"].get("spec_hash") or data["plan"]
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalize(sweep, check_writable=True):
    """The canonical sweep (module docstring), or ValidationError naming the field."""
    validate.mapping(sweep, "sweep", "{name: s1, fabric: {...}, workload: {type: allreduce}, axes: [...]}")
    for key in sweep:
        if key not in KEYS:
            raise ValidationError(key, "unknown key; a sweep has %s" % ", ".join(KEYS))
    name = _name(sweep.get("name"))
    if (sweep.get("fabric") is None) == (sweep.get("targets") is None):
        raise ValidationError("fabric", "give either fabric (a topology spec or plan) or targets (plain hosts' "
                              "interfaces), not %s" % ("both" if sweep.get("fabric") is not None else "neither"))
    plan = _plan(sweep["fabric"]) if sweep.get("fabric") is not None else None
    targets = _targets(sweep["targets"]) if plan is None else None
    if sweep.get("workload") is None:
        raise ValidationError("workload", "required: {type: allreduce | iperf3 | ib_write_bw | nccl_tests | command}")
    workload = _workload(sweep["workload"])
    repeats = validate.integer(sweep.get("repeats", 3), "repeats", 1, 1000)
    baseline_repeats = validate.integer(sweep.get("baseline_repeats", 5), "baseline_repeats", 2, 1000)
    axes = _axes(sweep.get("axes"), plan, targets)
    order = _order(sweep.get("order"), axes, repeats)
    if order["type"] != "bisect":
        for i, ax in enumerate(axes):
            if not ax["values"]:
                raise ValidationError("axes[%d].values" % i, "required (only a bisect axis may leave them out)")
    else:
        ax = [a for a in axes if a["name"] == order["axis"]][0]
        ax["values"] = [format_value(ax["kind"], order["low"]), format_value(ax["kind"], order["high"])]
        ax["numeric"] = [order["low"] / order["unit_scale"], order["high"] / order["unit_scale"]]
    _check_rules(axes)
    seed = validate.optional_integer(sweep.get("seed"), "seed", 0, 2**64 - 1)
    settle = duration(sweep.get("settle", 0), "settle")
    ttl = duration(sweep.get("ttl", DEFAULT_TTL), "ttl")
    if ttl < 1:
        raise ValidationError("ttl", "%r is too short: a TTL is at least 1 second" % (sweep.get("ttl"),))
    thresholds = _thresholds(sweep.get("thresholds"))
    output = check_output(sweep.get("output")) if check_writable else sweep.get("output")
    canon = {"name": name, "mode": "fabric" if plan is not None else "targets", "plan": plan, "targets": targets,
             "workload": workload, "axes": axes, "order": order, "repeats": repeats,
             "baseline_repeats": baseline_repeats, "seed": seed, "settle": settle, "ttl": ttl,
             "thresholds": thresholds, "output": output}
    canon["spec_hash"] = spec_hash(canon)
    return canon
