# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for aifabric.emulation.fabric: the connection facts, which inventory host this is, and netem's
shorthand expanded in impairments[].rules (as the netem action plugin does in config[].rules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils.fabric.argspec import ARGUMENT_SPEC
from ansible_collections.aifabric.emulation.plugins.plugin_utils import netem_shorthand
from ansible_collections.aifabric.emulation.plugins.plugin_utils.connection_action import ConnectionAction


class ActionModule(ConnectionAction):
    argument_spec = ARGUMENT_SPEC

    def rewrite_args(self, args):
        """host defaults to inventory_hostname and inventory_hosts to the inventory's hosts."""
        task_vars = self.task_vars or {}
        if args.get("host") is None and task_vars.get("inventory_hostname"):
            args["host"] = task_vars["inventory_hostname"]
        if args.get("inventory_hosts") is None and "groups" in task_vars:
            args["inventory_hosts"] = sorted(task_vars["groups"].get("all", []))
        if isinstance(args.get("impairments"), list):
            args["impairments"] = netem_shorthand.expand({"config": args["impairments"]})["config"]
        return args
