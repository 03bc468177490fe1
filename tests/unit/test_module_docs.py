# -*- coding: utf-8 -*-
"""DOCUMENTATION and EXAMPLES of each module agree with its argument spec."""
import pytest
import yaml

from ansible_collections.aifabric.emulation.plugins.module_utils.fabric import argspec as fabric_argspec
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import argspec as netem_argspec
from ansible_collections.aifabric.emulation.plugins.module_utils.roce import argspec as roce_argspec
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import argspec as vlan_argspec
from ansible_collections.aifabric.emulation.plugins.module_utils.workload import argspec as workload_argspec
from ansible_collections.aifabric.emulation.plugins.modules import fabric as fabric_module
from ansible_collections.aifabric.emulation.plugins.modules import netem as netem_module
from ansible_collections.aifabric.emulation.plugins.modules import roce as roce_module
from ansible_collections.aifabric.emulation.plugins.modules import vlan as vlan_module
from ansible_collections.aifabric.emulation.plugins.modules import workload as workload_module

MODULES = {"netem": (netem_module, netem_argspec), "vlan": (vlan_module, vlan_argspec),
           "roce": (roce_module, roce_argspec), "fabric": (fabric_module, fabric_argspec)}
MODULES["workload"] = (workload_module, workload_argspec)

# Modules an example may use around the module's own tasks (FQCN, parameters not checked here).
HELPER_MODULES = ("ansible.builtin.debug", "ansible.builtin.assert")


def load_doc(name, text):  # pylint: disable=unused-argument
    return yaml.safe_load(text)


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


class Module:
    def __init__(self, name):
        module, argspec = MODULES[name]
        self.name, self.fqcn = name, "aifabric.emulation." + name
        self.spec, self.required_if = argspec.ARGUMENT_SPEC, argspec.REQUIRED_IF
        self.doc = load_doc(name, module.DOCUMENTATION)
        self.doc_tree, self.spec_tree = tree(self.doc["options"], "suboptions"), tree(self.spec, "options")
        self.examples = yaml.safe_load(module.EXAMPLES)
        self.returns = yaml.safe_load(module.RETURN)


LOADED = dict((name, Module(name)) for name in MODULES)
OPTIONS = [(name, path) for name, m in sorted(LOADED.items()) for path in sorted(p for p, _e in _paths(m.spec_tree))]
EXAMPLE_TASKS = [(name, i) for name, m in sorted(LOADED.items()) for i in range(len(m.examples))]


@pytest.mark.parametrize("name", [
    "netem",
    "vlan",
    "roce",
    "fabric",
])
def test_documentation_is_yaml(name):
    yaml.safe_load(MODULES[name][0].DOCUMENTATION)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_same_option_names(name):
    m = LOADED[name]
    assert sorted(p for p, _e in _paths(m.doc_tree)) == sorted(p for p, _e in _paths(m.spec_tree))


@pytest.mark.parametrize("name, path", OPTIONS, ids=["%s:%s" % o for o in OPTIONS])
def test_option_matches_argspec(name, path):
    m = LOADED[name]
    doc, spec = dict(_paths(m.doc_tree)).get(path), dict(_paths(m.spec_tree))[path]
    assert doc is not None, "%s is not documented" % path
    for key in ("type", "elements", "choices", "default", "required", "aliases"):
        assert doc[key] == spec[key], "%s: %s differs" % (path, key)


def _doc_options(options, prefix=""):
    for name, o in options.items():
        yield prefix + name, o
        if o.get("suboptions"):
            yield from _doc_options(o["suboptions"], prefix + name + ".")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_documentation_header(name):
    m = LOADED[name]
    assert m.doc["module"] == name
    assert m.doc.get("short_description") and m.doc.get("description")
    for path, o in _doc_options(m.doc["options"]):
        assert o.get("description"), path


@pytest.mark.parametrize("name", sorted(MODULES))
def test_required_if_names_real_options(name):
    m = LOADED[name]
    for key, value, needed, *_any in m.required_if:
        assert value in m.spec[key]["choices"]
        assert set(needed) <= set(m.spec)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_return_is_documented(name):
    m = LOADED[name]
    for key, r in m.returns.items():
        assert r.get("description") and r.get("returned") and r.get("type"), key


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


def _missing_required(params, spec, prefix=""):
    for key, o in spec.items():
        if o.get("required") and key not in params:
            yield prefix + key
        sub, value = o.get("options"), params.get(key)
        if sub and isinstance(value, dict):
            yield from _missing_required(value, sub, prefix + key + ".")
        elif sub and isinstance(value, list):
            for item in value:
                yield from _missing_required(item, sub, prefix + key + "[].")


def _bad_choices(params, spec, prefix=""):
    for key, value in params.items():
        o = spec.get(key, {})
        if o.get("choices") and value not in o["choices"]:
            yield "%s%s=%r" % (prefix, key, value)
        sub = o.get("options")
        if sub and isinstance(value, dict):
            yield from _bad_choices(value, sub, prefix + key + ".")
        elif sub and isinstance(value, list):
            for item in value:
                yield from _bad_choices(item, sub, prefix + key + "[].")


@pytest.mark.parametrize("name, index", EXAMPLE_TASKS,
                         ids=["%s:%s" % (n, LOADED[n].examples[i]["name"]) for n, i in EXAMPLE_TASKS])
def test_example_task(name, index):
    m = LOADED[name]
    task = m.examples[index]
    modules = [k for k in task if k not in ("name", "register", "become", "when")]
    if len(modules) == 1 and modules[0] in HELPER_MODULES:
        return
    assert modules == [m.fqcn]
    params = task[m.fqcn]
    assert list(_unknown_keys(params, m.spec)) == []
    assert list(_missing_required(params, m.spec)) == []
    assert list(_bad_choices(params, m.spec)) == []
    for key, value, needed, *any_of in m.required_if:
        if params.get(key, m.spec[key].get("default")) == value:
            if any_of and any_of[0]:
                assert set(needed) & set(params), "%s=%s needs one of %s" % (key, value, needed)
            else:
                assert set(needed) <= set(params), "%s=%s needs %s" % (key, value, needed)


def test_vlan_examples_validate():
    """Every vlan example's config passes the model's validation."""
    from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import model
    for task in LOADED["vlan"].examples:
        model.normalize_config(task["aifabric.emulation.vlan"].get("config"))


def test_roce_examples_validate():
    """Every roce example passes the model's validation; helper tasks use what an earlier task registered."""
    from ansible_collections.aifabric.emulation.plugins.module_utils.roce import model
    m, registered = LOADED["roce"], set()
    for task in m.examples:
        if m.fqcn in task:
            model.normalize(task[m.fqcn])
            registered.add(task.get("register"))
        else:
            var = task["ansible.builtin.debug"]["var"]
            name, _dot, key = var.partition(".")
            assert name in registered and key in m.returns, var
