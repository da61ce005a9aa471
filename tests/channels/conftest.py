"""Fixtures the channel tests share: one local stand-in for X's API and media hosts per test
module (``tests.helpers.Receiver``); each module's ``x_api`` fixture resets it per test."""
from __future__ import annotations

import pytest

from tests.helpers import Receiver


@pytest.fixture(scope="module")
def x_server():
    with Receiver() as fake:
        yield fake
