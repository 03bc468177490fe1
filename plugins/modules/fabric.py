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
  - O(impairments) puts netem rules (and rates) on chosen link ends, in bulk, on top of the staged fabric; O(ttl)
    makes the host revert them by itself at a deadline. See "Impairments and TTL" in C(docs/fabric.md).
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
  impairments:
    description:
      - Impairments on link ends of this host's share of the fabric, one entry per end, in the netem module's bulk
        C(config) entry shape (so a sweep hands over the same list); with O(state=present) (or O(state=rendered),
        which adds the C(tc) commands). Each entry names a fabric link end (O(impairments[].netns) and
        O(impairments[].interface)) and one rule.
      - A step is applied by diff, like the rest of the fabric, and changes only qdiscs, in place (a netem or a
        class is changed, not removed and added, so queued packets stay); a re-run with the same impairments
        changes nothing.
      - The list is the whole set of impairments; ends left out are at the base plan. V([]) or leaving the option
        out puts every impaired end back to the base plan (the fabric as the topology says).
      - A rule means what it means in the netem module, except that C(delay) adds to the link's own delay and
        C(rate) sets the end's htb or tbf rate; C(match) and V(ingress) are refused.
      - While impairments are set (or being removed) and the topology is unchanged, a run reads and changes only
        the qdiscs of the namespaces with impaired ends (RV(read)); anything else that drifted is repaired by the
        next run without impairments.
    type: list
    elements: dict
    suboptions:
      interface:
        description: The link end's interface in O(impairments[].netns), for example V(spine0) in V(f1-rail0).
        type: str
        required: true
        aliases: [dev]
      netns:
        description: The fabric namespace of the end, C(<fabric>-<node>), on this host. Required.
        type: str
      direction:
        description: V(egress) only (netem delays what leaves an end; impair the other end for the other way).
        type: str
        choices: [egress, ingress]
        default: egress
      rules:
        description: Exactly one rule, in the netem module's rule form. Required.
        type: list
        elements: dict
        suboptions:
          name:
            description: Identifies the rule across runs.
            type: str
            default: default
          match:
            description:
              - Refused on a fabric end, which takes one rule for all its traffic (accepted here only because the
                entry has the netem module's shape).
            type: dict
            suboptions:
              dst:
                description: Destination addresses or CIDRs, IPv4 or IPv6.
                type: list
                elements: str
              src:
                description: Source addresses or CIDRs, IPv4 or IPv6.
                type: list
                elements: str
              dscp:
                description: DSCP values (0-63), for example V(26) for the usual RoCEv2 class.
                type: list
                elements: int
          delay:
            description: Added delay, on top of the link's own delay (the emulated cable stays).
            type: dict
            suboptions:
              time:
                description: Delay, for example V(10ms), V(250us).
                type: str
                required: true
              jitter:
                description: Random variation of the delay; needs a delay above 0; at most 2.147483647s.
                type: str
              correlation:
                description: Correlation of successive jitter values, for example V(25%). Needs O(impairments[].rules[].delay.jitter).
                type: str
              distribution:
                description:
                  - Shape of the jitter. V(custom) reads O(impairments[].rules[].delay.distribution_file). Tables come from
                    iproute2's C(.dist) files.
                type: str
                choices: [uniform, normal, pareto, paretonormal, custom]
                default: uniform
              distribution_file:
                description: A table in iproute2 C(maketable) format, for V(custom).
                type: path
          loss:
            description: Packet loss.
            type: dict
            suboptions:
              model:
                description:
                  - V(random) drops independently (with optional correlation); V(gemodel) is Gilbert-Elliott;
                    V(state) is the 4-state Markov model. Parameters follow C(tc-netem).
                type: str
                choices: [random, gemodel, state]
                default: random
              percent:
                description: Loss probability for V(random), for example V(0.1%).
                type: str
              correlation:
                description: Loss correlation for V(random).
                type: str
              p:
                description: Gilbert-Elliott good-to-bad transition probability.
                type: str
              r:
                description: Gilbert-Elliott bad-to-good transition probability (default 100% - p).
                type: str
              one_minus_h:
                description: Gilbert-Elliott loss probability in the bad state (default 100%).
                type: str
              one_minus_k:
                description: Gilbert-Elliott loss probability in the good state (default 0%).
                type: str
              p13:
                description: 4-state model transition probability from state 1 to 3.
                type: str
              p31:
                description: 4-state model transition probability from state 3 to 1 (default 100% - p13).
                type: str
              p32:
                description: 4-state model transition probability from state 3 to 2 (default 0%).
                type: str
              p23:
                description: 4-state model transition probability from state 2 to 3 (default 100%).
                type: str
              p14:
                description: 4-state model transition probability from state 1 to 4 (default 0%).
                type: str
          duplicate:
            description: Packet duplication.
            type: dict
            suboptions:
              percent:
                description: Probability, for example V(1%).
                type: str
                required: true
              correlation:
                description: Correlation with the previous decision.
                type: str
          corrupt:
            description: Single-bit corruption.
            type: dict
            suboptions:
              percent:
                description: Probability, for example V(0.1%).
                type: str
                required: true
              correlation:
                description: Correlation with the previous decision.
                type: str
          reorder:
            description: Send some packets at once, ahead of the delayed ones. Needs O(impairments[].rules[].delay).
            type: dict
            suboptions:
              percent:
                description: Probability, for example V(25%).
                type: str
                required: true
              correlation:
                description: Correlation with the previous decision.
                type: str
              gap:
                description: Reorder every Nth packet (default 1).
                type: int
          rate:
            description:
              - The end's rate, set on its htb or tbf qdisc (not netem's rate); an end the fabric does not shape gets
                the fabric's rate qdisc at this rate. Burst, quantum and queue follow from the rate as the compiler sizes
                them.
            type: dict
            suboptions:
              rate:
                description: Rate in tc units, for example V(10gbit), V(400mbit), V(1500kbps).
                type: str
                required: true
              packet_overhead:
                description: Netem only; must be 0 on a fabric end.
                type: int
                default: 0
              cell_size:
                description: Netem only; must be 0 on a fabric end.
                type: int
                default: 0
              cell_overhead:
                description: Netem only; must be 0 on a fabric end.
                type: int
                default: 0
          slot:
            description:
              - Release packets in slots, as WiFi or DOCSIS links do. Give O(impairments[].rules[].slot.min_delay) (and optionally
                O(impairments[].rules[].slot.max_delay)), or a O(impairments[].rules[].slot.distribution) with O(impairments[].rules[].slot.delay) and
                O(impairments[].rules[].slot.jitter).
            type: dict
            suboptions:
              min_delay:
                description: Shortest time between slots.
                type: str
              max_delay:
                description: Longest time between slots (default O(impairments[].rules[].slot.min_delay)).
                type: str
              distribution:
                description: Distribution of slot intervals.
                type: str
                choices: [normal, pareto, paretonormal, custom]
              distribution_file:
                description: A custom table file, for V(custom).
                type: path
              delay:
                description: Mean slot interval, with O(impairments[].rules[].slot.distribution).
                type: str
              jitter:
                description: Slot interval jitter, with O(impairments[].rules[].slot.distribution).
                type: str
              packets:
                description: Packets per slot (0 = unlimited).
                type: int
                default: 0
              bytes:
                description: Bytes per slot, for example V(64kb) (0 = unlimited).
                type: str
                default: "0"
          ecn:
            description: Mark ECN-capable packets instead of dropping them. Needs O(impairments[].rules[].loss).
            type: bool
            default: false
          limit:
            description:
              - netem's queue limit in packets. When omitted it is sized from the end's rate x (delay + jitter) with
                50% headroom, and never below the link's own netem limit or 1000.
            type: int
          seed:
            description: PRNG seed, so the random decisions (loss, corruption, duplication, jitter) repeat exactly across runs. Linux 6.6 or newer.
            type: int
  ttl:
    description:
      - With O(impairments), arm a revert on this host before anything changes; at the deadline the host re-stages
        the fabric without impairments whether or not a controller still exists (a detached watchdog, or a
        systemd timer where systemd runs the host).
      - Seconds (V(20)) or a duration (V(90s), V(10m), V(1h30m)); 1 s to 30 days.
      - One TTL per fabric and host. Re-running the task within the TTL re-arms it from that moment (a heartbeat).
        A run with impairments and without O(ttl) keeps an armed TTL as it is; a run that leaves nothing impaired,
        and O(state=absent), disarm it.
    type: raw
  ttl_required:
    description:
      - Refuse O(impairments) without a O(ttl), before anything is changed or armed.
      - 'Shared clusters set it for every task through a group variable and C(module_defaults), for example
        C(aifabric.emulation.fabric: {ttl_required: "{{ fabric_ttl_required | default(false) }}"}), as for
        M(aifabric.emulation.netem).'
    type: bool
    default: false
