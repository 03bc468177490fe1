# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Impairments on a fabric: the pure overlay of netem rules on the plan's link ends (docs/fabric.md).

overlay(plan, impairments, host) returns a copy of the plan whose `netem` and
`shaping` entries are rewritten for the ends the impairments name; the stager
then makes the kernel match it by diff, as it does for any plan. Nothing here
touches the kernel.

An impairment is the netem module's bulk `config` entry: {interface, netns,
direction, rules} with one rule in the netem module's rule form, validated by
netem/model.py, so it means what it means there, with three differences that
come from the fabric owning the qdiscs of its ends:

- `delay` adds to the link's own delay (the emulated cable stays): a link
  with delay 5us impaired with delay 1ms has 1.005ms on that end;
- `rate` changes the end's htb or tbf rate, not netem's rate; an end the
  fabric does not shape gets the fabric's rate qdisc at that rate. Overheads
  and cells (`packet_overhead`, `cell_size`, `cell_overhead`) are netem-only
  and refused;
- netem sits under the rate qdisc's class 1:1 (handle 10:) on a shaped end,
  else at the root; `match` (per-flow rules) and `direction: ingress` are
  refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from ansible_collections.aifabric.emulation.plugins.module_utils import errors, validate
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as compiler
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model

ValidationError = errors.ValidationError

FIELDS = ("interface", "netns", "direction", "rules")
ALIASES = {"dev": "interface"}
# netem parameters that impair (anything else, limit and seed, only tunes an impairment)
IMPAIRING = ("latency", "jitter", "loss", "duplicate", "reorder", "corrupt", "gemodel", "gimodel", "slot", "ecn")
EXAMPLE = "{interface: spine0, netns: f1-rail0, rules: [{delay: {time: 1ms}, loss: {percent: 1%}}]}"


def _digest(data):
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def base_digest(plan, host="localhost"):
    """What identifies this host's share of a base plan: its fabric and namespaces entries (a plan already
    overlaid carries the digest of the plan it was made from)."""
    if plan.get("base_digest"):
        return plan["base_digest"]
    spaces = [ns for ns in plan.get("namespaces") or () if isinstance(ns, dict) and ns.get("host", "localhost") == host]
    return _digest({"fabric": plan.get("fabric"), "namespaces": spaces})


def link_ends(plan):
    """{(netns, ifname): (link, side)} of every fabric link end (management links are not links: never impaired)."""
    out = {}
    for link in plan.get("links") or ():
        for side, end in enumerate(link.get("ends") or ()):
            out[(end.get("netns"), end.get("ifname"))] = (link, side)
    return out


def fabric_shaper(plan):
    """The fabric's rate qdisc (the spec's `shaping`): the kind its shaped ends carry, htb when none is shaped."""
    for ns in plan.get("namespaces") or ():
        for s in ns.get("shaping") or ():
            return s.get("qdisc") or "htb"
    return "htb"


def _examples(names, limit=6):
    names = sorted(names)
    more = " (and %d more)" % (len(names) - limit) if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


_RULES = {}


def _normalize_rule(rule, path, kernel_release):
    """model.normalize_rule, memoised on the rule's content: a sweep puts one rule on hundreds of ends."""
    memo = (repr(rule), kernel_release)  # equal rules from one task print alike; a valid rule is valid at any path
    found = _RULES.get(memo)
    if found is None:
        if len(_RULES) > 4096:
            _RULES.clear()
        found = _RULES[memo] = model.normalize_rule(rule, path, kernel_release)
    return found


def _seed(value, path, kernel_release):
    """A rule's seed, checked as netem/model.py checks it (same messages)."""
    seed = validate.optional_integer(value, path)
    if not 0 <= seed < 2 ** 64:
        raise ValidationError(path, "must be between 0 and 2^64-1")
    if kernel_release is not None and model.kernel_version(kernel_release) < model.SEED_MIN_KERNEL:
        raise ValidationError(path, "netem seed needs Linux %d.%d or newer; this host runs %s"
                              % (model.SEED_MIN_KERNEL + (kernel_release,)))
    return seed


