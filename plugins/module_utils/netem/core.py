# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bulk netem engine: gather, plan and apply for many interfaces at once.

One netlink session per namespace: one link dump and one qdisc dump serve
every interface in it, and all changes go out as batched requests. Fabric
staging and impairment sweeps call converge() directly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os

from ansible_collections.aifabric.emulation.plugins.module_utils import errors, safety
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl, tc
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model, plan, render

STATE_DIR = os.environ.get("AIFABRIC_STATE_DIR", "/run/aifabric-emulation")
NETEM_MISSING = ("sch_netem is not available in kernel %s: load it with `modprobe sch_netem` "
                 "(Debian/Ubuntu ship it in linux-image-* / linux-modules-extra-*)")


NetemError = errors.ModuleError


def netem_available(release=None):
    release = release or os.uname()[2]
    if os.path.exists("/sys/module/sch_netem"):
        return True
    base = os.path.join("/lib/modules", release)
    for name in ("modules.builtin", "modules.dep"):
        try:
            with open(os.path.join(base, name)) as f:
                if "sch_netem.ko" in f.read():
                    return True
        except (IOError, OSError):
            continue
    return False


# ----------------------------------------------------------- state file --


class StateStore:
    """What the kernel cannot tell us (rule names, tables, user seeds), one file per namespace."""

    def __init__(self, netns):
        key = (netns or "_init").strip("/").replace("/", "_")
        self.path = os.path.join(STATE_DIR, "netem", key + ".json")
        self.dirty = False
        try:
            with open(self.path) as f:
                self.data = json.load(f)
        except (IOError, OSError, ValueError):
            self.data = {}

    def get(self, dev, direction):
        return self.data.get("%s.%s" % (dev, direction), {})

    def put(self, dev, direction, rules):
        key = "%s.%s" % (dev, direction)
        bands = {}
        for band, rule in plan.layout(rules)[2]:
            delay = rule["delay_dist"]
            bands[str(band)] = {"name": rule["name"], "delay_dist": model.dist_id(delay),
                                "slot_dist": model.dist_id(rule["slot_dist"]),
                                "seed_set": rule["netem"]["seed"] is not None,
                                "delay_file": delay.get("file") if isinstance(delay, dict) else None}
        if bands:
            self.data[key] = {"bands": bands}
        else:
            self.data.pop(key, None)
        self.dirty = True

    def save(self):
        if not self.dirty:
            return
        if not self.data:
            try:
                os.unlink(self.path)
            except OSError:
                pass
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(json.dumps(self.data, sort_keys=True, separators=(",", ":")))
        os.rename(tmp, self.path)


# ------------------------------------------------------------- gather --


