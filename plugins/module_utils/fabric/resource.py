# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue for aifabric.emulation.fabric: options -> compiled plan (with impairments) -> stager."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.engine import module as runner
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import compile as compiler, render, stage
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import expiry, impair
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import ttl as netem_ttl

IMPAIRING_STATES = ("present", "rendered")


def this_host(plan, host):
    """The plan's name for the host running the task.

    Without placement the plan has one host (localhost): the fabric is staged
    wherever the task runs, whatever the inventory calls it. With placement,
    `host` (the action plugin passes inventory_hostname) must be one of them.
    """
    names = sorted(plan["hosts"])
    if len(names) == 1 and (host is None or host not in plan["hosts"]):
        return names[0]
    if host in plan["hosts"]:
        return host
    if host is None:
        raise errors.ValidationError("host", "the fabric spans hosts %s: say which one this is" % ", ".join(names))
    raise errors.ValidationError("host", "%r is not one of the fabric's hosts (%s)" % (host, ", ".join(names)))


def _views(result):
    """Diff views: one line per namespace, what it holds (None: removed)."""
    return dict((ns, view) for ns, view in sorted((result or {}).items()) if view is not None)


def _impaired(plan, host, p, state):
    """The plan with the task's impairments on it, and the TTL in seconds; both validated, naming the field."""
    if state not in IMPAIRING_STATES:
        for key in ("impairments", "ttl"):
            if p.get(key) is not None:
                raise errors.ValidationError(key, "applies with state present (or rendered), not %s" % state)
        return plan, None
    impaired = impair.overlay(plan, p.get("impairments") or [], host, kernel_release=os.uname()[2])
    seconds = netem_ttl.parse_ttl(p.get("ttl"), "ttl")
    if seconds is None and p.get("ttl_required") and p.get("impairments"):
        raise errors.ValidationError("ttl", "ttl_required is set, so impairments need a TTL: give ttl (seconds, "
                                     "or a duration like 10m); nothing was changed or armed")
    return impaired, seconds


def _present(module, plan, impaired, host, seconds):
    """Arm the TTL (if any) before anything changes, stage, then report the TTL or disarm it (nothing impaired)."""
    field = impair.needs_netem(impaired) if seconds is not None and not module.check_mode else None
    if field:
        from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core
        if not core.netem_available():  # asked here, before the TTL is armed; the stager asks again otherwise
            raise errors.ValidationError(field, "this impairment needs the netem qdisc, which kernel %s does not "
                                         "have (modprobe sch_netem; CONFIG_NET_SCH_NETEM); a rate alone changes "
                                         "the end's htb or tbf rate and needs no netem; nothing was changed or "
                                         "armed" % os.uname()[2])
    run = expiry.Run(plan, impaired, host, seconds, check_mode=module.check_mode)
    with netem_ttl.NoHangup(active=seconds is not None or run.rec is not None):
        run.before()
        try:
            result = stage.converge(impaired, host, "present", check_mode=module.check_mode)
        except BaseException:
            run.failed()
            raise
        return run.after(result)


def run_module(module):
    p = module.params

    def body():
        state = p["state"]
        if p["topology"] is None:  # absent or gathered by name
            try:
                fabric = stage.check_fabric_name(p["name"])
            except errors.ValidationError as e:
                raise errors.ValidationError("name", e.message)
            if state == "absent":
                return stage.teardown(fabric, p["host"] or "localhost", check_mode=module.check_mode)
            return stage.gather(fabric, p["host"] or "localhost")
        try:
            plan = compiler.compile_plan(p["topology"], hosts=p["inventory_hosts"])
        except errors.ValidationError as e:  # the spec's own paths, under the option that holds it
            raise errors.ValidationError("topology.%s" % e.param if e.param else "topology", e.message)
        if p["name"] is not None and p["name"] != plan["fabric"]:
            raise errors.ValidationError("name", "%r, but the topology is fabric %r" % (p["name"], plan["fabric"]))
        host = this_host(plan, p["host"])
        impaired, seconds = _impaired(plan, host, p, state)
        out = {"fabric": plan["fabric"], "host": host, "summary": plan["summary"], "notes": plan["notes"]}
        if state == "rendered":
            lines = render.commands(plan, host)
            if impaired.get("impaired"):
                lines += stage.impairment_commands(plan, impaired, host)
            out.update(changed=False, rendered=lines)
            return out
        if state == "validated":
            from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import probe
            checked = probe.validate(plan, host)
            out.update(changed=False, validation=checked["validation"])
            if checked["failed"]:  # fail naming what failed, and still hand back the data
                module.fail_json(msg=checked["msg"], **out)
            return out
        if state == "gathered":
            out.update(stage.gather(plan, host))
            return out
        if state == "absent":
            out.update(stage.teardown(plan, host, check_mode=module.check_mode))
            return out
        result = _present(module, plan, impaired, host, seconds)
        out.update(result)
        out.update(diff_before=_views(result.get("before")), diff_after=_views(result.get("after")))
        return out

    runner.run(module, body)
