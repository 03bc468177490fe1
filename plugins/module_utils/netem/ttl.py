# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dead-man TTL: impairments that end by themselves, on the host, with no controller.

A run with a TTL arms a revert for each target (namespace, interface,
direction) before it changes anything; a re-run with the same rules re-arms it
(a heartbeat) without touching the qdiscs. At the deadline the revert removes,
through the same engine path as ``state: absent``, the objects this collection
owns on that target (docs/architecture.md, "What the module owns"), and nothing
else. A schedule (schedule.py) runs on the host under the same TTL.

Files, in the state directory (tmpfs /run: gone at reboot, like the qdiscs),
under ``netem/ttl/``, one set per target ``<netns>:<interface>:<direction>``:

  <key>.json         the arm record: TTL, deadline, mechanism, the schedule and
                     when it started, and the token of the runner allowed to act
                     (written by the module, under <key>.lock)
  <key>.runner.json  written by the runner process: pid and start time (its
                     identity), schedule progress, whether it has the link down
  <key>.fired.json   what the last revert did (written by the revert)
  ttl.log            one line per revert, disarm or runner failure

How the host enforces the deadline:

  systemd (PID 1 is systemd: /run/systemd/system exists): a transient timer
      ``systemd-run --on-active=<ttl>`` named after the namespace, interface
      and direction runs ``ttl.main(["fire", <record>])`` from a copy of the
      module's code in the state directory. A re-arm stops the timer and
      starts it again: one timer per target. A schedule runs in a watchdog
      process (below) that does not revert; the timer stops it first.
  otherwise (containers, the lab VM): a detached watchdog process (double
      fork, setsid, stdio on /dev/null, named ``aifabric-ttl``) sleeps until
      the deadline or the next schedule step, and reverts itself. A re-arm
      rewrites the record and sends SIGUSR1: the same process reads the new
      deadline. SIGTERM stops it without a revert (what state absent does);
      SIGHUP is ignored, so the end of an SSH session does not end it.

AIFABRIC_TTL_MECHANISM=watchdog|systemd overrides the choice.

Standard library only: the watchdog is forked from the module, so it runs the
code already in memory (the module's AnsiballZ payload is deleted when the task
ends); everything it needs is imported at the top of this file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import fcntl
import hashlib
import importlib
import json
import os
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, plan, schedule
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import (
    NamespaceNotFound, NetlinkError, NetlinkSession)

ValidationError = errors.ValidationError

TTL_MIN = 1.0
TTL_MAX = 30 * 86400.0
SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1)
STOPS = (signal.SIGTERM, signal.SIGINT)
COMM = "aifabric-ttl"
SPAWN_TIMEOUT = 60.0  # seconds to wait for a new watchdog's "ready" (process starts are slow under TCG)
STOP_TIMEOUT = 10.0
STATUS_EVERY = 1.0  # seconds between progress writes of a running schedule
REVERT_ATTEMPTS = 3
MECHANISM_ENV = "AIFABRIC_TTL_MECHANISM"
SYSTEMD_MARK = "/run/systemd/system"
UNIT_PREFIX = "aifabric-netem-"
LOG_NAME = "aifabric-netem-ttl"
SYSLOG_NOTICE = (3 << 3) | 5  # facility daemon, severity notice
CHANGING_WITH_RULES = ("merged", "replaced", "overridden")
BOOT = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
        "from ansible_collections.aifabric.emulation.plugins.module_utils.netem import ttl; "
        "sys.exit(ttl.main(sys.argv[1:]))")
# Targets of other kinds (a record's "kind"): the module that makes a Target of their records, imported by name
# when the systemd unit fires one (by name, so that the netem module's payload does not carry a fabric's code).
KINDS = {"fabric": "ansible_collections.aifabric.emulation.plugins.module_utils.fabric.expiry"}
LOG_COMMANDS = 8  # a log line lists at most this many of a revert's commands (the fired record has them all)


# ------------------------------------------------------------------ input --


def parse_ttl(value, path="ttl"):
    """Seconds from 20, '90s', '10m', '1h' or '1h30m' (None stays None); ValidationError naming path."""
    if value is None:
        return None
    seconds = schedule.parse_duration(value, path, "a TTL")
    if seconds < TTL_MIN:
        raise ValidationError(path, "%r is too short: a TTL is at least 1 second" % (value,))
    if seconds > TTL_MAX:
        raise ValidationError(path, "%r is longer than the 30 days a TTL may be" % (value,))
    return seconds


# ------------------------------------------------------------------ files --


def ttl_dir():
    return os.path.join(core.STATE_DIR, "netem", "ttl")


