# -*- coding: utf-8 -*-
"""roce core.plan on a fake MLNX_OFED-style sysfs/configfs tree, checked as command lines, applied with
knobs.apply (file ops) and planned again (idempotence); error cases; core._inverse (rollback)."""
import copy
import os

import pytest

from casetable import load_cases
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import dcb
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import core, knobs, model, preflight, render

NETDEV, RDMA_DEVICE = "eth9", "mlx5_0"
SELECTORS = {"dscp": dcb.SEL_DSCP, "pcp": dcb.SEL_PCP}
FILE_OPS = ("write", "mkdir", "rmdir")
RDMA_CM = "sys/kernel/config/rdma_cm"
UNSUPPORTED = "eth9: DCB is not supported by driver virtio_net (Operation not supported)"


def build_tree(root, overrides=None):
    """A fresh OFED-style NIC eth9 under root, then `overrides` {relative path: content or None (remove)}."""
    ecn = os.path.join(root, "sys/class/net", NETDEV, "ecn")
    for side in ("np", "rp"):
        os.makedirs(os.path.join(ecn, "roce_" + side, "enable"))
        for prio in range(8):
            _write(os.path.join(ecn, "roce_" + side, "enable", str(prio)), "0")
    _write(os.path.join(ecn, "roce_np", "cnp_802p_prio"), "0")
    _write(os.path.join(ecn, "roce_np", "cnp_dscp"), "0")
    _write(os.path.join(root, "sys/class/net", NETDEV, "qos", "trust"), "pcp")
    os.makedirs(os.path.join(root, RDMA_CM))
    for rel, content in (overrides or {}).items():
        path = os.path.join(root, rel)
        if content is None:
            os.remove(path)
        else:
            _write(path, content)


def _write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(str(content) + "\n")


def raw_dcb(spec):
    """What dcb.parse_ieee returns for a DCB state written the readable way (see roce_plan.yml)."""
    spec = spec or {}
    ets = spec.get("ets") or {"prio_tc": [0] * 8, "tsa": ["ets"] * 8, "bandwidth": [100] + [0] * 7}
    return {
        "pfc": {"pfc_cap": 8, "pfc_en": sum(1 << p for p in spec.get("pfc", [])), "mbc": 0, "delay": 0,
                "requests": [0] * 8, "indications": [0] * 8},
        "ets": {"willing": 0, "ets_cap": 8, "cbs": 0, "tc_tx_bw": list(ets["bandwidth"]), "tc_rx_bw": [0] * 8,
                "tc_tsa": [model.TSA[t] for t in ets["tsa"]], "prio_tc": list(ets["prio_tc"]),
                "tc_reco_bw": [0] * 8, "tc_reco_tsa": [0] * 8, "reco_prio_tc": [0] * 8},
        "app": [(dcb.SEL_DSCP, d, p) for d, p in sorted((spec.get("app") or {}).items())],
        "apptrust": None if spec.get("apptrust") is None else [SELECTORS[s] for s in spec["apptrust"]],
    }


