"""Multi-VM tier: runs on the host and boots several lab VMs joined by a unix-socket link."""
import os
import shutil

import pytest


def pytest_collection_modifyitems(config, items):
    reason = None
    if os.environ.get("LABVM") == "1":
        reason = "multi-VM tests boot VMs from the host, not from inside a VM"
    elif os.geteuid() != 0 or not shutil.which("qemu-system-x86_64"):
        reason = "multi-VM tests need root and qemu (make venv installs it)"
    if reason:
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))
