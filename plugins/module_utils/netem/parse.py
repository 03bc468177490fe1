# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""state: parsed for netem: iproute2's JSON in, the gathered view out, no kernel access.

The input is the output of `tc -j qdisc show` (every device of a namespace;
`tc -j qdisc show dev X` leaves the device names out and is refused),
optionally followed by the output of `ip -j -d link show` of the same
namespace: the text `tc -j qdisc show; ip -j -d link show` prints.
The result has the shape of core.gather_all(): one
{"interface", "netns": None, "direction", "rules"} per tree this collection
owns, rules in model.rule_to_user()'s shape. Owned trees are recognised by
their handles, as the core does (docs/architecture.md): a root netem fab0:
(one rule), or a root prio fab0: with netem leaves fab<1+k>: under the
classes fab0:<1+k>. Anything else is left out.

What the text cannot tell, and how parse reports it:

* match: u32 filters are not part of qdisc output, so rules have no match.
* rule names live in the state file, not the kernel: the rule of a root
  netem and of prio band 0 is "default", a leaf of band k is "rule<k>", as
  the core names them without a state record.
* distribution tables (delay and slot) are never shown by tc: no
  "distribution" key is reported.
* ingress trees sit on an IFB device (ifb-<dev> or ifb-i<index>) whose alias
  names the device. Aliases are not in qdisc output: with the link list
  appended, such a tree is reported as direction ingress of its device, as
  gathered does; without it, under the IFB's own name as egress.
* seed: iproute2 prints it from 6.6 on (and the kernel has it from 6.6 on);
  before that a seed cannot be recovered. Where it is printed it is reported
  even when the kernel chose it, as the core does without a state record.
* precision: tc prints times and probabilities with 6 significant digits
  (printf %g). Probabilities are formatted with 6 significant digits anyway,
  so they come back as the same text. A time comes back as the roundest one
  (the most trailing zeros in nanoseconds) that prints as the same digits.
  iproute2 before 6.9 prints delay and jitter from the kernel's 64 ns ticks
  turned into whole microseconds, both cut down (and capped near 274.878 s):
  250us prints as 0.000249, and reads back as 250us because a time printed
  by either kind of iproute2 will do. Every multiple of 10us reads back
  exactly from both; before 6.9 other times may read up to 1us low (1001us
  prints as 0.001: 1ms) and a delay under 1us as none; from 6.9 on a time
  ending in 9us may read as the next 10us (249us as 250us), as the text
  cannot tell which iproute2 printed it.

The JSON keys are the same in iproute2 6.1 (Debian bookworm) and later ones
(6.12 checked): only "seed" is new (6.6), and from 6.9 on "delay" and
"jitter" are printed from the 64-bit nanosecond attributes, not the ticks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import decimal
import json

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model, plan

PARAM = "running_config"
COMMAND = "`tc -j qdisc show`"
LINKS = "`ip -j -d link show`"
U32_MAX = model.U32_MAX
TICK_NS = 64  # PSCHED_NS2TICKS: iproute2 < 6.9 prints delay and jitter from these ticks
NS = decimal.Decimal(10**9)


def _fail(message):
    raise errors.ValidationError(PARAM, message)


def _kind(value):
    if isinstance(value, bool):
        return "boolean"
    for types, name in ((dict, "object"), (list, "list"), (str, "string")):
        if isinstance(value, types):
            return name
    return "null" if value is None else "number"


def _documents(text):
    """The JSON values in text, one after another (numbers as Decimal: the digits tc printed)."""
    if not isinstance(text, str):
        _fail("expected the text output of %s, got %s" % (COMMAND, type(text).__name__))
    decoder = json.JSONDecoder(parse_float=decimal.Decimal)
    docs, pos, end = [], 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos == end:
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except ValueError as e:
            _fail("is not JSON (%s): give the output of %s" % (e, COMMAND))
        docs.append(value)
    if not docs:
        _fail("is empty: give the output of %s" % COMMAND)
    if len(docs) > 2:
        _fail("holds %d JSON documents; give the output of %s, optionally followed by %s"
              % (len(docs), COMMAND, LINKS))
    for doc, what in zip(docs, (COMMAND, LINKS)):
        if not isinstance(doc, list):
            _fail("expected a JSON list, the output of %s; got a JSON %s" % (what, _kind(doc)))
    return docs


def _field(obj, key, types, where, required=True, what=COMMAND):
    if key not in obj:
        if required:
            _fail("%s has no %r: is this the output of %s?" % (where, key, what))
        return None
    value = obj[key]
    types = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        _fail("%s.%s is a JSON %s, not what %s prints" % (where, key, _kind(value), what))
    return value


def _handle(text, where):
    """'fab0:' / 'fab0:1' -> 32-bit tc handle."""
    major, sep, minor = text.partition(":")
    try:
        if not sep:
            raise ValueError(text)
        major, minor = int(major or "0", 16), int(minor or "0", 16)
        if major >> 16 or minor >> 16:
            raise ValueError(text)
        value = (major << 16) | minor
    except ValueError:
        _fail("%s %r is not a tc handle such as 'fab0:'" % (where, text))
    return value


