# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.html: one self-contained page per run (inline CSS, plots as base64 PNG; nothing fetched).

The page is the jinja2 template report.html.j2 beside this file.

Plots (matplotlib, Agg backend): the JCT ratio against each axis with its 95%
CI as error bars, a heatmap when two axes vary, the bisection trace, and the
fabric with the impaired links drawn red and thicker (a dot marks each
sending end, so the direction shows).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import io
import math
import os

import jinja2

from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import outputs, results
from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import plan as sweep_plan
from ansible_collections.aifabric.emulation.plugins.plugin_utils.sweep import spec as sweep_spec

REPORT = "report.html"
TIERS = (("server", "servers"), ("leaf", "leaves"), ("spine", "spines"), ("super_spine", "super-spines"))
RED = "#d62728"
GREY = "#9aa4ad"
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    _pyplot().close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _err(points, field="jct_ratio"):
    ys, lo, hi = [], [], []
    for p in points:
        r = p[field]
        ys.append(r["ratio"])
        lo.append(r["ratio"] - r["low"] if r["low"] is not None else 0.0)
        hi.append(r["high"] - r["ratio"] if r["high"] is not None else 0.0)
    return ys, [lo, hi]


def _target_line(ax, summary):
    ax.axhline(1.0, color=GREY, lw=1, ls=":")
    ax.axhline(summary["target"], color=RED, lw=1, ls="--", label="%g\u00d7 target" % summary["target"])


def axis_plots(spec, summary):
    """One plot per axis with more than one value: JCT ratio (95% CI) against it, a line per other combination."""
    plt = _pyplot()
    out = []
    points = [p for p in summary["points"] if p["jct_ratio"]["ratio"] is not None]
    if spec["order"]["type"] == "bisect" or not points:
        return out
    for ax_spec in spec["axes"]:
        if len(ax_spec["values"]) < 2:
            continue
        name = ax_spec["name"]
        others = [a for a in spec["axes"] if a is not ax_spec and len(a["values"]) > 1]
        fig, ax = plt.subplots(figsize=(7.2, 4.2))
        numeric = ax_spec["numeric"] is not None
        groups = {}
        for p in points:
            groups.setdefault(tuple(p["labels"][o["name"]] for o in others), []).append(p)
        ranks = [[outputs_label(v) for v in o["values"]] for o in others]  # the legend in the axes' own order
        place = dict((combo, tuple(r.index(c) if c in r else len(r) for r, c in zip(ranks, combo))) for combo in groups)
        for i, combo in enumerate(sorted(groups, key=place.get)):
            pts = groups[combo]
            if numeric:
                pts = sorted(pts, key=lambda p: p["numeric"][name])
                xs = [p["numeric"][name] for p in pts]
            else:
                order = [outputs_label(v) for v in ax_spec["values"]]
                pts = sorted(pts, key=lambda p: order.index(p["labels"][name]))
                xs = [order.index(p["labels"][name]) + 0.06 * (i - len(groups) / 2.0) for p in pts]
            ys, yerr = _err(pts)
            label = ", ".join("%s=%s" % (o["name"], c) for o, c in zip(others, combo)) or None
            ax.errorbar(xs, ys, yerr=yerr, marker="o", capsize=4, lw=1.6, color=COLORS[i % len(COLORS)],
                        label=label)
        failed = [p for p in summary["points"] if p["verdict"] == "error"]
        if failed and numeric:
            from matplotlib.transforms import blended_transform_factory
            where = blended_transform_factory(ax.transData, ax.transAxes)
            ax.plot([p["numeric"][name] for p in failed], [0.97] * len(failed), "x", color="#8a2be2", ms=9, mew=2,
                    transform=where, label="every repeat failed")
        if numeric:
            xs_all = [x for x in ax_spec["numeric"] if x is not None]
            if min(xs_all) > 0 and max(xs_all) / min(xs_all) >= 20:
                from matplotlib.ticker import FuncFormatter
                ax.set_xscale("log")
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: "%g" % v))
            ax.set_xlabel("%s (%s) on %s" % (ax_spec["param"].replace("_", " "), ax_spec["unit"],
                                             outputs.describe_links(ax_spec["links"])))
        else:
            ax.set_xticks(range(len(ax_spec["values"])))
            ax.set_xticklabels([outputs_label(v) for v in ax_spec["values"]])
            ax.set_xlabel("%s on %s" % (ax_spec["param"].replace("_", " "), outputs.describe_links(ax_spec["links"])))
        _target_line(ax, summary)
        ax.set_ylabel("JCT ratio to baseline (95% CI)")
        ax.set_title("JCT ratio against %s" % name)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
        fig.tight_layout()
        out.append({"title": "JCT ratio against %s" % name, "png": _png(fig),
                    "caption": "Each point is the ratio of geometric mean JCTs to the baseline; bars are the 95%% "
                               "CI (Welch's; at a point with one repeat, the baseline's spread for it). The dashed "
                               "line is the %g\u00d7 target." % summary["target"]})
    return out


