# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one state machine under every module: facts, plan, guard, apply, roll back, read back.

A resource (netem trees, VLANs, RoCE settings, fabric objects) subclasses
Resource and adds only what is its own: how to read the kernel into facts,
how to plan a change from facts to the declared state, how to encode an
operation for the kernel and print it as a command, and how to plan the way
back. The engine owns everything else:

1. every scope (a network namespace) is opened once, read once and planned,
   and the management guard is asked, before anything is changed anywhere;
2. check mode stops there, with the predicted result;
3. scopes are applied in order, each in waves of batched requests;
4. when anything is refused, every scope applied so far is planned back to
   its facts from before the run, re-read, and compared item by item, so the
   error says exactly what was restored and what was not;
5. otherwise the facts are read again: ``after`` is what the kernel reports,
   not what was asked for.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.engine import apply
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession

# The same meaning has the same name in every module; old names stay as aliases.
STATE_ALIASES = {"present": "merged", "absent": "deleted"}
CHANGING = ("merged", "replaced", "overridden", "deleted")


def canonical_state(state):
    return STATE_ALIASES.get(state, state)


class ApplyError(errors.ModuleError):
    """The kernel refused a change; rollback says what was restored."""

    def __init__(self, message, rollback):
        errors.ModuleError.__init__(self, None, message)
        self.rollback = rollback


class Scope:
    """One namespace's share of a run."""

    def __init__(self, netns, entries):
        self.netns, self.entries = netns, entries
        self.ctx = None
        self.have = None
        self.waves = []
        self.predicted = {}
        self.before = {}
        self.applied = []

    @property
    def ops(self):
        return [op for wave in self.waves for op in wave]


class Resource:
    """Base class: override the hooks marked 'resource'."""

    def __init__(self, state="merged", check_mode=False, allow_management=False, environ=None):
        self.state = canonical_state(state)
        self.check_mode = check_mode
        self.allow_management = allow_management
        self.environ = environ
        self.warnings = []

    # ---------------------------------------------------------- hooks --

    def scopes(self, entries):
        """[(netns, entries)]: default one scope per entry['netns'], in first-seen order."""
        order, groups = [], {}
        for e in entries:
            ns = e.get("netns")
            if ns not in groups:
                order.append(ns)
                groups[ns] = []
            groups[ns].append(e)
        return [(ns, groups[ns]) for ns in order]

    def open(self, netns):
        """resource: the context of one scope; by default a netlink session in the namespace."""
        return Context(netns, NetlinkSession(netns))

    def gather(self, scope):
        """resource: facts of the scope's namespace (as much as the entries need)."""
        raise NotImplementedError

    def plan(self, scope):
        """resource: (waves of ops, predicted items) from scope.entries and scope.have."""
        raise NotImplementedError

    def items(self, scope, have):
        """resource: {key: user view} of the objects this run is about, from facts."""
        raise NotImplementedError

    def encode(self, scope, op):
        """resource: the steps of one op (see apply.run)."""
        raise NotImplementedError

    def render(self, scope, ops):
        """resource: the equivalent command lines."""
        raise NotImplementedError

    def revert(self, scope, now):
        """resource: waves that take `now` facts back to scope.have."""
        raise NotImplementedError

    def guarded(self, scope, op):
        """resource: [(ifindex, field, action)] for an op that could cut the management connection."""
        return []

    def guard_targets(self, scope):
        """Everything in the scope's plan that could cut the management connection."""
        return [t for op in scope.ops for t in self.guarded(scope, op)]

    def after_wave(self, scope, wave):
        """resource: called after each applied wave (e.g. drop cached indexes)."""

    def explain(self, scope, failure):
        """resource: the text of a failure, with hints the resource knows."""
        return failure.text

    def preflight(self, scope):
        """resource: checks that need every scope planned, before any change (e.g. kernel features)."""

    def committed(self, scope):
        """resource: after a successful apply (e.g. save records the kernel cannot keep)."""

    def describe(self, scope, op):
        """One op as a command line, for messages."""
        lines = self.render(scope, [op])
        return lines[0] if lines else repr(op)

    # --------------------------------------------------------- engine --

    def converge(self, entries):
        """Run the state machine over every scope; return a Result."""
        scopes = [Scope(ns, group) for ns, group in self.scopes(entries)]
        try:
            for scope in scopes:
                scope.ctx = self.open(scope.netns)
                scope.have = self.gather(scope)
                scope.before = self.items(scope, scope.have)
                scope.waves, scope.predicted = self.plan(scope)
                self._guard(scope)
            for scope in scopes:
                self.preflight(scope)
            result = Result(self, scopes)
            if self.check_mode or not result.changed:
                result.after = dict((id(s), s.predicted if s.ops else s.before) for s in scopes)
                return result
            self._apply(scopes)
            for scope in scopes:
                self.committed(scope)
                result.after[id(scope)] = self.items(scope, self.gather(scope)) if scope.ops else scope.before
            return result
        finally:
            for scope in scopes:
                if scope.ctx is not None:
                    scope.ctx.close()

    def _guard(self, scope):
        targets = self.guard_targets(scope)
        if targets:
            from ansible_collections.aifabric.emulation.plugins.module_utils import safety  # only when asked
            safety.Guard(scope.ctx.session, scope.netns, self.environ).check(targets, self.allow_management)

    def _apply(self, scopes):
        done = []
        for scope in scopes:
            done.append(scope)
            scope.applied, failures = apply.run(
                scope.ctx.session, scope.waves, lambda op, s=scope: self.encode(s, op),
                lambda wave, s=scope: self.after_wave(s, wave))
            if failures:
                scope.failures = failures
                report = self.rollback(done)
                raise ApplyError(self._failure_message(scope, failures, report), report)

    def _failure_message(self, scope, failures, report):
        parts = []
        for f in failures[:3]:
            text = self.explain(scope, f)
            parts.append(text if f.op is None else "`%s`: %s" % (self.describe(scope, f.op), text))
        more = " (and %d more)" % (len(failures) - 3) if len(failures) > 3 else ""
        return "the kernel refused %s%s; %s" % ("; ".join(parts), more, report.summary())

    def rollback(self, scopes):
        """Plan every applied scope back to its facts from before the run; report item by item."""
        report = RollbackReport()
        for scope in scopes:
            try:
                now = self.gather(scope)
                waves = self.revert(scope, now)
                _applied, failures = apply.run(scope.ctx.session, waves, lambda op, s=scope: self.encode(s, op),
                                               lambda wave, s=scope: self.after_wave(s, wave))
                report.errors.extend("`%s`: %s" % (self.describe(scope, f.op), self.explain(scope, f))
                                     if f.op is not None else f.text for f in failures)
                final = self.items(scope, self.gather(scope))
            except Exception as e:  # pylint: disable=broad-except
                report.errors.append("%s: could not read the kernel back (%s)" % (scope.netns or "initial namespace", e))
                report.not_restored.extend(_label(scope, k) for k in set(scope.before) | set(scope.predicted))
                continue
            for key in sorted(set(scope.before) | set(scope.predicted) | set(final), key=str):
                (report.restored if final.get(key) == scope.before.get(key) else report.not_restored).append(
                    _label(scope, key))
        return report


