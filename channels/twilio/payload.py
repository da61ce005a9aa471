"""Reading Twilio's incoming-message webhook (channel ``twilio``): the form fields, and the
message they describe.

Twilio POSTs ``application/x-www-form-urlencoded`` UTF-8 (or puts the same fields in the
query string when the number's webhook method is GET). ``read_params`` returns every field
with all its values, as ``RequestValidator`` needs them; ``read_message`` turns the fields of
one incoming SMS or WhatsApp message into an ``InboundMessage``, or None for a request that
carries no citizen message (a status callback, an empty event).

Fields read (names as Twilio sends them)::

    MessageSid (SmsMessageSid, SmsSid)  the message id (SM/MM + 32 hex, all equal): dedup
                        key, stable on retries
    From / To           "+6281234567890" (SMS) or "whatsapp:+6281234567890" (WhatsApp)
    Body                the text (WhatsApp: also a button's or list row's title)
    ButtonText          WhatsApp quick-reply button text, when Body is empty
    NumMedia, MediaUrlN, MediaContentTypeN   attachments (N = 0..9)
    Latitude, Longitude, Address, Label      a shared WhatsApp location
    NumSegments         parts of a long SMS that Twilio joined into one message
    ProfileName, WaId   WhatsApp profile name and number: personal data, never logged
    MessageType         WhatsApp message kind (text, image, location, button, ...)
    MessageStatus / SmsStatus   set to sent/delivered/read/failed on status callbacks

Nothing else (FromCity, FromZip, ... and fields Twilio adds later) is kept: the fields are
signed all the same, so new ones never break verification.
"""
from __future__ import annotations

import functools
import re
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from channels.base import Rejected, WebRequest
from normalizer.geo import coordinates
from normalizer.values import Attachment, DeliveryReport, InboundMessage, Location

MAX_FORM_BYTES = 64 * 1024      # a real webhook, ten media URLs included, is under 8 KiB
MAX_FIELDS = 300
MAX_MEDIA = 10                  # Twilio's limit per message
FORM_TYPES = ("application/x-www-form-urlencoded", "")
INBOUND_STATUSES = ("received", "receiving", "accepted")
WHATSAPP_PREFIX = "whatsapp:"
MESSAGE_SID = re.compile(r"(?:SM|MM)[0-9a-fA-F]{32}")   # Twilio error 90001's own pattern
DOCUMENT_TYPES = ("application/pdf", "application/msword", "application/rtf", "text/plain",
                  "text/csv", "application/vnd.")


class Params(dict):
    """Form fields: name -> list of values, in the order sent. ``getlist`` is what
    ``twilio.request_validator.RequestValidator`` reads repeated fields with."""

    def getlist(self, name: str) -> list[str]:
        return self.get(name, [])

    def first(self, name: str, default: str = "") -> str:
        values = self.get(name)
        return values[0] if values else default


def read_params(request: WebRequest) -> Params:
    """The webhook's fields (query string for GET, body for POST); 400 when unreadable,
    413 when larger than any webhook Twilio sends."""
    if request.method == "GET":
        raw = request.query_string
    elif request.content_type.startswith("multipart/form-data"):   # not Twilio's, but readable
        params = Params()
        for key, value in request.form.items():
            params.setdefault(key, []).append(value)
        return params
    else:
        kind = request.content_type.split(";")[0].strip().lower()
        if kind not in FORM_TYPES:
            raise Rejected(400, "expected an urlencoded form body")
        raw = request.body
    if len(raw) > MAX_FORM_BYTES:
        raise Rejected(413, "request body too large")
    try:
        pairs = _pairs(raw)
    except ValueError:              # not UTF-8, a bad escape in UTF-8, or too many fields
        raise Rejected(400, "malformed form body") from None
    params = Params()
    for key, value in pairs:
        params.setdefault(key, []).append(value)
    return params


@functools.lru_cache(maxsize=16)
def _pairs(raw: bytes) -> tuple[tuple[str, str], ...]:
    """The form's (name, value) pairs, kept for the few latest bodies: verify, parse and the
    delivery-report check of one request each read the same body (``parse_qsl`` three times
    was about a fifth of a Twilio request, issue 12). A malformed body raises each time."""
    return tuple(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS,
                           encoding="utf-8", errors="strict"))


def split_address(value: str) -> tuple[str, str]:
    """'whatsapp:+628...' -> ('whatsapp', '+628...'); '+628...' -> ('sms', '+628...')."""
    value = value.strip()
    if value.lower().startswith(WHATSAPP_PREFIX):
        return "whatsapp", value[len(WHATSAPP_PREFIX):].strip()
    return "sms", value


def attachment_kind(content_type: str) -> str:
    kind = content_type.split(";")[0].strip().lower()
    major = kind.partition("/")[0]
    if major in ("image", "audio", "video"):
        return major
    if kind.startswith(DOCUMENT_TYPES):
        return "document"
    return "other"


