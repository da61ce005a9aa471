"""SMS aggregator door (channel ``smsagg``): SMS to a short code through an aggregator's
signed HTTP callback. The example channel package of docs/plugins.md.

Many Indonesian SMS aggregators rent a short code and POST each incoming SMS to a URL the
customer gives them. This adapter speaks a typical such callback; adapt ``payload.py``
and the header names to your aggregator's documentation.

Features
========
* Signature: ``X-Smsagg-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``
  with ``X-Smsagg-Timestamp: <Unix seconds>``, compared in constant time. No signature or
  timestamp: 401; a timestamp more than 5 minutes away from now: 401 (a recorded request
  cannot be replayed later); a wrong signature: 403. Answers never echo a signature or
  the body.
* Missing ``credentials.secret``: 503 "door not configured" (the aggregator retries later).
* The body is a form or a JSON object with the same fields (``payload.py``); the
  aggregator's ``delivery_id`` is the provider message id, the same on every retry, so a
  retried callback is the same complaint (the gateway answers it "already received").
* The acknowledgement rides on the answer (``replies_inline``): ``200 {"status":
  "accepted", "reply": "<text>"}``; the aggregator sends ``reply`` to the citizen as an SMS.
* ``send``: status notices later through the aggregator's send API (``options.send_url``),
  a JSON POST signed the same way; 429 and 5xx are retried, other refusals are permanent.

Door settings
=============
* ``credentials.secret``: the signing secret the aggregator shows in its dashboard.
* ``options.send_url``: the aggregator's send API, e.g. ``https://api.aggregator.example/v1/sms``
  [none: status notices cannot be sent on this door].
* ``options.short_code``: the ``from`` of sent messages and the short code named in
  acknowledgements [1708].

Sample request::

    POST /in/sms-agregator
    Content-Type: application/x-www-form-urlencoded
    X-Smsagg-Timestamp: 1795494418
    X-Smsagg-Signature: v1=5f1c...

    delivery_id=dlv-20261124-000042&msisdn=6281234567890&shortcode=1708&text=LAPOR+...
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import datetime, timezone

import requests

from channels.base import ChannelAdapter, Rejected, SendError, WebRequest, WebResponse
from lapor_channel_example.payload import checked, read_fields
from normalizer.values import InboundMessage, OutboundMessage

log = logging.getLogger("lapor_channel_example")

TIMESTAMP_HEADER = "x-smsagg-timestamp"
SIGNATURE_HEADER = "x-smsagg-signature"
TOLERANCE_SECONDS = 300
SEND_TIMEOUT = (3.05, 10.0)          # connect, read (seconds)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value the aggregator sends (and ``send`` sends back) for ``body``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


class SmsAggregatorAdapter(ChannelAdapter):
    name = "smsagg"
    replies_inline = True
    required_credentials = ("secret",)
    known_options = frozenset({"send_url"})        # and short_code (COMMON_OPTIONS)

    # ----- verify -----------------------------------------------------------------------
    def verify(self, request: WebRequest) -> None:
        stamp = request.header(TIMESTAMP_HEADER).strip()
        given = request.header(SIGNATURE_HEADER).strip()
        if not stamp or not given:
            raise Rejected(401, "missing signature")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
            raise Rejected(401, "malformed timestamp")
        if abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
            raise Rejected(401, "timestamp too old or in the future")
        expected = signature(str(self.door.credentials["secret"]), stamp, request.body)
        if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii")):
            raise Rejected(403, "wrong signature")

    # ----- parse ------------------------------------------------------------------------
    def parse(self, request: WebRequest) -> list[InboundMessage]:
        if request.method != "POST":
            raise Rejected(405, "the callback is a POST")
        fields = checked(read_fields(request.body, request.content_type or request.header("content-type")))
        return [InboundMessage(
            door_id=self.door.id, channel=self.name, provider_message_id=fields["delivery_id"],
            sender=fields["msisdn"], sender_kind="phone", text=fields["text"],
            recipient=fields["shortcode"], received_at=datetime.now(timezone.utc),
            sent_at=fields["sent_at"], meta={"operator": fields["operator"]} if fields["operator"] else {},
        )]

    # ----- respond ----------------------------------------------------------------------
    def respond(self, outcomes) -> WebResponse:
        text = "\n".join(outcome.reply_text for outcome in outcomes if outcome.reply_text)
        body = json.dumps({"status": "accepted", "reply": text}, ensure_ascii=False)
        return WebResponse(200, body.encode("utf-8"), "application/json")

    # ----- send -------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> str:
        url = str(self.door.options.get("send_url") or "")
        if not url:
            raise SendError(f"door {self.door.id}: no send_url configured", permanent=True)
        body = json.dumps({"to": message.to.lstrip("+"), "text": message.text,
                           "from": str(self.door.options.get("short_code") or "1708"),
                           "client_ref": message.reply_id}, ensure_ascii=False).encode("utf-8")
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Smsagg-Timestamp": stamp,
                   "X-Smsagg-Signature": signature(str(self.door.credentials["secret"]), stamp, body)}
        try:
            response = requests.post(url, data=body, headers=headers, timeout=SEND_TIMEOUT)
        except requests.RequestException as exc:   # its text may hold the URL: never shown
            raise SendError(f"aggregator unreachable ({type(exc).__name__})") from None
        if 200 <= response.status_code < 300:
            return _message_id(response)
        reason = f"aggregator answered {response.status_code}"
        if response.status_code == 429 or response.status_code >= 500:
            raise SendError(reason, retry_after=_retry_after(response))
        raise SendError(reason, permanent=True, code=str(response.status_code))


def _message_id(response: requests.Response) -> str:
    """The aggregator's id of the message sent (``{"message_id": ...}``), '' if none."""
    try:
        found = response.json().get("message_id", "")
    except (ValueError, AttributeError):
        return ""
    return found[:128] if isinstance(found, str) else ""


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
