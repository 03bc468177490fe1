"""tools/labvm takes its VM down however labvm itself ends.

`timeout`, pytest-timeout and CI send SIGTERM, a closed terminal sends SIGHUP,
Ctrl-C sends SIGINT, and an impatient caller sends SIGKILL. In every case the
qemu that labvm started must not outlive it.

Each case starts labvm with a unique marker in its environment (vng,
virtme-run and qemu inherit it, other people's VMs do not have it), waits
until a qemu process carrying the marker is running, ends labvm the given way,
and then requires that no live process with the marker remains within a
bounded wait. Whatever survives is killed in `finally`.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

from netlab import REPO

LABVM = os.path.join(REPO, "tools", "labvm")
MARK = "AIFABRIC_LABVM_SIGNAL_TEST"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="labvm needs root"),
    pytest.mark.skipif(os.environ.get("LABVM") == "1", reason="boots a VM from the host, not from inside a VM"),
    pytest.mark.skipif(not shutil.which("qemu-system-x86_64"), reason="labvm needs qemu (make venv installs it)"),
]


def marked(marker):
    """pid -> (comm, state, pgid) for every process whose environment carries the marker."""
    needle = ("%s=%s" % (MARK, marker)).encode()
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid) as f:
                stat = f.read()
        except OSError:  # exited meanwhile
            continue
        if needle in env:
            rest = stat[stat.rindex(")") + 2:].split()
            found[int(pid)] = (stat[stat.index("(") + 1:stat.rindex(")")], rest[0], int(rest[2]))
    return found


def alive(marker):
    # a zombie runs nothing; this container's init never reaps its orphans
    return {pid: p for pid, p in marked(marker).items() if p[1] != "Z"}


def qemus(marker):
    """The marked qemu that runs the VM (virtme-run also runs `qemu-system-x86_64 --version`)."""
    found = {}
    for pid, p in alive(marker).items():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if p[0].startswith("qemu-system") and b"-kernel" in argv:
            found[pid] = p
    return found


def wait_for(cond, timeout, what, detail=lambda: ""):
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("no %s within %d s%s" % (what, timeout, detail()))
        time.sleep(0.1)


def kill_marked(marker, timeout=20):
    """Kill whatever of this run is still alive and wait (bounded) until it has gone."""
    own = os.getpgrp()
    deadline = time.monotonic() + timeout
    while alive(marker) and time.monotonic() < deadline:
        for pid, (_comm, _state, pgid) in alive(marker).items():
            try:
                if pgid != own:
                    os.killpg(pgid, signal.SIGKILL)
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)


def run_dirs():
    """labvm's run directories (tempfile.TemporaryDirectory(prefix="labvm-")) that exist now."""
    tmp = tempfile.gettempdir()
    return set(n for n in os.listdir(tmp) if n.startswith("labvm-") and os.path.isdir(os.path.join(tmp, n)))


