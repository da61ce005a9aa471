"""An intake script's answer (``Recorded``), and ``WAIT`` behind it: a new complaint or a
citizen's follow-up is answered from Redis only once a replica has it.

Redis replication is asynchronous: a primary answers a write before any replica has it, so
a failover (or the primary's crash) can throw away a complaint whose tracking number was
already handed out (docs/reliability.md, "Redis Sentinel"). With
``LAPOR_REDIS_WAIT_REPLICAS`` = n > 0 the store sends ``WAIT n <LAPOR_REDIS_WAIT_MS>``
right behind the intake script, in the same non-transactional pipeline (one round trip;
``WAIT`` cannot run inside Lua or ``MULTI``). ``WAIT`` answers how many replicas have
acknowledged the primary's replication stream up to this connection's last write, which
covers every earlier write of any client. Fewer than n: ``NotReplicated``, a
``RedisError``, so the accept loop keeps the complaint in the disk spool (same id, same
tracking number) and the drain replays it into whichever primary is current.

The script goes into the pipeline as a bare ``EVALSHA`` (redis-py's pipelined ``Script``
asks ``SCRIPT EXISTS`` first, a second round trip); on ``NOSCRIPT`` (a restarted or
promoted Redis that never loaded it) the script is loaded and the pipeline sent again.
"""
from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

import redis
from redis.exceptions import NoScriptError


class AcceptResult(IntEnum):
    """What an intake script did (the integers are the scripts' return codes)."""
    DUPLICATE = 0    # this provider message was seen: the original's id and tracking number
    ACCEPTED = 1     # recorded (and queued when the publish commands were given)
    COLLISION = 2    # the tracking number is taken: nothing written, draw another
    FOLLOWUP = 3     # the reporter has an open complaint (its id and number): nothing written
    CONFLICT = 4     # a client-chosen id seen with another body: nothing written


class Recorded(NamedTuple):
    """An intake script's answer: the result, the complaint's id and tracking number (the
    original's for a duplicate or conflict, the open one's for a follow-up) and how many
    messages this reporter sent on this door in the current minute (0 unless counted)."""
    result: AcceptResult
    id: str
    tracking: str
    recent: int = 0


class ReplicaWait(NamedTuple):
    """``WAIT replicas timeout_ms`` after each intake write (replicas 0: no WAIT)."""
    replicas: int = 0
    timeout_ms: int = 500


class NotReplicated(redis.RedisError):
    """The primary has the write, but fewer replicas than asked confirmed it in time: a
    failover now could throw it away, so it is not known durable. ``recorded``: the
    script's answer (None for ``confirm``); ``confirmed``: how many replicas had it."""

    def __init__(self, recorded: Recorded | None, confirmed: int, wait: ReplicaWait):
        super().__init__(f"confirmed by {confirmed} of {wait.replicas} replica(s) "
                         f"within {wait.timeout_ms} ms")
        self.recorded = recorded
        self.confirmed = confirmed


def recorded(reply) -> Recorded:
    """An intake script's reply as a ``Recorded``."""
    code, value, *recent = reply
    value = value.decode() if isinstance(value, bytes) else value
    cid, tracking = id_and_tracking(value)
    return Recorded(AcceptResult(int(code)), cid, tracking, int(recent[0]) if recent else 0)


def id_and_tracking(value: str) -> tuple[str, str]:
    """A dedup value ``<id>|<tracking>[|<fingerprint>]`` -> (id, tracking)."""
    cid, _, rest = value.partition("|")
    return cid, rest.partition("|")[0]


def run(client: redis.Redis, script, keys: list, args: list, wait: ReplicaWait) -> Recorded:
    """Run the intake ``script`` (a registered ``Script``), then ``WAIT`` when ``wait``
    asks for replicas. ``NotReplicated`` when fewer confirm and the answer names a record
    of this message: ACCEPTED, or DUPLICATE (its first copy, which the script counted
    again, so the ``WAIT`` covers it: a retry after an unconfirmed answer is not answered
    from Redis alone either). The other answers wrote nothing of this message."""
    if wait.replicas <= 0:
        return recorded(script(keys=keys, args=args))
    try:
        reply, confirmed = _pipelined(client, script, keys, args, wait)
    except NoScriptError:
        script.sha = client.script_load(script.script)
        reply, confirmed = _pipelined(client, script, keys, args, wait)
    answer = recorded(reply)
    if confirmed < wait.replicas and answer.result in (AcceptResult.ACCEPTED,
                                                        AcceptResult.DUPLICATE):
        raise NotReplicated(answer, confirmed, wait)
    return answer


def _pipelined(client: redis.Redis, script, keys: list, args: list,
               wait: ReplicaWait) -> tuple[list, int]:
    pipe = client.pipeline(transaction=False)
    pipe.evalsha(script.sha, len(keys), *keys, *args)
    pipe.wait(wait.replicas, wait.timeout_ms)
    reply, confirmed = pipe.execute()
    return reply, int(confirmed)


def confirm(client: redis.Redis, stats_key: str, field: str, wait: ReplicaWait) -> None:
    """Count ``field`` in ``stats_key``, then ``WAIT``: a write of this connection, so the
    ``WAIT`` covers whatever the primary had before it (a record an earlier call wrote).
    ``NotReplicated`` when fewer replicas confirm; nothing at all without a wait."""
    if wait.replicas <= 0:
        return
    pipe = client.pipeline(transaction=False)
    pipe.hincrby(stats_key, field, 1)
    pipe.wait(wait.replicas, wait.timeout_ms)
    _, confirmed = pipe.execute()
    if int(confirmed) < wait.replicas:
        raise NotReplicated(None, int(confirmed), wait)
