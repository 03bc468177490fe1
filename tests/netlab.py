"""Test helpers: the collection on sys.path, throwaway namespaces, iproute2 oracles."""
import json
import os
import re
import select
import subprocess
import sys
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".cache", "collections")
_LINK = os.path.join(COLLECTIONS, "ansible_collections", "aifabric", "emulation")
if not os.path.lexists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(os.path.join("..", "..", "..", ".."), _LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


def sh(cmd, check=True):
    res = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False)
    if check and res.returncode:
        raise AssertionError("%s failed (%d): %s" % (cmd, res.returncode, res.stderr.strip()))
    return res


def wait_until(cond, timeout, what, interval=0.05):
    """Poll cond() until it returns something true and return that; AssertionError naming `what` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %g s waiting for %s" % (timeout, what() if callable(what) else what))
        time.sleep(interval)


def read_until(proc, stream, needle, timeout):
    """Read the child's pipe `stream` until `needle` (bytes) appears; return what was read.

    AssertionError with the output so far if the child exits or stays silent for `timeout` s.
    """
    fd, buf = stream.fileno(), b""
    deadline = time.monotonic() + timeout
    while needle not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("%s did not print %r within %g s; it printed %r" % (proc.args, needle, timeout, buf))
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError("%s exited (%s) before printing %r; it printed %r"
                                     % (proc.args, proc.wait(), needle, buf))
            buf += chunk
    return buf


def tcp_listening(pid, port):
    """Whether process pid's network namespace has a TCP socket listening on port (from /proc, no new process)."""
    for table in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, table)) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: TCP_LISTEN
                return True
    return False


def processes_named(comm):
    """pids of every live process whose comm is comm (from /proc: no `ps`)."""
    found = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                name = f.read().strip()
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if name == comm and state not in ("Z", "X"):
            found.add(int(pid))
    return found


def session_members(sid):
    """Live processes of session sid (from /proc/<pid>/stat: state, ppid, pgrp, session)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] not in ("Z", "X"):
            out.append(int(pid))
    return out


class ModuleExit(Exception):
    """What exit_json/fail_json of FakeModule raise; args[0] is the result (with failed)."""


class FakeModule:
    """What a module's run_module needs of AnsibleModule: params with the argspec's defaults, exit_json, fail_json."""

    check_mode, _diff = False, False

    def __init__(self, argument_spec, **params):
        self.params = dict((k, v.get("default")) for k, v in argument_spec.items())
        self.params.update(params)

    def exit_json(self, **kw):
        raise ModuleExit(dict(kw, failed=False))

    def fail_json(self, **kw):
        raise ModuleExit(dict(kw, failed=True))

    def warn(self, text):
        pass


def run_module(run, argument_spec, **params):
    """A module's result (failed or not) from its run_module(module) on these parameters, in this process."""
    try:
        run(FakeModule(argument_spec, **params))
    except ModuleExit as e:
        return e.args[0]
    raise AssertionError("run_module returned without exit_json or fail_json")


def tc_json(netns, *args):
    return json.loads(sh("tc -n %s -j %s" % (netns, " ".join(args))).stdout or "[]")


TC_RATE_UNITS = {"bit": 1, "kbit": 10**3, "mbit": 10**6, "gbit": 10**9, "tbit": 10**12}


def tc_rate_bit(ns, dev):
    """The rate tc reports for the interface's rate qdisc in bit/s (None: not shaped): tbf from `tc -j qdisc`
    (bytes/s), htb's class 1:1 from the text of `tc class show` (tc 6.1 prints no JSON for htb classes)."""
    for q in tc_json(ns, "qdisc show dev", dev):
        if q.get("root") and q["kind"] == "tbf":
            return q["options"]["rate"] * 8
        if q.get("root") and q["kind"] == "htb":
            text = sh("tc -n %s class show dev %s classid 1:1" % (ns, dev)).stdout
            m = re.search(r" rate (\d+(?:\.\d+)?)([KMGT]?bit) ", text)
            assert m, text
            return int(round(float(m.group(1)) * TC_RATE_UNITS[m.group(2).lower()]))
    return None


def ip_json(netns, *args):
    return json.loads(sh("ip -n %s -j %s" % (netns, " ".join(args))).stdout or "[]")


class Pair:
    """Two namespaces joined by a veth pair: a (10.77.0.1, fd77::1) <-> b (.2, ::2)."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.a, self.b = "afa" + tag, "afb" + tag
        self.dev_a, self.dev_b = "va", "vb"
        self.ip_a, self.ip_b = "10.77.0.1", "10.77.0.2"
        self.ip6_a, self.ip6_b = "fd77::1", "fd77::2"

    def create(self):
        sh("ip netns add %s && ip netns add %s" % (self.a, self.b))
        sh("ip link add va netns %s type veth peer vb netns %s" % (self.a, self.b))
        for ns, dev, v4, v6 in ((self.a, "va", self.ip_a, self.ip6_a), (self.b, "vb", self.ip_b, self.ip6_b)):
            sh("ip -n %s addr add %s/24 dev %s && ip -n %s addr add %s/64 dev %s nodad"
               % (ns, v4, dev, ns, v6, dev))
            sh("ip -n %s link set %s up && ip -n %s link set lo up" % (ns, dev, ns))

    def destroy(self):
        for ns in (self.a, self.b):
            sh("ip netns del %s" % ns, check=False)
        from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core
        for ns in (self.a, self.b):
            sh("rm -f %s" % core.StateStore(ns).path, check=False)


def kernel_has_netem():
    from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core
    return core.netem_available()


DEPRECATION = "[DEPRECATION WARNING]"


def assert_no_deprecation(stdout, stderr, what="ansible"):
    """Fail on any deprecation warning; show each with the lines that continue it."""
    found = []
    for stream, text in (("stdout", stdout), ("stderr", stderr)):
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if DEPRECATION in line:
                more = []
                for cont in lines[i + 1:i + 4]:
                    if not cont.strip() or DEPRECATION in cont or cont.startswith(("[", "TASK", "PLAY")):
                        break
                    more.append(cont)
                found.append("%s: %s" % (stream, "\n    ".join([line] + more)))
    assert not found, "%s printed %d deprecation warning(s):\n%s" % (what, len(found), "\n".join(found))


def run_playbook(name, **extra_vars):
    """Run tests/lab/playbooks/<name> (or the playbook at an absolute path) with the repo's ansible.cfg.

    Assert it passed and printed no deprecation warning (they are forced on, whatever the environment says).
    """
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_DEPRECATION_WARNINGS="true")
    res = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-playbook"),
                          os.path.join(REPO, "tests", "lab", "playbooks", name),
                          "-e", json.dumps(extra_vars)],
                         cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "failed=0" in res.stdout
    assert_no_deprecation(res.stdout, res.stderr, "ansible-playbook %s" % name)
    return res.stdout
