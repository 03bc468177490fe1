#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vlan
short_description: 802.1Q and 802.1ad (QinQ) VLAN interfaces, as a resource, over netlink
version_added: 0.1.0
description:
  - Declares VLAN interfaces (rails, tenants, storage) on a host or in a network namespace and converges the
    kernel to them, nothing more and nothing done twice.
  - Talks netlink directly, batching every change of a run; no C(ip) process is started, and no Python library
    beyond the standard library is needed on the target (pyroute2 is not used).
  - VLAN priority maps matter for PFC on PCP-trust fabrics; O(config[].egress_qos_map) maps skb priority to PCP.
author:
  - aifabric.emulation contributors (@aifabric)
requirements:
  - Linux with the 8021q module.
extends_documentation_fragment:
  - aifabric.emulation.attributes
options:
  config:
    description:
      - VLAN interfaces. Required unless O(state=gathered), where it limits the result to the parents named.
    type: list
    elements: dict
    suboptions:
      name:
        description: Interface name, at most 15 bytes. Default C(<parent>.<id>).
        type: str
      parent:
        description: Parent device; another entry's name for QinQ (an 802.1Q VLAN on an 802.1ad one).
        type: str
        required: true
      id:
        description:
          - VLAN id, 1-4094.
          - Required for every state except V(gathered), which uses only O(config[].parent) and ignores the id.
        type: int
      protocol:
        description: Tag protocol; V(802.1ad) is the outer (service) tag of QinQ.
        type: str
        choices: ["802.1Q", "802.1ad"]
        default: "802.1Q"
      mtu:
        description: MTU; at most the parent's. Default the parent's MTU.
        type: int
      admin_state:
        description: Administrative state. Default V(up) when created or replaced.
        type: str
        choices: [up, down]
      addresses:
        description: IPv4 and IPv6 addresses with prefix length, for example V(10.0.1.1/24).
        type: list
        elements: str
      egress_qos_map:
        description: 'Map of skb priority (0-7) to the 802.1Q PCP (0-7) of sent frames, for example C({3: 3}).'
        type: dict
      ingress_qos_map:
        description: Map of received PCP (0-7) to skb priority (0-7).
        type: dict
      reorder_hdr:
        description: Reorder the Ethernet header on output (kernel default on).
        type: bool
      gvrp:
        description: Register the VLAN with GVRP.
        type: bool
      mvrp:
        description: Register the VLAN with MVRP.
        type: bool
      loose_binding:
        description: Do not follow the parent's operational state.
        type: bool
  netns:
    description: Named network namespace (as in C(ip netns)) or a namespace file path.
    type: str
  state:
    description:
      - The same names mean the same in every module of this collection.
      - V(merged) (alias V(present)) creates missing VLANs and sets the given fields, adding addresses and map
        entries.
      - V(replaced) makes each listed VLAN exactly as given; unset fields take their defaults.
      - V(overridden) is V(replaced) and also deletes VLAN interfaces that are not listed, on the listed parents
        only. Other interfaces are never touched.
      - V(deleted) (alias V(absent)) deletes the listed VLAN interfaces.
      - V(gathered) returns the VLAN interfaces of the namespace in RV(gathered).
      - V(rendered) returns equivalent C(ip) commands in RV(rendered) without touching the kernel.
      - V(parsed) reads O(running_config), the output of C(ip -j -d addr show), into RV(parsed) without touching
        the kernel.
    type: str
    choices: [merged, present, replaced, overridden, deleted, absent, gathered, rendered, parsed]
    default: merged
  running_config:
    description: With O(state=parsed), the JSON text printed by C(ip -j -d addr show) (or C(ip -j -d link show)).
    type: str
  allow_management:
    description:
      - Allow changes that can cut the Ansible connection on the interface carrying it - deleting it, setting it
        down, changing its MTU or removing its addresses. See the collection's docs/guard.md.
    type: bool
    default: false
