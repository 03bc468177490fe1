# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks every model shares: integers that are not booleans, dicts and lists, and device names.

Each check raises errors.ValidationError naming the field (`path`, built lazily
by the caller if it likes: it is turned into text only when an error is raised).
Pure and standard library only; nothing here touches the kernel.

Why booleans need their own check: Python's bool is an int, and Ansible's
argspec type=int passes True through unchanged, so `id: yes` in YAML reached
the kernel as VLAN id 1 (shown as True).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import check_ifname

IFNAMSIZ = 16  # linux/if.h, with the terminating NUL: names are at most 15 bytes
IB_DEVICE_NAME_MAX = 64  # rdma/ib_verbs.h, with the NUL: RDMA device names are at most 63 bytes
BOOLEAN_HINT = "YAML reads unquoted yes/no/on/off/true/false as booleans"

_IFNAME_PLAIN = re.compile(r"[A-Za-z0-9_.@+=-]{1,15}\Z")  # the common case, decided without encoding
_DECIMAL = re.compile(r"^\s*[-+]?[0-9]+\s*$")

ValidationError = errors.ValidationError


def describe(value):
    """A few words for what was given instead, for error messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "the boolean %s" % value
    if isinstance(value, str):
        return "the string %r" % (value,)
    if isinstance(value, (int, float)):
        return "the %s %r" % (type(value).__name__, value)
    if isinstance(value, dict):
        return "a dict"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "a %s" % type(value).__name__


# --------------------------------------------------------------- numbers --


def integer(value, path, low=None, high=None, text=False):
    """value as an int; booleans are refused, and so are floats and (unless text) strings.

    text: also take decimal strings such as "26" (dict keys arrive as strings).
    low/high: inclusive bounds, checked with a generic message when given.
    """
    if value.__class__ is int:  # the common case first (bool is not exactly int)
        number = value
    elif isinstance(value, bool):
        raise ValidationError(path, "expected an integer, got the boolean %s (%s)" % (value, BOOLEAN_HINT))
    elif isinstance(value, int):
        number = int(value)
    elif text and isinstance(value, str) and _DECIMAL.match(value):
        number = int(value)
    else:
        raise ValidationError(path, "expected an integer, got %s" % describe(value))
    if low is not None and number < low:
        raise ValidationError(path, "%d is outside %d-%d" % (number, low, high) if high is not None
                              else "%d is below %d" % (number, low))
    if high is not None and number > high:
        raise ValidationError(path, "%d is outside %d-%d" % (number, low, high) if low is not None
                              else "%d is above %d" % (number, high))
    return number


def optional_integer(value, path, low=None, high=None, text=False):
    """None stays None; anything else as integer()."""
    return None if value is None else integer(value, path, low, high, text)


# ------------------------------------------------------ dicts and lists --


def mapping(value, path, example):
    """value, which must be a dict; example shows the expected shape, such as '{enabled: [3]}'."""
    if not isinstance(value, dict):
        raise ValidationError(path, "expected a dict like %s, got %s" % (example, describe(value)))
    return value


def sequence(value, path, example=None):
    """value as a list (a tuple is taken too); a string, dict or number is refused."""
    if not isinstance(value, (list, tuple)):
        like = " like %s" % example if example else ""
        raise ValidationError(path, "expected a list%s, got %s" % (like, describe(value)))
    return value


def choice(value, path, choices):
    """value, which must be one of choices (None is left to the caller)."""
    if value not in choices:
        raise ValidationError(path, "%r is not one of %s" % (value, ", ".join(str(c) for c in choices)))
    return value


# ----------------------------------------------------------------- names --


def ifname_error(name):
    """Why `name` cannot be a Linux interface name, or None when it can (the netlink layer's one rule set)."""
    if not isinstance(name, str):
        return "expected an interface name, got %s" % describe(name)
    if _IFNAME_PLAIN.match(name):
        return None if name not in (".", "..") else "%r is not a valid interface name" % name
    return check_ifname(name)


def plain_ifname(name):
    """True for the common name that needs no closer look (ASCII letters, digits, ._@+=-, at most 15)."""
    return name.__class__ is str and _IFNAME_PLAIN.match(name) is not None and name not in (".", "..")


def ifname(name, path):
    """name, which must be a valid Linux interface name (see ifname_error)."""
    if plain_ifname(name):
        return name
    message = ifname_error(name)
    if message:
        raise ValidationError(path, message)
    return name


def rdma_name_error(name):
    """Why `name` cannot be an RDMA device name (rdma link add NAME), or None.

    The kernel takes up to IB_DEVICE_NAME_MAX - 1 (63) bytes and refuses '%'
    (a name template); '/' would become '!' in sysfs and configfs, and '.' or
    '..' would be a directory of its own there.
    """
    if not isinstance(name, str):
        return "expected an RDMA device name, got %s" % describe(name)
    if not name:
        return "an RDMA device name cannot be empty"
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:
        return "%r is not a valid RDMA device name: it cannot be encoded as UTF-8" % (name,)
    if len(raw) > IB_DEVICE_NAME_MAX - 1:
        return "%r is %d bytes; Linux allows %d in an RDMA device name" % (name, len(raw), IB_DEVICE_NAME_MAX - 1)
    if name in (".", ".."):
        return "%r is not a valid RDMA device name" % name
    for char, what in (("%", "'%'"), ("/", "'/'"), ("\0", "a NUL byte")):
        if char in name:
            return "%r is not a valid RDMA device name: it may not contain %s" % (name, what)
    return None


def rdma_name(name, path):
    """name, which must be a valid RDMA device name (see rdma_name_error)."""
    message = rdma_name_error(name)
    if message:
        raise ValidationError(path, message)
    return name


# ------------------------------------------------------- argspec shapes --


def option_shape_error(argument_spec, params, prefix=""):
    """(field, message) for the first option Ansible's argspec cannot even check, or None.

    ansible-core (2.19) crashes with "argument of type 'int' is not iterable"
    (a TypeError in set_fallbacks, before the module's code runs) when an
    option of type dict with suboptions is a number, boolean or list of them:
    `pfc: [3]`, or `rules: [{delay: 5}]` inside a list of dicts. Call this on
    the task's arguments before the module runs (in an action plugin) to fail
    naming the option instead. Strings are left to Ansible (it parses JSON and
    key=value text and reports the rest), and so are lists of dicts whose
    entries are not dicts (Ansible reports those itself).
    """
    if not isinstance(params, dict):
        return None
    for name, opt in argument_spec.items():
        sub = opt.get("options")
        if not sub:
            continue
        for key in [name] + list(opt.get("aliases") or []):
            value = params.get(key)
            if value is None or isinstance(value, str):
                continue
            field = prefix + key
            if opt.get("type") == "dict":
                if not isinstance(value, dict):
                    return field, "expected a dict (with %s), got %s" % (", ".join(sorted(sub)), describe(value))
                found = option_shape_error(sub, value, field + ".")
            elif opt.get("type") == "list" and opt.get("elements") == "dict" and isinstance(value, (list, tuple)):
                found = None
                for i, item in enumerate(value):
                    found = option_shape_error(sub, item, "%s[%d]." % (field, i))
                    if found:
                        break
            else:
                found = None
            if found:
                return found
    return None