class Target:
    """One interface and direction in one namespace: what a TTL is armed for.

    A target of another kind (fabric/expiry.py: a whole fabric on one host) subclasses this and overrides
    folder(), where(), unit(), description() and revert(); the records, the locking, the watchdog, the systemd
    timer and the logging are the same.
    """

    kind = None  # the netem module's targets
    log_name = LOG_NAME

    def __init__(self, netns, interface, direction):
        self.netns, self.interface, self.direction = netns, interface, direction
        nskey = (netns or "_init").strip("/").replace("/", "_")
        self.key = "%s:%s:%s" % (nskey, interface, direction)  # ':' and '/' cannot be in interface names

    def folder(self):
        return ttl_dir()

    def path(self, suffix):
        return os.path.join(self.folder(), self.key + suffix)

    def unit(self):
        """aifabric-netem-<netns>-<interface>-<direction>; a hash keeps names apart when characters were replaced."""
        nskey = (self.netns or "init").strip("/").replace("/", "_")
        words = [re.sub(r"[^A-Za-z0-9_.]", "_", w) for w in (nskey, self.interface)]
        name = UNIT_PREFIX + "%s-%s-%s" % (words[0], words[1], self.direction)
        if words != [nskey, self.interface]:
            name += "-" + hashlib.sha256(self.key.encode()).hexdigest()[:8]
        return name

    def description(self):
        return "aifabric.emulation netem TTL revert of %s" % self.where()

    def revert(self, rec):  # pylint: disable=unused-argument
        """The engine's state-absent path on exactly this interface and direction: (outcome, commands, reverted)."""
        outcome, commands, reverted = None, [], []
        for attempt in range(REVERT_ATTEMPTS):
            try:
                with NetlinkSession(self.netns) as session:
                    present = session.ifindex(self.interface) is not None
                if not present:
                    outcome = "nothing to revert: %s does not exist" % self.interface
                    break
                job = core.Job(self.interface, None, "deleted", self.netns, self.direction,
                               allow_management=True, field="ttl")
                core.converge([job])
                commands, reverted = job.result["commands"], job.result["before"]
                outcome = "reverted" if commands else "nothing to revert: no owned objects"
                break
            except NamespaceNotFound as e:
                outcome = "nothing to revert: %s" % e
                break
            except (errors.ModuleError, NetlinkError, OSError) as e:
                outcome = "revert failed: %s" % e
                if attempt + 1 < REVERT_ATTEMPTS:
                    time.sleep(1.0)
        return outcome, commands, reverted

    @property
    def record_path(self):
        return self.path(".json")

    @property
    def runner_path(self):
        return self.path(".runner.json")

    @property
    def fired_path(self):
        return self.path(".fired.json")

    def where(self):
        return "%s %s in %s" % (self.interface, self.direction,
                                "network namespace %s" % self.netns if self.netns else "the initial namespace")

    @classmethod
    def of(cls, rec):
        return cls(rec.get("netns"), rec["interface"], rec["direction"])


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (IOError, OSError, ValueError):
        return None


def _dump(path, data):
    """Write JSON through a unique temporary file renamed over path (readers never see half a file)."""
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        os.makedirs(folder, 0o700)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(data, sort_keys=True, separators=(",", ":")))
        os.rename(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


class Lock:
    """Exclusive flock on <key>.lock: the module's writes and the revert never interleave."""

    def __init__(self, target):
        self.path = target.path(".lock")
        self.fd = None

    def __enter__(self):
        folder = os.path.dirname(self.path)
        if not os.path.isdir(folder):
            os.makedirs(folder, 0o700)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)
        self.fd = None


_BOOT_ID = []


def boot_id():
    if not _BOOT_ID:
        try:
            with open("/proc/sys/kernel/random/boot_id") as f:
                _BOOT_ID.append(f.read().strip())
        except (IOError, OSError):
            _BOOT_ID.append("")
    return _BOOT_ID[0]


def read_record(target):
    """The arm record, or None: none armed, or one left from before a reboot (a state directory not on tmpfs)."""
    rec = _load(target.record_path)
    if rec is None or rec.get("boot_id") != boot_id():
        return None
    return rec


def read_runner(target):
    info = _load(target.runner_path)
    if info is None or info.get("boot_id") != boot_id():
        return None
    return info


