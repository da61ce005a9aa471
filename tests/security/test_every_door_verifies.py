"""Every door verifies: a table that sends, to every door of every channel, a request with
no signature (or secret), a wrong one, one computed for a different body (where the scheme
signs the body), and, where the scheme has a timestamp (the central system's status
callback), a stale one. Every forgery must be refused with 401/403 and a short reason that
echoes neither the expected signature, nor a secret, nor the body; nothing may be recorded
(no ledger entry ``lapor:c:*``, no dedup key, nothing on any queue). A control row per door
sends the same message properly signed and must be accepted, so the refusals are the
signature's doing and nothing else's.

The web form has no provider signature: its equivalent is the CSRF token of ``/lapor``
(missing, wrong, another session's). The JSON entrances of the web door (``/in/web``,
``/api/v1/complaints``) are public by design and have no row (see docs/security.md).
"""
from __future__ import annotations

import logging
import re

import pytest

from forwarder.topology import BULK, COMPLAINTS, MEDIA, REPLIES
from channels.testing import Request
from channels.twitter.testing import CONSUMER_SECRET as X_SECRET
from channels.whatsapp.testing import VERIFY_TOKEN as WA_VERIFY_TOKEN
from tests.harness import SECRETS, SENDERS, SIGNERS, missing_senders
from tests.security.wire import central_callback

