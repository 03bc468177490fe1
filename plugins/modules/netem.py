#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: netem
short_description: Impair links with tc netem, idempotently, over netlink
version_added: 0.1.0
description:
  - Sets network impairments (delay, jitter, loss, duplication, corruption, reordering, rate, slots, ECN) with the
    Linux C(netem) qdisc, on egress or (through an IFB device the module owns) on ingress.
  - Several named rules can share one interface; each rule can target only some traffic by destination, source
    or DSCP, for example only the RoCE class or only one peer.
  - Talks netlink directly; it never runs C(tc). RV(commands) shows the equivalent C(tc) lines.
  - Only objects this collection created are changed or removed (root handle C(fab0:), its children and filters,
    its IFB devices). A foreign root qdisc makes the module fail and is left untouched.
  - Hardware RoCE (for example ConnectX) sends RDMA traffic past the kernel qdisc, so netem on such a port only
    impairs kernel-stack traffic (TCP, soft-RoCE). Impair an in-path bridge or namespace to affect hardware RoCE.
  - With O(ttl), an impairment ends by itself. The host reverts it at the deadline, with no controller involved,
    so an impairment outlives neither a dead controller nor a lost SSH session by more than its TTL. Re-running
    the task within the TTL is a heartbeat that moves the deadline. With O(schedule), the impairment changes over
    time (link flaps, ramps, or the replay of a trace). The schedule runs on the host under the same TTL. See the
    collection's docs/ttl.md.
author:
  - aifabric.emulation contributors (@aifabric)
requirements:
  - Linux with the sch_netem module; ifb and u32 for ingress and matched rules.
  - Linux 6.6 or newer for O(rules[].seed).
extends_documentation_fragment:
  - aifabric.emulation.attributes
