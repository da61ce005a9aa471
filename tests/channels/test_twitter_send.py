"""The Twitter/X door, outbound: replies (public reply tweets, DMs) and media downloads
against a local HTTP server standing in for X's API (tweepy pointed at it through the door's
``api_base_url``), with OAuth 1.0a signatures checked the way X checks them (oauthlib)."""
from __future__ import annotations

import json
import logging
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849 import utils as oauth_utils

from channels.base import SendError
from normalizer.values import Attachment, OutboundMessage
from channels.twitter.adapter import TwitterAdapter
from channels.twitter.client import DEFAULT_API, XClient
from config import messages
from config.settings import Settings
from normalizer import tracking
from tests.channels.twitter_support import CREDENTIALS, USERNAME, door, x_answer
from tests.helpers import Receiver, free_port

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


@pytest.fixture(scope="module")
def x_server():
    with Receiver() as fake:
        yield fake


@pytest.fixture
def x_api(x_server):
    """The stand-in for X's API, with a fresh script and record for each test."""
    x_server.requests.clear()
    x_server.responses[:] = []
    x_server.default = DM_SENT
    return x_server


def adapter_for(x_api, public_base_url: str = "", **options) -> TwitterAdapter:
    options.setdefault("insecure_origins_for_tests", [x_api.url])    # the local stand-in
    return TwitterAdapter(door(x_api.url, **options), Settings(public_base_url=public_base_url))


def reply(**fields) -> OutboundMessage:
    values = dict(door_id="twitter", to=USER, text=ACK, complaint_id="5f0c", kind="ack",
                  private=False, reply_to="tweet:1861000000000000001", tracking_number=NUMBER)
    return OutboundMessage(**{**values, **fields})


def oauth_signed(request: dict, base_url: str) -> bool:
    """Whether a recorded request carries a valid OAuth 1.0a HMAC-SHA1 signature made with
    the door's consumer secret and access token secret (what X verifies)."""
    header = request["headers"].get("authorization", "")
    if not header.startswith("OAuth "):
        return False
    params = dict(oauth_utils.parse_authorization_header(header))
    uri = base_url + request["path"]
    collected = oauth_signature.collect_parameters(
        uri_query=urlsplit(uri).query, headers={"Authorization": header}, exclude_oauth_signature=True)
    base = oauth_signature.signature_base_string(
        request["method"], oauth_signature.base_string_uri(uri),
        oauth_signature.normalize_parameters(collected))
    expected = oauth_signature.sign_hmac_sha1_with_client(base, SimpleNamespace(
        client_secret=CREDENTIALS["consumer_secret"],
        resource_owner_secret=CREDENTIALS["access_token_secret"]))
    return (params["oauth_consumer_key"] == CREDENTIALS["consumer_key"]
            and params["oauth_token"] == CREDENTIALS["access_token"]
            and oauth_signature.safe_string_equals(
                expected, oauth_utils.unescape(params["oauth_signature"])))


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


# ----- media -------------------------------------------------------------------------------------
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8


def test_fetch_tweet_photo(x_api):
    x_api.default = (200, {"Content-Type": "image/jpeg"}, JPEG)
    data, content_type = adapter_for(x_api).fetch_media(Attachment(
        "image", "image/jpeg", provider_ref="https://pbs.twimg.com/media/GcXk1LbWkAAq3Zp.jpg"))
    assert (data, content_type) == (JPEG, "image/jpeg")
    [request] = x_api.requests
    assert request["path"] == "/media/GcXk1LbWkAAq3Zp.jpg" and "authorization" not in request["headers"]


def test_fetch_video_keeps_the_query(x_api):
    x_api.default = (200, {"Content-Type": "video/mp4"}, b"\x00\x00\x00\x18ftypmp42")
    ref = "https://video.twimg.com/ext_tw_video/1861000000000000200/pu/vid/avc1/1280x720/hi3Qw.mp4?tag=12"
    data, content_type = adapter_for(x_api).fetch_media(Attachment("video", "video/mp4", provider_ref=ref))
    assert content_type == "video/mp4" and data.endswith(b"ftypmp42")
    assert x_api.requests[0]["path"] == "/ext_tw_video/1861000000000000200/pu/vid/avc1/1280x720/hi3Qw.mp4?tag=12"


def test_fetch_dm_media_is_oauth_signed(x_api):
    x_api.default = (200, {"Content-Type": "image/jpeg"}, JPEG)
    ref = "https://ton.twitter.com/1.1/ton/data/dm/1861000000000000301/1861000000000000300/Lp0Zq.jpg"
    data, _ = adapter_for(x_api).fetch_media(Attachment("image", "image/jpeg", provider_ref=ref))
    assert data == JPEG and oauth_signed(x_api.requests[0], x_api.url)


@pytest.mark.parametrize("status,permanent", [(404, True), (403, True), (410, True),
                                              (500, False), (503, False), (429, False)])
def test_fetch_failures(x_api, status, permanent):
    x_api.default = (status, {"Content-Type": "text/plain"}, b"no")
    with pytest.raises(SendError) as failed:
        adapter_for(x_api).fetch_media(Attachment(
            "image", "image/jpeg", provider_ref="https://pbs.twimg.com/media/Gone.jpg"))
    assert failed.value.permanent is permanent and str(status) in failed.value.reason


def test_fetch_refuses_media_over_the_limit(x_api):
    # the download is abandoned mid-body: the stand-in closes that connection afterwards
    x_api.default = (200, {"Content-Type": "image/jpeg", "Connection": "close"}, JPEG)
    with pytest.raises(SendError) as failed:
        adapter_for(x_api, max_media_bytes=1024).fetch_media(Attachment(
            "image", "image/jpeg", provider_ref="https://pbs.twimg.com/media/Big.jpg"))
    assert failed.value.permanent and "larger than 1024" in failed.value.reason


@pytest.mark.parametrize("ref", ["https://evil.example/media/x.jpg", "http://pbs.twimg.com/media/x.jpg",
                                 "media_key:3_1861000000000000150", "file:///etc/passwd", "",
                                 "https://127.0.0.1:1\\@pbs.twimg.com/media/x.jpg",
                                 "https://user:pass@pbs.twimg.com/media/x.jpg",
                                 "https://pbs.twimg.com:8443/media/x.jpg"])
def test_fetch_only_from_x_media_hosts(x_api, ref):
    with pytest.raises(SendError) as failed:
        adapter_for(x_api).fetch_media(Attachment("image", "image/jpeg", provider_ref=ref))
    assert failed.value.permanent and x_api.requests == []
