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

A primary without its replica answers ``WAIT`` only when the timeout runs out, even after
a write it refused (``min-replicas-to-write``: ``NOREPLICAS``). So after a ``WAIT`` that
came back short, ``Replicas`` spools the next intakes at once for ``SHORT_SECONDS`` (not
tried in Redis at all) instead of making each wait: otherwise every complaint of a
failover's 10 s, or of a replica's whole outage, would take ``LAPOR_REDIS_WAIT_MS``.

The script goes into the pipeline as a bare ``EVALSHA`` (redis-py's pipelined ``Script``
asks ``SCRIPT EXISTS`` first, a second round trip); on ``NOSCRIPT`` (a restarted or
promoted Redis that never loaded it) the script is loaded and the pipeline sent again.
"""
from __future__ import annotations

import time
from enum import IntEnum
from typing import NamedTuple

import redis
from redis.exceptions import NoScriptError

SHORT_SECONDS = 1.0     # after a short WAIT: spool at once this long (as min-replicas-max-lag 1)


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

    def __init__(self, recorded: Recorded | None, confirmed: int, wait: ReplicaWait,
                 why: str = ""):
        super().__init__(why or f"confirmed by {confirmed} of {wait.replicas} replica(s) "
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


class Replicas:
    """Runs the intake scripts with ``WAIT`` (one per ``Store``, shared by its threads)."""

    def __init__(self, wait: ReplicaWait):
        self.wait = wait
        self._short_until = 0.0        # monotonic: until then intake spools at once

    def run(self, client: redis.Redis, script, keys: list, args: list,
            confirmed: bool = True) -> Recorded:
        """Run the intake ``script`` (a registered ``Script``), then ``WAIT`` (unless
        ``confirmed`` is False or no replicas are asked for). ``NotReplicated`` when fewer
        confirm and the answer names a record of this message: ACCEPTED, or DUPLICATE (its
        first copy, which the script counted again, so the ``WAIT`` covers it: a retry
        after an unconfirmed answer is not answered from Redis alone either); the other
        answers wrote nothing of this message. Within ``SHORT_SECONDS`` of a short
        ``WAIT``: ``NotReplicated`` at once, nothing sent."""
        if not confirmed or self.wait.replicas <= 0:
            return recorded(script(keys=keys, args=args))
        if time.monotonic() < self._short_until:
            raise NotReplicated(None, 0, self.wait, f"a replica was missing in the last "
                                                    f"{SHORT_SECONDS:g} s, not tried")
        reply, count = self._pipelined(client, script, keys, args)
        if isinstance(reply, NoScriptError):
            # a Redis that never loaded it (a promoted replica: scripts are not replicated);
            # nothing ran, and with a replica missing a second try would only wait again
            script.sha = client.script_load(script.script)
            if count < self.wait.replicas:
                raise NotReplicated(None, count, self.wait, "script loaded, a replica missing")
            reply, count = self._pipelined(client, script, keys, args)
        if isinstance(reply, Exception):           # NOREPLICAS, READONLY...: the store's error
            raise reply
        answer = recorded(reply)
        if count < self.wait.replicas and answer.result in (AcceptResult.ACCEPTED,
                                                            AcceptResult.DUPLICATE):
            raise NotReplicated(answer, count, self.wait)
        return answer

    def _pipelined(self, client: redis.Redis, script, keys: list,
                   args: list) -> tuple[list | Exception, int]:
        """The script's reply (or its error) and how many replicas confirmed; a short
        count starts the pause of ``SHORT_SECONDS``."""
        pipe = client.pipeline(transaction=False)
        pipe.evalsha(script.sha, len(keys), *keys, *args)
        pipe.wait(self.wait.replicas, self.wait.timeout_ms)
        reply, count = pipe.execute(raise_on_error=False)
        if isinstance(count, Exception):           # WAIT refused: a replica answering
            raise count
        count = int(count)
        if count < self.wait.replicas:
            self._short_until = time.monotonic() + SHORT_SECONDS
        return reply, count


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