# ------------------------------------------------------------- values --


def _number(obj, key, where):
    value = _field(obj, key, (int, decimal.Decimal), where)
    if value < 0:
        _fail("%s.%s is negative (%s)" % (where, key, value))
    return value


def _int(obj, key, where, required=True):
    value = _field(obj, key, int, where, required)
    return 0 if value is None else value


def _u32(obj, key, where):
    """A probability tc printed as a fraction of 1 -> the kernel's u32 scale."""
    value = _number(obj, key, where)
    if value > 1:
        _fail("%s.%s is above 1 (%s): not a probability" % (where, key, value))
    return int(round(float(value) * U32_MAX))


def _ns(obj, key, where, ticks=False):
    """Nanoseconds from the seconds tc printed: the roundest time that prints as the same digits.

    tc prints with %g: 6 significant digits of the nanoseconds the kernel has.
    ticks: delay and jitter, which iproute2 before 6.9 printed from the
    kernel's 64 ns ticks turned into whole microseconds, both cut down (so
    250us prints as 0.000249). Which printer made the text cannot be told, so
    a time that either one prints as these digits will do; among them the
    roundest (the most trailing zeros in nanoseconds) wins, then the nearest
    to the printed value.
    """
    value = decimal.Decimal(_number(obj, key, where))
    if not value:
        return 0
    digits = max(6, len(value.normalize().as_tuple().digits))  # %g prints 6; more means a finer printer
    half = decimal.Decimal(10) ** (value.adjusted() - digits + 1) * NS / 2
    ns = value * NS
    ranges = [(ns - half, ns + half)]  # closed: what %g rounds to these digits
    if ticks:
        first_us, last_us = _ceil(ns - half, 1000), _floor(ns + half, 1000)  # whole microseconds printed so
        if first_us <= last_us:  # the times whose ticks cut down to those microseconds
            ranges.append((_ceil(first_us, TICK_NS), _ceil(last_us + 1000, TICK_NS) - 1))
    for k in range(19, -1, -1):
        step = 10**k
        found = [m for low, high in ranges for m in _multiples(_ceil(low, step), high, step)]
        if found:
            return int(min(found, key=lambda m: (abs(m - ns), m)))
    return int(ns.to_integral_value())


def _ceil(value, step):
    """The first multiple of step at or above value."""
    return (decimal.Decimal(value) / step).to_integral_value(rounding=decimal.ROUND_CEILING) * step


def _floor(value, step):
    return (decimal.Decimal(value) / step).to_integral_value(rounding=decimal.ROUND_FLOOR) * step


def _multiples(first, high, step):
    m = first
    while m <= high:
        yield m
        m += step


def netem_params(options, where):
    """Canonical netem parameters (model.NETEM_KEYS, kernel units) from tc's JSON options."""
    p = model.empty_netem()
    p["limit"] = _int(options, "limit", where)
    p["gap"] = _int(options, "gap", where, required=False)
    d = _section(options, "delay", where)
    if d is not None:
        w = where + ".delay"
        p["latency"] = _ns(d, "delay", w, ticks=True)
        p["jitter"] = _ns(d, "jitter", w, ticks=True) if "jitter" in d else 0
        p["delay_corr"] = _u32(d, "correlation", w) if "correlation" in d else 0
    for section, key, corr_key, json_key in (("loss-random", "loss", "loss_corr", "loss"),
                                             ("duplicate", "duplicate", "dup_corr", "duplicate"),
                                             ("reorder", "reorder", "reorder_corr", "reorder"),
                                             ("corrupt", "corrupt", "corrupt_corr", "corrupt")):
        d = _section(options, section, where)
        if d is not None:
            w = "%s.%s" % (where, section)
            p[key] = _u32(d, json_key, w)
            p[corr_key] = _u32(d, "correlation", w) if "correlation" in d else 0
    d = _section(options, "loss-state", where)
    if d is not None:
        w = where + ".loss-state"
        p["gimodel"] = tuple(_u32(d, k, w) for k in ("p13", "p31", "p32", "p14", "p23"))
    d = _section(options, "loss-gemodel", where)
    if d is not None:
        w = where + ".loss-gemodel"
        p["gemodel"] = (_u32(d, "p", w), _u32(d, "r", w), U32_MAX - _u32(d, "1-h", w), _u32(d, "1-k", w))
    d = _section(options, "rate", where)
    if d is not None:
        w = where + ".rate"
        p["rate"] = _int(d, "rate", w)
        p["packet_overhead"] = _int(d, "packetoverhead", w, required=False)
        p["cell_size"] = _int(d, "cellsize", w, required=False)
        p["cell_overhead"] = _int(d, "celloverhead", w, required=False)
    d = _section(options, "slot", where)
    if d is not None:
        w = where + ".slot"
        if "distribution" in d:  # tc's key for the slot's delay when it has a distribution
            low = high = 0
            delay, jitter = _ns(d, "distribution", w), _ns(d, "jitter", w)
        else:
            low, high, delay, jitter = _ns(d, "min-delay", w), _ns(d, "max-delay", w), 0, 0
        slot = (low, high, _int(d, "packets", w, required=False), _int(d, "bytes", w, required=False), delay, jitter)
        p["slot"] = slot if any(slot) else None
    p["ecn"] = bool(_field(options, "ecn", bool, where, required=False))
    if "seed" in options:
        p["seed"] = _int(options, "seed", where)
    return p


