# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue: validate everything, then one converge() call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model


def _yaml_text(rules):
    lines = []
    for rule in rules:
        lines.append("- %s" % ", ".join("%s: %s" % (k, rule[k]) for k in sorted(rule)))
    return "\n".join(lines) + ("\n" if lines else "")


def run_module(module):
    p = module.params
    try:
        rules = None
        if p["rules"] is not None:
            rules = model.normalize_rules(p["rules"], os.uname()[2])
        if p["state"] == "rendered":
            job = core.Job(p["interface"], rules, netns=p["netns"], direction=p["direction"])
            module.exit_json(changed=False, rendered=core.render_job(job))
        if p["state"] == "gathered":
            module.exit_json(changed=False, gathered=core.gather_all(p["netns"], p["interface"]))
        job = core.Job(p["interface"], rules, p["state"], p["netns"], p["direction"], p["allow_management"])
        core.converge([job], check_mode=module.check_mode)
    except errors.HANDLED as e:
        errors.fail(module, e)
    result = job.result
    if module._diff:
        result["diff"] = {"before": _yaml_text(result["before"]), "after": _yaml_text(result["after"])}
    module.exit_json(**result)
