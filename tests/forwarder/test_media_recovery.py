"""A media job lost on its way to the media worker comes back (``forwarder.store_jobs``).

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

from forwarder import keys
from forwarder.media import MediaWorker
from forwarder.topology import COMPLAINTS, MEDIA
from tests.channels import webhook_support as wh
from tests.gateway.support import png_bytes
from tests.helpers import Receiver, look_for_lost, queued_bodies


def _age(parts, seconds: float) -> None:
    """Every job record as if queued ``seconds`` ago."""
    for key in parts.store.redis.zrange(keys.jobs_since("media"), 0, -1):
        parts.store.redis.zadd(keys.jobs_since("media"), {key: time.time() - seconds})


def test_a_job_taken_before_its_backup_comes_back_after_the_reconcile_delay(environ, tmp_path):
    with Receiver(default=(200, {"Content-Type": "image/png"}, png_bytes(3, 3))) as files:
        environ.update(LAPOR_DOORS_FILE=wh.doors_file(tmp_path, wh.door(insecure_origins_for_tests=[files.url])),
                       **{wh.SECRET_VARIABLE: wh.SECRET})
        client, parts = wh.gateway(environ)
        try:
            assert parts.settings.reconcile_after_seconds == 600       # the default
            assert wh.post(client, wh.report(lampiran=[files.url + "/f/foto.png"])).status_code == 201
            [job] = queued_bodies(parts.store.redis, MEDIA)
            assert parts.store.redis.rpop(MEDIA)                         # BRPOP's end; no backup
            worker = MediaWorker(parts, threading.Event())
            worker.tick()
            assert queued_bodies(parts.store.redis, MEDIA) == []         # young: not yet
            _age(parts, 601)
            worker.lost.last = 0.0                                         # the next tick's turn
            worker.tick()
            assert queued_bodies(parts.store.redis, MEDIA) == [job]      # put back, once
            _age(parts, 601)
            assert look_for_lost(worker, 600) == 0                            # waiting in the queue
            worker.handle(job, {})
            events = [item for item in queued_bodies(parts.store.redis, COMPLAINTS) if item.get("type") == "media"]
            assert len(events) == 1 and len(files.requests) == 1
            assert parts.store.redis.hlen(keys.jobs("media")) == 0          # done: forgotten
        finally:
            parts.publisher.close()


def test_a_job_scheduled_for_a_retry_is_not_put_back_and_a_dead_one_is_forgotten(parts):
    job = {"door_id": "no-such-door", "complaint_id": "c9", "tracking_number": "27410935882",
           "provider_message_id": "m9", "index": 0, "kind": "image", "content_type": "image/png",
           "provider_ref": "ref-9", "filename": "", "attempts": 1}
    parts.store.media_jobs.add(job)
    parts.store.schedule("media", json.dumps(job), 3600)
    _age(parts, 601)
    worker = MediaWorker(parts, threading.Event())
    assert look_for_lost(worker, 600) == 0 and queued_bodies(parts.store.redis, MEDIA) == []
    worker.handle(job, {})                                 # an unknown door: dead-lettered
    assert parts.store.redis.hlen(keys.jobs("media")) == 0 and parts.store.media_jobs.stale(0) == []
