# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue for aifabric.emulation.vlan."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import core, model


def _text(entries):
    return "".join("- %s\n" % ", ".join("%s: %s" % (k, e[k]) for k in sorted(e)) for e in entries)


def run_module(module):
    p = module.params
    try:
        want = model.normalize_config(p["config"]) if p["config"] is not None else []
        if p["state"] == "rendered":
            module.exit_json(changed=False, rendered=core.render_config(want, p["netns"]))
        if p["state"] == "gathered":
            parents = set(e["parent"] for e in want) or None
            module.exit_json(changed=False, gathered=core.gather(p["netns"], parents))
        result = core.converge(want, p["state"], p["netns"], module.check_mode, p["allow_management"])
    except errors.HANDLED as e:
        errors.fail(module, e)
    if module._diff:
        result["diff"] = {"before": _text(result["before"]), "after": _text(result["after"])}
    module.exit_json(**result)
