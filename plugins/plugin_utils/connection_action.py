# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin behind every module of the collection: tell the module how Ansible connected.

ansible-core runs an action plugin of the same name as a module, from the
same collection, in place of its ``normal`` action. Ours runs the module
exactly as ``normal`` would, with two additions:

- ``AIFABRIC_CONNECTION`` in the module's environment: JSON with the
  connection plugin's name (``connection``), the address it connected to
  (``host``) and the port (``port``, or null). Ansible puts the task
  environment on the module's command line, inside the become wrapper, so it
  reaches the module under ``become`` as well (sudo's env_reset would drop a
  variable inherited from the login shell). The module's management guard
  (module_utils/safety.py) uses it when it cannot trace the SSH connection
  itself. It is not a module option, and a task cannot override it.
- ``rewrite_args(args)``: a hook for a module's subclass to rewrite the
  arguments before they are sent (netem expands its shorthand there).
- ``argument_spec``: the module's argument spec. Arguments whose shape
  ansible-core's own validation cannot even check (a number or a list where an
  option takes a dict with suboptions, such as ``pfc: [3]``) fail here, naming
  the option, instead of crashing in ansible-core with a TypeError.

The module's result is returned unchanged.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.aifabric.emulation.plugins.module_utils.validate import option_shape_error

ENV_NAME = "AIFABRIC_CONNECTION"


def _plain_name(name):
    """'ansible.builtin.ssh' -> 'ssh'."""
    return str(name).rsplit(".", 1)[-1] if name else None


def _option(connection, name):
    try:
        return connection.get_option(name)
    except Exception:  # pylint: disable=broad-except  # not every connection plugin has every option
        return None


def connection_facts(connection, play_context):
    """{connection, host, port} as the controller knows them (JSON-serialisable)."""
    name = _plain_name(getattr(connection, "_load_name", None) or getattr(connection, "transport", None)
                       or getattr(play_context, "connection", None))
    host = _option(connection, "host") or _option(connection, "remote_addr") or getattr(play_context, "remote_addr",
                                                                                        None)
    port = _option(connection, "port") or getattr(play_context, "port", None)
    try:
        port = int(port) if port is not None else None
    except (TypeError, ValueError):
        port = None
    return {"connection": name, "host": str(host) if host else None, "port": port}


class ConnectionAction(ActionBase):
    """Run the module like ansible.builtin.normal, with AIFABRIC_CONNECTION in its environment."""

    _supports_check_mode = True
    _supports_async = True
    argument_spec = None  # set by each module's action plugin
    task_vars = None  # the task's variables, for rewrite_args

    def rewrite_args(self, args):
        """Hook: the module arguments to send (a copy of the task's; return a new dict or args)."""
        return args

    def run(self, tmp=None, task_vars=None):
        result = super(ConnectionAction, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect

        wrap_async = self._task.async_val and not self._connection.has_native_async
        self.task_vars = task_vars
        module_args = self.rewrite_args(dict(self._task.args))
        bad_shape = option_shape_error(self.argument_spec, module_args) if self.argument_spec else None
        if bad_shape:
            field, message = bad_shape
            result.update(failed=True, changed=False, msg="%s: %s" % (field, message),
                          invocation={"module_args": module_args})
            return result
        facts = connection_facts(self._connection, self._play_context)

        saved = self._task.environment
        if isinstance(saved, list):
            environment = list(saved)
        else:
            environment = [] if saved is None else [saved]
        environment.append({ENV_NAME: json.dumps(facts, sort_keys=True)})
        self._task.environment = environment
        try:
            result = merge_hash(result, self._execute_module(module_args=module_args, task_vars=task_vars,
                                                             wrap_async=wrap_async))
        finally:
            self._task.environment = saved

        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
