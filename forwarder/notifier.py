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
the citizen opted out (``SendError.opted_out``) records STOP for them.

Same rules as the forwarder: a retryable ``SendError`` schedules the reply again with
backoff and jitter (``retry:reply`` in Redis holds the whole reply), a permanent one or too
many attempts dead-letters it (``dead.reply``) with the reason. Handles are personal data:
they are never logged in clear.
"""
from __future__ import annotations

import json
import logging
import threading
import uuid

from channels.base import SendError
from forwarder.clock import utc_stamp
from forwarder.consumer import QueueWorker, backoff
from forwarder.delivery import ReplyTracker
from forwarder.topology import REPLIES
from normalizer.identity import mask
from normalizer.values import OutboundMessage

log = logging.getLogger("lapor.notifier")
_FIELDS = ("door_id", "to", "text", "complaint_id", "kind", "private", "reply_to", "tracking_number",
           "reply_id", "language", "status")


def reply_message(channel: str, reply: dict) -> tuple[str, dict, str]:
    """A reply as the replies queue carries it: (routing key, body with its attempts and
    ``reply_id``, idempotency key)."""
    return (f"reply.{channel}", {**reply, "attempts": reply.get("attempts", 0),
                                 "reply_id": reply.get("reply_id") or uuid.uuid4().hex},
            reply.get("complaint_id") or "reply")


def enqueue_reply(publisher, channel: str, reply: dict) -> None:
    """Put a reply on the replies queue (the one way replies travel; a new complaint's
    acknowledgement may go in the store's own intake step instead, ``gateway.acceptance``)."""
    routing_key, body, key = reply_message(channel, reply)
    publisher.publish(routing_key, body, key, "reply")


class NotifyWorker(QueueWorker):
    queue_name = REPLIES
    worker_name = "notifier"

    def __init__(self, parts, stop: threading.Event):
        super().__init__(parts, stop, concurrency=4)
        self.tracker = ReplyTracker(parts.settings, parts.catalogue, parts.store, parts.publisher)

    def handle(self, body, headers: dict) -> None:
        if not isinstance(body, dict) or body.get("door_id") not in self.parts.adapters:
            self._dead(body, "malformed reply or unknown door")
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

    def _dead(self, body, reason: str) -> None:
        key = body.get("complaint_id", "") if isinstance(body, dict) else ""
        self.publisher.publish("dead.reply", body, key or "reply", "dead",
                               {"reason": reason, "failed_at": utc_stamp()})
        log.warning("dead-lettered reply complaint=%s: %s", key or "-", reason)

    def tick(self) -> None:
        self.publish_due("reply", self._republish)

    def _republish(self, payload: str) -> None:
        reply = json.loads(payload)
        door = self.parts.catalogue.doors.get(reply.get("door_id"))
        enqueue_reply(self.publisher, door.channel if door else "unknown", reply)


def run_notifier(parts, stop: threading.Event) -> None:
    """Run the notifier until ``stop`` is set, on the parts the wiring point built."""
    NotifyWorker(parts, stop).run()
