"""Reading a WhatsApp Cloud API webhook body (the ``messages`` field of a WhatsApp Business
Account) into ``InboundMessage`` values; used by ``channels.whatsapp``.

Pure functions, no I/O: ``read_webhook(body, door_id, channel)`` returns one message per
citizen message it understands and logs the delivery statuses Meta reports. It survives any
bytes: only a body that is not a JSON object with an ``entry`` list is refused (400); any
other odd piece (a change of another field, a message without an id, a wrong type) is
skipped. Sample body (abridged from Meta's "messages webhook reference")::

    {"object": "whatsapp_business_account",
     "entry": [{"id": "<WABA_ID>", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100001708", "phone_number_id": "1065..."},
        "contacts": [{"profile": {"name": "Siti"}, "wa_id": "6281234567890"}],
        "messages": [{"from": "6281234567890", "id": "wamid.HBgN...", "timestamp": "1795516959",
                      "type": "text", "text": {"body": "Jalan rusak di Desa Sukamaju"}}]}}]}]}

Senders: Meta adds a business-scoped user id (BSUID) to every message (``contacts[].user_id``,
``messages[].from_user_id``) and leaves the phone number out (``wa_id``, ``from``) for users
who adopted a username. The phone number is the reporter's handle when present
(``sender_kind`` ``phone``); otherwise the BSUID is (``sender_kind`` ``bsuid``: its own
pseudonyms, follow-ups, CEK and replies). Sample of a username user's message::

    "contacts": [{"profile": {"name": "Siti", "username": "@siti"}, "user_id": "ID.1502576394655843"}],
    "messages": [{"from_user_id": "ID.1502576394655843", "id": "wamid.HBgN...", ...}]

Message types read: text, image, video, audio (voice notes too), document, location,
interactive (``button_reply``, ``list_reply``) and button (a template's quick reply).
Ignored on purpose (no complaint, the webhook still answers 200): reaction, sticker,
contacts, order, system, request_welcome, unsupported (Meta's type for what Cloud API cannot
deliver, edits included), interactive flow replies and any type added later. A reaction or a
sticker says nothing a complaint can hold; acting on them would open junk complaints.
"""
from __future__ import annotations

import functools
import logging
import re
from datetime import datetime, timezone

from channels import jsonbody
from channels.base import Rejected
from normalizer.geo import coordinates
from normalizer.values import Attachment, DeliveryReport, InboundMessage, Location
from normalizer.identity import mask

log = logging.getLogger("lapor.channels.whatsapp")

OBJECT = "whatsapp_business_account"
MEDIA_KINDS = {"image": "image", "video": "video", "audio": "audio", "document": "document"}
MAX_ID = 256                     # wamids are ~60 characters; anything longer is not Meta's
# A business-scoped user id: ISO country code, a period, up to 128 letters and digits
# ("ID.1502576394655843"). A parent BSUID ("ID.ENT.1181...") is not a reporter handle.
BSUID = re.compile(r"[A-Z]{2}\.[A-Za-z0-9]{1,128}")
BSUID_KIND = "bsuid"
REPLY_STATES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}
# 131050: "This recipient has chosen to stop receiving marketing messages on WhatsApp from
# your business" - the citizen's own opt-out, kept as their STOP. (131026, undeliverable,
# is not: the number may have no WhatsApp yet, or an old app.)
OPTED_OUT_CODES = frozenset({131050})


def _obj(parent, key: str) -> dict:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else {}


def _list(parent, key: str) -> list:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, list) else []


def _str(parent, key: str) -> str:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value.strip() if isinstance(value, str) else ""


