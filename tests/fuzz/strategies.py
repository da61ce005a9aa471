"""Hypothesis strategies shared by the fuzz tests, and the one check every outcome passes.

Text draws from every code point, surrogates and NUL included (hypothesis leaves
surrogates out unless asked), mixed with the keyword grammar's words, samples of the
unicode corpus and number look-alikes (``NUMBERISH``: digits ``str.isdigit`` accepts but
``int`` refuses, huge and odd numbers), so the grammar, the normalizer and the adapters see both noise and what
citizens really write. ``json_values`` are any JSON (NaN, huge integers and deep nesting
included: Python's ``json`` reads them); ``mutated`` turns a provider's real payload into a
structurally similar one with any of its parts replaced, dropped or added.

``check_outcome(messages, channel)`` is the property itself: each message normalizes to a
complaint that ``ComplaintSchema`` validates and that can be stored (UTF-8 JSON), and to a
follow-up event that ``FollowUpEventSchema`` validates; commands (CEK, STOP...) make none.
"""
from __future__ import annotations

import json
import string
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import strategies as st

from normalizer.values import Attachment, InboundMessage, Location
from normalizer.grammar import CLASSIFICATIONS
from normalizer.normalize import Context, build_complaint, build_event, interpret, reporter_handle
from normalizer.schema import ComplaintSchema, FollowUpEventSchema

CORPUS = json.loads((Path(__file__).parents[1] / "testdata" / "unicode_corpus.json")
                    .read_text("utf-8"))["entries"]
KEYWORDS = ["LAPOR ", "lapor: ", "ADUAN ", "ASPIRASI ", "usul ", "INFO ", "TANYA ", "ANONIM ",
            "RAHASIA ", "LAPOR ANONIM RAHASIA ", "CEK ", "cek 2741-0935-882", "CEK 27410935882",
            "STOP", "BERHENTI", "MULAI", "BANTUAN", "HELP", "menu", "#LAPOR ", "/lapor ", "/start",
            "/status 123", "/baru ", "@LAPOR1708 "]
ANY_CHAR = st.characters(exclude_categories=())          # every code point, surrogates too
SCHEMAS = (ComplaintSchema(), FollowUpEventSchema())
CONTEXT = Context(secret_key="fuzz-secret-key-0123456789", max_text_chars=20000)


# what a parser may take for a number: non-ASCII digits (str.isdigit accepts them, int may
# not), huge, negative, exponent, hex, NaN, padded
NUMBERISH = ["\u00b2", "\u0663", "\uff11", "1" * 40, "-1", "1e309", "0x10", "NaN", " 7 ", "", "00",
             "9" * 13, "1.5", "\u0661\u0667\u0669\u0665"]


def any_text(max_size: int = 200) -> st.SearchStrategy[str]:
    noise = st.text(ANY_CHAR, max_size=max_size)
    corpus = st.sampled_from([entry["text"] for entry in CORPUS])
    keyword = st.builds(lambda k, t: k + t, st.sampled_from(KEYWORDS), noise | corpus)
    return st.one_of(noise, corpus, keyword, st.text(string.printable, max_size=max_size),
                     st.sampled_from(NUMBERISH))


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2**70, 2**70),
                         st.floats(allow_nan=True, allow_infinity=True), any_text(40))
json_values = st.recursive(json_scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(any_text(12), children, max_size=4)),
    max_leaves=12)