class Namespace:
    """Kernel view of one namespace: one qdisc dump; links by ioctl, dumped only when needed."""

    def __init__(self, session, netns=None):
        self.session = session
        self.state = StateStore(netns)
        self._links = None
        self._index = {}
        self.refresh_qdiscs()

    def refresh_qdiscs(self):
        self.qdiscs = {}
        for q in tc.dump_qdiscs(self.session):
            self.qdiscs.setdefault(q["ifindex"], []).append(q)

    def forget_links(self):
        self._links, self._index = None, {}

    @property
    def links(self):
        if self._links is None:
            self._links = rtnl.dump_links(self.session)
        return self._links

    def index(self, name):
        """ifindex of a device in this namespace, or None."""
        if name not in self._index:
            self._index[name] = self.session.ifindex(name)
        return self._index[name]

    def ifb_for(self, dev):
        prefix = plan.IFB_ALIAS_PREFIX + dev + ";"
        for link in self.links:
            if link["kind"] == "ifb" and link["alias"].startswith(prefix):
                return link
        return None

    def hook(self, dev):
        """What exists of the ingress redirect for dev."""
        index = self.index(dev)
        ifb = self.ifb_for(dev)
        qdisc = [q for q in self.qdiscs.get(index, []) if q["parent"] == 0xFFFFFFF1]
        hook = {"ifb": ifb["name"] if ifb else None, "redirect": False, "other_filters": False,
                "ingress_qdisc": None}
        if qdisc:
            created = ifb is not None and ifb["alias"].endswith("hook=created")
            hook["ingress_qdisc"] = "ours" if created else "foreign"
            for f in tc.dump_filters(self.session, index, plan.INGRESS_PARENT):
                if f["pref"] == plan.REDIRECT_PREF and f["protocol"] == plan.ETH_P_ALL:
                    if f["kind"] == "u32" and f["options"] and tc.decode_u32(f["options"])["redirect_ifindex"]:
                        hook["redirect"] = True
                elif f["kind"]:
                    hook["other_filters"] = True
        return hook

    def tree(self, target, meta):
        """(rules, foreign_root) of the tree we own on device `target`."""
        index = self.index(target)
        if index is None:
            return [], None
        qdiscs = self.qdiscs.get(index, [])
        root = [q for q in qdiscs if q["parent"] == plan.TC_H_ROOT]
        if not root:
            return [], None
        root = root[0]
        if root["handle"] != plan.ROOT_HANDLE:
            foreign = None if root["handle"] >> 16 == 0 else "%s %s" % (root["kind"], render.handle(root["handle"]))
            return [], foreign
        bands_meta = meta.get("bands", {})
        if root["kind"] == "netem":
            return [_kernel_rule(0, tc.decode_netem(root["options"]), None, {}, bands_meta)], None
        leaves = dict((q["parent"], q) for q in qdiscs if q["kind"] == "netem")
        bands = tc.decode_prio(root["options"])["bands"]
        matches, prefs = {}, {}
        for f in tc.dump_filters(self.session, index, plan.ROOT_HANDLE):
            if f["kind"] != "u32" or not f["options"]:
                continue
            u = tc.decode_u32(f["options"])
            if u["classid"] is None or not u["keys"]:
                continue
            band = (u["classid"] & 0xFFFF) - 1
            prefs.setdefault(band, {})[f["protocol"]] = f["pref"]
            matches.setdefault(band, set()).add(plan.keys_to_match(f["protocol"], u["keys"]))
        rules = []
        for band in range(bands):
            leaf = leaves.get(plan.class_id(band))
            if leaf is None or leaf["handle"] != plan.leaf_handle(band):
                continue
            rules.append(_kernel_rule(band, tc.decode_netem(leaf["options"]), matches.get(band), prefs.get(band, {}),
                                      bands_meta))
        return rules, None


def _kernel_rule(band, netem, tuples, prefs, bands_meta):
    meta = bands_meta.get(str(band))
    match = None
    if tuples:
        match = {"dst": sorted(set(t[0] for t in tuples if t[0]), key=model._net_sort_key),
                 "src": sorted(set(t[1] for t in tuples if t[1]), key=model._net_sort_key),
                 "dscp": sorted(set(t[2] for t in tuples if t[2] is not None))}
    name = meta["name"] if meta else ("default" if band == 0 else "rule%d" % band)
    if meta and not meta.get("seed_set"):
        netem["seed"] = None  # the kernel's own random seed; not part of the rule

    def dist(key, spread, file_key=None):
        if not spread:
            return None
        if meta is None:
            return model.UNKNOWN
        if meta.get(key) is None:
            return None
        d = {"id": meta[key]}
        if file_key and meta.get(file_key):
            d["file"] = meta[file_key]
        return d
    return {"name": name, "match": match, "netem": netem, "auto_limit": False, "_prefs": prefs,
            "delay_dist": dist("delay_dist", netem["jitter"], "delay_file"),
            "slot_dist": dist("slot_dist", netem["slot"] and netem["slot"][5])}


# ------------------------------------------------------------ desired --


def desired_rules(state, have, rules):
    if state == "replaced":
        return list(rules)
    if state == "absent":
        if rules is None:
            return []
        drop = set(r["name"] for r in rules)
        return [r for r in have if r["name"] not in drop]
    out, given = [], dict((r["name"], r) for r in rules)
    for r in have:
        out.append(given.pop(r["name"], r))
    out.extend(r for r in rules if r["name"] in given)
    return out


# ---------------------------------------------------------------- apply --


def _encode(op, ns, cache):
    """[(type, flags, payload)] requests for one op; cache holds netem options per rule."""
    if op["op"] == "link":
        if op["action"] == "add":
            return [rtnl.new_link_request(op["dev"], op["kind"]), rtnl.set_alias_request(op["dev"], op["alias"])]
        return [rtnl.del_link_request(ns.index(op["dev"]))]
    return [_encode_tc(op, ns, cache)]


