# -*- coding: utf-8 -*-
# Copyright: aifabric.emulation contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RoCE resource on the engine: facts, plan and codecs for one NIC.

DCB and the MTU work in any network namespace (netlink); sysfs, configfs and
RDMA devices are seen only from the initial namespace, so those sections are
refused for a NIC in another one. Operations are plain dicts, applied one per
wave; on a failure the engine applies the inverses of what was done, newest
first, and reads the NIC back to report what was restored:
  {"op": "dcb", "what": "pfc"|"ets"|"app_add"|"app_del"|"apptrust", "value": ...}
  {"op": "write"|"mkdir"|"rmdir"|"mount", "path": ..., "value": ...}     (knobs.apply)
  {"op": "mtu", "value": n}
  {"op": "rdma_link", "action": "add"|"delete", "name", "type"}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.engine import resource
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import dcb, rdma, rtnl
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkError, NetlinkSession
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import knobs, model, render, sysfs

TSA_NAMES = model.TSA_NAMES


RoceError = errors.ModuleError


# ---------------------------------------------------------------- facts --


SETTINGS = ("mtu", "pfc", "ets", "dscp_map", "trust", "ecn", "cnp", "rdma_cm", "soft_roce")
HOST_ONLY = ("ecn", "cnp", "rdma_cm", "soft_roce")  # sysfs, configfs and RDMA: initial namespace only


def gather(netdev, rdma_device=None, port=1, root="/", netns=None, session=None):
    """Everything we know about the NIC's RoCE story, as a plain dict."""
    if session is None:
        with NetlinkSession(netns) as own:
            return gather(netdev, rdma_device, port, root, netns, own)
    link = _link(session, netdev, netns)
    driver = (None if netns else _driver(root, netdev)) or link["kind"]
    facts = {"netdev": netdev, "mtu": link["mtu"], "kind": link["kind"], "port": port,
             "driver": driver, "dcb": {"supported": True, "reason": None},
             "pfc": None, "ets": None, "dscp_map": None, "apptrust": None, "_raw": None}
    try:
        raw = dcb.get_ieee(session, netdev)
    except dcb.DcbNotSupported as e:
        facts["dcb"] = {"supported": False, "reason": "%s: DCB is not supported by driver %s (%s)" % (
            netdev, driver or "unknown", os.strerror(getattr(e, "errno", 0) or 95))}
    else:
        facts.update(_dcb_facts(raw))
    if netns:  # sysfs shows the initial namespace's devices: nothing there is about this NIC
        facts.update(ecn=None, cnp=None, rdma_device=None, rdma_cm=None, gids=[], counters={}, soft_roce=[])
        facts["trust"], facts["trust_source"] = _trust(None, netdev, facts)
        return facts
    facts["ecn"] = knobs.read_ecn(root, netdev)
    facts["cnp"] = knobs.read_cnp(root, netdev)
    facts["trust"], facts["trust_source"] = _trust(root, netdev, facts)
    facts["rdma_device"] = rdma_device or _rdma_device_of(root, netdev, port)
    dev = facts["rdma_device"]
    facts["rdma_cm"] = knobs.read_rdma_cm(root, dev, port) if dev else None
    facts["gids"] = sysfs.gids(root, dev, port) if dev else []
    facts["counters"] = sysfs.hw_counters(root, dev, port) if dev else {}
    facts["soft_roce"] = _soft_links(netdev) if root == "/" else []
    return facts


def _link(session, netdev, netns=None):
    index = session.ifindex(netdev)
    if index is None:
        if netns:
            raise RoceError("netdev", "%s does not exist in network namespace %r" % (netdev, netns))
        raise RoceError("netdev", "%s does not exist in the initial network namespace, where RDMA devices and "
                        "their QoS live (set netns for a NIC in another namespace)" % netdev)
    for link in rtnl.dump_links(session):
        if link["index"] == index:
            return link
    raise RoceError("netdev", "%s vanished while it was being read" % netdev)


def _driver(root, netdev):
    target = os.path.join(root, "sys/class/net", netdev, "device", "driver")
    return os.path.basename(os.path.realpath(target)) if os.path.islink(target) else None


def _dcb_facts(raw):
    out = {"_raw": raw, "apptrust": raw.get("apptrust")}
    pfc = raw.get("pfc")
    if pfc is not None:
        out["pfc"] = {"enabled": [p for p in range(8) if pfc["pfc_en"] & (1 << p)], "delay": pfc["delay"]}
    ets = raw.get("ets")
    if ets is not None:
        out["ets"] = {"prio_tc": list(ets["prio_tc"]), "tsa": [TSA_NAMES.get(t, str(t)) for t in ets["tc_tsa"]],
                      "bandwidth": list(ets["tc_tx_bw"])}
    out["dscp_map"] = dict((proto, prio) for sel, proto, prio in raw.get("app", []) if sel == dcb.SEL_DSCP)
    return out