def sent_time(value) -> datetime | None:
    """Meta's ``timestamp`` (Unix seconds, as a string) as an aware datetime."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text.isdigit() or len(text) > 12:
        return None
    try:
        return datetime.fromtimestamp(int(text), timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


@functools.lru_cache(maxsize=4)
def load(body: bytes) -> dict:
    """The webhook JSON object; Rejected(400) when the body is not one (each time). Kept for
    the few latest bodies: the message reader and the delivery-report reader of one request
    read the same body (issue 12). The readers share the object, so they never change it."""
    data = jsonbody.load(body)
    if not isinstance(data, dict):
        raise Rejected(400, "body is not a JSON object")
    if not isinstance(data.get("entry"), list):
        raise Rejected(400, "no entry list in the webhook body")
    return data


def read_statuses(body: bytes) -> list[DeliveryReport]:
    """Meta's delivery reports of our replies (``value.statuses``): the wamid, the state,
    the first error code; an opt-out code marks the report ``opted_out``."""
    data = load(body)
    if data.get("object") != OBJECT:
        return []
    found = []
    for entry in data["entry"]:
        for change in _list(entry, "changes"):
            if not isinstance(change, dict) or change.get("field", "messages") != "messages":
                continue
            for status in _list(_obj(change, "value"), "statuses"):
                wamid, state = _str(status, "id"), REPLY_STATES.get(_str(status, "status"))
                if not wamid or len(wamid) > MAX_ID or state is None:
                    continue
                codes = [e.get("code") for e in _list(status, "errors") if isinstance(e, dict)]
                codes = [c for c in codes if isinstance(c, int) and not isinstance(c, bool)]
                found.append(DeliveryReport(wamid, state, str(codes[0]) if codes else "",
                                            any(c in OPTED_OUT_CODES for c in codes)))
    return found


def read_webhook(body: bytes, door_id: str, channel: str) -> list[InboundMessage]:
    """Every citizen message in one webhook delivery, in order."""
    data = load(body)
    if data.get("object") != OBJECT:
        log.info("ignored webhook door=%s object=%.40s", door_id, str(data.get("object")))
        return []
    received = datetime.now(timezone.utc)
    found: list[InboundMessage] = []
    for entry in data["entry"]:
        for change in _list(entry, "changes"):
            if not isinstance(change, dict) or change.get("field", "messages") != "messages":
                continue
            value = _obj(change, "value")
            log_statuses(value, door_id)
            names = contact_names(value)
            metadata = _obj(value, "metadata")
            for item in _list(value, "messages"):
                message = read_message(item, names, metadata, door_id, channel, received)
                if message is not None:
                    found.append(message)
    return found


def contact_names(value: dict) -> dict:
    """Profile names of ``value.contacts`` by phone number (``wa_id``) and by BSUID
    (``user_id``); the username is not kept (it identifies the reporter)."""
    names = {}
    for contact in _list(value, "contacts"):
        name = _str(_obj(contact, "profile"), "name")
        for key in (_str(contact, "wa_id"), _str(contact, "user_id")):
            if key:
                names[key] = name
    return names


def sender_of(item: dict) -> tuple[str, str]:
    """(sender, sender_kind): the phone number (``from``, digits) when Meta sends one, else
    the business-scoped user id (``from_user_id``, kind ``bsuid``); ("", "") when neither."""
    phone, bsuid = _str(item, "from"), _str(item, "from_user_id")
    if phone.isascii() and phone.isdigit() and len(phone) <= 20:
        return "+" + phone, "phone"
    if BSUID.fullmatch(bsuid):
        return bsuid, BSUID_KIND
    return "", ""


def read_message(item, names: dict, metadata: dict, door_id: str, channel: str,
                 received: datetime) -> InboundMessage | None:
    """One entry of ``value.messages``, or None for a type that makes no complaint."""
    if not isinstance(item, dict):
        return None
    kind, wamid = _str(item, "type"), _str(item, "id")
    sender, sender_kind = sender_of(item)
    if not wamid or len(wamid) > MAX_ID or not sender:
        log.warning("skipped a message without a usable id or sender door=%s type=%.20s",
                    door_id, kind)
        return None
    content = _content(kind, item)
    if content is None:
        codes = [e.get("code") for e in _list(item, "errors") if isinstance(e, dict)]
        log.info("ignored %.20s message door=%s from=%s errors=%s", kind or "untyped",
                 door_id, mask(sender), codes)
        return None
    text, attachments, location, extra = content
    meta = {"type": kind, "phone_number_id": _str(metadata, "phone_number_id"), **extra}
    context = _obj(item, "context")
    if _str(context, "id"):
        meta["context_id"] = _str(context, "id")[:MAX_ID]
    if context.get("forwarded") is True or context.get("frequently_forwarded") is True:
        meta["forwarded"] = True
    return InboundMessage(
        door_id=door_id, channel=channel, provider_message_id=wamid, sender=sender,
        sender_kind=sender_kind, text=text, received_at=received, sent_at=sent_time(item.get("timestamp")),
        recipient=_str(metadata, "display_phone_number"),
        sender_name=(names.get(_str(item, "from")) or names.get(_str(item, "from_user_id")) or "")[:200],
        attachments=attachments, location=location, meta=meta)


def _content(kind: str, item: dict):
    """(text, attachments, location, meta extras) for a type we read, else None."""
    if kind == "text":
        return _str(_obj(item, "text"), "body"), (), None, {}
    if kind in MEDIA_KINDS:
        media = _obj(item, kind)
        media_id = _str(media, "id")
        if not media_id:
            return None
        attachment = Attachment(kind=MEDIA_KINDS[kind],
                                content_type=_str(media, "mime_type") or "application/octet-stream",
                                provider_ref=media_id[:MAX_ID], filename=_str(media, "filename")[:255])
        extra = {"voice": True} if kind == "audio" and media.get("voice") is True else {}
        return _str(media, "caption"), (attachment,), None, extra
    if kind == "location":
        place = _obj(item, "location")
        latitude, longitude = coordinates(place.get("latitude"), place.get("longitude"))
        text = ", ".join(part for part in (_str(place, "name"), _str(place, "address")) if part)
        if not text and latitude is None:
            return None
        return "", (), Location(text=text[:500], latitude=latitude, longitude=longitude), {}
    if kind == "interactive":
        interactive = _obj(item, "interactive")
        reply_kind = _str(interactive, "type")
        if reply_kind not in ("button_reply", "list_reply"):
            return None
        reply = _obj(interactive, reply_kind)
        title = _str(reply, "title")
        return (title, (), None, {"interactive": reply_kind, "reply_id": _str(reply, "id")[:MAX_ID]}) \
            if title else None
    if kind == "button":
        button = _obj(item, "button")
        text = _str(button, "text")
        return (text, (), None, {"button_payload": _str(button, "payload")[:MAX_ID]}) if text else None
    return None


def log_statuses(value: dict, door_id: str) -> None:
    """Meta's delivery reports for our replies: failures are logged (masked), the rest
    only at debug level. Error 131047 means a free-form reply went out after the
    24-hour customer-service window: set a status template for the door."""
    for status in _list(value, "statuses"):
        if not isinstance(status, dict):
            continue
        state = _str(status, "status")
        if state != "failed":
            log.debug("reply %s door=%s", state[:20], door_id)
            continue
        for error in _list(status, "errors") or [{}]:
            code = error.get("code") if isinstance(error, dict) else None
            log.warning("reply failed door=%s to=%s code=%s title=%.80s", door_id,
                        mask(_str(status, "recipient_id")), code if isinstance(code, int) else "-",
                        _str(error, "title"))