notes:
  - Changing the parent, id or protocol of an existing name deletes and re-creates the interface; the kernel
    removes VLANs stacked on it, which are re-created when declared.
  - Every entry is validated before the kernel is touched; when the kernel refuses a change midway, what the run
    did is rolled back.
"""

EXAMPLES = r"""
- name: One VLAN per rail on an 8-rail GPU server (rail k on NIC k, VLAN 100+k), RoCE priority 3 -> PCP 3
  aifabric.emulation.vlan:
    state: merged
    config:
      - {parent: ens1f0, id: 101, mtu: 9000, addresses: [10.101.0.11/24], egress_qos_map: {3: 3}}
      - {parent: ens2f0, id: 102, mtu: 9000, addresses: [10.102.0.11/24], egress_qos_map: {3: 3}}
      - {parent: ens3f0, id: 103, mtu: 9000, addresses: [10.103.0.11/24], egress_qos_map: {3: 3}}
      - {parent: ens4f0, id: 104, mtu: 9000, addresses: [10.104.0.11/24], egress_qos_map: {3: 3}}

- name: Exactly these VLANs on the storage NIC, removing any other VLAN on it
  aifabric.emulation.vlan:
    state: overridden
    config:
      - {parent: ens9f0, id: 300, addresses: ["10.30.0.11/24", "fd30::11/64"]}

- name: QinQ in an emulated host namespace - service tag 200, customer tag 10
  aifabric.emulation.vlan:
    netns: gpu0
    config:
      - {name: svc200, parent: eth0, id: 200, protocol: 802.1ad}
      - {name: svc200.10, parent: svc200, id: 10, addresses: [192.168.10.1/24]}

- name: Read back every VLAN interface
  aifabric.emulation.vlan:
    state: gathered
  register: vlans

- name: Remove a rail VLAN
  aifabric.emulation.vlan:
    state: deleted
    config:
      - {parent: ens1f0, id: 101}
"""

RETURN = r"""
before:
  description: The VLAN interfaces in scope before the task, in the form of O(config).
  returned: when state is merged, replaced, overridden or deleted
  type: list
  elements: dict
  sample: [{"name": "ens1f0.101", "parent": "ens1f0", "id": 101, "protocol": "802.1Q", "mtu": 1500}]
after:
  description: The VLAN interfaces in scope after the task, read back from the kernel (predicted in check mode).
  returned: when state is merged, replaced, overridden or deleted
  type: list
  elements: dict
  sample: [{"name": "ens1f0.101", "parent": "ens1f0", "id": 101, "protocol": "802.1Q", "mtu": 9000}]
commands:
  description: The C(ip) commands equivalent to the changes made (or that would be made).
  returned: when state is merged, replaced, overridden or deleted
  type: list
  elements: str
  sample: ["ip link set ens1f0.101 mtu 9000"]
gathered:
  description: Every VLAN interface in the namespace (on the named parents when O(config) is given).
  returned: when state is gathered
  type: list
  elements: dict
  sample: [{"name": "ens1f0.101", "parent": "ens1f0", "id": 101, "protocol": "802.1Q"}]
rollback:
  description: When the kernel refused a change, what the rollback restored, read back from the kernel.
  returned: failure after a change was attempted
  type: dict
  sample: {"complete": true, "restored": ["ens1f0.101"], "not_restored": [], "errors": []}
parsed:
  description: O(running_config) read into the shape of RV(gathered).
  returned: when state is parsed
  type: list
  elements: dict
  sample: [{"name": "ens1f0.101", "parent": "ens1f0", "id": 101, "protocol": "802.1Q"}]
rendered:
  description: The C(ip) commands that would create the configuration from scratch.
  returned: when state is rendered
  type: list
  elements: str
  sample: ["ip link add link ens1f0 name ens1f0.101 type vlan protocol 802.1Q id 101"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aifabric.emulation.plugins.module_utils.vlan.argspec import ARGUMENT_SPEC, REQUIRED_IF
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan.resource import run_module


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    run_module(module)


if __name__ == "__main__":
    main()
