"""Emulated endpoints are Ansible hosts: the fabric inventory and the netns become plugin on the running kernel.

The inventory is a `*.fabric.yml` file naming a topology of two servers with one
rail each, compiled by the collection's compiler. Only the servers' namespaces are
made, by the test itself (<name>-server0, <name>-server1, joined by a veth named
rail0 at both ends): staging is not tested here. ansible-playbook runs a play on
`hosts: fabric_servers` whose tasks carry no namespace argument:
ansible.builtin.command, fact gathering, and the collection's vlan, netem and roce
modules. Each host writes what it saw to <out>/<host>.json (through
ansible.builtin.copy, from inside its namespace) and the test compares that with
the kernel: `readlink /proc/self/ns/net` against the inode of /run/netns/<name>, and
the interfaces seen against `ip -n <name> link`.

Three ways in:

- local: ansible_connection=local as root (the inventory's default for localhost),
  through sudo;
- ssh, NOPASSWD: sshd in a namespace of its own (the "physical host"), listening on
  its 127.0.0.1:22; ansible-playbook runs in that namespace too and connects as an
  unprivileged throwaway user whose sudo needs no password;
- ssh, password: the same with a second throwaway user whose sudo asks for a
  password, given as ansible_become_password in the inventory's physical_hosts, and
  with pipelining on.

Over SSH a second play runs on the physical host itself (plain ansible.builtin.sudo):
the management guard refuses an MTU change on its lo, which carries the connection,
while the same change inside the endpoints goes through. The throwaway users exist
only in sshd's private mount namespace (bind-mounted copies of /etc/passwd, shadow
and sudoers, as in tests/lab/test_guard_ssh.py): nothing is written to /etc.
Everything made here (namespaces, sshd, processes of the users, sudo timestamps,
keys, files) is removed, also when a test fails.
"""
import json
import os
import pwd
import secrets
import select
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

from netlab import REPO, assert_no_deprecation, ip_json, sh, tcp_listening, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")

ANSIBLE_PLAYBOOK = os.path.join(REPO, ".venv", "bin", "ansible-playbook")
ANSIBLE = os.path.join(REPO, ".venv", "bin", "ansible")
SSHD = "/usr/sbin/sshd"
PLAYBOOK_TIMEOUT = 600
READY_TIMEOUT = 30
needs_ssh = pytest.mark.skipif(not (os.path.exists(SSHD) and shutil.which("sudo") and shutil.which("ssh")
                                    and shutil.which("openssl")),
                               reason="needs openssh-server, openssh-client, sudo and openssl (tools/bootstrap)")

