"""Lab tier: runs inside tools/labvm (a distribution kernel with netem, ifb, prio, u32)."""
import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("LABVM") != "1":
        reason = "lab tests run only inside tools/labvm (make test-lab)"
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))
