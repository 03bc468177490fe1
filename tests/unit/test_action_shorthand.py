# -*- coding: utf-8 -*-
"""Controller side: netem shorthand expansion and what the action plugins hand the module."""
import copy
import json

import pytest
from ansible.plugins.action import ActionBase

from ansible_collections.aifabric.emulation.plugins.action import netem as netem_action
from ansible_collections.aifabric.emulation.plugins.action import roce as roce_action
from ansible_collections.aifabric.emulation.plugins.action import vlan as vlan_action
from ansible_collections.aifabric.emulation.plugins.plugin_utils import connection_action, netem_shorthand


# --------------------------------------------------------------- shorthand --

@pytest.mark.parametrize("section, value, expected", [
    ("delay", "5ms", {"time": "5ms"}),
    ("loss", "1%", {"percent": "1%"}),
    ("duplicate", "0.5%", {"percent": "0.5%"}),
    ("corrupt", "0.1%", {"percent": "0.1%"}),
    ("reorder", "25%", {"percent": "25%"}),
    ("rate", "10gbit", {"rate": "10gbit"}),
])
def test_each_section_has_its_shorthand(section, value, expected):
    args = {"interface": "eth0", "rules": [{section: value}]}
    assert netem_shorthand.expand(args) == {"interface": "eth0", "rules": [{section: expected}]}


def test_dicts_kv_strings_json_strings_and_other_types_pass_through():
    rules = [{"delay": {"time": "5ms", "jitter": "1ms"}},
             {"delay": "time=5ms jitter=1ms"},
             {"loss": '{"percent": "1%"}'},
             {"loss": " {\"percent\": \"1%\"}"},
             {"rate": 1000},
             {"duplicate": ["1%"]},
             {"corrupt": None},
             {"slot": "1ms"},  # no shorthand defined for slot
             "not a dict"]
    args = {"rules": rules}
    assert netem_shorthand.expand(args) == {"rules": copy.deepcopy(rules)}


def test_bulk_config_rules_and_the_top_level_rules_are_expanded_without_touching_the_input():
    args = {"rules": [{"name": "a", "delay": "1ms"}],
            "config": [{"interface": "eth0", "netns": "n1", "direction": "egress",
                        "rules": [{"name": "x", "delay": "5ms", "loss": "1%", "match": {"dscp": [26]}}]},
                       {"interface": "eth1", "rules": "junk"},
                       "junk",
                       {"interface": "eth2"}]}
    before = copy.deepcopy(args)
    out = netem_shorthand.expand(args)
    assert args == before
    assert out == {"rules": [{"name": "a", "delay": {"time": "1ms"}}],
                   "config": [{"interface": "eth0", "netns": "n1", "direction": "egress",
                               "rules": [{"name": "x", "delay": {"time": "5ms"}, "loss": {"percent": "1%"},
                                          "match": {"dscp": [26]}}]},
                              {"interface": "eth1", "rules": "junk"},
                              "junk",
                              {"interface": "eth2"}]}


@pytest.mark.parametrize("args", [{}, {"state": "gathered"}, {"rules": None}, {"config": "x"}, None])
def test_nothing_to_expand(args):
    assert netem_shorthand.expand(args) == args


# ----------------------------------------------------------- action plugin --

class FakeShell:
    tmpdir = "/remote/tmp"


class FakeConnection:
    has_native_async = False
    _shell = FakeShell()

    def __init__(self, name, options):
        self._load_name = name
        self.options = options

    def get_option(self, name):
        if name not in self.options:
            raise KeyError(name)
        return self.options[name]


class FakeTask:
    def __init__(self, args, environment):
        self.args = args
        self.environment = environment
        self.async_val = 0


class FakePlayContext:
    connection = "smart"
    remote_addr = "from-play-context"
    port = None


def make_action(cls, args, environment, connection):
    action = cls.__new__(cls)
    action._task = FakeTask(args, environment)
    action._connection = connection
    action._play_context = FakePlayContext()
    seen = {}

    def execute_module(module_args=None, task_vars=None, wrap_async=False):
        seen["args"] = module_args
        seen["environment"] = copy.deepcopy(action._task.environment)
        seen["wrap_async"] = wrap_async
        if seen.get("raise"):
            raise RuntimeError("boom")
        return {"changed": True, "msg": "module result"}

    action._execute_module = execute_module
    action._remove_tmp_path = lambda path: seen.setdefault("removed", path)
    return action, seen


@pytest.fixture(autouse=True)
def no_action_base_run(monkeypatch):
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})


def test_netem_action_expands_and_passes_the_connection_in_the_environment():
    user_env = [{"http_proxy": "p"}]
    conn = FakeConnection("ansible.builtin.ssh", {"host": "10.0.0.5", "port": 2222})
    action, seen = make_action(netem_action.ActionModule, {"interface": "eth0", "rules": [{"delay": "5ms"}]},
                               user_env, conn)
    result = action.run(task_vars={})
    assert result == {"changed": True, "msg": "module result"}
    assert seen["args"] == {"interface": "eth0", "rules": [{"delay": {"time": "5ms"}}]}
    assert seen["environment"][0] == {"http_proxy": "p"}
    assert json.loads(seen["environment"][-1]["AIFABRIC_CONNECTION"]) == {
        "connection": "ssh", "host": "10.0.0.5", "port": 2222}
    assert action._task.environment is user_env and user_env == [{"http_proxy": "p"}]
    assert action._task.args == {"interface": "eth0", "rules": [{"delay": "5ms"}]}
    assert seen["removed"] == "/remote/tmp"


@pytest.mark.parametrize("cls", [vlan_action.ActionModule, roce_action.ActionModule])
def test_other_modules_send_their_args_unchanged(cls):
    args = {"config": [{"parent": "eth0", "id": 10, "delay": "5ms"}]}
    action, seen = make_action(cls, args, None, FakeConnection("local", {}))
    action.run(task_vars={})
    assert seen["args"] == args
    assert json.loads(seen["environment"][-1]["AIFABRIC_CONNECTION"]) == {
        "connection": "local", "host": "from-play-context", "port": None}
    assert action._task.environment is None


def test_environment_is_restored_when_the_module_run_fails():
    env = {"A": "1"}
    action, seen = make_action(vlan_action.ActionModule, {}, env, FakeConnection("ssh", {"host": "h", "port": "22"}))
    seen["raise"] = True
    with pytest.raises(RuntimeError):
        action.run(task_vars={})
    assert action._task.environment is env
    assert seen["environment"][0] == {"A": "1"}
    assert json.loads(seen["environment"][1]["AIFABRIC_CONNECTION"])["port"] == 22


def test_connection_facts_fall_back_to_the_play_context():
    class Bare:
        transport = "paramiko"

        def get_option(self, name):
            raise KeyError(name)

    assert connection_action.connection_facts(Bare(), FakePlayContext()) == {
        "connection": "paramiko", "host": "from-play-context", "port": None}
