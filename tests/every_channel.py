"""``environ`` for tests whose gateway has one door per registered channel (each channel's
test sender, ``tests/harness.py``) with its credentials, the public base URL providers sign,
and the central system's callback secret. A conftest or a test module imports it to
override the plain ``environ`` (tests/conftest.py)."""
from __future__ import annotations

import pytest


@pytest.fixture
def environ(environ, security_environ):
    environ.update(security_environ)
    return environ