def outputs_label(value):
    return sweep_spec.value_label(value)


def heatmap(spec, summary):
    """A heatmap of the JCT ratio when exactly two axes vary (others at their one value)."""
    varying = [a for a in spec["axes"] if len(a["values"]) > 1]
    if len(varying) != 2 or spec["order"]["type"] == "bisect":
        return None
    plt = _pyplot()
    ax_x, ax_y = varying
    xl = [outputs_label(v) for v in ax_x["values"]]
    yl = [outputs_label(v) for v in ax_y["values"]]
    grid = [[float("nan")] * len(xl) for _row in yl]
    failed = []
    for p in summary["points"]:
        r = p["jct_ratio"]["ratio"]
        cell = (yl.index(p["labels"][ax_y["name"]]), xl.index(p["labels"][ax_x["name"]]))
        if r is not None:
            grid[cell[0]][cell[1]] = r
        elif p["verdict"] == "error":
            failed.append(cell)
    fig, ax = plt.subplots(figsize=(1.2 * len(xl) + 2.8, 0.7 * len(yl) + 2.2))
    im = ax.imshow(grid, cmap="RdYlGn_r", vmin=1.0, vmax=max([summary["target"] * 1.5] +
                                                             [v for row in grid for v in row if not math.isnan(v)]),
                   origin="lower", aspect="auto")
    for yi, row in enumerate(grid):
        for xi, v in enumerate(row):
            if not math.isnan(v):
                r, g, b, _alpha = im.cmap(im.norm(v))
                ax.text(xi, yi, "%.2f" % v, ha="center", va="center", fontsize=9,
                        color="black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white")
    for yi, xi in failed:
        ax.text(xi, yi, "failed", ha="center", va="center", fontsize=9, color="#8a2be2")
    ax.set_xticks(range(len(xl)))
    ax.set_xticklabels(xl)
    ax.set_yticks(range(len(yl)))
    ax.set_yticklabels(yl)
    ax.set_xlabel("%s on %s" % (ax_x["name"], outputs.describe_links(ax_x["links"])))
    ax.set_ylabel("%s on %s" % (ax_y["name"], outputs.describe_links(ax_y["links"])))
    fig.colorbar(im, ax=ax, label="JCT ratio")
    ax.set_title("JCT ratio: %s \u00d7 %s" % (ax_x["name"], ax_y["name"]))
    fig.tight_layout()
    return {"title": "Heatmap of %s and %s" % (ax_x["name"], ax_y["name"]), "png": _png(fig),
            "caption": "JCT ratio at each point of the grid (blank: not recorded; failed: every repeat failed)."}


