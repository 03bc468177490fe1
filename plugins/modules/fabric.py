#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: fabric
short_description: Stage an emulated training fabric (rail-optimized, leaf-spine, 3-tier Clos) in network namespaces
version_added: 0.3.0
description:
  - Compiles a topology (servers, rails or leaves, spines, link classes with rate, delay and MTU, addressing,
    placement on hosts) into a plan and makes this host's share of it real, by diff, over netlink; no C(ip) or
    C(tc) process is started and only the standard library is needed on the target.
  - Every emulated server and switch is a network namespace named C(<fabric>-<node>); links are veth pairs
    (VXLAN between hosts), l2 leaves are bridges, routers get ECMP routes over their spines, rates are shaped with
    htb or tbf and link delay is netem. Each server also gets C(mgmt0) on an unimpaired management bridge.
  - Re-running an unchanged topology changes nothing; a changed one converges by diff (adding a server touches
    only that server). A kernel refusal rolls back what the run did and reports what it could not restore.
  - O(state=absent) deletes every namespace the fabric staged on this host, and nothing else (namespaces carry an
    ownership mark, the C(lo) alias C(aifabric-fabric:<fabric>)); the state record lives on tmpfs under
    C(/run/aifabric-emulation/fabric).
  - The topology keys are described in the collection's C(docs/fabric.md); errors name the field under
    O(topology).
  - The C(aifabric.emulation.fabric) inventory plugin turns the same topology into Ansible hosts.
author:
  - aifabric.emulation contributors (@aifabric)
requirements:
  - Linux with network namespaces, veth, bridge, and htb or tbf; netem for link delay; 8021q for VLANs per rail;
    vxlan when the fabric spans hosts.
extends_documentation_fragment:
  - aifabric.emulation.attributes
options:
  topology:
    description:
      - The fabric's topology (C(name), C(kind), C(mode), counts, C(links), C(overrides), C(addressing), C(vlan),
        C(placement), ...), as in C(docs/fabric.md).
      - Required unless O(state=absent) or O(state=gathered) name the fabric with O(name).
    type: dict
  name:
    description:
      - The fabric's name, for O(state=absent) and O(state=gathered) without a topology; with a topology it must
        match the topology's C(name).
    type: str
  host:
    description:
      - Which of the topology's hosts this is, when its C(placement) spreads the fabric over several hosts. The
        collection's action plugin sets it to C(inventory_hostname) when it is left out.
      - Without placement the fabric is staged wherever the task runs.
    type: str
  inventory_hosts:
    description:
      - The inventory's host names; a placement on a host not among them is refused. The action plugin fills it
        from the inventory when it is left out.
    type: list
    elements: str
  state:
    description:
      - V(present) stages the fabric or converges it to the topology.
      - V(absent) tears down everything the fabric staged on this host.
      - V(gathered) reads back what the fabric has staged here.
      - V(rendered) returns the equivalent C(ip)/C(tc) commands, touching nothing.
      - V(validated) checks the staged fabric (reachability per rail, path MTU, ECMP spread, sampled link rates
        and delays, read back).
    type: str
    choices: [present, absent, gathered, rendered, validated]
    default: present
notes:
  - Rendezvous and launcher traffic should use the management network (RV(summary)); impairments never touch it.
  - Link delay needs sch_netem; a topology with delay on a kernel without it is refused before any change.
seealso:
  - plugin: aifabric.emulation.fabric
    plugin_type: inventory
  - plugin: aifabric.emulation.netns
    plugin_type: become
"""

EXAMPLES = r"""
- name: Stage a rail-optimized fabric, 4 servers x 2 rails, 2 spines
  aifabric.emulation.fabric:
    topology:
      name: f1
      kind: rail_optimized
      mode: l3
      servers: 4
      rails: 2
      spines: 2
      links:
        server_leaf: {rate: 100mbit, mtu: 9000}
        leaf_spine: {rate: 100mbit}
  register: fabric

- name: Show the bottlenecks
  ansible.builtin.debug:
    var: fabric.summary.bottlenecks

- name: What would be run, as ip and tc commands
  aifabric.emulation.fabric:
    topology: "{{ lookup('ansible.builtin.file', 'topology.yml') | ansible.builtin.from_yaml }}"
    state: rendered

- name: Tear it down
  aifabric.emulation.fabric:
    name: f1
    state: absent
"""

RETURN = r"""
fabric:
  description: The fabric's name.
  returned: always
  type: str
  sample: f1
host:
  description: The topology's name for this host.
  returned: always
  type: str
  sample: localhost
summary:
  description: Servers, endpoints, switches, links, namespaces and bottlenecks (where, ratio, rate) of the topology.
  returned: when a topology is given
  type: dict
  sample: {"servers": 4, "endpoints": 8, "switches": 4, "links": 12, "namespaces": 9,
           "bottlenecks": [{"where": "rail leaves' uplinks", "node": "rail0", "ratio": 2.0, "rate_bit": 100000000}]}
notes:
  description: What the compiler wants the user to know (VXLAN MTU overhead, soft-RoCE placement).
  returned: when a topology is given
  type: list
  elements: str
before:
  description: This host's namespaces of the fabric before the run, each as the stager reads it.
  returned: when state is present
  type: dict
after:
  description: The same after the run (predicted in check mode); a removed namespace is null.
  returned: when state is present
  type: dict
