# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue for aifabric.emulation.netem: options -> jobs, then the engine."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.aifabric.emulation.plugins.module_utils import errors, validate
from ansible_collections.aifabric.emulation.plugins.module_utils.engine import module as runner
from ansible_collections.aifabric.emulation.plugins.module_utils.engine.resource import canonical_state
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model, schedule, ttl


def _entries(p):
    """[(field prefix, interface, netns, direction, raw rules, ttl, ttl field, schedule)]: `config` or one interface.

    An entry's own ttl wins over the task's; the task's applies to every entry.
    """
    if p.get("config") is not None:
        out = []
        for i, c in enumerate(p["config"]):
            own = c.get("ttl") is not None
            out.append(("config[%d]." % i, c["interface"], c.get("netns"), c.get("direction") or "egress",
                        c.get("rules"), c["ttl"] if own else p.get("ttl"), "config[%d].ttl" % i if own else "ttl",
                        c.get("schedule")))
        return out
    return [("", p["interface"], p.get("netns"), p.get("direction") or "egress", p.get("rules"), p.get("ttl"), "ttl",
             p.get("schedule"))]


def jobs_from_params(p, state, release=None):
    """Validate every entry (nothing is read or changed yet) and return one Job per entry."""
    jobs, seen = [], {}
    release = release or os.uname()[2]
    for prefix, interface, netns, direction, raw, ttl_value, ttl_field, raw_schedule in _entries(p):
        key = (netns, interface, direction)
        if key in seen:
            raise errors.ValidationError(prefix + "interface", "%s %s%s is declared twice (also %s)" % (
                interface, direction, " in %s" % netns if netns else "", seen[key] or "the first entry"))
        seen[key] = prefix.rstrip(".")
        validate.ifname(interface, prefix + "interface")
        if raw is None and state in ("merged", "replaced", "overridden", "rendered"):
            raise errors.ValidationError(prefix + "rules", "required with state %s" % state)
        rules = None
        if raw is not None:
            rules = _normalize(raw, state, release, prefix)
        job = core.Job(interface, rules, state, netns, direction, p.get("allow_management", False),
                       field=prefix + "interface")
        if state in ttl.CHANGING_WITH_RULES and rules:
            job.ttl = ttl.parse_ttl(ttl_value, ttl_field)
            if job.ttl is None and p.get("ttl_required"):
                raise errors.ValidationError(ttl_field, "ttl_required is set, so every impairment needs a TTL: give "
                                             "ttl (seconds, or a duration like 10m) for %s" % interface)
            if raw_schedule is not None:
                job.schedule = schedule.normalize(raw_schedule, raw, release, prefix + "schedule", job.ttl, ttl_field)
        elif raw_schedule is not None:
            raise errors.ValidationError(prefix + "schedule", "a schedule drives rules that this task applies: it "
                                         "needs rules and state merged, replaced or overridden")
        jobs.append(job)
    return jobs


def _normalize(raw, state, release, prefix):
    try:
        return model.normalize_rules(raw, release, state=state)
    except errors.ValidationError as e:
        if not prefix:
            raise
        raise errors.ValidationError(prefix + e.param, e.message)


def _view(jobs_results, bulk):
    if not bulk:
        return jobs_results[0]["before"], jobs_results[0]["after"]
    return ([{"interface": r["interface"], "netns": r["netns"], "direction": r["direction"], "rules": r[k]}
             for r in jobs_results] for k in ("before", "after"))


def run_module(module):
    p = module.params

    def body():
        state = canonical_state(p["state"])
        if state == "parsed":
            from ansible_collections.aifabric.emulation.plugins.module_utils.netem import parse
            return {"changed": False, "parsed": parse.parse(p["running_config"])}
        if state == "gathered":
            if p.get("config"):
                found = []
                for c in p["config"]:
                    found.extend(core.gather_all(c.get("netns"), c["interface"]))
            else:
                found = core.gather_all(p["netns"], p["interface"])
            return {"changed": False, "gathered": _with_ttls(found)}
        jobs = jobs_from_params(p, state)
        if state == "rendered":
            return {"changed": False, "rendered": [line for job in jobs for line in core.render_job(job)]}
        if state == "overridden":
            jobs += core.undeclared_jobs(jobs)
        if ttl.involved(jobs):
            with ttl.NoHangup():  # a dropped connection must not stop the run between a change and its TTL
                runs = ttl.before(jobs, module.check_mode)
                try:
                    core.converge(jobs, check_mode=module.check_mode)
                except BaseException:
                    if not module.check_mode:
                        ttl.failed(runs)
                    raise
                ttl.after(runs, module.check_mode)
        else:
            core.converge(jobs, check_mode=module.check_mode)
        results = [job.result for job in jobs]
        bulk = p.get("config") is not None
        before, after = _view(results, bulk)
        out = {"changed": any(r["changed"] for r in results),
               "commands": [c for r in results for c in r["commands"]],
               "before": before, "after": after, "diff_before": before, "diff_after": after}
        if bulk:
            out["results"] = results
        else:
            out.update(interface=p["interface"], netns=p["netns"], direction=p["direction"],
                       ttl=results[0].get("ttl"))
        return out

    runner.run(module, body)


def _with_ttls(found):
    """gathered entries, each with the TTL armed on it (deadline, remaining seconds, schedule) or null."""
    for entry in found:
        entry["ttl"] = ttl.armed(entry["netns"], entry["interface"], entry["direction"])
    return found
