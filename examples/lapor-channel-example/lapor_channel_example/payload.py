"""The aggregator's callback body -> the fields of an ``InboundMessage``.

The same fields come either as a form (``application/x-www-form-urlencoded``, UTF-8) or as
a JSON object (``application/json``)::

    delivery_id=dlv-20261124-000042&msisdn=6281234567890&shortcode=1708
    &text=LAPOR+jalan+rusak+di+Desa+Sukamaju&sent_at=2026-11-24T10:46:58%2B07:00
    &operator=telkomsel

    {"delivery_id": "dlv-20261124-000042", "msisdn": "6281234567890", "shortcode": "1708",
     "text": "LAPOR jalan rusak di Desa Sukamaju", "sent_at": 1795494418,
     "operator": "telkomsel"}

``delivery_id`` (required) names one message and is repeated on every retry of it;
``msisdn`` (required) is the sender's number, international, ``+`` optional; ``text``
(required, may be empty); ``shortcode``, ``sent_at`` (ISO 8601 with an offset, or Unix
seconds) and ``operator`` are optional. Anything else is ignored.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from channels import jsonbody
from channels.base import Rejected

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_FIELDS = 50
_DELIVERY_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_MSISDN = re.compile(r"\+?[0-9]{6,20}")
_TEXT_FIELDS = ("delivery_id", "msisdn", "shortcode", "text", "operator")


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def read_fields(body: bytes, content_type: str) -> dict:
    """The callback's fields as a dict; Rejected(415) for another media type, Rejected(400)
    for a body that cannot be read."""
    kind = media_type(content_type)
    if kind == FORM:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                              max_num_fields=MAX_FIELDS, errors="strict")
        except ValueError:                       # not UTF-8 (raw or %-escaped), too many fields
            raise Rejected(400, "body is not a readable form") from None
        fields: dict = {}
        for key, value in pairs:
            fields.setdefault(key, value)        # the first occurrence of a name wins
        return fields
    if kind == JSON:
        value = jsonbody.load(body)
        if not isinstance(value, dict):
            raise Rejected(400, "body is not a JSON object")
        return value
    raise Rejected(415, "send the callback as a form or as JSON")


def checked(fields: dict) -> dict:
    """The fields a message needs, checked; Rejected(400) naming the first wrong one."""
    for name in _TEXT_FIELDS:
        if name in fields and not isinstance(fields[name], str):
            raise Rejected(400, f"{name} must be text")
    delivery_id = fields.get("delivery_id", "")
    if not _DELIVERY_ID.fullmatch(delivery_id):
        raise Rejected(400, "missing or malformed delivery_id")
    msisdn = fields.get("msisdn", "").strip()
    if not _MSISDN.fullmatch(msisdn):
        raise Rejected(400, "missing or malformed msisdn")
    if "text" not in fields:
        raise Rejected(400, "missing text")
    return {"delivery_id": delivery_id, "msisdn": msisdn, "text": fields["text"],
            "shortcode": fields.get("shortcode", "").strip()[:20],
            "operator": fields.get("operator", "").strip()[:40],
            "sent_at": sent_time(fields.get("sent_at"))}


def sent_time(value) -> datetime | None:
    """ISO 8601 with an offset, or Unix seconds (number or digits); None when unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
            return datetime.fromtimestamp(int(value), timezone.utc)
        if isinstance(value, str):
            found = datetime.fromisoformat(value.strip())
            return found if found.tzinfo else None
    except (ValueError, OverflowError, OSError):
        return None
    return None
