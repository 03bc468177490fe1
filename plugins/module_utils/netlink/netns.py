# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Named network namespaces made and removed in-process, the way `ip netns add/del` does it.

iproute2 (ip/ipnetns.c netns_add) makes /run/netns a shared mount point
(bind-mounting it on itself first if it is not one), creates an empty file
/run/netns/NAME, unshares the network namespace and bind-mounts
/proc/self/ns/net onto that file; `ip netns del` detaches the mount and
unlinks the file. Here the same steps run in one short-lived thread for a
whole batch of names: unshare(CLONE_NEWNET) moves only that thread, which
makes one namespace after another (each bind mount keeps its namespace alive)
and exits. No process is forked.

/proc/sys/net is resolved by the namespace of the thread that opens it, so
sysctls are written from inside (in the creating thread, or after setns).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import threading

from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import session as nlsession

NETNS_RUN_DIR = nlsession.NETNS_RUN_DIR
CLONE_NEWNET = 0x40000000
MS_BIND, MS_REC, MS_SHARED = 0x1000, 0x4000, 1 << 20
MNT_DETACH = 2

_LIBC = []


class NamespaceExists(OSError):
    """A file of that name is already in /run/netns."""


def _libc():
    if not _LIBC:
        import ctypes  # only when namespaces are made or removed: its import is slow under TCG
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
        libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
        libc.unshare.argtypes = [ctypes.c_int]
        _LIBC.append((libc, ctypes))
    return _LIBC[0]


def _call(what, fn, *args):
    libc, ctypes = _libc()
    if getattr(libc, fn)(*args) != 0:
        code = ctypes.get_errno()
        raise OSError(code, "%s: %s" % (what, os.strerror(code)))


def path_of(name):
    return nlsession.netns_path(name)


def exists(name):
    return os.path.exists(path_of(name))


def names(prefix=""):
    """Names in /run/netns starting with prefix, sorted."""
    try:
        found = os.listdir(NETNS_RUN_DIR)
    except OSError:
        return []
    return sorted(n for n in found if n.startswith(prefix))


def prepare_run_dir(run_dir=NETNS_RUN_DIR):
    """/run/netns exists and is a shared mount point, as iproute2 leaves it (one flock against racing ips)."""
    try:
        os.mkdir(run_dir, 0o755)
    except OSError as e:
        if e.errno != errno.EEXIST:
            raise
    lock = os.open(run_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        target = run_dir.encode()
        made = False
        while True:
            try:
                _call("mount --make-shared %s" % run_dir, "mount", b"", target, b"none", MS_SHARED | MS_REC, None)
                return
            except OSError as e:
                if e.errno != errno.EINVAL or made:
                    raise
            _call("mount --bind %s %s" % (run_dir, run_dir), "mount", target, target, b"none", MS_BIND | MS_REC,
                  None)
            made = True
    finally:
        os.close(lock)  # releases the flock


def _thread_ns_path():
    if os.path.exists("/proc/thread-self"):
        return "/proc/thread-self/ns/net"
    get_native_id = getattr(threading, "get_native_id", None)  # Python >= 3.8
    if get_native_id is not None:
        tid = get_native_id()
    else:
        libc, _ctypes = _libc()
        tid = libc.syscall(186) if os.uname()[4] == "x86_64" else libc.gettid()  # SYS_gettid
    return "/proc/self/task/%d/ns/net" % tid


def create(new_names, setup=None, created=None):
    """Create each named namespace; return {name: setup(name)}.

    setup(name) runs inside the new namespace before it is given its name
    (open a netlink socket there, write sysctls, mark lo), so a namespace is
    never visible half made. `created` (a list) receives each name as soon as
    it exists, so a caller can remove them should a later one fail; on any
    failure nothing of the failing name is left and the error is raised.
    """
    created = [] if created is None else created
    results, failure = {}, []
    if not new_names:
        return results
    prepare_run_dir()

    def work():
        try:
            proc_path = _thread_ns_path().encode()
            for name in new_names:
                results[name] = _create_one(name, setup, proc_path)
                created.append(name)
        except BaseException as e:  # handed to the caller's thread
            failure.append(e)

    worker = threading.Thread(target=work, name="aifabric-netns")
    worker.start()
    worker.join()
    if failure:
        for value in results.values():
            nlsession._close_all(value)
        raise failure[0]
    return results


def _create_one(name, setup, proc_path):
    path = path_of(name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0)
    except OSError as e:
        if e.errno == errno.EEXIST:
            raise NamespaceExists(e.errno, "network namespace %r already exists (%s)" % (name, path))
        raise
    os.close(fd)
    value = None
    try:
        _call("unshare(CLONE_NEWNET) for %s" % name, "unshare", CLONE_NEWNET)
        if setup is not None:
            value = setup(name)
        _call("mount --bind %s %s" % (proc_path.decode(), path), "mount", proc_path, path.encode(), b"none",
              MS_BIND, None)
    except BaseException:
        nlsession._close_all(value)
        try:
            os.unlink(path)
        except OSError:
            pass
        raise
    return value


def delete(old_names):
    """Remove each named namespace (umount2 MNT_DETACH + unlink); [(name, error text)] of the failures.

    The kernel frees a namespace, and the links in it, once its last user
    (mount, socket, process) is gone; sockets this process holds keep it alive.
    """
    failed = []
    for name in old_names:
        path = path_of(name)
        try:
            _call("umount %s" % path, "umount2", path.encode(), MNT_DETACH)
        except OSError as e:
            if e.errno not in (errno.EINVAL, errno.ENOENT):  # not a mount point (half made), or gone
                failed.append((name, str(e)))
                continue
        try:
            os.unlink(path)
        except OSError as e:
            if e.errno != errno.ENOENT:
                failed.append((name, "unlink %s: %s" % (path, os.strerror(e.errno))))
    return failed


def in_netns(name, fn):
    """fn() with the calling thread inside namespace `name` (None: where it is)."""
    return nlsession.in_netns(name, fn)


def sysctl_path(key):
    return "/proc/sys/" + key.replace(".", "/")


def read_sysctls(keys):
    """{key: value} of the calling thread's namespace (missing keys: None)."""
    out = {}
    for key in keys:
        try:
            with open(sysctl_path(key)) as f:
                out[key] = f.read().strip()
        except (IOError, OSError):
            out[key] = None
    return out


def write_sysctls(values):
    """Write {key: value} in the calling thread's namespace; raise OSError naming the first key refused."""
    for key in sorted(values):
        try:
            with open(sysctl_path(key), "w") as f:
                f.write(str(values[key]))
        except (IOError, OSError) as e:
            raise OSError(e.errno, "sysctl %s=%s: %s" % (key, values[key], os.strerror(e.errno or errno.EIO)))


def set_sysctls(name, values):
    """Write sysctls inside namespace `name`."""
    return in_netns(name, lambda: write_sysctls(values))
