"""A new complaint's acknowledgement on a channel that cannot answer inline (WhatsApp,
Telegram, X...) is queued in the store's intake step with the complaint itself, when the
broker is the store's Redis (``gateway.acceptance``): one reply, on the replies queue
exactly when the complaint is recorded, and no second publish. Every other case queues it
apart, once: a duplicate, a broker elsewhere, the spool; and a script run twice queues it
once.
"""
from __future__ import annotations

import dataclasses
import json

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from forwarder import keys
from forwarder.queue import PublishError
from forwarder.topology import COMPLAINTS, REPLIES
from tests.every_channel import environ  # noqa: F401 - one door per channel
from tests.harness import SENDERS
from tests.helpers import queued_bodies

TEXT = "Jalan rusak di depan SDN 3 Sukajadi"



@pytest.fixture
def adapter(parts):
    """The door of the first channel that queues its replies (its webhook answer cannot
    carry them)."""
    return next(parts.adapters[door] for door, sender in sorted(SENDERS.items())
                if door in parts.adapters and not parts.adapters[door].replies_inline
                and sender.channel in ("whatsapp", "telegram"))


def _message(parts, adapter, n: int):
    request = SENDERS[adapter.door.id].request(TEXT, n).web_request()
    return adapter.parse(request)[0]


def _replies(parts) -> list[dict]:
    return queued_bodies(parts.store.redis, REPLIES)


def _no_publish(*args, **kwargs):
    raise AssertionError("published apart")


def test_the_acknowledgement_is_queued_with_the_complaint(parts, adapter, monkeypatch):
    monkeypatch.setattr(parts.publisher, "publish", _no_publish)
    outcome = parts.intake.receive(adapter, _message(parts, adapter, 1))
    assert outcome.reply_queued and outcome.tracking_number
    [reply] = _replies(parts)
    assert reply["complaint_id"] == outcome.complaint_id and reply["kind"] == "ack"
    assert reply["tracking_number"] == outcome.tracking_number
    assert reply["text"] == outcome.reply_text and outcome.tracking_number[:4] in reply["text"]
    assert reply["door_id"] == adapter.door.id and reply["attempts"] == 0 and reply["reply_id"]
    assert [body["id"] for body in queued_bodies(parts.store.redis, COMPLAINTS)] == [outcome.complaint_id]


def test_a_duplicate_is_answered_apart_once(parts, adapter):
    message = _message(parts, adapter, 2)
    first = parts.intake.receive(adapter, message)
    again = parts.intake.receive(adapter, message)
    assert again.duplicate and not again.reply_queued
    assert [reply["tracking_number"] for reply in _replies(parts)] == [first.tracking_number] * 2
    assert len(queued_bodies(parts.store.redis, COMPLAINTS)) == 1


def test_a_broker_elsewhere_gets_the_acknowledgement_apart(parts, adapter, monkeypatch):
    monkeypatch.setattr(parts.publisher, "prepare", lambda *args: None)    # not the store's Redis
    outcome = parts.intake.receive(adapter, _message(parts, adapter, 3))
    assert not outcome.reply_queued
    assert [reply["complaint_id"] for reply in _replies(parts)] == [outcome.complaint_id]


def test_with_the_store_down_the_acknowledgement_is_spooled(parts, adapter, monkeypatch):
    def down(*args, **kwargs):
        raise RedisConnectionError("store down")

    def broker_down(*args, **kwargs):
        raise PublishError("broker down")

    monkeypatch.setattr(parts.store, "accept", down)
    monkeypatch.setattr(parts.store, "schedule", down)     # the reply's fallback before the spool
    monkeypatch.setattr(parts.publisher, "publish", broker_down)
    outcome = parts.intake.receive(adapter, _message(parts, adapter, 4))
    assert outcome.tracking_number and not outcome.reply_queued
    kept = [json.loads(line.split(b" ", 2)[2])             # <length> <crc32> <JSON record>
            for path in parts.spool.files() for line in path.read_bytes().splitlines()]
    assert [record["reply"]["tracking_number"] for record in kept if "reply" in record] == \
        [outcome.tracking_number]
    assert [record["complaint"]["id"] for record in kept if "complaint" in record] == [outcome.complaint_id]


def test_a_script_sent_twice_queues_one_acknowledgement(parts, adapter, monkeypatch):
    """Should the script run twice (a client that resends after a lost answer): the second
    run of a message without a provider id finds its own number taken, not its own open
    complaint; the reply the first run queued stands."""
    once = parts.store.accept

    def sent_twice(*args, **kwargs):
        once(*args, **kwargs)
        return once(*args, **kwargs)

    monkeypatch.setattr(parts.store, "accept", sent_twice)
    message = dataclasses.replace(_message(parts, adapter, 5), provider_message_id="")
    outcome = parts.intake.receive(adapter, message)
    assert outcome.reply_queued and not outcome.followup      # not a follow-up of itself
    assert [reply["complaint_id"] for reply in _replies(parts)] == [outcome.complaint_id]
    assert parts.store.redis.keys(keys.events("*")) == []