def read_attachments(params: Params) -> tuple[Attachment, ...]:
    """MediaUrlN / MediaContentTypeN for N below NumMedia (at most ten); without a usable
    NumMedia, every MediaUrlN present."""
    count = params.first("NumMedia").strip()
    limit = min(int(count), MAX_MEDIA) if count.isascii() and count.isdigit() else MAX_MEDIA
    found = []
    for index in range(limit):
        url = params.first(f"MediaUrl{index}").strip()
        if not url.lower().startswith(("https://", "http://")):
            continue
        content_type = params.first(f"MediaContentType{index}").strip()[:100]
        found.append(Attachment(kind=attachment_kind(content_type),
                                content_type=content_type or "application/octet-stream",
                                provider_ref=url[:1000]))
    return tuple(found)


def read_location(params: Params) -> Location | None:
    """A shared location: coordinates when both are valid, and the place's label and
    address as text (either may come alone)."""
    latitude, longitude = coordinates(params.first("Latitude"), params.first("Longitude"))
    label, address = params.first("Label").strip(), params.first("Address").strip()
    text = ", ".join(part for part in (label, address) if part)[:500]
    if latitude is None and not text:
        return None
    return Location(text=text, latitude=latitude, longitude=longitude)


# Twilio's MessageStatus of a reply -> the gateway's reply state (normalizer.values.REPLY_STATES)
REPLY_STATE = {"accepted": "accepted", "scheduled": "accepted", "queued": "accepted",
               "sending": "accepted", "sent": "sent", "delivered": "delivered", "read": "read",
               "undelivered": "failed", "failed": "failed", "canceled": "failed"}
OPTED_OUT_CODES = frozenset({"21610"})   # "Attempt to send to unsubscribed recipient" (STOP)


def delivery_report(params: Params) -> DeliveryReport | None:
    """A status callback as a delivery report of the reply ``MessageSid`` (None if none)."""
    if not is_status_event(params):
        return None
    status = (params.first("MessageStatus") or params.first("SmsStatus")).strip().lower()
    sid = params.first("MessageSid").strip()
    if status not in REPLY_STATE or not sid:
        return None
    code = "".join(ch for ch in params.first("ErrorCode") if ch.isascii() and ch.isdigit())[:8]
    return DeliveryReport(sid[:64], REPLY_STATE[status], code, code in OPTED_OUT_CODES)


def is_status_event(params: Params) -> bool:
    """A status callback (sent, delivered, read, failed...) rather than an incoming message."""
    status = (params.first("MessageStatus") or params.first("SmsStatus")).strip().lower()
    return bool(status) and status not in INBOUND_STATUSES


def message_sid(params: Params) -> str:
    """The message's SID: ``MessageSid``, ``SmsMessageSid`` and ``SmsSid`` (those sent) must
    each be one value of Twilio's format (``SM``/``MM`` + 32 hex) and all the same. Twilio
    signs names and values joined with no separator, so a replay that moved a boundary
    (``MessageSid=SM...NumMedia0`` with no ``NumMedia``) still verifies: only the format
    tells it apart, and the valid SID is the dedup key. Rejected(400) otherwise."""
    sent = [params.getlist(name) for name in ("MessageSid", "SmsMessageSid", "SmsSid")]
    values = [value.strip() for values in sent for value in values]
    if not values:
        raise Rejected(400, "missing MessageSid")
    if any(len(values_) > 1 for values_ in sent) or len(set(values)) != 1 \
            or not MESSAGE_SID.fullmatch(values[0]):
        raise Rejected(400, "malformed MessageSid")
    return values[0]


def read_message(params: Params, door_id: str, channel: str) -> InboundMessage | None:
    """One incoming message, or None when the request carries none. Raises Rejected(400)
    for a message without its id or sender."""
    if is_status_event(params):
        return None
    text = params.first("Body") or params.first("ButtonText")
    attachments = read_attachments(params)
    location = read_location(params)
    if not (text.strip() or attachments or location):
        return None
    message_id = message_sid(params)
    transport, sender = split_address(params.first("From"))
    wa_id = params.first("WaId").strip()
    if not sender and wa_id.isdigit():
        transport, sender = "whatsapp", "+" + wa_id
    if not sender:
        raise Rejected(400, "missing sender (From)")
    _, recipient = split_address(params.first("To"))
    segments = params.first("NumSegments").strip()
    return InboundMessage(
        door_id=door_id, channel=channel, provider_message_id=message_id, sender=sender[:64],
        sender_kind="phone", text=text, received_at=datetime.now(timezone.utc),
        recipient=recipient[:64], sender_name=params.first("ProfileName").strip()[:100],
        attachments=attachments, location=location,
        meta={"transport": transport,
              "segments": int(segments) if segments.isascii() and segments.isdigit() else None,
              "message_type": params.first("MessageType").strip().lower()[:32]},
    )