class FakeHost:
    """The NIC's state outside the files: DCB as the driver would report it, the MTU, the link kind.

    facts() assembles them the way core.gather() does, with the file knobs read by the real readers.
    """

    def __init__(self, root, dcb_spec=None, supported=True, kind=None, mtu=1500, rdma_device=RDMA_DEVICE):
        self.root, self.raw, self.supported = root, raw_dcb(dcb_spec), supported
        self.kind, self.mtu, self.rdma_device = kind, mtu, rdma_device

    def facts(self):
        facts = {"netdev": NETDEV, "mtu": self.mtu, "kind": self.kind, "port": 1,
                 "driver": "mlx5_core" if self.supported else "virtio_net",
                 "dcb": {"supported": True, "reason": None},
                 "pfc": None, "ets": None, "dscp_map": None, "apptrust": None, "_raw": None}
        if self.supported:
            facts.update(core._dcb_facts(copy.deepcopy(self.raw)))
        else:
            facts["dcb"] = {"supported": False, "reason": UNSUPPORTED}
        facts["ecn"] = knobs.read_ecn(self.root, NETDEV)
        facts["cnp"] = knobs.read_cnp(self.root, NETDEV)
        facts["trust"], facts["trust_source"] = core._trust(self.root, NETDEV, facts)
        facts["rdma_device"] = self.rdma_device
        facts["rdma_cm"] = knobs.read_rdma_cm(self.root, self.rdma_device, 1) if self.rdma_device else None
        facts.update(gids=[], counters={}, soft_roce=[])
        return facts

    def apply(self, ops):
        for op in ops:
            if op["op"] in FILE_OPS:
                self._file_op(op)
            elif op["op"] == "dcb":
                self._dcb_op(op["what"], op["value"])
            elif op["op"] == "mtu":
                self.mtu = op["value"]
            else:
                raise AssertionError("unexpected op %r" % op)

    def _file_op(self, op):
        """knobs.apply, plus what configfs does around it: mkdir of rdma_cm/<dev> brings its
        ports/<n>/ default group (kernel defaults ToS 0, RoCE v2), rmdir takes it away."""
        configfs = os.path.dirname(op["path"]) == os.path.join(self.root, RDMA_CM)
        if configfs and op["op"] == "rmdir":
            ports = os.path.join(op["path"], "ports", "1")
            for name in os.listdir(ports):
                os.remove(os.path.join(ports, name))
            os.rmdir(ports)
            os.rmdir(os.path.dirname(ports))
        knobs.apply(op)
        if configfs and op["op"] == "mkdir":
            _write(os.path.join(op["path"], "ports", "1", "default_roce_tos"), "0")
            _write(os.path.join(op["path"], "ports", "1", "default_roce_mode"), "RoCE v2")

    def _dcb_op(self, what, value):
        if what in ("pfc", "ets"):
            self.raw[what] = copy.deepcopy(value)
        elif what == "apptrust":
            self.raw["apptrust"] = list(value)
        elif what == "app_add":  # the kernel keeps one copy of an exact duplicate; order is not compared
            self.raw["app"] = sorted(set(self.raw["app"]) | set(tuple(e) for e in value))
        elif what == "app_del":
            self.raw["app"] = sorted(set(self.raw["app"]) - set(tuple(e) for e in value))
        else:
            raise AssertionError("unexpected dcb op %r" % what)


def root_of(tmp_path):
    return str(tmp_path)


def commands(ops, root):
    return [line.replace(root, "$ROOT") for line in render.commands(ops)]


def read_rel(root, rel):
    return knobs.read(os.path.join(root, rel))


# ------------------------------------------------------------ case table --


@pytest.mark.parametrize("case", load_cases("roce_plan", "cases"))
def test_plan_apply_replan(case, tmp_path):
    root = root_of(tmp_path)
    build_tree(root, case.get("tree"))
    host = FakeHost(root, case.get("dcb"))
    want = model.normalize(case["params"])
    facts = host.facts()
    snapshot = copy.deepcopy(facts)
    ops = core.plan(want, facts, case["state"], root)
    assert facts == snapshot, "plan changed the facts"
    assert commands(ops, root) == case["commands"]
    assert all(op["netdev"] == NETDEV for op in ops)

    host.apply(ops)
    for rel, content in case["files"].items():
        assert read_rel(root, rel) == content, rel
    after = host.facts()
    for key, value in case["after"].items():
        assert after[key] == value, key
    if "validated" in case:
        assert [i["check"] for i in preflight.check(after, want)] == case["validated"]

    again = core.plan(model.normalize(case["params"]), host.facts(), case["state"], root)
    assert commands(again, root) == []


@pytest.mark.parametrize("case", [c for c in load_cases("roce_plan", "cases")
                                  if not any(line.startswith("rmdir ") for line in c.values[0]["commands"])])
