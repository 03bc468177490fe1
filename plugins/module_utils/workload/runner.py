# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a workload's processes with one deadline, and leave nothing behind. Standard library only.

Every process is started in a session (and so a process group) of its own, with
the job's marker in its environment (AIFABRIC_WORKLOAD=<id>). Processes started
by those (mpirun's orted daemons through the rsh agent, the Python ranks they
fork, iperf3 servers in other namespaces) inherit the marker even when they
start sessions of their own. On the deadline, or on any error, the job kills
every process group it started and then every process whose environment
carries its marker: SIGTERM, a grace period, then SIGKILL, and checks that none
is left. The environment also names the owner (AIFABRIC_WORKLOAD_OWNER, the
module process's pid and start time): a module killed outright (a controller
killed with SIGKILL) cannot clean up, so every job first kills the marked
processes whose owner is gone (orphans()), and a resumed sweep never runs
next to a dead run's ranks. Each process's end is timed by a thread blocked
in wait(), so the job's wall time is that of the last process, not of a
polling loop.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.engine import quote

MARKER = "AIFABRIC_WORKLOAD"
OWNER = "AIFABRIC_WORKLOAD_OWNER"
GRACE_S = 2.0


def process_identity(pid, proc_root="/proc"):
    """"pid:start time" (clock ticks since boot, /proc/<pid>/stat field 22), or None if pid is gone."""
    try:
        with open(os.path.join(proc_root, str(pid), "stat")) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (IOError, OSError, IndexError):
        return None
    return "%d:%s" % (pid, fields[19])


def _environ(proc_root, entry):
    try:
        with open(os.path.join(proc_root, entry, "environ"), "rb") as f:
            return f.read().split(b"\0")
    except (IOError, OSError):  # gone, or a kernel thread
        return None


def orphans(proc_root="/proc"):
    """Pids of workload processes whose owner (the module process that started them) is no longer running."""
    prefix = ("%s=" % OWNER).encode("ascii")
    found, alive, me = [], {}, str(os.getpid())
    for entry in os.listdir(proc_root):
        if not entry.isdigit() or entry == me:
            continue
        owner = [v[len(prefix):].decode("ascii", "replace") for v in _environ(proc_root, entry) or []
                 if v.startswith(prefix)]
        if not owner:
            continue
        if owner[0] not in alive:
            pid = owner[0].split(":", 1)[0]
            alive[owner[0]] = pid.isdigit() and process_identity(int(pid), proc_root) == owner[0]
        if not alive[owner[0]]:
            found.append(int(entry))
    return sorted(found)


def kill_orphans(proc_root="/proc"):
    """SIGKILL the orphans (a dead run's ranks); a warning naming them, or None."""
    named = [(pid, _comm(pid) or str(pid)) for pid in orphans(proc_root)]  # named first: a killed orphan is reaped
    hit = [name for pid, name in named if _signal(pid, signal.SIGKILL)]
    if not hit:
        return None
    return "killed %d processes left by a workload whose module was killed (a controller killed outright?): %s" % (
        len(hit), ", ".join(hit))


def netns_argv(netns, argv):
    """argv run inside network namespace netns (None: here)."""
    if not netns:
        return list(argv)
    return ["ip", "netns", "exec", netns] + list(argv)


def marked_pids(marker_value, proc_root="/proc"):
    """Pids of the processes whose environment holds MARKER=marker_value (this process excluded)."""
    needle = ("%s=%s" % (MARKER, marker_value)).encode("ascii")
    found, me = [], os.getpid()
    try:
        entries = os.listdir(proc_root)
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit() or int(entry) == me:
            continue
        if needle in (_environ(proc_root, entry) or ()):
            found.append(int(entry))
    return sorted(found)


def _signal(pid, sig, group=False):
    try:
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
        return True
    except OSError:  # already gone
        return False


