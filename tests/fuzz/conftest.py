"""The fuzz tests' gateway (when a test drives the app): the security tests' doors, one per
channel, with their credentials (tests/security/testdata/doors.json)."""
from __future__ import annotations

import pytest

from tests.security.senders import ENVIRON


@pytest.fixture
def environ(environ):
    environ.update(ENVIRON)
    return environ
