# -*- coding: utf-8 -*-
"""roce knobs.ensure_configfs on a fake root (cases/configfs.yml), and the mount op's failure."""
import os

import pytest

from casetable import load_cases
from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import knobs


def _fake_root(tmp_path, case):
    root = str(tmp_path)
    configfs = os.path.join(root, "sys/kernel/config")
    os.makedirs(os.path.join(root, "proc"))
    for rel in case.get("tree") or []:
        os.makedirs(os.path.join(root, rel))
    if case.get("mounted") is not None:
        lines = ["sysfs /sys sysfs rw 0 0"]
        lines += [line.replace("$CONFIGFS", configfs) for line in case.get("other_mounts", [])]
        if case["mounted"]:
            lines.append("none %s configfs rw,relatime 0 0" % configfs)
        with open(os.path.join(root, "proc/mounts"), "w") as f:
            f.write("\n".join(lines) + "\n")
    if case.get("filesystems") is not None:
        with open(os.path.join(root, "proc/filesystems"), "w") as f:
            f.write("".join("nodev\t%s\n" % fs for fs in case["filesystems"]))
    return root, configfs


class FakeRunner:
    def __init__(self, root, configfs, table):
        self.root, self.configfs, self.ran = root, configfs, []
        self.table = dict((line.replace("$CONFIGFS", configfs), result) for line, result in table.items())

    def __call__(self, argv):
        line = " ".join(argv)
        self.ran.append(line)
        if line not in self.table:
            raise AssertionError("unexpected command %r" % line)
        result = self.table[line]
        for rel in result.get("creates", []):
            os.makedirs(os.path.join(self.root, rel), exist_ok=True)
        return result["status"], result.get("text", "").replace("$CONFIGFS", self.configfs)


@pytest.mark.parametrize("case", load_cases("configfs", "cases"))
def test_ensure_configfs(case, tmp_path):
    root, configfs = _fake_root(tmp_path, case)
    run = FakeRunner(root, configfs, case["run"])
    dry_run = case.get("dry_run", False)
    if "error" in case:
        with pytest.raises(errors.ModuleError) as err:
            knobs.ensure_configfs(root, dry_run=dry_run, run=run)
        assert err.value.param == "rdma_cm"
        assert case["error"].replace("$CONFIGFS", configfs) in err.value.message
        assert str(err.value).startswith("rdma_cm: ")
    else:
        got = knobs.ensure_configfs(root, dry_run=dry_run, run=run)
        assert got == [line.replace("$CONFIGFS", configfs) for line in case["commands"]]
    assert run.ran == [line.replace("$CONFIGFS", configfs) for line in case["ran"]]


def test_test_root_without_runner_runs_nothing(tmp_path, monkeypatch):
    """Under a fake root the host's commands are never run by default (mount would mount for real)."""
    def forbidden(argv):
        raise AssertionError("ran %r" % (argv,))
    monkeypatch.setattr(knobs, "run_command", forbidden)
    root, configfs = _fake_root(tmp_path, {"tree": ["sys/kernel/config"], "mounted": False,
                                           "filesystems": ["configfs"]})
    with pytest.raises(errors.ModuleError) as err:
        knobs.ensure_configfs(root)
    assert err.value.param == "rdma_cm"
    assert "could not be mounted (exit status 1: not run: the root is a test tree, not the host's)" in err.value.message


def test_mount_op_failure_is_an_oserror_with_the_reason(monkeypatch):
    """A failed mount op raises OSError (the appliers roll back on it), not CalledProcessError."""
    calls = []

    def fake(argv):
        calls.append(argv)
        return 32, "mount: /sys/kernel/config: permission denied."
    monkeypatch.setattr(knobs, "run_command", fake)
    with pytest.raises(OSError) as err:
        knobs.apply({"op": "mount", "path": "/sys/kernel/config"})
    assert calls == [["mount", "-t", "configfs", "none", "/sys/kernel/config"]]
    assert str(err.value) == ("configfs could not be mounted at /sys/kernel/config "
                              "(exit status 32: mount: /sys/kernel/config: permission denied.)")


def test_run_command_reports_a_missing_program():
    status, text = knobs.run_command(["/nonexistent/aifabric-no-such-program"])
    assert status == 127 and "No such file or directory" in text


def test_run_command_reports_status_and_stderr():
    status, text = knobs.run_command(["sh", "-c", "echo out; echo oops >&2; exit 3"])
    assert (status, text) == (3, "oops")
