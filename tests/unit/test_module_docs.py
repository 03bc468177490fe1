# -*- coding: utf-8 -*-
"""DOCUMENTATION and EXAMPLES of the netem module agree with its argument spec."""
import pytest
import yaml

from ansible_collections.aifabric.emulation.plugins.module_utils.netem.argspec import ARGUMENT_SPEC, REQUIRED_IF
from ansible_collections.aifabric.emulation.plugins.modules import netem as module

FQCN = "aifabric.emulation.netem"


def tree(options, sub_key):
    """Comparable view of an options dict; sub_key: "suboptions" (docs) or "options" (argspec)."""
    return dict((name, {
        "type": o.get("type", "str"), "elements": o.get("elements"), "choices": o.get("choices"),
        "default": o.get("default"), "required": o.get("required", False), "aliases": o.get("aliases", []),
        "options": tree(o[sub_key], sub_key) if o.get(sub_key) else None,
    }) for name, o in options.items())


def _paths(tree, prefix=""):
    for name, entry in tree.items():
        yield prefix + name, entry
        if entry["options"]:
            yield from _paths(entry["options"], prefix + name + ".")


DOC = yaml.safe_load(module.DOCUMENTATION)
DOC_TREE, SPEC_TREE = tree(DOC["options"], "suboptions"), tree(ARGUMENT_SPEC, "options")


def test_same_option_names():
    assert sorted(p for p, _e in _paths(DOC_TREE)) == sorted(p for p, _e in _paths(SPEC_TREE))


@pytest.mark.parametrize("path", sorted(p for p, _e in _paths(SPEC_TREE)))
def test_option_matches_argspec(path):
    doc, spec = dict(_paths(DOC_TREE)).get(path), dict(_paths(SPEC_TREE))[path]
    assert doc is not None, "%s is not documented" % path
    for key in ("type", "elements", "choices", "default", "required", "aliases"):
        assert doc[key] == spec[key], "%s: %s differs" % (path, key)


def test_documentation_header():
    assert DOC["module"] == "netem"
    for name, o in DOC["options"].items():
        assert o.get("description"), name


def test_required_if_names_real_options():
    for key, value, needed in REQUIRED_IF:
        assert value in ARGUMENT_SPEC[key]["choices"]
        assert set(needed) <= set(ARGUMENT_SPEC)


EXAMPLES = yaml.safe_load(module.EXAMPLES)


def _unknown_keys(params, spec, prefix=""):
    for key, value in params.items():
        if key not in spec:
            yield prefix + key
            continue
        sub = spec[key].get("options")
        if sub and isinstance(value, dict):
            yield from _unknown_keys(value, sub, prefix + key + ".")
        elif sub and isinstance(value, list):
            for item in value:
                yield from _unknown_keys(item, sub, prefix + key + "[].")


@pytest.mark.parametrize("task", EXAMPLES, ids=[t["name"] for t in EXAMPLES])
def test_example_task(task):
    modules = [k for k in task if k not in ("name", "register", "become", "when")]
    assert modules == [FQCN]
    params = task[FQCN]
    assert list(_unknown_keys(params, ARGUMENT_SPEC)) == []
    for key, value, needed in REQUIRED_IF:
        if params.get(key, ARGUMENT_SPEC[key].get("default")) == value:
            assert set(needed) <= set(params), "%s=%s needs %s" % (key, value, needed)
