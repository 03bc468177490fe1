# -*- coding: utf-8 -*-
"""The fabric inventory through ansible-core's own InventoryManager, and the netns become plugin's command.

The inventory files are parsed the way ansible-playbook parses them: DataLoader,
InventoryManager, the `auto` plugin picking aifabric.emulation.fabric by its
`plugin:` key, VariableManager for the host variables. The specs are compiled by
the collection's own compiler (plugins/module_utils/fabric/compile.py); the
expected interfaces are what it gives for the same spec.
"""
import importlib
import json
import os
import shlex
import sys

import pytest
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import become_loader, get_shell_plugin, init_plugin_loader, inventory_loader
from ansible.vars.manager import VariableManager

from conftest import COLLECTIONS

init_plugin_loader([COLLECTIONS])
# Other test modules may have imported the collection already, as a plain namespace package (sys.path). Let
# ansible-core's collection finder load its packages again (same module objects, submodules kept) so that they
# carry the collection metadata its plugin loader needs.
for _name in ("ansible_collections", "ansible_collections.aifabric", "ansible_collections.aifabric.emulation"):
    if _name in sys.modules and not hasattr(sys.modules[_name], "_collection_meta"):
        importlib.reload(sys.modules[_name])

# pylint: disable=wrong-import-position
from ansible_collections.aifabric.emulation.plugins.inventory import fabric as fabric_inventory  # noqa: E402
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric.compile import compile_plan  # noqa: E402

SPEC = {"name": "f1", "kind": "rail_optimized", "servers": 2, "rails": 2, "spines": 1}
TOPOLOGY = "name: f1\nkind: rail_optimized\nservers: 2\nrails: 2\nspines: 1\n"
INVENTORY = "plugin: aifabric.emulation.fabric\ntopology: topo.yml\n"
TWO_HOSTS = TOPOLOGY.replace("f1", "f2") + "\n".join([
    "placement:",
    "  hosts:",
    "    - {name: gpu-a, underlay: 192.0.2.1, servers: '0'}",
    "    - {name: gpu-b, underlay: 192.0.2.2, servers: '1'}",
    ""])


@pytest.fixture
def compiler(monkeypatch):
    """The real compile_plan, recording what it is given."""
    calls = []

    def spy(spec, hosts=None):
        calls.append({"spec": spec, "hosts": hosts})
        return compile_plan(spec, hosts=hosts)
    monkeypatch.setattr(fabric_inventory, "compile_plan", spy)
    return calls


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def load(path):
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[path])
    return inventory, VariableManager(loader=loader, inventory=inventory)


def load_topology(tmp_path, topology=TOPOLOGY, inventory=INVENTORY):
    write(tmp_path, "topo.yml", topology)
    return load(write(tmp_path, "lab.fabric.yml", inventory))


def parse_directly(path):
    """Run the plugin itself (InventoryManager turns a parse error into a warning); return what it raised."""
    plugin = inventory_loader.get("aifabric.emulation.fabric")
    with pytest.raises(AnsibleParserError) as info:
        plugin.parse(InventoryData(), DataLoader(), path)
    return str(info.value)


def members(inventory, group):
    return [h.name for h in inventory.groups[group].get_hosts()]


# ------------------------------------------------------------------- hosts, groups --

def test_one_host_per_node_named_like_the_namespace(tmp_path):
    inventory, _vm = load_topology(tmp_path)
    assert [h.name for h in inventory.get_hosts()] == [
        "f1-server0", "f1-server1", "f1-rail0", "f1-rail1", "f1-spine0", "f1-mgmt"]
    assert members(inventory, "fabric_servers") == ["f1-server0", "f1-server1"]
    assert members(inventory, "rail_0") == ["f1-server0", "f1-server1", "f1-rail0"]
    assert members(inventory, "rail_1") == ["f1-server0", "f1-server1", "f1-rail1"]
    assert members(inventory, "leaves") == ["f1-rail0", "f1-rail1"]
    assert members(inventory, "spines") == ["f1-spine0"]
    assert members(inventory, "fabric_switches") == ["f1-rail0", "f1-rail1", "f1-spine0"]
    assert members(inventory, "fabric_management") == ["f1-mgmt"]
    assert members(inventory, "fabric_f1") == [h.name for h in inventory.get_hosts()]
    assert members(inventory, "fabric_host_localhost") == members(inventory, "fabric_f1")
    assert [h.name for h in inventory.get_hosts("fabric_servers")] == ["f1-server0", "f1-server1"]


