"""An agency's JSON -> ``InboundMessage``, through the door's mapping of JSON Pointers.

The door's ``options.mapping`` names, for each field of a complaint, where the agency's JSON
holds it, as an RFC 6901 JSON Pointer (resolved by the ``jsonpointer`` package)::

    {"text": "/laporan/isi", "sender": "/pelapor/hp", "sender_name": "/pelapor/nama",
     "message_id": "/id", "title": "/laporan/judul", "classification": "/jenis",
     "location_text": "/lokasi/alamat", "latitude": "/lokasi/lat", "longitude": "/lokasi/lng",
     "anonymous": "/anonim", "confidential": "/rahasia", "attachments": "/lampiran"}

Only ``text`` is required. ``Mapping.from_option`` checks a mapping once, when the door is
built: an unknown field, or a value that is not a JSON Pointer, is a configuration error
(one line naming it). ``read`` applies it to one body:

* a field whose pointer finds nothing (or ``null``) is absent; ``text`` absent or blank is
  ``Unmappable`` (422) naming the pointer; a value of the wrong type is 422 naming the
  pointer too (never the value);
* ``classification``: the three Indonesian names (``pengaduan``, ``aspirasi``,
  ``permintaan informasi``, any case, ``_``/``-`` for spaces) or English synonyms
  (``complaint``, ``aspiration``, ``suggestion``, ``information request``, ``request for
  information``); absent: pengaduan. The message is structured (like the JSON API): its text
  is not read for keywords, so every body is a complaint of its own;
* ``anonymous`` / ``confidential``: JSON booleans (or ``0``/``1``, ``"true"``/``"false"``,
  ``"ya"``/``"tidak"``); the normalizer then keeps name and contact out of the complaint in
  clear and keys every identifier, as for every door;
* ``sender``: a phone number or an e-mail address (``sender_kind`` phone / email);
* ``message_id``: the provider message id (dedup); without it, the ``webhook-id`` header;
* ``attachments``: a list of https URLs (or of objects with a ``url``), at most
  ``LAPOR_MAX_ATTACHMENTS``; the media worker fetches them afterwards (``channels.download``).
"""
from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from posixpath import basename

import jsonpointer
from urllib3.util import parse_url

from channels.base import Rejected
from config.settings import SettingsError
from normalizer.geo import coordinate
from normalizer.grammar import ASPIRASI, PENGADUAN, PERMINTAAN_INFORMASI
from normalizer.schema import _looks_like_contact as looks_like_contact
from normalizer.values import Attachment, InboundMessage, Location

CHANNEL = "webhook"
FIELDS = ("text", "sender", "sender_name", "message_id", "title", "classification",
          "location_text", "latitude", "longitude", "anonymous", "confidential", "attachments")
CLASSIFICATION_WORDS = {
    "pengaduan": PENGADUAN, "aduan": PENGADUAN, "complaint": PENGADUAN,
    "aspirasi": ASPIRASI, "aspiration": ASPIRASI, "suggestion": ASPIRASI,
    "permintaan informasi": PERMINTAAN_INFORMASI, "informasi": PERMINTAAN_INFORMASI,
    "information request": PERMINTAAN_INFORMASI, "request for information": PERMINTAAN_INFORMASI,
}
_TRUE, _FALSE = {"true", "1", "ya", "yes"}, {"false", "0", "tidak", "no", ""}
_SPACES = re.compile(r"[\s_-]+")
_KINDS = {"image": "image", "video": "video", "audio": "audio", "application": "document",
          "text": "document"}
MAX_TEXT_FIELD = 1000     # a title, a name, a place: longer is not what the field is for
SHOWN = 30                # a pointer longer than this is cut in a refusal's reason


class Unmappable(Rejected):
    """422: the body does not give what the mapping points at (the reason names the pointer)."""

    def __init__(self, reason: str):
        super().__init__(422, reason)


@dataclass(frozen=True)
class Mapping:
    """The door's checked mapping: field -> (pointer text, compiled pointer)."""
    pointers: dict

    @classmethod
    def from_option(cls, door_id: str, option) -> "Mapping":
        """The mapping of ``options.mapping``; SettingsError (one line) when it is not one."""
        where = f"door {door_id!r}: options.mapping"
        if not isinstance(option, dict):
            raise SettingsError(f"{where} must be an object of field -> JSON Pointer")
        unknown = sorted(str(key) for key in option if key not in FIELDS and not str(key).startswith("_"))
        if unknown:
            raise SettingsError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(FIELDS)})")
        if "text" not in option:
            raise SettingsError(f"{where}: \"text\" is required (where the complaint's text is)")
        pointers = {}
        for name in FIELDS:
            if name not in option:
                continue
            text = option[name]
            try:
                if not isinstance(text, str):
                    raise jsonpointer.JsonPointerException("not a string")
                pointers[name] = (text, jsonpointer.JsonPointer(text))
            except jsonpointer.JsonPointerException:
                raise SettingsError(f"{where}.{name}: {str(text)[:80]!r} is not a JSON Pointer "
                                    "(RFC 6901: '' or '/' followed by the path, e.g. '/laporan/isi')") from None
        return cls(pointers)

    def value(self, document, name: str):
        """The value at field ``name``'s pointer (None when the field is not mapped, the
        pointer finds nothing, or it finds null)."""
        if name not in self.pointers:
            return None
        try:
            return self.pointers[name][1].resolve(document, None)
        except (jsonpointer.JsonPointerException, TypeError, ValueError):
            return None

    def where(self, name: str) -> str:
        """The pointer of a field as a refusal names it: its text, cut to ``SHOWN`` characters
        (a refusal's reason stays short), or '(not mapped)'."""
        text = self.pointers[name][0] if name in self.pointers else "(not mapped)"
        return text if len(text) <= SHOWN else text[:SHOWN - 3] + "..."


