"""The Twitter/X door, outbound: replies (public reply tweets, DMs; media downloads are in
test_twitter_media.py) against a local HTTP server standing in for X's API (tweepy pointed at it through the door's
``api_base_url``), with OAuth 1.0a signatures checked the way X checks them (oauthlib)."""
from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

import pytest
import requests

from channels.base import SendError
from normalizer.values import Attachment, OutboundMessage
from channels.twitter.adapter import TwitterAdapter
from channels.twitter.client import DEFAULT_API, XClient
from config import messages
from normalizer import tracking
from tests.channels.twitter_support import CREDENTIALS, JPEG, USERNAME, adapter_for, door, oauth_signed, x_answer
from tests.helpers import free_port

USER = "98765432"
NUMBER = "27410935882"
ACK = messages.text("ack", tracking=tracking.display(NUMBER), compact=NUMBER, due="14-12-2026")
TWEETED = x_answer(201, {"data": {"id": "1861000000000000500", "text": "LAPOR!",
                                  "edit_history_tweet_ids": ["1861000000000000500"]}})
DM_SENT = x_answer(201, {"data": {"dm_conversation_id": f"1708000000000000001-{USER}",
                                  "dm_event_id": "1861000000000000600"}})
DUPLICATE = x_answer(403, {"detail": "You are not allowed to create a Tweet with duplicate content.",
                           "type": "about:blank", "title": "Forbidden", "status": 403})
DM_CLOSED = x_answer(403, {"detail": "You are not permitted to send a message to user 98765432.",
                           "type": "about:blank", "title": "Forbidden", "status": 403})


@pytest.fixture
def x_api(x_server):
    """The stand-in for X's API, with a fresh script and record for each test."""
    x_server.requests.clear()
    x_server.responses[:] = []
    x_server.default = DM_SENT
    return x_server


def reply(**fields) -> OutboundMessage:
    values = dict(door_id="twitter", to=USER, text=ACK, complaint_id="5f0c", kind="ack",
                  private=False, reply_to="tweet:1861000000000000001", tracking_number=NUMBER)
    return OutboundMessage(**{**values, **fields})


def calls(x_api) -> list[tuple[str, str, dict]]:
    return [(r["method"], urlsplit(r["path"]).path, json.loads(r["body"]) if r["body"] else None)
            for r in x_api.requests]


# ----- replies -----------------------------------------------------------------------------------
def test_private_reply_is_a_signed_dm(x_api):
    text = "LAPOR! Laporan 2741-0935-882: sedang diproses. Instansi: Dinas PU PERA."
    adapter_for(x_api).send(reply(text=text, private=True, kind="status"))
    assert calls(x_api) == [("POST", f"/2/dm_conversations/with/{USER}/messages", {"text": text})]
    assert oauth_signed(x_api.requests[0], x_api.url)


def test_public_ack_says_only_the_number_then_dm_has_the_rest(x_api):
    x_api.responses = [TWEETED, DM_SENT]
    adapter_for(x_api).send(reply())
    (_, tweet_path, tweet), (_, dm_path, dm) = calls(x_api)
    public = messages.text("ack_public", tracking="2741-0935-882",
                           where=messages.text("twitter_where_cek", mention=f"@{USERNAME} ",
                                               compact=NUMBER))
    assert tweet_path == "/2/tweets"
    assert tweet == {"text": public, "reply": {"in_reply_to_tweet_id": "1861000000000000001"}}
    assert len(public) <= 280 and "14-12-2026" not in public and USER not in public
    assert dm_path == f"/2/dm_conversations/with/{USER}/messages" and dm == {"text": ACK}
    assert all(oauth_signed(request, x_api.url) for request in x_api.requests)


def test_public_reply_points_at_the_status_page_when_the_gateway_is_public(x_api):
    x_api.responses = [TWEETED, DM_SENT]
    adapter_for(x_api, public_base_url="https://lapor.example.go.id").send(reply(kind="status"))
    tweet = calls(x_api)[0][2]
    assert tweet["text"] == messages.text(
        "update_public", tracking="2741-0935-882",
        where=messages.text("twitter_where_url",
                            url=f"https://lapor.example.go.id/lapor/cek?nomor={NUMBER}"))


def test_public_reply_never_carries_the_complaint_or_the_reporter(x_api):
    complaint = "Jalan rusak parah di Jl. Merdeka 10 Bandung, kata Siti Aminah (@siti_bdg)"
    x_api.responses = [TWEETED, DM_SENT]
    adapter_for(x_api).send(reply(text=complaint, kind="status"))
    tweet = calls(x_api)[0][2]["text"]
    for secret in ("Jalan rusak", "Merdeka", "Siti", "siti_bdg", USER):
        assert secret not in tweet
    assert calls(x_api)[1][2] == {"text": complaint}


def test_answer_without_number_to_a_tweet_goes_by_dm_only(x_api):
    help_text = messages.text("help")
    adapter_for(x_api).send(reply(text=help_text, kind="answer", tracking_number=""))
    assert calls(x_api) == [("POST", f"/2/dm_conversations/with/{USER}/messages", {"text": help_text})]


def test_answer_when_dms_are_closed_says_so_publicly(x_api):
    x_api.responses = [DM_CLOSED, TWEETED]
    adapter_for(x_api).send(reply(text=messages.text("help"), kind="answer", tracking_number=""))
    (_, dm_path, _), (_, tweet_path, tweet) = calls(x_api)
    assert dm_path.startswith("/2/dm_conversations/") and tweet_path == "/2/tweets"
    assert tweet["text"] == messages.text("dm_refused_public")