def test_the_topology_file_is_read_relative_to_the_inventory_and_handed_over_as_plain_data(tmp_path, compiler):
    (tmp_path / "topologies").mkdir()
    write(tmp_path, "topologies/topo.yml", TOPOLOGY + "links: {server_leaf: {rate: 100mbit, delay: 5us}}\n")
    inventory, _vm = load(write(tmp_path, "lab.fabric.yml",
                                "plugin: aifabric.emulation.fabric\ntopology: topologies/topo.yml\n"))
    (call,) = compiler
    assert call["spec"] == dict(SPEC, links={"server_leaf": {"rate": "100mbit", "delay": "5us"}})
    assert call["hosts"] is None  # no physical_hosts: placement is not checked against them

    def types(value):
        if isinstance(value, dict):
            return set([type(k) for k in value]) | set().union(*[types(v) for v in value.values()])
        return set([type(value)])
    assert types(call["spec"]) <= set([str, int, dict])  # no ansible-tagged subclasses reach the compiler
    assert len(inventory.get_hosts("fabric_servers")) == 2


def test_inline_spec(tmp_path):
    inventory, _vm = load(write(tmp_path, "inline.fabric.yaml", "plugin: aifabric.emulation.fabric\n"
                                "fabric: {name: ls, kind: leaf_spine, leaves: 2, servers_per_leaf: 2, spines: 1}\n"))
    assert members(inventory, "fabric_servers") == ["ls-server0", "ls-server1", "ls-server2", "ls-server3"]
    assert members(inventory, "leaves") == ["ls-leaf0", "ls-leaf1"]


def test_server_variables(tmp_path):
    inventory, vm = load_topology(tmp_path)
    hv = vm.get_vars(host=inventory.get_host("f1-server1"))
    node = compile_plan(SPEC)["nodes"]["server1"]
    assert hv["aifabric_fabric"] == "f1" and hv["aifabric_node"] == "server1" and hv["aifabric_role"] == "server"
    assert hv["aifabric_index"] == 1
    assert hv["aifabric_netns"] == "f1-server1" and hv["aifabric_physical_host"] == "localhost"
    assert hv["aifabric_interfaces"] == node["interfaces"]
    assert sorted(hv["aifabric_interfaces"]) == ["mgmt0", "rail0", "rail1"]
    assert hv["aifabric_interfaces"]["rail1"]["peer_node"] == "rail1"
    assert hv["aifabric_interfaces"]["rail1"]["address"] == node["interfaces"]["rail1"]["address"]
    assert hv["aifabric_rails"] == hv["aifabric_rail_devices"] == ["rail0", "rail1"]
    assert hv["aifabric_management_address"] == "172.31.0.11"
    assert hv["aifabric_management_interface"] == "mgmt0"
    assert hv["ansible_become"] is True and hv["ansible_become_method"] == "aifabric.emulation.netns"
    assert hv["ansible_connection"] == "local"
    assert hv["ansible_python_interpreter"] == "{{ ansible_playbook_python }}"  # as Ansible's implicit localhost
    assert "ansible_host" not in hv


def test_switch_and_management_variables(tmp_path):
    inventory, vm = load_topology(tmp_path)
    leaf = vm.get_vars(host=inventory.get_host("f1-rail0"))
    assert leaf["aifabric_role"] == "leaf" and leaf["aifabric_rails"] == [] and leaf["aifabric_rail_devices"] == []
    assert leaf["aifabric_management_address"] is None and leaf["aifabric_management_interface"] is None
    assert sorted(leaf["aifabric_interfaces"]) == ["server0", "server1", "spine0"]
    assert leaf["aifabric_interfaces"]["server1"]["peer_ifname"] == "rail0"
    spine = vm.get_vars(host=inventory.get_host("f1-spine0"))
    assert spine["aifabric_role"] == "spine" and spine["aifabric_netns"] == "f1-spine0"
    mgmt = vm.get_vars(host=inventory.get_host("f1-mgmt"))
    assert mgmt["aifabric_role"] == "management" and mgmt["aifabric_management_interface"] is None
    assert mgmt["ansible_become_method"] == "aifabric.emulation.netns"


def test_a_vlan_per_rail_gives_the_vlan_devices(tmp_path):
    inventory, vm = load_topology(tmp_path, TOPOLOGY + "vlan: {base_id: 100}\n")
    hv = vm.get_vars(host=inventory.get_host("f1-server0"))
    assert hv["aifabric_rails"] == ["rail0", "rail1"]
    assert hv["aifabric_rail_devices"] == ["rail0.100", "rail1.101"]
    assert hv["aifabric_interfaces"]["rail1"]["vlan_id"] == 101