@pytest.fixture(scope="module")
def kernel():
    res = subprocess.run([LABVM, "--kernel", "bookworm", "fetch"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    return "bookworm"


CASES = {
    "SIGTERM from timeout 30": (["timeout", "30"], None, 124),
    "SIGHUP": ([], signal.SIGHUP, -signal.SIGHUP),
    "SIGINT": ([], signal.SIGINT, -signal.SIGINT),
    "SIGKILL": ([], signal.SIGKILL, -signal.SIGKILL),
}


@pytest.mark.parametrize("case", list(CASES))
def test_labvm_leaves_no_vm_behind(kernel, case):
    prefix, sig, want_rc = CASES[case]
    marker = uuid.uuid4().hex
    env = dict(os.environ, **{MARK: marker})
    env.setdefault("LABVM_ACCEL", "tcg")  # no KVM probe boot: signal the VM that runs the command
    log = tempfile.TemporaryFile(mode="w+")
    proc = None
    dirs_before = run_dirs()

    def detail():
        log.seek(0)
        return "\nlabvm exit: %r\nlabvm output:\n%s\nstill alive (pid: (comm, state, pgid)): %r" % (
            proc.poll() if proc else None, log.read()[-3000:], alive(marker))
    try:
        started = time.monotonic()
        proc = subprocess.Popen(prefix + [LABVM, "--kernel", kernel, "run", "--", "sleep", "600"],
                                cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        # ready: this run's VM is up (and labvm still running)
        wait_for(lambda: qemus(marker) or proc.poll() is not None, 28 if prefix else 60, "qemu process", detail)
        assert proc.poll() is None and qemus(marker), "labvm ended before its qemu ran" + detail()
        print("%s: qemu up after %.1f s" % (case, time.monotonic() - started))
        if sig is not None:
            os.kill(proc.pid, sig)
            rc = proc.wait(timeout=30)
        else:
            rc = proc.wait(timeout=max(1, 30 + 30 - (time.monotonic() - started)))
        assert rc == want_rc, "labvm ended with %r, expected %r%s" % (rc, want_rc, detail())
        wait_for(lambda: not alive(marker), 15, "end of every process of the labvm run after %s" % case, detail)
        # and its run directory went with it (after SIGKILL the watchdog removes it)
        wait_for(lambda: not (run_dirs() - dirs_before), 15, "removal of labvm's run directory after %s" % case,
                 lambda: " %s" % sorted(run_dirs() - dirs_before))
    finally:
        kill_marked(marker)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_labvm_ssh_reaches_the_guest_on_loopback_only(kernel, tmp_path):
    """--ssh: root logs in with the key (host key checked), and the guest reaches nothing of the host's."""
    marker = uuid.uuid4().hex
    env = dict(os.environ, **{MARK: marker})
    env.setdefault("LABVM_ACCEL", "tcg")
    key, known = str(tmp_path / "id"), str(tmp_path / "known_hosts")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    # a listener on the host's loopback, which the restricted guest must not reach
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    log = tempfile.TemporaryFile(mode="w+")
    proc = None

    def detail():
        log.seek(0)
        return "\nlabvm output:\n%s" % log.read()[-3000:]
    try:
        proc = subprocess.Popen([LABVM, "--kernel", kernel, "--ssh", "127.0.0.1:%d" % port, "--ssh-key", key + ".pub",
                                 "--ssh-known-hosts", known, "run", "--", "sleep", "600"],
                                cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

        def ready():
            log.seek(0)
            return "ssh ready on 127.0.0.1:%d" % port in log.read() or proc.poll() is not None
        wait_for(ready, 180, "ssh ready line", detail)
        assert proc.poll() is None, detail()
        ssh = ["ssh", "-i", key, "-p", str(port), "-o", "UserKnownHostsFile=" + known, "-o", "BatchMode=yes",
               "-o", "StrictHostKeyChecking=yes", "root@127.0.0.1"]
        # 10.0.2.2 is the host as qemu's user-mode network shows it; restrict=on must refuse the connection
        out = subprocess.run(ssh + ["uname -r; id -u; python3 -c 'import socket; s = socket.socket(); "
                                    "s.settimeout(5); print(s.connect_ex((\"10.0.2.2\", %d)))'"
                                    % listener.getsockname()[1]],
                             capture_output=True, text=True, timeout=120, check=False)
        assert out.returncode == 0, out.stderr + detail()
        lines = out.stdout.split()
        assert lines[0].endswith("-amd64") and lines[0] != os.uname()[2] and lines[1] == "0", out.stdout
        assert lines[-1] != "0", "the guest reached a listener on the host: %s" % out.stdout  # restrict=on
        listener.settimeout(0.5)
        with pytest.raises(socket.timeout):
            listener.accept()
        # a wrong key is refused
        other = str(tmp_path / "other")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other], check=True)
        bad = subprocess.run(["ssh", "-i", other] + ssh[3:] + ["true"], capture_output=True, text=True, timeout=60,
                             check=False)
        assert bad.returncode == 255 and "Permission denied" in bad.stderr, bad.stderr
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        wait_for(lambda: not alive(marker), 15, "end of every process of the labvm run", detail)
    finally:
        listener.close()
        kill_marked(marker)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
