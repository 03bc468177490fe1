# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Statistics of a sweep: the JCT ratio of a point to the baseline, with a 95% confidence interval.

Method (docs/sweep.md): JCTs are positive and their noise is multiplicative,
so the ratio is computed on log(JCT). With x_i the point's repeats and b_j
the baseline's,

    d  = mean(log x) - mean(log b)          ratio = exp(d) (the ratio of geometric means)
    se = sqrt(s_x^2 / n_x + s_b^2 / n_b)    s^2: sample variances of the logs
    df = se^4 / ((s_x^2/n_x)^2/(n_x-1) + (s_b^2/n_b)^2/(n_b-1))   (Welch-Satterthwaite)
    CI = exp(d -+ t(0.975, df) * se)

Welch's t-interval does not assume equal variances (an impaired point is
usually noisier than the baseline). It needs at least two repeats on each
side. A point with one repeat (a sweep that trades repeats for points) gets
the pooled interval instead: its variance is taken to be the baseline's,
se = s_b * sqrt(1 + 1/n_b), df = n_b - 1 (method "pooled": an assumption,
since an impaired point is usually noisier, so the interval is a lower
bound on the uncertainty). A baseline with fewer than two repeats gives no
interval (low and high are None). The
Student t quantile is computed here (regularised incomplete beta, inverted by
bisection), so no scipy is needed.

A repeat is what the workload module returns for one run (its result keys:
jct_s, step_p50_s, step_p99_s, ranks, bytes, algbw_gbps, busbw_gbps, ...), plus
ok (default: not failed) and error. busbw comes from busbw_gbps, else from
algbw_gbps with ranks and collective (nccl-tests' factors); these figures may
also sit under a `metrics` dict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

LEVEL = 0.95
NO_RATIO = {"ratio": None, "low": None, "high": None, "df": None, "n": 0, "n_baseline": 0}
METHOD = ("Welch's t-interval on log(JCT) of the point's repeats against the baseline's, exponentiated: "
          "the ratio of geometric means with a 95% confidence interval (a point with one repeat: the baseline's "
          "variance for it, df = n_b - 1)")

# nccl-tests: busbw = algbw x factor (n ranks)
BUSBW_FACTORS = {
    "all_reduce": lambda n: 2.0 * (n - 1) / n,
    "reduce_scatter": lambda n: (n - 1.0) / n,
    "all_gather": lambda n: (n - 1.0) / n,
    "alltoall": lambda n: (n - 1.0) / n,
    "broadcast": lambda n: 1.0,
    "reduce": lambda n: 1.0,
}
_ALIASES = {"allreduce": "all_reduce", "reducescatter": "reduce_scatter", "allgather": "all_gather",
            "all_to_all": "alltoall", "all2all": "alltoall", "sendrecv": "broadcast"}


# ------------------------------------------------------------ Student t --


def _betacf(a, b, x):
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a, b, x):
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    ln = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x)
    front = math.exp(ln)
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1 - x) / b


def t_cdf(t, df):
    x = df / (df + t * t)
    tail = 0.5 * betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


def t_quantile(p, df):
    """The p-quantile of Student's t with df (may be fractional) degrees of freedom, p in (0.5, 1)."""
    if df is None or math.isinf(df):
        return normal_quantile(p)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _step in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


def normal_quantile(p):
    lo, hi = 0.0, 40.0
    for _step in range(200):
        mid = (lo + hi) / 2.0
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


# ---------------------------------------------------------------- ratio --


def _mean_var(xs):
    n = len(xs)
    m = sum(xs) / n
    v = sum((x - m) ** 2 for x in xs) / (n - 1) if n > 1 else None
    return m, v


