"""Kannel's MO request -> the fields of an ``InboundMessage``: the raw query string, the
charset Kannel names (``%C`` or the POST Content-Type), Kannel's times, and the keyed
fallback id of a message that came without ``%I`` (see docs/kannel.md)."""
from __future__ import annotations

import codecs
import functools
import hashlib
import hmac
import re
from datetime import datetime, timezone
from types import MappingProxyType
from urllib.parse import unquote_to_bytes

from channels.base import Rejected

_BINARY = {"8-bit", "8bit", "binary"}
_ALIASES = {"ucs-2": "utf-16-be", "ucs2": "utf-16-be", "utf16-be": "utf-16-be",
            "utf-16be": "utf-16-be", "utf16be": "utf-16-be"}
_CODING_CHARSET = {0: "utf-8", 1: "8-bit", 2: "utf-16-be"}   # Kannel 1.4 defaults for %C
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?", re.ASCII)   # both, zero-padded


@functools.lru_cache(maxsize=16)
def parse_query(raw: bytes) -> MappingProxyType:
    """Raw query string -> {name: undecoded bytes} (read-only); the first occurrence of a
    name wins. Cached: verify, parse and the delivery-report check of one request each read
    the same query (issue 12: it was unquoted four times a request)."""
    fields: dict[str, bytes] = {}
    for part in raw.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        name = _unquoted(key).decode("utf-8", "replace")
        fields.setdefault(name, _unquoted(value))
    return MappingProxyType(fields)


def _unquoted(data: bytes) -> bytes:
    """``unquote_to_bytes`` with ``+`` as a space; a part without ``%`` (most names and
    many values) needs no call to it."""
    data = data.replace(b"+", b" ")
    return unquote_to_bytes(data) if b"%" in data else data


def content_type_charset(content_type: str) -> str:
    """The charset parameter of a Content-Type header ('' when absent); quotes removed."""
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').strip("'")
    return ""


def decode_text(data: bytes, charset: str, coding: int | None) -> tuple[str, str]:
    """Decode message bytes; returns (text, charset used). Raises Rejected(400) when the
    bytes do not decode in the charset Kannel named, or the charset is unknown."""
    name = (charset or _CODING_CHARSET.get(coding, "utf-8")).strip().lower()
    name = _ALIASES.get(name, name)
    if name in _BINARY:                         # 8-bit data: UTF-8 if it is, else Latin-1
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return data.decode("latin-1"), "latin-1"
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError):           # unknown, or no name at all (a NUL byte)
        raise Rejected(400, "unknown charset") from None
    try:
        return data.decode(codec), codec
    except LookupError:                         # not a text encoding: hex, base64, zlib ...
        raise Rejected(400, "unknown charset") from None
    except UnicodeError:                        # UnicodeDecodeError; idna's bare UnicodeError
        raise Rejected(400, f"text is not valid {codec}") from None


def parse_time(value: str) -> datetime | None:
    """Kannel's %t (UTC, 'YYYY-MM-DD HH:MM:SS') or %T (Unix seconds); None if unreadable."""
    value = value.strip()
    if value.isdigit():
        try:
            return datetime.fromtimestamp(int(value), timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if _ISO_TIME.fullmatch(value):           # the usual form: read without strptime (about 20 us)
        try:
            return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
        except ValueError:
            return None                      # a month 13, a hour 25: strptime refuses them too
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def fallback_id(key: str, sender: str, recipient: str, time_text: str, text: str) -> str:
    """A stable message id for a Kannel set up without %I (a retry keys the same): keyed,
    because sender, receiver and time are guessable and the text is forwarded."""
    fields = "\x1f".join((sender, recipient, time_text, text))
    digest = hmac.new(key.encode(), fields.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return "h-" + digest.hexdigest()[:32]