def _encode_tc(op, ns, cache):
    ifindex = ns.index(op["dev"])
    if ifindex is None:
        raise KeyError(op["dev"])
    if op["op"] == "qdisc":
        options = None
        if op["action"] != "delete":
            if op["kind"] == "netem":
                rule = op["rule"]
                options = cache.get(id(rule))
                if options is None:
                    options = cache[id(rule)] = tc.encode_netem(
                        rule["netem"], _table(rule["delay_dist"]), _table(rule["slot_dist"]))
            elif op["kind"] == "prio":
                options = tc.encode_prio(op["bands"])
            else:
                options = b""
        return tc.qdisc_request(op["action"], ifindex, op["parent"], op["handle"],
                                None if op["action"] == "delete" else op["kind"], options)
    if op["action"] == "delete":
        return tc.filter_request("delete", ifindex, op["parent"], op["pref"], op["protocol"])
    if op.get("redirect"):
        options = tc.encode_u32(op["keys"], actions=[tc.mirred_redirect(ns.index(op["redirect"]))])
    else:
        options = tc.encode_u32(op["keys"], classid=op["classid"])
    return tc.filter_request("add", ifindex, op["parent"], op["pref"], op["protocol"], "u32", options)


def _table(dist):
    return dist.get("table") if isinstance(dist, dict) else None


def execute(ns, ops):
    """Apply ops in order, batching runs of tc ops; return the failed (op, ack)s."""
    failures, i, cache = [], 0, {}
    while i < len(ops):
        is_link = ops[i]["op"] == "link"
        j = i
        while j < len(ops) and (ops[j]["op"] == "link") == is_link:
            j += 1
        for op in ops[i:j]:
            try:
                requests = _encode(op, ns, cache)
            except KeyError:
                failures.append((op, None))
                continue
            for msg_type, flags, payload in requests:
                ns.session.queue(msg_type, flags, payload, tag=op)
        failures.extend((a.tag, a) for a in ns.session.flush() if not a.ok)
        if is_link:
            ns.forget_links()
        i = j
    return failures


def describe_failure(op, ack):
    line = " ".join(render.command(op))
    if ack is None:
        return "%s: device vanished" % line
    text = ack.text or os.strerror(ack.errno)
    if op.get("kind") == "netem" and ack.errno in (errno.ENOENT, errno.EOPNOTSUPP) and not netem_available():
        return NETEM_MISSING % os.uname()[2]
    return "%s: %s" % (line, text)


# ------------------------------------------------------------- converge --


class Job:
    """One interface and direction to converge."""

    def __init__(self, interface, rules=None, state="present", netns=None, direction="egress",
                 allow_management=False):
        self.interface, self.rules, self.state = interface, rules, state
        self.netns, self.direction, self.allow_management = netns, direction, allow_management
        self.result = {"changed": False, "interface": interface, "netns": netns, "direction": direction,
                       "before": [], "after": [], "commands": [], "warnings": []}
        self.ops, self.have, self.want = [], [], []


def converge(jobs, check_mode=False):
    """Converge every job; one session per namespace. Returns the jobs."""
    by_ns = {}
    for job in jobs:
        by_ns.setdefault(job.netns, []).append(job)
    for netns, group in by_ns.items():
        with NetlinkSession(netns) as session:
            _converge_namespace(Namespace(session, netns), netns, group, check_mode)
    return jobs


def _converge_namespace(ns, netns, jobs, check_mode):
    mgmt = None
    for job in jobs:
        if ns.index(job.interface) is None:
            raise NetemError("interface", "interface %r not found in %s" % (
                job.interface, "network namespace %r" % netns if netns else "the initial network namespace"))
        if job.state in ("present", "replaced") and not job.allow_management:
            if mgmt is None:
                mgmt = safety.management_ifindexes(ns.session)
            if ns.index(job.interface) in mgmt:
                raise NetemError("interface", "%s carries the default route or the Ansible connection; "
                                 "set allow_management: true to impair it anyway" % job.interface)
        _plan_job(ns, netns, job)
    todo = [job for job in jobs if job.ops]
    for job in todo:
        job.result["changed"] = True
        job.result["commands"] = render.commands(job.ops, netns)
    if check_mode or not todo:
        for job in jobs:
            job.result["after"] = [model.rule_to_user(r) for r in job.want] if job.ops else job.result["before"]
        return
    if any(op.get("kind") == "netem" and op["action"] != "delete" for job in todo for op in job.ops):
        if not netem_available():
            raise NetemError(None, NETEM_MISSING % os.uname()[2])
    failures = execute(ns, [op for job in todo for op in job.ops])
    ns.refresh_qdiscs()
    if failures:
        _rollback(ns, netns, todo)
        raise NetemError(None, "the kernel refused a change, so every change of this run was rolled back: "
                         + "; ".join(describe_failure(op, ack) for op, ack in failures[:3]))
    for job in jobs:
        if job.ops:
            ns.state.put(job.interface, job.direction, job.want)
    ns.state.save()
    for job in jobs:
        if job.ops:
            job.result["after"] = [model.rule_to_user(r) for r in _gather(ns, netns, job)[0]]
        else:
            job.result["after"] = job.result["before"]


