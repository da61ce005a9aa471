"""Support for the tests of replies and media jobs lost on their way to their worker
(``forwarder.store_jobs``, ``forwarder.recovery.LostJobs``): a job taken off its queue the
way ``BRPOP`` takes it and backed up nowhere, its record aged, and the worker's looks."""
from __future__ import annotations

import time

from forwarder import keys, recovery
from forwarder.recovery import CONFIRM_SECONDS
from forwarder.topology import connect
from tests.helpers import queued_bodies


def queued_keys(client, name: str = "lapor.complaints") -> set[str]:
    """The idempotency keys of the messages waiting in queue ``name``."""
    return {recovery._key(raw) for raw in client.lrange(name, 0, -1)}


def age_records(parts, kind: str, seconds: float) -> None:
    """Every ``kind`` record (reply, media) as if queued ``seconds`` ago."""
    for key in parts.store.redis.zrange(keys.jobs_since(kind), 0, -1):
        parts.store.redis.zadd(keys.jobs_since(kind), {key: time.time() - seconds})


def age_suspicions(worker, seconds: float = CONFIRM_SECONDS) -> None:
    """Every job the worker's last look found nowhere, as if found ``seconds`` earlier."""
    for key in worker.lost.suspects:
        worker.lost.suspects[key] -= seconds


def taken_and_lost(parts, queue: str) -> dict:
    """The one job queued, taken off ``queue`` as ``BRPOP`` takes it, backed up nowhere."""
    [job] = queued_bodies(parts.store.redis, queue)
    assert parts.store.redis.rpop(queue)
    return job


def look_for_lost(worker, older_than: float) -> int:
    """A worker's look for lost jobs, once, on a channel of its broker as its tick opens one;
    how many it put back."""
    with connect(worker.settings.broker_url) as connection:
        return worker.lost.run(older_than, connection.default_channel)


def comes_back_after_the_delay(worker, queue: str, job: dict) -> None:
    """With the default LAPOR_RECONCILE_AFTER_SECONDS the worker's tick leaves a lost job
    alone while it is young and puts it back, once, when its record is older and a second
    look CONFIRM_SECONDS later finds it nowhere still."""
    parts = worker.parts
    assert parts.settings.reconcile_after_seconds == 600          # the default
    worker.tick()
    assert queued_bodies(parts.store.redis, queue) == []           # young: not yet
    age_records(parts, worker.lost.jobs.kind, 601)
    worker.lost.last = 0.0                                         # the next tick's turn
    worker.tick()
    assert queued_bodies(parts.store.redis, queue) == []           # found nowhere once
    assert list(worker.lost.suspects) == [worker.lost.jobs.key_of(job)]
    age_suspicions(worker)
    worker.tick()                                                  # and again, 5 s later
    assert queued_bodies(parts.store.redis, queue) == [job]        # put back, once
    age_records(parts, worker.lost.jobs.kind, 601)
    assert look_for_lost(worker, 600) == 0                         # waiting in the queue
