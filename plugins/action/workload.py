# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for aifabric.emulation.workload: tells the module how Ansible connected, checks option shapes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils.workload.argspec import ARGUMENT_SPEC
from ansible_collections.aifabric.emulation.plugins.plugin_utils.connection_action import ConnectionAction


class ActionModule(ConnectionAction):
    argument_spec = ARGUMENT_SPEC