@st.composite
def mutated(draw, template):
    """``template`` with any of its values replaced (by any JSON value, or by a value of
    another type), keys dropped or added, list items dropped or repeated."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            choice = draw(st.integers(0, 9))
            if choice == 0:
                continue                                    # key dropped
            out[key] = draw(json_values) if choice == 1 else draw(mutated(value))
        if draw(st.integers(0, 9)) == 0:
            out[draw(any_text(12))] = draw(json_values)     # key added
        return out
    if isinstance(template, list):
        items = [draw(mutated(item)) for item in template if draw(st.integers(0, 9))]
        if items and draw(st.integers(0, 9)) == 0:
            items.append(items[0])                          # an item repeated
        return items
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return draw(json_values)
    if choice == 1 and isinstance(template, str):
        return draw(any_text(60))
    if choice == 2 and isinstance(template, (int, float)) and not isinstance(template, bool):
        return draw(st.one_of(st.integers(-2**70, 2**70), st.floats(), any_text(12)))
    return template


def aware_datetimes(min_year: int = 2000, max_year: int = 2100):
    zones = st.sampled_from([timezone.utc, timezone(timedelta(hours=7)), timezone(timedelta(hours=-11)),
                             timezone(timedelta(hours=14))])
    return st.datetimes(datetime(min_year, 1, 1), datetime(max_year, 12, 31), timezones=zones)


attachments = st.builds(
    Attachment, kind=st.sampled_from(["image", "document", "audio", "video", "other"]) | any_text(10),
    content_type=any_text(30), size=st.none() | st.integers(0, 2**62),
    provider_ref=any_text(80), filename=any_text(40), sha256=any_text(64), stored_ref=any_text(40))
locations = st.none() | st.builds(
    Location, text=any_text(80), latitude=st.none() | st.floats(-90, 90),
    longitude=st.none() | st.floats(-180, 180), region_codes=st.lists(any_text(8), max_size=3).map(tuple))


@st.composite
def inbound_messages(draw, door_id: str = "sms-1708", channel: str = "kannel"):
    """Any message an adapter could hand the pipeline: any text, any sender of any kind,
    any attachments, structured (web) or not."""
    structured = draw(st.booleans())
    return InboundMessage(
        door_id=door_id, channel=channel, provider_message_id=draw(any_text(80)),
        sender=draw(any_text(40) | st.from_regex(r"\+?[0-9 ()-]{0,20}", fullmatch=True)),
        sender_kind=draw(st.sampled_from(["phone", "telegram", "twitter", "email", "none"]) | any_text(8)),
        text=draw(any_text(400)), received_at=draw(aware_datetimes()),
        sent_at=draw(st.none() | aware_datetimes(1, 9999)), recipient=draw(any_text(20)),
        sender_name=draw(any_text(60)), contact=draw(any_text(60)),
        attachments=tuple(draw(st.lists(attachments, max_size=3))), location=draw(locations),
        classification=draw(st.sampled_from(CLASSIFICATIONS)) if structured else None,
        anonymous=draw(st.booleans()) if structured else None,
        confidential=draw(st.booleans()) if structured else None,
        title=draw(any_text(150)) if structured else "", language=draw(st.sampled_from(["id", "en"])),
        is_edit=draw(st.booleans()), public=draw(st.booleans()), new_thread=draw(st.booleans()),
        meta=draw(st.dictionaries(any_text(12), json_values.filter(_finite), max_size=4)))


def _finite(value) -> bool:
    """JSON as the adapters put it in ``meta``: no NaN or infinity (not JSON)."""
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True


def check_message(message: InboundMessage) -> None:
    """The contract of InboundMessage that the normalizer relies on."""
    assert isinstance(message, InboundMessage)
    for name in ("door_id", "channel", "provider_message_id", "sender", "sender_kind", "text",
                 "recipient", "sender_name", "contact", "title", "language"):
        assert isinstance(getattr(message, name), str), name
    assert message.received_at.tzinfo is not None
    assert message.sent_at is None or message.sent_at.tzinfo is not None
    if message.location is not None:
        for value in (message.location.latitude, message.location.longitude):
            assert value is None or -180 <= value <= 180


def check_outcome(messages: list, complaint_id: str = "c" * 32, number: str = "27410935882") -> int:
    """Normalize each message; every complaint and event validates and can be stored.
    Returns how many complaints were built."""
    built = 0
    for message in messages:
        check_message(message)
        parsed = interpret(message)
        reporter_handle(message).encode("utf-8")
        if parsed.command:
            assert parsed.command in ("status", "stop", "start", "help")
            continue
        complaint = build_complaint(message, parsed, complaint_id, number, CONTEXT)
        event = build_event(message, parsed, "followup", "e" * 32, complaint_id, number, CONTEXT)
        for schema, value in zip(SCHEMAS, (complaint, event)):
            errors = schema.validate(json.loads(json.dumps(value, ensure_ascii=False)))
            assert not errors, errors
            json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
        built += 1
    return built
