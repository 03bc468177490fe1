# -*- coding: utf-8 -*-
"""core and resource pieces that need no kernel."""
import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core, model, resource

HAVE = [{"name": "a", "v": 1}, {"name": "b", "v": 1}, {"name": "c", "v": 1}]


def names(rules):
    return [(r["name"], r["v"]) for r in rules]


@pytest.mark.parametrize("state, rules, expected", [
    ("present", [{"name": "b", "v": 2}, {"name": "z", "v": 2}, {"name": "y", "v": 2}],
     [("a", 1), ("b", 2), ("c", 1), ("z", 2), ("y", 2)]),
    ("present", [], [("a", 1), ("b", 1), ("c", 1)]),
    ("replaced", [{"name": "z", "v": 2}, {"name": "a", "v": 2}], [("z", 2), ("a", 2)]),
    ("replaced", [], []),
    ("absent", [{"name": "b", "v": 9}, {"name": "nope", "v": 9}], [("a", 1), ("c", 1)]),
    ("absent", None, []),
])
def test_desired_rules(state, rules, expected):
    assert names(core.desired_rules(state, HAVE, rules)) == expected


def test_desired_rules_does_not_mutate_inputs():
    want = [{"name": "b", "v": 2}]
    core.desired_rules("present", HAVE, want)
    assert names(HAVE) == [("a", 1), ("b", 1), ("c", 1)] and want == [{"name": "b", "v": 2}]


def render(interface, specs, **kwargs):
    return core.render_job(core.Job(interface, model.normalize_rules(specs), **kwargs))


def test_render_job_egress():
    assert render("eth1", [{"delay": {"time": "5ms", "jitter": "1ms", "distribution": "pareto"},
                            "loss": {"percent": "0.1%"}, "limit": 2000}], netns="leaf1") == [
        "tc -n leaf1 qdisc add dev eth1 root handle fab0: netem limit 2000 delay 5ms 1ms distribution pareto"
        " loss random 0.1%"]


def test_render_job_ingress():
    assert render("eth1", [{"delay": {"time": "2ms"}, "limit": 1000}], direction="ingress") == [
        "ip link add ifb-eth1 type ifb",
        "ip link set ifb-eth1 alias 'aifabric.emulation netem ingress of eth1; hook=created' up",
        "tc qdisc add dev eth1 ingress",
        "tc qdisc add dev ifb-eth1 root handle fab0: netem limit 1000 delay 2ms",
        "tc filter add dev eth1 parent ffff:fff2 protocol all pref 64176 u32 match u32 0 0"
        " action mirred egress redirect dev ifb-eth1",
    ]


def test_render_job_ingress_long_name_uses_ifindex_placeholder():
    # a real run names it ifb-i<ifindex>; rendering has no kernel to ask for the index
    lines = render("enp129s0f0np0", [{"delay": {"time": "2ms"}, "limit": 1000}], direction="ingress")
    assert lines[0] == "ip link add 'ifb-i<ifindex>' type ifb"


@pytest.mark.parametrize("param, message, text", [
    ("interface", "interface 'eth9' not found", "interface: interface 'eth9' not found"),
    ("rules[0].delay", "bad", "rules[0].delay: bad"),
    (None, "the kernel refused a change", "the kernel refused a change"),
])
def test_netem_error_text(param, message, text):
    err = core.NetemError(param, message)
    assert (str(err), err.param) == (text, param)


def test_state_store_one_file_per_namespace(monkeypatch, tmp_path):
    monkeypatch.setattr(core, "STATE_DIR", str(tmp_path))
    assert core.StateStore(None).path == str(tmp_path / "netem" / "_init.json")
    assert core.StateStore("/run/netns/leaf1").path == str(tmp_path / "netem" / "run_netns_leaf1.json")
    store = core.StateStore("leaf1")
    delay = {"time": "1ms", "jitter": "1ms", "distribution": "normal"}
    rules = model.normalize_rules([{"name": "slow", "delay": delay, "seed": 3}], "6.12")
    store.put("up0", "ingress", rules)
    store.save()
    again = core.StateStore("leaf1").get("up0", "ingress")
    assert again["bands"]["0"]["name"] == "slow" and again["bands"]["0"]["delay_dist"] == "normal"
    assert again["bands"]["0"]["seed_set"] is True
    store.put("up0", "ingress", [])
    store.save()
    assert not (tmp_path / "netem" / "leaf1.json").exists()


# ------------------------------------------- resource.run_module, offline --


class Exit(Exception):
    pass


class FakeModule:
    check_mode, _diff = False, False

    def __init__(self, **params):
        self.params = dict(interface="eth0", netns=None, direction="egress", rules=None, state="present",
                           allow_management=False)
        self.params.update(params)

    def exit_json(self, **kw):
        raise Exit(dict(kw, failed=False))

    def fail_json(self, **kw):
        raise Exit(dict(kw, failed=True))


def run(**params):
    with pytest.raises(Exit) as result:
        resource.run_module(FakeModule(**params))
    return result.value.args[0]


def test_run_module_rendered():
    out = run(state="rendered", rules=[{"name": "default", "delay": {"time": "10ms"}, "limit": 1000}])
    assert out == {"changed": False, "failed": False,
                   "rendered": ["tc qdisc add dev eth0 root handle fab0: netem limit 1000 delay 10ms"]}


def test_run_module_reports_validation_path():
    out = run(state="rendered", rules=[{"loss": {"percent": "200%"}}])
    assert out["failed"] and out["param"] == "rules[0].loss.percent"
    assert out["msg"].startswith("rules[0].loss.percent: ")