def _proc_stat(pid):
    """(state, start time in clock ticks since boot) of a process, or None when there is none."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (IOError, OSError, IndexError, ValueError):
        return None
    return fields[0], int(fields[19])


def alive(info):
    """Whether the process a runner file names still runs: same pid and start time, not a zombie."""
    if not info or not info.get("pid"):
        return False
    st = _proc_stat(int(info["pid"]))
    return st is not None and st[0] not in ("Z", "X") and st[1] == info.get("start")


def _token():
    return binascii.hexlify(os.urandom(8)).decode()


def _iso(epoch):
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + ".%03dZ" % int((epoch % 1) * 1000)


# -------------------------------------------------------------- logging --

_ECHO = []  # non-empty in the systemd unit's process (main): log lines go to stdout too, hence the journal


def log(text, target=None):
    """One line in the target's ttl.log, in syslog (the journal listens there too) when there is one, and on stdout."""
    name = target.log_name if target is not None else LOG_NAME
    line = "%s %s[%d]: %s\n" % (_iso(time.time()), name, os.getpid(), text)
    try:
        folder = target.folder() if target is not None else ttl_dir()
        if not os.path.isdir(folder):
            os.makedirs(folder, 0o700)
        fd = os.open(os.path.join(folder, "ttl.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except OSError:
        pass
    for path in ("/dev/log", "/run/systemd/journal/dev-log"):
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        except OSError:
            break
        try:
            sock.connect(path)
            sock.send(("<%d>%s[%d]: %s" % (SYSLOG_NOTICE, name, os.getpid(), text)).encode("utf-8", "replace"))
            break
        except OSError:
            continue
        finally:
            sock.close()
    if _ECHO:
        try:
            os.write(1, line.encode("utf-8", "replace"))  # the systemd unit's stdout goes to the journal
        except OSError:
            pass


# ------------------------------------------------------------ mechanism --


def mechanism():
    forced = os.environ.get(MECHANISM_ENV)
    if forced in ("watchdog", "systemd"):
        return forced
    if os.path.isdir(SYSTEMD_MARK) and shutil.which("systemd-run"):
        return "systemd"
    return "watchdog"


def unit_name(target):
    """The systemd unit of a target (Target.unit: aifabric-netem-<netns>-<interface>-<direction>)."""
    return target.unit()


def code_root():
    """Where ``ansible_collections`` can be imported from later, by a process started by systemd.

    Under Ansible the code is a zip (AnsiballZ) that is deleted when the task
    ends: it is copied into the state directory, named by its content.
    """
    loader = globals().get("__loader__")
    archive = getattr(loader, "archive", None)
    if archive:
        with open(archive, "rb") as f:
            data = f.read()
        copy = os.path.join(ttl_dir(), "code-%s.zip" % hashlib.sha256(data).hexdigest()[:16])
        if not os.path.exists(copy):
            if not os.path.isdir(ttl_dir()):
                os.makedirs(ttl_dir(), 0o700)
            tmp = "%s.%d.tmp" % (copy, os.getpid())
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, copy)
        return copy
    root = os.path.abspath(__file__)
    for _level in range(7):  # .../ansible_collections/aifabric/emulation/plugins/module_utils/netem/ttl.py
        root = os.path.dirname(root)
    return root


def fire_command(target, root=None):
    """The command the systemd timer runs: this file's main(["fire", <record>]) from the code root."""
    return [sys.executable, "-c", BOOT, root or code_root(), "fire", target.record_path]


def systemd_arm_argv(target, seconds, root=None):
    unit = unit_name(target)
    return ["systemd-run", "--unit=%s" % unit, "--description=%s" % target.description(),
            "--on-active=%dms" % int(round(seconds * 1000)),
            "--timer-property=AccuracySec=100ms", "--collect", "--quiet", "--"] + fire_command(target, root)


def systemd_stop_argv(target):
    unit = unit_name(target)
    return ["systemctl", "stop", unit + ".timer", unit + ".service"]


def _run(argv):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)


def _systemd_arm(target, seconds):
    _run(systemd_stop_argv(target))  # one timer per target: a re-arm replaces it (not loaded: nothing to stop)
    res = _run(systemd_arm_argv(target, seconds))
    if res.returncode:
        raise errors.ModuleError("ttl", "could not arm the TTL of %s with systemd-run (%d): %s"
                                 % (target.where(), res.returncode, (res.stderr or res.stdout).strip()))


def _systemd_disarm(target):
    _run(systemd_stop_argv(target))


# ---------------------------------------------------------------- runner --


