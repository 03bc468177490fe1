#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: roce
short_description: RoCEv2 host QoS (PFC, ETS, DSCP, ECN/DCQCN, RDMA-CM ToS, soft-RoCE) with a consistency pre-flight
version_added: 0.1.0
description:
  - Configures one NIC's part of a lossless RoCEv2 fabric, declaratively and idempotently, and checks that the
    whole story agrees (V(validated)), returning the matching NCCL environment.
  - PFC, ETS and the DSCP APP table go through the kernel's DCB netlink (RTM_SETDCB, IEEE 802.1Qaz), never
    through the C(dcb) tool. Trust uses C(/sys/class/net/<netdev>/qos/trust) where the driver has it, DCB
    apptrust where supported, and otherwise the mlx5 rule that the first DSCP APP entry switches trust to DSCP.
  - ECN/DCQCN and CNP knobs are the MLNX_OFED sysfs files under C(/sys/class/net/<netdev>/ecn/).
  - RDMA-CM defaults are written through configfs (C(/sys/kernel/config/rdma_cm)), mounted when needed.
  - Soft-RoCE (rxe, siw) links are created through NETLINK_RDMA, for emulated hosts without RDMA NICs.
  - A NIC whose driver has no DCB support gets a clear "not supported by driver" failure when DCB settings are
    requested; V(gathered) and V(validated) report it as data.
author:
  - aifabric.emulation contributors (@aifabric)
extends_documentation_fragment:
  - aifabric.emulation.attributes
options:
  netdev:
    description:
      - The NIC's network device, at most 15 bytes, in the initial network namespace or in O(netns).
      - Required for every state, V(gathered) included (it describes this one NIC).
    type: str
  netns:
    description:
      - Named network namespace (or namespace file) that holds O(netdev), for an emulated endpoint.
      - In another namespace only O(mtu), O(pfc), O(ets), O(dscp_map) and O(trust) (through DCB) can be managed;
        sysfs, configfs and RDMA devices are seen from the initial namespace only, so O(ecn), O(cnp),
        O(rdma_cm) and O(soft_roce) are refused there.
    type: str
  allow_management:
    description:
      - Allow changing the MTU of the interface that carries the Ansible connection. See the collection's
        docs/guard.md.
    type: bool
    default: false
  rdma_device:
    description: RDMA device of the NIC (for example V(mlx5_0)). Default the device whose port is bound to O(netdev).
    type: str
  port:
    description: RDMA port number.
    type: int
    default: 1
  profile:
    description:
      - Named settings, expanded before the explicit options (which override it).
      - V(lossless_prio3) is PFC on priority 3, DSCP 26 -> 3 and 48 -> 6, trust DSCP, ETS with 50% for TC 3 and
        strict TC 6, DCQCN on priority 3, CNPs on priority 6 with DSCP 48, RDMA-CM ToS 106 (DSCP 26, ECT(0)),
        RoCE v2, and NCCL_IB_TC 106.
    type: str
    choices: [lossless_prio3]
  pfc:
    description: Priority flow control.
    type: dict
    suboptions:
      enabled:
        description: Priorities (0-7) with PFC on; all others off.
        type: list
        elements: int
        required: true
      delay:
        description: Cable-length allowance in bit times, where the driver takes one.
        type: int
  ets:
    description: Enhanced transmission selection.
    type: dict
    suboptions:
      prio_tc:
        description: Traffic class (0-7) of each priority 0-7.
        type: list
        elements: int
        required: true
      tsa:
        description: Transmission selection algorithm of each traffic class.
        type: list
        elements: str
        required: true
      bandwidth:
        description: ETS share (percent) of each traffic class; the shares of V(ets) classes sum to 100.
        type: list
        elements: int
        required: true
  dscp_map:
    description: 'DSCP (0-63) to priority (0-7) APP entries, for example C({26: 3}).'
    type: dict
  trust:
    description: Classify received packets by DSCP or by PCP.
    type: str
    choices: [dscp, pcp]
  ecn:
    description: DCQCN per priority.
    type: dict
    suboptions:
      np:
        description: Priorities with the notification point (CNP generation) on.
        type: list
        elements: int
        required: true
      rp:
        description: Priorities with the reaction point (rate reduction) on.
        type: list
        elements: int
        required: true
  cnp:
    description: Priority and DSCP of congestion notification packets, where the NIC exposes them.
    type: dict
    suboptions:
      priority:
        description: CNP 802.1p priority.
        type: int
      dscp:
        description: CNP DSCP.
        type: int
  rdma_cm:
    description: RDMA-CM defaults of the RDMA device and port. NCCL ignores these; it uses C(NCCL_IB_TC).
    type: dict
    suboptions:
      tos:
        description: Default ToS byte (0-255) of RDMA-CM connections, for example V(106).
        type: int
      mode:
        description: Default RoCE mode.
        type: str
        choices: ["RoCE v2", "IB/RoCE v1"]
  mtu:
    description: MTU of O(netdev).
    type: int
  soft_roce:
    description:
      - A soft-RoCE link on O(netdev). rxe refuses VLAN devices (use the parent), has no PFC and no DCQCN, and
        on kernels before 2026 works only in the initial network namespace.
    type: dict
    suboptions:
      type:
        description: V(rxe) (RoCEv2) or V(siw) (iWARP).
        type: str
        choices: [rxe, siw]
        default: rxe
      name:
        description: RDMA device name. Default C(rxe0) or C(siw0).
        type: str
      state:
        description: Whether the link exists.
        type: str
        choices: [present, absent]
        default: present
  roce_priority:
    description: The lossless RoCE priority that V(validated) checks against. Default from the DSCP map, else 3.
    type: int
  nccl_ib_tc:
    description: The C(NCCL_IB_TC) the jobs use (DSCP << 2 | ECN bits), checked by V(validated).
    type: int
  fail_on_inconsistency:
    description: With V(validated), fail when anything disagrees (the report is returned either way).
    type: bool
    default: true
  sysfs_root:
    description:
      - Internal, for testing only; not for production use.
      - Root under which C(sys/) is read and written, so that tests can point the module at a fake sysfs and
        configfs tree. Anything but the default makes the module read and write files that are not the host's
        NIC settings.
    type: path
    default: /
  state:
    description:
      - The same names mean the same in every module of this collection.
      - V(merged) (alias V(present)) applies the given settings; V(replaced) also removes DSCP APP entries that
        are not given; V(deleted) (alias V(absent)) puts the named sections back to defaults (PFC off, DSCP
        entries removed, trust PCP, DCQCN off, RDMA-CM directory removed, soft-RoCE link removed).
      - There is no V(overridden) (one NIC per task, and V(replaced) already owns every section given) and no
        V(parsed) (the settings come from several C(dcb), sysfs and configfs sources, not one text).
      - V(gathered) returns the facts; V(rendered) returns equivalent C(dcb)/C(rdma)/shell commands without
        touching the host; V(validated) checks consistency and returns RV(nccl_env).
    type: str
    choices: [merged, present, replaced, deleted, absent, gathered, rendered, validated]
    default: merged