def test_rollback_restores_host(case, tmp_path):
    """Applying the plan, then each op's _inverse in reverse order, gives back the starting facts
    (rdma_cm writes into a directory the plan created have no inverse: the rmdir takes them away).
    Plans with an rmdir are left out: rmdir has no inverse, configfs values cannot be brought back."""
    root = root_of(tmp_path)
    build_tree(root, case.get("tree"))
    host = FakeHost(root, case.get("dcb"))
    before = host.facts()
    ops = core.plan(model.normalize(case["params"]), host.facts(), case["state"], root)
    host.apply(ops)
    for op in reversed(ops):
        inverse = core._inverse(op)
        if inverse is not None:
            host.apply([inverse])
    assert host.facts() == before


@pytest.mark.parametrize("case", load_cases("roce_plan", "errors"))
def test_plan_errors(case, tmp_path):
    """Refused at plan time, naming the option, with nothing applied (the tree is unchanged)."""
    root = root_of(tmp_path)
    build_tree(root, case.get("tree"))
    host = FakeHost(root, case.get("dcb"))
    facts = host.facts()
    with pytest.raises(core.RoceError) as err:
        core.plan(model.normalize(case["params"]), facts, case["state"], root)
    assert err.value.param == case["param"]
    assert err.value.message == case["message"]
    assert str(err.value) == ("%s: %s" % (case["param"], case["message"]) if case["param"] else case["message"])
    assert host.facts() == facts


# ------------------------------------------------------------ DCB errors --


@pytest.mark.parametrize("params", [
    {"pfc": {"enabled": [3]}},
    {"ets": {"prio_tc": [0] * 8, "tsa": ["ets"] * 8, "bandwidth": [100] + [0] * 7}},
    {"dscp_map": {26: 3}},
    {"profile": "lossless_prio3"},
], ids=["pfc", "ets", "dscp_map", "profile"])
def test_dcb_unsupported_names_driver(params, tmp_path):
    root = root_of(tmp_path)
    build_tree(root)
    facts = FakeHost(root, supported=False).facts()
    with pytest.raises(core.RoceError) as err:
        core.plan(model.normalize(params), facts, "merged", root)
    assert err.value.param is None
    assert str(err.value) == UNSUPPORTED
    assert "virtio_net" in str(err.value)


def test_dcb_unsupported_file_knobs_still_planned(tmp_path):
    """Without DCB the OFED files still work: trust (sysfs), ECN and CNP are planned."""
    root = root_of(tmp_path)
    build_tree(root)
    facts = FakeHost(root, supported=False).facts()
    assert (facts["trust"], facts["trust_source"]) == ("pcp", "sysfs")
    ops = core.plan(model.normalize({"trust": "dscp", "ecn": {"np": [3], "rp": [3]}}), facts, "merged", root)
    assert commands(ops, root) == ["echo dscp > $ROOT/sys/class/net/eth9/qos/trust",
                                   "echo 1 > $ROOT/sys/class/net/eth9/ecn/roce_np/enable/3",
                                   "echo 1 > $ROOT/sys/class/net/eth9/ecn/roce_rp/enable/3"]


def test_dcb_unsupported_deleted_without_dcb_sections(tmp_path):
    root = root_of(tmp_path)
    build_tree(root, {"sys/class/net/eth9/ecn/roce_np/enable/3": "1"})
    facts = FakeHost(root, supported=False).facts()
    ops = core.plan(model.normalize({"ecn": {"np": [], "rp": []}}), facts, "deleted", root)
    assert commands(ops, root) == ["echo 0 > $ROOT/sys/class/net/eth9/ecn/roce_np/enable/3"]


def test_dcb_unsupported_trust_without_sysfs_file(tmp_path):
    root = root_of(tmp_path)
    build_tree(root, {"sys/class/net/eth9/qos/trust": None})
    facts = FakeHost(root, supported=False).facts()
    assert (facts["trust"], facts["trust_source"]) == (None, None)
    with pytest.raises(core.RoceError) as err:
        core.plan(model.normalize({"trust": "dscp"}), facts, "merged", root)
    assert err.value.param == "trust"
    assert str(err.value) == "trust: " + UNSUPPORTED


