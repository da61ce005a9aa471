"""The fuzz tests' gateway (when a test drives the app): the security tests' doors, one per
channel, with their credentials (tests/harness.py); and the fuzz inputs
kept out of the session's privacy watch (see ``fuzz_inputs_are_not_reporters``)."""
from __future__ import annotations

import pytest

from tests.every_channel import environ  # noqa: F401


@pytest.fixture(autouse=True)
def fuzz_inputs_are_not_reporters():
    """Fuzz inputs put any string in any field, so the session's privacy watch (reporter
    identities searched as substrings of every log line, tests/conftest.py) cannot tell a
    leak from a coincidence: a drawn "name" such as "door=w" is in every door's log line,
    and a mutation that moves a recorded name into a logged field (WhatsApp's ``object``)
    is not a reporter's identity being logged. The identities these tests make and the
    log lines they cause are therefore left out of the watch; the privacy promise is
    tested with real canary identities by the rest of the suite."""
    from tests import conftest as root

    identities, lines = set(root.IDENTITIES), len(root.WATCH.lines)
    yield
    root.IDENTITIES.intersection_update(identities)
    del root.WATCH.lines[lines:]
