"""A reply lost on its way to the notifier comes back (``forwarder.store_jobs``,
``forwarder.recovery.LostJobs``).

On the Redis broker kombu takes a reply with ``BRPOP`` and backs it up in its consumer's
hash just after; a notifier killed in between took a reply that is in neither: a citizen's
acknowledgement (queued in the intake script with the complaint) or a status notice, never
sent. Here the reply is taken off the queue the way ``BRPOP`` takes it, and nothing else
holds it: with the default LAPOR_RECONCILE_AFTER_SECONDS (600) the notifier's tick leaves it
alone while it is young and puts it back once it is older (its record aged, not the setting
shortened). Once any worker's sweep has found a consumer dead, the notifier looks at once
for the replies older than half a lease, so a killed notifier's lost acknowledgement is
sent again within seconds. A reply waiting in the queue or scheduled for a retry is never
put back; a reply sent, or dead-lettered, is forgotten."""
from __future__ import annotations

import json
import threading
import time

import pytest

from config.settings import load_settings
from forwarder import keys, recovery
from forwarder.notifier import NotifyWorker
from forwarder.topology import REPLIES, connect
from gateway.central_api import notify
from gateway.wiring import build_parts
from tests.channels import whatsapp_support
from tests.helpers import Receiver, look_for_lost, inbound, queued_bodies

RECORDS = keys.jobs("reply")


@pytest.fixture
def graph():
    """Meta's Graph API, taking every message."""
    with Receiver(default=(200, {}, {"messages": [{"id": "wamid.SENT"}]})) as api:
        yield api


@pytest.fixture
def wa_parts(environ, graph):
    parts = build_parts(load_settings({**environ, **whatsapp_support.environ_for(graph.url)}))
    yield parts
    parts.publisher.close()


def _age(parts, seconds: float) -> None:
    """Every reply record as if queued ``seconds`` ago."""
    for key in parts.store.redis.zrange(keys.jobs_since("reply"), 0, -1):
        parts.store.redis.zadd(keys.jobs_since("reply"), {key: time.time() - seconds})


def _taken_and_lost(parts) -> dict:
    """The one reply queued, taken off the queue as ``BRPOP`` takes it, backed up nowhere."""
    [reply] = queued_bodies(parts.store.redis, REPLIES)
    assert parts.store.redis.rpop(REPLIES)
    return reply


def _comes_back_after_the_delay(parts, reply: dict) -> NotifyWorker:
    worker = NotifyWorker(parts, threading.Event())
    assert parts.settings.reconcile_after_seconds == 600          # the default
    worker.tick()
    assert queued_bodies(parts.store.redis, REPLIES) == []         # young: not yet
    _age(parts, 601)
    worker.lost.last = 0.0                                         # the next tick's turn
    worker.tick()
    assert queued_bodies(parts.store.redis, REPLIES) == [reply]    # put back, once
    _age(parts, 601)
    assert look_for_lost(worker, 600) == 0                               # waiting in the queue
    return worker


def test_an_acknowledgement_taken_before_its_backup_is_sent_after_the_reconcile_delay(wa_parts, graph):
    adapter = wa_parts.adapters["wa-cloud"]
    outcome = wa_parts.intake.receive(adapter, inbound("LAPOR pungli di kelurahan", sender="+6281277700131",
                                                       door="wa-cloud", channel="whatsapp"))
    assert outcome.reply_queued                                    # in the intake script
    reply = _taken_and_lost(wa_parts)
    assert (reply["kind"], reply["complaint_id"]) == ("ack", outcome.complaint_id)
    assert wa_parts.store.redis.hexists(RECORDS, reply["reply_id"])
    worker = _comes_back_after_the_delay(wa_parts, reply)
    worker.handle(reply, {})
    [sent] = graph.requests
    assert json.loads(sent["body"])["to"] == "6281277700131"
    assert outcome.tracking_number in json.loads(sent["body"])["text"]["body"]
    assert wa_parts.store.redis.hlen(RECORDS) == 0                 # sent: forgotten
    _age(wa_parts, 601)
    assert look_for_lost(worker, 600) == 0 and len(graph.requests) == 1


def test_a_reply_lost_by_a_notifier_found_dead_comes_back_at_the_next_sweep(wa_parts, graph):
    adapter = wa_parts.adapters["wa-cloud"]
    outcome = wa_parts.intake.receive(adapter, inbound("LAPOR jalan berlubang", sender="+6281277700134",
                                                       door="wa-cloud", channel="whatsapp"))
    reply = _taken_and_lost(wa_parts)
    worker = NotifyWorker(wa_parts, threading.Event())
    with connect(wa_parts.settings.broker_url) as connection:
        channel = connection.default_channel
        worker.after_sweep(channel)                       # at start: nothing lost yet that old
        assert queued_bodies(wa_parts.store.redis, REPLIES) == []
        _age(wa_parts, recovery.LEASE_SECONDS / 2 + 1)
        recovery.sweep(channel, wa_parts.settings.broker_url)
        worker.after_sweep(channel)                       # no consumer died: the 600 s hold
        assert queued_bodies(wa_parts.store.redis, REPLIES) == []
        # the notifier that took it, killed: registered, its lease expired, nothing backed up
        wa_parts.store.redis.zadd(keys.CONSUMERS, {"killed-notifier": time.time() - 60})
        assert recovery.sweep(channel, wa_parts.settings.broker_url) == (1, 0)
        worker.after_sweep(channel)
    assert queued_bodies(wa_parts.store.redis, REPLIES) == [reply]
    worker.handle(reply, {})
    assert [json.loads(r["body"])["to"] for r in graph.requests] == ["6281277700134"]
    assert outcome.tracking_number in json.loads(graph.requests[0]["body"])["text"]["body"]


def test_a_status_notice_taken_before_its_backup_is_sent_after_the_reconcile_delay(wa_parts, graph):
    outcome = wa_parts.intake.take(inbound("LAPOR sampah menumpuk", sender="+6281277700132",
                                           door="wa-cloud", channel="whatsapp"))
    assert queued_bodies(wa_parts.store.redis, REPLIES) == []      # no adapter: no acknowledgement
    assert notify(wa_parts, outcome.complaint_id, outcome.tracking_number) is True
    reply = _taken_and_lost(wa_parts)
    assert reply["kind"] == "status"
    _comes_back_after_the_delay(wa_parts, reply).handle(reply, {})
    assert [json.loads(r["body"])["to"] for r in graph.requests] == ["6281277700132"]
    assert wa_parts.store.redis.hlen(RECORDS) == 0


def test_a_reply_scheduled_for_a_retry_is_not_put_back_and_a_dead_one_is_forgotten(parts):
    reply = {"door_id": "no-such-door", "to": "+6281277700133", "text": "LAPOR!", "complaint_id": "c9",
             "kind": "status", "reply_id": "r" * 32, "attempts": 1}
    parts.store.reply_jobs.add(reply)
    parts.store.schedule("reply", json.dumps(reply), 3600)
    _age(parts, 601)
    worker = NotifyWorker(parts, threading.Event())
    assert look_for_lost(worker, 600) == 0 and queued_bodies(parts.store.redis, REPLIES) == []
    worker.handle(reply, {})                               # an unknown door: dead-lettered
    assert parts.store.redis.hlen(RECORDS) == 0 and parts.store.reply_jobs.stale(0) == []
