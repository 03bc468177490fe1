# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fabric
short_description: The emulated servers and switches of a fabric topology, as Ansible hosts
version_added: 0.3.0
description:
  - Reads a fabric topology (the spec of the collection's fabric compiler, see the collection's C(docs/fabric.md))
    and yields one host per emulated server and switch, and one per management namespace, named like its network
    namespace (C(<name>-<node>), for example C(f1-server0)).
  - "Every host is reached through the physical host its namespace lives on, with the connection variables given in
    O(physical_hosts), and runs its tasks inside the namespace through the C(aifabric.emulation.netns) become plugin
    (C(ansible_become=true), C(ansible_become_method=aifabric.emulation.netns)). C(hosts: fabric_servers) in a play
    therefore reaches the emulated servers the way it reaches real ones."
  - The fabric itself is staged separately (the namespaces must exist when tasks run); this plugin only reads the
    topology and never touches a host.
  - "Groups: those the compiler gives each node (C(fabric_servers), C(rail_0), ..., C(fabric_switches), C(leaves),
    C(spines), C(super_spines), C(fabric_management)), plus C(fabric_<name>) (every host of the fabric) and
    C(fabric_host_<physical host>) (every host on that physical host; characters other than letters, digits and
    C(_) become C(_))."
  - "Host variables: C(aifabric_fabric), C(aifabric_node), C(aifabric_role) (V(server), V(leaf), V(spine),
    V(super_spine), V(management)), C(aifabric_index), C(aifabric_netns), C(aifabric_physical_host),
    C(aifabric_interfaces) (the node's interfaces as the plan has them: address, link, peer_node, peer_ifname, rail,
    vlan_id, management), C(aifabric_rails) (a server's fabric NICs in rail order; empty for other nodes),
    C(aifabric_rail_devices) (the devices holding those NICs' addresses: C(rail0.100) with a VLAN per rail, else the
    NICs themselves), C(aifabric_management_address) and C(aifabric_management_interface) (servers; null for other
    nodes), and the physical host's connection variables."
author:
  - aifabric.emulation contributors (@aifabric)
requirements:
  - On each physical host, the C(ip) command (iproute2) and, unless connecting as root with
    C(aifabric_netns_sudo=false), C(sudo); see the C(aifabric.emulation.netns) become plugin.
extends_documentation_fragment:
  - ansible.builtin.constructed
options:
  plugin:
    description: The name of this plugin; it must be V(aifabric.emulation.fabric) for the file to be read by it.
    type: string
    required: true
    choices: [aifabric.emulation.fabric]
  topology:
    description:
      - Path of the topology spec (YAML), relative to the directory of the inventory file unless absolute; C(~) is
        expanded.
      - Exactly one of O(topology) and O(fabric) is required.
    type: string
  fabric:
    description:
      - The topology spec itself, inline, instead of O(topology).
    type: dict
  physical_hosts:
    description:
      - How to reach each physical host the fabric spans, by its name in the topology. Each value is a dict of
        connection variables (C(ansible_host), C(ansible_connection), C(ansible_user), C(ansible_port),
        C(ansible_ssh_private_key_file), C(ansible_become_password), C(ansible_python_interpreter),
        C(aifabric_netns_sudo), ...) given to every emulated host on that physical host.
      - "Defaults, which the variables given here override: a physical host is reached by its name (C(ansible_host)
        set to it); V(localhost) by C(ansible_connection=local) with the controller's Python
        (C(ansible_python_interpreter={{ ansible_playbook_python }})), like Ansible's implicit localhost."
      - Once any host is listed here, the topology's C(placement) may use only the hosts listed and V(localhost);
        a misspelt host name is then refused, naming the C(placement) field.
      - C(ansible_become), C(ansible_become_method) and C(aifabric_*) variables other than C(aifabric_netns_sudo)
        belong to this plugin and are refused here.
    type: dict
    default: {}
"""

EXAMPLES = r"""
# inventories/lab.fabric.yml
plugin: aifabric.emulation.fabric
topology: topologies/two-rails.yml
physical_hosts:
  gpu-a:
    ansible_host: 192.0.2.10
    ansible_user: ops
# then: ansible-playbook -i inventories/lab.fabric.yml play.yml   (with hosts: fabric_servers)
---
# Inline spec, everything on the controller, and a group per role built with keyed_groups
plugin: aifabric.emulation.fabric
fabric:
  name: f1
  kind: rail_optimized
  servers: 2
  rails: 2
  spines: 1
