"""The security tests' gateway: one door per channel (``testdata/doors.json``) with its
credentials, the public base URL providers sign, and the central system's callback secret."""
from __future__ import annotations

import pytest

from tests.security.wire import ENVIRON


@pytest.fixture
def environ(environ):
    environ.update(ENVIRON)
    return environ
