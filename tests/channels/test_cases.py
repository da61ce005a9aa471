"""One runner for every channel's recorded cases, as courier's handlertest: each case of a
cases file (``testdata/<channel>.json`` with a ``channel`` key) goes through the channel's
adapter alone (``authenticate``, then ``parse``) and through the real gateway (Flask test
client, real Redis), and its expectation is checked.

The cases-file format::

    {"_about": "...", "channel": "<name in channels.registry>", "door": "<door id>",
     "environ": {"LAPOR_...": "..."},   # besides tests/conftest.py's (a doors file is
                                        # relative to testdata/)
     "secrets": ["..."],                # never in an answer or a refusal
     "cases": [{"name": "...", "about": "...",
                "request": {...},       # read by the channel's signer (tests/channels/
                                        # signers.py): method, query, headers, body_hex...
                "expect": {
                  "status": 200,        # or the refusal's status, with
                  "reason": "...",      # its short reason (exact from the adapter)
                  "message": {...},     # the one InboundMessage: field -> value
                  "message_matches": {...},        # field -> regular expression
                  "answer": {"content_type": "...", "fits_one_sms": true,
                             "startswith": "..."},  # the reply the citizen gets
                  "complaint": {...} | null}}]}    # the one complaint queued (dotted
                                                   # paths -> value), or none at all

A case with ``"complaint": null`` is answered without a complaint (a status query): nothing
queued, nothing pending. A refused case leaves nothing queued and echoes neither a secret
nor its body.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from channels.base import Rejected
from channels.gsm7 import fits_one_sms
from channels.registry import available_channels, build_adapters
from config.doors import load_catalogue
from forwarder.topology import COMPLAINTS
from normalizer import tracking
from normalizer.identity import keyed_ref
from tests.channels.signers import SIGNERS

TESTDATA = Path(__file__).parent / "testdata"


def load_tables() -> dict[str, dict]:
    """channel -> its cases file (the files in the one format: those with a ``channel``)."""
    tables = {}
    for path in sorted(TESTDATA.glob("*.json")):
        table = json.loads(path.read_text("utf-8"))
        if isinstance(table, dict) and "channel" in table and "cases" in table:
            tables[table["channel"]] = table
    return tables


TABLES = load_tables()
ROWS = [(channel, case["name"]) for channel, table in TABLES.items() for case in table["cases"]]

def case_of(channel: str, name: str) -> dict:
    return next(case for case in TABLES[channel]["cases"] if case["name"] == name)


ACCEPTED = [row for row in ROWS if case_of(*row)["expect"]["status"] == 200]
REFUSED = [row for row in ROWS if case_of(*row)["expect"]["status"] != 200]


def ids(rows) -> list[str]:
    return [f"{channel}-{name}" for channel, name in rows]


@pytest.fixture
def environ(environ, channel):
    """The gateway's environment with what the channel's cases file adds."""
    for key, value in TABLES[channel].get("environ", {}).items():
        environ[key] = str(TESTDATA / value) if key == "LAPOR_DOORS_FILE" else value
    return environ


def request_of(channel: str, name: str):
    table = TABLES[channel]
    return SIGNERS[channel].case_request(table["door"], case_of(channel, name)["request"])


def adapter_of(channel: str, settings):
    door = load_catalogue(settings).doors[TABLES[channel]["door"]]
    return build_adapters({door.id: door}, settings)[door.id]


def dotted(record: dict, path: str):
    for key in path.split("."):
        record = record[key]
    return record


def queued_count(parts) -> int:
    return parts.store.redis.llen(COMPLAINTS)


def complaint_by_number(parts, number: str) -> dict:
    cid = parts.store.redis.get("lapor:t:" + tracking.compact(number)).decode()
    return parts.store.complaint(cid)


def test_every_cases_file_names_a_registry_channel():
    assert TABLES, "no cases file in the one format"
    assert set(TABLES) <= set(available_channels())
    for channel, table in TABLES.items():
        assert channel in SIGNERS and table["door"] and table["cases"], channel
        names = [case["name"] for case in table["cases"]]
        assert len(names) == len(set(names)), f"{channel}: case names repeat"


# ----- the adapter alone -----------------------------------------------------------------------
@pytest.mark.parametrize("channel,name", ACCEPTED, ids=ids(ACCEPTED))
def test_adapter_reads_case(channel, name, settings):
    expect, adapter = case_of(channel, name)["expect"], adapter_of(channel, settings)
    request = request_of(channel, name).web_request()
    adapter.authenticate(request)
    [message] = adapter.parse(request)
    for field, value in expect["message"].items():
        got = getattr(message, field)
        got = got.isoformat() if isinstance(got, datetime) else got
        assert got == value, (field, got)
    for field, pattern in expect.get("message_matches", {}).items():
        assert re.fullmatch(pattern, getattr(message, field)), field
    assert message.received_at.tzinfo is not None
    assert abs((datetime.now(timezone.utc) - message.received_at).total_seconds()) < 5


@pytest.mark.parametrize("channel,name", REFUSED, ids=ids(REFUSED))
def test_adapter_refuses_case(channel, name, settings):
    expect, adapter = case_of(channel, name)["expect"], adapter_of(channel, settings)
    request = request_of(channel, name).web_request()
    with pytest.raises(Rejected) as refused:
        adapter.authenticate(request)
        adapter.parse(request)
    assert (refused.value.status, refused.value.reason) == (expect["status"], expect["reason"])
    assert not any(secret in refused.value.reason for secret in TABLES[channel]["secrets"])


# ----- through the gateway ----------------------------------------------------------------------
@pytest.mark.parametrize("channel,name", ACCEPTED, ids=ids(ACCEPTED))
def test_gateway_takes_case(channel, name, client, parts):
    expect, signer = case_of(channel, name)["expect"], SIGNERS[channel]
    response = request_of(channel, name).send(client)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = expect.get("answer", {})
    if "content_type" in answer:
        assert response.headers["Content-Type"] == answer["content_type"]
    reply = signer.reply_text(response, parts)
    if answer.get("fits_one_sms"):
        assert fits_one_sms(reply), reply
    if "startswith" in answer:
        assert reply.startswith(answer["startswith"]), reply
    want = expect["complaint"]
    if want is None:
        assert queued_count(parts) == 0 and parts.store.queue_depths()["pending"] == 0
        return
    assert queued_count(parts) == 1
    complaint = complaint_by_number(parts, signer.tracking_of(response, parts))
    for path, value in want.items():
        assert dotted(complaint, path) == value, (path, dotted(complaint, path))
    sent_id = expect["message"].get("provider_message_id")
    if sent_id and (want.get("privacy.anonymous") or want.get("privacy.confidential")):
        sent_id = keyed_ref(parts.settings.secret_key, sent_id)   # private: keyed (issue 8)
    assert complaint["provider_message_ids"] == [sent_id or complaint["provider_message_ids"][0]]


@pytest.mark.parametrize("channel,name", REFUSED, ids=ids(REFUSED))
def test_gateway_refuses_case(channel, name, client, parts):
    expect = case_of(channel, name)["expect"]
    request = request_of(channel, name)
    response = request.send(client)
    assert response.status_code == expect["status"]
    body = response.get_data(as_text=True)
    assert expect["reason"] in body
    assert not any(secret in body for secret in TABLES[channel]["secrets"])
    if request.body:
        assert request.body.decode("latin-1") not in body
    assert queued_count(parts) == 0 and parts.store.queue_depths()["pending"] == 0