def _trust(root, netdev, facts):
    """(trust, where it comes from): the sysfs file, dcb apptrust, or mlx5's APP-table rule."""
    value = knobs.read_trust(root, netdev) if root is not None else None
    if value is not None:
        return value, "sysfs"
    if facts.get("apptrust"):
        return ("dscp" if facts["apptrust"][0] == dcb.SEL_DSCP else "pcp"), "apptrust"
    if facts.get("dscp_map"):
        return "dscp", "app-table"
    if facts["dcb"]["supported"]:
        return "pcp", "app-table"
    return None, None


def _rdma_device_of(root, netdev, port):
    for dev in sysfs.devices(root):
        if sysfs.netdev_of(root, dev, port) == netdev:
            return dev
    return None


def _soft_links(netdev):
    try:
        with rdma.open_session() as session:
            return [{"name": p["dev_name"], "port": p["port"]} for p in rdma.dump_ports(session)
                    if p.get("netdev") == netdev]
    except (OSError, NetlinkError):
        return []


# ----------------------------------------------------------------- plan --


def plan(want, facts, state, root="/"):
    """Ops that bring `facts` to `want` (merged / replaced / deleted)."""
    netdev, ops = facts["netdev"], []
    if state == "deleted":
        want = _defaults_for(want, facts)
    ops += _plan_soft_roce(want, facts)
    dcb_ops = _plan_dcb(want, facts, state)
    if dcb_ops and not facts["dcb"]["supported"]:
        raise RoceError(None, facts["dcb"]["reason"])
    ops += dcb_ops
    ops += _plan_trust(want, facts, root, state)
    ops += _plan_ecn(want, facts, root)
    ops += _plan_rdma_cm(want, facts, state, root)
    if want.get("mtu") is not None and want["mtu"] != facts["mtu"]:
        ops.append({"op": "mtu", "value": want["mtu"], "old": facts["mtu"]})
    for op in ops:
        op.setdefault("netdev", netdev)
    return ops


def _defaults_for(want, facts):
    """deleted: the sections named go back to kernel defaults."""
    out = {}
    if "pfc" in want:
        out["pfc"] = {"enabled": [], "delay": None}
    if "dscp_map" in want:
        out["dscp_map"] = {}
    if "trust" in want:
        out["trust"] = "pcp"
    if "ecn" in want:
        out["ecn"] = {"np": [], "rp": []}
    if "rdma_cm" in want:
        out["rdma_cm"] = "remove"
    if "soft_roce" in want:
        out["soft_roce"] = dict(want["soft_roce"], state="absent")
    return out


def _plan_soft_roce(want, facts):
    sr = want.get("soft_roce")
    if not sr:
        return []
    name = sr.get("name") or "%s%s" % (sr.get("type", "rxe"), "0")
    present = any(l["name"] == name for l in facts["soft_roce"])
    if sr.get("state", "present") == "absent":
        return [{"op": "rdma_link", "action": "delete", "name": name}] if present else []
    if present:
        return []
    if facts["kind"] == "vlan":
        raise RoceError("soft_roce", "rxe refuses VLAN netdevs: create it on the VLAN's parent device instead")
    return [{"op": "rdma_link", "action": "add", "name": name, "type": sr.get("type", "rxe")}]


def _plan_dcb(want, facts, state):
    ops = []
    raw = facts.get("_raw") or {}
    if "pfc" in want and (facts["pfc"] is None or want["pfc"]["enabled"] != facts["pfc"]["enabled"]
                          or (want["pfc"]["delay"] is not None and want["pfc"]["delay"] != facts["pfc"]["delay"])):
        pfc = dict(raw.get("pfc") or {"pfc_cap": 8, "mbc": 0, "delay": 0, "requests": [0] * 8, "indications": [0] * 8})
        pfc["pfc_en"] = sum(1 << p for p in want["pfc"]["enabled"])
        if want["pfc"]["delay"] is not None:
            pfc["delay"] = want["pfc"]["delay"]
        ops.append({"op": "dcb", "what": "pfc", "value": pfc, "old": raw.get("pfc")})
    if "ets" in want and want["ets"] != facts["ets"]:
        ets = dict(raw.get("ets") or {"willing": 0, "ets_cap": 8, "cbs": 0, "tc_rx_bw": [0] * 8,
                                      "tc_reco_bw": [0] * 8, "tc_reco_tsa": [0] * 8, "reco_prio_tc": [0] * 8})
        ets.update(prio_tc=list(want["ets"]["prio_tc"]), tc_tsa=[model.TSA[t] for t in want["ets"]["tsa"]],
                   tc_tx_bw=list(want["ets"]["bandwidth"]))
        ops.append({"op": "dcb", "what": "ets", "value": ets, "old": raw.get("ets")})
    if "dscp_map" in want:
        have = facts["dscp_map"] or {}
        add = [(dcb.SEL_DSCP, d, p) for d, p in sorted(want["dscp_map"].items()) if have.get(d) != p]
        drop = [(dcb.SEL_DSCP, d, p) for d, p in sorted(have.items())
                if d in want["dscp_map"] and want["dscp_map"][d] != p
                or (state in ("replaced", "deleted") and d not in want["dscp_map"])]
        if drop:
            ops.append({"op": "dcb", "what": "app_del", "value": drop})
        if add:
            ops.append({"op": "dcb", "what": "app_add", "value": add})
    return ops


