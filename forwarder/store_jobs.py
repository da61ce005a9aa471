"""The replies, media jobs and complaints not done yet, so one lost on its way to its worker
comes back.

On the Redis broker kombu takes a message with ``BRPOP`` and backs it up in its consumer's
hash just after (``forwarder.recovery``): a worker killed in between took a message that is
in neither. Complaints and events have their ledger for that; replies and media jobs have
this record, one pair of keys per kind (``reply``, ``media``)::

    lapor:jobs:<kind>         hash  job key -> the message body (JSON)
    lapor:jobs:<kind>:since   zset  job key -> when it was queued (or put back)

RabbitMQ has no such gap (it requeues what a closed connection held), so with it the
records are not kept (``enabled`` False: no writes on the intake and the workers' paths).

A job's key is its idempotency key on the queue: a reply's ``reply_id``, a media job's
"<complaint id>:<index>". A job is written before it is queued (for a new complaint's
acknowledgement, in the intake script itself: ``commands``), and forgotten once its worker
is done with it: a reply sent or failed for good, a media event recorded, either one
dead-lettered. ``forwarder.recovery.LostJobs`` puts back on the queue a job that is in no
queue and no consumer's hash; one scheduled for a retry is dated at its due time
(``Store.schedule``), so it is not looked at while it waits. Keys: ``forwarder.keys``.

Complaints and events need no record of their own: ``PendingComplaints`` shows their ledger
(accepted, not yet delivered: ``lapor:pending``) to ``LostJobs`` the same way.
"""
from __future__ import annotations

import json
import time
from typing import Callable

from forwarder import keys

SLICE = 10_000   # ids a look reads at once (``walk_stale``)


def walk_stale(client, key: str, older_than: float, visit) -> None:
    """Call ``visit(ids)`` on the members of zset ``key`` (id -> when) older than
    ``older_than`` seconds, oldest first, SLICE at a time: a backlog's ids are never all in
    memory at once. ``visit`` returns how many of its ids it dated anew or finished: they
    left the stale ones, so the next slice starts that many ranks sooner. By rank
    (``ZRANGE``, bounded by ``ZCOUNT``): ``ZRANGEBYSCORE``'s offset is walked again for
    every slice. One finished elsewhere meanwhile may make the walk skip one; the next look
    sees it."""
    cut, start = time.time() - older_than, 0
    while True:
        end = min(start + SLICE, client.zcount(key, "-inf", cut))
        found = client.zrange(key, start, end - 1) if start < end else []
        if not found:
            return
        start += len(found) - visit([member.decode() for member in found])


def job_key(job: dict) -> str:
    """A media job's key: also its idempotency key on the queue."""
    return f"{job.get('complaint_id', '')}:{job.get('index', '')}"


def reply_key(reply: dict) -> str:
    """A reply's key: its ``reply_id``, also its idempotency key on the queue."""
    return str(reply.get("reply_id") or "")


