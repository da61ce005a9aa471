"""Open311 GeoReport v2 requests -> ``InboundMessage``, and the services the gateway offers.

Services are the three classifications (``pengaduan``, ``aspirasi``,
``permintaan-informasi``) and the routing topics of the doors file (``topik-<slug>``,
e.g. ``topik-infrastruktur``): a topic's request is a ``pengaduan`` routed to the topic
the client chose. ``POST requests`` (form fields, as the specification says)::

    api_key=lpr_...&service_code=topik-infrastruktur&description=Jalan+berlubang+besar
    &lat=-6.2&long=106.8&address_string=Jl.+Merdeka+10&first_name=Siti&phone=0812...

``description`` is required here (the complaint's text), and a place: ``lat`` and ``long``,
or ``address_string``. ``email``, ``first_name``, ``last_name`` and ``phone`` are the
reporter (never shown by a GET); ``media_url`` is kept in the complaint's meta for the
central system and never fetched by the gateway (a URL the caller chose: no request is
made on its behalf). ``Open311Error`` carries the specification's code and a short
description that never echoes a value.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from channels.base import Rejected
from config import messages
from normalizer.geo import coordinates
from normalizer.grammar import CLASSIFICATIONS, PENGADUAN
from normalizer.schema import _looks_like_contact as looks_like_contact
from normalizer.values import InboundMessage, Location

CHANNEL = "open311"
TOPIC_PREFIX = "topik-"
OPEN311 = "open311"        # the catalogue context of the services' names and descriptions
MAX_FIELD_CHARS = {"address_string": 300, "first_name": 60, "last_name": 60,
                   "email": 120, "phone": 40, "media_url": 2000}
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class Open311Error(Rejected):
    """An Open311 error: ``status`` (400, 403, 404 ...) and a short description."""


def classification_code(classification: str) -> str:
    return classification.replace("_", "-")


def topic_code(topic: str) -> str:
    folded = unicodedata.normalize("NFKD", topic).encode("ascii", "ignore").decode().lower()
    return TOPIC_PREFIX + _NOT_SLUG.sub("-", folded).strip("-")


def _text(key: str, lang: str, **values) -> str:
    return (messages.lookup(OPEN311, key, lang) or key).format(**values)


def services(rules, lang: str = "id") -> list[dict]:
    """Every service: the classifications, then one per routing topic (first rule wins);
    names and descriptions in Indonesian, or English (``lang``)."""
    offered = [{"service_code": classification_code(name),
                "service_name": _text(f"{name}_name", lang),
                "description": _text(f"{name}_description", lang), "metadata": False,
                "type": "realtime", "keywords": name.replace("_", " "), "group": "klasifikasi"}
               for name in CLASSIFICATIONS]
    seen = set()
    for rule in rules:
        code = topic_code(rule.topic)
        if code in seen or code == TOPIC_PREFIX:
            continue
        seen.add(code)
        offered.append({"service_code": code, "service_name": rule.topic.capitalize(),
                        "description": _text("topic_description", lang, topic=rule.topic,
                                             agency=rule.agency),
                        "metadata": False, "type": "realtime",
                        "keywords": ", ".join(rule.keywords[:8]), "group": "topik"})
    return offered


def find_service(code: str, rules) -> tuple[str, str] | None:
    """(classification, topic) of a service code; None when no service has it."""
    for name in CLASSIFICATIONS:
        if code == classification_code(name):
            return name, ""
    for rule in rules:
        if code == topic_code(rule.topic) and code != TOPIC_PREFIX:
            return PENGADUAN, rule.topic
    return None


def service_name(code: str, rules, lang: str = "id") -> str:
    return next((item["service_name"] for item in services(rules, lang)
                 if item["service_code"] == code), "")


def _field(fields: dict, name: str) -> str:
    value = fields.get(name, "")
    value = value.strip() if isinstance(value, str) else ""
    if len(value) > MAX_FIELD_CHARS.get(name, 20000):
        raise Open311Error(400, f"{name} is too long")
    return value


def _place(fields: dict) -> Location:
    raw_lat, raw_long = _field(fields, "lat"), _field(fields, "long")
    address = _field(fields, "address_string")
    if not (raw_lat or raw_long or address):
        raise Open311Error(400, "a location is required: lat and long, or address_string")
    lat, long = coordinates(raw_lat, raw_long) if raw_lat or raw_long else (None, None)
    if (raw_lat or raw_long) and lat is None:
        raise Open311Error(400, "lat and long must be numbers within range, given together")
    return Location(text=address, latitude=lat, longitude=long)


def _reporter(fields: dict) -> tuple[str, str, str]:
    """(contact, kind, name) of the reporter, from phone (preferred) or email."""
    phone, email = _field(fields, "phone"), _field(fields, "email")
    for name, value in (("phone", phone), ("email", email)):
        if value and (not looks_like_contact(value) or ("@" in value) != (name == "email")):
            raise Open311Error(400, f"{name} is not a valid {'e-mail address' if name == 'email' else 'phone number'}")
    contact = phone or email
    kind = "phone" if phone else ("email" if email else "none")
    name = " ".join(part for part in (_field(fields, "first_name"), _field(fields, "last_name")) if part)
    return contact, kind, name


def _media_url(fields: dict) -> str:
    url = _field(fields, "media_url")
    if url and not url.lower().startswith(("https://", "http://")):
        raise Open311Error(400, "media_url must be an http(s) URL")
    return url


def request_message(fields: dict, rules, door_id: str, received_at: datetime,
                    provider_message_id: str = "", max_text_chars: int = 20000) -> InboundMessage:
    """The message of one ``POST requests``; Open311Error for a request the spec refuses."""
    code = _field(fields, "service_code")
    if not code:
        raise Open311Error(400, "service_code is required")
    service = find_service(code, rules)
    if service is None:
        raise Open311Error(404, "unknown service_code")
    description = _field(fields, "description")
    if not description:
        raise Open311Error(400, "description is required")
    if len(description) > max_text_chars:
        raise Open311Error(400, f"description is longer than {max_text_chars} characters")
    place = _place(fields)
    contact, kind, name = _reporter(fields)
    meta = {"via": CHANNEL, "service_code": code}
    media = _media_url(fields)
    if media:
        meta["media_url"] = media
    classification, topic = service
    return InboundMessage(
        door_id=door_id, channel=CHANNEL, provider_message_id=provider_message_id,
        sender=contact, sender_kind=kind, sender_name=name, text=description,
        received_at=received_at, location=place, classification=classification,
        anonymous=False, confidential=False, language="id", meta=meta, topic=topic)


def listing(message: InboundMessage, complaint: dict) -> dict | None:
    """What Open311 lists of a complaint that came in through it (None for any other):
    its service, its place and the agency the routing suggests; nothing of the reporter."""
    if message.channel != CHANNEL:
        return None
    place = message.location or Location()
    return {"service_code": message.meta.get("service_code", ""), "address": place.text,
            "lat": place.latitude, "long": place.longitude,
            "agency": complaint["routing"]["agency"]}
