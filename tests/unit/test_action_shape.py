# -*- coding: utf-8 -*-
"""Arguments ansible-core's own validation cannot check fail in the action plugin, naming the option.

ansible-core crashes with a TypeError ("argument of type 'int' is not
iterable") when an option that takes a dict with suboptions gets a number or a
list: `pfc: [3]`, `rules: [{delay: 5}]`. The action plugins check the shape
first (validate.option_shape_error). The first half drives the action plugins
with a fake connection; the second runs ansible-playbook for real, with state
rendered (nothing touches the kernel), and reads the message each task gave.
"""
import json
import os
import subprocess

import pytest
from ansible.plugins.action import ActionBase

from ansible_collections.aifabric.emulation.plugins.action import netem as netem_action
from ansible_collections.aifabric.emulation.plugins.action import roce as roce_action
from ansible_collections.aifabric.emulation.plugins.action import vlan as vlan_action

from netlab import REPO

CASES = [
    (roce_action.ActionModule, {"netdev": "eth0", "pfc": [3], "state": "rendered"}, "pfc: expected a dict"),
    (roce_action.ActionModule, {"netdev": "eth0", "ets": [3], "state": "rendered"}, "ets: expected a dict"),
    (netem_action.ActionModule, {"interface": "eth0", "rules": [{"delay": 5}], "state": "rendered"},
     "rules[0].delay: expected a dict (with "),
    (netem_action.ActionModule, {"config": [{"interface": "eth0", "rules": [{"loss": [1]}]}], "state": "rendered"},
     "config[0].rules[0].loss: expected a dict (with "),
    (vlan_action.ActionModule, {"config": [{"parent": "eth0", "id": 10}], "state": "rendered"}, None),
]


class FakeConnection:
    has_native_async = False
    _load_name = "local"

    class _shell:  # pylint: disable=invalid-name
        tmpdir = "/remote/tmp"

    def get_option(self, name):
        raise KeyError(name)


class FakeTask:
    def __init__(self, args):
        self.args, self.environment, self.async_val = args, None, 0


def run_action(cls, args, monkeypatch):
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    action = cls.__new__(cls)
    action._task, action._connection = FakeTask(args), FakeConnection()
    action._play_context = type("PC", (), {"connection": "local", "remote_addr": None, "port": None})()
    ran = []
    action._execute_module = lambda module_args=None, task_vars=None, wrap_async=False: ran.append(module_args) or {}
    action._remove_tmp_path = lambda path: None
    return action.run(task_vars={}), ran


@pytest.mark.parametrize("cls, args, message", CASES,
                         ids=["roce-pfc", "roce-ets", "netem-rule", "netem-config", "vlan-fine"])
def test_bad_shape_fails_before_the_module_runs(cls, args, message, monkeypatch):
    result, ran = run_action(cls, args, monkeypatch)
    if message is None:
        assert ran and not result.get("failed")
        return
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith(message), result["msg"]
    assert not ran, "the module must not run"


PLAYBOOK = """---
- name: Bad shapes fail naming the option
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Roce pfc as a list
      aifabric.emulation.roce: {netdev: eth0, pfc: [3], state: rendered}
      register: roce_pfc
      ignore_errors: true
    - name: Roce ets as a list
      aifabric.emulation.roce: {netdev: eth0, ets: [3], state: rendered}
      register: roce_ets
      ignore_errors: true
    - name: Netem delay as a number
      aifabric.emulation.netem: {interface: eth0, rules: [{delay: 5}], state: rendered}
      register: netem_delay
      ignore_errors: true
    - name: Well-formed netem renders
      aifabric.emulation.netem: {interface: eth0, rules: [{delay: 5ms}], state: rendered}
      register: netem_fine
    - name: Write what each task said
      ansible.builtin.copy:
        dest: "{{ out }}"
        content: "{{ {'roce_pfc': roce_pfc.msg, 'roce_ets': roce_ets.msg, 'netem_delay': netem_delay.msg,
                     'netem_fine': netem_fine.rendered} | to_json }}"
        mode: "0644"
"""


def test_ansible_playbook_reports_the_field(tmp_path):
    (tmp_path / "shapes.yml").write_text(PLAYBOOK)
    out = tmp_path / "out.json"
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_HOME=str(tmp_path / "home"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "local"), ANSIBLE_REMOTE_TMP=str(tmp_path / "remote"))
    res = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-playbook"), str(tmp_path / "shapes.yml"),
                          "-e", json.dumps({"out": str(out)})],
                         cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    said = json.loads(out.read_text())
    assert said["roce_pfc"].startswith("pfc: expected a dict (with "), said
    assert said["roce_ets"].startswith("ets: expected a dict (with "), said
    assert said["netem_delay"].startswith("rules[0].delay: expected a dict (with "), said
    assert "TypeError" not in res.stdout and "not iterable" not in res.stdout
    assert any("netem" in line and "delay 5ms" in line for line in said["netem_fine"]), said["netem_fine"]