def normalize(impairments, plan, host="localhost", kernel_release=None, path="impairments"):
    """Validate impairments (a list of the netem module's config entries) against the plan; [entry].

    Each entry: {index, path, netns, interface, direction, link, node, side, rule (canonical, netem/model.py),
    rate_bit (the rule's rate in bit/s, or None), netem (whether the rule needs a netem qdisc)}. Errors name
    the field (impairments[i].interface, impairments[i].rules[0].loss.percent, ...).
    """
    if impairments is None:
        return []
    validate.sequence(impairments, path, "[%s]" % EXAMPLE)
    ends = link_ends(plan)
    spaces = dict((ns.get("name"), ns) for ns in plan.get("namespaces") or () if isinstance(ns, dict))
    fabric = plan.get("fabric")
    seen, out = {}, []
    for i, raw in enumerate(impairments):
        where = "%s[%d]" % (path, i)
        validate.mapping(raw, where, EXAMPLE)
        entry = raw
        for alias, name in ALIASES.items():
            if alias in entry:
                if entry.get(name) is not None and entry[name] != entry[alias]:
                    raise ValidationError("%s.%s" % (where, alias), "is an alias of %s, which says otherwise" % name)
                entry = dict(entry)
                entry[name] = entry.pop(alias)
        if len(entry) > len(FIELDS) or any(k not in FIELDS for k in entry):
            unknown = sorted(k for k, v in entry.items() if k not in FIELDS and v is not None)
        else:
            unknown = ()
        if unknown:
            raise ValidationError("%s.%s" % (where, unknown[0]), "a fabric impairment takes %s (the netem module's "
                                  "config entry; the fabric's ttl is the task's)" % ", ".join(FIELDS))
        interface = entry.get("interface")
        if interface is None:
            raise ValidationError(where + ".interface", "required: the fabric interface to impair, e.g. spine0")
        validate.ifname(interface, where + ".interface")
        netns = entry.get("netns")
        if netns is None:
            raise ValidationError(where + ".netns", "required: fabric interfaces are in the fabric's namespaces "
                                  "(%s-<node>, e.g. %s-rail0)" % (fabric, fabric))
        ns = spaces.get(netns)
        if ns is None:
            raise ValidationError(where + ".netns", "%r is not a namespace of fabric %s (%s)" % (
                netns, fabric, _examples(spaces)))
        if ns.get("host", "localhost") != host:
            raise ValidationError(where + ".netns", "%s is on host %s, not on %s: impair it in that host's task"
                                  % (netns, ns.get("host"), host))
        found = ends.get((netns, interface))
        if found is None:
            here = [ifname for n, ifname in ends if n == netns]
            if interface in [l.get("ifname") for l in ns.get("links") or ()] or interface.startswith("mgmt"):
                why = "not a fabric link end"
            else:
                why = "not an interface of %s" % netns
            raise ValidationError(where + ".interface", "%s is %s; impairments go on the link ends in %s: %s"
                                  "%s" % (interface, why, netns, _examples(here) or "none",
                                          " (a VLAN's impairment goes on the veth under it)" if "." in interface
                                          else ""))
        direction = entry.get("direction") or "egress"
        if direction != "egress":
            raise ValidationError(where + ".direction", "%r: a fabric end is impaired on egress only (netem delays "
                                  "what leaves; impair the other end of the link for the other direction)"
                                  % (direction,))
        key = (netns, interface)
        if key in seen:
            raise ValidationError(where + ".interface", "%s in %s is impaired twice (also %s)" % (
                interface, netns, seen[key]))
        seen[key] = where
        rules = entry.get("rules")
        if rules is None:
            raise ValidationError(where + ".rules", "required: one rule, e.g. [{delay: {time: 1ms}}]")
        validate.sequence(rules, where + ".rules", "[{delay: {time: 1ms}}]")
        if len(rules) != 1:
            raise ValidationError(where + ".rules", "a fabric end takes exactly one rule (the whole interface), "
                                  "not %d; leave the entry out for none" % len(rules))
        rpath = where + ".rules[0]"
        validate.mapping(rules[0], rpath, "{delay: {time: 1ms}}")
        if rules[0].get("match"):
            raise ValidationError(rpath + ".match", "a fabric end takes one rule for all its traffic; per-flow "
                                  "rules are the netem module's, on interfaces the fabric does not own")
        raw, seed = rules[0], rules[0].get("seed")
        if seed is not None:  # a sweep gives every end a seed of its own: the rest of the rule is shared
            raw = dict(raw, seed=None)
        rule = _normalize_rule(raw, rpath, kernel_release)
        user = _user(rule)
        if seed is not None:
            seed = _seed(seed, rpath + ".seed", kernel_release)
            rule = dict(rule, netem=dict(rule["netem"], seed=seed))
            user = dict(user, seed=seed)
        p = rule["netem"]
        for name in ("packet_overhead", "cell_size", "cell_overhead"):
            if p[name]:
                raise ValidationError("%s.rate.%s" % (rpath, name), "a fabric end's rate is its htb or tbf rate, "
                                      "which takes no overhead or cells; leave %s out" % name)
        link, side = found
        out.append({"index": i, "path": where, "field": rpath, "netns": netns, "interface": interface,
                    "direction": "egress", "link": link.get("id"), "node": link["ends"][side].get("node"),
                    "side": side, "rule": rule, "user": user, "rate_bit": p["rate"] * 8 if p["rate"] else None,
                    "netem": any(p[k] for k in IMPAIRING)})
    return out