def test_pfc_unreadable_but_supported_is_planned_from_defaults(tmp_path):
    """A driver that answers DCB but has no PFC attribute: the whole struct is built from defaults."""
    root = root_of(tmp_path)
    build_tree(root)
    host = FakeHost(root)
    host.raw["pfc"] = None
    ops = core.plan(model.normalize({"pfc": {"enabled": [3]}}), host.facts(), "merged", root)
    assert ops[0]["value"] == {"pfc_cap": 8, "mbc": 0, "delay": 0, "requests": [0] * 8, "indications": [0] * 8,
                               "pfc_en": 8}
    assert ops[0]["old"] is None and core._inverse(ops[0]) is None


def test_pfc_and_ets_keep_other_fields_of_the_driver(tmp_path):
    root = root_of(tmp_path)
    build_tree(root)
    host = FakeHost(root)
    host.raw["pfc"].update(pfc_cap=4, mbc=1, requests=[1] * 8)
    host.raw["ets"].update(willing=1, ets_cap=4, tc_rx_bw=[50, 50, 0, 0, 0, 0, 0, 0])
    want = model.normalize({"profile": "lossless_prio3"})
    pfc, ets = core.plan(want, host.facts(), "merged", root)[:2]
    assert (pfc["value"]["pfc_cap"], pfc["value"]["mbc"], pfc["value"]["requests"]) == (4, 1, [1] * 8)
    assert (ets["value"]["willing"], ets["value"]["ets_cap"], ets["value"]["tc_rx_bw"]) == (
        1, 4, [50, 50, 0, 0, 0, 0, 0, 0])
    assert ets["value"]["tc_tsa"] == [2, 2, 2, 2, 2, 2, 0, 2]
    assert pfc["old"] == host.raw["pfc"] and ets["old"] == host.raw["ets"]


# ----------------------------------------------------------------- trust --


def _app_table_host(tmp_path, app=None):
    """mlx5 without qos/trust and without apptrust: trust follows the DSCP APP entries."""
    root = root_of(tmp_path)
    build_tree(root, {"sys/class/net/eth9/qos/trust": None})
    return root, FakeHost(root, {"app": app or {}})


def test_trust_sources(tmp_path):
    root = root_of(tmp_path)
    build_tree(root)
    assert core._trust(root, NETDEV, FakeHost(root, {"apptrust": ["dscp"]}).facts()) == ("pcp", "sysfs")
    os.remove(os.path.join(root, "sys/class/net/eth9/qos/trust"))
    assert core._trust(root, NETDEV, FakeHost(root, {"apptrust": ["dscp", "pcp"]}).facts()) == ("dscp", "apptrust")
    assert core._trust(root, NETDEV, FakeHost(root, {"apptrust": ["pcp"], "app": {26: 3}}).facts()) == (
        "pcp", "apptrust")
    assert core._trust(root, NETDEV, FakeHost(root, {"app": {26: 3}}).facts()) == ("dscp", "app-table")
    assert core._trust(root, NETDEV, FakeHost(root).facts()) == ("pcp", "app-table")
    assert core._trust(root, NETDEV, FakeHost(root, supported=False).facts()) == (None, None)


def test_trust_sysfs_file_with_text(tmp_path):
    root = root_of(tmp_path)
    build_tree(root, {"sys/class/net/eth9/qos/trust": "Priority trust state: DSCP"})
    assert knobs.read_trust(root, NETDEV) == "dscp"
    assert knobs.read_trust(root, "eth0") is None


def test_trust_app_table_pcp_conflicts_with_dscp_map(tmp_path):
    root, host = _app_table_host(tmp_path, {26: 3})
    with pytest.raises(core.RoceError) as err:
        core.plan(model.normalize({"trust": "pcp", "dscp_map": {26: 3}}), host.facts(), "merged", root)
    assert err.value.param == "trust"
    assert "pcp trust conflicts with dscp_map on this driver" in str(err.value)


