# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fabric's impairment TTL: a revert to the base plan that the host carries out (docs/fabric.md).

The netem module's TTL machinery (netem/ttl.py: records, locks, the detached
watchdog, the systemd timer, the log) with one target per fabric and host,
`<fabric>@<host>`, whose revert re-stages the base plan (the plan without
impairments) through the stager. Its files are under
`<state dir>/fabric/ttl/`: `<key>.json` (the arm record), `<key>.plan.json`
(the base plan, written when it changes), `<key>.runner.json`,
`<key>.fired.json` and `ttl.log`.

Lock order: a revert holds the TTL's lock and then takes the stager's run
lock; the module therefore never takes the TTL's lock while it holds the run
lock (it arms before staging and reports after it), and a teardown disarms
before it locks the run.

Everything a revert needs is imported here, at the top: the watchdog is
forked from the module and runs the code already in memory (the module's
payload is deleted when the task ends).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re
import time

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import gather as g
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import impair, stage
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core
# imported for the revert's sake: stage.py imports them where it uses them, which may be after the payload is gone
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model, render
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import schedule, ttl
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkError

LOG_NAME = "aifabric-fabric-ttl"
PRELOADED = (model, render)  # in memory before a watchdog is forked: the revert's stager uses them
UNIT_PREFIX = "aifabric-fabric-"


class FabricTarget(ttl.Target):
    """A fabric on one host: what a fabric's TTL is armed for."""

    kind = "fabric"
    log_name = LOG_NAME

    def __init__(self, fabric, host, state_dir=None):  # pylint: disable=super-init-not-called
        self.fabric, self.host, self.state_dir = stage.check_fabric_name(fabric), host, state_dir
        self.netns = self.interface = self.direction = None  # no link of its own (no schedule, no flap)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", host)
        if safe != host:
            safe += "-" + hashlib.sha256(host.encode("utf-8")).hexdigest()[:8]
        self.key = "%s@%s" % (fabric, safe)

    def folder(self):
        return os.path.join(self.state_dir or core.STATE_DIR, "fabric", "ttl")

    def where(self):
        return "fabric %s on host %s" % (self.fabric, self.host)

    def unit(self):
        return UNIT_PREFIX + self.key.replace("@", "-")

    def description(self):
        return "aifabric.emulation fabric TTL revert of %s" % self.where()

    @property
    def plan_path(self):
        return self.path(".plan.json")

    def revert(self, rec):
        """Re-stage the base plan: only the qdiscs of the impaired ends change. (outcome, commands, cleared ends)."""
        outcome, commands, cleared = None, [], []
        for attempt in range(ttl.REVERT_ATTEMPTS):
            try:
                entry = stage.record_store(self.fabric, self.state_dir).host(self.host)
                if entry is None:
                    outcome = "nothing to revert: fabric %s is not staged on %s" % (self.fabric, self.host)
                    break
                if not entry.get("impairments") and not entry.get("staging"):
                    outcome = "nothing to revert: no impairments"
                    break
                base = _load(self.plan_path)
                if base is None:
                    outcome = "revert failed: the base plan %s is gone" % self.plan_path
                    break
                res = stage.converge(base, self.host, state_dir=self.state_dir)
                commands, cleared = res["commands"], res["cleared"]
                outcome = "reverted" if res["changed"] else "nothing to revert: the fabric is at its base plan"
                break
            except (errors.ModuleError, NetlinkError, OSError, ValueError) as e:
                outcome = "revert failed: %s" % e
                if attempt + 1 < ttl.REVERT_ATTEMPTS:
                    time.sleep(1.0)
        return outcome, commands, cleared


def target_of(rec):
    """ttl.target_of for records of kind fabric (the systemd unit's entry)."""
    return FabricTarget(rec["fabric"], rec["host"], rec.get("state_dir"))


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (IOError, OSError, ValueError):
        return None


