# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One place that turns the collection's exceptions into fail_json."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import (
    NamespaceNotFound, NetlinkError)


class ModuleError(Exception):
    """An error that names the parameter it is about (None when none is)."""

    def __init__(self, param, message):
        self.param = None if param is None else str(param)  # str(): a lazily built path becomes text here
        self.message = message
        Exception.__init__(self, "%s: %s" % (self.param, message) if self.param else message)


class ValidationError(ModuleError, ValueError):
    """Bad input, found before anything touched the kernel."""

    @property
    def path(self):
        return self.param


HANDLED = (ModuleError, NamespaceNotFound, NetlinkError, OSError)


def fail(module, exc):
    if isinstance(exc, NamespaceNotFound):
        module.fail_json(msg="netns: %s" % exc, param="netns")
    if isinstance(exc, NetlinkError):
        module.fail_json(msg="netlink: %s" % exc)
    if isinstance(exc, PermissionError):
        module.fail_json(msg="permission denied (%s); run the task as root (become: true)" % exc)
    if not isinstance(exc, ModuleError):
        module.fail_json(msg="system error: %s" % exc)
    module.fail_json(msg=str(exc), param=exc.param)
