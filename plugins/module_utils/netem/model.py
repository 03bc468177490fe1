# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules: validate user input into canonical kernel units, and back.

A canonical rule is a plain dict:
    name, match (None or {dst, src, dscp} sorted lists), netem (kernel units,
    the same keys as netlink.tc.decode_netem), delay_dist / slot_dist (None,
    UNKNOWN or {"id", "table"}), auto_limit (bool).
Nothing here touches the kernel.

Input shape: each rule is a dict; each section (delay, loss, duplicate, corrupt,
reorder, rate, slot, match) a dict, or for the sections in SHORTHANDS a string
that stands for the section's main key (`delay: 5ms` is `delay: {time: 5ms}`).
Every number must be an integer, never a boolean (validate.integer).

Empty rules list, decided by state (normalize_rules):
  present / merged      an error: it would change nothing; to remove every rule
                        use state absent (or deleted).
  replaced / overridden every rule on the interface (and direction) is removed.
  absent / deleted      nothing named, nothing removed (omit rules to remove all).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import hashlib
import ipaddress
import os
import re

from ansible_collections.aifabric.emulation.plugins.module_utils import errors, validate
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import units

U32_MAX = units.U32_MAX
INT_MAX = 0x7FFFFFFF
MAX_MATCHED_RULES = 15  # prio has 16 bands; band 0 is the unmatched traffic
MAX_FILTERS_PER_RULE = 256
DEFAULT_LIMIT = 1000  # tc's default
ASSUMED_LINE_RATE = 100 * 10**9 // 8  # bytes/s, when no rate is given
LIMIT_HEADROOM = 1.5
MTU = 1500
SEED_MIN_KERNEL = (6, 6)  # TCA_NETEM_PRNG_SEED was merged for 6.6
UNKNOWN = "unknown"  # a distribution table the kernel cannot show us
DIST_MAX = 16384

NETEM_KEYS = (
    "limit", "latency", "jitter", "delay_corr", "loss", "loss_corr", "gap", "duplicate",
    "dup_corr", "reorder", "reorder_corr", "corrupt", "corrupt_corr", "rate",
    "packet_overhead", "cell_size", "cell_overhead", "gemodel", "gimodel", "slot", "ecn", "seed",
)


# A string where a section's dict is expected stands for that section's main key
# (`delay: 5ms` is `delay: {time: 5ms}`); the action plugin expands the same ones.
SHORTHANDS = {"delay": "time", "loss": "percent", "duplicate": "percent", "corrupt": "percent",
              "reorder": "percent", "rate": "rate"}


def is_shorthand(value):
    """A plain string: key=value text (`time=5ms jitter=1ms`) and JSON are Ansible's own dict forms."""
    return isinstance(value, str) and "=" not in value and not value.lstrip().startswith("{")


EXAMPLES = {"delay": "{time: 5ms}", "loss": "{percent: 1%}", "duplicate": "{percent: 1%}",
            "corrupt": "{percent: 1%}", "reorder": "{percent: 1%, gap: 5}", "rate": "{rate: 10gbit}",
            "slot": "{min_delay: 1ms}", "match": "{dst: [10.0.0.0/24]}"}
EMPTY_MEANS_NOTHING = ("present", "merged")
EMPTY_MEANS_REMOVE_ALL = ("replaced", "overridden")

ValidationError = errors.ValidationError


def empty_netem():
    p = dict((k, 0) for k in NETEM_KEYS)
    p.update(limit=DEFAULT_LIMIT, gemodel=None, gimodel=None, slot=None, ecn=False, seed=None)
    return p


def kernel_version(release):
    m = re.match(r"(\d+)\.(\d+)", release or "")
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


# ------------------------------------------------------------ parsing --


def _parse(path, fn, value):
    try:
        return fn(value)
    except units.UnitError as e:
        raise ValidationError(path, str(e))


def _fraction(path, value):
    return _parse(path, units.parse_percent, value) / float(U32_MAX)


def _u32(fraction):
    return int(round(fraction * U32_MAX))