PLAYBOOK = r"""
- name: Emulated servers, reached through the fabric inventory
  hosts: fabric_servers
  gather_facts: false
  tasks:
    - name: Which network namespace the task runs in
      ansible.builtin.command: readlink /proc/self/ns/net
      register: netns_seen
      changed_when: false
    - name: The interfaces it sees
      ansible.builtin.command: ip -j link show
      register: links
      changed_when: false
    - name: A task that says become false still runs in the namespace (the inventory's ansible_become wins)
      ansible.builtin.command: readlink /proc/self/ns/net
      become: false
      register: netns_without_become
      changed_when: false
    - name: become_user root, the login user's own name when connected as root, still enters the namespace
      ansible.builtin.command: readlink /proc/self/ns/net
      become_user: root
      register: netns_as_root
      changed_when: false
    - name: Who runs it, and who came in
      ansible.builtin.shell: echo "$(id -un) ${SUDO_USER:-none}"
      register: who
      changed_when: false
    - name: Another user inside the namespace
      ansible.builtin.shell: echo "$(id -un) $(readlink /proc/self/ns/net)"
      become_user: nobody
      vars:
        ansible_python_interpreter: /usr/bin/python3  # the controller's venv Python is not nobody's to run
      register: as_nobody
      changed_when: false
      when: other_user | bool
    - name: VLANs
      aifabric.emulation.vlan:
        state: gathered
      register: vlan
    - name: Impairments on the first rail
      aifabric.emulation.netem:
        state: gathered
        interface: "{{ aifabric_rails[0] }}"
      register: netem
    - name: RoCE facts of the first rail
      aifabric.emulation.roce:
        state: gathered
        netdev: "{{ aifabric_rails[0] }}"
      register: roce
    - name: RoCE rendered
      aifabric.emulation.roce:
        state: rendered
        netdev: "{{ aifabric_rails[0] }}"
        mtu: 1400
      register: roce_rendered
    - name: An MTU change on the endpoint (the guard has nothing to protect there)
      aifabric.emulation.roce:
        netdev: "{{ aifabric_rails[0] }}"
        mtu: 1400
      register: roce_merged
    - name: Facts
      ansible.builtin.setup:
        gather_subset: [network]
    - name: Report
      ansible.builtin.copy:
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        mode: "0644"
        content: "{{ report | to_json }}"
      vars:
        report:
          netns: "{{ netns_seen.stdout }}"
          netns_without_become: "{{ netns_without_become.stdout }}"
          netns_as_root: "{{ netns_as_root.stdout }}"
          links: "{{ links.stdout | from_json | map(attribute='ifname') | list }}"
          who: "{{ who.stdout }}"
          as_nobody: "{{ as_nobody.stdout | default(None) }}"
          interfaces: "{{ ansible_facts.interfaces | sort }}"
          rails: "{{ aifabric_rails }}"
          vlan: "{{ vlan }}"
          netem: "{{ netem }}"
          roce: "{{ roce }}"
          roce_rendered: "{{ roce_rendered }}"
          roce_merged: "{{ roce_merged }}"

- name: The physical host itself, where the connection lives
  hosts: physical
  gather_facts: false
  tasks:
    - name: An MTU change on the interface carrying the connection is refused
      aifabric.emulation.roce:
        netdev: lo
        mtu: 1400
      register: refused
      ignore_errors: true
    - name: Report
      ansible.builtin.copy:
        dest: "{{ out_dir }}/physical.json"
        mode: "0644"
        content: "{{ {'refused': refused} | to_json }}"
"""

TOPOLOGY = """\
name: %(name)s
kind: rail_optimized
servers: 2
rails: 1
spines: 1
"""


class Fabric:
    """The two server namespaces of a tiny fabric, and a place for the inventory, the playbook and the reports."""

    def __init__(self):
        self.name = "k" + uuid.uuid4().hex[:6]
        self.servers = ["%s-server0" % self.name, "%s-server1" % self.name]
        self.tmp = tempfile.mkdtemp(prefix="aifabric-endpoints-")
        os.chmod(self.tmp, 0o755)
        self.out = self.path("out")

    def path(self, *names):
        return os.path.join(self.tmp, *names)

    def write(self, name, text, mode=0o644):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def create(self):
        os.makedirs(self.out)
        os.chmod(self.out, 0o777)
        a, b = self.servers
        sh("ip netns add %s && ip netns add %s" % (a, b))
        sh("ip link add rail0 netns %s type veth peer rail0 netns %s" % (a, b))
        for i, ns in enumerate(self.servers):
            sh("ip -n %s link set lo up && ip -n %s link set rail0 up && ip -n %s addr add 10.66.0.%d/31 dev rail0"
               % (ns, ns, ns, i))

    def destroy(self):
        for ns in self.servers:
            sh("ip netns del %s" % ns, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def inventory(self, physical_host, connection):
        """A *.fabric.yml inventory of a 2-server fabric on physical_host, reached with the given variables.

        Only the servers' namespaces exist (made in create()); the play targets fabric_servers.
        """
        topology = TOPOLOGY % {"name": self.name}
        if physical_host != "localhost":
            topology += "placement: {hosts: [{name: %s, servers: '0-1'}]}\n" % physical_host
        self.write("topo.yml", topology)
        lines = ["plugin: aifabric.emulation.fabric", "topology: topo.yml"]
        if connection is not None:
            lines.append("physical_hosts:")
            lines.append("  %s: %s" % (physical_host, json.dumps(connection)))
        return self.write("lab.fabric.yml", "\n".join(lines) + "\n")

    def env(self, **extra):
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_DEPRECATION_WARNINGS="true",
                   ANSIBLE_FORCE_COLOR="0", ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
        env.update(extra)
        return env

    def play(self, inventories, env, netns=None, **extra_vars):
        playbook = self.write("play.yml", PLAYBOOK)
        cmd = [ANSIBLE_PLAYBOOK, playbook, "-e", json.dumps(dict(out_dir=self.out, **extra_vars))]
        for inventory in inventories:
            cmd += ["-i", inventory]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        res = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT,
                             check=False)
        assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-3000:]
        assert_no_deprecation(res.stdout, res.stderr, "ansible-playbook")
        return res

    def report(self, host):
        with open(os.path.join(self.out, "%s.json" % host)) as f:
            return json.load(f)