def test_trust_app_table_facts_follow_the_entries(tmp_path):
    """The premise of the app-table cases in roce_plan.yml `errors`: trust is dscp exactly while entries exist."""
    assert _app_table_host(tmp_path)[1].facts()["trust"] == "pcp"
    assert _app_table_host(tmp_path / "with", {26: 3})[1].facts()["trust"] == "dscp"


def test_trust_apptrust_op_and_inverse(tmp_path):
    root = root_of(tmp_path)
    build_tree(root, {"sys/class/net/eth9/qos/trust": None})
    host = FakeHost(root, {"apptrust": ["pcp"]})
    (op,) = core.plan(model.normalize({"trust": "dscp"}), host.facts(), "merged", root)
    assert op == {"op": "dcb", "what": "apptrust", "value": [dcb.SEL_DSCP, dcb.SEL_PCP], "old": [dcb.SEL_PCP],
                  "netdev": NETDEV}
    assert core._inverse(op)["value"] == [dcb.SEL_PCP]


# -------------------------------------------------- ECN / CNP / RDMA-CM --


def test_ecn_without_knobs(tmp_path):
    root = root_of(tmp_path)
    os.makedirs(os.path.join(root, "sys/class/net", NETDEV))
    facts = FakeHost(root).facts()
    assert facts["ecn"] is None and facts["cnp"] is None and facts["trust"] == "pcp"
    with pytest.raises(core.RoceError) as err:
        core.plan(model.normalize({"ecn": {"np": [3], "rp": [3]}}), facts, "merged", root)
    assert err.value.param == "ecn"
    assert "eth9 exposes no ECN/DCQCN knobs" in str(err.value)
    with pytest.raises(core.RoceError) as err:
        core.plan(model.normalize({"cnp": {"priority": 6}}), facts, "merged", root)
    assert err.value.param == "cnp"
    assert "eth9 exposes no CNP priority/DSCP knobs" in str(err.value)


def test_read_ecn_needs_both_sides(tmp_path):
    root = root_of(tmp_path)
    build_tree(root, {"sys/class/net/eth9/ecn/roce_np/enable/3": "1", "sys/class/net/eth9/ecn/roce_np/enable/6": "1"})
    assert knobs.read_ecn(root, NETDEV) == {"np": [3, 6], "rp": []}
    for prio in range(8):
        os.remove(os.path.join(root, "sys/class/net/eth9/ecn/roce_rp/enable", str(prio)))
    os.rmdir(os.path.join(root, "sys/class/net/eth9/ecn/roce_rp/enable"))
    assert knobs.read_ecn(root, NETDEV) is None


def test_read_cnp_partial(tmp_path):
    root = root_of(tmp_path)
    build_tree(root, {"sys/class/net/eth9/ecn/roce_np/cnp_dscp": None})
    assert knobs.read_cnp(root, NETDEV) == {"priority": 0, "dscp": None}
    assert knobs.read_cnp(root, "eth0") is None


def test_read_rdma_cm_empty_tos(tmp_path):
    root = root_of(tmp_path)
    build_tree(root, {RDMA_CM + "/rxe0/ports/1/default_roce_tos": ""})
    assert knobs.read_rdma_cm(root, "rxe0") == {"tos": None, "mode": None}
    assert knobs.read_rdma_cm(root, "rxe0", 2) is None


def test_rdma_cm_without_rdma_device(tmp_path):
    root = root_of(tmp_path)
    build_tree(root)
    facts = FakeHost(root, rdma_device=None).facts()
    with pytest.raises(core.RoceError) as err:
        core.plan(model.normalize({"rdma_cm": {"tos": 106}}), facts, "merged", root)
    assert err.value.param == "rdma_cm"
    assert "no RDMA device is bound to eth9 (set rdma_device, or soft_roce to create one)" in str(err.value)