def overlay(plan, impairments, host="localhost", kernel_release=None, path="impairments"):
    """A copy of plan with the impairments on the ends they name (see the module's docstring); plan is unchanged.

    The copy has `impaired` (one entry per impairment: netns, interface, link, node, rule in the netem
    module's form, rate_bit, netem, delay_dist, slot_dist) and `base_digest` (base_digest of plan).
    """
    entries = normalize(impairments, plan, host, kernel_release, path)
    out = dict(plan)
    out["base_digest"] = base_digest(plan, host)
    out["impaired"] = []
    if not entries:
        return out
    shaper = fabric_shaper(plan)
    ends = link_ends(plan)
    index = dict((ns.get("name"), i) for i, ns in enumerate(plan["namespaces"]))
    spaces = list(plan["namespaces"])
    at = {}  # namespace index -> ({ifname: position in shaping}, {ifname: position in netem})
    for e in entries:
        i = index[e["netns"]]
        if i not in at:
            spaces[i] = dict(spaces[i], shaping=list(spaces[i].get("shaping") or ()),
                             netem=list(spaces[i].get("netem") or ()))
            at[i] = tuple(dict((x.get("ifname"), j) for j, x in enumerate(spaces[i][key]))
                          for key in ("shaping", "netem"))
        ns = spaces[i]
        _impair_end(ns, e, ends[(e["netns"], e["interface"])][0], shaper, at[i])
        rule = e["rule"]
        out["impaired"].append({"netns": e["netns"], "interface": e["interface"], "direction": "egress",
                                "link": e["link"], "node": e["node"], "rule": e["user"], "rate_bit": e["rate_bit"],
                                "netem": e["netem"], "delay_dist": model.dist_id(rule["delay_dist"]),
                                "slot_dist": model.dist_id(rule["slot_dist"]), "seed": rule["netem"]["seed"],
                                "path": e["path"]})
    out["namespaces"] = spaces
    return out


_USERS = {}


def _user(rule):
    """The rule in the netem module's form, without its name; memoised per canonical rule (rules are shared by
    _normalize_rule's memo, which keeps them alive)."""
    found = _USERS.get(id(rule))
    if found is None or found[0] is not rule:
        user = dict(model.rule_to_user(rule))
        user.pop("name", None)
        if len(_USERS) > 4096:
            _USERS.clear()
        found = _USERS[id(rule)] = (rule, user)
    return found[1]