def normalize_rules(rules, kernel_release=None, state=None):
    """Validate the module's rules list; return canonical rules.

    state (the module's): with present or merged an empty list is an error (it
    would change nothing; state absent or deleted removes every rule); with
    replaced or overridden it means "remove every rule on the interface". The
    default None decides nothing about an empty list (the old behaviour).
    """
    if rules is None:
        rules = []
    validate.sequence(rules, "rules", "[{delay: {time: 5ms}}]")
    if not rules and state in EMPTY_MEANS_NOTHING:
        raise ValidationError("rules", "an empty list changes nothing with state present or merged; to remove every "
                              "rule, use state deleted (or absent) and leave rules out, or state replaced with rules: []")
    out, names, defaults = [], set(), 0
    for i, rule in enumerate(rules):
        path = "rules[%d]" % i
        r = normalize_rule(rule, path, kernel_release)
        if r["name"] in names:
            raise ValidationError(path + ".name", "rule name %r is used twice" % r["name"])
        names.add(r["name"])
        defaults += r["match"] is None
        if defaults > 1:
            raise ValidationError(path + ".match", "only one rule may omit match (the whole-interface rule)")
        out.append(r)
    if len(out) - defaults > MAX_MATCHED_RULES:
        raise ValidationError("rules", "at most %d rules with match per interface and direction" % MAX_MATCHED_RULES)
    return out


def section(rule, key, path):
    """rule[key] as a dict (None when not given); a plain string is the key's shorthand, if it has one."""
    value = rule.get(key)
    if value is None or isinstance(value, dict):
        return value
    if key in SHORTHANDS and is_shorthand(value):
        return {SHORTHANDS[key]: value}
    shorthand = " (or the shorthand %s)" % _SHORTHAND_EXAMPLES[key] if key in SHORTHANDS else ""
    raise ValidationError(path, "expected a dict like %s%s, got %s" % (EXAMPLES[key], shorthand,
                                                                       validate.describe(value)))


_SHORTHAND_EXAMPLES = {"delay": "'5ms'", "loss": "'1%'", "duplicate": "'1%'", "corrupt": "'1%'",
                       "reorder": "'1%'", "rate": "'10gbit'"}


def normalize_rule(rule, path, kernel_release=None):
    validate.mapping(rule, path, "{name: wan, delay: {time: 5ms}}")
    name = rule.get("name") or "default"
    if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9_.:-]{1,64}$", name):
        raise ValidationError(path + ".name", "%r: use 1-64 letters, digits, '_', '.', ':' or '-'" % (name,))
    p = empty_netem()
    delay_dist = _delay(section(rule, "delay", path + ".delay"), p, path + ".delay")
    _loss(section(rule, "loss", path + ".loss"), p, path + ".loss")
    _pair(section(rule, "duplicate", path + ".duplicate"), p, "duplicate", "dup_corr", path + ".duplicate")
    _pair(section(rule, "corrupt", path + ".corrupt"), p, "corrupt", "corrupt_corr", path + ".corrupt")
    _reorder(section(rule, "reorder", path + ".reorder"), p, path + ".reorder")
    _rate(section(rule, "rate", path + ".rate"), p, path + ".rate")
    slot_dist = _slot(section(rule, "slot", path + ".slot"), p, path + ".slot")
    match = normalize_match(section(rule, "match", path + ".match"), path + ".match")
    if rule.get("ecn"):
        if not (p["loss"] or p["gemodel"] or p["gimodel"]):
            raise ValidationError(path + ".ecn", "ecn marks instead of dropping, so it needs a loss model")
        p["ecn"] = True
    seed = validate.optional_integer(rule.get("seed"), path + ".seed")
    if seed is not None:
        if not 0 <= seed < 2**64:
            raise ValidationError(path + ".seed", "must be between 0 and 2^64-1")
        if kernel_release is not None and kernel_version(kernel_release) < SEED_MIN_KERNEL:
            raise ValidationError(path + ".seed", "netem seed needs Linux %d.%d or newer; this host runs %s"
                                  % (SEED_MIN_KERNEL + (kernel_release,)))
        p["seed"] = seed
    limit = validate.optional_integer(rule.get("limit"), path + ".limit")
    if limit is not None:
        if not 0 < limit <= U32_MAX:
            raise ValidationError(path + ".limit", "must be between 1 and %d packets" % U32_MAX)
        p["limit"] = limit
    else:
        p["limit"] = auto_limit(p)
    return {
        "name": name,
        "match": match,
        "netem": p,
        "delay_dist": delay_dist,
        "slot_dist": slot_dist,
        "auto_limit": limit is None,
    }


