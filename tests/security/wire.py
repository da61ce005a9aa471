"""The wire side of the security tests: the raw ``Request`` (``channels.testing``), the
replies queued for citizens, and the central system's signed status callback (the one
scheme with a timestamp). The doors, their credentials and the secrets no answer may echo
come from the channels' test senders (``tests/harness.py``).
"""
from __future__ import annotations

import json
import time

from channels.testing import OTHER_SECRET, PUBLIC, Request, json_bytes  # noqa: F401 (re-exported)
from forwarder import central as central_contract
from forwarder.topology import REPLIES
from tests.gateway.support import queued
from tests.harness import CENTRAL_SECRET, SECRETS  # noqa: F401 (re-exported)


def replies(parts) -> list[dict]:
    """Replies queued for the notifier (oldest first)."""
    return list(reversed(queued(parts.settings.redis_url, REPLIES)))


# ----- the central system's status callback ----------------------------------------------------
CENTRAL_PATH = "/api/v1/central/status"
TO_GATEWAY = central_contract.STATUS_TO_GATEWAY     # the v2 kind of a status callback


def central_callback(number: str, kind: str = "valid", now: float | None = None,
                     status: str = "proses") -> Request:
    """A status callback from the central system, signed (or forged) as ``kind`` says."""
    body = json.dumps({"tracking_number": number, "status": status,
                       "agency": "Dinas PU PERA"}).encode()
    stamp = int(now if now is not None else time.time())
    expected = central_contract.sign(CENTRAL_SECRET, body, stamp, TO_GATEWAY)
    headers = {"X-Lapor-Timestamp": str(stamp), "X-Lapor-Signature": expected}
    if kind == "none":
        headers = {}
    elif kind == "wrong":
        headers["X-Lapor-Signature"] = central_contract.sign(OTHER_SECRET, body, stamp, TO_GATEWAY)
    elif kind == "other_body":
        other = body.replace(b"proses", b"selesai")
        headers["X-Lapor-Signature"] = central_contract.sign(CENTRAL_SECRET, other, stamp, TO_GATEWAY)
    elif kind in ("stale", "future"):                     # signed correctly, 10 minutes off
        moved = stamp + (600 if kind == "future" else -600)
        headers = {"X-Lapor-Timestamp": str(moved),
                   "X-Lapor-Signature": central_contract.sign(CENTRAL_SECRET, body, moved, TO_GATEWAY)}
    elif kind != "valid":
        raise ValueError(kind)
    return Request("POST", CENTRAL_PATH, body=body, headers=headers,
                   content_type="application/json", secrets=(expected, expected[3:], CENTRAL_SECRET))