keyed_groups:
  - key: aifabric_role
    prefix: role
"""

import os
import re

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

from ansible_collections.aifabric.emulation.plugins.module_utils import errors

try:
    from ansible_collections.aifabric.emulation.plugins.module_utils.fabric.compile import compile_plan
except ImportError as exc:  # the compiler is a separate module of the collection
    compile_plan = None
    COMPILE_IMPORT_ERROR = exc
else:
    COMPILE_IMPORT_ERROR = None

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 templates every string
    def trust_as_template(value):
        return value

BECOME_METHOD = "aifabric.emulation.netns"
# Variables this plugin sets itself; a physical host's entry may not override them.
RESERVED = frozenset(["ansible_become", "ansible_become_method"])
ALLOWED_AIFABRIC = frozenset(["aifabric_netns_sudo"])
_UNSAFE_GROUP_CHARS = re.compile(r"[^A-Za-z0-9_]")
_DIGITS = re.compile(r"(\d+)")


def plain(value, path):
    """value as plain dicts, lists, str, int, float, bool and None (what the compiler takes); path names the field."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise errors.ValidationError(path or None, "keys must be strings, got %r" % (key,))
            out[str(key)] = plain(item, "%s.%s" % (path, key) if path else str(key))
        return out
    if isinstance(value, (list, tuple)):
        return [plain(item, "%s[%d]" % (path, i)) for i, item in enumerate(value)]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    raise errors.ValidationError(path or None, "unsupported value %r (%s)" % (value, type(value).__name__))


def group_name(text):
    return _UNSAFE_GROUP_CHARS.sub("_", str(text))


def natural_key(text):
    return [int(p) if p.isdigit() else p for p in _DIGITS.split(str(text))]


def rails_of(node):
    """A server's fabric NICs, in rail order (by rail number, else by name); [] for switches."""
    if node.get("role") != "server":
        return []
    nics = [(name, iface) for name, iface in (node.get("interfaces") or {}).items()
            if not (iface or {}).get("management")]
    nics.sort(key=lambda item: (item[1].get("rail") is None, item[1].get("rail") or 0, natural_key(item[0])))
    return [name for name, _iface in nics]


def rail_devices(node):
    """The devices holding the rails' addresses: rail0.100 for a VLAN per rail, else the NIC itself."""
    interfaces = node.get("interfaces") or {}
    out = []
    for name in rails_of(node):
        vlan_id = interfaces[name].get("vlan_id")
        out.append(name if vlan_id is None else "%s.%s" % (name, vlan_id))
    return out


def management_interface(node):
    if node.get("role") != "server":
        return None
    for name, iface in sorted((node.get("interfaces") or {}).items()):
        if (iface or {}).get("management"):
            return name
    return None


def default_connection(host):
    if host == "localhost":
        return {"ansible_connection": "local",
                "ansible_python_interpreter": trust_as_template("{{ ansible_playbook_python }}")}
    return {"ansible_host": host}


def node_order(plan):
    """Nodes in the plan's namespace creation order (then natural name order for any not listed)."""
    nodes = plan.get("nodes") or {}
    rank = {}
    for i, ns in enumerate(plan.get("namespaces") or []):
        if isinstance(ns, dict) and ns.get("node") in nodes:
            rank.setdefault(ns["node"], i)
    return sorted(nodes, key=lambda n: (rank.get(n, len(rank)), natural_key(n)))


