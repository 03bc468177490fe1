# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Units: parse what users write into kernel units, and format them back.

Times become nanoseconds, percentages the kernel's u32 scale (~0 = 100%),
rates bytes per second, sizes bytes. Parsing follows iproute2's tc.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

U32_MAX = 0xFFFFFFFF
S64_MAX = (1 << 63) - 1


class UnitError(ValueError):
    """A value that cannot be parsed; the caller adds the parameter name."""


_NUMBER = r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*"
_TIME_UNITS = {
    "s": 10**9, "sec": 10**9, "secs": 10**9,
    "ms": 10**6, "msec": 10**6, "msecs": 10**6,
    "us": 10**3, "usec": 10**3, "usecs": 10**3,
    "ns": 1, "nsec": 1, "nsecs": 1,
}
_RATE_UNITS = {}
for _prefix, _si, _iec in (("", 1, 1), ("k", 10**3, 2**10), ("m", 10**6, 2**20),
                           ("g", 10**9, 2**30), ("t", 10**12, 2**40)):
    _RATE_UNITS[_prefix + "bit"] = _si / 8.0
    _RATE_UNITS[_prefix + "bps"] = _si
    if _prefix:
        _RATE_UNITS[_prefix + "ibit"] = _iec / 8.0
        _RATE_UNITS[_prefix + "ibps"] = _iec
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}


def _split(value, units, what, example):
    if isinstance(value, bool):
        raise UnitError("expected a %s such as %r, got a boolean" % (what, example))
    if isinstance(value, (int, float)):
        if value == 0:
            return 0.0, None
        raise UnitError("%r has no unit; write it with one, such as %r" % (value, example))
    m = re.match(_NUMBER + r"([A-Za-z]*)\s*$", str(value))
    if not m:
        if str(value).strip().startswith("-"):
            raise UnitError("%r is negative" % (value,))
        raise UnitError("cannot read %r as a %s such as %r" % (value, what, example))
    unit = m.group(2).lower()
    if not unit and float(m.group(1)) == 0:
        return 0.0, None
    if not unit and "" not in units:
        raise UnitError("%r has no unit; write it with one, such as %r" % (value, example))
    if unit not in units:
        raise UnitError("unknown unit %r in %r; use one of %s" % (m.group(2), value, ", ".join(sorted(k for k in units if k))))
    return float(m.group(1)), unit


def parse_time(value):
    """Nanoseconds from '10ms', '1.5s', '250us', '100ns' (or 0)."""
    number, unit = _split(value, _TIME_UNITS, "time", "10ms")
    ns = int(round(number * _TIME_UNITS[unit])) if unit else 0
    if ns > S64_MAX:
        raise UnitError("%r is too large" % (value,))
    return ns


def parse_percent(value):
    """Kernel u32 probability from '1%', '0.5%' or a plain number of percent."""
    if isinstance(value, bool):
        raise UnitError("expected a percentage such as '1%', got a boolean")
    text = str(value).strip()
    if text.endswith("%"):
        text = text[:-1]
    try:
        number = float(text)
    except ValueError:
        raise UnitError("cannot read %r as a percentage such as '1%%'" % (value,))
    if number < 0:
        raise UnitError("%r is below 0%%" % (value,))
    if number > 100:
        raise UnitError("%r is above 100%%" % (value,))
    return int(round(number / 100.0 * U32_MAX))


def parse_rate(value):
    """Bytes per second from '10gbit', '100mbit', '1500kbps' (tc units)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value != 0:
        raise UnitError("%r has no unit; write it with one, such as '10gbit'" % (value,))
    number, unit = _split(value, _RATE_UNITS, "rate", "10gbit")
    rate = int(round(number * _RATE_UNITS[unit])) if unit else 0
    if rate <= 0:
        raise UnitError("a rate of %r is not allowed; omit rate to leave bandwidth unlimited" % (value,))
    return rate


def parse_size(value):
    """Bytes from 1500, '64kb', '1mb' (tc's 1024-based sizes)."""
    if isinstance(value, bool):
        raise UnitError("expected a size such as '64kb', got a boolean")
    if isinstance(value, int):
        if value < 0:
            raise UnitError("%r is negative" % (value,))
        return value
    m = re.match(_NUMBER + r"([A-Za-z]*)\s*$", str(value))
    if not m or m.group(2).lower() not in _SIZE_UNITS:
        raise UnitError("cannot read %r as a size such as '64kb'" % (value,))
    return int(round(float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()]))


def format_time(ns):
    for unit, scale in (("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if ns and ns % scale == 0:
            return "%d%s" % (ns // scale, unit)
    if ns >= 10**3:
        return "%gus" % (ns / 1000.0)
    return "%dns" % ns


def format_percent(value):
    return "%g%%" % float("%.6g" % (value * 100.0 / U32_MAX))


def format_rate(bytes_per_s):
    bits = bytes_per_s * 8
    for unit, scale in (("tbit", 10**12), ("gbit", 10**9), ("mbit", 10**6), ("kbit", 10**3)):
        if bits >= scale and bits % scale == 0:
            return "%d%s" % (bits // scale, unit)
    return "%dbit" % bits