notes:
  - Rendezvous and launcher traffic should use the management network (RV(summary)); impairments never touch it.
  - Link delay needs sch_netem; a topology with delay on a kernel without it is refused before any change.
  - Impairments other than a rate need sch_netem too; on a kernel without it they are refused, naming the
    impairment, before anything is changed or armed.
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

- name: Impair rail 0's uplinks (delay and loss) and slow one server link, reverted by the host after 10 minutes
  aifabric.emulation.fabric:
    topology: "{{ lookup('ansible.builtin.file', 'topology.yml') | ansible.builtin.from_yaml }}"
    impairments:
      - {interface: spine0, netns: f1-rail0, rules: [{delay: {time: 1ms}, loss: {percent: 1%}}]}
      - {interface: spine1, netns: f1-rail0, rules: [{delay: {time: 1ms}, loss: {percent: 1%}}]}
      - {interface: server3, netns: f1-rail1, rules: [{rate: {rate: 10mbit}}]}
    ttl: 10m
  register: impaired

- name: Back to the base fabric (and disarm the TTL)
  aifabric.emulation.fabric:
    topology: "{{ lookup('ansible.builtin.file', 'topology.yml') | ansible.builtin.from_yaml }}"
    impairments: []

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
impairments:
  description:
    - With O(state=present), one entry per impaired end, read back from the kernel after the run (predicted in
      check mode); with O(state=gathered), the ends the state record has impaired, read back the same way.
    - C(netns), C(interface), C(direction), C(link), C(node), C(rule) (the rule as asked for, in the netem
      module's form) and C(kernel) (C(qdisc) htb or tbf or null, C(rate_bit), C(burst_bytes), C(netem) (the
      kernel's netem parameters in the netem module's rule form, delay including the link's own) and
      C(netem_parent) (V(1:1) under the rate qdisc, V(root), or null)).
  returned: when state is present or gathered
  type: list
  elements: dict
  sample: [{"netns": "f1-rail0", "interface": "spine0", "direction": "egress", "link": "rail0~spine0",
            "node": "rail0", "rule": {"delay": {"time": "1ms"}, "loss": {"model": "random", "percent": "1%"}},
            "kernel": {"qdisc": "htb", "rate_bit": 100000000, "burst_bytes": 18028,
                       "netem": {"delay": {"time": "1ms"}, "loss": {"model": "random", "percent": "1%"},
                                 "limit": 1000},
                       "netem_parent": "1:1"}}]
