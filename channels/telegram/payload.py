"""A Telegram message (as python-telegram-bot reads it) -> the parts of an ``InboundMessage``:
bot commands in the keyword grammar, the chat's pseudonym, attachments, a shared location."""
from __future__ import annotations

import hashlib
import hmac
import re

from normalizer.geo import coordinates
from normalizer.values import Attachment, Location

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?=\s|$)")
_DIGITS = re.compile(r"[0-9]")
_STATUS = {"status", "cek"}
_KEYWORDS = {"lapor", "aduan", "aspirasi", "usul", "info", "tanya", "anonim", "rahasia"}
_SIMPLE = {"stop": "STOP", "berhenti": "STOP", "mulai": "MULAI"}


def translate_command(text: str) -> tuple[str, bool]:
    """A leading bot command -> (text in the keyword grammar, new_thread)."""
    match = _COMMAND.match(text)
    if not match:
        return text, False
    name, rest = match.group(1).lower(), text[match.end():].strip()
    if name in _STATUS:
        return f"CEK {''.join(_DIGITS.findall(rest))}".strip(), False
    if name == "baru":
        return rest, True
    if name in _SIMPLE:
        return _SIMPLE[name], False
    if name in _KEYWORDS:
        return f"{name.upper()} {rest}".strip(), False
    return "BANTUAN", False         # /start, /help, and any command we do not know


def chat_ref(key: str, chat_id: int | str) -> str:
    """The pseudonym of a chat in provider message ids: 'c' + 16 hex of a keyed HMAC."""
    digest = hmac.new(key.encode(), f"telegram-chat:{chat_id}".encode(), hashlib.sha256)
    return "c" + digest.hexdigest()[:16]


def _kind(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    return major if major in ("image", "audio", "video") else "document"


def _count(value) -> int | None:
    """A size or dimension as Telegram sends it (a non-negative integer), else None: the
    library's ``de_json`` keeps whatever type the JSON had."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def attachments_of(message) -> tuple[Attachment, ...]:
    """The files of one Telegram message, as Attachments naming the Bot API file_id."""
    if message.photo:
        largest = max(message.photo, key=lambda p: ((_count(p.width) or 0) * (_count(p.height) or 0),
                                                    _count(p.file_size) or 0))
        return (Attachment("image", "image/jpeg", _count(largest.file_size), largest.file_id),)
    found = []
    if message.document:          # also set for animations (GIF as MP4)
        item = message.document
        content_type = item.mime_type or "application/octet-stream"
        found.append(Attachment(_kind(content_type), content_type, _count(item.file_size), item.file_id,
                                item.file_name or ""))
    for item, kind, default in ((message.voice, "audio", "audio/ogg"),
                                (message.audio, "audio", "audio/mpeg"),
                                (message.video, "video", "video/mp4"),
                                (message.video_note, "video", "video/mp4")):
        if item:
            found.append(Attachment(kind, getattr(item, "mime_type", None) or default,
                                    _count(item.file_size), item.file_id,
                                    getattr(item, "file_name", None) or ""))
    return tuple(found)


def location_of(message) -> Location | None:
    """A shared location or venue (name and address as text)."""
    place = message.venue.location if message.venue else message.location
    if place is None:
        return None
    text = ", ".join(part for part in (message.venue.title, message.venue.address) if part) \
        if message.venue else ""
    latitude, longitude = coordinates(place.latitude, place.longitude)
    if latitude is None:
        raise ValueError("coordinate out of range")      # the update is refused (400)
    return Location(text=text, latitude=latitude, longitude=longitude)
