# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: netns
short_description: Run tasks inside an emulated endpoint's network namespace, with sudo
version_added: 0.3.0
description:
  - Runs every task of a host inside a network namespace of the physical host Ansible connects to, so that an
    emulated server or switch of a fabric behaves like a host of its own. The C(aifabric.emulation.fabric)
    inventory selects this plugin for each of its hosts and sets O(netns).
  - The command becomes C(sudo -u root ip netns exec <netns> /bin/sh -c '...'), that is the C(ansible.builtin.sudo)
    become plugin with C(ip netns exec) between sudo and the task. Everything sudo does keeps working - a password
    (C(ansible_become_password)) or NOPASSWD, O(become_flags), O(sudo_chdir) - because this plugin is
    C(ansible.builtin.sudo) with one step added.
  - C(ip netns exec) changes the network namespace and mounts the namespace's own C(/sys) in a private mount
    namespace (so C(/sys/class/net) lists the endpoint's interfaces, as the roce module and fact gathering expect),
    and binds C(/etc/netns/<netns>/*) over C(/etc) if such files exist. The rest of the file system is the physical
    host's, so Ansible's temporary files stay reachable. It replaces itself with the task (no extra process).
  - With O(netns_sudo=false), when Ansible connects as root and sudo is not wanted or not installed, the command is
    C(ip netns exec <netns> /bin/sh -c '...') alone.
  - A namespace given as an absolute path instead of a name is entered with C(nsenter --net=<path>); then C(/sys)
    remains the physical host's.
author:
  - aifabric.emulation contributors (@aifabric)
notes:
  - ansible-core skips become entirely when O(become_user) equals the user Ansible connects as (see
    C(become_allow_same_user)); that would run the task outside the namespace. This plugin therefore reports
    V(root), its default, to ansible-core as "no particular user", so connecting as root still enters the namespace.
    Do not set O(become_user) to the (non-root) login user itself.
  - The task runs in the namespace whenever become applies; the fabric inventory sets C(ansible_become=true) as a
    host variable, which takes precedence over C(become) in plays and tasks.
  - Requires C(sudo) (unless O(netns_sudo=false)) and iproute2's C(ip) on the physical host, and root there
    (through sudo or the login user).
options:
  netns:
    description:
      - The network namespace to run the task in - a name under C(/run/netns) (as made by C(ip netns add) or the
        fabric stager), or an absolute path to a namespace file.
      - The fabric inventory sets C(aifabric_netns) for every host it yields.
    type: string
    required: true
    vars:
      - name: aifabric_netns
    env:
      - name: AIFABRIC_NETNS
  netns_sudo:
    description:
      - Whether to run C(sudo) first. Set to V(false) only where Ansible connects as root; the login user then enters
        the namespace itself and O(become_pass) is not used.
    type: boolean
    default: true
    vars:
      - name: aifabric_netns_sudo
    env:
      - name: AIFABRIC_NETNS_SUDO
    ini:
      - section: aifabric_netns_become_plugin
        key: sudo
  become_user:
    description:
      - User to run the task as, inside the namespace. Entering a namespace needs root, so sudo always runs C(ip) as
        root; for another user a second, non-interactive C(sudo -H -n -u <user>) follows inside the namespace.
    type: string
    default: root
    ini:
      - section: privilege_escalation
        key: become_user
      - section: sudo_become_plugin
        key: user
    vars:
      - name: ansible_become_user
      - name: ansible_sudo_user
    env:
      - name: ANSIBLE_BECOME_USER
      - name: ANSIBLE_SUDO_USER
    keyword:
      - name: become_user
  become_exe:
    description: Sudo executable.
    type: string
    default: sudo
    ini:
      - section: privilege_escalation
        key: become_exe
      - section: sudo_become_plugin
        key: executable
    vars:
      - name: ansible_become_exe
      - name: ansible_sudo_exe
    env:
      - name: ANSIBLE_BECOME_EXE
      - name: ANSIBLE_SUDO_EXE
    keyword:
      - name: become_exe
  become_flags:
    description: Options to pass to sudo, as for C(ansible.builtin.sudo) (C(-n) is dropped when a password is given).
    type: string
    default: -H -S -n
    ini:
      - section: privilege_escalation
        key: become_flags
      - section: sudo_become_plugin
        key: flags
    vars:
      - name: ansible_become_flags
      - name: ansible_sudo_flags
    env:
      - name: ANSIBLE_BECOME_FLAGS
      - name: ANSIBLE_SUDO_FLAGS
    keyword:
      - name: become_flags
  become_pass:
    description: Password to pass to sudo.
    type: string
    required: false
    vars:
      - name: ansible_become_password
      - name: ansible_become_pass
      - name: ansible_sudo_pass
    env:
      - name: ANSIBLE_BECOME_PASS
      - name: ANSIBLE_SUDO_PASS
    ini:
      - section: sudo_become_plugin
        key: password
  sudo_chdir:
    description: Directory to change to before invoking sudo.
    type: string
    required: false
    vars:
      - name: ansible_sudo_chdir
    env:
      - name: ANSIBLE_SUDO_CHDIR
    ini:
      - section: sudo_become_plugin
        key: chdir
seealso:
  - plugin: aifabric.emulation.fabric
    plugin_type: inventory
  - plugin: ansible.builtin.sudo
    plugin_type: become
"""

EXAMPLES = r"""
# Normally the aifabric.emulation.fabric inventory sets all of this. By hand, for one host:
# inventory: lab-ns1 ansible_host=10.0.0.5 ansible_user=ops ansible_become=true
#            ansible_become_method=aifabric.emulation.netns aifabric_netns=ns1
- name: Show the interfaces of namespace ns1 on the physical host
  hosts: lab-ns1
  tasks:
    - name: Inside ns1
      ansible.builtin.command: ip -j link show
      changed_when: false
"""

import gettext
import os
import re
import shlex

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.become import BecomeBase
from ansible.plugins.become.sudo import BecomeModule as SudoBecomeModule

ROOT = "root"
NETNS_DIR = "/run/netns"
_NAME = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.:@+-]*$")


def netns_command(netns):
    """The argv (list) that enters namespace `netns` (a name under /run/netns, or an absolute path)."""
    if not isinstance(netns, str) or not netns:
        raise AnsibleError("netns: no namespace to run in; set aifabric_netns (the aifabric.emulation.fabric "
                           "inventory sets it for every host)")
    if netns.startswith("/"):
        if "\0" in netns or "\n" in netns:
            raise AnsibleError("netns: %r is not a usable path" % netns)
        return ["nsenter", "--net=%s" % os.path.normpath(netns), "--"]
    if not _NAME.match(netns) or netns in (".", "..") or len(netns.encode("utf-8")) > 255:
        raise AnsibleError("netns: %r is not a namespace name (letters, digits and _.:@+-, as in /run/netns/NAME) "
                           "nor an absolute path" % netns)
    return ["ip", "netns", "exec", netns]


class BecomeModule(SudoBecomeModule):
    """ansible.builtin.sudo, then `ip netns exec NETNS` around the task."""

    name = "aifabric.emulation.netns"

    def get_option(self, option, hostvars=None, playcontext=None):
        value = super(BecomeModule, self).get_option(option, hostvars=hostvars, playcontext=playcontext)
        if option == "become_user" and value == ROOT:
            # ansible-core skips become when become_user equals the login user ("root sudo to root"), which would
            # run the task outside the namespace. Root is what this plugin runs ip as anyway: report no user.
            return None
        return value

    def _target_user(self):
        return BecomeBase.get_option(self, "become_user") or ROOT

    def _check_password_error(self, b_out, msg):
        """sudo's own messages, in sudo's translation domain (not this plugin's name)."""
        b_fail = to_bytes(gettext.dgettext("sudo", msg))
        return bool(b_fail) and b_fail in b_out

    def _sudo_flags(self):
        """become_flags as ansible.builtin.sudo uses them: without -n when a password will be typed."""
        flags = self.get_option("become_flags") or ""
        if not self.get_option("become_pass") or not flags:
            return flags
        kept = []
        for flag in shlex.split(flags):
            if flag in ("-n", "--non-interactive"):
                continue
            if not flag.startswith("--"):
                flag = re.sub(r"^(-\w*)n(\w*.*)", r"\1\2", flag)
            kept.append(flag)
        return " ".join(shlex.quote(f) for f in kept)

    def build_become_command(self, cmd, shell):
        BecomeBase.build_become_command(self, cmd, shell)  # a fresh id and success marker
        self.prompt = ""
        if not cmd:
            return cmd

        user = self._target_user()
        inner = self._build_success_command(cmd, shell)  # /bin/sh -c 'echo BECOME-SUCCESS-...; cmd'
        if user != ROOT:
            # Entering the namespace needs root; drop to the user inside it (root needs no password for that).
            inner = "%s -H -n -u %s %s" % (self.get_option("become_exe") or "sudo", shlex.quote(user), inner)
        entered = " ".join([" ".join(shlex.quote(a) for a in netns_command(self.get_option("netns"))), inner])

        if not self.get_option("netns_sudo"):
            if user != ROOT:
                raise AnsibleError("become_user: %s needs sudo inside the namespace; netns_sudo (aifabric_netns_sudo) "
                                   "is false" % user)
            return entered

        parts = [self.get_option("become_exe") or "sudo", self._sudo_flags()]
        if self.get_option("become_pass"):
            self.prompt = "[sudo via ansible, key=%s] password:" % self._id
            parts.append('-p "%s"' % self.prompt)
        parts += ["-u", ROOT, entered]
        becomecmd = " ".join(p for p in parts if p)

        chdir = self.get_option("sudo_chdir")
        if chdir:
            try:
                becomecmd = "%s %s %s %s" % (shell.CD, shlex.quote(chdir), shell._SHELL_AND, becomecmd)
            except AttributeError as ex:
                raise AnsibleError("The %r shell plugin does not support sudo chdir. It is missing the %r attribute."
                                   % (getattr(shell, "_load_name", shell), getattr(ex, "name", str(ex))))
        return becomecmd
