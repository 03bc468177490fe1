# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one executor: operations in waves, each wave one netlink batch.

A resource turns each of its operations into a list of steps: a netlink
request ``(msg_type, flags, payload)``, which is queued and sent with the rest
of its wave, or a callable, for work that is not a plain request (a sysfs
write, a request whose reply must be read). Queued requests are flushed
before a callable runs, so steps keep their order.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkError


class Failure:
    """One step the kernel (or the system) refused. op is None when the socket itself failed."""

    __slots__ = ("op", "errno", "text")

    def __init__(self, op, code, text):
        self.op, self.errno, self.text = op, code, text

    def __repr__(self):
        return "Failure(%r, %r, %r)" % (self.op, self.errno, self.text)


STEP_ERRORS = (OSError, NetlinkError, errors.ModuleError, LookupError, ValueError)


def _flush(session, failures):
    try:
        acks = session.flush()
    except OSError as e:  # the socket failed mid-batch: nothing after it is known to have been applied
        failures.append(Failure(None, e.errno, "netlink socket error: %s" % (e.strerror or e)))
        return
    failures.extend(Failure(a.tag, a.errno, a.text or os.strerror(a.errno)) for a in acks if not a.ok)


def run(session, waves, encode, after_wave=None):
    """Apply waves in order; stop after the first wave that has a failure.

    encode(op) -> list of steps. after_wave(wave) runs after each wave (e.g. to
    forget cached interface indexes after links were created).
    Returns (applied, failures): the ops of every wave that was sent, and what failed.
    """
    applied = []
    for wave in waves:
        if not wave:
            continue
        failures = []
        for op in wave:
            try:
                steps = encode(op)
            except STEP_ERRORS as e:
                failures.append(Failure(op, getattr(e, "errno", None), _text(e)))
                continue
            for step in steps:
                if callable(step):
                    if session is not None and session.pending:
                        _flush(session, failures)
                    try:
                        step()
                    except STEP_ERRORS as e:
                        failures.append(Failure(op, getattr(e, "errno", None), _text(e)))
                else:
                    msg_type, flags, payload = step
                    session.queue(msg_type, flags, payload, tag=op)
        if session is not None and session.pending:
            _flush(session, failures)
        applied.extend(wave)
        if after_wave is not None:
            after_wave(wave)
        if failures:
            return applied, failures
    return applied, []


def _text(exc):
    if isinstance(exc, LookupError):
        return "device not found"
    if isinstance(exc, errors.ModuleError):
        return exc.message
    return str(exc)


def waves_by(ops, key):
    """Consecutive ops with the same key(op) form one wave."""
    waves, current, last = [], [], object()
    for op in ops:
        k = key(op)
        if current and k != last:
            waves.append(current)
            current = []
        last = k
        current.append(op)
    if current:
        waves.append(current)
    return waves