def _plan_trust(want, facts, root, state="merged"):
    trust = want.get("trust")
    if trust is None:
        return []
    if facts["trust_source"] == "sysfs":
        if trust == facts["trust"]:
            return []
        return [{"op": "write", "path": knobs.trust_file(root, facts["netdev"]), "value": trust,
                 "old": facts["trust"]}]
    if facts.get("apptrust") is not None:
        if trust == facts["trust"]:
            return []
        order = [dcb.SEL_DSCP, dcb.SEL_PCP] if trust == "dscp" else [dcb.SEL_PCP, dcb.SEL_DSCP]
        return [{"op": "dcb", "what": "apptrust", "value": order, "old": facts["apptrust"]}]
    if not facts["dcb"]["supported"]:
        raise RoceError("trust", facts["dcb"]["reason"])
    # mlx5 without qos/trust or apptrust: trust is DSCP exactly while DSCP APP entries exist
    entries = _dscp_entries_after(want, facts, state)
    if trust == "dscp" and not entries:
        raise RoceError("trust", "this driver switches to DSCP trust only through DSCP APP entries: set dscp_map")
    if trust == "pcp" and entries:
        raise RoceError("trust", "pcp trust conflicts with dscp_map on this driver (DSCP APP entries switch it to "
                        "dscp): remove them with state replaced or deleted and dscp_map: {}")
    return []


def _dscp_entries_after(want, facts, state):
    have = facts.get("dscp_map") or {}
    if "dscp_map" not in want:
        return have
    if state in ("replaced", "deleted"):
        return want["dscp_map"]
    merged = dict(have)
    merged.update(want["dscp_map"])
    return merged


def _plan_ecn(want, facts, root):
    ops = []
    if "ecn" in want:
        if facts["ecn"] is None:
            raise RoceError("ecn", "%s exposes no ECN/DCQCN knobs (no %s); DCQCN needs an MLNX_OFED-style NIC"
                            % (facts["netdev"], knobs.ecn_dir(root, facts["netdev"], "np")))
        for side in ("np", "rp"):
            for p in range(8):
                on, was = p in want["ecn"][side], p in facts["ecn"][side]
                if on != was:
                    ops.append({"op": "write", "path": os.path.join(knobs.ecn_dir(root, facts["netdev"], side),
                                                                    "enable", str(p)),
                                "value": int(on), "old": int(was)})
    cnp = want.get("cnp")
    if cnp:
        have = facts["cnp"]
        if have is None:
            raise RoceError("cnp", "%s exposes no CNP priority/DSCP knobs" % facts["netdev"])
        for key, name in (("priority", "cnp_802p_prio"), ("dscp", "cnp_dscp")):
            if cnp.get(key) is not None and cnp[key] != have.get(key):
                ops.append({"op": "write", "path": os.path.join(knobs.ecn_dir(root, facts["netdev"], "np"), name),
                            "value": cnp[key], "old": have.get(key)})
    return ops


def _plan_rdma_cm(want, facts, state, root):
    cm = want.get("rdma_cm")
    if not cm:
        return []
    dev = facts["rdma_device"] or (want.get("soft_roce") or {}).get("name")
    if not dev:
        raise RoceError("rdma_cm", "no RDMA device is bound to %s (set rdma_device, or soft_roce to create one)"
                        % facts["netdev"])
    base = knobs.rdma_cm_dir(root, dev)
    if cm == "remove":
        return [{"op": "rmdir", "path": base}] if facts["rdma_cm"] is not None else []
    ops = []  # configfs itself is made ready by RoceResource.preflight (knobs.ensure_configfs)
    have = facts["rdma_cm"] or {}
    if facts["rdma_cm"] is None:
        ops.append({"op": "mkdir", "path": base})
    port_dir = os.path.join(base, "ports", str(facts["port"]))
    if cm.get("tos") is not None and cm["tos"] != have.get("tos"):
        ops.append({"op": "write", "path": os.path.join(port_dir, "default_roce_tos"), "value": cm["tos"],
                    "old": have.get("tos")})
    if cm.get("mode") is not None and cm["mode"] != have.get("mode"):
        ops.append({"op": "write", "path": os.path.join(port_dir, "default_roce_mode"), "value": cm["mode"],
                    "old": have.get("mode")})
    return ops


