# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netem resource on the engine: many interfaces and namespaces in one run.

One netlink session per namespace: one qdisc dump (links by ioctl) serves
every interface in it, and all changes go out as batched requests. Fabric
staging and impairment sweeps call converge() directly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import json
import os
import threading

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.engine import apply, resource
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import rtnl, tc
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkSession
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model, plan, render

STATE_DIR = os.environ.get("AIFABRIC_STATE_DIR", "/run/aifabric-emulation")


NetemError = errors.ModuleError


def netem_available():
    """Ask the kernel: add a netem qdisc on lo in a private, throwaway network namespace.

    Nothing on the host is touched, and a kernel that autoloads sch_netem or
    has it built in (no /lib/modules, containers) answers yes.
    """
    answer = []

    def probe():
        import ctypes  # only here: its import alone costs a fifth of a second under TCG
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNET) != 0:  # this thread only; it dies with the thread's last socket
            answer.append(None)
            return
        try:
            with NetlinkSession() as session:  # opened in this thread's new namespace; lo is ifindex 1
                session.queue(*tc.qdisc_request("add", 1, plan.TC_H_ROOT, plan.ROOT_HANDLE, "netem",
                                                tc.encode_netem(model.empty_netem())))
                answer.append(session.flush()[0].ok)
        except (OSError, ValueError):
            answer.append(None)

    worker = threading.Thread(target=probe)
    worker.start()
    worker.join()
    return bool(answer and answer[0])


CLONE_NEWNET = 0x40000000


# ----------------------------------------------------------- state file --