def spawn(target, sched, revert, token, timeout=SPAWN_TIMEOUT):
    """Start a detached watchdog; return its pid once it is ready (its runner file is written).

    Double fork: the intermediate child calls setsid() and exits, so the
    watchdog is in a session of its own without a terminal (no SIGHUP when the
    SSH session ends, not in the process group Ansible kills) and is reparented
    to init. It reports "ready <pid>" through a pipe.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(r)
            os.setsid()
            if os.fork() > 0:
                os._exit(0)
            _detach(w)
            code = Watchdog(target, sched, revert, token).main(w)
        except BaseException as e:  # pylint: disable=broad-except  # the child never returns into the module
            try:
                log("watchdog for %s failed: %s: %s" % (target.where(), type(e).__name__, e), target)
            except BaseException:  # pylint: disable=broad-except
                pass
        finally:
            os._exit(code)
    os.close(w)
    os.waitpid(pid, 0)
    try:
        got = _read_until_closed(r, timeout)
    finally:
        os.close(r)
    m = re.match(br"ready (\d+)", got)
    if not m:
        raise errors.ModuleError("ttl", "the TTL watchdog for %s did not start (%s); see %s"
                                 % (target.where(), got.decode("utf-8", "replace").strip() or "no answer",
                                    os.path.join(target.folder(), "ttl.log")))
    return int(m.group(1))


def _read_until_closed(fd, timeout):
    """What the watchdog wrote before it closed its end of the pipe (it writes "ready", then closes)."""
    deadline, got = time.monotonic() + timeout, b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return got
        chunk = os.read(fd, 256)
        if not chunk:
            return got
        got += chunk


def _detach(keep):
    """stdio on /dev/null; pipes and terminals inherited from the module closed (they would hold the session)."""
    os.chdir("/")
    os.umask(0o022)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2 or fd == keep:
            continue
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
                os.close(fd)
        except OSError:
            pass


class Watchdog:
    """The host-side process: waits for the deadline (and, when revert, reverts), runs the schedule's steps.

    It acts only while the arm record names its token: a re-arm that starts
    another runner, or a disarm, makes it stand down.
    """

    def __init__(self, target, sched, revert, token):
        self.target, self.sched, self.revert, self.token = target, sched, revert, token
        self.runner = None
        self.session = None
        self.state = "waiting"
        self.pid = self.start = None
        self.written = 0.0

    def main(self, ready_fd):
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_DFL)  # blocked: they are taken by sigtimedwait only
        try:
            with open("/proc/self/comm", "w") as f:
                f.write(COMM)
        except (IOError, OSError):
            pass
        self.pid = os.getpid()
        self.start = _proc_stat(self.pid)[1]
        if self.sched is not None:
            self.session = NetlinkSession(self.target.netns)  # ready before t=0: the first step is not late
        self.write_status()
        os.write(ready_fd, b"ready %d\n" % self.pid)
        os.close(ready_fd)
        try:
            return self.loop()
        finally:
            if self.session is not None:
                self.session.close()

    def write_status(self, final=False):
        info = {"pid": self.pid, "start": self.start, "boot_id": boot_id(), "token": self.token,
                "mode": "watchdog" if self.revert else "schedule", "state": self.state,
                "schedule": self.sched.id if self.sched else None,
                "link_down": bool(self.runner and self.runner.link_down)}
        if self.runner is not None:
            info.update(step=self.runner.index, steps=len(self.runner.steps), error=self.runner.error)
            if final or self.runner.done:
                info["lateness_ms"] = [round(x * 1000.0, 3) for x in self.runner.lateness]
        _dump(self.target.runner_path, info)
        self.written = time.monotonic()

    def loop(self):
        rec = read_record(self.target)
        while True:
            if rec is None or rec.get("token") != self.token:
                self.stand_down("disarmed" if rec is None else "superseded")
                return 0
            now = time.monotonic()
            if now >= rec["deadline_mono"]:
                if not self.revert:
                    self.stand_down("deadline")
                    return 0
                with Lock(self.target):
                    rec = read_record(self.target)
                    if rec is None or rec.get("token") != self.token or time.monotonic() < rec["deadline_mono"]:
                        continue  # disarmed or re-armed at the last moment
                    self.restore_link()
                    fire(self.target, rec)
                    _unlink(self.target.runner_path)
                return 0
            due = self.sync(rec)
            if due is not None and now >= due:
                step = self.runner.steps[self.runner.index]
                self.runner.step(time.monotonic)
                if self.runner.done:
                    self.state = "failed" if self.runner.error else "done"
                    if self.runner.error:
                        log("schedule on %s stopped: %s" % (self.target.where(), self.runner.error))
                # a step is one request; the status file is written when it matters (the link, the end)
                # and otherwise at most once a second
                if self.runner.done or step.kind == "link" or time.monotonic() - self.written > STATUS_EVERY:
                    self.write_status()
                continue
            if self.runner is not None and self.runner.done and not self.revert:
                self.stand_down(self.state)
                return 0
            wake = rec["deadline_mono"] if due is None else min(due, rec["deadline_mono"])
            got = signal.sigtimedwait(SIGNALS, max(0.0, wake - time.monotonic()))
            if got is None:
                continue
            if got.si_signo in STOPS:
                self.stand_down("stopped")
                return 0
            rec = read_record(self.target)  # SIGUSR1 (or SIGHUP): the module rewrote the record

    def sync(self, rec):
        """When the next step is due, or None: the record must name our schedule, started."""
        rs = rec.get("schedule")
        if self.sched is None or not rs or rs.get("id") != self.sched.id or rs.get("start_mono") is None:
            if self.runner is not None and not self.runner.done:
                self.restore_link()
                self.runner.error = "the schedule was removed from the record"
            return None
        if self.runner is None:
            if self.session is None:
                self.session = NetlinkSession(self.target.netns)
            device = rs.get("device") or self._ifb()
            index = self.session.ifindex(device) if device else None
            self.runner = schedule.Runner(self.session, self.sched.steps, rs["start_mono"], index,
                                          rs.get("parent"), rs.get("handle"))
            if index is None:
                self.runner.error = "device %s not found" % (device or "(the IFB of %s)" % self.target.interface)
                log("schedule on %s not started: %s" % (self.target.where(), self.runner.error))
            self.state = "running"  # written after the first step, which is due now
            _realtime(True)
        if self.runner.done:
            _realtime(False)
        return self.runner.next_due()

    def _ifb(self):
        link = core.Namespace(self.session, self.target.netns).ifb_for(self.target.interface)
        return link["name"] if link else None

    def restore_link(self):
        """Bring the interface up again if a link flap left it down."""
        if self.runner is None or not self.runner.link_down:
            return
        try:
            self.session.request(*rtnl.set_link_request(self.runner.ifindex, up=True))
            self.runner.link_down = False
        except (OSError, NetlinkError) as e:
            log("could not bring %s up again: %s" % (self.target.where(), e))

    def stand_down(self, state):
        self.restore_link()
        self.state = state
        try:
            self.write_status(final=True)
        except OSError:
            pass


def _realtime(on):
    """SCHED_FIFO priority 1 while a schedule steps, so a busy host does not delay the steps; SCHED_OTHER after.

    The runner sleeps between steps and sends one request per step. Where the
    policy cannot be set (no CAP_SYS_NICE, RT throttled), it runs as before.
    """
    try:
        if on:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        else:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    except (AttributeError, OSError):
        pass


def stop_runner(target, timeout=STOP_TIMEOUT):
    """SIGTERM the target's runner and wait until it is gone (SIGKILL after timeout); bring the link up if left down.

    Returns the runner's last status, or None when none was running.
    """
    info = read_runner(target)
    if not alive(info):
        return None
    try:
        os.kill(int(info["pid"]), signal.SIGTERM)
    except OSError:
        pass
    deadline = time.monotonic() + timeout
    while alive(info) and time.monotonic() < deadline:
        time.sleep(0.01)
    if alive(info):
        try:
            os.kill(int(info["pid"]), signal.SIGKILL)
        except OSError:
            pass
        while alive(info) and time.monotonic() < deadline + timeout:
            time.sleep(0.01)
    last = read_runner(target) or info
    if last.get("link_down"):
        _link_up(target)
    return last


def _link_up(target):
    try:
        with NetlinkSession(target.netns) as session:
            index = session.ifindex(target.interface)
            if index is not None:
                session.request(*rtnl.set_link_request(index, up=True))
    except (OSError, NetlinkError, NamespaceNotFound) as e:
        log("could not bring %s up again: %s" % (target.where(), e))


# ------------------------------------------------------------------ revert --


def fire(target, rec):
    """Revert the target (Target.revert: for netem the engine's state-absent path on exactly this interface and
    direction).

    The caller holds the target's lock. Writes <key>.fired.json, logs one line,
    removes the arm record. A target whose namespace or interface is gone (a
    reboot, a deleted namespace) has nothing left to revert; that is not an error.
    """
    outcome, commands, reverted = target.revert(rec)
    fired = dict(rec, fired_at=time.time(), outcome=outcome, commands=commands, reverted=reverted)
    _dump(target.fired_path, fired)
    _unlink(target.record_path)
    shown = "; ".join(commands[:LOG_COMMANDS])
    if len(commands) > LOG_COMMANDS:
        shown += "; (and %d more, in %s)" % (len(commands) - LOG_COMMANDS, target.fired_path)
    log("TTL of %s expired (ttl %s, armed %s, deadline %s): %s%s" % (
        target.where(), schedule.format_duration(rec["ttl"]), _iso(rec.get("armed_at")), _iso(rec["deadline"]),
        outcome, "; " + shown if commands else ""), target)
    return fired


def target_of(rec):
    """The Target an arm record is for (a netem interface, or a target of another kind, see KINDS)."""
    kind = rec.get("kind")
    if kind:
        if kind not in KINDS:
            raise ValueError("a TTL record of unknown kind %r" % (kind,))
        return importlib.import_module(KINDS[kind]).target_of(rec)
    return Target.of(rec)


def main(argv):
    """Entry point of the systemd timer's unit: ``fire <record path>``."""
    if len(argv) != 2 or argv[0] != "fire":
        sys.stderr.write("usage: ttl fire <record>\n")
        return 2
    path = os.path.abspath(argv[1])
    _ECHO.append(True)
    core.STATE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(path)))
    rec = _load(path)
    if rec is None:
        log("nothing armed in %s (disarmed, or already reverted)" % path)
        return 0
    target = target_of(rec)
    stop_runner(target)  # a schedule first: no step may land after the revert
    with Lock(target):
        rec = read_record(target)
        if rec is None:
            log("nothing armed for %s (disarmed, or from before a reboot)" % target.where(), target)
            return 0
        fire(target, rec)
    _unlink(target.runner_path)
    return 0


