"""No one can write log lines for us: whatever an unauthenticated caller puts in the door
path (CR, LF, other control characters, non-ASCII) appears in the gateway's log lines
escaped, so it cannot forge a second line (say, a fake "accepted" record) or hide one."""
from __future__ import annotations

import logging

import pytest

FORGED = "\n2026-11-24 10:00:00,000 INFO lapor.intake accepted door=sms-1708 complaint=forged"


@pytest.mark.parametrize("door", ["x%0A2026-11-24%20INFO%20forged", "sms%0D%0A1708", "a%1B%5B2Jb",
                                  "web%E2%80%A8x", "x" + FORGED.replace("\n", "%0A").replace(" ", "%20")])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_door_path_cannot_forge_log_lines(client, parts, caplog, door, method):
    caplog.set_level(logging.DEBUG)
    response = client.open(f"/in/{door}", method=method, data=b"{}")
    assert response.status_code == 404
    for record in caplog.records:
        line = record.getMessage()
        assert not any(ch in line for ch in "\r\n\x1b\u2028"), line
    assert not list(parts.store.redis.scan_iter("lapor:c:*"))