class Proc:
    def __init__(self, name, argv, popen, out, err, started):
        self.name, self.argv, self.popen = name, argv, popen
        self.out, self.err = out, err
        self.started, self.ended, self.returncode = started, None, None
        self.stdout = self.stderr = ""
        self.thread = None

    @property
    def wall_s(self):
        return None if self.ended is None else self.ended - self.started

    def collect(self):
        for attr, handle in (("stdout", self.out), ("stderr", self.err)):
            handle.seek(0)
            setattr(self, attr, handle.read().decode("utf-8", "replace"))
            handle.close()


class Job:
    """The processes of one workload run, one deadline for all of them."""

    def __init__(self, timeout_s, env=None):
        self.timeout_s = timeout_s
        self.marker = uuid.uuid4().hex
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.env[MARKER] = self.marker
        self.env[OWNER] = process_identity(os.getpid()) or str(os.getpid())
        self.procs = []
        self.t0 = None
        self.deadline = None

    def start(self, name, argv, env=None):
        now = time.monotonic()
        if self.t0 is None:
            self.t0 = now
            self.deadline = now + self.timeout_s
        penv = dict(self.env)
        penv.update(env or {})
        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        try:
            popen = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=penv,
                                     close_fds=True, start_new_session=True)
        except OSError as e:
            out.close()
            err.close()
            raise errors.ModuleError("command", "cannot run %s: %s" % (quote.join(argv), e))
        proc = Proc(name, list(argv), popen, out, err, time.monotonic())

        def waiter():
            proc.returncode = popen.wait()
            proc.ended = time.monotonic()

        proc.thread = threading.Thread(target=waiter, name="wait-%s" % name)
        proc.thread.daemon = True
        proc.thread.start()
        self.procs.append(proc)
        return proc

    def remaining(self):
        return max(0.0, self.deadline - time.monotonic()) if self.deadline is not None else self.timeout_s

    def wait(self, procs=None):
        """Wait for procs (default: every process); on the deadline kill everything and fail naming `timeout`."""
        for proc in procs if procs is not None else list(self.procs):
            proc.thread.join(self.remaining())
            if proc.thread.is_alive():
                killed = self.kill_all()
                raise errors.ModuleError("timeout", "the workload ran past its timeout of %gs (%s still running); "
                                         "killed %d processes: %s" % (self.timeout_s, proc.name, len(killed),
                                                                      ", ".join(killed) or "none left"))
            proc.collect()
        return procs

    def wall_s(self):
        ends = [p.ended for p in self.procs if p.ended is not None]
        return (max(ends) - self.t0) if ends and self.t0 is not None else None

    def kill_all(self):
        """SIGTERM every group and marked process, SIGKILL what is left after GRACE_S; names of what was killed."""
        killed = []

        def sweep(sig):
            hit = []
            for proc in self.procs:
                if proc.ended is None and _signal(proc.popen.pid, sig, group=True):
                    hit.append(proc.name)
            for pid in marked_pids(self.marker):
                if _signal(pid, sig):
                    hit.append(_comm(pid) or str(pid))
            return hit

        killed.extend(sweep(signal.SIGTERM))
        end = time.monotonic() + GRACE_S
        while time.monotonic() < end and (marked_pids(self.marker) or any(p.ended is None for p in self.procs)):
            time.sleep(0.05)
        for _attempt in range(20):
            left = marked_pids(self.marker)
            if not left and all(p.ended is not None for p in self.procs):
                break
            killed.extend(sweep(signal.SIGKILL))
            time.sleep(0.05)
        for proc in self.procs:
            proc.thread.join(1.0)
            if proc.ended is not None and not proc.out.closed:
                proc.collect()
        return sorted(set(killed))

    def close(self):
        """Kill whatever is still running (an error path); close the output files."""
        if any(p.ended is None for p in self.procs) or marked_pids(self.marker):
            self.kill_all()
        for proc in self.procs:
            if not proc.out.closed:
                proc.collect()


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return "%s[%d]" % (f.read().strip(), pid)
    except (IOError, OSError):
        return None