# ------------------------------------------------------------ module side --


def describe(rec, action=None, runner=None):
    """The result's view of an armed TTL (also in gathered)."""
    out = {"action": action, "ttl": schedule.format_duration(rec["ttl"]), "seconds": rec["ttl"],
           "deadline": _iso(rec["deadline"]), "remaining": round(max(0.0, rec["deadline_mono"] - time.monotonic()), 1),
           "armed_at": _iso(rec["armed_at"]), "rearms": rec.get("rearms", 0), "mechanism": rec["mechanism"]}
    if rec.get("unit"):
        out["unit"] = rec["unit"]
    rs = rec.get("schedule")
    if rs:
        view = dict(rs["summary"], started_at=_iso(rs.get("started_at")))
        if runner and runner.get("schedule") == rs["id"]:
            view.update(state=runner.get("state"), done=runner.get("step", 0))
            if runner.get("error"):
                view["error"] = runner["error"]
        else:
            view.update(state="pending" if rs.get("start_mono") is None else "ended", done=None)
        out["schedule"] = view
    return out


def armed(netns, interface, direction):
    """describe() of the target's TTL, or None when none is armed."""
    target = Target(netns, interface, direction)
    rec = read_record(target)
    if rec is None:
        return None
    return describe(rec, runner=read_runner(target))