# ---------------------------------------------------------------- apply --


def settings(facts):
    """The settings part of the facts, in the module's option names."""
    out = dict((k, facts.get(k)) for k in SETTINGS)
    if out["dscp_map"] is not None:
        out["dscp_map"] = dict((str(k), v) for k, v in sorted(out["dscp_map"].items()))
    return out


def predicted(facts, want):
    out = settings(facts)
    for key in SETTINGS:
        if key in want and key != "soft_roce":
            out[key] = want[key] if key != "dscp_map" else dict((str(k), v) for k, v in sorted(want[key].items()))
    return out


class RoceResource(resource.Resource):
    """The RoCE settings of one NIC; the one entry is the canonical desired state (model.normalize)."""

    def __init__(self, netdev, rdma_device=None, port=1, root="/", netns=None, **kwargs):
        resource.Resource.__init__(self, **kwargs)
        self.netdev, self.rdma_device, self.port, self.root, self.netns = netdev, rdma_device, port, root, netns
        self.planned = None  # ops planned by the caller (apply())

    def scopes(self, entries):
        return [(self.netns, entries)]

    def gather(self, scope):
        return gather(self.netdev, self.rdma_device, self.port, self.root, self.netns, scope.ctx.session)

    def items(self, scope, have):
        return settings(have)

    def plan(self, scope):
        want = scope.entries[0]
        if self.netns:
            for key in HOST_ONLY:
                if want.get(key):
                    raise RoceError(key, "%s is set through sysfs/configfs/RDMA netlink, which only the initial "
                                    "network namespace sees; %s is in %r" % (key, self.netdev, self.netns))
        ops = self.planned if self.planned is not None else plan(want, scope.have, self.state, self.root)
        return [[op] for op in ops], predicted(scope.have, want)

    def preflight(self, scope):
        """RDMA-CM defaults live in configfs: load and mount what is missing now, or name rdma_cm and stop."""
        if any(op["op"] in ("mkdir", "write") and knobs.CONFIGFS in op["path"] for op in scope.ops):
            knobs.ensure_configfs(self.root, dry_run=self.check_mode)

    def guarded(self, scope, op):
        if op["op"] == "mtu":
            return [(scope.ctx.session.ifindex(self.netdev), "mtu",
                     "change the MTU of %s from %s to %d" % (self.netdev, op.get("old"), op["value"]))]
        return []

    def encode(self, scope, op):
        return [lambda: _apply_one(scope.ctx.session, op, self.netdev)]

    def render(self, scope, ops):
        return render.commands(ops)

    def revert(self, scope, now):
        failed = set(id(f.op) for f in getattr(scope, "failures", ()))
        done = [op for op in scope.applied if id(op) not in failed]
        return [[inverse] for inverse in (_inverse(op) for op in reversed(done)) if inverse is not None]


def apply(ops, netdev, root="/", netns=None):
    """Apply ops planned by the caller; on failure undo and raise (compatibility entry point)."""
    res = RoceResource(netdev, root=root, netns=netns, allow_management=True)
    res.planned = ops
    res.converge([{}])


def _apply_one(session, op, netdev):
    kind = op["op"]
    if kind == "dcb":
        what, value = op["what"], op["value"]
        if what == "pfc":
            request = dcb.set_pfc_request(netdev, value)
        elif what == "ets":
            request = dcb.set_ets_request(netdev, value)
        elif what == "apptrust":
            request = dcb.set_apptrust_request(netdev, value)
        else:
            request = dcb.app_request("add" if what == "app_add" else "delete", netdev, value)
        dcb.apply(session, request)  # the driver's verdict is in the reply, not the ack
    elif kind == "mtu":
        session.request(*rtnl.set_link_request(session.ifindex(netdev), mtu=op["value"]))
    elif kind == "rdma_link":
        with rdma.open_session() as rs:
            if op["action"] == "add":
                rs.request(*rdma.new_link_request(op["name"], op["type"], netdev))
            else:
                index = [d["index"] for d in rdma.dump_devices(rs) if d["name"] == op["name"]]
                if index:
                    rs.request(*rdma.del_link_request(index[0]))
    else:
        knobs.apply(op)


def _inverse(op):
    kind = op["op"]
    if kind == "dcb":
        if op["what"] == "app_add":
            return dict(op, what="app_del")
        if op["what"] == "app_del":
            return dict(op, what="app_add")
        return dict(op, value=op["old"]) if op.get("old") is not None else None
    if kind in ("write", "mtu"):
        return dict(op, value=op["old"]) if op.get("old") is not None else None
    if kind == "mkdir":
        return {"op": "rmdir", "path": op["path"]}
    if kind == "rdma_link":
        return dict(op, action="delete") if op["action"] == "add" else None
    return None
