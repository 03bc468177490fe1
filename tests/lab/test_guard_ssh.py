"""The management guard over real SSH with become (sudo), in the lab VM.

Topology, all created here and removed afterwards:

    namespace S (the target)                 namespace C (the controller)
    s0 ------------------ veth ------------------ c0
    s0.100  10.204.0.1/24 (VLAN 100)              c0.100  10.204.0.2/24
    s1      10.205.0.1/24 ------ veth ----------- c1      10.205.0.2/24

sshd runs in S, listening on 10.204.0.1 only, with a generated host key and
an authorized-keys file of its own. It runs in a private mount namespace
where /etc/passwd, /etc/shadow and /etc/sudoers are bind-mounted copies that
add a throwaway unprivileged user with passwordless sudo: the user exists for
sshd and the processes below it only, and disappears with them (nothing is
written to /etc, which in the guest is the host's, read-only). ansible-playbook
runs in C and connects as that user with become: true.
"""
import json
import os
import pwd
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest

from netlab import COLLECTIONS, REPO, sh

PLAYBOOK = os.path.join(REPO, "tests", "lab", "playbooks", "guard_ssh.yml")
SSHD = "/usr/sbin/sshd"
SERVER, CLIENT = "10.204.0.1", "10.204.0.2"
READY_TIMEOUT = 90
PLAYBOOK_TIMEOUT = 1500

pytestmark = pytest.mark.skipif(not (os.path.exists(SSHD) and shutil.which("sudo") and shutil.which("ssh")),
                                reason="needs openssh-server, openssh-client and sudo (tools/bootstrap)")

PROBE = r'''
import json, os, sys
sys.path.insert(0, %(collections)r)
from ansible_collections.aifabric.emulation.plugins.module_utils import safety
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession


def comm(pid):
    try:
        with open("/proc/%%d/comm" %% pid) as f:
            return f.read().strip()
    except (OSError, TypeError):
        return None


def ppid(pid):
    with open("/proc/%%d/status" %% pid) as f:
        return int([l for l in f if l.startswith("PPid:")][0].split()[1])


conn = safety.find_connection()
out = {"uid": os.getuid(), "own_env_has_ssh": "SSH_CONNECTION" in os.environ,
       "controller": os.environ.get("AIFABRIC_CONNECTION"), "guards": {}}
if conn is not None:
    out["connection"] = {"traced": conn.traced, "local": conn.local, "peer": conn.peer,
                         "describe": conn.describe(), "pid": conn.pid}
    if conn.pid:
        out["connection"]["comm"] = comm(conn.pid)
        out["connection"]["parent_comm"] = comm(ppid(conn.pid))
for ns in [None] + sys.argv[1:]:
    with NetlinkSession(ns) as s:
        out["guards"][ns or "own"] = dict((str(k), v) for k, v in safety.Guard(s, ns).interfaces().items())
print(json.dumps(out))
''' % {"collections": COLLECTIONS}


def unused_uid():
    taken = set(p.pw_uid for p in pwd.getpwall())
    return next(uid for uid in range(61000, 62000) if uid not in taken)