def bisect_plot(summary):
    trace = summary["bisect"]
    if not trace or not trace["probes"]:
        return None
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    probes = trace["probes"]
    done = [p for p in probes if p["ratio"] is not None]
    xs = [p["x"] for p in done]
    ys = [p["ratio"] for p in done]
    lo = [p["ratio"] - p["ci_low"] if p["ci_low"] is not None else 0 for p in done]
    hi = [p["ci_high"] - p["ratio"] if p["ci_high"] is not None else 0 for p in done]
    colors = [RED if p["decision"] == "crossed" else COLORS[0] if p["decision"] == "below" else GREY for p in done]
    for x, y, l, h, c in zip(xs, ys, lo, hi, colors):
        left.errorbar([x], [y], yerr=[[l], [h]], marker="o", capsize=4, color=c)
    for p in done:
        if p["decision"]:  # a value probed again is numbered once, at its deciding probe
            left.annotate(str(p["probe"]), (p["x"], p["ratio"]), textcoords="offset points", xytext=(6, 4),
                          fontsize=8)
    failed = [p for p in probes if p["ratio"] is None]
    if failed:
        from matplotlib.transforms import blended_transform_factory
        left.plot([p["x"] for p in failed], [0.97] * len(failed), "x", color="#8a2be2", ms=9, mew=2,
                  transform=blended_transform_factory(left.transData, left.transAxes), label="every repeat failed")
    left.axhline(trace["target"], color=RED, lw=1, ls="--")
    lo_b, hi_b = sorted((trace["good"], trace["bad"]))
    left.axvspan(lo_b, hi_b, color=RED, alpha=0.12, label="threshold bracket")
    left.set_xlabel("%s (%s)" % (trace["axis"], trace["unit"]))
    left.set_ylabel("JCT ratio (95% CI)")
    left.set_title("Probes (number = order; red: above target, blue: below)")
    left.grid(True, alpha=0.3)
    left.legend(fontsize=8, loc="upper left")
    # the bracket after each probe
    good, bad = [], []
    g, b = None, None
    for p in probes:
        if p["decision"] == "crossed":
            b = p["x"]
        elif p["decision"] == "below":
            g = p["x"]
        good.append(g)
        bad.append(b)
    n = list(range(len(probes)))
    right.step(n, [v if v is not None else float("nan") for v in good], where="post", color=COLORS[0],
               label="highest value below target" if trace["good"] <= trace["bad"] else "value below target")
    right.step(n, [v if v is not None else float("nan") for v in bad], where="post", color=RED,
               label="value above target")
    right.plot(n, [p["x"] for p in probes], "k.", label="probe")
    right.set_xlabel("probe")
    right.set_ylabel("%s (%s)" % (trace["axis"], trace["unit"]))
    right.set_title("Bracket: %s" % trace["status"].replace("_", " "))
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8)
    fig.tight_layout()
    return {"title": "Bisection trace", "png": _png(fig),
            "caption": "Left: each probe's JCT ratio with its CI; the shaded band is the final bracket. Right: "
                       "how the bracket narrowed, probe by probe."}


def _node_order(plan, role):
    names = [n for n, node in plan["nodes"].items() if node["role"] == role]
    return sorted(names, key=lambda n: (plan["nodes"][n]["pod"] or 0, plan["nodes"][n]["index"], n))


def fabric_plot(spec):
    """The fabric in tiers, impaired links red and thicker, a dot at each impaired sending end."""
    plt = _pyplot()
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import FancyBboxPatch
    ends = sweep_plan.all_ends(spec)
    impaired = {}
    for e in ends:
        impaired.setdefault(e["link"], set()).add(e["node"])
    if spec["plan"] is None:
        return _targets_plot(spec, impaired)
    p = spec["plan"]
    tiers = [(role, label, _node_order(p, role)) for role, label in TIERS if _node_order(p, role)]
    widest = max(len(t[2]) for t in tiers)
    width = min(16.0, max(7.0, 0.55 * widest + 2))
    fig, ax = plt.subplots(figsize=(width, 1.5 * len(tiers) + 1.4))
    pos = {}
    for level, (role, label, names) in enumerate(tiers):
        for i, n in enumerate(names):
            pos[n] = ((i + 0.5) / len(names), float(level))
    box_w = min(0.8 / widest, 0.08)
    hot_lines, cold_lines, dots = [], [], []
    for link in p["links"]:
        a, b = link["ends"][0]["node"], link["ends"][1]["node"]
        if link["id"] in impaired:
            hot_lines.append((pos[a], pos[b]))
            for node in impaired[link["id"]]:
                (sx, sy), (ox, oy) = (pos[node], pos[b if node == a else a])
                dots.append((sx + 0.22 * (ox - sx), sy + 0.22 * (oy - sy)))
        else:
            cold_lines.append((pos[a], pos[b]))
    # collections: one artist per kind, so a fabric of a thousand links draws in a second
    ax.add_collection(LineCollection(cold_lines, colors=GREY, linewidths=0.7 if widest <= 40 else 0.3, zorder=1))
    ax.add_collection(LineCollection(hot_lines, colors=RED, linewidths=2.6 if widest <= 40 else 1.2, zorder=2))
    if dots:
        ax.scatter([d[0] for d in dots], [d[1] for d in dots], s=22 if widest <= 40 else 6, color=RED, zorder=3)
    hot_nodes = set(n for nodes in impaired.values() for n in nodes)
    boxes = [FancyBboxPatch((x - box_w / 2, y - 0.13), box_w, 0.26, boxstyle="round,pad=0.004")
             for n, (x, y) in pos.items()]
    ax.add_collection(PatchCollection(boxes, facecolors=["#fde2e2" if n in hot_nodes else "#e8eef4" for n in pos],
                                      edgecolors=[RED if n in hot_nodes else "#4a5a6a" for n in pos],
                                      linewidths=1, zorder=4))
    for role, label, names in tiers:
        if len(names) > 40:
            continue  # too many boxes in this tier for names
        for n in names:
            x, y = pos[n]
            short = n.replace("pod", "p").replace("server", "s").replace("spine", "sp") if len(names) > 16 else n
            ax.text(x, y, short, ha="center", va="center", fontsize=7 if len(names) > 12 else 8, zorder=5)
    for level, (role, label, names) in enumerate(tiers):
        ax.text(-0.01, level, "%s (%d)" % (label, len(names)), ha="right", va="center", fontsize=9)
    ax.plot([], [], color=RED, lw=2.6, label="impaired (%s)" % ", ".join(a["name"] for a in spec["axes"]))
    ax.plot([], [], "o", color=RED, ms=5, label="sending end that is impaired")
    ax.plot([], [], color=GREY, lw=0.7, label="not impaired")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3, fontsize=8, frameon=False)
    ax.set_xlim(-0.16, 1.02)
    ax.set_ylim(-0.5, len(tiers) - 0.5)
    ax.axis("off")
    ax.set_title("Fabric %s (%s, %s): %d of %d links impaired" % (p["fabric"], p["kind"], p["mode"], len(impaired),
                                                                  len(p["links"])))
    fig.tight_layout()
    return {"title": "Fabric", "png": _png(fig),
            "caption": "Servers at the bottom, then leaves (rails), spines and super-spines. Red links carry the "
                       "sweep's impairments; a dot sits next to each end whose egress is impaired."}


