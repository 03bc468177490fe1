# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one module runner: errors -> fail_json, warnings -> module.warn, diff text, exit_json."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.engine.resource import ApplyError


def diff_text(entries):
    """A stable, line-per-entry text of a list of dicts (or one dict) for --diff."""
    if isinstance(entries, dict):
        entries = [dict([(k, v)]) for k, v in sorted(entries.items())]
    return "".join("- %s\n" % json.dumps(e, sort_keys=True) for e in entries)


def run(module, body):
    """Call body() -> result dict; report errors and warnings the same way in every module.

    body may add "warnings" (a list) to its result: they go through module.warn.
    A result with "diff_before"/"diff_after" gets a diff when --diff is on.
    """
    try:
        result = body()
    except ApplyError as e:
        module.fail_json(msg=e.message, rollback=e.rollback.as_dict())
    except errors.HANDLED as e:
        errors.fail(module, e)
    for text in result.pop("warnings", None) or []:
        module.warn(text)
    before, after = result.pop("diff_before", None), result.pop("diff_after", None)
    if module._diff and (before is not None or after is not None):
        result["diff"] = {"before": diff_text(before or []), "after": diff_text(after or [])}
    module.exit_json(**result)