def _gather(ns, netns, job):
    meta = ns.state.get(job.interface, job.direction)
    if job.direction == "egress":
        rules, foreign = ns.tree(job.interface, meta)
        return rules, foreign, None
    hook = ns.hook(job.interface)
    rules, foreign = ns.tree(hook["ifb"], meta) if hook["ifb"] else ([], None)
    return rules, foreign, hook


def _plan_job(ns, netns, job):
    have, foreign, hook = _gather(ns, netns, job)
    job.have = have
    job.result["before"] = [model.rule_to_user(r) for r in have]
    job.want = desired_rules(job.state, have, job.rules)
    if job.want and foreign:
        raise NetemError("interface", "%s already has a root qdisc %s that this collection did not create; "
                         "remove it first, it is left untouched" % (job.interface, foreign))
    if job.direction == "egress":
        job.ops = plan.plan_tree(job.interface, have, job.want)
        return
    ifb = hook["ifb"] or plan.ifb_name(job.interface, ns.index(job.interface))
    before, after = plan.plan_ingress_hook(job.interface, hook, job.want, ifb)
    tree = plan.plan_tree(ifb, have, job.want) if job.want else []
    job.ops = before + tree + after
    if job.want and not hook["ifb"] and ns.index(ifb) is not None:
        raise NetemError("interface", "cannot create IFB %s for ingress: a device of that name exists" % ifb)


def _rollback(ns, netns, jobs):
    """Best effort: put every touched interface back to what it had before."""
    for job in jobs:
        try:
            have, _foreign, hook = _gather(ns, netns, job)
            if job.direction == "egress":
                ops = plan.plan_tree(job.interface, have, job.have)
            else:
                ops = []
                if not job.have:
                    ops = plan.plan_ingress_hook(job.interface, hook, [], hook["ifb"])[0]
                elif hook["ifb"]:
                    ops = plan.plan_tree(hook["ifb"], have, job.have)
            execute(ns, ops)
            ns.refresh_qdiscs()
        except Exception:  # keep rolling back the others
            continue


# ----------------------------------------------------------- gathered --


def gather_all(netns=None, interface=None):
    """Every tree this collection owns in a namespace (or on one interface)."""
    out = []
    with NetlinkSession(netns) as session:
        ns = Namespace(session, netns)
        if interface is not None and ns.index(interface) is None:
            raise NetemError("interface", "interface %r not found" % interface)
        for link in ns.links:
            if interface is not None and link["name"] != interface:
                continue
            if link["kind"] == "ifb" and link["alias"].startswith(plan.IFB_ALIAS_PREFIX):
                continue
            for direction in ("egress", "ingress"):
                job = Job(link["name"], netns=netns, direction=direction)
                if direction == "ingress" and ns.ifb_for(link["name"]) is None:
                    continue
                rules = _gather(ns, netns, job)[0]
                if rules:
                    out.append({"interface": link["name"], "netns": netns, "direction": direction,
                                "rules": [model.rule_to_user(r) for r in rules]})
    return out


def render_job(job):
    """tc/ip commands that build the job's rules from scratch (no kernel access)."""
    if job.direction == "egress":
        ops = plan.build_tree(job.interface, job.rules)
    else:
        ifb = plan.ifb_name(job.interface, "<ifindex>")
        hook = {"ifb": None, "redirect": False, "ingress_qdisc": None, "other_filters": False}
        before, after = plan.plan_ingress_hook(job.interface, hook, job.rules, ifb)
        ops = before + plan.build_tree(ifb, job.rules) + after
    return render.commands(ops, job.netns)