def _string(mapping: Mapping, document, name: str, limit: int | None = MAX_TEXT_FIELD) -> str:
    value = mapping.value(document, name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Unmappable(f"{name} at {mapping.where(name)!r} must be a string")
    text = str(value).strip()
    if limit is not None and len(text) > limit:
        raise Unmappable(f"{name} at {mapping.where(name)!r} is longer than {limit} characters")
    return text


def _flag(mapping: Mapping, document, name: str) -> bool:
    value = mapping.value(document, name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise Unmappable(f"{name} at {mapping.where(name)!r} must be true or false")


def classification(mapping: Mapping, document) -> str:
    word = _SPACES.sub(" ", _string(mapping, document, "classification").casefold()).strip()
    if not word:
        return PENGADUAN
    if word not in CLASSIFICATION_WORDS:
        raise Unmappable(f"classification at {mapping.where('classification')!r} must be pengaduan, "
                         "aspirasi or permintaan informasi")
    return CLASSIFICATION_WORDS[word]


def location(mapping: Mapping, document) -> Location | None:
    text = _string(mapping, document, "location_text")
    found = {}
    for name, limit in (("latitude", 90.0), ("longitude", 180.0)):
        raw = mapping.value(document, name)
        found[name] = None if raw is None else coordinate(raw, limit)
        if raw is not None and found[name] is None:
            raise Unmappable(f"{name} at {mapping.where(name)!r} must be a number within +-{limit:g}")
    if (found["latitude"] is None) != (found["longitude"] is None):
        raise Unmappable(f"latitude at {mapping.where('latitude')!r} and longitude at "
                         f"{mapping.where('longitude')!r} must be given together")
    if not text and found["latitude"] is None:
        return None
    return Location(text=text, latitude=found["latitude"], longitude=found["longitude"])


def _origin(parsed) -> str:
    scheme = (parsed.scheme or "").lower()
    return f"{scheme}://{(parsed.host or '').lower()}:{parsed.port or (443 if scheme == 'https' else 80)}"


def _attachment(item, where: str, test_origins: frozenset) -> Attachment:
    url = item.get("url") if isinstance(item, dict) else item
    if not isinstance(url, str) or len(url) > 2000:
        raise Unmappable(f"attachments at {where!r} must be a list of https URLs")
    try:
        parsed = parse_url(url.strip())
    except ValueError:
        parsed = None
    if (parsed is None or not parsed.host or parsed.auth
            or ((parsed.scheme or "").lower() != "https" and _origin(parsed) not in test_origins)):
        raise Unmappable(f"attachments at {where!r} must be a list of https URLs")
    name = basename(parsed.path or "")[:120]
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Attachment(kind=_KINDS.get(content_type.split("/")[0], "other"),
                      content_type=content_type, provider_ref=url.strip(), filename=name)


def attachments(mapping: Mapping, document, limit: int,
                test_origins: frozenset = frozenset()) -> tuple[Attachment, ...]:
    """The attachments' URLs: https (or an origin the door's tests name, http on loopback)."""
    value = mapping.value(document, "attachments")
    if value is None:
        return ()
    where = mapping.where("attachments")
    if not isinstance(value, list):
        raise Unmappable(f"attachments at {where!r} must be a list of https URLs")
    if len(value) > limit:
        raise Unmappable(f"attachments at {where!r}: at most {limit}")
    return tuple(_attachment(item, where, test_origins) for item in value)


def sender(mapping: Mapping, document) -> tuple[str, str]:
    """(handle, kind): a phone number or an e-mail address, or ('', 'none')."""
    handle = _string(mapping, document, "sender", 254)
    if not handle:
        return "", "none"
    if not looks_like_contact(handle):
        raise Unmappable(f"sender at {mapping.where('sender')!r} must be a phone number or "
                         "an e-mail address")
    return handle, "email" if "@" in handle else "phone"


def read(document, mapping: Mapping, door_id: str, webhook_id: str,
         max_attachments: int, test_origins: frozenset = frozenset()) -> InboundMessage:
    """One complaint from an agency's JSON document; ``Unmappable`` (422) otherwise."""
    text = _string(mapping, document, "text", None)
    if not text:
        raise Unmappable(f"no text at {mapping.where('text')!r}")
    handle, kind = sender(mapping, document)
    return InboundMessage(
        door_id=door_id, channel=CHANNEL,
        provider_message_id=_string(mapping, document, "message_id", 200) or webhook_id,
        sender=handle, sender_kind=kind, sender_name=_string(mapping, document, "sender_name"),
        text=text, received_at=datetime.now(timezone.utc),
        attachments=attachments(mapping, document, max_attachments, test_origins),
        location=location(mapping, document), classification=classification(mapping, document),
        anonymous=_flag(mapping, document, "anonymous"),
        confidential=_flag(mapping, document, "confidential"),
        title=_string(mapping, document, "title"))
