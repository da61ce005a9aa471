"""The media worker: fetch the attachments citizens sent through a provider, after the
acknowledgement, so a slow or failing download never blocks, delays or loses a complaint.

A job (routing key ``media.<channel>``, queue ``lapor.media``) names the door, the complaint
and the provider's reference. The worker calls the door adapter's ``fetch_media`` (with the
door's credentials), stores the bytes content-addressed under ``<data dir>/attachments``
(fsynced) and records a ``media`` event of the complaint (``FollowUpEventSchema``) carrying
the sha256, size and ``stored_ref``, which the forwarder delivers like any event. A failed
fetch is retried with backoff up to ``LAPOR_MAX_ATTEMPTS`` times, then dead-lettered
(``dead.media``) with the reason; the complaint itself was delivered long before. An
adapter that fails with anything but ``SendError`` is treated the same way, its exception
named by type only (its text may hold a provider URL with a token). Adapters download
through ``channels.download`` (exact provider hosts, public addresses, size limit).

A job is recorded in the store until it is done or dead (``forwarder.store_jobs``). On the
Redis broker ``forwarder.recovery.LostJobs`` puts back on the queue a job found nowhere,
taken by ``BRPOP`` in the instant before a worker was killed, before kombu backed it up,
once the dead worker is found. A second handling of a job records no second event.

Sample job::

    {"door_id": "telegram", "complaint_id": "5f0c...", "tracking_number": "27410935882",
     "provider_message_id": "1234:56", "index": 0, "kind": "image",
     "content_type": "image/jpeg", "size": 48213, "provider_ref": "AgACAgQAAx...",
     "filename": "", "attempts": 0}
"""
from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from datetime import datetime, timezone

from channels.base import SendError
from forwarder.attachments import write
from forwarder.clock import utc_stamp
from forwarder.store import AcceptResult
from forwarder.store_jobs import job_key
from forwarder.consumer import QueueWorker, backoff
from forwarder.recovery import LostJobs
from forwarder.topology import MEDIA
from normalizer.normalize import private_attachment
from normalizer.values import Attachment
from normalizer.schema import SCHEMA_VERSION

log = logging.getLogger("lapor.media")


def enqueue_media(store, publisher, channel: str, job: dict) -> None:
    """Record a media job (``forwarder.store_jobs``) and put it on the media queue: the one
    way jobs travel."""
    store.media_jobs.add(job)
    publisher.publish(f"media.{channel}", job, job_key(job), "media")


class MediaWorker(QueueWorker):
    queue_name = MEDIA
    worker_name = "media"

    def __init__(self, parts, stop: threading.Event):
        super().__init__(parts, stop, concurrency=4)
        self.lost = LostJobs(parts.store.media_jobs, (MEDIA,), self._enqueue, parts.settings)

    def handle(self, job, headers: dict) -> None:
        if not isinstance(job, dict) or job.get("door_id") not in self.parts.adapters:
            self._dead(job, "malformed media job or unknown door")
            return
        adapter = self.parts.adapters[job["door_id"]]
        wanted = Attachment(kind=job.get("kind", "other"), content_type=job.get("content_type", ""),
                            size=job.get("size"), provider_ref=job["provider_ref"],
                            filename=job.get("filename", ""))
        try:
            data, content_type = adapter.fetch_media(wanted)
            if len(data) > self.settings.max_body_bytes:
                raise SendError(f"media larger than {self.settings.max_body_bytes} bytes",
                                permanent=True)
        except SendError as exc:
            self._retry_or_dead(job, exc)
            return
        except Exception as exc:  # noqa: BLE001 - an adapter's unforeseen failure: its text may
            # hold a URL with a token; retried like any failure, then dead-lettered, never a loop
            self._retry_or_dead(job, SendError(f"media fetch failed ({type(exc).__name__})"))
            return
        try:
            digest = write(self.settings.attachments_dir, data)   # content-addressed, fsynced
        except OSError as exc:    # the (shared) volume cannot take it now: later, with backoff
            reason = os.strerror(exc.errno).lower() if exc.errno else type(exc).__name__
            self._retry_or_dead(job, SendError(f"attachments folder cannot take the file ({reason})"))
            return
        stored = {"kind": wanted.kind, "content_type": content_type or wanted.content_type,
                  "size": len(data), "provider_ref": wanted.provider_ref,
                  "filename": wanted.filename, "sha256": digest, "stored_ref": f"attachment:{digest}"}
        if job.get("private"):      # an anonymous or confidential complaint: keyed reference
            stored = private_attachment(stored, self.settings.secret_key)
        self.record(job, stored)

    def record(self, job: dict, stored: dict) -> None:
        """The media event of the complaint: ledgered and queued like a follow-up."""
        door = self.parts.catalogue.doors[job["door_id"]]
        event = {"schema_version": SCHEMA_VERSION,
                 "event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"media:{job['complaint_id']}:"
                                        f"{job['provider_message_id']}:{job['index']}").hex,
                 "type": "media", "complaint_id": job["complaint_id"],
                 "tracking_number": job["tracking_number"], "door": door.id,
                 "channel": door.channel, "provider_message_id": job["provider_message_id"],
                 "edit_of": "", "received_at": datetime.now(timezone.utc).isoformat(),
                 "body": "", "attachments": [stored], "location": None, "flags": []}
        result, *_ = self.store.accept_event(event, f"media:{event['event_id']}", "", 0)
        if result == AcceptResult.ACCEPTED:
            self.publisher.publish(f"complaint.event.{door.channel}", event, event["event_id"], "event")
        self.store.media_jobs.done(job)
        log.info("media stored complaint=%s sha256=%s", job["complaint_id"], stored["sha256"][:12])

    def _retry_or_dead(self, job: dict, exc: SendError) -> None:
        attempts = int(job.get("attempts", 0)) + 1
        if exc.permanent or attempts >= self.settings.max_attempts:
            self._dead({**job, "attempts": attempts}, exc.reason)
            return
        delay = backoff(attempts, self.settings.retry_base_seconds,
                        self.settings.retry_cap_seconds, exc.retry_after)
        self.store.schedule("media", json.dumps({**job, "attempts": attempts}), delay)
        log.info("media retry complaint=%s attempt=%d in %.1fs: %s", job.get("complaint_id"),
                 attempts, delay, exc.reason)

    def _dead(self, job, reason: str) -> None:
        key = job_key(job) if isinstance(job, dict) else "media"
        self.publisher.publish("dead.media", job, key, "dead", {"reason": reason, "failed_at": utc_stamp()})
        if isinstance(job, dict):
            self.store.media_jobs.done(job)     # a person replays it from the dead letters
        log.warning("media dead-lettered %s: %s", key, reason)

    def tick(self) -> None:
        self.publish_due("media", lambda payload: self._enqueue(json.loads(payload)))
        self.lost.tick()

    def after_sweep(self, channel) -> None:
        self.lost.after_sweep(channel)

    def _enqueue(self, job: dict) -> None:
        door = self.parts.catalogue.doors.get(job.get("door_id"))
        enqueue_media(self.store, self.publisher, door.channel if door else "unknown", job)


def run_media(parts, stop: threading.Event) -> None:
    """Run the media worker until ``stop`` is set, on the parts the wiring point built."""
    MediaWorker(parts, stop).run()
