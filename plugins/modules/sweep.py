#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sweep
short_description: The controller side of an impairment sweep (plan, record, next probe, report)
version_added: 0.4.0
description:
  - Runs on the controller only (an action plugin); the role C(aifabric.emulation.sweep) calls it once per step
    while it applies each point's impairments and runs the workload on the hosts.
  - O(step=plan) validates the sweep spec (C(docs/sweep.md)) before anything is applied, naming the field on bad
    input, writes C(spec.json) into the run directory and lists what is left to run, so a killed sweep re-run
    with the same spec skips the points already recorded.
  - O(step=record) appends one point's repeats (or the baseline's) to C(records.jsonl), flushed and fsynced,
    and returns the progress line (the point, its JCT ratio with a 95% confidence interval, the ETA).
  - O(step=next) gives the next probe of a bisect from the records so far.
  - O(step=report) writes C(summary.csv), C(summary.json), C(junit.xml) and C(report.html) and returns the
    headline; it fails when a threshold is breached, unless O(fail_on_breach=false).
author:
  - aifabric.emulation contributors (@aifabric)
requirements:
  - On the controller, jinja2 and matplotlib (for report.html).
options:
  spec:
    description: The sweep spec (name, fabric or targets, workload, axes, order, repeats, thresholds, output).
    type: dict
    required: true
  step:
    description: Which step to run.
    type: str
    choices: [plan, record, next, report]
    required: true
  hosts:
    description: The physical hosts the play runs on; each point's impairments are split among them.
    type: list
    elements: str
  point:
    description: For O(step=record), the point (as O(step=plan) or O(step=next) returned it); null for the baseline.
    type: dict
  results:
    description: For O(step=record), the workload module's results, one per repeat.
    type: list
    elements: dict
  host_facts:
    description: For O(step=record), per host facts to keep with the record (kernel, netem features).
    type: dict
  readback:
    description: For O(step=record), the impairments as read back from the kernel.
    type: dict
  started:
    description: For O(step=record), when the point started (seconds since the epoch).
    type: float
  fail_on_breach:
    description: For O(step=report), fail when a threshold is breached (the outputs are written first).
    type: bool
    default: true
attributes:
  check_mode:
    description: The steps only read and write the run directory on the controller.
    support: none
  diff_mode:
    description: Nothing to diff.
    support: none
  platform:
    description: Runs on the controller.
    support: full
    platforms: posix
  action:
    description: An action plugin on the controller.
    support: full
seealso:
  - module: aifabric.emulation.workload
  - module: aifabric.emulation.fabric
"""

EXAMPLES = r"""
- name: Plan a sweep (the role does this, then runs each point)
  aifabric.emulation.sweep:
    step: plan
    spec: "{{ sweep_spec }}"
  register: plan
  run_once: true
"""

RETURN = r"""
pending:
  description: For O(step=plan), the points not yet recorded, in run order.
  returned: when step is plan
  type: list
  elements: dict
baseline_left:
  description: For O(step=plan), baseline repeats still to run.
  returned: when step is plan
  type: int
progress:
  description: For O(step=record), one line on the point just recorded.
  returned: when step is record
  type: str
  sample: "[3/9] delay=50us loss=0.1%  JCT 1.42x (95% CI 1.31-1.55)  ETA 4m10s"
point:
  description: For O(step=next), the next bisect probe, or null when the bisect is done.
  returned: when step is next
  type: dict
headline:
  description: For O(step=report), the finding in one sentence.
  returned: when step is report
  type: str
report:
  description: For O(step=report), the path of report.html.
  returned: when step is report
  type: str
breaches:
  description: For O(step=report), the points that breached a threshold, and how.
  returned: when step is report
  type: list
  elements: dict
"""