def netns_inode(name):
    return "net:[%d]" % os.stat("/run/netns/%s" % name).st_ino


def assert_ran_inside(fab, user="root", sudo_user="root", other_user=True):
    """Every server's report shows its own namespace, its own interfaces, and the modules' view of them."""
    for ns in fab.servers:
        r = fab.report(ns)
        inode = netns_inode(ns)
        assert r["netns"] == inode, (ns, r["netns"])
        assert r["netns_without_become"] == inode and r["netns_as_root"] == inode
        assert sorted(r["links"]) == sorted(l["ifname"] for l in ip_json(ns, "link", "show")) == ["lo", "rail0"]
        assert r["interfaces"] == ["lo", "rail0"]  # facts read /sys/class/net: the namespace's own sysfs
        assert r["who"] == "%s %s" % (user, sudo_user), r["who"]
        if other_user:
            assert r["as_nobody"] == "nobody %s" % inode
        assert r["rails"] == ["rail0"]
        assert not r["vlan"].get("failed") and r["vlan"]["gathered"] == [], r["vlan"]
        # rail0 exists only in the endpoint's namespace: in the physical host's the module would fail
        assert not r["netem"].get("failed") and r["netem"]["gathered"] == [], r["netem"]
        facts = r["roce"]["gathered"]
        assert (facts["netdev"], facts["kind"], facts["mtu"]) == ("rail0", "veth", 1500), facts
        assert r["roce_rendered"]["rendered"] == ["ip link set dev rail0 mtu 1400"]
        assert r["roce_merged"]["changed"] and not r["roce_merged"].get("failed"), r["roce_merged"]
        assert ip_json(ns, "link", "show", "rail0")[0]["mtu"] == 1400


# ------------------------------------------------------------------------ local --

@pytest.fixture
def fab():
    f = Fabric()
    try:
        f.create()
        yield f
    finally:
        f.destroy()


def test_local_connection_as_root(fab):
    inventory = fab.inventory("localhost", None)  # the inventory's default: ansible_connection local
    fab.play([inventory], fab.env(), other_user=True)
    assert_ran_inside(fab, sudo_user="root")
    assert not os.path.exists(os.path.join(fab.out, "physical.json"))  # no physical host in this inventory


def test_local_connection_as_root_without_sudo(fab):
    inventory = fab.inventory("localhost", {"aifabric_netns_sudo": False})
    fab.play([inventory], fab.env(PATH="/usr/sbin:/usr/bin:/sbin:/bin"), other_user=False)
    assert_ran_inside(fab, sudo_user="none", other_user=False)


# -------------------------------------------------------------------------- ssh --

def unused_uids(count):
    taken = set(p.pw_uid for p in pwd.getpwall())
    free = [uid for uid in range(61000, 62000) if uid not in taken]
    return free[:count]


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
    """Wait (on pidfds) until every process in pids has exited, or timeout seconds."""
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


