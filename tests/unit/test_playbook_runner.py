"""tests/netlab.run_playbook fails when ansible prints a deprecation warning, and only then.

A throwaway module next to a throwaway playbook (both in tmp_path) reports a
warning either the deprecated way (`exit_json(warnings=...)`, which is what made
every netem run print "[DEPRECATION WARNING]") or through `module.warn`.
"""
import pytest

from netlab import run_playbook

MODULE = '''#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"style": {"type": "str", "required": True}})
    if module.params["style"] == "deprecated":
        module.exit_json(changed=False, warnings=["reported the deprecated way"])
    module.warn("reported through module.warn")
    module.exit_json(changed=False)


main()
'''

PLAYBOOK = '''---
- name: A module that warns
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Warn
      warns:
        style: "{{ style }}"
'''


@pytest.fixture
def playbook(tmp_path, monkeypatch):
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "warns.py").write_text(MODULE)
    (tmp_path / "warns.yml").write_text(PLAYBOOK)
    # runnable without root or a writable HOME (make test-unit as an unprivileged user)
    monkeypatch.setenv("ANSIBLE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ANSIBLE_LOCAL_TEMP", str(tmp_path / "local"))
    monkeypatch.delenv("ANSIBLE_DEPRECATION_WARNINGS", raising=False)

    def run(style, **env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return run_playbook(str(tmp_path / "warns.yml"), style=style, ansible_remote_tmp=str(tmp_path / "remote"))
    return run


def test_deprecation_warning_fails_the_run_and_is_shown(playbook):
    with pytest.raises(AssertionError) as err:
        playbook("deprecated")
    msg = str(err.value)
    assert "[DEPRECATION WARNING]" in msg and "Passing `warnings` to `exit_json`" in msg, msg


def test_deprecation_warnings_cannot_be_switched_off_by_the_environment(playbook):
    with pytest.raises(AssertionError) as err:
        playbook("deprecated", ANSIBLE_DEPRECATION_WARNINGS="false")
    assert "[DEPRECATION WARNING]" in str(err.value)


def test_plain_warning_passes(playbook):
    assert "failed=0" in playbook("module.warn")  # a warning that is not a deprecation does not fail the run
