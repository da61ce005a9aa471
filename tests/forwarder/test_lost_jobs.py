"""A media job lost on its way to the media worker comes back (``forwarder.store_jobs``); a
reply or a media job scheduled for a retry is left alone, one dead-lettered is forgotten
(the replies' own tests: ``test_reply_recovery.py``).

On the Redis broker kombu takes a job with ``BRPOP`` and backs it up in its consumer's hash
just after; a worker killed in between took a job that is in neither. Here the job is taken
off the queue the way ``BRPOP`` takes it, and nothing else holds it: with the default
LAPOR_RECONCILE_AFTER_SECONDS (600) the worker's tick leaves it alone while it is young,
and puts it back once it is older (its record aged, not the setting shortened). A job
waiting in the queue or scheduled for a retry is never put back; a job done or
dead-lettered is forgotten."""
from __future__ import annotations

import json
import threading
import time

import pytest

from forwarder import keys, recovery
from forwarder.media import MediaWorker
from forwarder.notifier import NotifyWorker
from forwarder.topology import COMPLAINTS, MEDIA, REPLIES
from tests.channels import webhook_support as wh
from tests.gateway.support import png_bytes
from tests.forwarder.lost_jobs import (age_records, age_suspicions, comes_back_after_the_delay, look_for_lost,
                                      taken_and_lost)
from tests.helpers import Receiver, queued_bodies


def test_a_job_taken_before_its_backup_comes_back_after_the_reconcile_delay(environ, tmp_path):
    with Receiver(default=(200, {"Content-Type": "image/png"}, png_bytes(3, 3))) as files:
        environ.update(LAPOR_DOORS_FILE=wh.doors_file(tmp_path, wh.door(insecure_origins_for_tests=[files.url])),
                       **{wh.SECRET_VARIABLE: wh.SECRET})
        client, parts = wh.gateway(environ)
        try:
            assert wh.post(client, wh.report(lampiran=[files.url + "/f/foto.png"])).status_code == 201
            job = taken_and_lost(parts, MEDIA)
            worker = MediaWorker(parts, threading.Event())
            comes_back_after_the_delay(worker, MEDIA, job)
            worker.handle(job, {})
            events = [item for item in queued_bodies(parts.store.redis, COMPLAINTS) if item.get("type") == "media"]
            assert len(events) == 1 and len(files.requests) == 1
            assert parts.store.redis.hlen(keys.jobs("media")) == 0          # done: forgotten
        finally:
            parts.publisher.close()


@pytest.mark.parametrize("worker_class, kind, queue, job", [
    (MediaWorker, "media", MEDIA, {"door_id": "no-such-door", "complaint_id": "c9", "index": 0,
                                   "tracking_number": "27410935882", "provider_message_id": "m9",
                                   "kind": "image", "content_type": "image/png", "provider_ref": "ref-9",
                                   "filename": "", "attempts": 1}),
    (NotifyWorker, "reply", REPLIES, {"door_id": "no-such-door", "to": "+6281277700133", "text": "LAPOR!",
                                      "complaint_id": "c9", "kind": "status", "reply_id": "r" * 32,
                                      "attempts": 1})])
def test_a_job_scheduled_for_a_retry_is_not_put_back_and_a_dead_one_is_forgotten(parts, worker_class, kind,
                                                                                 queue, job):
    jobs = parts.store.media_jobs if kind == "media" else parts.store.reply_jobs
    jobs.add(job)
    age_records(parts, kind, 3 * 3600)                     # queued long ago, then failed
    parts.store.schedule(kind, json.dumps(job), 3600)
    worker = worker_class(parts, threading.Event())
    assert look_for_lost(worker, 600) == 0 and queued_bodies(parts.store.redis, queue) == []
    assert jobs.stale(0) == []                             # dated at its retry: not looked at
    worker.handle(job, {})                                 # an unknown door: dead-lettered
    assert parts.store.redis.hlen(keys.jobs(kind)) == 0 and jobs.stale(0) == []


def test_a_job_a_live_consumer_takes_between_two_looks_is_not_put_back(parts):
    """kombu keeps a ``BRPOP`` waiting on a live consumer's connection: a job it takes is in
    no queue and no hash until the consumer reads it into its hash a moment later. A first
    look that finds it nowhere only suspects it; the second, 5 s later, finds it held."""
    reply = {"door_id": "sms-1708", "to": "+6281277700136", "text": "LAPOR!", "complaint_id": "c8",
             "kind": "status", "reply_id": "8" * 32, "attempts": 0}
    parts.store.reply_jobs.add(reply)
    age_records(parts, "reply", 601)
    worker = NotifyWorker(parts, threading.Event())
    assert look_for_lost(worker, 600) == 0 and list(worker.lost.suspects) == [reply["reply_id"]]
    live = "live-notifier"                                # reads its BRPOP into its hash
    parts.store.redis.zadd(keys.CONSUMERS, {live: time.time()})
    parts.store.redis.set(keys.LEASE + live, 1, ex=60)
    parts.store.redis.hset(keys.HELD + live, "tag-1",
                           json.dumps([{"headers": {"idempotency_key": reply["reply_id"]}}, "", ""]))
    age_suspicions(worker)
    assert look_for_lost(worker, 600) == 0 and worker.lost.suspects == {}
    assert queued_bodies(parts.store.redis, REPLIES) == []


def test_a_look_put_off_by_a_backlog_leaves_no_confirming_look_behind(parts, monkeypatch):
    """Past PRESENCE_SCAN_LIMIT messages waiting the look is put off; the next tick must not
    try a confirming look (an LLEN every tick) for what the last look suspected."""
    reply = {"door_id": "sms-1708", "to": "+6281277700137", "text": "LAPOR!", "complaint_id": "c7",
             "kind": "status", "reply_id": "7" * 32, "attempts": 0}
    parts.store.reply_jobs.add(reply)
    age_records(parts, "reply", 601)
    worker = NotifyWorker(parts, threading.Event())
    assert look_for_lost(worker, 600) == 0 and worker.lost.suspects
    monkeypatch.setattr(recovery, "PRESENCE_SCAN_LIMIT", -1)      # any queue is "a backlog"
    age_suspicions(worker)
    assert look_for_lost(worker, 600) == 0 and worker.lost.suspects == {}
    assert queued_bodies(parts.store.redis, REPLIES) == []


def test_a_job_in_the_schedule_with_an_older_date_is_not_put_back(parts):
    """A record dated before ``Store.schedule`` dated scheduled jobs (an earlier version's,
    still waiting) looks lost to a look; the schedule is read before it is put back."""
    reply = {"door_id": "sms-1708", "to": "+6281277700138", "text": "LAPOR!", "complaint_id": "c6",
             "kind": "status", "reply_id": "6" * 32, "attempts": 1}
    parts.store.reply_jobs.add(reply)
    parts.store.redis.zadd(keys.retry("reply"), {json.dumps(reply): time.time() + 3600})
    age_records(parts, "reply", 601)
    worker = NotifyWorker(parts, threading.Event())
    assert look_for_lost(worker, 600) == 0 and worker.lost.suspects
    age_suspicions(worker)
    assert look_for_lost(worker, 600) == 0 and worker.lost.suspects == {}
    assert queued_bodies(parts.store.redis, REPLIES) == []
