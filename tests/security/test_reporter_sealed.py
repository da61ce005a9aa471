"""An anonymous reporter cannot be re-identified from what the gateway forwards (issue 8,
item 5), and no log line carries any part of their handle (item 7).

Every door gets the same anonymous message (``LAPOR ANONIM ...``) and a follow-up from the
same sender (with an attachment where the channel has them), delivered to two gateways that
differ only in ``LAPOR_SECRET_KEY``. The complaints and events each puts on its queue (what
the central system receives) are walked leaf by leaf: a value that is the same in both is
allowed only where it is the message's content or a fact of the door or transport
(``SAME_IN_BOTH``); anything else equal was derived from the reporter without the key
(a Kannel id, an unkeyed hash, a wamid, a MessageSid, a tweet id, a Telegram update id, a
media reference) and could lead back to them. The raw provider identifiers must not appear
anywhere in the records either.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import replace

import pytest
import redis

from channels.base import ChannelAdapter
from normalizer.values import Attachment
from config.doors import Door
from config.settings import load_settings
from forwarder.media import MediaWorker
from forwarder.topology import BULK, COMPLAINTS, MEDIA
from tests.gateway.support import queued
from tests.helpers import Receiver, inbound
from channels.testing import json_bytes
from channels.twitter.testing import ACCOUNT_ID as X_ACCOUNT
from channels.web.testing import WebApiSender
from tests.harness import SENDERS

KEY_A = "secret-key-of-gateway-a-0123456789"
KEY_B = "secret-key-of-gateway-b-9876543210"
TEXT = "LAPOR ANONIM kepala desa minta uang untuk surat keterangan"
FOLLOWUP = "ini tambahan buktinya"
N = 42                                   # the sender: 081200000042 / chat 5811230042 / ...
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')

# Paths (dotted, list indexes as []) whose value may be the same in both gateways: the
# content the reporter chose to send, and facts of the door and the transport.
SAME_IN_BOTH = re.compile(r"^(?:" + "|".join([
    r"schema_version", r"type", r"door", r"channel", r"door_agency", r"classification",
    r"reporter\.kind", r"title", r"body", r"language", r"sent_at", r"received_at",
    r"location\..*", r"routing\..*", r"service_level\..*", r"flags\[\]",
    r"attachments\[\]\.(?:kind|content_type|size)", r"attachments\[\]\.filename",   # extension
    r"meta\.(?:smsc|coding|charset|transport|segments|message_type|type|phone_number_id|via|mode|lang)",
]) + r")$")


# ----- the deliveries: each signing channel's test sender (``thread``), and a few more ----------
def _kannel_without_id(text: str, message_no: int):
    request = SENDERS["sms-1708"].thread(text, message_no, N)
    request.query = re.sub(r"&id=[^&]*", "", request.query)
    return request


def _tweet(text: str, message_no: int):
    """A public X mention (the tweet id is public: anyone can open the author's page)."""
    sender = SENDERS["twitter"]
    user = str(98765432000 + N)
    tweet_id = str(1861000000000000000 + 1000 * message_no + N)
    payload = {"for_user_id": X_ACCOUNT, "tweet_create_events": [{
        "created_at": "Tue Nov 24 10:42:39 +0000 2026", "id_str": tweet_id, "lang": "in",
        "timestamp_ms": "1795516959000", "text": f"@LAPOR1708 {text}",
        "user": {"id_str": user, "name": "Siti", "screen_name": f"siti{N}"},
        "entities": {"user_mentions": [{"id_str": X_ACCOUNT, "screen_name": "LAPOR1708"}],
                     "hashtags": [], "urls": [], "symbols": []},
        "edit_history": {"edit_tweet_ids": [tweet_id]}}]}
    return sender.signed(sender.serialize(payload))


class _FormSubmission:
    """The web form as a browser sends it (its CSRF token and one-time submission id)."""

    def __init__(self, text: str, message_no: int):
        self.text = text

    def send(self, client):
        page = client.get("/lapor").get_data(as_text=True)
        return client.post("/lapor", data={
            "csrf_token": CSRF.search(page).group(1), "submission_id": SUBMISSION.search(page).group(1),
            "classification": "pengaduan", "body": self.text, "anonymous": "y",
            "name": "Siti", "contact": f"0812{N:08d}"})


def _web(path: str, fields: dict):
    def build(text: str, message_no: int):
        request = WebApiSender(path).request(text, N)
        request.body = json_bytes({"classification": "pengaduan", "body": text, "name": "Siti",
                                   "contact": f"0812{N:08d}", **fields})
        request.headers = {"Idempotency-Key": f"sealed-{N}-{message_no}"}
        return request
    return build


def _thread(sender):
    return lambda text, message_no: sender.thread(text, message_no, N)


DOORS = {**{door: _thread(sender) for door, sender in SENDERS.items()},
         "sms-1708-without-id": _kannel_without_id,
         "twitter-mention": _tweet, "web-form-anonymous": _FormSubmission,
         "web-api-anonymous": _web("/api/v1/complaints", {"anonymous": True}),
         "web-in-confidential": _web("/in/web", {"confidential": True})}
#: the provider identifiers each door's deliveries carry, which no record may hold
RAW = {**{door: sender.thread_identifiers(N) for door, sender in SENDERS.items()},
       "twitter-mention": ["98765432042", "1861000000000001042", "1861000000000002042", f"siti{N}"],
       "web-api-anonymous": [f"sealed-{N}-1"], "web-in-confidential": [f"sealed-{N}-1"]}


def records_of(environ, secret_key: str, door: str) -> list[dict]:
    """What one gateway with this secret key queues for the central system after the
    anonymous message and its follow-up."""
    from gateway.app import create_app
    from gateway.wiring import build_parts

    settings = load_settings(dict(environ, LAPOR_SECRET_KEY=secret_key))
    redis.Redis.from_url(settings.redis_url).flushdb()
    parts = build_parts(settings)
    try:
        app = create_app(parts=parts)
        app.config["TESTING"] = True
        client = app.test_client()
        for message_no, text in ((1, TEXT), (2, FOLLOWUP)):
            response = DOORS[door](text, message_no).send(client)
            assert response.status_code in (200, 201), response.get_data()[:300]
        found = queued(settings.redis_url, COMPLAINTS) + queued(settings.redis_url, BULK)
        return sorted(found, key=lambda record: "event_id" in record)   # the complaint first
    finally:
        parts.publisher.close()


def leaves(value, path: str = ""):
    """(path, value) of every string and number in a record, recursively."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item, f"{path}[]")
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and value != "":
        yield path, value


@pytest.mark.parametrize("door", list(DOORS))
def test_no_reporter_derived_value_is_the_same_under_another_key(environ, door):
    first, second = records_of(environ, KEY_A, door), records_of(environ, KEY_B, door)
    assert [r.get("type", "complaint") for r in first] == [r.get("type", "complaint") for r in second]
    assert first[0]["privacy"]["anonymous"] or first[0]["privacy"]["confidential"]
    structured = door.startswith("web") or (door in SENDERS and SENDERS[door].structured)
    if not structured:                   # the same sender's next message joined the complaint
        assert [r.get("type", "complaint") for r in first] == ["complaint", "followup"]
    same = []
    for one, other in zip(first, second):
        values = {}
        for path, value in leaves(other):
            values.setdefault(path, set()).add(json.dumps(value))
        same += [(path, value) for path, value in leaves(one)
                 if json.dumps(value) in values.get(path, ()) and not SAME_IN_BOTH.match(path)]
    assert not same, f"reporter-derived values identical under two secret keys: {same}"
    written = json.dumps(first + second, ensure_ascii=False)
    for raw in RAW.get(door.removesuffix("-without-id"), []) + [f"{N:08d}"]:
        assert raw not in written, f"{raw!r} forwarded in clear"


def test_kannel_fallback_id_is_keyed(environ):
    """Without %I the id was sha256(from, to, time, text): hashing the candidate numbers
    gave the number back. Now the key decides it."""
    from channels.kannel.payload import fallback_id

    fields = ("+6281200000042", "1708", "2026-11-24 10:42:40", "LAPOR ANONIM x")
    assert fallback_id(KEY_A, *fields) == fallback_id(KEY_A, *fields)
    assert fallback_id(KEY_A, *fields) != fallback_id(KEY_B, *fields)


# ----- item 7: no part of an anonymous reporter's handle in any log line -------------------------
MASKED_WITH_CHARACTERS = re.compile(r"\*\*\*[^\s*]")


@pytest.mark.parametrize("door", sorted(SENDERS))
def test_logs_show_no_part_of_an_anonymous_handle(environ, door, caplog):
    caplog.set_level(logging.DEBUG)
    records_of(environ, KEY_A, door)
    masked = [r.getMessage() for r in caplog.records if MASKED_WITH_CHARACTERS.search(r.getMessage())]
    assert not masked, masked
    assert any("reporter=***" in r.getMessage() for r in caplog.records)


class _MediaDoor(ChannelAdapter):
    """A provider door whose media lives on a local stand-in."""
    name = "media-test"

    def fetch_media(self, attachment):
        import requests

        answer = requests.get(attachment.provider_ref, timeout=5)
        return answer.content, answer.headers.get("Content-Type", "")


def test_the_media_event_of_an_anonymous_complaint_is_keyed(parts):
    """The media worker's event carries the job's message id and the attachment's
    provider reference: keyed when the complaint is private."""
    door = Door(id="media-door", channel="media-test", agency="KemenPANRB")
    parts.catalogue.doors[door.id] = door
    parts.adapters[door.id] = _MediaDoor(door, parts.settings)
    parts.intake._contexts[door.id] = parts.intake._contexts["sms-1708"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with Receiver(default=(200, {"Content-Type": "image/png"}, png)) as provider:
        ref = provider.url + "/media/6281200000042/photo.png"
        message = replace(inbound("LAPOR ANONIM ini fotonya", door="media-door", channel="media-test",
                                  provider_id="wamid.HBgNNjI4MTIwMDAwMDA0Mh"),
                          attachments=(Attachment("image", "image/png", provider_ref=ref),))
        parts.intake.take(message)
        [job] = queued(parts.settings.redis_url, MEDIA)
        MediaWorker(parts, threading.Event()).handle(job, {})
    [event] = [r for r in queued(parts.settings.redis_url, COMPLAINTS) if r.get("type") == "media"]
    [stored] = event["attachments"]
    assert stored["sha256"] and stored["provider_ref"].startswith("k-")
    assert event["provider_message_id"].startswith("k-")
    written = json.dumps(event)
    assert "HBgNNjI4" not in written and "6281200000042" not in written


@pytest.mark.parametrize("door", sorted(SENDERS))
def test_the_dedup_key_holds_no_provider_id(environ, door):
    """The Redis files keep the dedup key for 8 days: keyed, it names no message a provider
    (or Kannel's log) could map back to the number; a retry still finds it."""
    records_of(environ, KEY_A, door)
    settings = load_settings(dict(environ, LAPOR_SECRET_KEY=KEY_A))
    keys = [key.decode() for key in redis.Redis.from_url(settings.redis_url).scan_iter("lapor:dedup:*")]
    assert len(keys) == 2 and all(re.fullmatch(r"lapor:dedup:[a-z0-9-]+:k-[0-9a-f]{32}", k) for k in keys)
    assert not any(raw in key for raw in RAW[door] for key in keys)