CANARY = "CANARY-7f3a9"
TEXT = f"Jalan rusak {CANARY} di depan SDN 3 Sukajadi"
MAX_REASON = 60
FORGERY_ROWS = [(door, kind) for door, sender in SENDERS.items() for kind in sender.forgeries]
CENTRAL_ROWS = ["none", "wrong", "other_body", "stale", "future"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')


def recorded(parts) -> dict:
    """Everything a complaint would leave behind in the store and on the queues."""
    db = parts.store.redis
    found = {pattern: len(list(db.scan_iter(pattern)))
             for pattern in ("lapor:c:*", "lapor:dedup:*", "lapor:t:*", "lapor:s:*", "lapor:route:*")}
    found.update({queue: db.llen(queue) for queue in (COMPLAINTS, BULK, REPLIES, MEDIA)})
    return found


def nothing_recorded(parts) -> bool:
    return not any(recorded(parts).values())


def assert_short_and_silent(response, request: Request, caplog) -> str:
    """The refusal is JSON with a short reason, and no secret, expected signature or body
    text appears in the answer or in any log line."""
    answer = response.get_data(as_text=True)
    data = response.get_json(silent=True) or {}
    reason = data.get("error", "")
    assert reason and len(reason) <= MAX_REASON, answer
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for value in (*request.secrets, *SECRETS, CANARY):
        assert value not in answer, f"answer echoes {value[:12]}..."
        assert value not in logged, f"log echoes {value[:12]}..."
    for value in request.headers.values():
        if len(value) >= 16:
            assert value not in answer, "answer echoes the signature sent"
    return reason


@pytest.mark.parametrize("door", sorted(SENDERS))
def test_control_a_properly_signed_message_is_taken(client, parts, door):
    response = SENDERS[door].request(TEXT, 1).send(client)
    assert response.status_code in (200, 201), response.get_data(as_text=True)   # 201: a JSON door
    assert recorded(parts)["lapor:c:*"] == 1


@pytest.mark.parametrize("door,kind", FORGERY_ROWS, ids=[f"{d}-{k}" for d, k in FORGERY_ROWS])
def test_forged_request_is_refused_and_records_nothing(client, parts, caplog, door, kind):
    caplog.set_level(logging.DEBUG)
    request = SENDERS[door].forged(kind, TEXT, 1)
    response = request.send(client)
    assert response.status_code in (401, 403), (kind, response.status_code, response.get_data())
    assert_short_and_silent(response, request, caplog)
    assert nothing_recorded(parts), recorded(parts)


def test_every_channel_has_a_sender(parts):
    """The table is derived from the registry (tests/harness.py): a registered channel
    without a test sender (``SENDER`` in its package's ``testing`` module) would go
    untested; the security doors file holds each sender's door."""
    assert not missing_senders(), "\n".join(missing_senders())
    doors = parts.catalogue.doors
    for channel, signer in SIGNERS.items():
        assert signer.channel == channel
        assert signer.door_id in doors and doors[signer.door_id].channel == channel, signer.door_id
    assert {door.channel for door in doors.values()} == set(SIGNERS)
    door_ids = [signer.door_id for signer in SIGNERS.values()]
    assert len(door_ids) == len(set(door_ids)), f"two senders share a door id: {sorted(door_ids)}"
    names = [name for signer in SIGNERS.values() for name in signer.environ]
    assert len(names) == len(set(names)), "two senders set the same environment variable"
    for channel, signer in SIGNERS.items():
        unset = set(signer.door["credentials"].values()) - set(signer.environ)
        assert not unset, f"{channel}: its door names {sorted(unset)}, which its environ does not set"
        assert parts.adapters[signer.door_id].configured(), f"{channel}: its test door is not configured"


# ----- WhatsApp's GET handshake --------------------------------------------------------------------
@pytest.mark.parametrize("token", [None, "", "wrong-verify-token", WA_VERIFY_TOKEN + "x"])
def test_whatsapp_handshake_with_a_wrong_token_is_403(client, parts, caplog, token):
    caplog.set_level(logging.DEBUG)
    query = "hub.mode=subscribe&hub.challenge=1158201444"
    if token is not None:
        query += f"&hub.verify_token={token}"
    response = client.get(f"/in/wa-cloud?{query}")
    assert response.status_code == 403
    assert_short_and_silent(response, Request("GET", "/in/wa-cloud", secrets=(WA_VERIFY_TOKEN,)), caplog)
    assert "1158201444" not in response.get_data(as_text=True)
    assert nothing_recorded(parts)


def test_whatsapp_handshake_with_the_token_answers_the_challenge(client):
    response = client.get(f"/in/wa-cloud?hub.mode=subscribe&hub.challenge=1158201444"
                          f"&hub.verify_token={WA_VERIFY_TOKEN}")
    assert (response.status_code, response.get_data()) == (200, b"1158201444")


# ----- X's CRC: an HMAC oracle by design, so it must never sign a webhook body ------------------
@pytest.mark.parametrize("token", ['{"for_user_id":"1"}', "[1]", '"x"', "a b", "a%0Ab", "x" * 300])
def test_x_crc_never_signs_what_could_be_a_webhook_body(client, parts, token):
    from urllib.parse import quote
    response = client.get("/in/twitter?crc_token=" + quote(token, safe=""))
    assert response.status_code == 400
    from channels.twitter.adapter import signature
    assert signature(X_SECRET, token.encode()) not in response.get_data(as_text=True)
    assert nothing_recorded(parts)


def test_x_crc_answer_signs_the_token_and_records_nothing(client, parts):
    from channels.twitter.adapter import signature
    response = client.get("/in/twitter?crc_token=AbC-123_xyz=")
    assert response.status_code == 200
    assert response.get_json() == {"response_token": signature(X_SECRET, b"AbC-123_xyz=")}
    assert nothing_recorded(parts)


# ----- the web form: CSRF ------------------------------------------------------------------------
def _open_form(client) -> tuple[str, str]:
    page = client.get("/lapor").get_data(as_text=True)
    return CSRF.search(page).group(1), SUBMISSION.search(page).group(1)


def _form(csrf, submission_id: str) -> dict:
    data = {"submission_id": submission_id, "classification": "pengaduan", "body": TEXT,
            "name": "Siti", "contact": "0812 3456 7890"}
    if csrf is not None:
        data["csrf_token"] = csrf
    return data


@pytest.mark.parametrize("kind", ["control", "csrf_missing", "csrf_wrong", "csrf_other_session"])
def test_web_form_needs_its_csrf_token(app, client, parts, kind):
    csrf, submission_id = _open_form(client)
    token = {"control": csrf, "csrf_missing": None, "csrf_wrong": csrf[:-4] + "AAAA",
             "csrf_other_session": _open_form(app.test_client())[0]}[kind]
    response = client.post("/lapor", data=_form(token, submission_id))
    page = response.get_data(as_text=True)
    if kind == "control":
        assert response.status_code == 200 and recorded(parts)["lapor:c:*"] == 1
        return
    assert response.status_code == 400            # the form's page: "expired or not valid"
    assert CANARY not in page and csrf not in page
    assert nothing_recorded(parts)


# ----- the central system's status callback (the one scheme with a timestamp) ----------------------
@pytest.fixture
def complaint_number(client):
    """A complaint taken through the SMS door, whose status the callbacks try to change."""
    response = SENDERS["sms-1708"].request("Jalan rusak di depan SDN 3 Sukajadi", 900).send(client)
    return SENDERS["sms-1708"].tracking_of(response)


@pytest.mark.parametrize("kind", CENTRAL_ROWS)
def test_forged_or_stale_status_callback_is_401_and_changes_nothing(client, parts, caplog,
                                                                    complaint_number, kind):
    caplog.set_level(logging.DEBUG)
    before = recorded(parts)
    request = central_callback(complaint_number, kind)
    response = request.send(client)
    assert response.status_code == 401
    assert_short_and_silent(response, request, caplog)
    assert parts.store.status(complaint_number)["status"] == "diterima"
    assert recorded(parts) == before


def test_status_callback_replayed_within_the_window_is_401(client, parts, complaint_number):
    request = central_callback(complaint_number, "valid")
    assert request.send(client).status_code == 200
    assert parts.store.status(complaint_number)["status"] == "proses"
    parts.store.update_status(complaint_number, {"status": "diterima"})
    again = request.send(client)
    assert again.status_code == 401 and again.get_json() == {"error": "replayed callback"}
    assert parts.store.status(complaint_number)["status"] == "diterima"