def auto_limit(p):
    """Queue room for rate x (delay + jitter + slot), so netem does not drop."""
    hold_ns = p["latency"] + p["jitter"] + (max(p["slot"][1], p["slot"][4] + p["slot"][5]) if p["slot"] else 0)
    rate = p["rate"] or ASSUMED_LINE_RATE
    packets = int(rate * hold_ns / 1e9 / MTU * LIMIT_HEADROOM) + 1
    return min(max(DEFAULT_LIMIT, packets), U32_MAX)


def _delay(d, p, path):
    if not d:
        return None
    if d.get("time") is None:
        raise ValidationError(path + ".time", "delay needs time, for example {time: 5ms}")
    p["latency"] = _parse(path + ".time", units.parse_time, d["time"])
    if d.get("jitter") is not None:
        p["jitter"] = _parse(path + ".jitter", units.parse_time, d["jitter"])
        if p["jitter"] and not p["latency"]:
            raise ValidationError(path + ".jitter", "jitter needs a delay time above 0")
        if p["jitter"] > INT_MAX:
            raise ValidationError(path + ".jitter", "the kernel caps jitter at 2.147483647s")
    if d.get("correlation") is not None:
        p["delay_corr"] = _parse(path + ".correlation", units.parse_percent, d["correlation"])
        if p["delay_corr"] and not p["jitter"]:
            raise ValidationError(path + ".correlation", "delay correlation needs jitter")
    return _distribution(d.get("distribution"), d.get("distribution_file"), p["jitter"], path)


def _distribution(name, path_to_file, spread, path):
    if name in (None, "uniform"):
        if path_to_file:
            raise ValidationError(path + ".distribution_file", "set distribution: custom to use a file")
        return None
    if not spread:
        raise ValidationError(path + ".distribution", "a %s distribution needs jitter above 0" % name)
    if name == "custom":
        if not path_to_file:
            raise ValidationError(path + ".distribution_file", "distribution custom needs distribution_file")
        return load_distribution(path_to_file, path + ".distribution_file", custom=True)
    if path_to_file:
        raise ValidationError(path + ".distribution_file", "only distribution custom reads a file")
    return load_distribution(name, path + ".distribution")


def _loss(d, p, path):
    if not d:
        return
    model = d.get("model") or "random"
    allowed = {"random": ("percent", "correlation"), "gemodel": ("p", "r", "one_minus_h", "one_minus_k"),
               "state": ("p13", "p31", "p32", "p23", "p14")}[model]
    for key in ("percent", "correlation", "p", "r", "one_minus_h", "one_minus_k", "p13", "p31", "p32", "p23", "p14"):
        if d.get(key) is not None and key not in allowed:
            raise ValidationError("%s.%s" % (path, key), "does not apply to loss model %s" % model)
    if model == "random":
        if d.get("percent") is None:
            raise ValidationError(path + ".percent", "loss model random needs percent")
        p["loss"] = _parse(path + ".percent", units.parse_percent, d["percent"])
        if d.get("correlation") is not None:
            p["loss_corr"] = _parse(path + ".correlation", units.parse_percent, d["correlation"])
            if p["loss_corr"] and not p["loss"]:
                raise ValidationError(path + ".correlation", "loss correlation needs a loss percent")
    elif model == "gemodel":
        if d.get("p") is None:
            raise ValidationError(path + ".p", "loss model gemodel needs p")
        frac = _fraction(path + ".p", d["p"])
        r = _fraction(path + ".r", d["r"]) if d.get("r") is not None else 1.0 - frac
        one_minus_h = _fraction(path + ".one_minus_h", d["one_minus_h"]) if d.get("one_minus_h") is not None else 1.0
        one_minus_k = _fraction(path + ".one_minus_k", d["one_minus_k"]) if d.get("one_minus_k") is not None else 0.0
        p["gemodel"] = (_u32(frac), _u32(r), U32_MAX - _u32(one_minus_h), _u32(one_minus_k))
    else:
        if d.get("p13") is None:
            raise ValidationError(path + ".p13", "loss model state needs p13")
        p13 = _fraction(path + ".p13", d["p13"])
        val = dict(p31=1.0 - p13, p32=0.0, p23=1.0, p14=0.0)
        for key in val:
            if d.get(key) is not None:
                val[key] = _fraction("%s.%s" % (path, key), d[key])
        p["gimodel"] = (_u32(p13), _u32(val["p31"]), _u32(val["p32"]), _u32(val["p14"]), _u32(val["p23"]))


