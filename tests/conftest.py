"""Shared fixtures for every test tier."""
import atexit
import os
import shutil
import tempfile

import pytest

from netlab import Pair

# ansible-core makes ~/.ansible/tmp as soon as its configuration loads. A user
# without a writable HOME (nobody running `make test-unit`, a CI sandbox) gets
# a private ANSIBLE_HOME for the session instead of a failed collection.
if "ANSIBLE_HOME" not in os.environ and not os.access(os.path.expanduser("~"), os.W_OK):
    _home = tempfile.mkdtemp(prefix="aifabric-ansible-home-")
    os.environ["ANSIBLE_HOME"] = _home
    atexit.register(shutil.rmtree, _home, True)


@pytest.fixture
def pair():
    p = Pair()
    try:
        p.create()
        yield p
    finally:
        p.destroy()
