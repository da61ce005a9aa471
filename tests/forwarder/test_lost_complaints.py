"""A complaint lost on its way to a forwarder comes back, and only that (Redis broker, for
real): kombu takes a message with ``BRPOP`` and backs it up in its consumer's hash just
after, so a forwarder killed in between took a complaint that is in neither. After a death
the forwarder's look (``recovery.LostJobs`` over the ledger, ``store_jobs.PendingComplaints``)
re-publishes a complaint still ``accepted`` that two looks 5 s apart find in no queue, no
consumer's hash and no retry schedule; never one a live forwarder's waiting ``BRPOP`` has
just taken, nor one scheduled for a retry, whose ledger is not even read. A look reads a
queue a chunk at a time."""
from __future__ import annotations

import json
import threading
import time

import redis

from forwarder import keys, recovery, store_jobs
from forwarder.worker import ForwardWorker, reconcile
from tests.forwarder.lost_jobs import age_suspicions, look_for_lost, queued_keys
from tests.helpers import inbound


def _one_taken_unbacked(parts, redis_url) -> tuple[list[str], str, float]:
    """Three complaints accepted an hour ago; one taken by ``BRPOP`` and backed up nowhere."""
    numbers = [parts.intake.take(inbound(f"LAPOR pungli loket {n}")).tracking_number
               for n in range(3)]
    client = redis.Redis.from_url(redis_url)
    ids = [client.get(f"lapor:t:{number}").decode() for number in numbers]
    client.rpop("lapor.complaints")
    [lost] = set(ids) - queued_keys(client)
    old = time.time() - 3600
    client.zadd("lapor:pending", dict.fromkeys(ids, old))
    return ids, lost, old


def test_a_complaint_found_nowhere_twice_is_published_again(parts, redis_url):
    ids, lost, old = _one_taken_unbacked(parts, redis_url)
    client = redis.Redis.from_url(redis_url)
    forwarder = ForwardWorker(parts, threading.Event())
    assert look_for_lost(forwarder, recovery.LEASE_SECONDS / 2) == 0      # only suspected
    assert list(forwarder.lost.suspects) == [lost] and client.llen("lapor.complaints") == 2
    age_suspicions(forwarder)
    assert look_for_lost(forwarder, recovery.LEASE_SECONDS / 2) == 1
    assert queued_keys(client) == set(ids) and client.llen("lapor.complaints") == 3
    assert all(client.zscore("lapor:pending", cid) > old for cid in ids)  # not again at once
    forwarder._pool.shutdown()


def test_a_complaint_scheduled_for_a_retry_is_left_to_its_retry(parts, redis_url, monkeypatch):
    """A complaint in the retry schedule (the central system was down) is in no queue and
    no hash, and is not lost: the looks leave it to its retry, without reading its ledger
    (an outage's thousands cost one command)."""
    ids, lost, old = _one_taken_unbacked(parts, redis_url)
    parts.store.schedule("complaint", lost, 3600)
    forwarder = ForwardWorker(parts, threading.Event())
    read, states = [], parts.store.deliveries.states
    monkeypatch.setattr(parts.store.deliveries, "states", lambda cids: read.extend(cids) or states(cids))
    assert look_for_lost(forwarder, recovery.LEASE_SECONDS / 2) == 0 and forwarder.lost.suspects == {}
    age_suspicions(forwarder)
    assert look_for_lost(forwarder, recovery.LEASE_SECONDS / 2) == 0
    assert lost not in queued_keys(redis.Redis.from_url(redis_url)) and read == []
    forwarder._pool.shutdown()


def test_a_complaint_a_live_forwarder_takes_between_two_looks_is_not_published_again(
        parts, redis_url):
    """A live forwarder's waiting ``BRPOP`` holds a complaint in no queue and no hash for a
    moment: the first look only suspects it, the second finds it in that forwarder's hash."""
    ids, lost, old = _one_taken_unbacked(parts, redis_url)
    client = redis.Redis.from_url(redis_url)
    forwarder = ForwardWorker(parts, threading.Event())
    assert look_for_lost(forwarder, recovery.LEASE_SECONDS / 2) == 0
    live = "live-forwarder"
    client.zadd(keys.CONSUMERS, {live: time.time()})
    client.set(keys.LEASE + live, 1, ex=60)
    client.hset(keys.HELD + live, "tag-1", json.dumps([{"headers": {"idempotency_key": lost}}, "", ""]))
    age_suspicions(forwarder)
    assert look_for_lost(forwarder, recovery.LEASE_SECONDS / 2) == 0 and forwarder.lost.suspects == {}
    assert lost not in queued_keys(client) and client.llen("lapor.complaints") == 2
    forwarder._pool.shutdown()


