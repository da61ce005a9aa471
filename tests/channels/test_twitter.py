"""The Twitter/X door, inbound, beyond its recorded deliveries (testdata/twitter.json, run
by tests/channels/test_cases.py): the CRC challenge, signatures, duplicates, edits, odd
and oversized bodies, a parser that survives any bytes, and logs that never show a
reporter. Replies, media and the mentions
poller are in test_twitter_send.py and test_twitter_poller.py."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from channels.base import Rejected
from channels.twitter.adapter import TwitterAdapter
from forwarder.topology import COMPLAINTS, MEDIA, REPLIES
from tests.channels.twitter_support import (ACCOUNT_ID, CASES, CONSUMER_SECRET, PATH,
                                            TABLE, door, environ_for,
                                            headers_for, post_case, queued, raw_body, signature,
                                            web_request, x_bytes)

CRC = {case["name"]: case for case in TABLE["crc"]}


@pytest.fixture
def environ(environ):
    environ.update(environ_for(), LAPOR_MAX_BODY_BYTES="262144")
    return environ


def complaints(redis_client) -> list[dict]:
    return [body for body in queued(redis_client, COMPLAINTS) if "event_id" not in body]


# ----- the adapter alone -------------------------------------------------------------------------
def test_account_id_from_the_payload_when_not_configured():
    """Without options.account_id the payload's for_user_id names our account: our own
    tweets are still ignored, and our @mention is found through the mention entity."""
    adapter = TwitterAdapter(door(account_id="", username=""))
    assert adapter.parse(web_request(CASES["own_tweet"])) == []
    [message] = adapter.parse(web_request(CASES["mention_text"]))
    assert message.text == CASES["mention_text"]["expect"]["messages"][0]["text"]


@pytest.mark.parametrize("missing", ["consumer_secret"])
def test_door_without_consumer_secret_answers_503(missing):
    base = door()
    adapter = TwitterAdapter(type(base)(**{**base.__dict__, "credentials": {
        **base.credentials, missing: ""}}))
    for method in ("GET", "POST"):                 # the CRC handshake and a delivery
        with pytest.raises(Rejected) as refused:
            adapter.authenticate(web_request(CASES["mention_text"], method=method,
                                             query=CRC["valid"]["query"]))
        assert (refused.value.status, refused.value.reason) == (503, "door not configured")


# ----- CRC ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CRC))
def test_crc_challenge(name, client):
    case = CRC[name]
    response = client.get(f"{PATH}?{case['query']}")
    assert response.status_code == case["status"]
    if case["status"] == 200:
        assert response.headers["Content-Type"] == "application/json"
        assert response.get_json() == {"response_token": case["response_token"]}
    else:
        assert response.get_json() == {"error": case["reason"]}


def test_crc_answer_is_the_documented_hmac():
    """The answer is independently computable: base64 HMAC-SHA256(consumer secret, token)."""
    token = "bm90LWEtcmVhbC10b2tlbg"
    answer = TwitterAdapter(door()).challenge(web_request({}, method="GET", query=f"crc_token={token}"))
    digest = hmac.new(CONSUMER_SECRET.encode(), token.encode(), hashlib.sha256).digest()
    assert json.loads(answer.body) == {"response_token": "sha256=" + base64.b64encode(digest).decode()}


def test_crc_cannot_sign_a_payload():
    """The CRC signs what the caller sends with the webhook key: a JSON body must never be
    accepted as a token, or anyone could obtain a valid signature for a forged delivery."""
    body = x_bytes(CASES["mention_text"]["request"]["body"]).decode()
    with pytest.raises(Rejected) as refused:
        TwitterAdapter(door()).challenge(web_request({}, method="GET",
                                                     query="crc_token=" + body.replace("&", "%26")))
    assert refused.value.status == 400


# ----- through the pipeline ----------------------------------------------------------------------
def test_same_tweet_delivered_twice_is_one_complaint(client, parts):
    case = CASES["mention_extended_photo"]
    assert post_case(client, case).status_code == 200
    assert post_case(client, case).status_code == 200
    redis_client = parts.store.redis
    assert len(redis_client.keys("lapor:c:*")) == 1 and len(complaints(redis_client)) == 1
    assert len(queued(redis_client, MEDIA)) == 1
    first, second = queued(redis_client, REPLIES)
    number = complaints(redis_client)[0]["tracking_number"]
    assert first["tracking_number"] == second["tracking_number"] == number
    assert second["text"].startswith("LAPOR! Laporan ini sudah kami terima")
    assert parts.store.stats() == {("accepted", "twitter"): 1, ("duplicate", "twitter"): 1}


def test_edit_updates_the_original_complaint(client, parts):
    """The edited tweet (new id, edit history naming the first) is an edit event of the
    complaint the first tweet made, not a second complaint."""
    assert post_case(client, CASES["mention_text"]).status_code == 200
    assert post_case(client, CASES["mention_edit"]).status_code == 200
    redis_client = parts.store.redis
    [complaint] = complaints(redis_client)
    [event] = [body for body in queued(redis_client, COMPLAINTS) if "event_id" in body]
    assert event["complaint_id"] == complaint["id"] and event["type"] == "edit"
    assert "Jl. Merdeka 12" in json.dumps(event)


def test_webhook_and_poller_ids_agree():
    """A mention read by the webhook and by the poller has one provider id: one complaint."""
    [message] = TwitterAdapter(door()).parse(web_request(CASES["mention_text"]))
    assert message.provider_message_id == "tweet:" + CASES["mention_text"]["request"]["body"][
        "tweet_create_events"][0]["id_str"]


def test_oversized_body_is_413(client, parts):
    body = CASES["mention_text"]["request"]["body"]
    big = dict(body, padding="x" * 300_000)
    raw = x_bytes(big)
    response = client.post(PATH, data=raw, headers={"Content-Type": "application/json",
                                                    "X-Twitter-Webhooks-Signature": signature(raw)})
    assert response.status_code == 413
    assert parts.store.redis.llen(COMPLAINTS) == 0


def test_unknown_door_is_404(client):
    case = CASES["mention_text"]
    raw = raw_body(case)
    assert client.post("/in/twitter-2", data=raw, headers=headers_for(case, raw)).status_code == 404


def test_logs_never_show_the_reporter(client, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("mention_text", "dm_photo", "mention_cek", "forged_signature"):
        post_case(client, CASES[name])
    for secret in ("98765432", "1234567890123456789", "siti_bdg", "Siti Aminah", "budi_sby",
                   CONSUMER_SECRET):
        assert secret not in caplog.text


# ----- any bytes ---------------------------------------------------------------------------------
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.sampled_from(
                         ["for_user_id", "tweet_create_events", "direct_message_events", "users",
                          "id_str", "id", "user", "text", "extended_tweet", "entities", "type",
                          "message_create", "sender_id", "message_data", "attachment", "media",
                          "coordinates", "edit_history", "edit_tweet_ids", "video_info"]),
                         inner, max_size=6), max_leaves=30)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.one_of(st.binary(max_size=200), _JSON.map(lambda v: json.dumps(v).encode())))
def test_parser_survives_any_bytes(body):
    adapter = TwitterAdapter(door())
    request = web_request({"body_hex": body.hex(), "signature": "valid"})
    try:
        adapter.authenticate(request)
        found = adapter.parse(request)
    except Rejected as refused:
        assert refused.status == 400
        return
    for message in found:
        assert message.provider_message_id.startswith(("tweet:", "dm:"))
        assert message.sender.isdigit() and message.sender != ACCOUNT_ID


@pytest.mark.parametrize("value", ["\u00b2\u00b3", "\uff11\uff12", "12\u00b9"])
def test_an_id_of_other_digits_is_not_an_id(value):
    """``str.isdigit`` holds for superscripts and full-width digits; an X id is ASCII."""
    from channels.twitter.payload import Malformed, ident

    with pytest.raises(Malformed):
        ident(value, "tweet id")
    assert ident("1460323737035677698", "tweet id") == "1460323737035677698"
