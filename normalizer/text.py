"""Text as the gateway keeps it: Unicode scalar values only.

A JSON body may carry a lone surrogate (``"\\ud800"``): a valid JSON escape that is not a
character and cannot be written as UTF-8, so Redis, the queue and the central system could
not take a complaint holding one. ``usv`` replaces every surrogate code point by U+FFFD
REPLACEMENT CHARACTER, which is what a browser does to a form field and what the WHATWG
encoding standard does on output. Nothing else is ever changed: NUL and other control
characters, bidirectional marks, zero-width joiners, combining marks and every script are
kept byte for byte (the complaint body is also stripped of surrounding whitespace by the
keyword grammar; see docs/security.md).

``clean_message`` applies the rule to every string of an ``InboundMessage`` (text, sender,
names, ids, attachments, location, meta, recursively) and returns the message itself,
untouched, when there is nothing to replace: the common case costs one ``isascii`` over the
fields joined (a regex scan of them only when they hold other characters).
"""
from __future__ import annotations

import re
from dataclasses import replace

from normalizer.values import Attachment, InboundMessage, Location

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
_FIELDS = ("door_id", "channel", "provider_message_id", "sender", "sender_kind", "text",
           "recipient", "sender_name", "contact", "title", "language")


def usv(text: str) -> str:
    """``text`` with each surrogate code point replaced by U+FFFD."""
    return _SURROGATE.sub(REPLACEMENT, text) if _SURROGATE.search(text) else text


def usv_value(value):
    """The same rule over JSON-like values (dict keys and values, lists, tuples)."""
    if isinstance(value, str):
        return usv(value)
    if isinstance(value, dict):
        return {usv_value(key): usv_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(usv_value(item) for item in value)
    return value


def _dirty(value) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_dirty(key) or _dirty(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(_dirty(item) for item in value)
    return False


def _attachment(item: Attachment) -> Attachment:
    return replace(item, kind=usv(item.kind), content_type=usv(item.content_type),
                   provider_ref=usv(item.provider_ref), filename=usv(item.filename),
                   sha256=usv(item.sha256), stored_ref=usv(item.stored_ref))


def _location(item: Location | None) -> Location | None:
    if item is None:
        return None
    return replace(item, text=usv(item.text), region_codes=tuple(usv(c) for c in item.region_codes))


def clean_message(message: InboundMessage) -> InboundMessage:
    """The message with no surrogate left in any of its strings (the same object when
    there was none)."""
    location = message.location
    strings = [getattr(message, name) for name in _FIELDS]
    if location is not None:
        strings += [location.text, *location.region_codes]
    for item in message.attachments:
        strings += [item.kind, item.content_type, item.provider_ref, item.filename,
                    item.sha256, item.stored_ref]
    joined = "".join([value for value in strings if isinstance(value, str)]) + (message.classification or "")
    if (joined.isascii() or _SURROGATE.search(joined) is None) and not _dirty(message.meta):
        return message
    changes = {name: usv(getattr(message, name)) for name in _FIELDS}
    return replace(message, **changes, location=_location(location),
                   attachments=tuple(_attachment(a) for a in message.attachments),
                   classification=usv(message.classification) if message.classification else
                   message.classification, meta=usv_value(message.meta))
