"""Dead letters: list what could not be delivered, and re-drive it.

``list_dead`` reads every message on ``lapor.dead`` and puts each back untouched (works on
Redis and AMQP alike); each row names the door and the agency that owns it (the door's, from
the doors file): ``/petugas/dead`` shows a supervisor their agency's only. ``replay`` takes
dead complaints (all, or the given ids) off the dead-letter queue, resets their ledger entry
(state ``accepted``, attempts 0) and publishes them to the complaints queue again; dead
replies go back to the replies queue, dead media jobs to the media queue.
"""
from __future__ import annotations

from forwarder import topology
from forwarder.media import enqueue_media
from forwarder.notifier import enqueue_reply
from forwarder.worker import republish


def _drain(parts, connection, limit: int, progress=None):
    """Yield (body, headers, message) for up to ``limit`` dead messages, unacknowledged;
    ``progress(done, total)`` after each one, if given (the CLI's bar)."""
    queue = parts.publisher.topology.queue(topology.DEAD)(connection.default_channel)
    queue.declare()
    total = min(limit, queue.queue_declare().message_count)
    for done in range(1, limit + 1):
        if progress is not None:
            progress(min(done, total), total)
        message = queue.get(no_ack=False, accept=["json"])
        if message is None:
            return
        yield message.payload, dict(message.headers or {}), message


def list_dead(parts, limit: int = 1000) -> list[dict]:
    rows, held = [], []
    with topology.connect(parts.settings.broker_url) as connection:
        for body, headers, message in _drain(parts, connection, limit):
            held.append(message)
            rows.append({"id": headers.get("idempotency_key", ""), "kind": headers.get("kind"),
                         "reason": headers.get("reason", ""), "attempts": headers.get("attempts"),
                         "failed_at": headers.get("failed_at", ""),
                         "tracking_number": body.get("tracking_number", "") if isinstance(body, dict) else "",
                         "what": _what(body), **_owner(parts, body)})
        for message in held:
            message.requeue()
    return rows


def replay(parts, ids: set[str] | None = None, limit: int = 100000, progress=None) -> int:
    """Re-drive dead messages (``ids`` None = all); returns how many were replayed.
    ``progress(done, total)`` is called as the dead-letter queue is read."""
    count, keep = 0, []
    with topology.connect(parts.settings.broker_url) as connection:
        for body, headers, message in _drain(parts, connection, limit, progress):
            key = headers.get("idempotency_key", "")
            if ids is not None and key not in ids:
                keep.append(message)
                continue
            if isinstance(body, dict) and "provider_ref" in body:      # a media job
                door, job = parts.catalogue.doors.get(body.get("door_id")), {**body, "attempts": 0}
                enqueue_media(parts.store, parts.publisher, door.channel if door else "unknown", job)
            elif isinstance(body, dict) and "door_id" in body:
                door = parts.catalogue.doors.get(body["door_id"])
                enqueue_reply(parts.store, parts.publisher, door.channel if door else "unknown",
                              {**body, "attempts": 0})
            elif isinstance(body, dict) and (body.get("id") or body.get("event_id")):
                cid = key or body.get("id") or body["event_id"]
                parts.store.mark_replayed(cid)
                if not republish(parts, cid, "replay", parts.store.ledger(cid)):
                    kind = "event" if "event_id" in body else "complaint"   # body gone from store
                    stage = "event" if kind == "event" else "replay"
                    parts.publisher.publish(f"complaint.{stage}.{body.get('channel', 'unknown')}",
                                            body, cid, kind)
            else:
                keep.append(message)   # malformed: stays for a person to look at
                continue
            message.ack()
            count += 1
        for message in keep:
            message.requeue()
    return count


def _owner(parts, body) -> dict[str, str]:
    """The door a dead message came through and the agency that owns that door."""
    door_id = (body.get("door") or body.get("door_id") or "") if isinstance(body, dict) else ""
    door = parts.catalogue.doors.get(door_id) if isinstance(door_id, str) else None
    agency = door.agency if door else (body.get("door_agency", "") if isinstance(body, dict) else "")
    return {"door": door_id if isinstance(door_id, str) else "", "agency": agency}


def _what(body) -> str:
    if not isinstance(body, dict):
        return "malformed"
    if "provider_ref" in body:
        return "media"
    if "door_id" in body:
        return "reply"
    return "event" if "event_id" in body else "complaint"