def _pair(d, p, key, corr_key, path):
    if not d:
        return
    if d.get("percent") is None:
        raise ValidationError(path + ".percent", "needs percent, for example {percent: 1%}")
    p[key] = _parse(path + ".percent", units.parse_percent, d["percent"])
    if d.get("correlation") is not None:
        p[corr_key] = _parse(path + ".correlation", units.parse_percent, d["correlation"])
        if p[corr_key] and not p[key]:
            raise ValidationError(path + ".correlation", "correlation needs a percent above 0")


def _reorder(d, p, path):
    if not d:
        return
    _pair(d, p, "reorder", "reorder_corr", path)
    gap = validate.optional_integer(d.get("gap"), path + ".gap")
    if gap is not None and not 0 <= gap <= U32_MAX:
        raise ValidationError(path + ".gap", "must be between 0 and %d" % U32_MAX)
    if p["reorder"]:
        if not p["latency"]:
            raise ValidationError(path + ".percent", "reordering needs a delay: reordered packets skip it")
        p["gap"] = gap or 1
    elif gap:
        raise ValidationError(path + ".gap", "gap needs a reorder percent above 0")


def _rate(d, p, path):
    if not d:
        return
    if d.get("rate") is None:
        raise ValidationError(path + ".rate", "needs rate, for example {rate: 10gbit}")
    p["rate"] = _parse(path + ".rate", units.parse_rate, d["rate"])
    for key in ("packet_overhead", "cell_overhead"):
        value = validate.optional_integer(d.get(key), "%s.%s" % (path, key)) or 0
        if not -INT_MAX - 1 <= value <= INT_MAX:
            raise ValidationError("%s.%s" % (path, key), "out of range")
        p[key] = value
    cell_size = validate.optional_integer(d.get("cell_size"), path + ".cell_size") or 0
    if not 0 <= cell_size <= U32_MAX:
        raise ValidationError(path + ".cell_size", "must be 0 or more bytes")
    p["cell_size"] = cell_size


def _slot(d, p, path):
    if not d:
        return None
    packets = validate.optional_integer(d.get("packets"), path + ".packets") or 0
    if not 0 <= packets <= INT_MAX:
        raise ValidationError(path + ".packets", "must be between 0 and %d" % INT_MAX)
    size = _parse(path + ".bytes", units.parse_size, d.get("bytes") or 0)
    if size > INT_MAX:
        raise ValidationError(path + ".bytes", "must be at most %d bytes" % INT_MAX)
    if d.get("distribution"):
        for key in ("min_delay", "max_delay"):
            if d.get(key) is not None:
                raise ValidationError("%s.%s" % (path, key), "use either min_delay/max_delay or distribution")
        if d.get("delay") is None or d.get("jitter") is None:
            raise ValidationError(path + ".distribution", "a slot distribution needs delay and jitter")
        delay = _parse(path + ".delay", units.parse_time, d["delay"])
        jitter = _parse(path + ".jitter", units.parse_time, d["jitter"])
        if not jitter:
            raise ValidationError(path + ".jitter", "must be above 0")
        if jitter > INT_MAX:
            raise ValidationError(path + ".jitter", "the kernel caps slot jitter at 2.147483647s")
        p["slot"] = (0, 0, packets, size, delay, jitter)
        return _distribution(d["distribution"], d.get("distribution_file"), jitter, path)
    for key in ("delay", "jitter", "distribution_file"):
        if d.get(key) is not None:
            raise ValidationError("%s.%s" % (path, key), "applies only with slot distribution")
    if d.get("min_delay") is None:
        raise ValidationError(path + ".min_delay", "slot needs min_delay (or distribution, delay and jitter)")
    low = _parse(path + ".min_delay", units.parse_time, d["min_delay"])
    high = _parse(path + ".max_delay", units.parse_time, d["max_delay"]) if d.get("max_delay") is not None else low
    if high < low:
        raise ValidationError(path + ".max_delay", "must not be below min_delay")
    if not high:
        raise ValidationError(path + ".min_delay", "a slot needs a delay above 0")
    p["slot"] = (low, high, packets, size, 0, 0)
    return None