def _write_plan(target, base):
    folder = target.folder()
    if not os.path.isdir(folder):
        os.makedirs(folder, 0o700)
    tmp = "%s.%d.tmp" % (target.plan_path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(base, sort_keys=True, separators=(",", ":")))
        os.rename(tmp, target.plan_path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class Run:
    """What one module run does to its fabric's TTL: before() arms, after() reports (or disarms), failed() undoes."""

    def __init__(self, base, impaired, host, seconds, state_dir=None, check_mode=False):
        self.target = FabricTarget(base["fabric"], host, state_dir)
        self.base, self.impaired, self.seconds = base, impaired, seconds
        self.state_dir, self.check_mode = state_dir, check_mode
        self.rec = ttl.read_record(self.target) if os.path.exists(self.target.record_path) else None
        self.armed = self.fresh = False
        self.result = None

    @property
    def arming(self):
        return self.seconds is not None and bool(self.impaired.get("impaired"))

    def before(self):
        """Arm (or re-arm) before anything changes; the base plan is written first, when it changed."""
        if self.check_mode or not self.arming:
            return self
        digest = impair.base_digest(self.impaired, self.target.host)
        if not (self.rec and self.rec.get("base_digest") == digest and os.path.exists(self.target.plan_path)):
            _write_plan(self.target, self.base)
        g.netem_keys()  # everything the revert uses is in memory before the watchdog is forked
        fields = {"fabric": self.target.fabric, "host": self.target.host, "state_dir": self.state_dir,
                  "base_digest": digest, "ends": len(self.impaired["impaired"])}
        self.rec, _new = ttl.arm_target(self.target, self.seconds, fields)
        self.armed, self.fresh = True, self.rec is None
        return self

    def after(self, result):
        """After the stager succeeded: the TTL as it stands (armed, rearmed, kept) or disarmed (no impairment left)."""
        left = bool(self.impaired.get("impaired"))
        if self.check_mode:
            self.result = self._predict(left)
        elif not left:
            if self.rec is not None or os.path.exists(self.target.record_path):
                rec = disarm(self.target) or self.rec
                self.result = {"action": "disarmed", "ttl": schedule.format_duration(rec["ttl"])} if rec else None
        else:
            rec = ttl.read_record(self.target)
            if rec is not None:
                action = ("armed" if self.fresh else "rearmed") if self.armed else "kept"
                self.result = dict(ttl.describe(rec, action), ends=rec.get("ends"))
        result["ttl"] = self.result
        if self.result and self.result["action"] in ("armed", "disarmed"):
            result["changed"] = True
        return result

    def _predict(self, left):
        if self.arming:
            now = time.time()
            return {"action": "rearmed" if self.rec else "armed", "ttl": schedule.format_duration(self.seconds),
                    "seconds": self.seconds, "deadline": ttl._iso(now + self.seconds), "remaining": self.seconds,
                    "mechanism": ttl.mechanism()}
        if self.rec is not None and not left:
            return {"action": "disarmed", "ttl": schedule.format_duration(self.rec["ttl"])}
        if self.rec is not None:
            return ttl.describe(self.rec, "kept")
        return None

    def failed(self):
        """The stager failed (and rolled back): a TTL this run armed first is disarmed; one from before stands."""
        if self.armed and self.fresh:
            try:
                disarm(self.target)
            except (OSError, errors.ModuleError) as e:
                ttl.log("could not disarm the TTL of %s after a failed run: %s" % (self.target.where(), e),
                        self.target)


def disarm(target):
    """Stop the fabric's TTL (watchdog or timer) and remove its records; the record that was armed, or None."""
    rec = ttl.disarm(target)
    for path in (target.plan_path, target.runner_path):
        try:
            os.unlink(path)
        except OSError:
            pass
    return rec


def disarm_fabric(fabric, host, state_dir=None):
    """For a teardown: disarm the fabric's TTL on this host (before the run lock is taken); the result's view
    ({action: disarmed, ttl}) or None when none was armed."""
    target = FabricTarget(fabric, host, state_dir)
    if not os.path.exists(target.record_path) and not os.path.exists(target.runner_path):
        return None
    rec = disarm(target)
    return {"action": "disarmed", "ttl": schedule.format_duration(rec["ttl"])} if rec else None


def armed(fabric, host, state_dir=None):
    """The fabric's TTL on this host as gathered shows it (deadline, remaining seconds, mechanism), or None."""
    target = FabricTarget(fabric, host, state_dir)
    rec = ttl.read_record(target)
    if rec is None:
        return None
    return dict(ttl.describe(rec, runner=ttl.read_runner(target)), ends=rec.get("ends"))


def last_fired(fabric, host, state_dir=None):
    """What the last revert did (fired_at, outcome, commands), or None."""
    return _load(FabricTarget(fabric, host, state_dir).fired_path)