def _targets_plot(spec, impaired):
    plt = _pyplot()
    targets = spec["targets"]
    hosts = sorted(set(t["host"] for t in targets))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(targets)), 2.6))
    for i, t in enumerate(targets):
        hot = "%s/%s" % (t["host"], t["interface"]) in impaired
        x = (i + 0.5) / len(targets)
        ax.add_patch(_box(x, 0.5, 0.8 / len(targets), 0.3, hot))
        ax.text(x, 0.5, "%s\n%s%s" % (t["host"], t["interface"], " (%s)" % t["netns"] if t["netns"] else ""),
                ha="center", va="center", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    ax.set_title("%d interfaces on %d hosts; red: impaired" % (len(targets), len(hosts)))
    fig.tight_layout()
    return {"title": "Targets", "png": _png(fig), "caption": "The plain interfaces the sweep impairs."}


def _box(x, y, w, h, hot):
    from matplotlib.patches import FancyBboxPatch
    return FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.01", fc="#fde2e2" if hot else "#e8eef4",
                          ec=RED if hot else "#4a5a6a")


def plots(spec, summary):
    """Every plot of the report, in page order: [{title, png (base64), caption}]."""
    out = []
    try:
        _pyplot()
    except ImportError as e:
        return [{"title": "Plots", "png": None, "caption": "no plots: matplotlib is missing (%s); install the "
                 "collection's requirements.txt" % e}]
    out.extend(axis_plots(spec, summary))
    for extra in (heatmap(spec, summary), bisect_plot(summary), fabric_plot(spec)):
        if extra:
            out.append(extra)
    return out


TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.html.j2")


def _short(r):
    return "n/a" if r is None or r.get("ratio") is None else "%.3g" % r["ratio"]


def render(spec, summary):
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals.update(ratio=outputs.fmt_ratio, short=_short,
                       labels=lambda vs: ", ".join(outputs_label(v) for v in vs))
    with open(TEMPLATE) as f:
        template = env.from_string(f.read())
    return template.render(s=summary, spec=spec, plots=plots(spec, summary))


def write(run_dir, spec=None, summary=None):
    """report.html in run_dir (spec and summary computed from it when not given); returns its path."""
    if spec is None:
        spec = results.Store(run_dir).read_spec()
    if summary is None:
        summary = outputs.summarize(spec, results.Store(run_dir).records(spec["spec_hash"]))
    path = os.path.join(run_dir, REPORT)
    results.write_text(path, render(spec, summary))
    return path
