"""Property tests of the normalizer: any message an adapter could produce (any text, every
code point including lone surrogates and NUL, any sender of any kind, any attachments,
locations and meta) is read by ``interpret`` and made into a complaint and a follow-up
event that validate against Complaint v1 / FollowUpEvent v1 and can be stored as UTF-8
JSON; never an exception. Example counts follow ``HYPOTHESIS_PROFILE`` (tests/fuzz/profiles.py).
"""
from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import example, given, strategies as st

from normalizer import grammar
from normalizer.identity import normalize_handle, pseudonym
from normalizer.normalize import build_complaint, interpret
from normalizer.text import REPLACEMENT, usv
from tests.fuzz.profiles import fuzz, timeout_seconds
from tests.fuzz.strategies import CONTEXT, any_text, check_outcome, inbound_messages
from tests.helpers import inbound

pytestmark = pytest.mark.timeout(timeout_seconds())

SURROGATES = re.compile("[\ud800-\udfff]")


@fuzz()
@given(inbound_messages())
@example(replace(inbound("Jalan rusak \ud800 di depan SDN 3", sender="\udc00@example.com"),
                 sender_kind="email", contact="\udc00@example.com"))
def test_any_message_normalizes_to_a_valid_storable_complaint(message):
    check_outcome([message])


@fuzz()
@given(any_text(2000))
def test_grammar_reads_any_text(text):
    parsed = grammar.parse_keywords(text)
    assert parsed.classification in grammar.CLASSIFICATIONS
    assert parsed.command in ("", "status", "stop", "start", "help")
    assert len(parsed.text) <= len(text)
    if not parsed.command:
        assert parsed.text == parsed.text.strip()


@fuzz()
@given(any_text(300))
def test_body_is_the_text_after_keywords_with_only_surrogates_replaced(text):
    """The documented rule (docs/security.md): the body is what follows the keywords,
    stripped; a surrogate becomes U+FFFD; nothing else changes."""
    message = inbound(text)
    parsed = interpret(message)
    if parsed.command:
        return
    complaint = build_complaint(message, parsed, "c" * 32, "27410935882", CONTEXT)
    assert complaint["body"] == usv(parsed.text)
    assert not SURROGATES.search(complaint["body"])
    assert len(complaint["body"]) == len(parsed.text)


@fuzz()
@given(st.sampled_from(["phone", "telegram", "twitter", "email", "none", "x"]), any_text(60))
def test_handles_and_pseudonyms_of_any_sender(kind, sender):
    handle = normalize_handle(kind, usv(sender))
    assert pseudonym(CONTEXT.secret_key, kind, handle).startswith("r-")


def test_usv_replaces_each_surrogate_and_nothing_else():
    assert usv("a\ud800b\udfffc") == f"a{REPLACEMENT}b{REPLACEMENT}c"
    kept = "\x00\u200f\u200d\u202e\ufeff\uffff\U0010ffff👨‍👩‍👧ꦲꦏ꧀ꦱꦫe\u0301"
    assert usv(kept) is kept