def ratio_ci(xs, bs, level=LEVEL):
    """{ratio, low, high, df, n, n_baseline}: geometric-mean ratio of xs to bs with Welch's CI on the logs."""
    xs = [float(x) for x in xs if x is not None and x > 0]
    bs = [float(b) for b in bs if b is not None and b > 0]
    if not xs or not bs:
        return dict(NO_RATIO, n=len(xs), n_baseline=len(bs))
    lx, lb = [math.log(x) for x in xs], [math.log(b) for b in bs]
    mx, vx = _mean_var(lx)
    mb, vb = _mean_var(lb)
    ratio = math.exp(mx - mb)
    out = {"ratio": ratio, "low": None, "high": None, "df": None, "n": len(xs), "n_baseline": len(bs),
           "method": "welch"}
    if vb is None:
        return out
    if vx is None:  # one repeat at the point: its variance is taken to be the baseline's (pooled, df = n_b - 1)
        ex, eb = vb, vb / len(bs)
        df = len(bs) - 1.0
        out["method"] = "pooled"
    else:
        ex, eb = vx / len(xs), vb / len(bs)
        df = None
    se = math.sqrt(ex + eb)
    if se == 0:
        out.update(low=ratio, high=ratio, df=float("inf"))
        return out
    if df is None:
        df = (ex + eb) ** 2 / (ex ** 2 / (len(xs) - 1) + eb ** 2 / (len(bs) - 1))
    t = t_quantile(1 - (1 - level) / 2.0, df)
    out.update(low=math.exp(mx - mb - t * se), high=math.exp(mx - mb + t * se), df=df)
    return out


# -------------------------------------------------------------- repeats --


def repeat_ok(repeat):
    return bool(repeat.get("ok", not repeat.get("failed", False)) and repeat.get("jct_s"))


def ok_repeats(record):
    return [r for r in (record or {}).get("repeats") or [] if repeat_ok(r)]


def jcts(record):
    return [r["jct_s"] for r in ok_repeats(record)]


def field(record, name):
    return [r[name] for r in ok_repeats(record) if r.get(name)]


def baseline_of(records, spec_hash=None):
    """The last baseline record (of spec_hash, if given), or None."""
    found = None
    for r in records:
        if r.get("kind") == "baseline" and (spec_hash is None or r.get("spec_hash") == spec_hash):
            found = r
    return found


def busbw(algbw, ranks, collective="all_reduce"):
    """nccl-tests' bus bandwidth from the algorithm bandwidth (S / t) of ranks ranks."""
    name = _ALIASES.get(collective, collective)
    if name not in BUSBW_FACTORS:
        raise ValueError("unknown collective %r; one of %s" % (collective, ", ".join(sorted(BUSBW_FACTORS))))
    return algbw * BUSBW_FACTORS[name](int(ranks))


def repeat_busbw(repeat):
    """A repeat's bus bandwidth (busbw_gbps units) from its figures, or None."""
    m = dict(repeat.get("metrics") or {})
    m.update((k, v) for k, v in repeat.items() if k in ("busbw_gbps", "algbw_gbps", "ranks", "collective", "bytes",
                                                        "time_s") and v is not None)
    if m.get("busbw_gbps") is not None:
        return float(m["busbw_gbps"])
    algbw = m.get("algbw_gbps")
    if algbw is None and m.get("bytes") and m.get("time_s"):
        algbw = m["bytes"] / float(m["time_s"]) / 1e9
    if algbw is None or not m.get("ranks"):
        return None
    return busbw(float(algbw), m["ranks"], m.get("collective") or "all_reduce")


def busbws(record):
    return [b for b in (repeat_busbw(r) for r in ok_repeats(record)) if b]


def describe(xs):
    """{n, mean, median, min, max, cv} of a sample (cv: standard deviation / mean)."""
    xs = sorted(float(x) for x in xs)
    if not xs:
        return {"n": 0, "mean": None, "median": None, "min": None, "max": None, "cv": None}
    n = len(xs)
    mean = sum(xs) / n
    median = xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2.0
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1)) if n > 1 else 0.0
    return {"n": n, "mean": mean, "median": median, "min": xs[0], "max": xs[-1], "cv": sd / mean if mean else None}


def point_stats(record, baseline):
    """Ratios of one point record to the baseline: jct, step p50/p99 and busbw, each a ratio_ci dict."""
    return {
        "jct_s": describe(jcts(record)),
        "jct_ratio": ratio_ci(jcts(record), jcts(baseline)),
        "step_p50_ratio": ratio_ci(field(record, "step_p50_s"), field(baseline, "step_p50_s")),
        "step_p99_ratio": ratio_ci(field(record, "step_p99_s"), field(baseline, "step_p99_s")),
        "busbw_ratio": ratio_ci(busbws(record), busbws(baseline)),
    }