def test_rdma_cm_on_the_soft_roce_device_to_create(tmp_path):
    root = root_of(tmp_path)
    build_tree(root)
    facts = FakeHost(root, rdma_device=None).facts()
    want = model.normalize({"soft_roce": {"type": "rxe", "name": "rxe7"}, "rdma_cm": {"tos": 106, "mode": "RoCE v2"}})
    assert commands(core.plan(want, facts, "merged", root), root) == [
        "rdma link add rxe7 type rxe netdev eth9",
        "mkdir -p $ROOT/sys/kernel/config/rdma_cm/rxe7",
        "echo 106 > $ROOT/sys/kernel/config/rdma_cm/rxe7/ports/1/default_roce_tos",
        "echo 'RoCE v2' > $ROOT/sys/kernel/config/rdma_cm/rxe7/ports/1/default_roce_mode",
    ]


def test_rdma_cm_other_port(tmp_path):
    root = root_of(tmp_path)
    build_tree(root, {RDMA_CM + "/mlx5_0/ports/2/default_roce_tos": "0",
                      RDMA_CM + "/mlx5_0/ports/2/default_roce_mode": "RoCE v2"})
    host = FakeHost(root)
    facts = host.facts()
    facts["port"] = 2
    facts["rdma_cm"] = knobs.read_rdma_cm(root, RDMA_DEVICE, 2)
    assert commands(core.plan(model.normalize({"rdma_cm": {"tos": 106}}), facts, "merged", root), root) == [
        "echo 106 > $ROOT/sys/kernel/config/rdma_cm/mlx5_0/ports/2/default_roce_tos"]


# ------------------------------------------------------------- soft-RoCE --


def _soft_facts(tmp_path, kind=None, links=()):
    root = root_of(tmp_path)
    build_tree(root)
    facts = FakeHost(root, kind=kind, rdma_device=None).facts()
    facts["soft_roce"] = [{"name": n, "port": 1} for n in links]
    return root, facts


def test_soft_roce_on_vlan_netdev(tmp_path):
    root, facts = _soft_facts(tmp_path, kind="vlan")
    with pytest.raises(core.RoceError) as err:
        core.plan(model.normalize({"soft_roce": {"type": "rxe"}}), facts, "merged", root)
    assert err.value.param == "soft_roce"
    assert "rxe refuses VLAN netdevs" in str(err.value)


@pytest.mark.parametrize("soft_roce, links, state, expected", [
    ({"type": "rxe"}, [], "merged", ["rdma link add rxe0 type rxe netdev eth9"]),
    ({"type": "siw"}, [], "merged", ["rdma link add siw0 type siw netdev eth9"]),
    ({"type": "rxe", "name": "rxe1"}, ["rxe0"], "merged", ["rdma link add rxe1 type rxe netdev eth9"]),
    ({"type": "rxe"}, ["rxe0"], "merged", []),
    ({"type": "rxe", "state": "absent"}, ["rxe0"], "merged", ["rdma link delete rxe0"]),
    ({"type": "rxe", "state": "absent"}, [], "merged", []),
    ({"type": "rxe"}, ["rxe0"], "deleted", ["rdma link delete rxe0"]),
    ({"type": "rxe"}, [], "deleted", []),
], ids=["add-rxe", "add-siw", "add-named", "present", "absent", "absent-already", "deleted", "deleted-already"])
def test_soft_roce(soft_roce, links, state, expected, tmp_path):
    root, facts = _soft_facts(tmp_path, links=links)
    assert commands(core.plan(model.normalize({"soft_roce": soft_roce}), facts, state, root), root) == expected


def test_soft_roce_existing_link_on_vlan_is_fine(tmp_path):
    root, facts = _soft_facts(tmp_path, kind="vlan", links=["rxe0"])
    assert core.plan(model.normalize({"soft_roce": {"type": "rxe"}}), facts, "merged", root) == []


# --------------------------------------------------------------- inverse --


