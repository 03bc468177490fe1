"""Impairments on a fabric without a kernel: the overlay on the plan, what the stager would do with it, the fields
bad entries are refused with, the module's glue (rendered, refusals) and the fabric TTL target's names."""
import copy
import json

import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import argspec, compile as compiler
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import expiry, gather as g, impair, resource
from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import stage
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import argspec as netem_argspec, model, ttl

SPEC = {"name": "u1", "kind": "rail_optimized", "servers": 4, "rails": 2, "spines": 2,
        "links": {"server_leaf": {"rate": "100mbit", "delay": "10us"}, "leaf_spine": {"rate": "200mbit"}}}
PLAN = compiler.compile_plan(SPEC)


def ns_entry(plan, name):
    return [n for n in plan["namespaces"] if n["name"] == name][0]


def by_if(entries, ifname):
    found = [e for e in entries if e["ifname"] == ifname]
    return found[0] if found else None


def imp(interface, netns, **rule):
    return {"interface": interface, "netns": netns, "rules": [rule]}


# ------------------------------------------------------------ overlay --


def test_no_impairments_is_the_base_plan():
    before = json.dumps(PLAN, sort_keys=True)
    out = impair.overlay(PLAN, [])
    assert out["impaired"] == [] and out["namespaces"] is PLAN["namespaces"]
    assert out["base_digest"] == impair.base_digest(PLAN)
    assert json.dumps(PLAN, sort_keys=True) == before
    assert impair.overlay(PLAN, None)["impaired"] == []


def test_rate_on_a_shaped_end_changes_its_rate_qdisc_and_nothing_else():
    before = copy.deepcopy(PLAN)
    out = impair.overlay(PLAN, [imp("spine0", "u1-rail0", rate={"rate": "10mbit"})])
    assert PLAN == before  # the base plan is not touched
    s = by_if(ns_entry(out, "u1-rail0")["shaping"], "spine0")
    assert (s["qdisc"], s["rate_bit"], s["handle"], s["impairment"]) == ("htb", 10 ** 7, "1:", 0)
    assert s["burst_bytes"] == 2 * (9000 + 14)  # 1 ms of 10 Mbit/s is below two frames
    assert s["quantum_bytes"] == 125000  # rate / 10
    for name in ("u1-rail1", "u1-spine0", "u1-server0"):  # other namespaces are the base plan's own entries
        assert ns_entry(out, name) is ns_entry(PLAN, name)
    others = [e for e in ns_entry(out, "u1-rail0")["shaping"] if e["ifname"] != "spine0"]
    assert others == [e for e in ns_entry(PLAN, "u1-rail0")["shaping"] if e["ifname"] != "spine0"]
    assert out["impaired"][0]["link"] == "rail0~spine0" and out["impaired"][0]["rate_bit"] == 10 ** 7
    assert out["impaired"][0]["netem"] is False and impair.needs_netem(out) is None


def test_rate_on_an_unshaped_end_gives_it_the_fabrics_shaper_and_moves_the_link_delay_under_it():
    base = ns_entry(PLAN, "u1-server1")
    assert by_if(base["shaping"], "rail0") is None and by_if(base["netem"], "rail0")["parent"] == "root"
    out = impair.overlay(PLAN, [imp("rail0", "u1-server1", rate="50mbit")])  # the netem shorthand
    entry = ns_entry(out, "u1-server1")
    assert by_if(entry["shaping"], "rail0")["rate_bit"] == 5 * 10 ** 7
    netem = by_if(entry["netem"], "rail0")
    assert netem["parent"] == "1:1" and netem["delay_us"] == 10 and "netem" not in netem  # the cable's delay only
    tbf = compiler.compile_plan(dict(SPEC, shaping="tbf"))
    out = impair.overlay(tbf, [imp("rail0", "u1-server1", rate="50mbit")])
    assert by_if(ns_entry(out, "u1-server1")["shaping"], "rail0")["qdisc"] == "tbf"