def test_rails_are_in_rail_order_not_name_order():
    node = {"role": "server", "interfaces": {
        "rail10": {"rail": 10}, "rail2": {"rail": 2}, "rail0": {"rail": 0}, "mgmt0": {"management": True}}}
    assert fabric_inventory.rails_of(node) == ["rail0", "rail2", "rail10"]
    assert fabric_inventory.rails_of({"role": "server", "interfaces": {"fab0": {"rail": None}}}) == ["fab0"]


def test_leaf_spine_servers_have_one_fabric_nic(tmp_path):
    inventory, vm = load(write(tmp_path, "ls.fabric.yml", "plugin: aifabric.emulation.fabric\n"
                               "fabric: {name: ls, kind: leaf_spine, leaves: 1, servers_per_leaf: 2, spines: 1}\n"))
    assert vm.get_vars(host=inventory.get_host("ls-server1"))["aifabric_rails"] == ["fab0"]


def test_physical_hosts_give_connection_variables_and_groups(tmp_path, compiler):
    inventory, vm = load_topology(tmp_path, TWO_HOSTS, INVENTORY + "\n".join([
        "physical_hosts:",
        "  gpu-a: {ansible_host: 192.0.2.10, ansible_user: ops, ansible_port: 2222,"
        " ansible_ssh_private_key_file: /keys/ops, ansible_become_password: s3cret, aifabric_netns_sudo: true}",
        "  gpu-b: {ansible_user: ops2}",
        ""]))
    assert compiler[0]["hosts"] == ["gpu-a", "gpu-b", "localhost"]  # placement may use only these
    assert members(inventory, "fabric_host_gpu_a") == ["f2-server0", "f2-rail0", "f2-rail1", "f2-spine0", "f2-mgmt"]
    assert members(inventory, "fabric_host_gpu_b") == ["f2-server1", "f2-mgmt1"]
    a = vm.get_vars(host=inventory.get_host("f2-server0"))
    assert (a["ansible_host"], a["ansible_user"], a["ansible_port"]) == ("192.0.2.10", "ops", 2222)
    assert a["ansible_ssh_private_key_file"] == "/keys/ops" and a["ansible_become_password"] == "s3cret"
    assert a["aifabric_physical_host"] == "gpu-a" and a["ansible_become_method"] == "aifabric.emulation.netns"
    b = vm.get_vars(host=inventory.get_host("f2-server1"))
    assert (b["ansible_host"], b["ansible_user"]) == ("gpu-b", "ops2")  # reached by its name unless told otherwise
    assert "ansible_connection" not in b and b["aifabric_physical_host"] == "gpu-b"


def test_without_physical_hosts_every_host_is_reached_by_its_name(tmp_path):
    inventory, vm = load_topology(tmp_path, TWO_HOSTS)
    assert vm.get_vars(host=inventory.get_host("f2-spine0"))["ansible_host"] == "gpu-a"
    assert vm.get_vars(host=inventory.get_host("f2-mgmt1"))["ansible_host"] == "gpu-b"


def test_a_physical_host_entry_overrides_the_defaults_it_names(tmp_path):
    inventory, vm = load_topology(tmp_path, TOPOLOGY,
                                  INVENTORY + "physical_hosts: {localhost: {aifabric_netns_sudo: false}}\n")
    hv = vm.get_vars(host=inventory.get_host("f1-server0"))
    assert hv["aifabric_netns_sudo"] is False and hv["ansible_connection"] == "local"


def test_constructed_options(tmp_path):
    inventory, vm = load_topology(tmp_path, TOPOLOGY, INVENTORY + "\n".join([
        "compose:",
        "  first_rail: aifabric_rails[0] if aifabric_rails else none",
        "keyed_groups:",
        "  - key: aifabric_role",
        "    prefix: role",
        "groups:",
        "  first_server: aifabric_node == 'server0'",
        ""]))
    assert members(inventory, "role_server") == ["f1-server0", "f1-server1"]
    assert members(inventory, "role_leaf") == ["f1-rail0", "f1-rail1"]
    assert members(inventory, "role_management") == ["f1-mgmt"]
    assert members(inventory, "first_server") == ["f1-server0"]
    assert vm.get_vars(host=inventory.get_host("f1-server1"))["first_rail"] == "rail0"


def test_the_example_inventory():
    inventory, vm = load(os.path.join(COLLECTIONS, "ansible_collections", "aifabric", "emulation", "inventories",
                                      "fabric.example.fabric.yml"))
    assert members(inventory, "fabric_servers") == ["demo-server0", "demo-server1", "demo-server2", "demo-server3"]
    assert members(inventory, "role_spine") == ["demo-spine0", "demo-spine1"]
    hv = vm.get_vars(host=inventory.get_host("demo-server3"))
    assert hv["ansible_connection"] == "local" and hv["aifabric_rails"] == ["rail0", "rail1"]


