"""Field error messages of the web door, Indonesian first, English available.

``SubmissionSchema`` speaks Indonesian for its own rules, but marshmallow's built-in
messages ("Not a valid number.", "Longer than maximum length 100.") are English. A citizen
must never read those, so ``localize(field, message, lang)`` maps every message the schema
can produce, in either language, to one of ours; an unforeseen message becomes a generic
"Isian ini tidak valid." rather than leaking English. ``message(key, lang, **values)`` gives
the adapter's own messages (attachments, length, JSON shape). The texts are the ``field``
context of the one catalogue (``config/messages.py``, ``config/locale``).
"""
from __future__ import annotations

import re

from config import messages

_NUM = r"(-?[\d.]+)"
# (pattern on the schema's message, our key, names of the captured numbers)
_PATTERNS = [
    (re.compile(r"^Pilih Pengaduan"), "classification", ()),
    (re.compile(rf"^Judul paling panjang {_NUM}"), "title_long", ("max",)),
    (re.compile(rf"^Tuliskan isi laporan Anda, paling sedikit {_NUM}"), "body_short", ("min",)),
    (re.compile(r"^Isi laporan wajib diisi"), "body_required", ()),
    (re.compile(r"^Tulis nomor HP"), "contact", ()),
    (re.compile(rf"^Longer than maximum length {_NUM}"), "too_long", ("max",)),
    (re.compile(rf"^Must be greater than or equal to {_NUM} and less than or equal to {_NUM}"),
     "range", ("min", "max")),
    (re.compile(r"^Not a valid (number|integer)"), "number", ()),
    (re.compile(r"^Not a valid boolean"), "boolean", ()),
    (re.compile(r"^Not a valid string"), "text", ()),
    (re.compile(r"^(Missing data for required field|Field may not be null)"), "required", ()),
    (re.compile(r"^Must be one of"), "invalid", ()),
    (re.compile(r"^Invalid input type"), "json_object", ()),
]


def message(key: str, lang: str = "id", **values) -> str:
    """The field error ``key`` in ``lang`` (Indonesian unless ``en``), filled with ``values``."""
    template = messages.lookup(messages.FIELD, key, lang)
    if template is None:
        raise KeyError(key)
    return template.format(**values)


def localize(field: str, text: str, lang: str = "id") -> str:
    """One schema message in the citizen's language."""
    for pattern, key, names in _PATTERNS:
        found = pattern.match(text)
        if found:
            if key == "required" and field == "body":
                key = "body_required"
            numbers = {name: found.group(i + 1).rstrip(".") for i, name in enumerate(names)}
            return message(key, lang, **numbers)
    return message("invalid", lang)


def localize_all(errors: dict, lang: str = "id") -> dict[str, list[str]]:
    """marshmallow's ``messages`` dict -> field -> list of messages in ``lang``."""
    out: dict[str, list[str]] = {}
    for field, items in errors.items():
        if isinstance(items, dict):        # nested errors: flatten to the field
            items = [text for sub in items.values() for text in (sub if isinstance(sub, list) else [sub])]
        elif isinstance(items, str):
            items = [items]
        out[field] = [localize(field, str(text), lang) for text in items]
    return out


def size_label(limit: int) -> str:
    """5242880 -> '5 MB'; 2000 -> '2 KB' (1 KB = 1024 bytes)."""
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.3g} MB"
    return f"{max(1, round(limit / 1024))} KB"
