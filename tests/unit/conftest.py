# -*- coding: utf-8 -*-
"""Make the checkout importable as ansible_collections.aifabric.emulation.

Unit tests touch no kernel: distribution tables come from small fake .dist
files in a temporary TC_LIB_DIR, so results do not depend on iproute2.
"""

import os
import sys

import pytest

from casetable import FAKE_DIST

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTIONS = os.path.join(REPO, ".cache", "collections")


def _ensure_collection_link():
    """The link tools/bootstrap makes: <repo>/.cache/collections/ansible_collections/aifabric/emulation."""
    parent = os.path.join(COLLECTIONS, "ansible_collections", "aifabric")
    link = os.path.join(parent, "emulation")
    if not os.path.exists(os.path.join(link, "galaxy.yml")):
        os.makedirs(parent, exist_ok=True)
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(os.path.join("..", "..", "..", ".."), link)


_ensure_collection_link()
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


@pytest.fixture(scope="session", autouse=True)
def tc_lib_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tc")
    for name, table in FAKE_DIST.items():
        (path / (name + ".dist")).write_text("# fake %s\n%s\n" % (name, " ".join(map(str, table))))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TC_LIB_DIR", str(path))
        yield path