@pytest.mark.parametrize("name, ok", [("lab.fabric.yml", True), ("lab.fabric.yaml", True), ("fabric.yml", True),
                                      ("lab.yml", False), ("lab.fabric.json", False), ("labfabric.yml", False)])
def test_verify_file(tmp_path, name, ok):
    plugin = inventory_loader.get("aifabric.emulation.fabric")
    assert bool(plugin.verify_file(write(tmp_path, name, "plugin: aifabric.emulation.fabric\n"))) is ok
    assert not plugin.verify_file(str(tmp_path / "missing.fabric.yml"))


# -------------------------------------------------------------------------- errors --

def test_a_spec_error_names_the_field(tmp_path):
    write(tmp_path, "topo.yml", TOPOLOGY + "links: {server_leaf: {rate: fast}}\n")
    path = write(tmp_path, "lab.fabric.yml", INVENTORY)
    assert parse_directly(path) == "%s: topology %s: links.server_leaf.rate: cannot read 'fast' as a rate such as " \
                                   "'10gbit'" % (path, tmp_path / "topo.yml")


def test_an_inline_spec_error_names_the_field_under_fabric(tmp_path):
    path = write(tmp_path, "lab.fabric.yml", "plugin: aifabric.emulation.fabric\n"
                 "fabric: {name: f1, kind: rail_optimized, servers: 0, rails: 1, spines: 1}\n")
    assert parse_directly(path) == "%s: fabric.servers: 0 is outside 1-65535" % path


def test_a_misspelt_placement_host_is_refused_once_physical_hosts_are_given(tmp_path):
    write(tmp_path, "topo.yml", TWO_HOSTS)
    msg = parse_directly(write(tmp_path, "lab.fabric.yml", INVENTORY + "physical_hosts: {gpu-a: {}}\n"))
    assert msg.endswith("topology %s: placement.hosts[1].name: gpu-b is not an inventory host (known: gpu-a, "
                        "localhost)" % (tmp_path / "topo.yml")), msg


def test_a_spec_error_reaches_the_user_through_the_inventory_manager(tmp_path, capsys):
    inventory, _vm = load_topology(tmp_path, TOPOLOGY.replace("rails: 2", "rails: -1"))
    assert not inventory.get_hosts("fabric_servers")
    out = capsys.readouterr()
    assert "rails: -1 is outside 1-" in out.out + out.err


@pytest.mark.parametrize("body, message", [
    ("plugin: aifabric.emulation.fabric\n", "exactly one of topology (a file) and fabric (an inline spec) is required"),
    ("plugin: aifabric.emulation.fabric\ntopology: topo.yml\nfabric: {name: f1}\n",
     "exactly one of topology (a file) and fabric (an inline spec) is required"),
    ("plugin: aifabric.emulation.fabric\ntopology: missing.yml\n", "topology: no such file "),
    ("plugin: aifabric.emulation.fabric\ntopology: list.yml\n", "does not hold a mapping"),
    (INVENTORY + "physical_hosts: {gpu-z: {ansible_host: x}}\n",
     "physical_hosts.gpu-z: not a host of fabric f1 (its hosts: localhost)"),
    (INVENTORY + "physical_hosts: {localhost: [1]}\n",
     "physical_hosts.localhost: expected a dict of connection variables"),
    (INVENTORY + "physical_hosts: {localhost: {ansible_become_method: sudo}}\n",
     "physical_hosts.localhost.ansible_become_method: set by the fabric inventory itself"),
    (INVENTORY + "physical_hosts: {localhost: {aifabric_netns: x}}\n",
     "physical_hosts.localhost.aifabric_netns: set by the fabric inventory itself"),
])
def test_bad_inventory_files_name_the_field(tmp_path, body, message):
    write(tmp_path, "topo.yml", TOPOLOGY)
    write(tmp_path, "list.yml", "- 1\n")
    assert message in parse_directly(write(tmp_path, "lab.fabric.yml", body))


def test_a_missing_compiler_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(fabric_inventory, "compile_plan", None)
    monkeypatch.setattr(fabric_inventory, "COMPILE_IMPORT_ERROR", ImportError("No module named 'x'"))
    write(tmp_path, "topo.yml", TOPOLOGY)
    msg = parse_directly(write(tmp_path, "lab.fabric.yml", INVENTORY))
    assert "the fabric compiler (plugins/module_utils/fabric/compile.py) cannot be imported" in msg


# -------------------------------------------------------------------- become plugin --