def test_netem_on_a_shaped_end_goes_under_its_class_with_the_links_delay_added():
    out = impair.overlay(PLAN, [imp("server2", "u1-rail1", delay={"time": "1ms"}, loss={"percent": "1%"})])
    n = by_if(ns_entry(out, "u1-rail1")["netem"], "server2")
    assert (n["parent"], n["handle"], n["impairment"], n["field"]) == ("1:1", "10:", 0, "impairments[0].rules[0]")
    p = n["netem"]
    assert p["latency"] == 1000000 + 10000 and n["delay_us"] == 1010  # 1 ms on top of the link's 10 us
    assert p["loss"] == model.normalize_rule({"loss": "1%"}, "r")["netem"]["loss"] and p["rate"] == 0
    base = by_if(ns_entry(PLAN, "u1-rail1")["netem"], "server2")
    assert n["limit"] >= base["limit"] and n["limit"] >= 1000
    assert impair.needs_netem(out) == "impairments[0].rules[0]"
    user = out["impaired"][0]["rule"]
    assert user["delay"] == {"time": "1ms"} and user["loss"]["percent"] == "1%" and "name" not in user


def test_netem_on_an_unshaped_end_without_link_delay_is_at_the_root():
    plan = compiler.compile_plan(dict(SPEC, links={"server_leaf": {"rate": "100mbit"},
                                                   "leaf_spine": {"rate": "200mbit"}}))
    out = impair.overlay(plan, [imp("rail1", "u1-server0", duplicate={"percent": "2%"})])
    n = by_if(ns_entry(out, "u1-server0")["netem"], "rail1")
    assert n["parent"] == "root" and n["netem"]["latency"] == 0 and n["netem"]["duplicate"]
    assert by_if(ns_entry(out, "u1-server0")["shaping"], "rail1") is None


def test_rate_and_netem_together_shape_and_delay_the_same_end():
    out = impair.overlay(PLAN, [imp("rail0", "u1-server3", rate={"rate": "20mbit"}, delay={"time": "2ms"})])
    entry = ns_entry(out, "u1-server3")
    assert by_if(entry["shaping"], "rail0")["rate_bit"] == 2 * 10 ** 7
    n = by_if(entry["netem"], "rail0")
    assert n["parent"] == "1:1" and n["netem"]["latency"] == 2010000 and n["netem"]["rate"] == 0


def test_an_explicit_limit_and_a_seed_are_kept():
    out = impair.overlay(PLAN, [imp("spine1", "u1-rail0", loss={"percent": "1%"}, limit=77, seed=5)],
                         kernel_release="6.12.0")
    n = by_if(ns_entry(out, "u1-rail0")["netem"], "spine1")
    assert n["limit"] == 77 and n["netem"]["seed"] == 5 and out["impaired"][0]["seed"] == 5


def test_a_custom_distribution_table_is_sent_and_recorded_by_its_id(tmp_path):
    dist = tmp_path / "my.dist"
    dist.write_text("1 2 3 -4\n")
    delay = {"time": "1ms", "jitter": "500us", "distribution": "custom", "distribution_file": str(dist)}
    out = impair.overlay(PLAN, [imp("spine0", "u1-rail1", delay=delay)])
    n = by_if(ns_entry(out, "u1-rail1")["netem"], "spine0")
    item = g.impaired_netem_item(n)
    assert item["tables"][0] == [1, 2, 3, -4] and item["key"][-2].startswith("custom:")
    assert impair.record(out)["impairments"][0]["delay_dist"] == item["key"][-2]


def test_the_rule_of_a_sweep_point_goes_through_unchanged():
    """plugins/plugin_utils/sweep/plan.py netem_config() entries are taken as they are."""
    entry = {"interface": "spine0", "netns": "u1-rail0", "direction": "egress",
             "rules": [{"delay": {"time": "1ms"}, "loss": {"percent": "0.5%"}}]}
    out = impair.overlay(PLAN, [entry])
    assert out["impaired"][0]["rule"]["loss"]["percent"] == "0.5%"


def test_entries_with_the_modules_defaults_filled_in_are_taken():
    """AnsibleModule fills every suboption of the rule (None, defaults): the entry still means the same."""
    rule = dict((k, None) for k in netem_argspec.RULE_SPEC)
    rule.update(name="default", ecn=False, loss={"model": "random", "percent": "1%", "correlation": None})
    entry = {"interface": "spine0", "netns": "u1-rail0", "direction": "egress", "rules": [rule]}
    out = impair.overlay(PLAN, [entry])
    assert out["impaired"][0]["netem"] and out["impaired"][0]["rule"]["loss"]["percent"] == "1%"


