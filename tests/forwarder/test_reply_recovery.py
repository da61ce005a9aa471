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
sent again within seconds. A reply waiting in the queue is never put back; a reply sent is
forgotten (scheduled or dead-lettered ones: ``test_lost_jobs.py``)."""
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
from tests.forwarder.lost_jobs import (age_records, age_suspicions, comes_back_after_the_delay, look_for_lost,
                                      taken_and_lost)
from tests.helpers import Receiver, inbound, queued_bodies

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


def _comes_back_after_the_delay(parts, reply: dict) -> NotifyWorker:
    worker = NotifyWorker(parts, threading.Event())
    comes_back_after_the_delay(worker, REPLIES, reply)
    return worker


def test_an_acknowledgement_taken_before_its_backup_is_sent_after_the_reconcile_delay(wa_parts, graph):
    adapter = wa_parts.adapters["wa-cloud"]
    outcome = wa_parts.intake.receive(adapter, inbound("LAPOR pungli di kelurahan", sender="+6281277700131",
                                                       door="wa-cloud", channel="whatsapp"))
    assert outcome.reply_queued                                    # in the intake script
    reply = taken_and_lost(wa_parts, REPLIES)
    assert (reply["kind"], reply["complaint_id"]) == ("ack", outcome.complaint_id)
    assert wa_parts.store.redis.hexists(RECORDS, reply["reply_id"])
    worker = _comes_back_after_the_delay(wa_parts, reply)
    worker.handle(reply, {})
    [sent] = graph.requests
    assert json.loads(sent["body"])["to"] == "6281277700131"
    assert outcome.tracking_number in json.loads(sent["body"])["text"]["body"]
    assert wa_parts.store.redis.hlen(RECORDS) == 0                 # sent: forgotten
    age_records(wa_parts, "reply", 601)
    assert look_for_lost(worker, 600) == 0 and len(graph.requests) == 1


def test_a_reply_lost_by_a_notifier_found_dead_comes_back_at_the_next_sweep(wa_parts, graph):
    adapter = wa_parts.adapters["wa-cloud"]
    outcome = wa_parts.intake.receive(adapter, inbound("LAPOR jalan berlubang", sender="+6281277700134",
                                                       door="wa-cloud", channel="whatsapp"))
    reply = taken_and_lost(wa_parts, REPLIES)
    worker = NotifyWorker(wa_parts, threading.Event())
    with connect(wa_parts.settings.broker_url) as connection:
        channel = connection.default_channel
        worker.after_sweep(channel)                       # at start: nothing lost yet that old
        assert queued_bodies(wa_parts.store.redis, REPLIES) == []
        age_records(wa_parts, "reply", recovery.LEASE_SECONDS / 2 + 1)
        recovery.sweep(channel, wa_parts.settings.broker_url)
        worker.after_sweep(channel)                       # no consumer died: the 600 s hold
        assert queued_bodies(wa_parts.store.redis, REPLIES) == []
        # the notifier that took it, killed: registered, its lease expired, nothing backed up
        wa_parts.store.redis.zadd(keys.CONSUMERS, {"killed-notifier": time.time() - 60})
        assert recovery.sweep(channel, wa_parts.settings.broker_url) == (1, 0)
        worker.after_sweep(channel)                       # found nowhere: a suspect
    assert queued_bodies(wa_parts.store.redis, REPLIES) == []
    age_suspicions(worker)
    worker.tick()                                         # the confirming look, 5 s later
    assert queued_bodies(wa_parts.store.redis, REPLIES) == [reply]
    worker.handle(reply, {})
    assert [json.loads(r["body"])["to"] for r in graph.requests] == ["6281277700134"]
    assert outcome.tracking_number in json.loads(graph.requests[0]["body"])["text"]["body"]


def test_a_status_notice_taken_before_its_backup_is_sent_after_the_reconcile_delay(wa_parts, graph):
    outcome = wa_parts.intake.take(inbound("LAPOR sampah menumpuk", sender="+6281277700132",
                                           door="wa-cloud", channel="whatsapp"))
    assert queued_bodies(wa_parts.store.redis, REPLIES) == []      # no adapter: no acknowledgement
    assert notify(wa_parts, outcome.complaint_id, outcome.tracking_number) is True
    reply = taken_and_lost(wa_parts, REPLIES)
    assert reply["kind"] == "status"
    _comes_back_after_the_delay(wa_parts, reply).handle(reply, {})
    assert [json.loads(r["body"])["to"] for r in graph.requests] == ["6281277700132"]
    assert wa_parts.store.redis.hlen(RECORDS) == 0


def test_a_copy_of_a_reply_the_provider_took_is_not_sent_again(wa_parts, graph):
    """A notifier killed after the send, before the broker heard it was done: the broker
    (or a sweep) hands the same reply to the next notifier."""
    adapter = wa_parts.adapters["wa-cloud"]
    wa_parts.intake.receive(adapter, inbound("LAPOR lampu jalan mati", sender="+6281277700135",
                                             door="wa-cloud", channel="whatsapp"))
    [reply] = queued_bodies(wa_parts.store.redis, REPLIES)
    worker = NotifyWorker(wa_parts, threading.Event())
    worker.handle(reply, {})
    wa_parts.store.reply_jobs.add(reply)       # its record, as a kill before the clearing left it
    worker.handle(reply, {})                                     # the copy put back
    assert len(graph.requests) == 1
    assert wa_parts.store.redis.hlen(RECORDS) == 0