class TargetRun:
    """What this run does to one job's TTL; filled in by before(), after() and failed()."""

    def __init__(self, job):
        self.job = job
        self.target = Target(job.netns, job.interface, job.direction)
        self.rec = None
        self.arming = self.removing = self.same_schedule = self.new_schedule = False
        self.armed = self.fresh = False
        self.stopped = None
        self.result = None


def _removing(job):
    if job.state == "deleted":
        return job.rules is None
    return job.state in ("replaced", "overridden") and job.rules == []


def involved(jobs):
    """Whether a run has anything to do with TTLs: a TTL asked for, or records on the host."""
    return any(j.ttl is not None for j in jobs) or os.path.isdir(ttl_dir())


def before(jobs, check_mode=False):
    """Read the records; stop runners whose schedule goes; arm (or re-arm) every TTL asked for.

    Runs after validation and before the engine changes anything, so a target
    is covered from before its first change. Marks the rule a running schedule
    drives (job.hold) so a heartbeat does not reset it.
    """
    runs = []
    try:
        _before(jobs, runs, check_mode)
    except BaseException:
        failed(runs)
        raise
    return runs


def _before(jobs, runs, check_mode):
    present = set(os.listdir(ttl_dir())) if os.path.isdir(ttl_dir()) else set()
    for job in jobs:
        tr = TargetRun(job)
        runs.append(tr)
        if tr.target.key + ".json" in present:
            tr.rec = read_record(tr.target)
        tr.removing = _removing(job)
        tr.arming = job.ttl is not None and bool(job.rules) and job.state in CHANGING_WITH_RULES
        rs = tr.rec.get("schedule") if tr.rec else None
        tr.same_schedule = job.schedule is not None and rs is not None and rs["id"] == job.schedule.id
        tr.new_schedule = job.schedule is not None and not tr.same_schedule
        if tr.same_schedule:
            job.hold = (job.schedule.rule,)
        if check_mode:
            continue
        if tr.arming:
            _arm(tr)
        elif tr.rec and (tr.removing or rs):
            tr.stopped = stop_runner(tr.target) or {}
            if not tr.removing:
                _drop_schedule(tr.target)


