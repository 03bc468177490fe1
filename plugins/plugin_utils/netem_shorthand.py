# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shorthand for netem rule sections, expanded on the controller before the module sees them.

``delay: 5ms`` means ``delay: {time: 5ms}``; likewise ``loss: 1%`` means
``{percent: 1%}`` (the random loss model), ``duplicate``, ``corrupt`` and
``reorder`` take a percentage and ``rate: 1gbit`` means ``{rate: 1gbit}``.
This applies to every rule of ``rules`` and of each ``config[].rules``.

Only a plain value is shorthand: a string holding ``=`` (Ansible's
``time=5ms jitter=1ms`` form) or starting with ``{`` (JSON) is left for the
module to parse as before, and so is anything that is not a string, so the
module's own validation reports it with the option's name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible_collections.aifabric.emulation.plugins.module_utils.netem.model import SHORTHANDS as SHORTHAND
from ansible_collections.aifabric.emulation.plugins.module_utils.netem.model import is_shorthand


def expand_rule(rule):
    """One rule with its shorthand sections expanded (a new dict when anything changed)."""
    if not isinstance(rule, Mapping):
        return rule
    expanded = None
    for section, option in SHORTHAND.items():
        value = rule.get(section)
        if is_shorthand(value):
            if expanded is None:
                expanded = dict(rule)
            expanded[section] = {option: value}
    return rule if expanded is None else expanded


def _expand_rules(container):
    rules = container.get("rules")
    if not isinstance(rules, list):
        return container
    new = [expand_rule(r) for r in rules]
    if all(a is b for a, b in zip(new, rules)):
        return container
    copy = dict(container)
    copy["rules"] = new
    return copy


def expand(args):
    """The netem module's arguments with shorthand expanded in rules[] and config[].rules[]; args is not changed."""
    if not isinstance(args, Mapping):
        return args
    out = _expand_rules(args)
    config = out.get("config")
    if isinstance(config, list):
        new = [_expand_rules(e) if isinstance(e, Mapping) else e for e in config]
        if not all(a is b for a, b in zip(new, config)):
            out = dict(out)
            out["config"] = new
    return out
