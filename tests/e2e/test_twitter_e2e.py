"""Twitter/X end to end: Account Activity deliveries signed as X signs them, over real HTTP to
the gateway served on loopback -> Redis -> forwarder -> central receiver; the public reply
(tracking number only) and the DM out through the notifier to a local stand-in for
api.twitter.com; a follow-up photo tweet joins the complaint (an event, then the media
worker's download); a signed status callback, the notice by DM, and CEK by DM answering the
new status. Then the same for the mentions poller instead of the webhook."""
from __future__ import annotations

import copy
import json
import re
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from channels.twitter.poller import TwitterPoller
from config import messages
from gateway.replytexts import colour_label
from normalizer import tracking
from tests.channels.twitter_support import (CASES, CONSUMER_SECRET, TABLE, environ_for, signature,
                                            x_bytes)
from tests.e2e.conftest import central_bodies
from tests.helpers import Receiver, wait_for

SITI = "98765432"
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 16 + b"\xff\xd9"
PHOTO_PATH = "/media/GcXk1LbWkAAq3Zp.jpg"


class XStandIn(Receiver):
    """api.twitter.com (and X's media host) on loopback, answering by path as X does."""

    def __init__(self):
        self.tweeted = 0
        self.pages: list[dict] = []
        super().__init__()

    @property
    def default(self):                  # read by the handler right after recording the request
        request = self.requests[-1]
        path, method = urlsplit(request["path"]).path, request["method"]
        json_type = {"Content-Type": "application/json; charset=utf-8"}
        if method == "POST" and path == "/2/tweets":
            self.tweeted += 1
            tweet_id = str(1861000000000009000 + self.tweeted)
            return 201, json_type, {"data": {"id": tweet_id, "text": json.loads(request["body"])["text"],
                                             "edit_history_tweet_ids": [tweet_id]}}
        found = re.fullmatch(r"/2/dm_conversations/with/(\d+)/messages", path)
        if method == "POST" and found:
            return 201, json_type, {"data": {"dm_conversation_id": f"1708000000000000001-{found.group(1)}",
                                             "dm_event_id": str(1861000000000008000 + len(self.requests))}}
        if method == "GET" and path == PHOTO_PATH:
            return 200, {"Content-Type": "image/jpeg"}, PHOTO
        if method == "GET" and path.endswith("/mentions"):
            page = self.pages.pop(0) if self.pages else {"meta": {"result_count": 0}}
            return 200, {**json_type, "x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
                         "x-rate-limit-reset": str(int(time.time()) + 900)}, page
        return 404, json_type, {"title": "Not Found Error", "detail": "no such route", "status": 404}

    @default.setter
    def default(self, value):
        pass

    def sent(self, kind: str) -> list[dict]:
        """Bodies of the tweets ("tweet") or DMs ("dm") sent so far, with the DM recipient."""
        with self._lock:
            found = []
            for r in self.requests:
                path = urlsplit(r["path"]).path
                if r["method"] != "POST":
                    continue
                if kind == "tweet" and path == "/2/tweets":
                    found.append(json.loads(r["body"]))
                elif kind == "dm" and path.startswith("/2/dm_conversations/with/"):
                    found.append({**json.loads(r["body"]), "to": path.split("/")[4]})
            return found


@pytest.fixture
def x_api():
    with XStandIn() as running:
        yield running


@pytest.fixture
def environ(environ, x_api):
    environ.update(environ_for(x_api.url))
    return environ


def deliver(gateway: str, body: dict) -> requests.Response:
    raw = x_bytes(body)
    return requests.post(f"{gateway}/in/twitter", data=raw, timeout=10, headers={
        "Content-Type": "application/json; charset=utf-8", "X-Twitter-Webhooks-Signature": signature(raw)})


def mention(tweet_id: str, text: str, **more) -> dict:
    body = copy.deepcopy(CASES["mention_text"]["request"]["body"])
    tweet = body["tweet_create_events"][0]
    tweet.update(id=int(tweet_id), id_str=tweet_id, text=text, timestamp_ms=str(int(time.time() * 1000)),
                 edit_history={"initial_tweet_id": tweet_id, "edit_tweet_ids": [tweet_id]}, **more)
    return body


def dm(event_id: str, text: str) -> dict:
    body = copy.deepcopy(CASES["dm_text"]["request"]["body"])
    event = body["direct_message_events"][0]
    event.update(id=event_id, created_timestamp=str(int(time.time() * 1000)))
    event["message_create"]["message_data"]["text"] = text
    return body


def count(found: list, n: int):
    return found if len(found) >= n else None


