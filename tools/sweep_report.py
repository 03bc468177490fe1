#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regenerate a sweep's outputs and report from its run directory (spec.json and records.jsonl).

Exit status: 0; with --check, 1 when a point breached a threshold or failed, or there is no baseline.
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
COLLECTIONS = os.path.join(REPO, ".cache", "collections")


def _collection_path():
    """The link tools/bootstrap makes, so the checkout imports as ansible_collections.aifabric.emulation."""
    parent = os.path.join(COLLECTIONS, "ansible_collections", "aifabric")
    link = os.path.join(parent, "emulation")
    if not os.path.exists(os.path.join(link, "galaxy.yml")):
        os.makedirs(parent, exist_ok=True)
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(os.path.join("..", "..", "..", ".."), link)
    sys.path.insert(0, COLLECTIONS)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", help="the sweep's run directory (its output)")
    ap.add_argument("--demo", choices=("one_axis", "two_axes", "bisect"),
                    help="first write a synthetic run of this kind into run_dir (for trying the report)")
    ap.add_argument("--no-html", action="store_true", help="write summary.csv, summary.json and junit.xml only")
    ap.add_argument("--check", action="store_true", help="exit 1 if a point failed or breached a threshold")
    args = ap.parse_args(argv)
    _collection_path()
    from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import demo, outputs, report

    if args.demo:
        demo.synthetic_run(args.run_dir, args.demo, fail_index=2)
    if not os.path.exists(os.path.join(args.run_dir, "spec.json")):
        print("sweep_report: %s has no spec.json: not a sweep's run directory" % args.run_dir, file=sys.stderr)
        return 2
    summary = outputs.write_all(args.run_dir)
    written = [outputs.SUMMARY_JSON, outputs.SUMMARY_CSV, outputs.JUNIT_XML]
    if not args.no_html:
        report.write(args.run_dir, summary=summary)
        written.append(report.REPORT)
    print(summary["headline"])
    c = summary["counts"]
    print("%d of %d points recorded: %d passed, %d breached a threshold, %d failed; wrote %s in %s"
          % (c["recorded"], c["planned"], c["passed"], c["failed"], c["errors"], ", ".join(written), args.run_dir))
    if args.check and (c["failed"] or c["errors"] or summary["baseline"] is None):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
