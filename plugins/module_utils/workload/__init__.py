# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Workloads run over an emulated fabric, all measured the same way (docs/workloads.md).

model (options -> a checked job), ranks (the fabric's servers as ranks), metrics (the
result shape, percentiles, nccl-tests' bandwidth factors), parsers (tool outputs), runner
(process groups with a deadline), allreduce (Open MPI rings) and allreduce_driver (the
rank program), tools (iperf3, perftest, nccl-tests, command), core (type -> runner).
"""
