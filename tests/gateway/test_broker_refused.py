"""What a recorded message sets going when the broker refuses it, the store being up (a
RabbitMQ broker down): its media jobs and the status notices are scheduled in the store, and
the worker's retry tick queues each once the broker is back. Before, each was logged as
"not queued" and lost: an attachment never fetched, a status change never told."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest

from config.settings import load_settings
from forwarder import keys
from forwarder.media import MediaWorker
from forwarder.notifier import NotifyWorker
from forwarder.queue import PublishError
from gateway.central_api import notify
from gateway.wiring import build_parts
from normalizer.values import Attachment
from tests.helpers import inbound, queued_bodies

REFUSED = "amqp://guest:guest@127.0.0.1:1//"      # nothing listens on port 1


@pytest.fixture
def refused_then_back(environ):
    """Parts whose broker refuses (the store is up), and the same gateway's parts once the
    broker is back (the store's Redis as broker)."""
    refused = build_parts(load_settings(dict(environ, LAPOR_BROKER_URL=REFUSED)))
    back = build_parts(load_settings(environ))
    yield refused, back
    refused.publisher.close()
    back.publisher.close()


def _due(parts, kind: str) -> None:
    """Wait until what was scheduled is due (``PUBLISH_RETRY_SECONDS``)."""
    deadline = time.monotonic() + 5
    while parts.store.redis.zcount(keys.retry(kind), "-inf", time.time()) == 0:
        assert time.monotonic() < deadline, f"nothing {kind} became due"
        time.sleep(0.1)


def test_a_media_job_the_broker_refuses_is_scheduled_and_queued_when_it_is_back(refused_then_back):
    refused, back = refused_then_back
    photo = Attachment("image", "image/jpeg", provider_ref="MMS-ref-1", filename="lubang.jpg")
    outcome = refused.intake.take(replace(inbound("LAPOR jalan berlubang", provider_id="mms-1"),
                                          attachments=(photo,)))
    assert outcome.tracking_number and refused.store.scheduled("media") == 1
    _due(back, "media")
    MediaWorker(back, threading.Event()).tick()
    [job] = queued_bodies(back.store.redis, "lapor.media")
    assert (job["complaint_id"], job["tracking_number"], job["provider_ref"]) == (
        outcome.complaint_id, outcome.tracking_number, "MMS-ref-1")
    assert back.store.scheduled("media") == 0


def test_a_status_notice_the_broker_refuses_is_scheduled_and_queued_when_it_is_back(refused_then_back):
    refused, back = refused_then_back
    outcome = refused.intake.take(inbound("LAPOR lampu jalan mati", provider_id="sms-2"))
    assert notify(refused, outcome.complaint_id, outcome.tracking_number) is True
    assert refused.store.scheduled("reply") == 1
    _due(back, "reply")
    NotifyWorker(back, threading.Event()).tick()
    [queued] = back.store.redis.lrange("lapor.replies", 0, -1)
    assert json.loads(queued)["headers"]["kind"] == "reply"
    [notice] = queued_bodies(back.store.redis, "lapor.replies")
    assert (notice["kind"], notice["complaint_id"], notice["to"]) == (
        "status", outcome.complaint_id, "+6281234567890")
    # recorded until sent only on the Redis broker, whose BRPOP can lose it (forwarder.store_jobs)
    assert not refused.store.reply_jobs.enabled and back.store.reply_jobs.enabled
    assert back.store.redis.hkeys(keys.jobs("reply")) == [notice["reply_id"].encode()]


@pytest.mark.parametrize("worker, kind", [(MediaWorker, "media"), (NotifyWorker, "reply")])
def test_a_retry_tick_that_meets_the_refusing_broker_keeps_what_it_took(refused_then_back, worker, kind):
    refused, _back = refused_then_back
    for n in range(3):
        refused.store.schedule(kind, json.dumps({"door_id": "sms-1708", "complaint_id": f"c{n}",
                                                 "index": 0, "to": "+6281234567890"}), 0)
    with pytest.raises(PublishError):
        worker(refused, threading.Event()).tick()
    assert refused.store.scheduled(kind) == 3         # taken, refused, scheduled again