def become(**options):
    plugin = become_loader.get("aifabric.emulation.netns")
    plugin.set_options(direct=options)
    return plugin


def sh():
    """The shell plugin as a connection sets it up (ansible_shell_executable defaults to /bin/sh)."""
    return get_shell_plugin(shell_type="sh", executable="/bin/sh")


def argv(plugin, cmd="echo hi"):
    """The built command as the remote /bin/sh splits it, and the marker it prints once in the namespace."""
    return shlex.split(plugin.build_become_command(cmd, sh())), "echo %s ; %s" % (plugin.success, cmd)


def test_root_with_passwordless_sudo():
    plugin = become(netns="f1-server0")
    words, inner = argv(plugin)
    assert words == ["sudo", "-H", "-S", "-n", "-u", "root", "ip", "netns", "exec", "f1-server0", "/bin/sh", "-c",
                     inner]
    assert plugin.prompt == "" and not plugin.expect_prompt()


def test_sudo_with_a_password_prompts_like_ansible_builtin_sudo():
    plugin = become(netns="f1-server0", become_pass="s3cret")
    words, inner = argv(plugin)
    assert plugin.prompt == "[sudo via ansible, key=%s] password:" % plugin._id and plugin.expect_prompt()
    assert words == ["sudo", "-H", "-S", "-p", plugin.prompt, "-u", "root", "ip", "netns", "exec", "f1-server0",
                     "/bin/sh", "-c", inner]
    assert plugin.check_password_prompt(plugin.prompt.encode() + b" ")
    assert plugin.check_missing_password(b"sudo: a password is required\n")
    assert plugin.check_incorrect_password(b"Sorry, try again.\n")


def test_another_user_is_reached_inside_the_namespace():
    plugin = become(netns="f1-server0", become_user="svc user")
    words, inner = argv(plugin)
    assert words == ["sudo", "-H", "-S", "-n", "-u", "root", "ip", "netns", "exec", "f1-server0",
                     "sudo", "-H", "-n", "-u", "svc user", "/bin/sh", "-c", inner]
    assert plugin.get_option("become_user") == "svc user"


def test_without_sudo_when_connected_as_root():
    plugin = become(netns="f1-server0", netns_sudo=False, become_pass="ignored")
    words, inner = argv(plugin)
    assert words == ["ip", "netns", "exec", "f1-server0", "/bin/sh", "-c", inner]
    assert not plugin.expect_prompt()
    with pytest.raises(AnsibleError, match="become_user: svc needs sudo inside the namespace"):
        become(netns="f1-server0", netns_sudo=False, become_user="svc").build_become_command("true", sh())


def test_quoting_survives_the_remote_shell():
    cmd = "/bin/sh -c 'echo \"$HOME\" ; printf %s x'\"'\"'y'"
    words, inner = argv(become(netns="f1-server0"), cmd)
    assert words[-1] == inner  # the task's command reaches sh -c intact, whatever it quotes


def test_a_namespace_path_is_entered_with_nsenter():
    words, inner = argv(become(netns="/proc/1/ns/net"))
    assert words[6:] == ["nsenter", "--net=/proc/1/ns/net", "--", "/bin/sh", "-c", inner]


@pytest.mark.parametrize("netns", ["", "a/b", "..", "x;reboot", "a b", "$(id)"])
def test_bad_namespace_names_are_refused(netns):
    with pytest.raises(AnsibleError, match="netns: "):
        become(netns=netns).build_become_command("true", sh())


def test_sudo_chdir_and_flags():
    words, _inner = argv(become(netns="f1-server0", sudo_chdir="/var/tmp", become_flags="-H -S -n -E"))
    assert words[:8] == ["cd", "/var/tmp", "&&", "sudo", "-H", "-S", "-n", "-E"]


def test_root_is_reported_as_no_user_so_ansible_core_does_not_skip_become():
    # ansible-core skips become when become_user equals the login user (root to root); the task would then run
    # outside the namespace. The plugin answers None for root and still runs ip as root.
    plugin = become(netns="f1-server0", become_user="root")
    assert plugin.get_option("become_user") is None
    assert argv(plugin)[0][:6] == ["sudo", "-H", "-S", "-n", "-u", "root"]


def test_the_inventory_host_variables_reach_the_become_plugin(tmp_path):
    inventory, vm = load_topology(tmp_path)
    hv = vm.get_vars(host=inventory.get_host("f1-rail1"))
    plugin = become_loader.get(hv["ansible_become_method"])
    plugin.set_options(var_options=dict((k, hv[k]) for k in ("aifabric_netns",)))
    assert argv(plugin)[0][6:10] == ["ip", "netns", "exec", "f1-rail1"]
