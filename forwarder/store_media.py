"""The media jobs not done yet, so a job lost on its way to the media worker comes back.

On the Redis broker kombu takes a message with ``BRPOP`` and backs it up in its consumer's
hash just after (``forwarder.recovery``): a media worker killed in between took a job that
is in neither. Complaints have their ledger for that; media jobs have this record::

    lapor:media:jobs    hash  "<complaint id>:<index>" -> the job (JSON)
    lapor:media:since   zset  "<complaint id>:<index>" -> when it was queued (or put back)

A job is written before it is first queued (``gateway.acceptance``), and forgotten once its
media event is recorded or it is dead-lettered (``forwarder.media``). The media worker's
reconciler puts back on the queue each job older than LAPOR_RECONCILE_AFTER_SECONDS that is
in no queue, no consumer's hash and not scheduled for a retry. Keys: ``forwarder.keys``.
"""
from __future__ import annotations

import json
import time

from forwarder import keys


def job_key(job: dict) -> str:
    """A job's key: also its idempotency key on the queue."""
    return f"{job.get('complaint_id', '')}:{job.get('index', '')}"


class MediaJobs:
    """``Store.media_jobs``."""

    def __init__(self, client):
        self.redis = client

    def add(self, job: dict) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.MEDIA_JOBS, job_key(job), json.dumps(job, ensure_ascii=False))
        pipe.zadd(keys.MEDIA_SINCE, {job_key(job): time.time()})
        pipe.execute()

    def done(self, job: dict) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(keys.MEDIA_JOBS, job_key(job))
        pipe.zrem(keys.MEDIA_SINCE, job_key(job))
        pipe.execute()

    def touch(self, key: str) -> None:
        """Put back just now: looked at again only after the reconciler's delay."""
        self.redis.zadd(keys.MEDIA_SINCE, {key: time.time()}, xx=True)

    def stale(self, older_than: float, limit: int = 500) -> list[tuple[str, dict]]:
        """(key, job) of the jobs not done ``older_than`` seconds after they were queued."""
        found = self.redis.zrangebyscore(keys.MEDIA_SINCE, "-inf", time.time() - older_than, 0, limit)
        if not found:
            return []
        bodies = self.redis.hmget(keys.MEDIA_JOBS, found)
        return [(key.decode(), json.loads(body)) for key, body in zip(found, bodies) if body]

    def scheduled_keys(self) -> set[str]:
        """The keys of the jobs waiting in the store's retry schedule."""
        return {job_key(json.loads(raw)) for raw in self.redis.zrange(keys.retry("media"), 0, -1)}