def _arm(tr):
    """Write the new record (deadline, schedule pending), then make the host enforce it."""
    job, target = tr.job, tr.target
    mech = mechanism()
    with Lock(target):
        rec = read_record(target)
        runner = read_runner(target)
        now, mono = time.time(), time.monotonic()
        rs = rec.get("schedule") if rec else None
        live = rec is not None and alive(runner) and runner.get("token") == rec.get("token")
        keep_runner = live and (tr.same_schedule or (rs is None and job.schedule is None))
        new = {"version": 1, "netns": job.netns, "interface": job.interface, "direction": job.direction,
               "ttl": job.ttl, "armed_at": now, "deadline": now + job.ttl, "deadline_mono": mono + job.ttl,
               "boot_id": boot_id(), "mechanism": mech, "first_armed_at": rec["first_armed_at"] if rec else now,
               "rearms": rec.get("rearms", 0) + 1 if rec else 0,
               "token": rec["token"] if keep_runner else _token()}
        if mech == "systemd":
            new["unit"] = unit_name(target)
        if tr.same_schedule:
            new["schedule"] = rs
        elif job.schedule is not None:
            new["schedule"] = {"id": job.schedule.id, "summary": job.schedule.summary, "rule": job.schedule.rule,
                               "link": job.schedule.link, "start_mono": None, "started_at": None}
        else:
            new["schedule"] = None
        _dump(target.record_path, new)  # a runner with another token stands down at its next wake-up
        tr.rec, tr.fresh, tr.armed = rec, rec is None, True
    try:
        if live and not keep_runner:
            tr.stopped = stop_runner(target) or {}
        if mech == "systemd":
            _systemd_arm(target, job.ttl)
        elif keep_runner:
            os.kill(int(runner["pid"]), signal.SIGUSR1)
        else:
            spawn(target, job.schedule if tr.new_schedule else None, True, new["token"])
    except BaseException:
        with Lock(target):
            _restore(target, rec)
        tr.armed = False
        if rec is not None and tr.stopped is not None:
            _drop_schedule(target)
        raise


def _restore(target, rec):
    """Put the record from before this run back (or none)."""
    if rec is None:
        _unlink(target.record_path)
    else:
        _dump(target.record_path, rec)


def _drop_schedule(target):
    """The target's runner was stopped and its schedule ends; the TTL stands (a watchdog without a schedule)."""
    with Lock(target):
        rec = read_record(target)
        if rec is None:
            return
        rec = dict(rec, schedule=None, token=_token())
        _dump(target.record_path, rec)
    if rec["mechanism"] == "watchdog":
        spawn(target, None, True, rec["token"])


def _start_schedule(tr):
    """After the rules are applied: where the driven rule is, and t=0 of the schedule, now."""
    job, sched = tr.job, tr.job.schedule
    mode, _bands, placed = plan.layout(job.want)
    band = [b for b, r in placed if r["name"] == sched.rule][0]
    if mode == "netem":
        parent, handle = plan.TC_H_ROOT, plan.ROOT_HANDLE
    else:
        parent, handle = plan.class_id(band), plan.leaf_handle(band)
    start_schedule(tr.target, sched, job.interface if job.direction == "egress" else None, parent, handle)


def start_schedule(target, sched, device, parent, handle):
    """Record where the steps go (device None: the target's IFB) and start the schedule now."""
    with Lock(target):
        rec = read_record(target)
        if rec is None:
            return None
        rs = dict(rec["schedule"], device=device, parent=parent, handle=handle, start_mono=time.monotonic(),
                  started_at=time.time())
        rec = dict(rec, schedule=rs)
        if rec["mechanism"] == "systemd":
            rec["token"] = _token()
        _dump(target.record_path, rec)
        runner = read_runner(target)
    if rec["mechanism"] == "systemd":
        spawn(target, sched, False, rec["token"])
    elif alive(runner) and runner.get("token") == rec["token"]:
        os.kill(int(runner["pid"]), signal.SIGUSR1)
    return rs


def disarm(target):
    """Remove the record, stop the runner and the timer. Returns the record that was armed (or None)."""
    with Lock(target):
        rec = read_record(target)
        _unlink(target.record_path)
    stop_runner(target)
    if rec is not None and rec.get("mechanism") == "systemd":
        _systemd_disarm(target)
    _unlink(target.runner_path)
    if rec is not None:
        log("TTL of %s disarmed" % target.where(), target)
    return rec


