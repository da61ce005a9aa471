"""The notifier: replies queue -> the door's channel adapter ``send()``.

A reply message body (routing key ``reply.<channel>``)::

    {"door_id": "sms-1708", "to": "+6281234567890", "text": "LAPOR! ...",
     "complaint_id": "5f0c...", "kind": "ack|status", "private": false, "attempts": 0,
     "reply_id": "9b1e...", "sender_kind": "phone", "language": "id"}

A status change for a door that calls its owner back (a webhook door's ``callback_url``)
has no ``to`` and carries ``"status": {"status": ..., "agency": ..., "note": ...,
"due_date": ...}``, the public fields the adapter sends (``OutboundMessage.status``).

Every reply's fate is recorded (``forwarder.delivery``): ``accepted`` with the provider's
message id when ``send()`` returns, ``failed`` when it fails for good; a failure that means
the citizen opted out (``SendError.opted_out``) records STOP for them. A copy of a reply the
provider already took (put back after a notifier died before the broker heard it was done)
is not sent again.

Same rules as the forwarder: a retryable ``SendError`` schedules the reply again with
backoff and jitter (``retry:reply`` in Redis holds the whole reply), a permanent one or too
many attempts dead-letters it (``dead.reply``) with the reason. Handles are personal data:
they are never logged in clear.

Every reply is recorded in the store from before it is queued until the notifier is done
with it: sent, failed for good, or dead-lettered (``forwarder.store_jobs``). On the Redis
broker ``forwarder.recovery.LostJobs`` puts back a reply taken by ``BRPOP`` in the instant
before a notifier was killed, before kombu backed it up, once the dead notifier is found.
"""
from __future__ import annotations

import json
import logging
import threading
import uuid

from redis import RedisError

from channels.base import SendError
from forwarder.clock import utc_stamp
from forwarder.consumer import QueueWorker, backoff
from forwarder.delivery import ReplyTracker
from forwarder.recovery import LostJobs
from forwarder.topology import REPLIES
from normalizer.identity import mask
from normalizer.values import OutboundMessage

log = logging.getLogger("lapor.notifier")
_FIELDS = ("door_id", "to", "text", "complaint_id", "kind", "private", "reply_to", "tracking_number",
           "reply_id", "language", "status")


def reply_message(channel: str, reply: dict) -> tuple[str, dict, str]:
    """A reply as the replies queue carries it: (routing key, body with its attempts and
    ``reply_id``, idempotency key: the ``reply_id``)."""
    rid = reply.get("reply_id") or uuid.uuid4().hex
    return f"reply.{channel}", {**reply, "attempts": reply.get("attempts", 0), "reply_id": rid}, rid


def enqueue_reply(store, publisher, channel: str, reply: dict) -> None:
    """Record a reply (``forwarder.store_jobs``) and put it on the replies queue: the one way
    replies travel (a new complaint's acknowledgement may go in the store's own intake step
    instead, ``gateway.acceptance``)."""
    routing_key, body, key = reply_message(channel, reply)
    store.reply_jobs.add(body)
    publisher.publish(routing_key, body, key, "reply")


class NotifyWorker(QueueWorker):
    queue_name = REPLIES
    worker_name = "notifier"

    def __init__(self, parts, stop: threading.Event):
        super().__init__(parts, stop, concurrency=4)
        self.tracker = ReplyTracker(parts.settings, parts.catalogue, parts.store, parts.publisher)
        self.lost = LostJobs(parts.store.reply_jobs, (REPLIES,), self._enqueue, parts.settings)

    def handle(self, body, headers: dict) -> None:
        if not isinstance(body, dict) or body.get("door_id") not in self.parts.adapters:
            self._dead(body, "malformed reply or unknown door")
            return
        if self.tracker.taken(body):       # put back after a kill that followed its send
            log.info("reply already with the provider, not sent again complaint=%s",
                     body.get("complaint_id") or "-")
            self._forget(body)
            return
        adapter = self.parts.adapters[body["door_id"]]
        try:
            provider_ref = adapter.send(OutboundMessage(**{k: body[k] for k in _FIELDS if k in body}))
            log.info("sent %s reply door=%s to=%s", body.get("kind"), body["door_id"],
                     mask(body.get("to", "")))
        except SendError as exc:
            attempts = int(body.get("attempts", 0)) + 1
            if exc.permanent or attempts >= self.settings.max_attempts:
                self.tracker.failed(body, exc.code, exc.opted_out)
                self._dead({**body, "attempts": attempts}, exc.reason)
                return
            delay = backoff(attempts, self.settings.retry_base_seconds,
                            self.settings.retry_cap_seconds, exc.retry_after)
            self.store.schedule("reply", json.dumps({**body, "attempts": attempts},
                                                     ensure_ascii=False), delay)
            log.info("retry reply door=%s attempt=%d in %.1fs: %s", body["door_id"], attempts,
                     delay, exc.reason)
            return
        self.tracker.sent(body, provider_ref if isinstance(provider_ref, str) else None)
        self._forget(body)

    def _dead(self, body, reason: str) -> None:
        key = body.get("complaint_id", "") if isinstance(body, dict) else ""
        self.publisher.publish("dead.reply", body, key or "reply", "dead",
                               {"reason": reason, "failed_at": utc_stamp()})
        log.warning("dead-lettered reply complaint=%s: %s", key or "-", reason)
        if isinstance(body, dict):
            self._forget(body)           # a person replays it from the dead letters

    def _forget(self, body: dict) -> None:
        """Done with this reply: its record goes (kept, the reconciler would send it again)."""
        try:
            self.store.reply_jobs.done(body)
        except RedisError as exc:
            log.warning("reply record not cleared complaint=%s (%s)", body.get("complaint_id") or "-",
                        type(exc).__name__)

    def tick(self) -> None:
        self.publish_due("reply", lambda payload: self._enqueue(json.loads(payload)))
        self.lost.tick()

    def after_sweep(self, channel) -> None:
        self.lost.after_sweep(channel)

    def _enqueue(self, reply: dict) -> None:
        door = self.parts.catalogue.doors.get(reply.get("door_id"))
        enqueue_reply(self.store, self.publisher, door.channel if door else "unknown", reply)


def run_notifier(parts, stop: threading.Event) -> None:
    """Run the notifier until ``stop`` is set, on the parts the wiring point built."""
    NotifyWorker(parts, stop).run()
