# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to print rendered commands: POSIX shell words, quoted only when needed.

A bulk run renders thousands of lines, so the usual line (plain words only)
is recognised with one regex over the whole line, and the words of other
lines are quoted through a memo (most words repeat: verbs, parents, kinds).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_PLAIN = re.compile(r"[\w\-.:/%,=+@]+\Z")
_PLAIN_LINE = re.compile(r"[\w\-.:/%,=+@ ]*\Z")
_OPERATORS = frozenset(("&&", ">", "|"))
_MEMO = {}


def word(arg):
    quoted = _MEMO.get(arg)
    if quoted is None:
        quoted = arg if _PLAIN.match(arg) or arg in _OPERATORS else "'%s'" % arg.replace("'", "'\"'\"'")
        if len(_MEMO) < 65536:
            _MEMO[arg] = quoted
    return quoted


def join(argv):
    line = " ".join(argv)
    # plain characters only, no word holding a space, no empty word: nothing to quote
    if _PLAIN_LINE.match(line) and line.count(" ") == len(argv) - 1 and "" not in argv:
        return line
    memo = _MEMO.get
    return " ".join([memo(a) or word(a) for a in argv])
