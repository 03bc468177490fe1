"""Shared fixtures for every test tier."""
import pytest

from netlab import Pair


@pytest.fixture
def pair():
    p = Pair()
    try:
        p.create()
        yield p
    finally:
        p.destroy()