class _Moving:
    """A Redis client whose queue moves while it is read: after each chunk a new message is
    pushed on the left and the oldest taken from the right (into a consumer's hash)."""

    def __init__(self, client, name):
        self.client, self.name, self.reads = client, name, 0

    def lrange(self, name, start, end):
        chunk = self.client.lrange(name, start, end)
        self.reads += 1
        self.client.lpush(self.name, json.dumps({"headers": {"idempotency_key": f"new-{self.reads}"}}))
        self.client.rpop(self.name)
        return chunk


def test_a_look_reads_a_queue_a_chunk_at_a_time_and_skips_nothing_while_it_moves(redis_url,
                                                                                monkeypatch):
    """A look reads the whole queue to tell what is waiting: a chunk at a time, so a
    backlog's bodies are never all in memory (130 MB for 90,000 complaints at once)."""
    monkeypatch.setattr(recovery, "PRESENCE_CHUNK", 4)
    client = redis.Redis.from_url(redis_url)
    waiting = [f"k{n}" for n in range(10)]
    for key in waiting:
        client.lpush("lapor.complaints", json.dumps({"headers": {"idempotency_key": key}}))
    oldest_taken = 3                             # one taken after each of the three reads
    moving = _Moving(client, "lapor.complaints")
    found = set(recovery._queued_keys(moving, "lapor.complaints"))
    assert moving.reads == 3
    assert set(waiting[oldest_taken:]) <= found  # the taken ones are in a hash by then


def test_the_reconciler_leaves_a_scheduled_complaint_without_reading_its_ledger(parts, redis_url,
                                                                               monkeypatch):
    """During a central outage every candidate is scheduled for a retry: the reconciler's
    look every 5 s tells them apart in one command, not two round trips each."""
    ids, lost, old = _one_taken_unbacked(parts, redis_url)
    for cid in ids:
        parts.store.schedule("complaint", cid, 3600)
    read = []
    monkeypatch.setattr(parts.store.deliveries, "states", lambda cids: read.extend(cids) or [])
    monkeypatch.setattr(parts.store, "ledger", lambda cid: read.append(cid) or {})
    assert reconcile(parts, 600) == 0 and read == []


def test_a_look_walks_the_undelivered_a_slice_at_a_time(parts, redis_url, monkeypatch):
    """During an outage a million complaints may wait undelivered: a look never holds all
    their ids at once. It walks ``lapor:pending`` a slice at a time, and the one complaint
    lost among 400 scheduled for a retry is still found, and published again once."""
    ids, lost, old = _one_taken_unbacked(parts, redis_url)
    client = redis.Redis.from_url(redis_url)
    waiting = [f"{n:032x}" for n in range(400)]
    client.zadd("lapor:pending", dict.fromkeys(waiting, old))
    client.zadd(keys.retry("complaint"), dict.fromkeys(waiting, time.time() + 3600))
    monkeypatch.setattr(store_jobs, "SLICE", 50)
    forwarder = ForwardWorker(parts, threading.Event())
    slices, look_at = [], forwarder.lost._look_at
    monkeypatch.setattr(forwarder.lost, "_look_at",
                        lambda stale, *rest: slices.append(len(stale)) or look_at(stale, *rest))
    assert look_for_lost(forwarder, recovery.LEASE_SECONDS / 2) == 0
    assert len(slices) > 1 and max(slices) < 200 and sum(slices) >= 403
    assert list(forwarder.lost.suspects) == [lost]
    age_suspicions(forwarder)
    assert look_for_lost(forwarder, recovery.LEASE_SECONDS / 2) == 1
    assert queued_keys(client) == set(ids) and client.llen("lapor.complaints") == 3
    forwarder._pool.shutdown()
