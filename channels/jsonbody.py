"""Reading a JSON request body safely: every body the JSON grammar allows is either a value
or ``Rejected(400)``, never an exception the gateway did not expect.

Python's ``json.loads`` raises more than ``JSONDecodeError`` on grammatical JSON: a body
nested about a thousand deep raises ``RecursionError``, and an integer of more than 4300
digits raises a plain ``ValueError`` (CPython's integer-string limit, which guards against
quadratic-time conversions). ``load(body)`` turns all of those, and bytes that are not UTF-8,
into ``Rejected(400, "body is not valid JSON")``; it also refuses integers longer than
``MAX_INT_DIGITS`` (no door needs a longer one, and a huge integer that did parse would
overflow the float fields later) and nesting deeper than ``MAX_DEPTH``.

``is_hostile(body)`` says whether ``load`` refuses a body: the app's error handler uses it
to answer 400, not 500, when a provider door's own ``json.loads`` fails on such a body.
"""
from __future__ import annotations

import json

from channels.base import Rejected

MAX_INT_DIGITS = 100
MAX_DEPTH = 64
REASON = "body is not valid JSON"


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError("integer too long")
    return int(text)


def _depth_ok(value) -> bool:
    """Whether ``value`` nests at most MAX_DEPTH containers (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def load(body: bytes | str):
    """The JSON value of ``body``; Rejected(400) otherwise (an empty body too: it is not JSON)."""
    try:
        text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
        value = json.loads(text, parse_int=_parse_int)
    except (ValueError, RecursionError, MemoryError):   # JSONDecodeError and UnicodeDecodeError
        raise Rejected(400, REASON) from None           # are ValueErrors too
    # every container opens with a "{" or "[" of the text: with no more of them than
    # MAX_DEPTH (a provider's webhook has a few dozen) it cannot nest deeper, no walk needed
    if text.count("{") + text.count("[") > MAX_DEPTH and not _depth_ok(value):
        raise Rejected(400, REASON)
    return value


def is_hostile(body: bytes) -> bool:
    """True when ``load`` refuses ``body`` (an empty body is not hostile)."""
    try:
        load(body)
    except Rejected:
        return True
    return False