class PendingJobs:
    """``Store.reply_jobs``, ``Store.media_jobs``: the jobs of one ``kind`` not done yet."""

    def __init__(self, client, kind: str, key_of: Callable[[dict], str], enabled: bool = True):
        self.redis = client
        self.kind = kind
        self.key_of = key_of
        self.enabled = enabled        # False: a broker without kombu's BRPOP gap (RabbitMQ)
        self._jobs, self._since = keys.jobs(kind), keys.jobs_since(kind)

    def commands(self, job: dict, serialized: str) -> list[tuple]:
        """The writes of ``add`` (``serialized``: the job's JSON), as commands for an intake
        script to run in its own step."""
        if not self.enabled:
            return []
        return [("hset", self._jobs, self.key_of(job), serialized),
                ("zadd", self._since, repr(time.time()), self.key_of(job))]

    def add(self, job: dict) -> None:
        if not self.enabled:
            return
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self._jobs, self.key_of(job), json.dumps(job, ensure_ascii=False))
        pipe.zadd(self._since, {self.key_of(job): time.time()})
        pipe.execute()

    def done(self, job: dict) -> None:
        if not self.enabled:
            return
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(self._jobs, self.key_of(job))
        pipe.zrem(self._since, self.key_of(job))
        pipe.execute()

    def touch(self, job_keys: list[str], at: float | None = None) -> None:
        """Put back, or seen waiting, just now (or scheduled for a retry ``at`` then): not
        stale until the delay after that."""
        if job_keys and self.enabled:
            self.redis.zadd(self._since, dict.fromkeys(job_keys, at or time.time()), xx=True)

    def stale(self, older_than: float, limit: int = 500) -> list[str]:
        """The keys of the jobs not done ``older_than`` seconds after they were queued."""
        found = self.redis.zrangebyscore(self._since, "-inf", time.time() - older_than, 0, limit)
        return [key.decode() for key in found]

    def walk_stale(self, older_than: float, visit) -> None:
        """``visit`` every slice of ``stale``, all of it (``walk_stale``)."""
        if self.enabled:
            walk_stale(self.redis, self._since, older_than, visit)

    def lost(self, job_keys: list[str]) -> list[tuple[str, dict]]:
        """(key, job) of those of ``job_keys`` still not done. One waiting in the store's
        retry schedule is not stale (``Store.schedule`` dates its record at its due time),
        so a provider's outage, its thousands of retries, costs no read of the schedule."""
        if not job_keys:
            return []
        bodies = self.redis.hmget(self._jobs, job_keys)
        return [(key, json.loads(body)) for key, body in zip(job_keys, bodies) if body]

    def unscheduled(self, found: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
        """Those of ``found`` not in the retry schedule, checked again before one is put back
        (a record dated before ``Store.schedule`` did so): the schedule read only then."""
        if not found:
            return []
        waiting = {self.key_of(json.loads(raw)) for raw in self.redis.zrange(keys.retry(self.kind), 0, -1)}
        return [(key, job) for key, job in found if key not in waiting]


class PendingComplaints:
    """``Store.complaint_jobs``: the complaints and events accepted and not yet delivered
    (``lapor:pending``: id -> when accepted, or put back), as ``LostJobs`` and the
    forwarder's reconciler read them: a job is its id, also its idempotency key."""

    kind = "complaint"

    def __init__(self, client, deliveries):
        self.redis = client
        self.deliveries = deliveries      # the ledger's states (``store_deliveries``)

    @staticmethod
    def key_of(cid: str) -> str:
        return cid

    def touch(self, cids: list[str]) -> None:
        """Seen waiting, or published again, just now: not stale until the delay again."""
        if cids:
            self.redis.zadd(keys.PENDING, dict.fromkeys(cids, time.time()), xx=True)

    def stale(self, older_than: float, limit: int = 1_000_000) -> list[str]:
        """The ids not delivered ``older_than`` seconds after their intake, oldest first."""
        found = self.redis.zrangebyscore(keys.PENDING, "-inf", time.time() - older_than, 0, limit)
        return [cid.decode() for cid in found]

    def walk_stale(self, older_than: float, visit) -> None:
        """``visit`` every slice of ``stale``, all of it (``walk_stale``)."""
        walk_stale(self.redis, keys.PENDING, older_than, visit)

    def lost(self, cids: list[str]) -> list[tuple[str, str]]:
        """(id, id) of those of ``cids`` still ``accepted`` and not scheduled for a retry
        (the schedule first, in one command: an outage's thousands need no ledger read)."""
        cids = [cid for cid, _ in self.unscheduled([(cid, cid) for cid in cids])]
        return [(cid, cid) for cid, ledger in zip(cids, self.deliveries.states(cids))
                if ledger.get("state") == "accepted"]

    def unscheduled(self, found: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Those of ``found`` not in the retry schedule (one ZMSCORE)."""
        if not found:
            return []
        scores = self.redis.zmscore(keys.retry(self.kind), [cid for cid, _ in found])
        return [item for item, when in zip(found, scores) if when is None]