class SshLab:
    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.s, self.c = "gss" + tag, "gsc" + tag
        self.user = "aifguard" + tag
        self.uid = unused_uid()
        self.tmp = tempfile.mkdtemp(prefix="aifabric-guard-")
        os.chmod(self.tmp, 0o755)
        self.home = os.path.join(self.tmp, "home")
        self.sshd = None
        self.log = []
        self.ready = threading.Event()
        self.created_run_sshd = False

    def path(self, name):
        return os.path.join(self.tmp, name)

    # ---------------------------------------------------------- network --
    def create_network(self):
        s, c = self.s, self.c
        sh("ip netns add %s && ip netns add %s" % (s, c))
        for ns in (s, c):
            sh("ip -n %s link set lo up" % ns)
        sh("ip link add s0 netns %s type veth peer c0 netns %s" % (s, c))
        sh("ip link add s1 netns %s type veth peer c1 netns %s" % (s, c))
        for ns, dev in ((s, "s0"), (s, "s1"), (c, "c0"), (c, "c1")):
            sh("ip -n %s link set %s up" % (ns, dev))
        sh("ip -n %s link add link s0 name s0.100 type vlan id 100 && ip -n %s link set s0.100 up" % (s, s))
        sh("ip -n %s link add link c0 name c0.100 type vlan id 100 && ip -n %s link set c0.100 up" % (c, c))
        sh("ip -n %s addr add %s/24 dev s0.100 && ip -n %s addr add %s/24 dev c0.100" % (s, SERVER, c, CLIENT))
        sh("ip -n %s addr add 10.205.0.1/24 dev s1 && ip -n %s addr add 10.205.0.2/24 dev c1" % (s, c))

    # ------------------------------------------------------------- sshd --
    def write(self, name, text, mode=0o644):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def start_sshd(self):
        os.makedirs(self.home, mode=0o700)
        os.chown(self.home, self.uid, 65534)
        sh("ssh-keygen -q -t ed25519 -N '' -f %s" % self.path("host_key"))
        sh("ssh-keygen -q -t ed25519 -N '' -f %s" % self.path("client_key"))
        shutil.copy(self.path("client_key.pub"), self.path("authorized_keys"))
        os.chmod(self.path("authorized_keys"), 0o644)
        with open("/etc/passwd") as f:
            passwd = f.read().rstrip("\n") + "\n"
        with open("/etc/shadow") as f:
            shadow = f.read().rstrip("\n") + "\n"
        self.write("passwd", passwd + "%s:x:%d:65534:aifabric guard test:%s:/bin/sh\n" % (
            self.user, self.uid, self.home))
        self.write("shadow", shadow + "%s:*:::::::\n" % self.user, 0o640)
        self.write("sudoers", "Defaults env_reset\n"
                              "Defaults secure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n"
                              "root ALL=(ALL:ALL) ALL\n"
                              "%s ALL=(ALL:ALL) NOPASSWD: ALL\n" % self.user, 0o440)
        config = self.write("sshd_config", "\n".join([
            "ListenAddress %s" % SERVER, "Port 22", "HostKey %s" % self.path("host_key"), "PidFile none",
            "UsePAM no", "PermitRootLogin no", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes", "AuthorizedKeysFile %s" % self.path("authorized_keys"),
            "StrictModes no", "AllowUsers %s" % self.user, "Subsystem sftp internal-sftp", "UseDNS no",
            "LogLevel INFO", ""]))
        if not os.path.isdir("/run/sshd"):  # sshd's privilege separation directory
            os.makedirs("/run/sshd", mode=0o755)
            self.created_run_sshd = True
        inner = ("mount --bind %s /etc/passwd && mount --bind %s /etc/shadow && mount --bind %s /etc/sudoers && "
                 "exec %s -D -e -f %s" % (self.path("passwd"), self.path("shadow"), self.path("sudoers"), SSHD, config))
        self.sshd = subprocess.Popen(["ip", "netns", "exec", self.s, "unshare", "--mount", "--propagation", "private",
                                      "sh", "-c", inner],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self.ready.wait(READY_TIMEOUT):
            raise AssertionError("sshd did not start listening: %s" % "".join(self.log)[-2000:])

    def _read_log(self):
        for line in self.sshd.stderr:
            self.log.append(line)
            if "Server listening on %s port 22" % SERVER in line:
                self.ready.set()
        self.ready.set()  # sshd exited: stop waiting (the caller sees it is not listening)

    # --------------------------------------------------------- playbook --
    def run_playbook(self):
        inventory = self.write("inventory.ini", (
            "[guard_target]\n"
            "target ansible_host=%s ansible_port=22 ansible_user=%s ansible_ssh_private_key_file=%s "
            "ansible_python_interpreter=/usr/bin/python3 ansible_async_dir=%s\n") % (
                SERVER, self.user, self.path("client_key"), self.path("async")))
        wrapper = self.write("pywrap", "#!/bin/sh\n"
                                       "env > %s\n"
                                       "/usr/bin/python3 %s %s %s > %s 2>&1\n"
                                       "exec /usr/bin/python3 \"$@\"\n" % (
                                           self.path("module_env"), self.path("probe.py"), self.s, self.c,
                                           self.path("module_probe.json")), 0o755)
        self.write("probe.py", PROBE)
        for d in ("cp", "local", "ctrl_home", "async", "local_remote_tmp"):
            os.makedirs(self.path(d))
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), HOME=self.path("ctrl_home"),
                   ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_SSH_CONTROL_PATH_DIR=self.path("cp"),
                   ANSIBLE_LOCAL_TEMP=self.path("local"), ANSIBLE_TIMEOUT="60", ANSIBLE_FORCE_COLOR="0",
                   # fewer round trips and no compression: every process start is slow under TCG
                   # (the async task still takes the non-pipelined path: async_wrapper needs files)
                   ANSIBLE_PIPELINING="True", ANSIBLE_MODULE_COMPRESSION="ZIP_STORED",
                   ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=600s -o UserKnownHostsFile=/dev/null "
                                    "-o StrictHostKeyChecking=no -o IdentitiesOnly=yes "
                                    "-o ServerAliveInterval=5 -o ServerAliveCountMax=3")
        env.pop("SSH_CONNECTION", None)
        extra = {"ns_s": self.s, "ns_c": self.c, "guard_out": self.path("results.json"),
                 "guard_probe": self.path("probe.py"), "guard_python": "/usr/bin/python3", "guard_wrapper": wrapper,
                 "guard_local_tmp": self.path("local_remote_tmp")}
        cmd = ["ip", "netns", "exec", self.c, os.path.join(REPO, ".venv", "bin", "ansible-playbook"),
               "-i", inventory, PLAYBOOK, "-e", json.dumps(extra)]
        start = time.monotonic()
        res = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT,
                             check=False)
        print("ansible-playbook took %.1f s" % (time.monotonic() - start))
        sys.stdout.write(res.stdout[-6000:])
        sys.stderr.write(res.stderr[-3000:])
        assert os.path.exists(self.path("results.json")), res.stdout[-4000:] + res.stderr[-2000:]
        with open(self.path("results.json")) as f:
            results = json.load(f)
        return res, results

    def read(self, name):
        with open(self.path(name)) as f:
            return f.read()

    # ---------------------------------------------------------- cleanup --
    def destroy(self):
        cp = self.path("cp")
        if os.path.isdir(cp):
            for sock in os.listdir(cp):  # ansible's ControlPersist masters outlive ansible-playbook
                subprocess.run(["ip", "netns", "exec", self.c, "ssh", "-o", "ControlPath=%s" % os.path.join(cp, sock),
                                "-O", "exit", "target"], capture_output=True, timeout=30, check=False)
        if self.sshd is not None and self.sshd.poll() is None:
            self.sshd.terminate()
            try:
                self.sshd.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.sshd.kill()
                self.sshd.wait()
        # sessions of the throwaway user end once their connection closes; kill what outlives that
        wait_gone(processes_of(self.uid), 30)
        for pid in processes_of(self.uid):
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        wait_gone(processes_of(self.uid), 10)
        for ns in (self.s, self.c):
            sh("ip netns del %s" % ns, check=False)
        if self.created_run_sshd:
            shutil.rmtree("/run/sshd", ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def processes_of(uid):
    """Live (not zombie) processes with uid as real, effective, saved or file-system uid."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/status" % entry) as f:
                    fields = dict(l.split(":", 1) for l in f if ":" in l)
            except OSError:
                continue
            if fields.get("State", "").split()[:1] != ["Z"] and str(uid) in fields.get("Uid", "").split():
                pids.append(int(entry))
    return pids


def wait_gone(pids, timeout):
    """Wait (on pidfds, no polling) until every process in pids has exited, or timeout seconds."""
    fds = []
    for pid in pids:
        try:
            fds.append(os.pidfd_open(pid))
        except OSError:
            pass  # already gone
    deadline = time.monotonic() + timeout
    try:
        while fds and time.monotonic() < deadline:
            ready, _w, _x = select.select(fds, [], [], deadline - time.monotonic())
            for fd in ready:
                fds.remove(fd)
                os.close(fd)
    finally:
        for fd in fds:
            os.close(fd)


@pytest.fixture(scope="module")
def ssh_run():
    lab = SshLab()
    try:
        lab.create_network()
        lab.start_sshd()
        res, results = lab.run_playbook()
        yield lab, res, results
    finally:
        lab.destroy()
        assert processes_of(lab.uid) == [], "processes of the throwaway user survived"


def names(ns, guard):
    by_index = dict((l["ifindex"], l["ifname"]) for l in json.loads(sh("ip -n %s -j link" % ns).stdout))
    return sorted(by_index[int(i)] for i in guard)


def env_lines(text):
    return dict(l.split("=", 1) for l in text.splitlines() if "=" in l)


def test_premise_sudo_drops_ssh_connection_and_keeps_the_controllers_variable(ssh_run):
    lab, _res, results = ssh_run
    plain = env_lines(results["plain_env"]["stdout"])
    assert plain["SSH_CONNECTION"].split()[0] == CLIENT and plain["SSH_CONNECTION"].split()[2:] == [SERVER, "22"]
    assert plain["USER"] == lab.user
    module_env = env_lines(lab.read("module_env"))
    assert "SSH_CONNECTION" not in module_env
    assert module_env["SUDO_USER"] == lab.user and module_env["USER"] == "root"
    assert json.loads(module_env["AIFABRIC_CONNECTION"]) == {"connection": "ssh", "host": SERVER, "port": 22}


@pytest.mark.parametrize("source", ["probe_command", "module_probe"])
def test_guard_under_become_finds_the_interfaces_carrying_the_connection(ssh_run, source):
    lab, _res, results = ssh_run
    out = json.loads(results["probe_command"]["stdout"] if source == "probe_command" else lab.read("module_probe.json"))
    assert out["uid"] == 0 and not out["own_env_has_ssh"]
    conn = out["connection"]
    assert conn["traced"] and (conn["local"], conn["peer"]) == (SERVER, CLIENT)
    assert conn["parent_comm"] in ("sshd", "sshd-session")  # the walk reached the process sshd started
    assert names(lab.s, out["guards"][lab.s]) == ["s0", "s0.100"]
    assert names(lab.s, out["guards"]["own"]) == ["s0", "s0.100"]  # sshd, and so the module, run in S
    assert out["guards"][lab.c] == {}  # the controller's end is another namespace
    why = out["guards"][lab.s][str(json.loads(sh("ip -n %s -j link show s0.100" % lab.s).stdout)[0]["ifindex"])]
    assert "holds %s" % SERVER in why and "route to %s" % CLIENT in why


def test_changes_elsewhere_and_explicitly_allowed_ones_go_through(ssh_run):
    _lab, _res, results = ssh_run
    for name in ("s1_netem", "s1_vlan", "allowed_netem"):
        r = results[name]
        assert r is not None and not r.get("failed") and r.get("changed"), (name, r)
    assert "delay 5ms" in " ".join(results["s1_netem"]["commands"])  # the shorthand reached the kernel


@pytest.mark.parametrize("name, field, interface, why", [
    ("refused_netem", "interface", "s0.100", "holds %s" % SERVER),
    ("refused_netem_parent", "interface", "s0", "lower device of s0.100"),
    ("refused_vlan", "config[0]", "s0.100", "holds %s" % SERVER),
    ("refused_async", "interface", "s0.100", "as the controller reports"),
])
def test_changes_that_would_cut_the_connection_are_refused(ssh_run, name, field, interface, why):
    _lab, _res, results = ssh_run
    r = results[name]
    assert r["failed"] and not r.get("unreachable"), r
    msg = r["msg"]
    assert msg.startswith("%s: %s carries the Ansible connection" % (field, interface)), msg
    assert why in msg and "set allow_management: true to" in msg


def test_connection_survived_and_playbook_passed(ssh_run):
    _lab, res, results = ssh_run
    assert results["still_connected"]["rc"] == 0 and not results["still_connected"].get("unreachable")
    assert res.returncode == 0, res.stdout[-3000:]
    assert "[DEPRECATION WARNING]" not in res.stdout + res.stderr, res.stdout[-3000:] + res.stderr[-3000:]