class StateStore:
    """What the kernel cannot tell us (rule names, tables, user seeds), one file per namespace.

    save() re-reads the file under an exclusive flock and applies only this
    run's changes, then renames a unique temporary file over it, so concurrent
    runs on one host (Ansible forks against emulated endpoints) keep each
    other's records.
    """

    def __init__(self, netns):
        key = (netns or "_init").strip("/").replace("/", "_")
        self.path = os.path.join(STATE_DIR, "netem", key + ".json")
        self.changes = {}
        self.data = self._read()

    def _read(self):
        try:
            with open(self.path) as f:
                return json.load(f)
        except (IOError, OSError, ValueError):
            return {}

    def get(self, dev, direction):
        key = "%s.%s" % (dev, direction)
        if key in self.changes:
            return self.changes[key] or {}
        return self.data.get(key, {})

    def put(self, dev, direction, rules):
        bands = {}
        for band, rule in plan.layout(rules)[2]:
            delay = rule["delay_dist"]
            bands[str(band)] = {"name": rule["name"], "delay_dist": model.dist_id(delay),
                                "slot_dist": model.dist_id(rule["slot_dist"]),
                                "seed_set": rule["netem"]["seed"] is not None,
                                "delay_file": delay.get("file") if isinstance(delay, dict) else None}
        self.changes["%s.%s" % (dev, direction)] = {"bands": bands} if bands else None

    def save(self):
        if not self.changes:
            return
        folder = os.path.dirname(self.path)
        os.makedirs(folder, exist_ok=True)
        with open(self.path + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read()
            for key, value in self.changes.items():
                if value is None:
                    data.pop(key, None)
                else:
                    data[key] = value
            if not data:
                try:
                    os.unlink(self.path)
                except OSError:
                    pass
            else:
                tmp = "%s.%d.%d.tmp" % (self.path, os.getpid(), threading.current_thread().ident)
                try:
                    os.unlink(tmp)  # under the lock, a file of this name is a dead run's leftover
                except OSError:
                    pass
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    with os.fdopen(fd, "w") as f:
                        f.write(json.dumps(data, sort_keys=True, separators=(",", ":")))
                    os.rename(tmp, self.path)
                except BaseException:
                    os.unlink(tmp)
                    raise
        self.data, self.changes = data, {}


# ------------------------------------------------------------- gather --


class Namespace:
    """Kernel view of one namespace: one qdisc dump; links by ioctl, dumped only when needed."""

    def __init__(self, session, netns=None):
        self.session = session
        self.state = StateStore(netns)
        self.encoded = {}  # netem options per rule object: a bulk run encodes one rule for many interfaces
        self._links = None
        self._index = {}
        self._names = None
        self.refresh_qdiscs()

    def refresh_qdiscs(self):
        self.qdiscs = {}
        for q in tc.dump_qdiscs(self.session):
            self.qdiscs.setdefault(q["ifindex"], []).append(q)

    def forget_links(self):
        self._links, self._index, self._names = None, {}, None

    @property
    def links(self):
        if self._links is None:
            self._links = rtnl.dump_links(self.session)
        return self._links

    def has_link(self, name):
        """Whether a device exists, from the link dump: an ioctl for a missing name makes the kernel
        try `modprobe netdev-NAME`."""
        if self._names is None:
            self._names = set(link["name"] for link in self.links)
        return name in self._names

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
    state = resource.canonical_state(state)
    if state in ("replaced", "overridden"):
        return list(rules or [])
    if state == "deleted":
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
        index = ns.index(op["dev"])
        if index is None:
            raise KeyError(op["dev"])
        return [rtnl.del_link_request(index)]
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


NETEM_HINT = "sch_netem is not available in kernel %s: load it with `modprobe sch_netem` " \
    "(Debian/Ubuntu ship it in linux-image-* / linux-modules-extra-*)"


class Job:
    """One interface and direction to converge; its result is filled in by converge()."""

    def __init__(self, interface, rules=None, state="merged", netns=None, direction="egress",
                 allow_management=False, field="interface"):
        self.interface, self.rules, self.state = interface, rules, resource.canonical_state(state)
        self.netns, self.direction, self.allow_management = netns, direction, allow_management
        self.field = field  # where the job came from in the module's options, for messages
        self.ttl = None  # seconds: arm a revert on the host (ttl.py)
        self.schedule = None  # a compiled schedule.Schedule that drives one of the rules
        self.hold = ()  # names of rules a running schedule drives: the kernel's values are the wanted ones
        self.result = {"changed": False, "interface": interface, "netns": netns, "direction": direction,
                       "before": [], "after": [], "commands": []}
        self.ops, self.have, self.want = [], [], []
        self.key = (interface, direction)  # interface and direction never change after this


class NetemResource(resource.Resource):
    """Owned netem trees on interfaces of any namespaces; an entry is a Job."""

    def scopes(self, entries):
        order, groups = [], {}
        for job in entries:
            if job.netns not in groups:
                order.append(job.netns)
                groups[job.netns] = []
            groups[job.netns].append(job)
        return [(ns, groups[ns]) for ns in order]

    def open(self, netns):
        ctx = resource.Resource.open(self, netns)
        ctx.ns = Namespace(ctx.session, netns)
        return ctx

    def gather(self, scope):
        ns = scope.ctx.ns
        if scope.have is not None:
            ns.refresh_qdiscs()
        have = {}
        for job in scope.entries:
            if ns.index(job.interface) is None:
                raise NetemError(job.field, "interface %r not found in %s" % (job.interface, _where(scope.netns)))
            have[job.key] = _gather(ns, job)
        return have

    def items(self, scope, have):
        return dict((job.key, [model.rule_to_user(r) for r in have[job.key][0]]) for job in scope.entries)

    def plan(self, scope):
        ns, predicted, ops = scope.ctx.ns, {}, []
        for job in scope.entries:
            _plan_job(ns, job, *scope.have[job.key])
            predicted[job.key] = [model.rule_to_user(r) for r in job.want] if job.ops else scope.before[job.key]
            ops.extend(job.ops)
        return _waves(ops), predicted

    def guard_targets(self, scope):
        """Impairing the connection's interface, either way, can cut it (per-job allow_management)."""
        targets = []
        for job in scope.entries:
            if job.want and job.ops and not job.allow_management:
                what = "impair its egress" if job.direction == "egress" else "redirect its ingress through an IFB"
                targets.append((scope.ctx.ns.index(job.interface), job.field, what))
        return targets

    def encode(self, scope, op):
        return _encode(op, scope.ctx.ns, scope.ctx.ns.encoded)

    def after_wave(self, scope, wave):
        if wave[0]["op"] == "link":
            scope.ctx.ns.forget_links()

    def render(self, scope, ops):
        return render.commands(ops, scope.netns)

    def explain(self, scope, failure):
        op = failure.op or {}
        if op.get("kind") == "netem" and failure.errno in (errno.ENOENT, errno.EOPNOTSUPP) and not netem_available():
            return NETEM_HINT % os.uname()[2]
        return failure.text

    def revert(self, scope, now):
        ops = []
        for job in scope.entries:
            if not job.ops:
                continue
            have, _foreign, hook = now[job.key]
            if job.direction == "egress":
                ops += plan.plan_tree(job.interface, have, job.have)
            elif not job.have:
                ops += plan.plan_ingress_hook(job.interface, hook, [], hook["ifb"])[0]
            elif hook["ifb"]:
                ops += plan.plan_tree(hook["ifb"], have, job.have)
        return _waves(ops)

    def committed(self, scope):
        for job in scope.entries:
            if job.ops:
                scope.ctx.ns.state.put(job.interface, job.direction, job.want)
        scope.ctx.ns.state.save()


def _waves(ops):
    """Links (IFB devices) and tc objects alternate in the order planned; each run is one batch."""
    return apply.waves_by(ops, lambda op: op["op"] == "link")


def _where(netns):
    return "network namespace %r" % netns if netns else "the initial network namespace"


def converge(jobs, check_mode=False, environ=None):
    """Converge every job; one session per namespace. Fills job.result and returns the jobs."""
    run = NetemResource(check_mode=check_mode, environ=environ).converge(jobs)
    for scope in run.scopes:
        for job in scope.entries:
            job.result.update(changed=bool(job.ops), commands=render.commands(job.ops, job.netns) if job.ops else [],
                              before=scope.before[job.key], after=run.after[id(scope)][job.key])
    return jobs


def _gather(ns, job):
    meta = ns.state.get(job.interface, job.direction)
    if job.direction == "egress":
        rules, foreign = ns.tree(job.interface, meta)
        return rules, foreign, None
    hook = ns.hook(job.interface)
    rules, foreign = ns.tree(hook["ifb"], meta) if hook["ifb"] else ([], None)
    return rules, foreign, hook


def _plan_job(ns, job, have, foreign, hook):
    job.have = have
    job.want = desired_rules(job.state, have, job.rules)
    if job.hold:
        job.want = _held(job.want, have, job.hold)
    if job.want and foreign:
        raise NetemError(job.field, "%s already has a root qdisc %s that this collection did not create; "
                         "remove it first, it is left untouched" % (job.interface, foreign))
    if job.direction == "egress":
        job.ops = plan.plan_tree(job.interface, have, job.want)
        return
    ifb = hook["ifb"] or plan.ifb_name(job.interface, ns.index(job.interface))
    before, after = plan.plan_ingress_hook(job.interface, hook, job.want, ifb)
    tree = plan.plan_tree(ifb, have, job.want) if job.want else []
    job.ops = before + tree + after
    if job.want and not hook["ifb"] and ns.has_link(ifb):
        raise NetemError(job.field, "cannot create IFB %s for ingress: a device of that name exists" % ifb)


def _held(want, have, names):
    """want, with the kernel's netem values for the rules a running schedule drives (same name and match).

    A re-run with the same schedule (a heartbeat) must not reset what the
    schedule has set so far; anything else about the rule still counts.
    """
    kernel = dict((r["name"], r) for r in have)
    out = []
    for rule in want:
        h = kernel.get(rule["name"])
        if rule["name"] in names and h is not None and h["match"] == rule["match"]:
            rule = dict(rule, netem=dict(h["netem"]), auto_limit=False)
            if h["delay_dist"] is None and not h["netem"]["jitter"]:
                rule["delay_dist"] = None  # a step without jitter: the kernel shows no table, and none is needed
        out.append(rule)
    return out


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
                rules = _gather(ns, job)[0]
                if rules:
                    out.append({"interface": link["name"], "netns": netns, "direction": direction,
                                "rules": [model.rule_to_user(r) for r in rules]})
    return out


def undeclared_jobs(jobs):
    """overridden: a job that removes every owned tree, in the namespaces named, that no job declares."""
    declared = set((j.netns, j.interface, j.direction) for j in jobs)
    extra = []
    for netns in sorted(set(j.netns for j in jobs), key=lambda n: n or ""):
        for found in gather_all(netns):
            if (netns, found["interface"], found["direction"]) not in declared:
                extra.append(Job(found["interface"], [], "replaced", netns, found["direction"],
                                 allow_management=any(j.allow_management for j in jobs),
                                 field="state (overridden removes %s %s)" % (found["interface"], found["direction"])))
    return extra


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
