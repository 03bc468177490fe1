# -*- coding: utf-8 -*-
"""The one module runner: warnings go through module.warn (never exit_json(warnings=...)), errors name fields."""
import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils.engine import module as runner
from ansible_collections.aifabric.emulation.plugins.module_utils.engine import resource
from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import resource as roce_resource


class Exit(Exception):
    pass


class FakeModule:
    check_mode = False

    def __init__(self, params=None, diff=False):
        self.params, self._diff, self.warned = params or {}, diff, []

    def warn(self, text):
        self.warned.append(text)

    def exit_json(self, **kw):
        raise Exit(dict(kw, failed=False))

    def fail_json(self, **kw):
        raise Exit(dict(kw, failed=True))


def outcome(module, body):
    with pytest.raises(Exit) as res:
        runner.run(module, body)
    return res.value.args[0]


def test_warnings_go_through_module_warn():
    m = FakeModule()
    out = outcome(m, lambda: {"changed": False, "warnings": ["careful"]})
    assert "warnings" not in out and m.warned == ["careful"]


def test_roce_soft_roce_note_is_a_warning_not_a_result_key():
    params = dict(netdev="eth0", rdma_device=None, port=1, profile=None, pfc=None, ets=None, dscp_map=None,
                  trust=None, ecn=None, cnp=None, rdma_cm=None, mtu=None, soft_roce={"type": "rxe", "name": None,
                                                                                     "state": "present"},
                  roce_priority=None, nccl_ib_tc=None, fail_on_inconsistency=True, sysfs_root="/",
                  state="rendered")
    m = FakeModule(params)
    with pytest.raises(Exit) as res:
        roce_resource.run_module(m)
    out = res.value.args[0]
    assert not out["failed"] and "warnings" not in out
    assert m.warned == [roce_resource.SOFT_ROCE_NOTE]
    assert out["rendered"] == ["rdma link add rxe0 type rxe netdev eth0"]


def test_diff_only_with_diff_mode():
    def body():
        return {"changed": True, "diff_before": [{"a": 1}], "diff_after": [{"a": 2}]}
    assert "diff" not in outcome(FakeModule(), body)
    assert outcome(FakeModule(diff=True), body)["diff"] == {"before": '- {"a": 1}\n', "after": '- {"a": 2}\n'}


def test_validation_error_names_the_field():
    def body():
        raise errors.ValidationError("config[2].mtu", "9000 is above the MTU of its parent")
    out = outcome(FakeModule(), body)
    assert out["failed"] and out["param"] == "config[2].mtu" and out["msg"].startswith("config[2].mtu: ")


def test_apply_error_carries_the_rollback_report():
    report = resource.RollbackReport()
    report.restored.append("ns1:eth0")
    report.not_restored.append("ns1:eth1")

    def body():
        raise resource.ApplyError("the kernel refused x; " + report.summary(), report)
    out = outcome(FakeModule(), body)
    assert out["failed"] and out["rollback"] == {"complete": False, "restored": ["ns1:eth0"],
                                                 "not_restored": ["ns1:eth1"], "errors": []}
    assert "rollback INCOMPLETE: not restored: ns1:eth1" in out["msg"]


@pytest.mark.parametrize("old, new", [("present", "merged"), ("absent", "deleted"), ("replaced", "replaced")])
def test_state_aliases(old, new):
    assert resource.canonical_state(old) == new