def _section(options, key, where):
    return _field(options, key, dict, where, required=False)


def rule(name, options, where):
    """A rule in rule_to_user()'s shape, without what tc cannot show (match, distributions)."""
    user = model.rule_to_user({"name": name, "match": None, "netem": netem_params(options, where),
                               "delay_dist": None, "slot_dist": None})
    out = dict((k, dict(v) if isinstance(v, dict) else v) for k, v in user.items())  # rule_to_user's is shared
    for key in ("delay", "slot"):
        if key in out:
            out[key].pop("distribution", None)
    return out


# -------------------------------------------------------------- trees --


def _qdiscs(doc):
    """{dev: [qdisc]} in the order devices first appear, each qdisc with its handle and parent as numbers."""
    devs = {}
    for i, q in enumerate(doc):
        where = "qdisc[%d]" % i
        if not isinstance(q, dict):
            _fail("%s is a JSON %s, not a qdisc object of %s" % (where, _kind(q), COMMAND))
        kind = _field(q, "kind", str, where)
        if "dev" not in q:
            _fail("%s (%s) has no 'dev': give %s for all devices, not for one (dev ...)" % (where, kind, COMMAND))
        dev = _field(q, "dev", str, where)
        where = "qdisc[%d] (%s %s)" % (i, kind, dev)
        handle = _handle(_field(q, "handle", str, where), where + ".handle")
        if _field(q, "root", bool, where, required=False):
            parent = plan.TC_H_ROOT
        else:
            text = _field(q, "parent", str, where, required=False)
            parent = None if text is None else _handle(text, where + ".parent")
        devs.setdefault(dev, []).append({"kind": kind, "handle": handle, "parent": parent, "where": where,
                                         "options": q.get("options")})
    return devs


def _options(q):
    if not isinstance(q["options"], dict):
        _fail("%s has no options object: is this the output of %s?" % (q["where"], COMMAND))
    return q["options"]


def tree(qdiscs):
    """The rules of the tree this collection owns among one device's qdiscs (core.Namespace.tree)."""
    root = [q for q in qdiscs if q["parent"] == plan.TC_H_ROOT]
    if not root or root[0]["handle"] != plan.ROOT_HANDLE:
        return []
    root = root[0]
    if root["kind"] == "netem":
        return [rule("default", _options(root), root["where"] + ".options")]
    if root["kind"] != "prio":
        return []
    leaves = dict((q["parent"], q) for q in qdiscs if q["kind"] == "netem")
    bands = _int(_options(root), "bands", root["where"] + ".options")
    rules = []
    for band in range(bands):
        leaf = leaves.get(plan.class_id(band))
        if leaf is None or leaf["handle"] != plan.leaf_handle(band):
            continue
        rules.append(rule("default" if band == 0 else "rule%d" % band, _options(leaf), leaf["where"] + ".options"))
    return rules


def _ifbs(doc, devs):
    """([link names], {dev: IFB name}) from `ip -j -d link show`: which IFB carries each device's ingress."""
    names, ifb_of, ours = [], {}, set()
    for i, link in enumerate(doc):
        where = "link[%d]" % i
        if not isinstance(link, dict):
            _fail("%s is a JSON %s, not a link object of %s" % (where, _kind(link), LINKS))
        name = _field(link, "ifname", str, where, what=LINKS)
        names.append(name)
        alias = _field(link, "ifalias", str, where, required=False, what=LINKS) or ""
        info = link.get("linkinfo")
        if not alias.startswith(plan.IFB_ALIAS_PREFIX) or (isinstance(info, dict) and info.get("info_kind") != "ifb"):
            continue
        ours.add(name)
        dev = alias[len(plan.IFB_ALIAS_PREFIX):].split(";", 1)[0]
        ifb_of.setdefault(dev, name)  # the first in link order, as core.Namespace.ifb_for
    missing = [d for d in devs if d not in set(names)]
    if missing:
        _fail("the link list has no %s, which the qdisc list has: give both outputs from the same namespace"
              % ", ".join(missing))
    return names, ifb_of, ours


def parse(text):
    """Owned netem trees (core.gather_all()'s shape) from `tc -j qdisc show` [+ `ip -j -d link show`]."""
    docs = _documents(text)
    devs = _qdiscs(docs[0])
    out = []
    if len(docs) == 1:
        for dev, qdiscs in devs.items():
            rules = tree(qdiscs)
            if rules:
                out.append({"interface": dev, "netns": None, "direction": "egress", "rules": rules})
        return out
    names, ifb_of, ours = _ifbs(docs[1], devs)
    for name in names:
        if name in ours:
            continue
        for direction, target in (("egress", name), ("ingress", ifb_of.get(name))):
            rules = tree(devs.get(target, [])) if target else []
            if rules:
                out.append({"interface": name, "netns": None, "direction": direction, "rules": rules})
    return out