def test_dm_refused_after_public_reply_is_not_retried(x_api, caplog):
    caplog.set_level(logging.INFO)
    x_api.responses = [TWEETED, DM_CLOSED]
    adapter_for(x_api).send(reply())
    assert [path for _, path, _ in calls(x_api)] == ["/2/tweets", f"/2/dm_conversations/with/{USER}/messages"]
    assert "DM refused" in caplog.text and USER not in caplog.text


def test_retry_after_dm_failure_does_not_tweet_twice(x_api):
    """The notifier retries the whole send: X refuses the second identical tweet as a
    duplicate, which counts as sent, and only the DM is tried again."""
    x_api.responses = [TWEETED, x_answer(503, {"title": "Service Unavailable"}), DUPLICATE, DM_SENT]
    adapter = adapter_for(x_api)
    with pytest.raises(SendError) as failed:
        adapter.send(reply())
    assert not failed.value.permanent and "503" in failed.value.reason
    adapter.send(reply())
    assert [path for _, path, _ in calls(x_api)] == ["/2/tweets", f"/2/dm_conversations/with/{USER}/messages"] * 2


@pytest.mark.parametrize("status,permanent", [(500, False), (502, False), (503, False),
                                              (400, True), (401, True), (403, True), (404, True)])
@pytest.mark.parametrize("private", [True, False])
def test_send_failures(x_api, status, permanent, private):
    x_api.default = x_answer(status, {"title": "Error", "detail": f"Something about user {USER}.",
                                      "type": "about:blank", "status": status})
    with pytest.raises(SendError) as failed:
        adapter_for(x_api).send(reply(private=private))
    assert failed.value.permanent is permanent and str(status) in failed.value.reason
    assert USER not in str(failed.value) and CREDENTIALS["access_token"] not in str(failed.value)
    assert len(x_api.requests) == 1


def test_error_reason_masks_handles_and_ids(x_api):
    x_api.default = x_answer(403, {"errors": [{"code": 349, "message":
                                               "You cannot send messages to @siti_bdg (98765432)."}]})
    with pytest.raises(SendError) as failed:
        adapter_for(x_api).send(reply(private=True))
    assert failed.value.reason == "x direct message answered 403: 349; You cannot send messages to @*** (***)."


def test_rate_limited_send_is_retried_after_the_reset(x_api):
    import time

    reset = int(time.time()) + 120
    x_api.default = x_answer(429, {"title": "Too Many Requests", "status": 429}, reset=reset)
    with pytest.raises(SendError) as failed:
        adapter_for(x_api).send(reply())
    assert not failed.value.permanent and 100 <= failed.value.retry_after <= 125


def test_unreachable_x_is_retryable_and_leaks_nothing():
    adapter = TwitterAdapter(door(f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(SendError) as failed:
        adapter.send(reply(private=True))
    assert not failed.value.permanent and "unreachable" in failed.value.reason
    assert USER not in str(failed.value) and failed.value.__suppress_context__


def test_send_without_credentials_is_permanent(x_api):
    base = door(x_api.url)
    adapter = TwitterAdapter(type(base)(**{**base.__dict__, "credentials": {
        **base.credentials, "access_token_secret": ""}}))
    with pytest.raises(SendError) as failed:
        adapter.send(reply(private=True))
    assert failed.value.permanent and x_api.requests == []


def test_dm_to_something_else_than_a_user_id_is_permanent(x_api):
    with pytest.raises(SendError) as failed:
        adapter_for(x_api).send(reply(private=True, to="+6281234567890"))
    assert failed.value.permanent and x_api.requests == []


def test_default_base_url_is_x():
    """Without api_base_url tweepy's own host is kept (the request is stopped before it
    leaves: only the URL it would go to is checked)."""
    seen = []

    class Stop(Exception):
        pass

    client = XClient(bearer_token="t")

    def capture(self, method, url, *args, **kwargs):
        seen.append(url)
        raise Stop()

    original = requests.Session.request
    requests.Session.request = capture
    try:
        with pytest.raises(Stop):
            client.get_users_mentions("1708000000000000001")
    finally:
        requests.Session.request = original
    assert seen == [DEFAULT_API + "/2/users/1708000000000000001/mentions"]


@pytest.fixture
def chatty_loggers_unset():
    """The libraries' loggers as a process that never ran gateway.wiring.setup_logging has
    them (an agency's own worker importing the adapter): the adapter must quiet them itself."""
    names = ("tweepy", "tweepy.client", "oauthlib", "requests_oauthlib", "requests", "urllib3")
    saved = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_no_log_level_shows_the_citizen_or_the_tokens(x_api, caplog, chatty_loggers_unset):
    """tweepy and the OAuth signing log bodies, URLs and headers at DEBUG: not here."""
    caplog.set_level(logging.DEBUG)
    x_api.responses = [TWEETED, DM_SENT]
    adapter_for(x_api).send(reply(text="LAPOR! Siti Aminah, laporan Anda diterima."))
    x_api.default = (200, {"Content-Type": "image/jpeg"}, JPEG)
    adapter_for(x_api).fetch_media(Attachment("image", "image/jpeg", provider_ref=(
        "https://ton.twitter.com/1.1/ton/data/dm/1861000000000000301/1861000000000000300/Lp0Zq.jpg")))
    assert "direct message sent" in caplog.text
    for secret in (USER, "Siti Aminah", *CREDENTIALS.values()):
        assert secret not in caplog.text
