# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which interfaces carry the connection Ansible came in on, so that no module cuts it by accident.

The policy (docs/guard.md explains it for users):

1. **Find the connection.** The module's own environment is searched for
   ``SSH_CONNECTION`` first, then its parent processes (``/proc/<pid>/status``
   PPid, ``/proc/<pid>/environ``): sudo's env_reset removes the variable from
   the module under ``become``, but sudo itself, and the shell sshd started,
   still have it. Of the processes that carry the same value, the one closest
   to sshd is taken, and its network namespace (``/proc/<pid>/ns/net``, device
   and inode) is the namespace the connection lives in.
   The action plugins add what the controller knows in ``AIFABRIC_CONNECTION``
   (JSON: ``connection``, ``host``, ``port``), on the module's command line, so
   it survives ``become``. It is used when no process above the module has
   ``SSH_CONNECTION`` (an async task, a connection other than SSH): a local-only
   connection (``local``, ``docker``, ``chroot``, ...) then means there is no
   network connection to protect; any other means a remote one, in the
   module's own namespace, with ``host`` as the address connected to.
2. **Only in that namespace.** A module working in another namespace
   (``netns``: ``/run/netns/<name>``, or a path) guards nothing; the namespace
   of the module's netlink socket is compared with the connection's, by inode.
3. **The interfaces carrying it** there: the interface holding the
   connection's local (server) address, the output interface of the route to
   the peer (client) address (``ip route get PEER from LOCAL``), and the
   devices under those: a VLAN's or macvlan's parent, a same-namespace veth
   peer, the ports of a bond or team.
4. **Fallback.** Only when a remote connection is known but the way back to
   its peer cannot be found (the peer address is unknown, or neither address
   leads to an interface here) are the interfaces with a default route treated
   as carrying it, as the route to an unknown destination.
   With connection ``local`` and no SSH ancestry nothing is management.

API (the engine calls this)::

    guard = Guard(session, netns=None, environ=None)
        # session: a NetlinkSession opened in the namespace the module works in;
        # netns: that namespace's name or path (None: the module's own namespace);
        # environ: the module's environment (default os.environ).
    guard.interfaces()
        # {ifindex: why}, e.g. {3: "holds 10.0.0.5, the address Ansible connected to
        # (ssh 10.0.0.9:53422 -> 10.0.0.5:22)"}; {} when the connection does not pass
        # through this namespace. Computed once, on first use.
    guard.check(targets, allow=False)
        # targets: iterable of (ifindex, field, action), e.g.
        # (3, "interface", "add a netem qdisc on its egress") or
        # (5, "config[0].addresses", "remove 10.0.0.5/24"). Raises
        # errors.ModuleError(field, "<ifname> carries the Ansible connection: it <why>;
        # set allow_management: true to <action> anyway") for the first target on such an
        # interface, unless allow is true. Reads nothing when targets is empty or allow is true.

``management_ifindexes(session)`` is the former API, kept as a wrapper for the
modules that still call it: the set of ``Guard(session).interfaces()``.

Target-side code: standard library only, Python 3.7 compatible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import json
import os
import socket

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import route, rtnl
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import netns_path

ENV_SSH = "SSH_CONNECTION"
ENV_CONTROLLER = "AIFABRIC_CONNECTION"
PROC = "/proc"
MAX_ANCESTORS = 128
SIOCGSKNS = 0x894C  # socket -> fd of its network namespace (Linux 4.9+)

# Connection plugins that do not reach the host over its network: the module
# then runs inside a container or chroot, or on the controller itself.
LOCAL_CONNECTIONS = frozenset([
    "local", "chroot", "docker", "podman", "buildah", "lxc", "lxd", "incus", "nspawn", "machinectl",
    "libvirt_lxc", "jail", "zone", "kubectl", "oc", "qubes", "funcd",
])

_MAPPED_V4_PREFIX = b"\0" * 10 + b"\xff\xff"


# ---------------------------------------------------------------- parsing --

def normalize_address(text):
    """(address, zone) in inet_ntop's spelling; IPv4-mapped IPv6 becomes IPv4. None if not an address."""
    if not text:
        return None
    address, _sep, zone = text.partition("%")
    try:
        family, raw = route.family_of(address)
    except ValueError:
        return None
    if family == socket.AF_INET6 and raw[:12] == _MAPPED_V4_PREFIX:
        return socket.inet_ntop(socket.AF_INET, raw[12:]), None
    return socket.inet_ntop(family, raw), (zone or None)


def parse_ssh_connection(value):
    """'CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT' -> dict, or None if it is not that."""
    parts = (value or "").split()
    if len(parts) != 4 or not (parts[1].isdigit() and parts[3].isdigit()):
        return None
    peer, local = normalize_address(parts[0]), normalize_address(parts[2])
    if peer is None or local is None:
        return None
    return {"peer": peer[0], "peer_port": int(parts[1]), "local": local[0], "local_port": int(parts[3]),
            "zone": local[1] or peer[1]}