notes:
  - What can be verified without RDMA hardware, and what cannot, is explained in the collection's C(docs/roce.md).
"""

EXAMPLES = r"""
- name: Lossless priority 3 on a RoCE NIC
  aifabric.emulation.roce:
    netdev: ens1f0np0
    profile: lossless_prio3
    mtu: 9000

- name: Check that the host tells one consistent story and print the NCCL environment
  aifabric.emulation.roce:
    netdev: ens1f0np0
    state: validated
    nccl_ib_tc: 106
  register: preflight

- name: Show the matching NCCL environment
  ansible.builtin.debug:
    var: preflight.nccl_env

- name: Soft-RoCE for an emulated host without an RDMA NIC, with RDMA-CM ToS 106
  aifabric.emulation.roce:
    netdev: eth1
    soft_roce: {type: rxe, name: rxe0}
    rdma_cm: {tos: 106, mode: RoCE v2}

- name: Everything the host knows (GIDs, PFC/ETS/APP, ECN, RDMA-CM, counters)
  aifabric.emulation.roce:
    netdev: ens1f0np0
    state: gathered
  register: roce_facts
"""

RETURN = r"""
before:
  description: The managed settings before the task.
  returned: when state is merged, replaced or deleted
  type: dict
  sample: {"pfc": {"enabled": [], "delay": 0}, "trust": "pcp"}
after:
  description: The managed settings after the task, read back (predicted in check mode).
  returned: when state is merged, replaced or deleted
  type: dict
  sample: {"pfc": {"enabled": [3], "delay": 0}, "trust": "dscp"}
rollback:
  description: When a change failed, what the rollback restored, read back from the NIC.
  returned: failure after a change was attempted
  type: dict
  sample: {"complete": true, "restored": ["mtu", "pfc"], "not_restored": [], "errors": []}
commands:
  description: Equivalent commands of the changes made (or that would be made).
  returned: when state is merged, replaced or deleted
  type: list
  elements: str
  sample: ["dcb pfc set dev ens1f0np0 prio-pfc 0:off 1:off 2:off 3:on 4:off 5:off 6:off 7:off"]
gathered:
  description: Facts of the NIC - DCB state (or why it is unsupported), trust, ECN, CNP, RDMA device, GIDs, RDMA-CM defaults, counters.
  returned: when state is gathered
  type: dict
  sample: {"netdev": "eth1", "dcb": {"supported": false, "reason": "eth1: DCB is not supported by driver virtio_net"}}
rendered:
  description: Equivalent commands that would apply the settings.
  returned: when state is rendered
  type: list
  elements: str
  sample: ["dcb app add dev eth1 dscp-prio 26:3"]
consistent:
  description: Whether every check passed.
  returned: when state is validated
  type: bool
  sample: false
disagreements:
  description: Each disagreement with C(check), C(expected), C(actual) and a readable C(message).
  returned: when state is validated
  type: list
  elements: dict
  sample: [{"check": "pfc", "expected": [3], "actual": [], "message": "PFC is off for RoCE priority 3 (PFC on: none)"}]
nccl_env:
  description: NCCL_IB_TC, NCCL_IB_GID_INDEX (the RoCE v2 GID on the netdev), NCCL_IB_HCA and NCCL_SOCKET_IFNAME.
  returned: when state is validated
  type: dict
  sample: {"NCCL_IB_TC": "106", "NCCL_IB_GID_INDEX": "3", "NCCL_IB_HCA": "mlx5_0:1", "NCCL_SOCKET_IFNAME": "ens1f0np0"}
roce_priority:
  description: The RoCE priority the checks used.
  returned: when state is validated
  type: int
  sample: 3
facts:
  description: The facts the checks ran on (as RV(gathered)).
  returned: when state is validated
  type: dict
  sample: {"netdev": "eth1"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aifabric.emulation.plugins.module_utils.roce.argspec import ARGUMENT_SPEC, REQUIRED_IF
from ansible_collections.aifabric.emulation.plugins.module_utils.roce.resource import run_module


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    run_module(module)


if __name__ == "__main__":
    main()
