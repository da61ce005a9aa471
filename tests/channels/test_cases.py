"""One runner for every channel's recorded cases, as courier's handlertest: each case of a
cases file (``testdata/<channel>.json``, or the ``cases_file`` its test sender names) goes
through the channel's adapter alone (``channels.testing.check_case``: ``authenticate``,
then ``parse``) and through the real gateway (Flask test client, real Redis), and its
expectation is checked. The channels and their senders come from the registry
(``tests/harness.py``).

The cases-file format::

    {"_about": "...", "channel": "<name in channels.registry>", "door": "<door id>",
     "environ": {"LAPOR_...": "..."},   # besides tests/conftest.py's (a doors file is
                                        # relative to the cases file; with none, the
                                        # defaults plus the sender's door)
     "secrets": ["..."],                # never in an answer or a refusal
     "cases": [{"name": "...", "about": "...",
                "adapter_only": "why",  # not through the gateway (the web form's CSRF)
                "request": {...},       # read by the channel's test sender (``case_request``
                                        # of <package>/testing.py): method, query, body...
                "expect": {
                  "status": 200,        # (201: the web door's answer), or the refusal's
                  "reason": "...",      # status (4xx, 5xx) with its short reason (exact)
                  "fields": {...},      # a 422's field errors (the web door), else none
                  "ignored": true,      # taken, but no message in it (a provider event)
                  "message": {...},     # the one InboundMessage: field -> value (a value
                                        # object as a dict of some of its fields), or
                  "messages": [{...}],  # every message of a delivery
                  "message_matches": {...},        # field -> regular expression
                  "answer": {"content_type": "...", "body": "...", "json": {...},
                             "fits_one_sms": true, "startswith": "...",
                             "text": {"key": "ack"}},  # the HTTP answer, the reply in it
                  "reply": {"fields": {...},        # the reply queued for the notifier
                            "text": {"key": "...", "lang": "id", "args": {...}}},
                  "replies": {"count": 2, "fields": {...}, "matches": {...},
                              "text": {...}},       # or every reply queued
                  "complaints": 2, "media": 1,     # how many complaints, media jobs
                  "complaints_each": {...},        # paths every complaint has
                  "complaints_match_messages": {...},  # complaint path -> its message's field
                  "complaint": {...} | null,       # the one complaint queued, or none
                  "complaint_omits": ["..."]}}]}   # texts nowhere in that complaint

A case may name its own ``door``. ``complaint`` maps dotted paths (``privacy.anonymous``)
to values; ``path#`` to a length, ``path?`` to whether it is set; the complaint's provider
message id is the message's (keyed when the expected privacy says private). A reply text
``{"key": "ack"}`` is the acknowledgement of the complaint queued (its tracking number and
due date). With ``"complaint": null`` the case is answered without a complaint (a command,
a status query): no complaint queued, recorded or pending. An ignored or refused case
leaves nothing queued or recorded; a refused one echoes neither a secret, nor a credential
header sent, nor its body.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from channels.gsm7 import fits_one_sms
from channels.registry import available_channels, build_adapters
from channels.testing import case_kind, check_case, echoed, expected_messages, load_cases
from config.doors import load_catalogue
from forwarder.topology import COMPLAINTS, MEDIA, REPLIES
from tests.channels.cases_checks import (check_answer, check_complaint, check_every_complaint,
                                        check_queued_replies, check_queued_reply, complaint_by_number,
                                        ledger_count, queued_count, reply_text)
from tests.harness import SIGNERS, cases_environ, cases_path, missing_senders
from tests.security.wire import replies

def load_tables() -> dict[str, tuple[Path, dict]]:
    """channel -> (its cases file, the file read), for every channel with a test sender."""
    paths = {channel: cases_path(channel, sender) for channel, sender in SIGNERS.items()}
    return {channel: (path, load_cases(path)) for channel, path in paths.items() if path.exists()}


FILES = load_tables()
TABLES = {channel: table for channel, (_path, table) in FILES.items()}
ROWS = [(channel, case["name"]) for channel, table in TABLES.items() for case in table["cases"]]


def case_of(channel: str, name: str) -> dict:
    return next(case for case in TABLES[channel]["cases"] if case["name"] == name)


#: the rows the real gateway runs too (``adapter_only`` says why a case cannot go through it)
GATEWAY_ROWS = [row for row in ROWS if not case_of(*row).get("adapter_only")]
ACCEPTED = [row for row in GATEWAY_ROWS if case_kind(case_of(*row)) == "taken"]
IGNORED = [row for row in GATEWAY_ROWS if case_kind(case_of(*row)) == "ignored"]
REFUSED = [row for row in GATEWAY_ROWS if case_kind(case_of(*row)) == "refused"]


def ids(rows) -> list[str]:
    return [f"{channel}-{name}" for channel, name in rows]


@pytest.fixture
def environ(environ, channel, tmp_path):
    """The gateway's environment with what the channel's cases file adds
    (``tests.harness.cases_environ``)."""
    return cases_environ(environ, TABLES[channel], SIGNERS[channel], FILES[channel][0].parent, tmp_path)


def request_of(channel: str, name: str):
    return SIGNERS[channel].case_request(TABLES[channel], case_of(channel, name))


def adapter_of(channel: str, name: str, settings):
    """The adapter of the case's door (``door`` of the case, or of its file), built as the
    gateway builds it from the doors file."""
    door = load_catalogue(settings).doors[case_of(channel, name).get("door", TABLES[channel]["door"])]
    return build_adapters({door.id: door}, settings)[door.id]


def test_every_channel_has_a_sender_and_a_cases_file():
    """A channel of the registry without a test sender or recorded cases would go untested."""
    assert not missing_senders(), "\n".join(missing_senders())
    missing = set(available_channels()) - set(TABLES)
    assert not missing, "no cases file for " + ", ".join(
        f"{channel} (write {cases_path(channel, SIGNERS[channel])})" for channel in sorted(missing))


def test_every_cases_file_names_a_registry_channel():
    assert TABLES, "no cases file in the one format"
    for channel, table in TABLES.items():
        assert table["channel"] == channel and table["door"] and table["cases"], channel
        names = [case["name"] for case in table["cases"]]
        assert len(names) == len(set(names)), f"{channel}: case names repeat"


# ----- the adapter alone (channels.testing.check_case) -------------------------------------------
@pytest.mark.parametrize("channel,name", ROWS, ids=ids(ROWS))
def test_adapter_reads_case(channel, name, settings):
    check_case(adapter_of(channel, name, settings), SIGNERS[channel], TABLES[channel], case_of(channel, name))


# ----- through the gateway ----------------------------------------------------------------------
@pytest.mark.parametrize("channel,name", ACCEPTED, ids=ids(ACCEPTED))
def test_gateway_takes_case(channel, name, client, parts):
    expect, signer = case_of(channel, name)["expect"], SIGNERS[channel]
    response = request_of(channel, name).send(client)
    assert response.status_code == expect["status"], response.get_data(as_text=True)
    answer = expect.get("answer", {})
    check_answer(answer, response)
    reply = signer.reply_text(response, replies(parts)) if answer else ""
    if answer.get("fits_one_sms"):
        assert fits_one_sms(reply), reply
    if "startswith" in answer:
        assert reply.startswith(answer["startswith"]), reply
    want = expect.get("complaint")
    complaint, count = None, expect.get("complaints", 0 if want is None else 1)
    assert queued_count(parts) == count and ledger_count(parts) == count
    if count == 0:
        assert parts.store.queue_depths()["pending"] == 0
    if "media" in expect:
        assert queued_count(parts, MEDIA) == expect["media"]
    if want is not None:
        assert count == 1
        complaint = complaint_by_number(parts, signer.tracking_of(response, replies(parts)))
        check_complaint(expect, complaint, parts)
    check_every_complaint(expect, parts)
    if "text" in answer:
        assert reply == reply_text(answer["text"], complaint)
    if "reply" in expect:
        check_queued_reply(expect["reply"], complaint, parts)
    if "replies" in expect:
        check_queued_replies(expect["replies"], expected_messages(expect), parts)


@pytest.mark.parametrize("channel,name", IGNORED, ids=ids(IGNORED))
def test_gateway_ignores_case(channel, name, client, parts):
    response = request_of(channel, name).send(client)
    assert response.status_code == 200
    check_answer(case_of(channel, name)["expect"].get("answer", {}), response)
    for queue in (COMPLAINTS, REPLIES, MEDIA):
        assert queued_count(parts, queue) == 0, queue
    assert ledger_count(parts) == 0


@pytest.mark.parametrize("channel,name", REFUSED, ids=ids(REFUSED))
def test_gateway_refuses_case(channel, name, client, parts):
    expect = case_of(channel, name)["expect"]
    request = request_of(channel, name)
    response = request.send(client)
    assert response.status_code == expect["status"]
    body = response.get_data(as_text=True)
    assert expect["reason"] in body
    check_answer(expect.get("answer", {}), response)
    assert not any(secret in body for secret in echoed(TABLES[channel], request))
    if request.body:
        assert request.body.decode("latin-1") not in body
    assert queued_count(parts) == 0 and parts.store.queue_depths()["pending"] == 0
    assert queued_count(parts, REPLIES) == 0 and ledger_count(parts) == 0