options:
  interface:
    description:
      - Network interface to impair (one-interface form). Required unless O(state=gathered) or O(config) is set.
    type: str
    aliases: [dev]
  netns:
    description:
      - Named network namespace (as in C(ip netns)) or a path to a namespace file. Default is the namespace of
        the Ansible process.
    type: str
  direction:
    description:
      - V(egress) impairs packets the interface sends; V(ingress) redirects received packets through an IFB device
        named C(ifb-<interface>) and impairs them there.
    type: str
    choices: [egress, ingress]
    default: egress
  state:
    description:
      - The same names mean the same in every module of this collection.
      - V(merged) (alias V(present)) adds or updates the named rules and keeps the other rules on the interface.
        An empty O(rules) list is an error with this state, since it would change nothing; to remove every rule,
        use V(deleted) and leave O(rules) out, or V(replaced) with an empty list.
      - V(replaced) makes the given rules the only ones on the interface and direction; an empty list removes
        them all.
      - V(overridden) is V(replaced) for every entry given, and also removes every tree this collection owns on
        interfaces not given, in the namespaces named.
      - V(deleted) (alias V(absent)) removes the named rules, or everything this collection owns on the interface
        and direction when O(rules) is omitted.
      - V(gathered) reads the rules from the kernel into RV(gathered), for the interfaces given or for all.
      - V(rendered) returns the equivalent C(tc) commands in RV(rendered) without touching the kernel.
      - V(parsed) reads O(running_config), the output of C(tc -j qdisc show), into RV(parsed) without touching
        the kernel.
    type: str
    choices: [merged, present, replaced, overridden, deleted, absent, gathered, rendered, parsed]
    default: merged
  running_config:
    description:
      - With O(state=parsed), the JSON text printed by C(tc -j qdisc show).
    type: str
  allow_management:
    description:
      - Allow impairing the interface that carries the Ansible connection. The controller tells the module which
        address it connected to, so this works under C(become); see the collection's docs/guard.md.
    type: bool
    default: false
  ttl:
    description:
      - Dead-man timer. The impairment is reverted on the host this long after the task ran, for example V(20)
        (seconds), V(90s), V(10m), V(1h) or V(1h30m). It must be between 1 second and 30 days.
      - The revert is armed before anything changes. At the deadline, the host removes the objects that this
        collection owns on each interface and direction of the task, as O(state=absent) would. Foreign qdiscs are
        not touched.
      - B(Heartbeat.) A re-run within the TTL re-arms it from that moment. When the rules are the same, the qdiscs
        are not rewritten. The task then reports C(changed=false) and RV(ttl.action=rearmed). A run without
        O(ttl) leaves an armed TTL as it is (RV(ttl.action=kept)). O(state=absent) disarms it.
      - On a host that runs systemd, a transient timer (C(systemd-run --on-active)) named
        C(aifabric-netem-<netns>-<interface>-<direction>) does the revert. Without systemd (containers, small
        VMs), a detached watchdog process named C(aifabric-ttl) does it. Either way, there is one per interface
        and direction, never a pile-up, and it needs no controller.
      - A fired revert leaves a line in syslog or the journal and in C(/run/aifabric-emulation/netem/ttl/ttl.log).
        It also leaves a record, C(<netns>:<interface>:<direction>.fired.json), in the same directory.
      - Applies with O(state=merged), O(state=replaced) and O(state=overridden); ignored otherwise. With O(config),
        it applies to every entry that does not set its own O(config[].ttl).
    type: raw
  ttl_required:
    description:
      - Refuse impairments without a O(ttl).
      - 'Shared clusters set this for every netem task through a group variable and C(module_defaults), for
        example C(aifabric.emulation.netem: {ttl_required: "{{ netem_ttl_required | default(false) }}"}) in the
        play''s C(module_defaults).'
    type: bool
    default: false
  schedule:
    description:
      - A time-varying profile for one rule of the task, run on the host under O(ttl). O(ttl) is required and must
        be at least as long as the schedule.
      - "The schedule starts when the task has applied the rules. Each step changes the netem qdisc in place, as
        C(tc qdisc change) does: one netlink request, and the packets already queued stay queued."
      - Every step is validated like O(rules) before anything is applied, so a ramp to a value the module would
        refuse fails the task, naming the field.
      - A re-run with the same schedule, within the TTL, does not restart it and does not reset the values it has
        set. A run without it ends it. O(state=absent) stops it and brings a flapped link up again.
    type: dict
    suboptions: &schedule_options
      type:
        description:
          - V(flap) takes the link down (O(schedule.mode=link)) or drops every packet (O(schedule.mode=loss)) for
            O(schedule.down), every O(schedule.every), O(schedule.count) times. The first flap starts at once.
          - V(ramp) moves O(schedule.parameter) from O(schedule.start) to O(schedule.end) over
            O(schedule.duration), in O(schedule.steps) equal steps. Step 0, at once, sets O(schedule.start).
          - V(trace) replays rows of C(t, delay, jitter, loss, rate) from O(schedule.file) or
            O(schedule.content), for example a CSV exported from production telemetry.
        type: str
        choices: [flap, ramp, trace]
        required: true
      rule:
        description: Name of the rule the schedule drives. It may be left out when the task has only one rule.
        type: str
      mode:
        description: For V(flap), V(loss) sets 100% loss; V(link) sets the interface down and up again.
        type: str
        choices: [loss, link]
        default: loss
      down:
        description: For V(flap), how long each flap lasts, for example V(2s) or V(500ms).
        type: str
      every:
        description: For V(flap), the period, longer than O(schedule.down). Required when O(schedule.count) is above 1.
        type: str
      count:
        description: For V(flap), how many flaps.
        type: int
        default: 1
      parameter:
        description:
          - For V(ramp), what changes. V(delay) and V(jitter) use time units, V(loss) a percentage, and V(rate) tc
            rate units.
          - Loss values set random loss; they replace the rule's loss model.
        type: str
        choices: [delay, jitter, loss, rate]
      start:
        description: For V(ramp), the first value, for example V(10ms), V(0%) or V(10gbit).
        type: str
      end:
        description: For V(ramp), the last value.
        type: str
      duration:
        description: For V(ramp), how long the ramp takes, for example V(60s) or V(5m).
        type: str
      steps:
        description: For V(ramp), how many equal steps, from 1 to 1000.
        type: int
      file:
        description:
          - For V(trace), a CSV file on the managed host.
          - Each row is C(t, delay, jitter, loss, rate). C(t) is the time from the start, in seconds or with a unit.
            The times must increase.
          - An empty cell keeps the rule's value. Plain numbers are milliseconds for delay and jitter, percent for
            loss, and Mbit/s for rate. Values with units are read like O(rules).
          - A header row may name the columns, in any order, for example C(t,loss). Lines starting with C(#) are
            skipped. There are at most 10000 rows. An error names the row's line number.
        type: path
      content:
        description: For V(trace), the CSV text itself, instead of O(schedule.file).
        type: str
  rules:
    description:
      - Impairment rules. At most one rule may omit O(rules[].match); it applies to all traffic no other rule
        matches. The first matching rule wins, in the order given.
      - "A string is shorthand for the section's main value: O(rules[].delay=5ms) means C(delay: {time: 5ms}),
        O(rules[].loss=1%) means C(loss: {percent: 1%}), and likewise C(rate), C(duplicate), C(corrupt) and
        C(reorder)."
    type: list
    elements: dict
    suboptions: &rule_options
      name:
        description: Identifies the rule across runs.
        type: str
        default: default
      match:
        description:
          - Impair only matching packets. Lists are alternatives; different keys must all match.
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
        description: Added delay.
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
            description: Correlation of successive jitter values, for example V(25%). Needs O(rules[].delay.jitter).
            type: str
          distribution:
            description:
              - Shape of the jitter. V(custom) reads O(rules[].delay.distribution_file). Tables come from
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
        description: Send some packets at once, ahead of the delayed ones. Needs O(rules[].delay).
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
        description: Rate limit inside netem. Rates above 4.29 Gbit/s use the 64-bit attribute.
        type: dict
        suboptions:
          rate:
            description: Rate in tc units, for example V(10gbit), V(400mbit), V(1500kbps).
            type: str
            required: true
          packet_overhead:
            description: Bytes added to (or, negative, removed from) each packet for the rate calculation.
            type: int
            default: 0
          cell_size:
            description: Link-layer cell size in bytes (for example 53 for ATM).
            type: int
            default: 0
          cell_overhead:
            description: Bytes of overhead per cell.
            type: int
            default: 0
      slot:
        description:
          - Release packets in slots, as WiFi or DOCSIS links do. Give O(rules[].slot.min_delay) (and optionally
            O(rules[].slot.max_delay)), or a O(rules[].slot.distribution) with O(rules[].slot.delay) and
            O(rules[].slot.jitter).
        type: dict
        suboptions:
          min_delay:
            description: Shortest time between slots.
            type: str
          max_delay:
            description: Longest time between slots (default O(rules[].slot.min_delay)).
            type: str
          distribution:
            description: Distribution of slot intervals.
            type: str
            choices: [normal, pareto, paretonormal, custom]
          distribution_file:
            description: A custom table file, for V(custom).
            type: path
          delay:
            description: Mean slot interval, with O(rules[].slot.distribution).
            type: str
          jitter:
            description: Slot interval jitter, with O(rules[].slot.distribution).
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
        description: Mark ECN-capable packets instead of dropping them. Needs O(rules[].loss).
        type: bool
        default: false
      limit:
        description:
          - Queue limit in packets. When omitted it is sized from rate x (delay + jitter) with 50% headroom,
            assuming 100 Gbit/s when no rate is set, and never below 1000.
        type: int
      seed:
        description: PRNG seed, so the random decisions (loss, corruption, duplication, jitter) repeat exactly across runs. Linux 6.6 or newer.
        type: int
  config:
    description:
      - Bulk form, one entry per interface and direction, in any namespaces; one task then impairs every link of
        a fabric. Each namespace is read once and changed in batches, and a refusal anywhere rolls back every
        entry of the task. Mutually exclusive with O(interface) and O(rules).
    type: list
    elements: dict
    suboptions:
      interface:
        description: Network interface to impair, at most 15 bytes.
        type: str
        required: true
        aliases: [dev]
      netns:
        description: Named network namespace or a path to a namespace file. Default the Ansible process's own.
        type: str
      direction:
        description: As O(direction).
        type: str
        choices: [egress, ingress]
        default: egress
      rules:
        description: As O(rules). Required unless O(state=deleted) or O(state=gathered).
        type: list
        elements: dict
        suboptions: *rule_options
      ttl:
        description: As O(ttl), for this entry. It overrides the task's O(ttl).
        type: raw
      schedule:
        description: As O(schedule), for this entry.
        type: dict
        suboptions: *schedule_options
notes:
  - Runs on the managed host as root. Uses only netlink; no C(tc) process is started.
  - Names and distribution tables of rules, which the kernel does not report, are kept in
    C(/run/aifabric-emulation); without that record a rule is named C(default) or C(ruleN).
seealso:
  - name: tc-netem(8)
    description: The netem qdisc.
    link: https://man7.org/linux/man-pages/man8/tc-netem.8.html
"""

EXAMPLES = r"""
- name: 5 ms +- 1 ms pareto delay and 0.1% loss on all egress traffic of a rail
  aifabric.emulation.netem:
    interface: eth1
    rules:
      - delay: {time: 5ms, jitter: 1ms, distribution: pareto}
        loss: {percent: 0.1%}

- name: Impair only the RoCE class (DSCP 26) towards one peer, reproducibly
  aifabric.emulation.netem:
    interface: eth1
    rules:
      - name: roce-to-peer
        match: {dst: [10.0.1.2/32], dscp: [26]}
        loss: {model: gemodel, p: 1%, r: 30%}
        seed: 42

- name: Bottleneck an emulated uplink in a namespace to 25 Gbit/s with 50 us of delay
  aifabric.emulation.netem:
    netns: leaf1
    interface: up0
    state: replaced
    rules:
      - delay: {time: 50us}
        rate: {rate: 25gbit}

- name: Delay what eth1 receives (through an IFB device)
  aifabric.emulation.netem:
    interface: eth1
    direction: ingress
    rules:
      - delay: {time: 2ms}

- name: Impair every uplink of an emulated fabric in one task (two namespaces, both directions)
  aifabric.emulation.netem:
    config:
      - {interface: up0, netns: leaf1, rules: [{delay: 50us, rate: 25gbit}]}
      - {interface: up1, netns: leaf1, rules: [{delay: 50us, rate: 25gbit}]}
      - {interface: up0, netns: leaf2, direction: ingress, rules: [{loss: 0.1%}]}

- name: Exactly these impairments in leaf1; every other tree this collection owns there is removed
  aifabric.emulation.netem:
    state: overridden
    config:
      - {interface: up0, netns: leaf1, rules: [{delay: 100us}]}

- name: Read back every impairment this collection owns
  aifabric.emulation.netem:
    state: gathered
  register: impairments

- name: Turn tc's own view into the module's shape, without touching the kernel
  aifabric.emulation.netem:
    state: parsed
    running_config: "{{ lookup('ansible.builtin.pipe', 'tc -j qdisc show') }}"
  register: seen

- name: Remove all impairments from eth1
  aifabric.emulation.netem:
    interface: eth1
    state: deleted

- name: 1% loss that the host removes by itself after 10 minutes, even if the controller dies
  aifabric.emulation.netem:
    interface: eth1
    rules: [{loss: 1%}]
    ttl: 10m

- name: Heartbeat - re-running the same task within the TTL moves the deadline; the qdiscs stay as they are
  aifabric.emulation.netem:
    interface: eth1
    rules: [{loss: 1%}]
    ttl: 10m
  register: beat

- name: Show the deadline and the remaining time
  ansible.builtin.debug:
    msg: "{{ beat.ttl.action }} until {{ beat.ttl.deadline }} ({{ beat.ttl.remaining }} s left)"

- name: Flap a rail - 100% loss for 2 s every 30 s, 10 times, on a 5 ms delay
  aifabric.emulation.netem:
    interface: eth1
    rules: [{delay: 5ms}]
    schedule: {type: flap, mode: loss, down: 2s, every: 30s, count: 10}
    ttl: 6m

- name: Take the link down for 5 s, three times a minute
  aifabric.emulation.netem:
    interface: eth1
    rules: [{delay: 1ms}]
    schedule: {type: flap, mode: link, down: 5s, every: 20s, count: 3}
    ttl: 2m

- name: Ramp the delay of the RoCE class from 10 us to 2 ms over 5 minutes in 20 steps
  aifabric.emulation.netem:
    interface: eth1
    rules:
      - name: roce
        match: {dscp: [26]}
        delay: 10us
    schedule: {type: ramp, rule: roce, parameter: delay, start: 10us, end: 2ms, duration: 5m, steps: 20}
    ttl: 10m

- name: Replay a telemetry trace (t, delay, jitter, loss, rate) shipped with the playbook
  aifabric.emulation.netem:
    interface: eth1
    rules: [{delay: 1ms}]
    schedule:
      type: trace
      content: "{{ lookup('ansible.builtin.file', 'traces/incident.csv') }}"
    ttl: 1h

- name: Stop a running schedule, bring the link up and remove the impairment (also disarms the TTL)
  aifabric.emulation.netem:
    interface: eth1
    state: absent
"""

RETURN = r"""
before:
  description:
    - Rules on the interface and direction before the task, in the form of O(rules).
    - With O(config), a list of C(interface), C(netns), C(direction) and C(rules), one per entry.
  returned: when state is merged, replaced, overridden or deleted
  type: list
  elements: dict
  sample: [{"name": "default", "delay": {"time": "10ms"}, "limit": 1000}]
after:
  description: Rules read back from the kernel after the task (predicted in check mode), shaped like RV(before).
  returned: when state is merged, replaced, overridden or deleted
  type: list
  elements: dict
  sample: [{"name": "default", "delay": {"time": "20ms"}, "limit": 1000}]
commands:
  description: The C(tc) and C(ip) commands equivalent to the changes made (or that would be made).
  returned: when state is merged, replaced, overridden or deleted
  type: list
  elements: str
  sample: ["tc qdisc replace dev eth1 root handle fab0: netem limit 1000 delay 20ms"]
results:
  description: With O(config), one result per entry, in the order given.
  returned: when O(config) is given and state is merged, replaced, overridden or deleted
  type: list
  elements: dict
  sample: [{"interface": "eth1", "netns": "rack1", "direction": "egress", "changed": true, "before": [],
            "after": [{"name": "default", "delay": {"time": "2ms"}, "limit": 1000}], "commands": []}]
ttl:
  description:
    - The dead-man timer of the interface and direction, after the task. With O(config), each of RV(results)
      has its own RV(ttl).
  returned: when a TTL is armed, kept or disarmed
  type: dict
  contains:
    action:
      description:
        - V(armed) (a new TTL), V(rearmed) (a heartbeat), V(kept) (armed before, and this task gave no O(ttl)) or
          V(disarmed).
      type: str
      returned: always
    ttl:
      description: The TTL, as a duration.
      type: str
      returned: always
    seconds:
      description: The TTL in seconds.
      type: float
      returned: unless disarmed
    deadline:
      description: When the revert fires, in UTC.
      type: str
      returned: unless disarmed
    remaining:
      description: Seconds left until the revert.
      type: float
      returned: unless disarmed
    armed_at:
      description: When the TTL was last armed, in UTC.
      type: str
      returned: unless disarmed or in check mode
    rearms:
      description: How many heartbeats re-armed it.
      type: int
      returned: unless disarmed or in check mode
    mechanism:
      description: V(systemd) (a transient timer) or V(watchdog) (a detached process on the host).
      type: str
      returned: unless disarmed
    unit:
      description: The systemd timer's unit name.
      type: str
      returned: when the mechanism is systemd
    schedule:
      description:
        - The schedule, when one runs. It gives the type, the rule it drives, the number of steps and the length,
          with the options of its type, when it started, its C(state) (V(pending), V(running), V(done),
          V(failed), V(stopped) or V(ended)) and how many steps are C(done).
      type: dict
      returned: when a schedule was given
  sample: {"action": "rearmed", "ttl": "10m", "seconds": 600, "deadline": "2026-12-01T14:10:00.000Z",
           "remaining": 600.0, "armed_at": "2026-12-01T14:00:00.000Z", "rearms": 1, "mechanism": "watchdog",
           "schedule": {"type": "flap", "rule": "default", "steps": 20, "duration": "4m32s", "mode": "loss",
                        "down": "2s", "every": "30s", "count": 10, "started_at": "2026-12-01T13:58:00.000Z",
                        "state": "running", "done": 5}}
rollback:
  description:
    - When the kernel refused a change, what the rollback restored, read back from the kernel.
    - C(complete) is true only when every object the task touched is as it was before.
  returned: failure after a change was attempted
  type: dict
  sample: {"complete": true, "restored": ["rack1:eth1/egress"], "not_restored": [], "errors": []}
parsed:
  description:
    - O(running_config) read into the shape of RV(gathered). Filters (O(rules[].match)), rule names and
      distribution names are not in C(tc qdisc) output, so they are not recovered.
  returned: when state is parsed
  type: list
  elements: dict
  sample: [{"interface": "eth1", "netns": null, "direction": "egress", "rules": [{"name": "default"}]}]
gathered:
  description:
    - Every owned impairment found, per interface and direction.
    - C(ttl) is the TTL armed on it, shaped like RV(ttl), with the deadline and the remaining time, or null.
  returned: when state is gathered
  type: list
  elements: dict
  sample: [{"interface": "eth1", "netns": null, "direction": "egress", "rules": [{"name": "default"}],
            "ttl": {"ttl": "10m", "deadline": "2026-12-01T14:10:00.000Z", "remaining": 431.5,
                    "mechanism": "watchdog"}}]
rendered:
  description: The C(tc) and C(ip) commands that would build the rules from scratch.
  returned: when state is rendered
  type: list
  elements: str
  sample: ["tc qdisc add dev eth1 root handle fab0: netem limit 1000 delay 10ms"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aifabric.emulation.plugins.module_utils.netem.argspec import (
    ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_IF)
from ansible_collections.aifabric.emulation.plugins.module_utils.netem.resource import run_module


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF,
                           mutually_exclusive=MUTUALLY_EXCLUSIVE, supports_check_mode=True)
    run_module(module)


if __name__ == "__main__":
    main()
