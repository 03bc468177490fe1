# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sizes and durations as a workload takes them. Pure, standard library only.

Sizes: a plain number of bytes; IEC suffixes (KiB, MiB, GiB, TiB) and the single
letters nccl-tests' -b/-e take (K, M, G, T) are powers of 1024; SI suffixes
(kB, KB, MB, GB, TB) are powers of 1000. Durations: a plain number is seconds;
ns, us, ms, s, m, h.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.aifabric.emulation.plugins.module_utils import errors

_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")
_SIZE_UNITS = {
    "": 1, "b": 1, "B": 1,
    "K": 1024, "KiB": 1024, "M": 1024 ** 2, "MiB": 1024 ** 2, "G": 1024 ** 3, "GiB": 1024 ** 3,
    "T": 1024 ** 4, "TiB": 1024 ** 4,
    "k": 1000, "kB": 1000, "KB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3, "TB": 1000 ** 4,
}
_TIME = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-z]*)\s*$")
_TIME_UNITS = {"": 1.0, "s": 1.0, "ns": 1e-9, "us": 1e-6, "ms": 1e-3, "m": 60.0, "min": 60.0, "h": 3600.0}


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_bytes(value, path):
    """value (int, or text like "4MiB") -> bytes (int); refuses booleans, negatives and fractions of a byte."""
    if _is_number(value):
        number, unit = value, ""
    elif isinstance(value, str):
        m = _SIZE.match(value)
        if not m or m.group(2) not in _SIZE_UNITS:
            raise errors.ValidationError(path, "%r is not a size (bytes, or e.g. 4MiB, 512K, 1GB)" % (value,))
        number, unit = float(m.group(1)), m.group(2)
    else:
        raise errors.ValidationError(path, "%r is not a size (bytes, or e.g. 4MiB, 512K, 1GB)" % (value,))
    total = number * _SIZE_UNITS[unit]
    if total < 0 or total != int(total):
        raise errors.ValidationError(path, "%r is not a whole number of bytes" % (value,))
    return int(total)


def parse_seconds(value, path):
    """value (a number of seconds, or text like "20ms") -> seconds (float, >= 0)."""
    if _is_number(value):
        seconds = float(value)
    elif isinstance(value, str):
        m = _TIME.match(value)
        if not m or m.group(2) not in _TIME_UNITS:
            raise errors.ValidationError(path, "%r is not a duration (seconds, or e.g. 20ms, 1.5s, 500us)" % (value,))
        seconds = float(m.group(1)) * _TIME_UNITS[m.group(2)]
    else:
        raise errors.ValidationError(path, "%r is not a duration (seconds, or e.g. 20ms, 1.5s, 500us)" % (value,))
    if seconds < 0:
        raise errors.ValidationError(path, "%r is negative" % (value,))
    return seconds