@pytest.mark.parametrize("op, inverse", [
    ({"op": "dcb", "what": "pfc", "value": {"pfc_en": 8}, "old": {"pfc_en": 0}},
     {"op": "dcb", "what": "pfc", "value": {"pfc_en": 0}, "old": {"pfc_en": 0}}),
    ({"op": "dcb", "what": "pfc", "value": {"pfc_en": 8}, "old": None}, None),
    ({"op": "dcb", "what": "ets", "value": {"prio_tc": [1] * 8}, "old": {"prio_tc": [0] * 8}},
     {"op": "dcb", "what": "ets", "value": {"prio_tc": [0] * 8}, "old": {"prio_tc": [0] * 8}}),
    ({"op": "dcb", "what": "ets", "value": {"prio_tc": [1] * 8}, "old": None}, None),
    ({"op": "dcb", "what": "apptrust", "value": [5, 255], "old": [255]},
     {"op": "dcb", "what": "apptrust", "value": [255], "old": [255]}),
    ({"op": "dcb", "what": "apptrust", "value": [5, 255], "old": []},
     {"op": "dcb", "what": "apptrust", "value": [], "old": []}),
    ({"op": "dcb", "what": "app_add", "value": [(5, 26, 3)]},
     {"op": "dcb", "what": "app_del", "value": [(5, 26, 3)]}),
    ({"op": "dcb", "what": "app_del", "value": [(5, 26, 4)]},
     {"op": "dcb", "what": "app_add", "value": [(5, 26, 4)]}),
    ({"op": "write", "path": "/x/trust", "value": "dscp", "old": "pcp"},
     {"op": "write", "path": "/x/trust", "value": "pcp", "old": "pcp"}),
    ({"op": "write", "path": "/x/enable/3", "value": 1, "old": 0},
     {"op": "write", "path": "/x/enable/3", "value": 0, "old": 0}),
    ({"op": "write", "path": "/x/default_roce_tos", "value": 106, "old": None}, None),
    ({"op": "mtu", "value": 9000, "old": 1500}, {"op": "mtu", "value": 1500, "old": 1500}),
    ({"op": "mtu", "value": 9000, "old": None}, None),
    ({"op": "mkdir", "path": "/x/rdma_cm/mlx5_0"}, {"op": "rmdir", "path": "/x/rdma_cm/mlx5_0"}),
    ({"op": "rmdir", "path": "/x/rdma_cm/mlx5_0"}, None),
    ({"op": "mount", "path": "/sys/kernel/config"}, None),
    ({"op": "rdma_link", "action": "add", "name": "rxe0", "type": "rxe"},
     {"op": "rdma_link", "action": "delete", "name": "rxe0", "type": "rxe"}),
    ({"op": "rdma_link", "action": "delete", "name": "rxe0"}, None),
], ids=["pfc", "pfc-no-old", "ets", "ets-no-old", "apptrust", "apptrust-empty-old", "app-add", "app-del",
        "write-trust", "write-zero-old", "write-no-old", "mtu", "mtu-no-old", "mkdir", "rmdir", "mount",
        "rdma-link-add", "rdma-link-delete"])
def test_inverse(op, inverse):
    snapshot = copy.deepcopy(op)
    assert core._inverse(op) == inverse
    assert op == snapshot


# ---------------------------------------------------------------- render --


@pytest.mark.parametrize("op, line", [
    ({"op": "mount", "path": "/sys/kernel/config"}, "mount -t configfs none /sys/kernel/config"),
    ({"op": "rmdir", "path": "/r/x"}, "rmdir /r/x"),
    ({"op": "write", "path": "/r/mode", "value": "IB/RoCE v1"}, "echo 'IB/RoCE v1' > /r/mode"),
    ({"op": "dcb", "what": "apptrust", "value": [255], "netdev": "eth9"}, "dcb apptrust set dev eth9 order pcp"),
    ({"op": "dcb", "what": "app_del", "value": [(5, 26, 3)], "netdev": "eth9"}, "dcb app del dev eth9 dscp-prio 26:3"),
    ({"op": "mtu", "value": 9000}, "ip link set dev DEV mtu 9000"),
], ids=["mount", "rmdir", "write-quoted", "apptrust-pcp", "app-del", "mtu-without-netdev"])
def test_render_command(op, line):
    assert render.command(op) == line
