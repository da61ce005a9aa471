"""A backlog older than LAPOR_RECONCILE_AFTER_SECONDS that a forwarder is draining is not
published again by its reconciler (issue 12, bench/backlog.py: 500 copies every 5 s grew the
queue faster than one forwarder drained it); an idle forwarder still reconciles, and so does
a busy one that keeps up with fresh complaints, for a complaint the queue lost."""
from __future__ import annotations

import threading
import time

import redis

from forwarder import keys
from forwarder.topology import COMPLAINTS
from forwarder.worker import ForwardWorker
from tests.helpers import inbound, queued_bodies

BACKLOG = 6


def _stale_backlog(parts) -> list[dict]:
    """BACKLOG complaints on the queue, all accepted an hour ago (older than the reconciler's
    threshold)."""
    for i in range(BACKLOG):
        parts.intake.take(inbound(f"LAPOR jalan berlubang nomor {i}", sender=f"0812000000{i:02d}"))
    bodies = queued_bodies(parts.store.redis, COMPLAINTS)
    for body in bodies:
        _accepted_an_hour_ago(parts, body["id"])
    return bodies


def _accepted_an_hour_ago(parts, cid: str) -> None:
    an_hour_ago = time.time() - 3600
    parts.store.redis.zadd("lapor:pending", {cid: an_hour_ago})
    parts.store.redis.hset(keys.ledger(cid), "accepted_at", an_hour_ago)


def test_a_draining_forwarder_does_not_republish_its_backlog(parts, receiver, redis_url):
    bodies = _stale_backlog(parts)
    client = redis.Redis.from_url(redis_url)
    worker = ForwardWorker(parts, threading.Event())
    first = bodies[0]
    worker.handle(first, {"idempotency_key": first["id"], "kind": "complaint"})   # draining
    client.rpop(COMPLAINTS)                              # the one it took (oldest)
    worker.tick()
    assert client.llen(COMPLAINTS) == BACKLOG - 1, "the waiting backlog was published again"
    assert parts.store.ledger(first["id"])["state"] == "delivered"

    idle = ForwardWorker(parts, threading.Event())      # has handled nothing: reconciles
    idle.tick()
    assert client.llen(COMPLAINTS) == 2 * (BACKLOG - 1)


def test_a_busy_forwarder_that_keeps_up_still_finds_a_lost_complaint(parts, receiver, redis_url):
    client = redis.Redis.from_url(redis_url)
    parts.intake.take(inbound("LAPOR lampu jalan mati", sender="081200000077"))
    [lost] = queued_bodies(parts.store.redis, COMPLAINTS)
    client.delete(COMPLAINTS)                            # the broker lost it
    _accepted_an_hour_ago(parts, lost["id"])
    worker = ForwardWorker(parts, threading.Event())
    for i in range(3):                                   # fresh traffic, taken at once
        parts.intake.take(inbound(f"LAPOR sampah menumpuk {i}", sender=f"08120000008{i}"))
        fresh = queued_bodies(parts.store.redis, COMPLAINTS)[-1]
        client.rpop(COMPLAINTS)
        worker.handle(fresh, {"idempotency_key": fresh["id"], "kind": "complaint"})
    worker.tick()
    assert [body["id"] for body in queued_bodies(parts.store.redis, COMPLAINTS)] == [lost["id"]]