def test_twitter_mention_photo_status_and_cek(gateway, central, x_api, forwarder, notifier,
                                              media_worker, status_callback, settings):
    # 0. X's CRC over HTTP
    crc = TABLE["crc"][0]
    answer = requests.get(f"{gateway}/in/twitter?{crc['query']}", timeout=10)
    assert answer.status_code == 200 and answer.json() == {"response_token": crc["response_token"]}

    # 1. a mention: the complaint at central, a public reply with only the number, a DM with the rest
    text = "Jalan rusak parah di Jl. Merdeka 10 Bandung, mohon segera diperbaiki"
    assert deliver(gateway, mention("1861000000000000701", f"@LAPOR1708 {text}")).status_code == 200
    [complaint] = wait_for(lambda: central_bodies(central, "/"), message="complaint at central")
    assert (complaint["door"], complaint["channel"], complaint["body"]) == ("twitter", "twitter", text)
    assert complaint["reporter"]["contact"] == "@siti_bdg" and complaint["reporter"]["kind"] == "twitter"
    assert complaint["provider_message_ids"] == ["tweet:1861000000000000701"]
    number = complaint["tracking_number"]
    [reply] = wait_for(lambda: x_api.sent("tweet"), message="public reply tweet")
    assert reply["reply"] == {"in_reply_to_tweet_id": "1861000000000000701"}
    assert reply["text"] == messages.text("ack_public", tracking=tracking.display(number), where=messages.text(
        "twitter_where_cek", mention="@LAPOR1708 ", compact=number))
    assert "Merdeka" not in reply["text"] and "siti" not in reply["text"].lower()
    [ack] = wait_for(lambda: x_api.sent("dm"), message="acknowledgement by DM")
    assert ack == {"to": SITI, "text": messages.text(
        "ack", tracking=tracking.display(number), compact=number,
        due=messages.format_date(complaint["service_level"]["due_date"]))}

    # 2. a photo a minute later, in reply to our tweet: it joins the complaint; the media worker fetches it
    photo = CASES["mention_extended_photo"]["request"]["body"]["tweet_create_events"][0]
    media = copy.deepcopy(photo["extended_tweet"]["extended_entities"])
    followup = mention("1861000000000000702", "@LAPOR1708 ini fotonya https://t.co/Qm8vR2xLpA",
                       extended_entities=media, in_reply_to_status_id_str="1861000000000009001")
    assert deliver(gateway, followup).status_code == 200
    events = wait_for(lambda: count(central_bodies(central, "/events"), 2), timeout=15,
                      message="follow-up and media events at central")
    by_type = {event["type"]: event for event in events}
    assert by_type["followup"]["complaint_id"] == by_type["media"]["complaint_id"] == complaint["id"]
    assert by_type["followup"]["body"] == "ini fotonya"
    [stored] = by_type["media"]["attachments"]
    assert stored["size"] == len(PHOTO) and stored["content_type"] == "image/jpeg"
    digest = stored["sha256"]
    assert (settings.data_dir / "attachments" / digest[:2] / digest).read_bytes() == PHOTO
    assert len(central_bodies(central, "/")) == 1                     # no second complaint
    wait_for(lambda: count(x_api.sent("dm"), 2), message="follow-up acknowledgement")

    # 3. central says "proses": Siti is told by DM, and CEK by DM answers the same
    answer = status_callback(number, "proses", "Dinas PU PERA", due_date="2027-02-19")
    assert answer.status_code == 200 and answer.json() == {"ok": True, "notified": True}
    notice = wait_for(lambda: (lambda m: m[2] if len(m) >= 3 else None)(x_api.sent("dm")),
                      message="status notice by DM")
    for part in (tracking.display(number), messages.status_label("proses"), "Dinas PU PERA", "19-02-2027"):
        assert part in notice["text"]
    assert deliver(gateway, dm("1861000000000000801", f"CEK {number}")).status_code == 200
    status = wait_for(lambda: (lambda m: m[3] if len(m) >= 4 else None)(x_api.sent("dm")),
                      message="CEK answer by DM")
    assert status == {"to": SITI, "text": messages.text(
        "status", tracking=tracking.display(number), status=messages.status_label("proses"),
        agency="Dinas PU PERA", due="19-02-2027",
        colour=colour_label({"classification": "pengaduan", "due_date": "2027-02-19"}, "id"))}
    time.sleep(0.3)
    assert len(central_bodies(central, "/")) == 1 and len(central_bodies(central, "/events")) == 2
    tweets = x_api.sent("tweet")   # the ack, the follow-up's ack, and the status notice's
    assert len(tweets) == 3        # public reply: the number and where to follow it, no more
    assert tweets[2]["reply"] == {"in_reply_to_tweet_id": "1861000000000000701"}
    assert tracking.display(number) in tweets[2]["text"]
    for private in ("Dinas PU PERA", "19-02-2027", "siti", "Merdeka"):
        assert private not in tweets[2]["text"]


def test_forged_delivery_over_http_is_refused(gateway, central, forwarder, parts):
    raw = x_bytes(mention("1861000000000000711", "@LAPOR1708 palsu"))
    forged = requests.post(f"{gateway}/in/twitter", data=raw, timeout=10, headers={
        "Content-Type": "application/json", "X-Twitter-Webhooks-Signature": signature(raw, "not-the-secret")})
    assert forged.status_code == 401 and forged.json() == {"error": "bad signature"}
    assert CONSUMER_SECRET not in forged.text
    time.sleep(0.3)
    assert central.requests == [] and not parts.store.redis.keys("lapor:c:*")


def test_mentions_poller_to_central_and_reply(central, x_api, forwarder, notifier, parts):
    """The poller instead of the webhook: a page of mentions -> complaints at central and
    public replies; the cursor is stored once every mention was taken."""
    x_api.pages = [TABLE["mentions_pages"][1]]
    stop = threading.Event()
    poller = TwitterPoller.from_parts(parts, "twitter")
    thread = threading.Thread(target=poller.run, args=(parts.intake, stop), daemon=True)
    thread.start()
    try:
        complaints = wait_for(lambda: count(central_bodies(central, "/"), 2), timeout=15,
                              message="two complaints from the poller at central")
        replies = wait_for(lambda: count(x_api.sent("tweet"), 2), message="public replies")
    finally:
        stop.set()
        thread.join(10)
    assert sorted(c["provider_message_ids"][0] for c in complaints) == [
        "tweet:1861000000000000103", "tweet:1861000000000000104"]
    assert {r["reply"]["in_reply_to_tweet_id"] for r in replies} <= {
        "1861000000000000103", "1861000000000000104", "1861000000000000106"}
    assert poller.cursor() == {"since_id": "1861000000000000106"}
    assert not thread.is_alive()
