"""Target-side code runs on the oldest target Python the collection declares.

meta/runtime.yml declares the minimum target (managed node) Python in a
`# target_python: ">=X.Y"` comment (ansible-test's runtime-metadata schema
allows no extra key) next to `requires_ansible`. Checked here:

- every ansible-core release the collection accepts refuses targets older
  than that minimum itself, so an old target gets ansible-core's clear error
  rather than an AttributeError from a module;
- vermin finds nothing in plugins/modules and plugins/module_utils that needs
  a newer Python; and, for what vermin cannot see (it does not know the type
  of `name` in `name.isascii()`), no call of a str/int method newer than it.
"""
import ast
import os
import re
import shutil
import subprocess
import sys

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUNTIME = os.path.join(REPO, "meta", "runtime.yml")
TARGET_DIRS = [os.path.join(REPO, "plugins", "modules"), os.path.join(REPO, "plugins", "module_utils")]

# Oldest target Python each ansible-core release accepts, from its changelog and
# porting guide: 2.17 removed Python 2.7 and 3.6 on targets, 2.18 removed 3.7.
TARGET_FLOOR = {
    (2, 15): (2, 7), (2, 16): (2, 7), (2, 17): (3, 7), (2, 18): (3, 8), (2, 19): (3, 8), (2, 20): (3, 8),
}

# Methods vermin misses when it cannot infer the receiver's type (Python docs: "Added in version ...").
NEWER_METHODS = {"isascii": (3, 7), "removeprefix": (3, 9), "removesuffix": (3, 9), "bit_count": (3, 10)}


def declared_target():
    with open(RUNTIME) as f:
        text = f.read()
    found = re.findall(r'^#\s*target_python:\s*">=\s*(\d+)\.(\d+)"\s*$', text, re.M)
    assert len(found) == 1, 'meta/runtime.yml must declare the target Python once: # target_python: ">=X.Y"'
    return tuple(int(v) for v in found[0])


def oldest_ansible_core():
    with open(RUNTIME) as f:
        spec = SpecifierSet(yaml.safe_load(f)["requires_ansible"])
    lows = [Version(s.version) for s in spec if s.operator in (">=", "~=", "==")]
    assert lows, "requires_ansible %s has no lower bound" % spec
    return max(lows).release[:2]


def python_files():
    for top in TARGET_DIRS:
        for root, _dirs, files in os.walk(top):
            for name in files:
                if name.endswith(".py"):
                    yield os.path.join(root, name)


def fmt(version):
    return ".".join(map(str, version))


def test_accepted_ansible_core_refuses_older_targets_itself():
    oldest = oldest_ansible_core()
    assert oldest in TARGET_FLOOR, "add ansible-core %s's oldest target Python to TARGET_FLOOR" % fmt(oldest)
    floor, target = TARGET_FLOOR[oldest], declared_target()
    assert floor >= target, (
        "requires_ansible admits ansible-core %s, which runs modules on Python %s, but the collection's target "
        "code needs Python %s: require the ansible-core release that drops Python < %s"
        % (fmt(oldest), fmt(floor), fmt(target), fmt(target)))


def test_floor_table_matches_the_installed_ansible_core():
    from ansible.module_utils import basic
    from ansible.release import __version__
    installed = Version(__version__).release[:2]
    assert installed in TARGET_FLOOR, "add ansible-core %s's oldest target Python to TARGET_FLOOR" % fmt(installed)
    assert TARGET_FLOOR[installed] == tuple(basic._PY_MIN), (__version__, basic._PY_MIN)


def vermin_version(text):
    """'3.7' -> (3, 7); '~3' (nothing version-specific) -> (3, 0); '!3' (not Python 3 at all) -> None."""
    if text.startswith("!"):
        return None
    if text.startswith("~"):
        return (3, 0)
    return tuple(int(v) for v in text.split("."))


def test_vermin_finds_nothing_newer_than_the_declared_target():
    target = declared_target()
    vermin = shutil.which("vermin", path=os.path.dirname(sys.executable))
    assert vermin, "vermin is missing from the venv (it is in requirements.txt): run make venv"
    res = subprocess.run([vermin, "--no-tips", "--eval-annotations", "--format", "parsable", "-vv"] + TARGET_DIRS,
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr
    rows = [line.rsplit(":", 5) for line in res.stdout.splitlines() if line.count(":") >= 5]
    scanned = {row[0] for row in rows if row[0]}
    missing = set(python_files()) - scanned
    assert not missing, "vermin did not analyse %s" % sorted(missing)
    too_new = ["%s:%s: %s needs Python %s" % (os.path.relpath(path, REPO), line, feature, py3)
               for path, line, _col, _py2, py3, feature in rows
               if path and feature and (vermin_version(py3) is None or vermin_version(py3) > target)]
    assert not too_new, "target Python is %s (meta/runtime.yml), but:\n%s" % (fmt(target), "\n".join(too_new))
    overall = [row for row in rows if not row[0]]
    assert len(overall) == 1 and vermin_version(overall[0][4]) is not None, res.stdout[-500:]
    assert vermin_version(overall[0][4]) <= target, overall


def test_no_method_newer_than_the_declared_target():
    target = declared_target()
    too_new = []
    for path in sorted(python_files()):
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        too_new += ["%s:%d: .%s() needs Python %s" % (os.path.relpath(path, REPO), node.lineno, node.func.attr,
                                                      fmt(NEWER_METHODS[node.func.attr]))
                    for node in ast.walk(tree)
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and NEWER_METHODS.get(node.func.attr, (0,)) > target]
    assert not too_new, "target Python is %s (meta/runtime.yml), but:\n%s" % (fmt(target), "\n".join(too_new))
