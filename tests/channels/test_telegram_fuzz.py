"""The Telegram parser survives anything: random bytes, any JSON shape in a message or an
edited message, and a recorded update with any one field replaced by any JSON value. It
returns messages or refuses with 400, never anything else."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from channels.base import Rejected
from tests.channels.telegram_support import CASES, adapter_for, web_request


@pytest.fixture(scope="module")
def fuzzed():
    """One adapter for the fuzz tests (building its Bot costs some milliseconds)."""
    return adapter_for()


@given(st.binary(max_size=600))
@hsettings(max_examples=300, deadline=None)
def test_parser_survives_any_bytes(fuzzed, data):
    request = web_request(CASES["text"], data)
    try:
        assert isinstance(fuzzed.parse(request), list)
    except Rejected as exc:
        assert exc.status == 400


_KEYS = ["message_id", "from", "chat", "id", "type", "date", "edit_date", "text", "caption",
         "photo", "file_id", "file_size", "width", "height", "document", "mime_type", "voice",
         "location", "latitude", "longitude", "venue", "title", "entities", "first_name",
         "is_bot", "media_group_id", "forward_origin", "video", "sticker"]
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=6),
    max_leaves=30)


@given(message=_json_values, edited=st.booleans())
@hsettings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_parser_survives_any_json_shape(fuzzed, message, edited):
    raw = json.dumps({"update_id": 1, "edited_message" if edited else "message": message}).encode()
    try:
        for found in fuzzed.parse(web_request(CASES["text"], raw)):
            assert found.sender_kind == "telegram" and found.provider_message_id
    except Rejected as exc:
        assert exc.status == 400


@given(leaf=_json_values, index=st.integers(min_value=0))
@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_parser_survives_one_field_changed(fuzzed, leaf, index):
    """A recorded update with any one field replaced by any JSON value: a message or a 400."""
    body = json.loads(json.dumps(CASES["venue"]["request"]["body"]))
    fields = [(parent, key) for parent in _dicts(body) for key in parent]
    parent, key = fields[index % len(fields)]
    parent[key] = leaf
    try:
        fuzzed.parse(web_request(CASES["text"], json.dumps(body).encode()))
    except Rejected as exc:
        assert exc.status == 400


def _dicts(value):
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _dicts(item)
