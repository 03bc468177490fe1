# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Link selectors: which link ends of a fabric plan (or which plain interfaces) an axis impairs.

Grammar (docs/sweep.md):
    selector := term ("," term)*          union
    term     := atom ("/" atom)*          intersection (server:3/rail:0)
    atom     := all | uplinks | class:<c> | rail:<k|*> | server:<i|*> | leaf:<i|*>
              | spine:<i|*> | super:<i|*> | pod:<p|*> | node:<name> | link:<id>
Targets mode (plain hosts): all | host:<name> | interface:<name> | target:<i>.

A fabric link's ends come in the plan's order: ends[0] is the tier nearer the
servers (server, then leaf, then pod spine), ends[1] the tier above. netem
shapes egress only, so an impairment is put on the sending end:
    up     ends[0] sends (server -> leaf -> spine -> super-spine)
    down   ends[1] sends (towards the servers)
    both   both ends (default)
`egress` is accepted as a synonym of `up` in fabric mode.

Result: a list of ends, each {key, link, node, host, netns, interface, direction},
in the plan's link order; key is "<link id>@<sending node>" (fabric) or
"<host>/<netns or ->/<interface>/<direction>" (targets).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.aifabric.emulation.plugins.module_utils import errors

ValidationError = errors.ValidationError

CLASSES = ("server_leaf", "leaf_spine", "spine_super")
FABRIC_DIRECTIONS = {"both": "both", "up": "up", "down": "down", "egress": "up"}
TARGET_DIRECTIONS = ("both", "egress", "ingress")
FABRIC_ATOMS = ("all", "uplinks", "class:<c>", "rail:<k>", "server:<i>", "leaf:<i>", "spine:<i>",
                "super:<i>", "pod:<p>", "node:<name>", "link:<id>")
TARGET_ATOMS = ("all", "host:<name>", "interface:<name>", "target:<i>")
_ROLE_OF = {"server": "server", "leaf": "leaf", "spine": "spine", "super": "super_spine"}


def _index(text, path, atom):
    if text == "*":
        return "*"
    if not re.match(r"^[0-9]+$", text):
        raise ValidationError(path, "%r: %s takes a number or *" % (atom, atom.split(":")[0]))
    return int(text)


def _node_matches(plan, role, idx):
    return set(name for name, node in plan["nodes"].items()
               if node["role"] == role and (idx == "*" or node["index"] == idx))


def _fabric_atom(plan, atom, path):
    links = plan["links"]
    if atom == "all":
        return set(l["id"] for l in links)
    if atom == "uplinks":
        return set(l["id"] for l in links if l["class"] in ("leaf_spine", "spine_super"))
    word, sep, arg = atom.partition(":")
    if not sep or not arg:
        raise ValidationError(path, "%r is not a selector; use one of %s, joined by ',' (union) or '/' "
                              "(intersection)" % (atom, ", ".join(FABRIC_ATOMS)))
    if word == "class":
        if arg not in CLASSES:
            raise ValidationError(path, "%r: class is one of %s" % (atom, ", ".join(CLASSES)))
        return set(l["id"] for l in links if l["class"] == arg)
    if word == "link":
        return set(l["id"] for l in links if l["id"] == arg)
    if word == "node":
        return set(l["id"] for l in links if arg in (l["ends"][0]["node"], l["ends"][1]["node"]))
    if word == "rail":
        k = _index(arg, path, atom)
        return set(l["id"] for l in links if l["class"] == "server_leaf" and l["rail"] is not None
                   and (k == "*" or l["rail"] == k))
    if word == "pod":
        p = _index(arg, path, atom)
        return set(l["id"] for l in links if l["pod"] is not None and (p == "*" or l["pod"] == p))
    if word in _ROLE_OF:
        names = _node_matches(plan, _ROLE_OF[word], _index(arg, path, atom))
        return set(l["id"] for l in links if l["ends"][0]["node"] in names or l["ends"][1]["node"] in names)
    raise ValidationError(path, "%r: unknown selector %r; use one of %s" % (atom, word, ", ".join(FABRIC_ATOMS)))


def _target_atom(targets, atom, path):
    if atom == "all":
        return set(range(len(targets)))
    word, sep, arg = atom.partition(":")
    if word == "host" and sep:
        return set(i for i, t in enumerate(targets) if t["host"] == arg)
    if word == "interface" and sep:
        return set(i for i, t in enumerate(targets) if t["interface"] == arg)
    if word == "target" and sep:
        i = _index(arg, path, atom)
        return set(range(len(targets))) if i == "*" else set([i]) & set(range(len(targets)))
    raise ValidationError(path, "%r is not a selector of plain targets; use one of %s, joined by ',' or '/'"
                          % (atom, ", ".join(TARGET_ATOMS)))


def _evaluate(selector, path, atom_fn):
    if not isinstance(selector, str) or not selector.strip():
        raise ValidationError(path, "expected a selector such as 'rail:0', 'uplinks' or 'all', got %r" % (selector,))
    chosen = set()
    for term in selector.split(","):
        term = term.strip()
        if not term:
            raise ValidationError(path, "%r has an empty term" % selector)
        found = None
        for atom in term.split("/"):
            got = atom_fn(atom.strip(), path)
            found = got if found is None else found & got
        chosen |= found
    return chosen


def fabric_ends(plan, selector, direction, path):
    """The sending ends of the plan's links that selector picks, for direction (up, down, both)."""
    ids = _evaluate(selector, path, lambda atom, p: _fabric_atom(plan, atom, p))
    if not ids:
        raise ValidationError(path, "%r matches no link of fabric %s (%s, %d links)"
                              % (selector, plan["fabric"], plan["kind"], len(plan["links"])))
    sides = {"up": (0,), "down": (1,), "both": (0, 1)}[FABRIC_DIRECTIONS[direction]]
    out = []
    for link in plan["links"]:
        if link["id"] not in ids:
            continue
        for side in sides:
            end = link["ends"][side]
            out.append({"key": "%s@%s" % (link["id"], end["node"]), "link": link["id"], "node": end["node"],
                        "host": end["host"], "netns": end["netns"], "interface": end["ifname"],
                        "direction": "egress", "class": link["class"], "rail": link["rail"], "pod": link["pod"]})
    return out


def target_ends(targets, selector, direction, path):
    """The plain interfaces selector picks; direction egress, ingress or both (ingress goes through an IFB)."""
    idx = _evaluate(selector, path, lambda atom, p: _target_atom(targets, atom, p))
    if not idx:
        raise ValidationError(path, "%r matches none of the %d targets" % (selector, len(targets)))
    dirs = ("egress", "ingress") if direction == "both" else (direction,)
    out = []
    for i, t in enumerate(targets):
        if i not in idx:
            continue
        for d in dirs:
            out.append({"key": "%s/%s/%s/%s" % (t["host"], t["netns"] or "-", t["interface"], d),
                        "link": "%s/%s" % (t["host"], t["interface"]), "node": t["host"], "host": t["host"],
                        "netns": t["netns"], "interface": t["interface"], "direction": d,
                        "class": None, "rail": None, "pod": None})
    return out


def direction(value, path, fabric):
    """The canonical direction: up/down/both for a fabric, egress/ingress/both for targets."""
    if value is None:
        return "both"
    if fabric:
        if value not in FABRIC_DIRECTIONS:
            raise ValidationError(path, "%r: a fabric link's direction is up, down or both" % (value,))
        return FABRIC_DIRECTIONS[value]
    if value not in TARGET_DIRECTIONS:
        raise ValidationError(path, "%r: a target's direction is egress, ingress or both" % (value,))
    return value
