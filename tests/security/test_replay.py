"""Replay: the same provider message delivered again, hours or days later, makes no second
complaint, and the answer carries the original tracking number.

The messaging providers sign no timestamp, so for them replay protection is the dedup key
``lapor:dedup:<door>:<provider message id>``, kept LAPOR_DEDUP_TTL_DAYS (default 8, the
setting refuses less) in Redis: longer than any provider retries (Meta retries for up to
7 days). Time passing is simulated on Redis' own clock: every key that expires is moved
that much closer to its expiry (``PEXPIRE`` with the remaining time less the hours that
passed), so the reporter's 30-minute follow-up window has closed when the message comes
back, as it would have. The central status callback, the one scheme with a timestamp, is
replayed hours later with its original timestamp and is refused as stale.
"""
from __future__ import annotations

import re

import pytest

from config.settings import SettingsError, load_settings
from forwarder.topology import COMPLAINTS
from normalizer import tracking
from channels.web.testing import WebApiSender
from tests.harness import SENDERS
from tests.security.wire import Request, central_callback, replies

HOUR = 3600
DAY = 24 * HOUR
WINDOW = 8 * DAY
TEXT = "Jalan rusak di depan SDN 3 Sukajadi, mohon diperbaiki"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')
LATER = {"3 hours": 3 * HOUR, "7 days": 7 * DAY, "a minute before 8 days": WINDOW - 60}
ENTRANCES = [*SENDERS, "web-api", "web-in", "web-form"]        # every signing channel's door


def time_passes(db, seconds: float) -> int:
    """Move every expiring lapor: key ``seconds`` closer to its expiry (deleting the ones
    whose time is up); returns how many keys expired."""
    gone = 0
    for key in db.scan_iter("lapor:*"):
        left = db.pttl(key)
        if left is None or left < 0:
            continue                                  # no expiry (ledger, status...)
        remaining = left - int(seconds * 1000)
        if remaining <= 0:
            db.delete(key)
            gone += 1
        else:
            db.pexpire(key, remaining)
    return gone


class Entrance:
    """One delivery, repeatable byte for byte, and the number its answer carries."""

    def __init__(self, name: str, client, parts):
        self.name, self.client, self.parts = name, client, parts
        self.request: Request | dict | None = None

    def deliver(self):
        if self.name == "web-form":
            if self.request is None:                  # the page's one-time submission id
                page = self.client.get("/lapor").get_data(as_text=True)
                self.request = {"csrf_token": CSRF.search(page).group(1),
                                "submission_id": SUBMISSION.search(page).group(1),
                                "classification": "pengaduan", "body": TEXT,
                                "contact": "0812 3456 7890"}
            return self.client.post("/lapor", data=self.request)
        if self.request is None:
            sender = SENDERS.get(self.name) or WebApiSender(
                "/api/v1/complaints" if self.name == "web-api" else "/in/web")
            self.request = sender.request(TEXT, 7)
        return self.request.send(self.client)

    def number(self, response) -> str:
        if self.name == "web-form":
            found = re.search(r"\d{4}-\d{4}-\d{3}", response.get_data(as_text=True))
            return tracking.compact(found.group(0)) if found else ""
        sender = SENDERS.get(self.name) or WebApiSender()
        return sender.tracking_of(response, replies(self.parts))


def complaints(parts) -> int:
    return len(list(parts.store.redis.scan_iter("lapor:c:*")))


@pytest.mark.parametrize("later", list(LATER), ids=[k.replace(" ", "-") for k in LATER])
@pytest.mark.parametrize("entrance", ENTRANCES)
def test_same_message_later_makes_no_second_complaint(client, parts, entrance, later):
    db = parts.store.redis
    door = Entrance(entrance, client, parts)
    first = door.deliver()
    assert first.status_code in (200, 201), first.get_data()[:200]
    original = door.number(first)
    assert tracking.is_valid(original)
    [key] = list(db.scan_iter("lapor:dedup:*"))
    assert 7 * DAY < db.ttl(key) <= WINDOW                 # the window, read from Redis

    time_passes(db, LATER[later])
    assert db.exists(key)
    replies_before = len(replies(parts))
    again = door.deliver()
    assert again.status_code == 200, again.get_data()[:200]
    assert door.number(again) == original
    assert complaints(parts) == 1 and db.llen(COMPLAINTS) == 1
    if not SENDERS.get(entrance, WebApiSender()).inline and entrance in SENDERS:
        [notice] = replies(parts)[replies_before:]         # the citizen hears the same number
        assert tracking.display(original) in notice["text"]


def test_after_the_window_the_same_id_is_a_new_message(client, parts):
    """The documented limit: once LAPOR_DEDUP_TTL_DAYS have passed, a provider id is
    forgotten (no provider retries that long)."""
    door = Entrance("wa-cloud", client, parts)
    original = door.number(door.deliver())
    time_passes(parts.store.redis, WINDOW + 1)
    assert not list(parts.store.redis.scan_iter("lapor:dedup:*"))
    door.deliver()
    assert complaints(parts) == 2
    assert replies(parts)[-1]["tracking_number"] != original


def test_kannel_without_message_ids_dedups_on_content(client, parts):
    """A Kannel set up without %I: the retry hashes the same (from, to, time, text)."""
    request = SENDERS["sms-1708"].request(TEXT, 8)
    request.query = re.sub(r"&id=[^&]*", "", request.query)
    first = request.send(client)
    time_passes(parts.store.redis, 5 * HOUR)
    again = request.send(client)
    number = SENDERS["sms-1708"].tracking_of
    assert number(first) == number(again) and complaints(parts) == 1


def test_dedup_window_setting(environ):
    assert load_settings(environ).dedup_ttl_days == 8
    assert load_settings(dict(environ, LAPOR_DEDUP_TTL_DAYS="30")).dedup_ttl_days == 30
    with pytest.raises(SettingsError, match="LAPOR_DEDUP_TTL_DAYS"):
        load_settings(dict(environ, LAPOR_DEDUP_TTL_DAYS="7"))


@pytest.mark.parametrize("hours", [1, 3, 48])
def test_status_callback_captured_and_replayed_hours_later_is_stale(client, parts, hours):
    """The callback signed at T and replayed at T + hours carries T: refused as stale,
    the status stays as it was."""
    number = SENDERS["sms-1708"].tracking_of(SENDERS["sms-1708"].request(TEXT, 9).send(client))
    import time
    captured = central_callback(number, "valid", now=time.time() - hours * HOUR)
    response = captured.send(client)
    assert response.status_code == 401 and response.get_json() == {"error": "stale timestamp"}
    assert parts.store.status(number)["status"] == "diterima"