class Sshd:
    """sshd in namespace `phys` (the physical host), on its 127.0.0.1:22, for two throwaway users.

    `nopw` has passwordless sudo; `pw` needs its password for sudo. The users exist in sshd's private mount
    namespace only (bind-mounted copies of /etc/passwd, /etc/shadow and /etc/sudoers).
    """

    def __init__(self, fab):
        self.fab = fab
        tag = uuid.uuid4().hex[:6]
        self.netns = "kph" + tag
        uids = unused_uids(2)
        self.users = {"nopw": ("aifnp" + tag, uids[0]), "pw": ("aifpw" + tag, uids[1])}
        self.password = secrets.token_urlsafe(12)
        self.proc = None
        self.log_file = None
        self.created_run_sshd = False
        self.dir = fab.path("sshd")

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def write(self, name, text, mode=0o644):
        with open(self.path(name), "w") as f:
            f.write(text)
        os.chmod(self.path(name), mode)
        return self.path(name)

    def start(self):
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        sh("ip netns add %s && ip -n %s link set lo up" % (self.netns, self.netns))
        sh("ssh-keygen -q -t ed25519 -N '' -f %s" % self.path("host_key"))
        sh("ssh-keygen -q -t ed25519 -N '' -f %s" % self.path("client_key"))
        shutil.copy(self.path("client_key.pub"), self.path("authorized_keys"))
        os.chmod(self.path("authorized_keys"), 0o644)
        hashed = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=self.password, capture_output=True,
                                text=True, check=True).stdout.strip()
        passwd, shadow = [], []
        for kind, (user, uid) in sorted(self.users.items()):
            home = self.path("home-" + kind)
            os.makedirs(home, mode=0o700)
            os.chown(home, uid, 65534)
            passwd.append("%s:x:%d:65534:aifabric endpoints test:%s:/bin/sh\n" % (user, uid, home))
            shadow.append("%s:%s:::::::\n" % (user, hashed if kind == "pw" else "*"))
        with open("/etc/passwd") as f:
            self.write("passwd", f.read().rstrip("\n") + "\n" + "".join(passwd))
        with open("/etc/shadow") as f:
            self.write("shadow", f.read().rstrip("\n") + "\n" + "".join(shadow), 0o640)
        self.write("sudoers", "Defaults env_reset\n"
                              "Defaults secure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n"
                              "Defaults lecture=never\n"
                              "root ALL=(ALL:ALL) ALL\n"
                              "%s ALL=(ALL:ALL) NOPASSWD: ALL\n"
                              "%s ALL=(ALL:ALL) ALL\n" % (self.users["nopw"][0], self.users["pw"][0]), 0o440)
        config = self.write("sshd_config", "\n".join([
            "ListenAddress 127.0.0.1", "Port 22", "HostKey %s" % self.path("host_key"), "PidFile none",
            "UsePAM no", "PermitRootLogin no", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes", "AuthorizedKeysFile %s" % self.path("authorized_keys"),
            "StrictModes no", "AllowUsers %s" % " ".join(u for u, _uid in self.users.values()),
            "Subsystem sftp internal-sftp", "UseDNS no", "LogLevel INFO", ""]))
        if not os.path.isdir("/run/sshd"):  # sshd's privilege separation directory
            os.makedirs("/run/sshd", mode=0o755)
            self.created_run_sshd = True
        inner = ("mount --bind %s /etc/passwd && mount --bind %s /etc/shadow && mount --bind %s /etc/sudoers && "
                 "exec %s -D -e -f %s" % (self.path("passwd"), self.path("shadow"), self.path("sudoers"), SSHD,
                                          config))
        # slave propagation: namespaces added later under /run/netns still appear in sshd's mount namespace
        self.log_file = open(self.path("sshd.log"), "w")  # pylint: disable=consider-using-with  # closed in stop()
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.netns, "unshare", "--mount", "--propagation",
                                      "slave", "sh", "-c", inner],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log_file)
        wait_until(lambda: self.proc.poll() is not None or tcp_listening(self.proc.pid, 22), READY_TIMEOUT,
                   lambda: "sshd to listen: %s" % self.log())
        assert self.proc.poll() is None, "sshd exited: %s" % self.log()

    def log(self):
        try:
            with open(self.path("sshd.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def connection(self, kind, pipelining=False):
        user, _uid = self.users[kind]
        conn = {"ansible_host": "127.0.0.1", "ansible_port": 22, "ansible_user": user,
                "ansible_connection": "ssh", "ansible_ssh_private_key_file": self.path("client_key"),
                "ansible_python_interpreter": "/usr/bin/python3", "ansible_ssh_pipelining": pipelining}
        if kind == "pw":
            conn["ansible_become_password"] = self.password
        return conn

    def physical_inventory(self, kind):
        conn = self.connection(kind)
        conn.update(ansible_become=True, ansible_become_method="ansible.builtin.sudo")
        return self.fab.write("physical.yml", json.dumps({"physical": {"hosts": {"phys": conn}}}))

    def env(self):
        return self.fab.env(HOME=self.fab.path("ctrl_home"), ANSIBLE_HOST_KEY_CHECKING="False",
                            ANSIBLE_LOCAL_TEMP=self.fab.path("ctrl_tmp"), ANSIBLE_TIMEOUT="30",
                            ANSIBLE_SSH_CONTROL_PATH_DIR=self.path("cp"),
                            ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=120s "
                                             "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no "
                                             "-o IdentitiesOnly=yes")

    def stop(self):
        cp = self.path("cp")
        if os.path.isdir(cp):
            for sock in os.listdir(cp):  # ansible's ControlPersist masters outlive ansible-playbook
                subprocess.run(["ssh", "-o", "ControlPath=%s" % os.path.join(cp, sock), "-O", "exit", "phys"],
                               capture_output=True, timeout=30, check=False)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log_file is not None:
            self.log_file.close()
        for _user, uid in self.users.values():
            wait_gone(processes_of(uid), 30)  # sessions end once their connection closes
            for pid in processes_of(uid):
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
            wait_gone(processes_of(uid), 10)
        for user, _uid in self.users.values():
            for ts in ("/run/sudo/ts/%s" % user, "/var/lib/sudo/ts/%s" % user, "/var/run/sudo/ts/%s" % user):
                if os.path.lexists(ts):
                    os.unlink(ts)
        sh("ip netns del %s" % self.netns, check=False)
        if self.created_run_sshd:
            shutil.rmtree("/run/sshd", ignore_errors=True)


@pytest.fixture
def sshd(fab):
    for d in ("ctrl_home", "ctrl_tmp"):
        os.makedirs(fab.path(d))
    s = Sshd(fab)
    try:
        s.start()
        yield s
    finally:
        s.stop()
        leftovers = [(user, processes_of(uid)) for user, uid in s.users.values() if processes_of(uid)]
        assert not leftovers, "processes of the throwaway users survived: %s" % leftovers


@needs_ssh
@pytest.mark.parametrize("kind, pipelining", [("nopw", False), ("pw", True)], ids=["sudo-nopasswd", "sudo-password"])
def test_ssh_as_an_unprivileged_user_with_sudo(fab, sshd, kind, pipelining):
    inventory = fab.inventory("phys", sshd.connection(kind, pipelining))
    res = fab.play([inventory, sshd.physical_inventory(kind)], sshd.env(), netns=sshd.netns, other_user=False)
    user = sshd.users[kind][0]
    assert_ran_inside(fab, sudo_user=user, other_user=False)
    refused = fab.report("physical")["refused"]
    assert refused["failed"] and "lo carries the Ansible connection" in refused["msg"], refused
    assert "127.0.0.1" in refused["msg"]
    assert ip_json(sshd.netns, "link", "show", "lo")[0]["mtu"] == 65536  # refused before anything changed
    assert "ok=" in res.stdout and "failed=0" in res.stdout
    # every endpoint (and the physical host's own play) went through one SSH master: same host, port and user
    assert len(os.listdir(sshd.path("cp"))) == 1, os.listdir(sshd.path("cp"))
    if kind == "pw":  # the password really is what lets sudo in: a wrong one is refused, and named
        cmd = ["ip", "netns", "exec", sshd.netns, ANSIBLE, fab.servers[0], "-i", inventory, "-m",
               "ansible.builtin.command", "-a", "true", "-e", json.dumps({"ansible_become_password": "wrong"})]
        wrong = subprocess.run(cmd, cwd=REPO, env=sshd.env(), capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT,
                               check=False)
        assert wrong.returncode != 0 and "Incorrect aifabric.emulation.netns password" in wrong.stdout + wrong.stderr, (
            wrong.stdout[-3000:] + wrong.stderr[-2000:])