cleared:
  description: The ends the state record had impaired that this run put back to the base plan (C(netns),
    C(interface), C(link)).
  returned: when state is present
  type: list
  elements: dict
read:
  description: What the run read from the kernel, C(mode) V(full) (every namespace) or V(impairments) (only the
    qdiscs of the namespaces with impaired ends, see O(impairments)) and C(namespaces) (how many).
  returned: when state is present
  type: dict
  sample: {"mode": "impairments", "namespaces": 9}
ttl:
  description:
    - The fabric's TTL on this host, or null when none is armed.
    - With O(state=present) C(action) (V(armed), V(rearmed), V(kept), V(disarmed)); with O(state=absent)
      C(action) V(disarmed) when the teardown disarmed one.
  returned: when state is present, gathered or absent
  type: dict
  contains:
    action:
      description: What this run did to the TTL.
      type: str
    ttl:
      description: The TTL as a duration.
      type: str
    seconds:
      description: The TTL in seconds.
      type: float
    deadline:
      description: When the host reverts the impairments (UTC, ISO 8601).
      type: str
    remaining:
      description: Seconds left until then.
      type: float
    armed_at:
      description: When it was last armed (UTC).
      type: str
    rearms:
      description: How many times it was re-armed (heartbeats).
      type: int
    mechanism:
      description: V(watchdog) (a detached process) or V(systemd) (a transient timer).
      type: str
    unit:
      description: The systemd timer's unit, with V(systemd).
      type: str
    ends:
      description: How many ends were impaired when it was armed.
      type: int
  sample: {"action": "armed", "ttl": "10m", "seconds": 600.0, "deadline": "2026-12-01T14:20:00.000Z",
           "remaining": 600.0, "mechanism": "watchdog", "ends": 3}
ttl_fired:
  description: What the fabric's last TTL revert on this host did (C(fired_at), C(outcome), C(commands),
    C(reverted) ends, and the arm record's fields), or null.
  returned: when state is gathered
  type: dict
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
