"""The webhook door's way back: status changes POSTed to the agency's ``callback_url``.

A status change from the central system reaches a webhook door as a ``status`` reply (the
notifier's replies queue, so it is retried with backoff and dead-lettered like every
reply). ``deliver`` turns it into one Standard Webhooks request, signed with the door's
``secret`` by ``standardwebhooks``' own ``Webhook.sign``::

    POST <callback_url>
    webhook-id: msg_<reply id>          (the same on every retry of this change)
    webhook-timestamp: <unix seconds>   (the moment of this attempt)
    webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>
    Content-Type: application/json

    {"type": "complaint.status", "timestamp": "...", "data": {"tracking_number": "27410935882",
     "status": "proses", "agency": "Dinas PU PERA", "note": "...", "service_level": "...",
     "due_date": "2027-02-19", "updated_at": "...", "message": "<the citizen's notice>"}}

Only what the public status shows goes back (the tracking number is the agency's key: the
201 answer gave it), and the notice in the reporter's language for the agency's app to pass
on; never the reporter's name, contact, pseudonym or message ids.

The URL is the operator's (doors file), never a caller's, and still goes through
``channels.download``'s checks: https only, public addresses only, the address checked is
the one connected to, no redirect followed. 2xx is delivered; 408, 429 and 5xx, time-outs
and refused connections are retried (``Retry-After`` honoured); any other answer is
permanent (dead-lettered, replayable with ``lapor-gateway dead replay``).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from standardwebhooks import Webhook
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from channels import download
from channels.base import SendError
from config.settings import SettingsError
from normalizer.values import OutboundMessage

STATUS_FIELDS = ("status", "agency", "note", "service_level", "due_date", "updated_at")
RETRYABLE = frozenset({408, 429})
TIMEOUT = (3.05, 15.0)


def check_url(door_id: str, callback_url: str, test_origins: frozenset) -> None:
    """A door's ``callback_url``, checked when the door is built: an https URL without user
    info (or one of the door's test origins); SettingsError (one line) otherwise."""
    try:
        url = parse_url(callback_url)
        origin = f"{(url.scheme or '').lower()}://{(url.host or '').lower()}:{url.port or 80}"
    except (LocationParseError, ValueError):
        url, origin = None, ""
    if url is None or not url.host or url.auth is not None or (
            (url.scheme or "").lower() != "https" and origin not in test_origins):
        raise SettingsError(f"door {door_id!r}: options.callback_url must be an https URL "
                            "(without user info)")


def policy(callback_url: str, options: dict) -> download.Policy:
    """Where a door's callbacks may go: the callback URL's own https host and port."""
    try:
        url = parse_url(callback_url)
    except LocationParseError:
        raise SendError("callback_url is not a valid URL", permanent=True) from None
    port = url.port or (443 if (url.scheme or "").lower() == "https" else 0)
    return download.Policy(hosts=frozenset({(url.host or "").lower().strip("[]")}), max_bytes=64 * 1024,
                           test_origins=download.test_origins(options), timeout=TIMEOUT,
                           follow_redirects=False, what="status callback", port=port)


def payload(message: OutboundMessage, now: datetime) -> bytes:
    status = message.status or {}
    data = {"tracking_number": message.tracking_number,
            **{name: str(status.get(name) or "") for name in STATUS_FIELDS},
            "message": message.text}
    return json.dumps({"type": "complaint.status", "timestamp": now.isoformat(), "data": data},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed_headers(secret: str, msg_id: str, now: datetime, body: bytes) -> dict:
    """The three Standard Webhooks headers for ``body``, signed by the library."""
    signature = Webhook(secret).sign(msg_id, now, body.decode("utf-8"))
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature, "Content-Type": "application/json"}


def _retry_after(answer: download.Answer) -> float | None:
    value = str(answer.headers.get("retry-after", "")).strip()
    return float(value) if value.isascii() and value.isdigit() else None


def deliver(callback_url: str, secret: str, options: dict, message: OutboundMessage) -> str:
    """POST one status change; return its webhook-id; SendError when not delivered."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    msg_id = "msg_" + (message.reply_id or message.complaint_id or "status")
    body = payload(message, now)
    answer = download.post(callback_url, policy(callback_url, options), body,
                           signed_headers(secret, msg_id, now, body))
    if 200 <= answer.status_code < 300:
        return msg_id
    retryable = answer.status_code >= 500 or answer.status_code in RETRYABLE
    raise SendError(f"status callback answered {answer.status_code}", permanent=not retryable,
                    retry_after=_retry_after(answer), code=str(answer.status_code))