def normalize_match(d, path):
    if not d or not any(d.get(k) for k in ("dst", "src", "dscp")):
        return None
    out = {}
    families = {}
    for key in ("dst", "src"):
        nets = []
        for j, text in enumerate(validate.sequence(d.get(key) or [], "%s.%s" % (path, key), "[10.0.0.0/24]")):
            try:
                net = ipaddress.ip_network(str(text).strip(), strict=False)
            except ValueError:
                raise ValidationError("%s.%s[%d]" % (path, key, j), "%r is not an IP address or CIDR" % (text,))
            if net.prefixlen == 0:
                raise ValidationError("%s.%s[%d]" % (path, key, j), "%s matches every address; omit %s instead"
                                      % (net, key))
            nets.append(net)
        families[key] = set(n.version for n in nets)
        out[key] = sorted(set(str(n) for n in nets), key=_net_sort_key)
    if families["dst"] and families["src"] and families["dst"] != families["src"]:
        raise ValidationError(path, "dst and src must name the same address families (IPv4, IPv6); "
                              "split the rule per family")
    dscp = []
    for j, value in enumerate(validate.sequence(d.get("dscp") or [], path + ".dscp", "[26]")):
        value = validate.integer(value, "%s.dscp[%d]" % (path, j), text=True)
        if not 0 <= value <= 63:
            raise ValidationError("%s.dscp[%d]" % (path, j), "DSCP %r is outside 0-63" % (value,))
        dscp.append(value)
    out["dscp"] = sorted(set(dscp))
    count = 0
    for fam in (4, 6):
        if (families["dst"] and fam not in families["dst"]) or (families["src"] and fam not in families["src"]):
            continue
        count += (max(1, sum(1 for n in out["dst"] if ipaddress.ip_network(n).version == fam))
                  * max(1, sum(1 for n in out["src"] if ipaddress.ip_network(n).version == fam))
                  * max(1, len(out["dscp"])))
    if count > MAX_FILTERS_PER_RULE:
        raise ValidationError(path, "dst x src x dscp needs %d filters; the limit is %d" % (count, MAX_FILTERS_PER_RULE))
    return out


def _net_sort_key(text):
    net = ipaddress.ip_network(text)
    return (net.version, int(net.network_address), net.prefixlen)


# -------------------------------------------------------- distributions --


def tc_lib_dirs():
    dirs = [os.environ.get("TC_LIB_DIR")] + sorted(glob.glob("/usr/lib/*/tc"))
    return [d for d in dirs + ["/usr/lib64/tc", "/usr/lib/tc", "/usr/local/lib/tc", "/usr/share/tc"] if d]


def load_distribution(name_or_path, path, custom=False):
    """{"id", "table"} read from a .dist file (iproute2's maketable format)."""
    if custom:
        filename = name_or_path
    else:
        filename = None
        for d in tc_lib_dirs():
            cand = os.path.join(d, name_or_path + ".dist")
            if os.path.exists(cand):
                filename = cand
                break
        if filename is None:
            raise ValidationError(path, "no %s.dist table found in %s; install iproute2 or set TC_LIB_DIR"
                                  % (name_or_path, ", ".join(tc_lib_dirs())))
    try:
        table = _read_table(filename)
    except (IOError, OSError) as e:
        raise ValidationError(path, "cannot read %s: %s" % (filename, e))
    except ValueError as e:
        raise ValidationError(path, "%s: %s" % (filename, e))
    if custom:
        digest = hashlib.sha256(repr(table).encode()).hexdigest()[:12]
        return {"id": "custom:%s" % digest, "table": table, "file": filename}
    return {"id": name_or_path, "table": table}


_TABLES = {}


def _read_table(filename):
    """A table file's values, memoised on (path, size, mtime): a schedule validates its rule once per step."""
    st = os.stat(filename)
    key = (filename, st.st_size, st.st_mtime_ns)
    table = _TABLES.get(key)
    if table is None:
        with open(filename) as f:
            table = parse_dist_table(f.read())
        if len(_TABLES) > 64:
            _TABLES.clear()
        _TABLES[key] = table
    return table


def parse_dist_table(text):
    table = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        for word in line.split():
            value = int(word, 0)
            if not -32768 <= value <= 32767:
                raise ValueError("value %d does not fit a signed 16-bit table entry" % value)
            table.append(value)
    if not table:
        raise ValueError("the table is empty")
    if len(table) > DIST_MAX:
        raise ValueError("more than %d values" % DIST_MAX)
    return table


