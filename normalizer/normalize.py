"""InboundMessage -> Complaint v1 (a plain dict that ``ComplaintSchema`` validates).

``interpret`` reads what a message asks for (a complaint, or a command such as CEK);
``build_complaint`` makes the complaint. Both are pure: ids and the key come from the
caller. Privacy is applied here, once: an anonymous or confidential reporter's name and
contact never enter the complaint in clear; they are sealed for the central system when
its public key is configured and otherwise withheld (the gateway still knows how to reply
through the channel, in its own reply-route store).

Every identifier a provider gave for a private reporter's message is keyed with the secret
key (``identity.keyed_ref``) before it leaves: provider message ids, ``edit_of``, the
attachments' provider references, and every ``meta`` value except the few that describe
the transport (``TRANSPORT_META``). A Kannel id, a wamid (base64 that can hold the phone
number), a Twilio MessageSid, a public tweet id or a Telegram update id could each lead
back to the reporter; keyed, they still match one another but lead nowhere. The message's
content (text, title, location, attachment bytes) is what the reporter chose to send and
is forwarded as it is; attachment file names keep only their extension.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from normalizer.values import Attachment, InboundMessage, Location
from normalizer import grammar, identity, routing, service_level, suggestion, warmup
from normalizer.schema import SCHEMA_VERSION
from normalizer.text import clean_message, usv

WIB = service_level.WIB    # working days are counted on Jakarta's calendar
# meta keys that describe the transport or the door, never the reporter: kept as they are
# in private complaints (every other meta value is keyed); the manual door's ``source`` (how
# the complaint came in) and ``entered_by`` (the officer's keyed pseudonym) among them
TRANSPORT_META = frozenset({"smsc", "coding", "charset", "transport", "segments", "message_type",
                            "type", "phone_number_id", "voice", "forwarded", "via", "mode", "lang",
                            "source", "entered_by", "authentication", "attachments_dropped"})


@dataclass(frozen=True)
class Context:
    """What normalizing needs besides the message."""
    secret_key: str
    routing_rules: tuple = ()
    door_agency: str = ""
    central_public_key: bytes = b""
    max_text_chars: int = 20000


def interpret(message: InboundMessage) -> grammar.Parsed:
    """The intent of a message: structured submissions keep their fields; text is parsed."""
    if message.classification is not None:
        return grammar.Parsed(text=message.text.strip(), classification=message.classification,
                              anonymous=bool(message.anonymous),
                              confidential=bool(message.confidential), keyword=True)
    return grammar.parse_keywords(message.text)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def attachment_dict(item: Attachment) -> dict:
    return {"kind": item.kind, "content_type": item.content_type, "size": item.size,
            "provider_ref": item.provider_ref, "filename": item.filename,
            "sha256": item.sha256, "stored_ref": item.stored_ref}


def location_dict(item: Location | None) -> dict | None:
    if item is None:
        return None
    return {"text": item.text, "latitude": item.latitude, "longitude": item.longitude,
            "region_codes": list(item.region_codes)}


def is_private(parsed: grammar.Parsed) -> bool:
    """True for an anonymous or a confidential message."""
    return parsed.anonymous or parsed.confidential


def _keyed(secret_key: str, value):
    """``value`` with every identifier in it keyed; booleans and None kept."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, dict):
        return {key: _keyed(secret_key, item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_keyed(secret_key, item) for item in value]
    return identity.keyed_ref(secret_key, str(value))


def keyed_id(secret_key: str, provider_id: str) -> str:
    """A provider message id as a private record carries it ('' stays '')."""
    return identity.keyed_ref(secret_key, provider_id) if provider_id else ""


def private_attachment(item: dict, secret_key: str) -> dict:
    """An attachment dict as a private record carries it: the provider's reference keyed,
    the file name cut to its extension (names like ``KTP_Budi.pdf`` or a provider's media
    id as file name, ``1861...jpg``, say who sent it)."""
    suffix = PurePosixPath(str(item.get("filename") or "").replace("\\", "/")).suffix
    return {**item, "provider_ref": keyed_id(secret_key, item.get("provider_ref") or ""),
            "filename": suffix[:16] if suffix[1:].isalnum() else ""}


def private_meta(meta: dict, secret_key: str) -> dict:
    return {key: value if key in TRANSPORT_META else _keyed(secret_key, value)
            for key, value in meta.items()}


def reporter_handle(message: InboundMessage) -> str:
    """The normalized handle the gateway replies to (phone in E.164, chat id, email)."""
    if message.sender_kind == "none":
        return ""
    return identity.normalize_handle(message.sender_kind, usv(message.sender))


def _reporter(message: InboundMessage, parsed: grammar.Parsed, ctx: Context) -> dict:
    handle = reporter_handle(message)
    contact = message.contact.strip() or handle
    name = message.sender_name.strip()
    pseudonym = identity.pseudonym(ctx.secret_key, message.sender_kind, handle or contact)
    if not (parsed.anonymous or parsed.confidential):
        return {"pseudonym": pseudonym, "kind": message.sender_kind,
                "name": name or None, "contact": contact or None, "sealed": None}
    sealed = None
    if ctx.central_public_key and (name or contact):
        sealed = identity.seal(ctx.central_public_key,
                               {"name": name, "contact": contact, "kind": message.sender_kind})
    return {"pseudonym": pseudonym, "kind": message.sender_kind,
            "name": None, "contact": None, "sealed": sealed}


def _body(parsed: grammar.Parsed, ctx: Context) -> tuple[str, list[str]]:
    """The text kept whole up to LAPOR_MAX_TEXT_CHARS; beyond, cut and flagged, never silently."""
    body = usv(parsed.text)
    if len(body) > ctx.max_text_chars:
        return body[:ctx.max_text_chars], [f"text_truncated_from_{len(body)}_chars"]
    return body, []


def _suggestions(location: Location | None, text: str, ctx: Context) -> tuple[dict | None, dict, list[str]]:
    """(region, routing, flags): the suggestions, or, while this process still loads their
    data in the background (``normalizer.warmup``), none: no region, the national admin."""
    if not warmup.ready():
        return None, {"agency": routing.NATIONAL_ADMIN, "topic": routing.NO_TOPIC, "region_code": "",
                      "confidence": 0.0, "why": "suggestions still loading at start; the national admin assigns it",
                      "alternatives": []}, ["suggestions_loading"]
    tokens = suggestion.tokens_of(text)       # read once for the region and the routing
    found_region, region_flags = suggestion.region_of(location, text, tokens)
    routed, routing_flags = suggestion.routing_of(text, ctx.routing_rules, found_region, tokens)
    return found_region, routed, region_flags + routing_flags


def build_complaint(message: InboundMessage, parsed: grammar.Parsed, complaint_id: str,
                    tracking_number: str, ctx: Context) -> dict:
    """The Complaint v1 dict for one message (lone surrogates become U+FFFD: text.py)."""
    message = clean_message(message)
    body, flags = _body(parsed, ctx)
    if not body and not message.attachments and message.location is None:
        flags.append("empty_body")
    if (parsed.anonymous or parsed.confidential) and not ctx.central_public_key:
        flags.append("identity_withheld_no_central_key")
    service_class = service_level.provisional_class(parsed.classification)
    dates = service_level.dates_of(service_class, message.received_at.astimezone(WIB).date())
    agency = message.owner or ctx.door_agency or message.door_id
    text = f"{message.title} {body}"
    found_region, routed, suggestion_flags = _suggestions(message.location, text, ctx)
    flags += suggestion_flags
    routed = routing.chosen(message.topic, ctx.routing_rules, found_region) or routed
    ids = [message.provider_message_id] if message.provider_message_id else []
    attachments = [attachment_dict(a) for a in message.attachments]
    meta = dict(message.meta)
    if is_private(parsed):
        ids = [keyed_id(ctx.secret_key, value) for value in ids]
        attachments = [private_attachment(item, ctx.secret_key) for item in attachments]
        meta = private_meta(meta, ctx.secret_key)
    return {
        "schema_version": SCHEMA_VERSION,
        "id": complaint_id,
        "tracking_number": tracking_number,
        "door": message.door_id,
        "channel": message.channel,
        "door_agency": agency,
        "provider_message_ids": ids,
        "sent_at": _iso(message.sent_at),
        "received_at": message.received_at.isoformat(),
        "classification": parsed.classification,
        "privacy": {"anonymous": parsed.anonymous, "confidential": parsed.confidential},
        "reporter": _reporter(message, parsed, ctx),
        "title": message.title.strip(),
        "body": body,
        "language": parsed.language or message.language,   # an English keyword: en
        "attachments": attachments,
        "location": suggestion.location_with_region(location_dict(message.location), found_region),
        "routing": routed,
        "service_level": {"class": service_class, **dates, "provisional": True},
        "thread": [],
        "duplicates": [],
        "related": [],          # "me too": filled at intake (gateway.metoo), where the index is
        "flags": flags,
        "meta": meta,
    }


def build_event(message: InboundMessage, parsed: grammar.Parsed, event_type: str, event_id: str,
                complaint_id: str, tracking_number: str, ctx: Context,
                private: bool = False) -> dict:
    """A follow-up event v1 (``FollowUpEventSchema``): something the reporter added to an
    open complaint (``followup``), an edit of an earlier message (``edit``), or an
    attachment the gateway fetched later (``media``). ``private``: the complaint it joins
    is anonymous or confidential (its identifiers are keyed like the complaint's)."""
    message = clean_message(message)
    body, flags = _body(parsed, ctx)
    provider_id = message.provider_message_id
    edit_of = message.meta.get("edit_of", "") if event_type == "edit" else ""
    attachments = [attachment_dict(a) for a in message.attachments]
    if private or is_private(parsed):
        provider_id, edit_of = keyed_id(ctx.secret_key, provider_id), keyed_id(ctx.secret_key, edit_of)
        attachments = [private_attachment(item, ctx.secret_key) for item in attachments]
    return {
        "schema_version": SCHEMA_VERSION,
        "event_id": event_id,
        "type": event_type,
        "complaint_id": complaint_id,
        "tracking_number": tracking_number,
        "door": message.door_id,
        "channel": message.channel,
        "provider_message_id": provider_id,
        "edit_of": edit_of,
        "received_at": message.received_at.isoformat(),
        "body": body,
        "attachments": attachments,
        "location": location_dict(message.location),
        "flags": flags,
    }