def test_the_base_digest_survives_a_json_round_trip():
    assert impair.base_digest(json.loads(json.dumps(PLAN)), "localhost") == impair.base_digest(PLAN, "localhost")
    other = compiler.compile_plan(dict(SPEC, links={"server_leaf": {"rate": "10mbit"}}))
    assert impair.base_digest(other) != impair.base_digest(PLAN)


BAD = [
    ("not a list", {"interface": "spine0"}, "impairments", "expected a list"),
    ("entry not a dict", ["spine0"], "impairments[0]", "expected a dict"),
    ("no interface", [{"netns": "u1-rail0", "rules": [{"loss": "1%"}]}], "impairments[0].interface", "required"),
    ("no netns", [{"interface": "spine0", "rules": [{"loss": "1%"}]}], "impairments[0].netns", "required"),
    ("unknown netns", [imp("spine0", "u1-rail9", loss="1%")], "impairments[0].netns", "not a namespace of fabric u1"),
    ("management", [imp("mgmt0", "u1-server0", loss="1%")], "impairments[0].interface", "not a fabric link end"),
    ("unknown interface", [imp("spine7", "u1-rail0", loss="1%")], "impairments[0].interface",
     "not an interface of u1-rail0; impairments go on the link ends in u1-rail0: server0"),
    ("ingress", [dict(imp("spine0", "u1-rail0", loss="1%"), direction="ingress")], "impairments[0].direction",
     "egress only"),
    ("twice", [imp("spine0", "u1-rail0", loss="1%"), imp("spine0", "u1-rail0", loss="2%")],
     "impairments[1].interface", "impaired twice (also impairments[0])"),
    ("no rules", [{"interface": "spine0", "netns": "u1-rail0"}], "impairments[0].rules", "required"),
    ("two rules", [{"interface": "spine0", "netns": "u1-rail0", "rules": [{"loss": "1%"}, {"delay": "1ms"}]}],
     "impairments[0].rules", "exactly one rule"),
    ("no rule", [{"interface": "spine0", "netns": "u1-rail0", "rules": []}], "impairments[0].rules",
     "exactly one rule"),
    ("match", [imp("spine0", "u1-rail0", loss="1%", match={"dst": ["10.0.0.0/24"]})],
     "impairments[0].rules[0].match", "one rule for all its traffic"),
    ("loss over 100%", [imp("spine0", "u1-rail0", loss={"percent": "150%"})], "impairments[0].rules[0].loss.percent",
     ""),
    ("jitter without delay", [imp("spine0", "u1-rail0", delay={"time": "0ms", "jitter": "1ms"})],
     "impairments[0].rules[0].delay.jitter", "jitter needs a delay"),
    ("overhead", [imp("spine0", "u1-rail0", rate={"rate": "1mbit", "packet_overhead": 4})],
     "impairments[0].rules[0].rate.packet_overhead", "htb or tbf rate"),
    ("cells", [imp("spine0", "u1-rail0", rate={"rate": "1mbit", "cell_size": 53})],
     "impairments[0].rules[0].rate.cell_size", "htb or tbf rate"),
    ("a ttl of its own", [dict(imp("spine0", "u1-rail0", loss="1%"), ttl=20)], "impairments[0].ttl",
     "the fabric's ttl is the task's"),
    ("alias disagrees", [dict(imp("spine0", "u1-rail0", loss="1%"), dev="spine1")], "impairments[0].dev",
     "alias of interface"),
]