class InventoryModule(BaseInventoryPlugin, Constructable):
    """One Ansible host per emulated server and switch of a fabric topology."""

    NAME = "aifabric.emulation.fabric"

    def verify_file(self, path):
        if not super(InventoryModule, self).verify_file(path):
            return False
        base = os.path.basename(path)
        return base.endswith((".fabric.yml", ".fabric.yaml")) or base in ("fabric.yml", "fabric.yaml")

    # ----------------------------------------------------------- input --
    def _spec(self, path):
        """(spec as plain data, how to name its fields in errors)."""
        topology, inline = self.get_option("topology"), self.get_option("fabric")
        if (topology is None) == (inline is None):
            raise AnsibleParserError("%s: exactly one of topology (a file) and fabric (an inline spec) is required"
                                     % path)
        if inline is not None:
            return plain(inline, ""), "fabric"
        topology = os.path.expanduser(str(topology))
        if not os.path.isabs(topology):
            topology = os.path.join(os.path.dirname(os.path.abspath(path)), topology)
        if not os.path.isfile(topology):
            raise AnsibleParserError("%s: topology: no such file %s" % (path, topology))
        try:
            data = self.loader.load_from_file(topology, cache="none")
        except Exception as exc:  # pylint: disable=broad-except  # the loader raises many kinds; name the file
            raise AnsibleParserError("%s: topology: cannot read %s: %s" % (path, topology, exc))
        if not isinstance(data, dict):
            raise AnsibleParserError("%s: topology: %s does not hold a mapping (the topology spec)" % (path, topology))
        return plain(data, ""), "topology %s" % topology

    def _physical_hosts(self, path, plan):
        given = self.get_option("physical_hosts") or {}
        if not isinstance(given, dict):
            raise AnsibleParserError("%s: physical_hosts: expected a dict of host name -> connection variables" % path)
        known = set(plan.get("hosts") or {}) | set(n.get("host") for n in (plan.get("nodes") or {}).values())
        known.discard(None)
        out = {}
        for name, conn in given.items():
            field = "physical_hosts.%s" % name
            if name not in known:
                raise AnsibleParserError("%s: %s: not a host of fabric %s (its hosts: %s)"
                                         % (path, field, plan.get("fabric"), ", ".join(sorted(known)) or "none"))
            if conn is None:
                conn = {}
            if not isinstance(conn, dict):
                raise AnsibleParserError("%s: %s: expected a dict of connection variables" % (path, field))
            for key in conn:
                if key in RESERVED or (str(key).startswith("aifabric_") and key not in ALLOWED_AIFABRIC):
                    raise AnsibleParserError("%s: %s.%s: set by the fabric inventory itself; remove it"
                                             % (path, field, key))
            out[name] = dict(default_connection(name), **conn)
        for name in known:
            out.setdefault(name, default_connection(name))
        return out

    # ----------------------------------------------------------- parse --
    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)

        if compile_plan is None:
            raise AnsibleParserError("%s: the fabric compiler (plugins/module_utils/fabric/compile.py) cannot be "
                                     "imported: %s" % (path, COMPILE_IMPORT_ERROR))
        where = None
        try:
            spec, where = self._spec(path)
            given = self.get_option("physical_hosts")
            known = sorted(set(given) | set(["localhost"])) if isinstance(given, dict) and given else None
            plan = compile_plan(spec, hosts=known)
        except errors.ModuleError as exc:
            where = where or ("fabric" if self.get_option("fabric") is not None else "topology")
            if not exc.param:
                field = where
            elif where == "fabric":
                field = "fabric.%s" % exc.param
            else:
                field = "%s: %s" % (where, exc.param)
            raise AnsibleParserError("%s: %s: %s" % (path, field, exc.message))
        self._populate(plan, self._physical_hosts(path, plan))

    def _populate(self, plan, physical):
        fabric = plan["fabric"]
        nodes = plan.get("nodes") or {}
        strict = self.get_option("strict")
        all_group = self.inventory.add_group("fabric_%s" % group_name(fabric))
        for node_name in node_order(plan):
            node = nodes[node_name]
            host_name = node.get("netns") or "%s-%s" % (fabric, node_name)
            physical_host = node.get("host")
            self.inventory.add_host(host_name, group=all_group)
            self.inventory.add_host(host_name, group=self.inventory.add_group(
                "fabric_host_%s" % group_name(physical_host)))
            for group in node.get("groups") or []:
                self.inventory.add_host(host_name, group=self.inventory.add_group(group_name(group)))

            for key, value in (physical.get(physical_host) or {}).items():
                self.inventory.set_variable(host_name, key, value)
            variables = {
                "ansible_become": True,
                "ansible_become_method": BECOME_METHOD,
                "aifabric_fabric": fabric,
                "aifabric_node": node_name,
                "aifabric_role": node.get("role"),
                "aifabric_index": node.get("index"),
                "aifabric_netns": host_name,
                "aifabric_physical_host": physical_host,
                "aifabric_interfaces": node.get("interfaces") or {},
                "aifabric_rails": rails_of(node),
                "aifabric_rail_devices": rail_devices(node),
                "aifabric_management_address": node.get("management_address"),
                "aifabric_management_interface": management_interface(node),
            }
            for key, value in variables.items():
                self.inventory.set_variable(host_name, key, value)

            hostvars = self.inventory.get_host(host_name).get_vars()
            self._set_composite_vars(self.get_option("compose"), hostvars, host_name, strict=strict)
            hostvars = self.inventory.get_host(host_name).get_vars()
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host_name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host_name, strict=strict)