created:
  description: Counts of objects created (namespaces, links, addresses, routes, qdiscs, classes, sysctls).
  returned: when state is present
  type: dict
  sample: {"namespaces": 9, "links": 20, "addresses": 28, "routes": 22, "qdiscs": 16, "classes": 16, "sysctls": 18}
removed:
  description: Counts of objects removed.
  returned: when state is present or absent
  type: dict
modified:
  description: Counts of objects changed in place.
  returned: when state is present
  type: dict
touched:
  description: The namespaces the run changed.
  returned: when state is present
  type: list
  elements: str
requests:
  description: Netlink requests sent to the kernel (0 when nothing changed).
  returned: when state is present
  type: int
commands:
  description: The C(ip)/C(tc) commands equivalent to what the run did (or would do in check mode).
  returned: when state is present or absent
  type: list
  elements: str
namespaces:
  description:
    - O(state=gathered) the fabric's namespaces on this host, each as the stager reads it;
    - O(state=absent) the names of the namespaces deleted.
  returned: when state is gathered or absent
  type: raw
kept:
  description: Namespaces named like the fabric's that lack its ownership mark, and were left alone.
  returned: when state is absent
  type: list
  elements: str
record:
  description: This host's entry in the fabric's state record.
  returned: when state is gathered
  type: dict
rendered:
  description: The C(ip)/C(tc) commands that would stage this host's share from scratch.
  returned: when state is rendered
  type: list
  elements: str
validation:
  description:
    - What O(state=validated) found, probing from inside this host's namespaces (UDP datagrams between sockets
      opened there; nothing is started and nothing changed). See "Validation" in the collection's
      C(docs/fabric.md).
    - Any problem (an unreachable pair, a path that loses or refuses datagrams of its planned MTU, lost or
      unspread ECMP flows, a sampled link whose rate, delay or MTU differs from the plan, more ARP entries
      needed than the host allows) makes the task fail with a message naming each one; the result still
      carries RV(validation). Use C(failed_when) or C(ignore_errors) to go on and read it.
  returned: when state is validated
  type: dict
  contains:
    ok:
      description: No problem found.
      type: bool
    problems:
      description: One line per problem, naming the pair, path, leaf or link.
      type: list
      elements: str
    summary_lines:
      description: The readable report (a matrix is printed for each rail with unreachable pairs).
      type: list
      elements: str
    scope:
      description: C(host), C(servers) and C(endpoints) probed here, C(endpoints_elsewhere) (on other hosts,
        not probed).
      type: dict
    reachability:
      description:
        - C(planes) per rail (C(rail<k>); C(fab0) for leaf_spine and clos3) C(servers), C(matrix) (row sends,
          column receives; true, false, null on the diagonal), C(reachable), C(pairs) and C(unreachable)
          ([from, to] pairs).
        - C(across_rails) (rail_optimized) C(rails) and C(reachable)/C(probed) counts per rail pair, each
          endpoint to the next server on every other rail (across the spines).
        - C(failures) with C(plane), C(from), C(to), their addresses and C(reason); C(probes), C(reachable), C(ok).
      type: dict
    mtu:
      description: C(paths) (C(from), C(to), C(via) C(server) or the link id, C(mtu), C(reachable), C(at_mtu) and
        C(over) C(arrived)/C(refused)/C(icmp)/C(lost) with C(at_mtu_detail)/C(over_detail), C(cached_mtu) (a lower
        path MTU the sender had cached from an earlier ICMP error), C(ok)), C(checked), C(failed), C(ok).
      type: dict
    ecmp:
      description: C(flows) per leaf, C(skipped) (why nothing was measured, as in l2 mode) and C(experiments),
        each with C(leaf), C(from), C(to), C(received) and C(tiers) (C(tier) C(spines) or C(super_spines),
        C(nodes), C(packets) counted by the kernel, C(shares), C(imbalance) = busiest over mean, C(interfaces)),
        C(ok).
      type: dict
    links:
      description: C(sampled) link ends (C(link), C(class), C(node), C(netns), C(ifname), C(plan) and C(kernel)
        each with C(qdisc), C(rate_bit), C(delay_us), C(mtu); C(ok)), C(links), C(ends), C(ok).
      type: dict
    neighbours:
      description: C(needed) ARP entries when every fabric address talks to every other on its subnet, against
        C(gc_thresh3) (net.ipv4.neigh.default.gc_thresh3, shared by all namespaces), C(ok).
      type: dict
    settings:
      description: C(sample) (links read back), C(flows) (per ECMP measurement), C(timeout) (seconds a probe
        may take).
      type: dict
    elapsed_s:
      description: Seconds taken by C(connectivity) (reachability and MTU), C(ecmp), C(links) and in C(total).
      type: dict
  sample: {"ok": true, "problems": [], "summary_lines": [
           "fabric f1 on localhost: validation passed in 0.03 s (4 servers, 8 endpoints)",
           "reachability: rail0 12/12, rail1 12/12, across rails 8/8"]}
rollback:
  description: When the kernel refused a change, what the rollback restored and did not, read back from the kernel.
  returned: on failure after a change
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aifabric.emulation.plugins.module_utils.fabric.argspec import ARGUMENT_SPEC, REQUIRED_IF
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric.resource import run_module


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    run_module(module)


if __name__ == "__main__":
    main()
