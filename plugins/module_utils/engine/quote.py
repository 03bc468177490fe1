# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to print rendered commands: POSIX shell words, quoted only when needed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_PLAIN = re.compile(r"[\w\-.:/%,=+@]+\Z")
_OPERATORS = frozenset(("&&", ">", "|"))


def word(arg):
    if _PLAIN.match(arg) or arg in _OPERATORS:
        return arg
    return "'%s'" % arg.replace("'", "'\"'\"'")


def join(argv):
    return " ".join(word(a) for a in argv)
