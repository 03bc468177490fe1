# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue for aifabric.emulation.vlan."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils.engine import module as runner
from ansible_collections.aifabric.emulation.plugins.module_utils.engine.resource import canonical_state
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import core, model


def run_module(module):
    p = module.params

    def body():
        state = canonical_state(p["state"])
        if state == "parsed":
            from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import parse
            return {"changed": False, "parsed": parse.parse(p["running_config"])}
        want = model.normalize_config(p["config"], state=state) if p["config"] is not None else []
        if state == "gathered":
            parents = set(e["parent"] for e in want) or None
            return {"changed": False, "gathered": core.gather(p["netns"], parents)}
        if state == "rendered":
            return {"changed": False, "rendered": core.render_config(want, p["netns"])}
        result = core.converge(want, state, p["netns"], module.check_mode, p["allow_management"])
        result.update(diff_before=result["before"], diff_after=result["after"])
        return result

    runner.run(module, body)