def parse_controller(value):
    """The action plugin's AIFABRIC_CONNECTION JSON -> {connection, host, port, remote}, or None."""
    if not value:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("connection"), str) or not data["connection"]:
        return None
    name = data["connection"].rsplit(".", 1)[-1]
    host = data.get("host")
    port = data.get("port")
    return {"connection": name,
            "host": host if isinstance(host, str) and host else None,
            "port": port if isinstance(port, int) and not isinstance(port, bool) else None,
            "remote": name not in LOCAL_CONNECTIONS}


# ------------------------------------------------------------- processes --

def _ppid(proc_root, pid):
    try:
        with open(os.path.join(proc_root, str(pid), "status"), "rb") as f:
            for line in f:
                if line.startswith(b"PPid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _environ_value(proc_root, pid, name):
    """The value of one variable in /proc/<pid>/environ; None if unset or unreadable."""
    key = name.encode() + b"="
    try:
        with open(os.path.join(proc_root, str(pid), "environ"), "rb") as f:
            data = f.read()
    except OSError:
        return None
    for entry in data.split(b"\0"):
        if entry.startswith(key):
            return entry[len(key):].decode("utf-8", "replace")
    return None


def namespace_id(path):
    """(st_dev, st_ino) of a namespace file, or None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def find_ssh_ancestor(environ, pid=None, proc_root=PROC):
    """(pid, SSH_CONNECTION value) of the process the SSH connection belongs to, or None.

    Starts with our own environment (environ, for process pid), then walks up
    the parents until one has SSH_CONNECTION; from there it keeps walking while
    the parents have the same value, and returns the last of them: the process
    sshd started, whose namespace is the connection's even if a descendant
    moved to another one (``ip netns exec``).
    """
    pid = os.getpid() if pid is None else pid
    value = environ.get(ENV_SSH) or None
    found = pid if value else None
    seen = set([pid])
    current = pid
    for _step in range(MAX_ANCESTORS):
        parent = _ppid(proc_root, current)
        if not parent or parent in seen:
            break
        seen.add(parent)
        theirs = _environ_value(proc_root, parent, ENV_SSH) or None
        if found is None:
            if theirs:
                found, value = parent, theirs
        elif theirs == value:
            found = parent
        else:
            break
        current = parent
    return (found, value) if found is not None else None


class Connection:
    """What is known about the connection Ansible came in on."""

    def __init__(self, kind, netns, local=None, local_port=None, peer=None, peer_port=None, zone=None,
                 pid=None, traced=False):
        self.kind = kind
        self.netns = netns  # (dev, ino) of its network namespace, or None when unknown
        self.local, self.local_port, self.peer, self.peer_port = local, local_port, peer, peer_port
        self.zone = zone
        self.pid = pid  # the process whose SSH_CONNECTION was used
        self.traced = traced  # True: from SSH_CONNECTION; False: from the controller only

    def describe(self):
        if self.traced:
            return "%s %s -> %s" % (self.kind, _endpoint(self.peer, self.peer_port),
                                    _endpoint(self.local, self.local_port))
        if self.local:
            return "%s to %s, as the controller reports; no SSH_CONNECTION above the module" % (
                self.kind, _endpoint(self.local, self.local_port))
        return "%s, as the controller reports; no SSH_CONNECTION above the module" % self.kind


def _endpoint(address, port):
    if address is None:
        return "?"
    text = "[%s]" % address if ":" in address else address
    return text if port is None else "%s:%s" % (text, port)


def find_connection(environ=None, pid=None, proc_root=PROC):
    """The Connection the module runs under, or None when there is no network connection to protect."""
    environ = os.environ if environ is None else environ
    pid = os.getpid() if pid is None else pid
    ancestor = find_ssh_ancestor(environ, pid, proc_root)
    if ancestor is not None:
        parsed = parse_ssh_connection(ancestor[1])
        if parsed is not None:
            return Connection("ssh", namespace_id(os.path.join(proc_root, str(ancestor[0]), "ns", "net")),
                              parsed["local"], parsed["local_port"], parsed["peer"], parsed["peer_port"],
                              parsed["zone"], pid=ancestor[0], traced=True)
    controller = parse_controller(environ.get(ENV_CONTROLLER))
    if controller is None or not controller["remote"]:
        return None
    host = normalize_address(controller["host"])
    return Connection(controller["connection"], namespace_id(os.path.join(proc_root, str(pid), "ns", "net")),
                      host[0] if host else None, controller["port"], zone=host[1] if host else None)


def session_namespace(session, netns=None):
    """(dev, ino) of the namespace the session's socket lives in, or None when it cannot be told."""
    sock = getattr(session, "sock", None)
    if sock is not None:
        try:
            fd = fcntl.ioctl(sock.fileno(), SIOCGSKNS)
        except (OSError, ValueError):
            fd = -1
        if fd >= 0:
            try:
                st = os.fstat(fd)
                return st.st_dev, st.st_ino
            finally:
                os.close(fd)
    return namespace_id(netns_path(netns) if netns else os.path.join(PROC, "self", "ns", "net"))


# ------------------------------------------------------------------ guard --

class Guard:
    """The interfaces of one namespace that carry the Ansible connection (see the module docstring)."""

    proc_root = PROC

    def __init__(self, session, netns=None, environ=None):
        self.session = session
        self.netns = netns
        self.environ = os.environ if environ is None else environ
        self._found = None
        self._names = {}
        self._connection = None
        self._connection_known = False

    @property
    def connection(self):
        if not self._connection_known:
            self._connection = find_connection(self.environ, proc_root=self.proc_root)
            self._connection_known = True
        return self._connection

    def interfaces(self):
        if self._found is None:
            self._found = self._compute()
        return dict(self._found)

    def check(self, targets, allow=False):
        if allow:
            return
        targets = list(targets)
        if not targets:
            return
        found = self.interfaces()
        for ifindex, field, action in targets:
            why = found.get(ifindex)
            if why:
                name = self._names.get(ifindex) or "interface %s" % ifindex
                raise errors.ModuleError(field, "%s carries the Ansible connection: it %s; "
                                                "set allow_management: true to %s anyway" % (name, why, action))

    # -- what the kernel says (methods, so that tests can stand in for the kernel) --

    def target_namespace(self):
        return session_namespace(self.session, self.netns)

    def addresses(self):
        return rtnl.dump_addresses(self.session)

    def route(self, dst, src=None, oif=None):
        return route.route_get(self.session, dst, src, oif)

    def links(self):
        return route.dump_link_relations(self.session)

    def default_route_ifindexes(self):
        return rtnl.default_route_ifindexes(self.session)

    def ifindex(self, name):
        return self.session.ifindex(name)

    # -- the policy --

    def _compute(self):
        conn = self.connection
        if conn is None:
            return {}
        target = self.target_namespace()
        if conn.netns is not None and target is not None and conn.netns != target:
            return {}
        reasons = {}  # ifindex -> [phrase]

        def add(index, phrase):
            if index and phrase not in reasons.setdefault(index, []):
                reasons[index].append(phrase)

        local_found, zone_index = False, None
        if conn.local:
            for index, address in self.addresses():
                if address == conn.local:
                    add(index, "holds %s, the address Ansible connected to" % conn.local)
                    local_found = True
        if conn.zone:
            zone_index = int(conn.zone) if conn.zone.isdigit() else self.ifindex(conn.zone)
            add(zone_index, "is the link-local scope (%%%s) of the connection" % conn.zone)
        if conn.peer:
            found = self.route(conn.peer, conn.local, zone_index) if local_found else None
            if found is None:
                found = self.route(conn.peer, None, zone_index)
            if found is not None and found["oif"]:
                via = " via %s" % found["gateway"] if found["gateway"] else ""
                add(found["oif"], "is the route to %s%s, the other end of the connection" % (conn.peer, via))
        if not reasons or not conn.peer:
            for index in sorted(self.default_route_ifindexes()):
                add(index, "carries a default route, and the route back to the other end of the connection "
                           "is unknown")
        if reasons:
            self._add_lower_devices(reasons)
        suffix = " (%s)" % conn.describe()
        return dict((index, " and ".join(phrases) + suffix) for index, phrases in reasons.items())

    def _add_lower_devices(self, reasons):
        """Devices the carrying interfaces send through: parents, same-namespace veth peers, bond ports."""
        links = dict((l["index"], l) for l in self.links())
        self._names = dict((index, l["name"]) for index, l in links.items())
        todo = list(reasons)
        while todo:
            index = todo.pop()
            upper = links.get(index)
            if upper is None:
                continue
            below = []
            if upper["link"] and upper["netnsid"] is None and upper["link"] != index and upper["link"] in links:
                relation = "the veth peer" if upper["kind"] == "veth" else "the lower device"
                below.append((upper["link"], "is %s of %s, which carries the connection" % (relation, upper["name"])))
            if upper["kind"] in ("bond", "team"):
                below.extend((l["index"], "is a port of %s, which carries the connection" % upper["name"])
                             for l in links.values() if l["master"] == index)
            for lower, phrase in below:
                if lower not in reasons:
                    todo.append(lower)
                if phrase not in reasons.setdefault(lower, []):
                    reasons[lower].append(phrase)


def management_ifindexes(session):
    """Former API (until every module uses Guard): the interfaces Guard(session) reports."""
    return set(Guard(session).interfaces())