def _impair_end(ns, e, link, shaper, positions):
    ifname = e["interface"]
    at = [positions[0][ifname]] if ifname in positions[0] else []
    if e["rate_bit"]:
        kind = ns["shaping"][at[0]].get("qdisc", "htb") if at else shaper
        shaped = compiler._shaping(ifname, kind, e["rate_bit"], int(link.get("mtu") or 1500))
        shaped["impairment"] = e["index"]
        if at:
            ns["shaping"][at[0]] = shaped
        else:
            positions[0][ifname] = len(ns["shaping"])
            ns["shaping"].append(shaped)
    is_shaped = bool(at) or bool(e["rate_bit"])
    rate_bit = e["rate_bit"] or (ns["shaping"][at[0]].get("rate_bit") if at else None) or link.get("rate_bit") or 0
    parent = compiler.SHAPE_CLASS if is_shaped else "root"
    old = [positions[1][ifname]] if ifname in positions[1] else []
    base = ns["netem"][old[0]] if old else None
    if not e["netem"]:
        if base is not None:
            ns["netem"][old[0]] = dict(base, parent=parent)  # the link's own delay, under the new shaper if any
        return
    rule = e["rule"]
    p = dict(rule["netem"])
    base_us = int(base.get("delay_us") or 0) if base else 0
    p["latency"] += base_us * 1000
    p["rate"] = 0
    if rule["auto_limit"]:
        sized = dict(p, rate=rate_bit // 8)
        p["limit"] = max(int(base.get("limit") or 0) if base else 0, model.auto_limit(sized),
                         compiler._netem_limit(rate_bit, p["latency"] // 1000))
    entry = {"ifname": ifname, "delay_us": p["latency"] // 1000, "limit": p["limit"], "handle": compiler.NETEM_HANDLE,
             "parent": parent, "netem": p, "delay_dist": rule["delay_dist"], "slot_dist": rule["slot_dist"],
             "impairment": e["index"], "field": e["field"]}
    if old:
        ns["netem"][old[0]] = entry
    else:
        positions[1][ifname] = len(ns["netem"])
        ns["netem"].append(entry)


def needs_netem(plan):
    """The field of the first impairment that needs a netem qdisc (delay, loss, ...), or None."""
    for ns in plan.get("namespaces") or ():
        for n in ns.get("netem") or ():
            if n.get("netem") is not None and n.get("field"):
                return n["field"]
    return None


def record(plan):
    """What the state record keeps of a plan's impairments: {impairments: per end its rule (an index into
    impairment_rules: ends impaired alike share one) and the distribution tables the kernel cannot show (netem
    dumps no table), so a re-run compares them without rewriting; impairment_rules}."""
    rules, index, ends = [], {}, []
    for e in plan.get("impaired") or ():
        rule = e["rule"]
        if rule.get("seed") is not None:
            rule = dict(rule)
            rule.pop("seed")
        key = repr(sorted(rule.items()))
        if key not in index:
            index[key] = len(rules)
            rules.append(rule)
        ends.append({"netns": e["netns"], "interface": e["interface"], "link": e["link"], "rule": index[key],
                     "seed": e["seed"], "rate_bit": e["rate_bit"], "delay_dist": e["delay_dist"],
                     "slot_dist": e["slot_dist"]})
    return {"impairments": ends, "impairment_rules": rules}


def recorded(entry):
    """A state record's host entry's impaired ends, each with its rule (the inverse of record())."""
    rules = (entry or {}).get("impairment_rules") or []
    out = []
    for e in (entry or {}).get("impairments") or ():
        rule = e.get("rule")
        if isinstance(rule, int) and 0 <= rule < len(rules):
            rule = rules[rule]
            if e.get("seed") is not None:
                rule = dict(rule, seed=e["seed"])
        out.append(dict(e, rule=rule))
    return out
