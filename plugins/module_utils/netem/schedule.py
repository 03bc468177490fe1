# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time-varying impairments: flaps, ramps and trace replay, compiled into steps.

A schedule drives one rule of one interface and direction. It is validated
and compiled here, in the module, before anything touches the kernel: every
step is the driven rule with some values changed, put through the same
validation as the module's own rules (model.normalize_rule), so a ramp to a
value the module would refuse is refused too, naming the field.

The steps are run on the host by the TTL watchdog (ttl.py), relative to the
moment the module applied the rules:

  flap    mode loss: the rule with 100% loss for `down`, every `every`, `count`
          times, then the rule again; mode link: the interface down, then up
  ramp    one parameter (delay, jitter, loss, rate) from `start` to `end` over
          `duration` in `steps` equal steps (step 0 at once sets `start`)
  trace   rows of `t, delay, jitter, loss, rate` (a CSV, for example exported
          from production telemetry); an empty cell keeps the rule's value

Each step is one netlink request: a netem step is RTM_NEWQDISC without
NLM_F_CREATE, NLM_F_REPLACE or NLM_F_EXCL, which is what `tc qdisc change`
sends. The kernel then changes the qdisc in place (packets already queued stay
queued; a delete and add would drop them) and refuses with ENOENT, instead of
creating one, if the qdisc is gone. Distribution tables are not sent again: a
change keeps the table the qdisc has.

Standard library only; nothing here reads or changes the kernel except Runner.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import hashlib
import io
import json
import math
import re

from ansible_collections.aifabric.emulation.plugins.module_utils import errors, validate
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model, units
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, rtnl, tc
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkError

ValidationError = errors.ValidationError

TYPES = ("flap", "ramp", "trace")
RAMP_PARAMETERS = ("delay", "jitter", "loss", "rate")
TRACE_COLUMNS = ("t", "delay", "jitter", "loss", "rate")
MAX_FLAPS = 1000
MAX_RAMP_STEPS = 1000
MAX_TRACE_ROWS = 10000
# Plain numbers in a trace mean these units (telemetry exports are plain numbers).
TRACE_PLAIN_UNITS = {"delay": "ms", "jitter": "ms", "loss": "%", "rate": "mbit"}

# Options of each schedule type; the others must be left out.
FIELDS = {
    "flap": ("mode", "down", "every", "count"),
    "ramp": ("parameter", "start", "end", "duration", "steps"),
    "trace": ("file", "content"),
}
ALL_FIELDS = ("mode", "down", "every", "count", "parameter", "start", "end", "duration", "steps", "file", "content")
# Argspec defaults, which are present even when the user did not write them.
DEFAULTS = {"mode": "loss", "count": 1}


# ------------------------------------------------------------ durations --

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d*)?|\.\d+)\s*(ms|d|h|m|s)\s*)+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|d|h|m|s)")
_PLAIN_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")
_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value, path, what="a duration"):
    """Seconds (float) from 20, 2.5, '90s', '10m', '1h', '1h30m' or '250ms'; ValidationError naming path."""
    if isinstance(value, bool):
        raise ValidationError(path, "expected %s such as 90s or 10m, got the boolean %s (%s)"
                              % (what, value, validate.BOOLEAN_HINT))
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and _PLAIN_NUMBER.match(value):
        seconds = float(value)
    elif isinstance(value, str) and _DURATION.match(value.lower()):
        seconds = sum(float(n) * _SECONDS[u] for n, u in _DURATION_PART.findall(value.lower()))
    elif isinstance(value, str) and value.strip().startswith("-"):
        raise ValidationError(path, "%r is negative; give %s such as 90s or 10m" % (value, what))
    else:
        raise ValidationError(path, "cannot read %s as %s: use seconds (20) or a number with d, h, m, s or ms "
                              "(90s, 10m, 1h30m)" % (validate.describe(value), what))
    if seconds < 0:
        raise ValidationError(path, "%r is negative; give %s such as 90s or 10m" % (value, what))
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValidationError(path, "%r is not a finite duration" % (value,))
    return seconds


