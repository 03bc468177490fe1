# -*- coding: utf-8 -*-
"""Helpers shared by the unit tests: YAML case tables and fake distribution tables."""

import os

import pytest
import yaml

CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases")

# Tiny stand-ins for iproute2's .dist tables (conftest puts them in TC_LIB_DIR).
FAKE_DIST = {"normal": [-3, -1, 0, 1, 3], "pareto": [-2, 0, 5, 9], "paretonormal": [-1, 0, 2]}


def load_cases(name, section=None):
    """pytest.param list from cases/<name>.yml; every case has an `id`."""
    with open(os.path.join(CASES, name + ".yml")) as f:
        data = yaml.safe_load(f)
    if section is not None:
        data = data[section]
    return [pytest.param(case, id=case["id"]) for case in data]