@pytest.mark.parametrize("impairments, field, text", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_entries_name_the_field(impairments, field, text):
    with pytest.raises(errors.ValidationError) as e:
        impair.overlay(PLAN, impairments)
    assert e.value.param == field and text in e.value.message, (e.value.param, e.value.message)


def test_a_seed_on_a_kernel_before_6_6_names_the_field():
    with pytest.raises(errors.ValidationError) as e:
        impair.overlay(PLAN, [imp("spine0", "u1-rail0", loss="1%", seed=3)], kernel_release="6.1.0-50-amd64")
    assert e.value.param == "impairments[0].rules[0].seed"


def test_an_end_on_another_host_names_the_netns():
    spec = dict(SPEC, placement={"hosts": [{"name": "gpu1", "underlay": "192.0.2.1", "servers": "0-1"},
                                           {"name": "gpu2", "underlay": "192.0.2.2", "servers": "2-3"}]})
    plan = compiler.compile_plan(spec)
    with pytest.raises(errors.ValidationError) as e:
        impair.overlay(plan, [imp("rail0", "u1-server3", loss="1%")], host="gpu1")
    assert e.value.param == "impairments[0].netns" and "on host gpu2, not on gpu1" in e.value.message
    assert impair.overlay(plan, [imp("rail0", "u1-server3", loss="1%")], host="gpu2")["impaired"]


def test_a_vlan_device_is_refused_with_a_hint_to_the_veth_under_it():
    plan = compiler.compile_plan(dict(SPEC, vlan={"base_id": 100}))
    with pytest.raises(errors.ValidationError) as e:
        impair.overlay(plan, [imp("rail0.100", "u1-server0", loss="1%")])
    assert e.value.param == "impairments[0].interface" and "the veth under it" in e.value.message


def test_the_dev_alias_names_the_interface():
    out = impair.overlay(PLAN, [{"dev": "spine0", "netns": "u1-rail0", "rules": [{"loss": "1%"}]}])
    assert out["impaired"][0]["interface"] == "spine0"


# ------------------------------------------------- what the stager does --


def wants(plan):
    return stage.build_wants(plan, "localhost")[2]


def test_the_stager_changes_only_qdiscs_of_the_impaired_ends_and_a_rerun_changes_nothing():
    base = wants(PLAN)
    out = impair.overlay(PLAN, [imp("spine0", "u1-rail0", rate="10mbit"),
                                imp("server2", "u1-rail1", delay="1ms", loss="1%"),
                                imp("rail0", "u1-server1", rate="50mbit")])
    ops = stage.diff(wants(out), base)
    assert sorted((op["ns"], op["name"], op["op"], op["action"]) for op in ops) == [
        ("u1-rail0", "spine0", "class", "replace"),
        ("u1-rail1", "server2", "leaf", "replace"),
        ("u1-server1", "rail0", "class", "add"),
        ("u1-server1", "rail0", "leaf", "add"),  # the link's delay, now under the new htb class
        ("u1-server1", "rail0", "root", "add"),
        ("u1-server1", "rail0", "root", "delete")]  # the link delay's root netem makes way for htb
    assert stage.diff(wants(out), wants(out)) == []
    back = stage.diff(base, wants(out))  # impairments: [] takes it back
    assert sorted((op["ns"], op["name"], op["op"], op["action"]) for op in back) == [
        ("u1-rail0", "spine0", "class", "replace"), ("u1-rail1", "server2", "leaf", "replace"),
        ("u1-server1", "rail0", "root", "add"), ("u1-server1", "rail0", "root", "delete")]


def test_a_seed_counts_only_when_one_is_asked_for():
    out = impair.overlay(PLAN, [imp("spine0", "u1-rail1", loss="1%")])
    w = wants(out)
    have = copy.deepcopy(w)
    have["u1-rail1"].qdiscs["spine0"]["leaf"]["seed"] = 12345  # the kernel's own seed
    assert stage.diff(w, have) == []
    seeded = wants(impair.overlay(PLAN, [imp("spine0", "u1-rail1", loss="1%", seed=7)], kernel_release="6.12.0"))
    ops = stage.diff(seeded, have)
    assert [(op["op"], op["action"]) for op in ops] == [("leaf", "replace")]
    assert g.netem_params(ops[0]["item"])["seed"] == 7


def test_a_distribution_table_that_must_go_means_delete_and_add(tmp_path):
    dist = tmp_path / "my.dist"
    dist.write_text("1 2 3\n")
    jittered = {"delay": {"time": "1ms", "jitter": "100us", "distribution": "custom", "distribution_file": str(dist)}}
    with_table = wants(impair.overlay(PLAN, [imp("spine0", "u1-rail1", **jittered)]))
    uniform = wants(impair.overlay(PLAN, [imp("spine0", "u1-rail1", delay={"time": "1ms", "jitter": "100us"})]))
    ops = stage.diff(uniform, with_table)
    assert [(op["op"], op["action"]) for op in ops] == [("leaf", "delete"), ("leaf", "add")]
    assert [(op["op"], op["action"]) for op in stage.diff(with_table, uniform)] == [("leaf", "replace")]


def test_a_jittered_netem_the_record_does_not_know_has_an_unknown_table():
    w = wants(impair.overlay(PLAN, [imp("spine0", "u1-rail1", delay={"time": "1ms", "jitter": "100us"})]))
    haves = copy.deepcopy(w)
    have = haves["u1-rail1"]
    item = have.qdiscs["spine0"]["leaf"]
    have.qdiscs["spine0"]["leaf"] = dict(item, key=item["key"][:-2] + (None, None))  # as read from the kernel
    g.with_dists(have, {})
    assert have.qdiscs["spine0"]["leaf"]["key"][-2:] == ("unknown", None)
    assert [(op["op"], op["action"]) for op in stage.diff(w, haves)] == [("leaf", "delete"), ("leaf", "add")]
    g.with_dists(have, {"spine0": (None, None)})  # the record says: no table was sent
    assert stage.diff(w, haves) == []


def test_rendered_commands_carry_the_whole_netem_rule():
    out = impair.overlay(PLAN, [imp("server2", "u1-rail1", delay="1ms", loss="1%"),
                                imp("spine0", "u1-rail0", rate="10mbit")])
    lines = stage.impairment_commands(PLAN, out)
    assert "tc -n u1-rail0 class replace dev spine0 parent 1: classid 1:1 htb rate 10000000bit burst 18028b " \
        "cburst 18028b quantum 125000" in lines
    netem = [line for line in lines if "netem" in line]
    assert len(netem) == 1 and netem[0].startswith("tc -n u1-rail1 qdisc replace dev server2 parent 1:1 handle 10: "
                                                   "netem limit ")
    assert "delay 1010us" in netem[0] and "loss random 1%" in netem[0]


def test_views_and_end_views_show_the_impairment():
    out = impair.overlay(PLAN, [imp("server2", "u1-rail1", delay="1ms", loss="1%")])
    st = wants(out)["u1-rail1"]
    view = st.view()["qdiscs"]["server2"]
    assert view["delay_us"] == 1010 and view["netem"]["loss"]["percent"] == "1%"
    assert "netem" not in st.view()["qdiscs"]["server1"]  # a link delay alone shows as before
    end = g.end_view(st.qdiscs["server2"])
    assert end["qdisc"] == "htb" and end["rate_bit"] == 10 ** 8 and end["netem_parent"] == "1:1"
    assert end["netem"]["delay"]["time"] == "1010us"


def test_the_record_keeps_what_the_kernel_cannot_show_and_each_rule_once():
    out = impair.overlay(PLAN, [imp("spine0", "u1-rail0", rate="10mbit"), imp("spine1", "u1-rail0", rate="10mbit"),
                                imp("spine0", "u1-rail1", loss="1%", seed=9)], kernel_release="6.12.0")
    rec = impair.record(out)
    second = {"loss": {"model": "random", "percent": "1%"}, "limit": out["impaired"][2]["rule"]["limit"]}
    assert rec["impairment_rules"] == [out["impaired"][0]["rule"], second]
    assert rec["impairments"][0] == {"netns": "u1-rail0", "interface": "spine0", "link": "rail0~spine0", "rule": 0,
                                     "seed": None, "rate_bit": 10 ** 7, "delay_dist": None, "slot_dist": None}
    assert [e["rule"] for e in rec["impairments"]] == [0, 0, 1] and rec["impairments"][2]["seed"] == 9
    back = impair.recorded(json.loads(json.dumps(rec)))
    assert [e["rule"] for e in back] == [e["rule"] for e in out["impaired"]]  # seeds back in their rules


# ------------------------------------------------------- module glue --


class Exit(Exception):
    pass


class FakeModule:
    _diff = False
    check_mode = False

    def __init__(self, **params):
        self.params = dict({"topology": None, "name": None, "host": None, "inventory_hosts": None,
                            "state": "present", "impairments": None, "ttl": None, "ttl_required": False}, **params)

    def exit_json(self, **kw):
        raise Exit(dict(kw, failed=False))

    def fail_json(self, **kw):
        raise Exit(dict(kw, failed=True))

    def warn(self, text):
        pass


def run(monkeypatch, **params):
    def nothing(*_a, **_k):
        raise AssertionError("the kernel would be touched")

    monkeypatch.setattr(stage, "converge", nothing)
    monkeypatch.setattr(stage, "teardown", nothing)
    monkeypatch.setattr(ttl, "arm_target", nothing)
    with pytest.raises(Exit) as result:
        resource.run_module(FakeModule(**params))
    return result.value.args[0]


def test_module_rendered_adds_the_impairments_commands(monkeypatch):
    out = run(monkeypatch, topology=SPEC, state="rendered", impairments=[imp("spine0", "u1-rail0", rate="10mbit")])
    assert not out["failed"] and out["rendered"][-1].startswith("tc -n u1-rail0 class replace dev spine0")


@pytest.mark.parametrize("params, field", [
    (dict(impairments=[imp("spine0", "u1-rail0", loss="1%")], ttl=-5), "ttl"),
    (dict(impairments=[imp("spine0", "u1-rail0", loss="1%")], ttl="forever"), "ttl"),
    (dict(impairments=[imp("spine0", "u1-rail0", loss="1%")], state="gathered"), "impairments"),
    (dict(ttl=20, state="absent"), "ttl"),
    (dict(impairments=[imp("spine0", "u1-rail0", loss="1%")], state="validated"), "impairments"),
    (dict(impairments=[imp("mgmt0", "u1-server0", loss="1%")]), "impairments[0].interface"),
    (dict(impairments=[imp("spine0", "u1-rail0", loss="1%")], ttl_required=True), "ttl"),
], ids=["negative ttl", "bad ttl", "impairments with gathered", "ttl with absent", "impairments with validated",
        "management interface", "ttl_required without a ttl"])
def test_module_refuses_before_anything_is_armed_or_changed(monkeypatch, params, field):
    out = run(monkeypatch, topology=SPEC, **params)
    assert out["failed"] and out["msg"].startswith(field + ": "), out["msg"]


def test_ttl_required_needs_a_ttl_only_where_something_is_impaired(monkeypatch):
    out = run(monkeypatch, topology=SPEC, impairments=[imp("spine0", "u1-rail0", loss="1%")], ttl_required=True)
    assert out["failed"] and "ttl_required is set" in out["msg"] and "nothing was changed or armed" in out["msg"]
    out = run(monkeypatch, topology=SPEC, state="rendered", impairments=[imp("spine0", "u1-rail0", rate="10mbit")],
              ttl_required=True, ttl=60)
    assert not out["failed"], out


def test_the_argspec_takes_the_netem_modules_rule_options_as_they_are():
    rules = argspec.ARGUMENT_SPEC["impairments"]["options"]["rules"]
    assert rules["options"] is netem_argspec.RULE_SPEC
    assert sorted(argspec.ARGUMENT_SPEC["impairments"]["options"]) == ["direction", "interface", "netns", "rules"]


# ------------------------------------------------------------- TTL --


def test_the_fabric_ttl_target_has_its_own_files_unit_and_words(tmp_path):
    t = expiry.FabricTarget("f1", "gpu-1.example", str(tmp_path))
    assert t.key == "f1@gpu-1.example" and t.record_path == str(tmp_path / "fabric" / "ttl" / "f1@gpu-1.example.json")
    assert t.plan_path.endswith("f1@gpu-1.example.plan.json") and t.where() == "fabric f1 on host gpu-1.example"
    argv = ttl.systemd_arm_argv(t, 20.0, root="/code")
    assert argv[1] == "--unit=aifabric-fabric-f1-gpu-1.example"
    assert argv[2] == "--description=aifabric.emulation fabric TTL revert of fabric f1 on host gpu-1.example"
    assert argv[-2:] == ["fire", t.record_path]
    odd = expiry.FabricTarget("f1", "a b/c", str(tmp_path))
    assert "/" not in odd.key and " " not in odd.unit() and odd.key != expiry.FabricTarget("f1", "a_b_c").key


def test_a_fabric_record_names_its_target_for_the_systemd_unit(tmp_path):
    rec = {"kind": "fabric", "fabric": "f1", "host": "localhost", "state_dir": str(tmp_path)}
    t = ttl.target_of(rec)
    assert isinstance(t, expiry.FabricTarget) and t.folder() == str(tmp_path / "fabric" / "ttl")
    assert isinstance(ttl.target_of({"netns": "n1", "interface": "eth0", "direction": "egress"}), ttl.Target)
    with pytest.raises(ValueError):
        ttl.target_of({"kind": "nonesuch"})
