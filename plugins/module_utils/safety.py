# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which interfaces carry the management connection, so no module breaks it by accident."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl


def management_addresses():
    """Local addresses that an Ansible SSH connection arrived on."""
    conn = os.environ.get("SSH_CONNECTION", "").split()
    return {conn[2]} if len(conn) == 4 else set()


def management_ifindexes(session):
    """Interfaces with a default route or the address Ansible connected to."""
    found = rtnl.default_route_ifindexes(session)
    wanted = management_addresses()
    if wanted:
        found.update(index for index, addr in rtnl.dump_addresses(session) if addr in wanted)
    return found