def dist_id(dist):
    if dist is None or dist == UNKNOWN:
        return dist
    return dist["id"]


# ---------------------------------------------------- compare, display --


def same_rule(want, have):
    """True when `have` (from the kernel) already is `want`."""
    if want["name"] != have["name"] or want["match"] != have["match"]:
        return False
    return same_netem(want, have)


def same_netem(want, have):
    a, b = want["netem"], have["netem"]
    for key in NETEM_KEYS:
        if key == "seed" and a["seed"] is None:
            continue
        if a[key] != b[key]:
            return False
    return dist_id(want["delay_dist"]) == dist_id(have["delay_dist"]) and \
        dist_id(want["slot_dist"]) == dist_id(have["slot_dist"])


_USER_CACHE = {}


def rule_to_user(rule):
    """A rule as the module's options would write it (before/after/gathered).

    Memoised on the rule's content: a bulk run reports one rule many times.
    Callers must not modify the returned dict.
    """
    p = rule["netem"]
    key = (rule["name"], repr(rule["match"]), tuple(p[k] for k in NETEM_KEYS),
           _dist_name(rule["delay_dist"]), _dist_name(rule["slot_dist"]))
    if key not in _USER_CACHE:
        if len(_USER_CACHE) > 4096:
            _USER_CACHE.clear()
        _USER_CACHE[key] = _rule_to_user(rule)
    return _USER_CACHE[key]


def _rule_to_user(rule):
    p = rule["netem"]
    out = {"name": rule["name"]}
    if rule["match"]:
        out["match"] = dict((k, v) for k, v in rule["match"].items() if v)
    if p["latency"] or p["jitter"]:
        delay = {"time": units.format_time(p["latency"])}
        if p["jitter"]:
            delay["jitter"] = units.format_time(p["jitter"])
            delay["distribution"] = _dist_name(rule["delay_dist"])
        if p["delay_corr"]:
            delay["correlation"] = units.format_percent(p["delay_corr"])
        out["delay"] = delay
    if p["gemodel"]:
        gp, gr, gh, gk = p["gemodel"]
        out["loss"] = {"model": "gemodel", "p": units.format_percent(gp), "r": units.format_percent(gr),
                       "one_minus_h": units.format_percent(U32_MAX - gh), "one_minus_k": units.format_percent(gk)}
    elif p["gimodel"]:
        keys = ("p13", "p31", "p32", "p14", "p23")
        out["loss"] = dict([("model", "state")] + [(k, units.format_percent(v)) for k, v in zip(keys, p["gimodel"])])
    elif p["loss"]:
        out["loss"] = {"model": "random", "percent": units.format_percent(p["loss"])}
        if p["loss_corr"]:
            out["loss"]["correlation"] = units.format_percent(p["loss_corr"])
    for key, corr, name in (("duplicate", "dup_corr", "duplicate"), ("corrupt", "corrupt_corr", "corrupt"),
                            ("reorder", "reorder_corr", "reorder")):
        if p[key]:
            out[name] = {"percent": units.format_percent(p[key])}
            if p[corr]:
                out[name]["correlation"] = units.format_percent(p[corr])
    if p["reorder"]:
        out["reorder"]["gap"] = p["gap"]
    if p["rate"]:
        out["rate"] = {"rate": units.format_rate(p["rate"]), "packet_overhead": p["packet_overhead"],
                       "cell_size": p["cell_size"], "cell_overhead": p["cell_overhead"]}
    if p["slot"]:
        low, high, packets, size, sdelay, sjitter = p["slot"]
        slot = {"packets": packets, "bytes": str(size)}
        if sjitter:
            slot.update(distribution=_dist_name(rule["slot_dist"]), delay=units.format_time(sdelay),
                        jitter=units.format_time(sjitter))
        else:
            slot.update(min_delay=units.format_time(low), max_delay=units.format_time(high))
        out["slot"] = slot
    if p["ecn"]:
        out["ecn"] = True
    out["limit"] = p["limit"]
    if p["seed"] is not None:
        out["seed"] = p["seed"]
    return out


def _dist_name(dist):
    if dist is None:
        return "uniform"
    if dist == UNKNOWN:
        return UNKNOWN
    return "custom" if dist["id"].startswith("custom:") else dist["id"]