def format_duration(seconds):
    """'20s', '1m30s', '1h', '250ms' (millisecond precision)."""
    ms = int(round(seconds * 1000))
    if ms % 1000:
        return "%gs" % (ms / 1000.0) if ms >= 1000 else "%dms" % ms
    s = ms // 1000
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            out += "%d%s" % (s // size, unit)
            s %= size
    if s or not out:
        out += "%ds" % s
    return out


# ---------------------------------------------------------------- steps --


class Step:
    """One change at t seconds after the schedule starts: netem options (kind "netem") or link up/down."""

    __slots__ = ("t", "kind", "options", "up", "label")

    def __init__(self, t, kind, options=None, up=None, label=""):
        self.t, self.kind, self.options, self.up, self.label = t, kind, options, up, label

    def request(self, ifindex, parent, handle):
        """(type, flags, payload): one netlink request, the kernel's `tc qdisc change` or `ip link set up/down`."""
        if self.kind == "link":
            return rtnl.set_link_request(ifindex, up=self.up)
        body = tc.tcmsg(ifindex, handle, parent) + nla.attr_str(tc.TCA_KIND, "netem") + \
            nla.attr(tc.TCA_OPTIONS, self.options)
        return tc.RTM_NEWQDISC, 0, body  # no CREATE, REPLACE or EXCL: change in place, ENOENT if gone

    def key(self):
        """What identifies the step, for the schedule's id."""
        return [round(self.t, 6), self.kind, self.up if self.kind == "link" else self.options.hex()]


class Schedule:
    """Compiled steps, in time order, with what the module reports about them."""

    def __init__(self, kind, rule, steps, summary=None, link=False):
        self.type, self.rule, self.steps = kind, rule, steps
        self.link = link  # whether steps take the interface down
        self.duration = steps[-1].t if steps else 0.0
        self.summary = dict(summary or {}, type=kind, rule=rule, steps=len(steps),
                            duration=format_duration(self.duration))
        digest = hashlib.sha256(json.dumps([kind, rule] + [s.key() for s in steps]).encode())
        self.id = digest.hexdigest()[:16]


# --------------------------------------------------------------- compile --


def normalize(raw, rules, kernel_release=None, path="schedule", ttl=None, ttl_path="ttl", read_file=None):
    """A Schedule from the module's `schedule` option and the entry's raw `rules`; ValidationError names the field.

    ttl (seconds or None): a schedule needs one at least as long as the schedule.
    read_file(path) -> text reads a trace file (default: open on this host).
    """
    validate.mapping(raw, path, "{type: flap, down: 1s, every: 10s, count: 3}")
    kind = raw.get("type")
    if kind not in TYPES:
        raise ValidationError(path + ".type", "%s is not one of %s" % (validate.describe(kind), ", ".join(TYPES)))
    for key in ALL_FIELDS:
        if key not in FIELDS[kind] and raw.get(key) is not None and raw.get(key) != DEFAULTS.get(key):
            raise ValidationError("%s.%s" % (path, key), "does not apply to a %s schedule (it takes %s)"
                                  % (kind, ", ".join(FIELDS[kind])))
    base, index = _driven_rule(raw.get("rule"), rules, path)
    rule_path = "rules[%d]" % index
    if kind == "flap":
        sched = _flap(raw, base, rule_path, kernel_release, path)
    elif kind == "ramp":
        sched = _ramp(raw, base, rule_path, kernel_release, path)
    else:
        sched = _trace(raw, base, rule_path, kernel_release, path, read_file)
    if ttl is None:
        raise ValidationError(ttl_path, "a schedule runs on the host under a TTL, so a dead controller still ends it: "
                              "set ttl to at least the schedule's length (%s)" % format_duration(sched.duration))
    if sched.duration > ttl:
        raise ValidationError(ttl_path, "%s is shorter than the schedule (%s, %s in all); the TTL must cover the "
                              "whole schedule" % (format_duration(ttl), _describe(sched), format_duration(sched.duration)))
    return sched


def _describe(sched):
    s = sched.summary
    if sched.type == "flap":
        return "flap %s for %s every %s, %d times" % (s["mode"], s["down"], s["every"], s["count"])
    if sched.type == "ramp":
        return "ramp of %s from %s to %s in %d steps" % (s["parameter"], s["start"], s["end"], s["steps"] - 1)
    return "trace of %d rows" % s["rows"]


def _driven_rule(name, rules, path):
    """(raw rule, index) the schedule drives: the one named, or the only rule."""
    if not isinstance(rules, (list, tuple)) or not rules:
        raise ValidationError(path, "a schedule drives one of the entry's rules, and none is given")
    names = [(r.get("name") or "default") if isinstance(r, dict) else None for r in rules]
    if name is None:
        if len(rules) > 1:
            raise ValidationError(path + ".rule", "this entry has %d rules (%s): name the one the schedule drives"
                                  % (len(rules), ", ".join(str(n) for n in names)))
        return rules[0], 0
    if name not in names:
        raise ValidationError(path + ".rule", "%r is not one of this entry's rules (%s)"
                              % (name, ", ".join(str(n) for n in names)))
    return rules[names.index(name)], names.index(name)


def _step_netem(base, changes, rule_path, kernel_release, field, label):
    """The driven rule with `changes` applied, through the module's validation: its canonical netem dict."""
    rule = _with_changes(base, changes, rule_path)
    try:
        return model.normalize_rule(rule, rule_path, kernel_release)["netem"]
    except ValidationError as e:
        raise ValidationError(field, "%s: the module would refuse it: %s (%s)" % (label, e.message, e.param))


def _with_changes(base, changes, rule_path):
    """A copy of a raw rule with delay time/jitter, random loss or rate set (None: unchanged)."""
    rule = dict(base)
    delay = dict(model.section(base, "delay", rule_path + ".delay") or {})
    if changes.get("delay") is not None:
        delay["time"] = "%dns" % changes["delay"]
    if changes.get("jitter") is not None:
        delay["jitter"] = "%dns" % changes["jitter"]
        delay.setdefault("time", "0ns")
    if delay:
        jitter = delay.get("jitter")
        if jitter is None or units.parse_time(jitter) == 0:
            # steps send no distribution table (a change keeps the qdisc's own), and without jitter
            # neither a distribution nor a correlation applies
            for key in ("distribution", "distribution_file", "correlation"):
                delay.pop(key, None)
        else:
            delay.pop("distribution", None)
            delay.pop("distribution_file", None)
        rule["delay"] = delay
    if changes.get("loss") is not None:
        rule["loss"] = {"percent": _percent_text(changes["loss"])}
        if not changes["loss"]:
            rule.pop("ecn", None)  # ecn needs a loss model; with no loss there is nothing to mark
    if changes.get("ecn") is False:
        rule.pop("ecn", None)
    if changes.get("rate") is not None:
        rate = dict(model.section(base, "rate", rule_path + ".rate") or {})
        rate["rate"] = "%dbps" % changes["rate"]
        rule["rate"] = rate
    return rule


def _percent_text(u32):
    return "%.10g%%" % (u32 * 100.0 / units.U32_MAX)


def _options(netem):
    return tc.encode_netem(netem)


def _positive(raw, key, path, what):
    value = raw.get(key)
    if value is None:
        raise ValidationError("%s.%s" % (path, key), "required for this schedule (%s)" % what)
    seconds = parse_duration(value, "%s.%s" % (path, key))
    if seconds <= 0:
        raise ValidationError("%s.%s" % (path, key), "must be above 0")
    return seconds


def _flap(raw, base, rule_path, release, path):
    mode = raw.get("mode") or "loss"
    if mode not in ("loss", "link"):
        raise ValidationError(path + ".mode", "%r is not one of loss, link" % (mode,))
    down = _positive(raw, "down", path, "how long each flap lasts, for example 2s")
    count = validate.integer(raw.get("count", 1) if raw.get("count") is not None else 1, path + ".count",
                             1, MAX_FLAPS)
    if raw.get("every") is None:
        if count > 1:
            raise ValidationError(path + ".every", "required with count above 1 (the period, for example 10s)")
        every = down
    else:
        every = _positive(raw, "every", path, "the period")
        if count > 1 and every <= down:
            raise ValidationError(path + ".every", "%s is not longer than down (%s): the link would never come back"
                                  % (format_duration(every), format_duration(down)))
    steps = []
    if mode == "link":
        for j in range(count):
            steps.append(Step(j * every, "link", up=False, label="flap %d down" % (j + 1)))
            steps.append(Step(j * every + down, "link", up=True, label="flap %d up" % (j + 1)))
    else:
        up_netem = _step_netem(base, {}, rule_path, release, path, "the rule")
        down_netem = _step_netem(base, {"loss": units.U32_MAX, "ecn": False}, rule_path, release, path + ".mode",
                                 "100% loss")
        up_options, down_options = _options(up_netem), _options(down_netem)
        for j in range(count):
            steps.append(Step(j * every, "netem", down_options, label="flap %d down (100%% loss)" % (j + 1)))
            steps.append(Step(j * every + down, "netem", up_options, label="flap %d up" % (j + 1)))
    summary = {"mode": mode, "down": format_duration(down), "every": format_duration(every), "count": count}
    return Schedule("flap", _name(base), steps, summary, link=mode == "link")


_RAMP_PARSERS = {"delay": units.parse_time, "jitter": units.parse_time, "loss": units.parse_percent,
                 "rate": units.parse_rate}
_RAMP_FORMAT = {"delay": units.format_time, "jitter": units.format_time, "loss": units.format_percent,
                "rate": units.format_rate}


def _ramp(raw, base, rule_path, release, path):
    parameter = raw.get("parameter")
    if parameter not in RAMP_PARAMETERS:
        raise ValidationError(path + ".parameter", "%s is not one of %s"
                              % (validate.describe(parameter), ", ".join(RAMP_PARAMETERS)))
    values = {}
    for key in ("start", "end"):
        if raw.get(key) is None:
            raise ValidationError("%s.%s" % (path, key), "required for a ramp (a %s value, for example %s)"
                                  % (parameter, {"delay": "10ms", "jitter": "1ms", "loss": "1%",
                                                 "rate": "1gbit"}[parameter]))
        try:
            values[key] = _RAMP_PARSERS[parameter](raw[key])
        except units.UnitError as e:
            raise ValidationError("%s.%s" % (path, key), str(e))
    duration = _positive(raw, "duration", path, "how long the ramp takes, for example 60s")
    count = validate.integer(raw.get("steps"), path + ".steps", 1, MAX_RAMP_STEPS) \
        if raw.get("steps") is not None else None
    if count is None:
        raise ValidationError(path + ".steps", "required for a ramp (how many equal steps, for example 10)")
    a, b = values["start"], values["end"]
    steps = []
    for j in range(count + 1):
        value = int(round(a + (b - a) * j / float(count)))
        field = path + (".start" if j == 0 else ".end" if j == count else ".steps")
        label = "%s %s" % (parameter, _RAMP_FORMAT[parameter](value))
        netem = _step_netem(base, {parameter: value}, rule_path, release, field,
                            "step %d (%s)" % (j, label) if 0 < j < count else label)
        steps.append(Step(duration * j / count, "netem", _options(netem), label=label))
    summary = {"parameter": parameter, "start": str(raw["start"]), "end": str(raw["end"])}
    return Schedule("ramp", _name(base), steps, summary)


def _trace(raw, base, rule_path, release, path, read_file):
    if (raw.get("file") is None) == (raw.get("content") is None):
        raise ValidationError(path + ".file", "a trace needs exactly one of file (a CSV on the managed host) "
                              "and content (the CSV text)")
    if raw.get("file") is not None:
        field = path + ".file"
        try:
            text = (read_file or _read)(raw["file"])
        except (IOError, OSError) as e:
            raise ValidationError(field, "cannot read %s: %s" % (raw["file"], e.strerror or e))
    else:
        field, text = path + ".content", raw["content"]
        if not isinstance(text, str):
            raise ValidationError(field, "expected the CSV text, got %s" % validate.describe(text))
    rows = parse_trace(text, field)
    steps = []
    for line, t, changes in rows:
        label = "row %d" % line
        netem = _step_netem(base, changes, rule_path, release, field, label)
        steps.append(Step(t, "netem", _options(netem), label=label))
    return Schedule("trace", _name(base), steps, {"rows": len(rows)})


def _read(filename):
    with open(filename) as f:
        return f.read()


def _name(rule):
    return (rule.get("name") if isinstance(rule, dict) else None) or "default"


def parse_trace(text, field):
    """[(row number, t seconds, {delay ns, jitter ns, loss u32, rate B/s or None})] from CSV text.

    Rows are `t, delay, jitter, loss, rate`, in that order, or in the order a
    header row names them (t first is not required; t is). Blank lines and
    lines starting with # are skipped. Row numbers are the file's line numbers.
    """
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    columns, rows, last_t = None, [], None
    for cells in reader:
        line = reader.line_num
        cells = [c.strip() for c in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if columns is None and rows == [] and cells[0][:1].isalpha():
            names = [c.lower() for c in cells]
            unknown = [c for c in names if c not in TRACE_COLUMNS]
            if unknown or "t" not in names or len(set(names)) != len(names):
                raise ValidationError(field, "row %d: a header names the columns %s, each at most once, and t is "
                                      "required; got %s" % (line, ", ".join(TRACE_COLUMNS), ", ".join(cells)))
            columns = names
            continue
        order = columns or TRACE_COLUMNS
        if len(cells) > len(order):
            raise ValidationError(field, "row %d: %d cells, but the rows have %d columns (%s)"
                                  % (line, len(cells), len(order), ", ".join(order)))
        values = dict(zip(order, cells))
        t = _trace_time(values.get("t", ""), field, line)
        if last_t is not None and t <= last_t:
            raise ValidationError(field, "row %d: t %s is not after the previous row's %s; times must increase"
                                  % (line, values["t"], format_duration(last_t)))
        last_t = t
        changes = {}
        for key in ("delay", "jitter", "loss", "rate"):
            cell = values.get(key, "")
            if cell == "":
                continue
            if _PLAIN_NUMBER.match(cell):
                cell += TRACE_PLAIN_UNITS[key]
            try:
                changes[key] = _RAMP_PARSERS[key](cell)
            except units.UnitError as e:
                raise ValidationError(field, "row %d: %s: %s" % (line, key, e))
        rows.append((line, t, changes))
        if len(rows) > MAX_TRACE_ROWS:
            raise ValidationError(field, "more than %d rows" % MAX_TRACE_ROWS)
    if not rows:
        raise ValidationError(field, "the trace has no rows (t, delay, jitter, loss, rate)")
    return rows


def _trace_time(cell, field, line):
    if cell == "":
        raise ValidationError(field, "row %d: t is empty (seconds from the start, for example 1.5)" % line)
    try:
        return parse_duration(cell, field)
    except ValidationError as e:
        raise ValidationError(field, "row %d: t: %s" % (line, e.message))


# ---------------------------------------------------------------- runner --


class Runner:
    """Sends a schedule's steps at their times, relative to start (time.monotonic()), one request each.

    The caller owns the clock and the waiting (the watchdog waits for signals
    too); the runner says when the next step is due and sends it.
    """

    def __init__(self, session, steps, start, ifindex, parent=None, handle=None):
        self.session, self.steps, self.start = session, steps, start
        self.ifindex, self.parent, self.handle = ifindex, parent, handle
        self.index = 0
        self.lateness = []  # seconds between each step's time and its send
        self.error = None
        self.link_down = False

    @property
    def done(self):
        return self.error is not None or self.index >= len(self.steps)

    def next_due(self):
        """When the next step is due (monotonic seconds), or None when the schedule is over."""
        if self.done:
            return None
        return self.start + self.steps[self.index].t

    def step(self, now_fn):
        """Send the next step now; a refusal ends the schedule (error says which step and why)."""
        step = self.steps[self.index]
        sent = now_fn()
        self.lateness.append(sent - (self.start + step.t))
        try:
            self.session.request(*step.request(self.ifindex, self.parent, self.handle))
        except (OSError, ValueError, NetlinkError) as e:
            self.error = "step %d (%s) at %s: %s" % (self.index, step.label, format_duration(step.t), e)
            return False
        if step.kind == "link":
            self.link_down = not step.up
        self.index += 1
        return True