def _label(scope, key):
    name = "/".join(str(k) for k in key) if isinstance(key, tuple) else str(key)
    return "%s:%s" % (scope.netns, name) if scope.netns else name


class Context:
    """What a scope holds open: a netlink session, plus whatever a resource caches."""

    def __init__(self, netns, session):
        self.netns, self.session = netns, session

    def close(self):
        if self.session is not None:
            self.session.close()
            self.session = None


class RollbackReport:
    def __init__(self):
        self.restored, self.not_restored, self.errors = [], [], []

    @property
    def complete(self):
        return not self.not_restored and not self.errors

    def summary(self):
        if self.complete:
            return "rolled back and read back: %s restored" % (", ".join(self.restored) or "nothing had changed")
        text = "rollback INCOMPLETE: not restored: %s" % (", ".join(self.not_restored) or "(see errors)")
        if self.restored:
            text += "; restored: %s" % ", ".join(self.restored)
        if self.errors:
            text += "; rollback errors: %s" % "; ".join(self.errors[:3])
        return text

    def as_dict(self):
        return {"complete": self.complete, "restored": self.restored, "not_restored": self.not_restored,
                "errors": self.errors}


class Result:
    """before / after / commands per scope, in run order."""

    def __init__(self, resource, scopes):
        self.resource, self.scopes = resource, scopes
        self.after = {}
        self._commands = None

    @property
    def commands(self):
        """The equivalent command lines, rendered on first use (a caller may render per entry instead)."""
        if self._commands is None:
            self._commands = [line for s in self.scopes if s.ops for line in self.resource.render(s, s.ops)]
        return self._commands

    @property
    def changed(self):
        return any(s.ops for s in self.scopes)

    def before_items(self):
        return [(s, k, v) for s in self.scopes for k, v in s.before.items()]

    def after_items(self):
        return [(s, k, v) for s in self.scopes for k, v in self.after.get(id(s), {}).items()]

    def changed_keys(self, scope):
        """Keys whose view differs between before and after."""
        after = self.after.get(id(scope), {})
        return set(k for k in set(scope.before) | set(after) if scope.before.get(k) != after.get(k))