def arm_target(target, seconds, fields):
    """Arm, or re-arm (a heartbeat), a TTL without a schedule on a target of any kind; (record before, record now).

    fields go into the record as they are (what the target's revert needs). A live watchdog of the target is
    told the new deadline (SIGUSR1); otherwise a new one is started, or the systemd timer (re)started. If the
    host cannot be made to enforce it, the record from before is put back and the error raised.
    """
    mech = mechanism()
    with Lock(target):
        rec = read_record(target)
        runner = read_runner(target)
        now, mono = time.time(), time.monotonic()
        live = rec is not None and alive(runner) and runner.get("token") == rec.get("token")
        keep = live and mech == "watchdog"
        new = dict(fields, version=1, ttl=seconds, armed_at=now, deadline=now + seconds, deadline_mono=mono + seconds,
                   boot_id=boot_id(), mechanism=mech, first_armed_at=rec["first_armed_at"] if rec else now,
                   rearms=rec.get("rearms", 0) + 1 if rec else 0, token=rec["token"] if keep else _token(),
                   schedule=None)
        if target.kind:
            new["kind"] = target.kind
        if mech == "systemd":
            new["unit"] = unit_name(target)
        _dump(target.record_path, new)  # a runner with another token stands down at its next wake-up
    try:
        if live and not keep:
            stop_runner(target)
        if mech == "systemd":
            _systemd_arm(target, seconds)
        elif keep:
            os.kill(int(runner["pid"]), signal.SIGUSR1)
        else:
            spawn(target, None, True, new["token"])
    except BaseException:
        with Lock(target):
            _restore(target, rec)
        raise
    return rec, new


def after(runs, check_mode=False):
    """After the engine succeeded: start new schedules, disarm what has nothing left; fill each job's result."""
    for tr in runs:
        job = tr.job
        left = job.result["after"]
        if check_mode:
            tr.result = _predict(tr, left)
        elif not left:
            if tr.rec is not None or tr.armed:
                rec = disarm(tr.target) or tr.rec
                tr.result = {"action": "disarmed", "ttl": schedule.format_duration(rec["ttl"])} if rec else None
        elif tr.armed:
            if tr.new_schedule:
                _start_schedule(tr)
            rec = read_record(tr.target)
            tr.result = describe(rec, "armed" if tr.fresh else "rearmed", read_runner(tr.target)) if rec else None
        elif tr.rec is not None:
            rec = read_record(tr.target)
            tr.result = describe(rec, "kept", read_runner(tr.target)) if rec else None
        job.result["ttl"] = tr.result
        if tr.result and tr.result["action"] in ("armed", "disarmed"):
            job.result["changed"] = True
    return runs


def _predict(tr, left):
    job = tr.job
    if tr.arming and left:
        now = time.time()
        return {"action": "rearmed" if tr.rec else "armed", "ttl": schedule.format_duration(job.ttl),
                "seconds": job.ttl, "deadline": _iso(now + job.ttl), "remaining": job.ttl,
                "mechanism": mechanism(), "schedule": dict(job.schedule.summary) if job.schedule else None}
    if tr.rec is not None and not left:
        return {"action": "disarmed", "ttl": schedule.format_duration(tr.rec["ttl"])}
    if tr.rec is not None:
        return describe(tr.rec, "kept")
    return None


def failed(runs):
    """The engine failed (and rolled back): undo this run's TTL changes, keep what was armed before."""
    for tr in runs:
        try:
            if tr.armed and tr.fresh:
                disarm(tr.target)
            elif tr.armed and tr.new_schedule:
                stop_runner(tr.target)
                _drop_schedule(tr.target)
            elif tr.stopped is not None and tr.removing and tr.rec is not None:
                _drop_schedule(tr.target)  # state absent failed: the TTL it would have disarmed stands
        except (OSError, errors.ModuleError) as e:
            log("could not restore the TTL of %s after a failed run: %s" % (tr.target.where(), e), tr.target)


class NoHangup:
    """Ignore SIGHUP while changing the kernel and arming: a dropped SSH session must not stop a run half-way."""

    def __init__(self, active=True):
        self.active, self.old = active, None

    def __enter__(self):
        if self.active:
            self.old = signal.signal(signal.SIGHUP, signal.SIG_IGN)
        return self

    def __exit__(self, *exc):
        if self.active:
            signal.signal(signal.SIGHUP, self.old)
