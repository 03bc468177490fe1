"""`make test-unit` needs no privileges: it never reaches apt-get or pip, and bootstrap installs packages only as root.

tools/bootstrap runs in a scratch copy of the checkout with stand-ins for
dpkg-query (every package missing), apt-get (records its calls) and id (root or
not), so nothing on this machine is installed or changed.
"""
import hashlib
import os
import shutil
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_make_test_unit_runs_neither_bootstrap_nor_apt_nor_pip():
    res = subprocess.run(["make", "--dry-run", "--always-make", "test-unit"], cwd=REPO,
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    recipe = res.stdout.splitlines()
    assert any("pytest" in line and "tests/unit" in line for line in recipe), recipe
    for word in ("tools/bootstrap", "apt-get", "pip install", "sudo"):
        assert not [line for line in recipe if word in line], (word, recipe)


@pytest.fixture
def checkout(tmp_path):
    """A scratch tree: tools/bootstrap, requirements.txt and a .venv whose stamp matches it."""
    tree = tmp_path / "tree"
    (tree / "tools").mkdir(parents=True)
    shutil.copy(os.path.join(REPO, "tools", "bootstrap"), tree / "tools" / "bootstrap")
    shutil.copy(os.path.join(REPO, "requirements.txt"), tree / "requirements.txt")
    (tree / ".venv" / "bin").mkdir(parents=True)
    (tree / ".venv" / "bin" / "python").write_text("#!/bin/sh\nexit 0\n")
    (tree / ".venv" / "bin" / "python").chmod(0o755)
    digest = hashlib.sha256((tree / "requirements.txt").read_bytes()).hexdigest()
    (tree / ".venv" / ".requirements.sha").write_text(digest + "\n")
    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "apt-calls"
    stand_ins = {
        "dpkg-query": "exit 1",  # nothing is installed
        "apt-get": 'echo "apt-get $*" >> %s' % calls,
        "id": 'if [ "$1" = -u ]; then echo "$FAKE_UID"; else exec /usr/bin/id "$@"; fi',
    }
    for name, body in stand_ins.items():
        (fake / name).write_text("#!/bin/sh\n%s\n" % body)
        (fake / name).chmod(0o755)

    def run(uid):
        env = dict(os.environ, PATH="%s:/usr/bin:/bin" % fake, FAKE_UID=str(uid))
        res = subprocess.run(["bash", str(tree / "tools" / "bootstrap")], env=env,
                             capture_output=True, text=True, check=False, timeout=120)
        return res, calls.read_text() if calls.exists() else ""
    return run


def test_bootstrap_as_non_root_never_calls_apt_and_says_what_is_missing(checkout):
    res, apt = checkout(uid=1000)
    assert apt == "", "bootstrap called apt-get as a non-root user:\n" + apt
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert "missing Debian packages: qemu-system-x86" in res.stderr and "not root" in res.stderr, res.stderr


def test_bootstrap_as_root_installs_the_missing_packages(checkout):
    res, apt = checkout(uid=0)
    assert res.returncode == 0, (res.stdout, res.stderr)
    assert "apt-get update" in apt and "install" in apt and "qemu-system-x86" in apt, apt
