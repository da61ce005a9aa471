"""Auto-pipelining of the store's scripts on the web side: the script calls that a gevent
worker's greenlets make while one round trip to Redis is in flight go out together, in the
next round trip, and each caller still waits for its own reply (issue 12).

Under gunicorn's gevent worker a round trip costs far more than its Redis time: the send,
the wait in gevent's hub, the receive, each in Python, about 390 µs of the worker's CPU per
request where Redis spends 60-250 (docs/benchmarks.md, "Where the time goes"). Greenlets of
one worker often reach the store at the same moment, so one flusher greenlet per client
sends what is waiting as one pipeline (no ``MULTI``: each script is atomic on its own, in
the order the calls came) and hands each reply, or its error, to its caller. Nothing
waits for a batch to fill: a call alone goes at once, as it did before; the calls that
come while it is in flight go in the next pipeline. (ioredis's ``enableAutoPipelining`` does
the same for Node.)

What a caller sees does not change: the reply of its script, or the error it would have
had alone (a refused script's error is its own; a lost connection fails every call of the
pipeline, each then handled as today, e.g. the intake spools). The client's retry policy is
the pipeline's, as it was the call's: a resent script is the intake script's COLLISION
case (``gateway.complaints``), as before. A script Redis no longer knows (restarted, a
promoted replica) is run again by its caller alone, which loads it.

Only where gevent has patched the socket module (the web workers): the forwarder's and the
workers' threads call Redis directly (``scripts.register``). A call with a client of its
own (a pipeline: ``Replicas`` adds a ``WAIT`` to the intake script) goes as it is.
"""
from __future__ import annotations

import logging
import sys
import weakref
from typing import NamedTuple

from redis.exceptions import ConnectionError as RedisConnectionError, NoScriptError

log = logging.getLogger(__name__)
MOST_A_ROUND_TRIP = 128      # calls in one pipeline; more wait for the next (bounded replies)


def gevent_patched() -> bool:
    """True in a process whose socket module gevent patched (gunicorn's gevent worker)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("socket")


class _Call(NamedTuple):
    script: object          # a registered redis-py ``Script``
    keys: list
    args: list
    answer: object          # gevent.event.AsyncResult


class AutoPipeline:
    """One client's flusher: ``run`` queues a script call and waits for its reply."""

    def __init__(self, client):
        from gevent.event import Event

        self.client = client
        self.round_trips = 0         # pipelines sent (tests and benches read it)
        self.calls = 0               # script calls they carried
        self._waiting: list[_Call] = []
        self._wake = Event()
        self._flusher = None

    def run(self, script, keys, args):
        """The script's reply, as ``script(keys=keys, args=args)`` would give it."""
        import gevent
        from gevent.event import AsyncResult

        call = _Call(script, list(keys or ()), list(args or ()), AsyncResult())
        self._waiting.append(call)
        if self._flusher is None or self._flusher.dead:
            self._flusher = gevent.spawn(self._flush_forever)
        self._wake.set()
        reply = call.answer.get()
        if isinstance(reply, NoScriptError):           # Redis lost it: load it, run it alone
            return script(keys=call.keys, args=call.args)
        return reply

    def _flush_forever(self) -> None:
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                while self._waiting:
                    batch = self._waiting[:MOST_A_ROUND_TRIP]
                    del self._waiting[:MOST_A_ROUND_TRIP]
                    self._send(batch)
        finally:                      # killed (the worker's exit): no caller waits for ever
            waiting, self._waiting = self._waiting, []
            for call in waiting:
                call.answer.set_exception(RedisConnectionError("the store's pipeline stopped"))

    def _send(self, batch: list[_Call]) -> None:
        try:
            pipe = self.client.pipeline(transaction=False)
            for call in batch:
                pipe.evalsha(call.script.sha, len(call.keys), *call.keys, *call.args)
            replies = pipe.execute(raise_on_error=False)
        except Exception as exc:      # every caller of the batch has the error, as alone
            for call in batch:
                call.answer.set_exception(exc)
            return
        except BaseException:         # the flusher killed mid-flight: its callers are not
            for call in batch:
                call.answer.set_exception(RedisConnectionError("the store's pipeline stopped"))
            raise
        self.round_trips += 1
        self.calls += len(batch)
        for call, reply in zip(batch, replies):
            if isinstance(reply, Exception) and not isinstance(reply, NoScriptError):
                call.answer.set_exception(reply)
            else:
                call.answer.set(reply)


class PipelinedScript:
    """A registered ``Script`` whose calls without a client of their own join the client's
    ``AutoPipeline``; ``sha`` and ``script`` are the wrapped script's."""

    def __init__(self, script, pipeline: AutoPipeline):
        self.wrapped = script
        self.pipeline = pipeline

    @property
    def sha(self) -> str:
        return self.wrapped.sha

    @sha.setter
    def sha(self, value: str) -> None:
        self.wrapped.sha = value

    @property
    def script(self):
        return self.wrapped.script

    def __call__(self, keys=None, args=None, client=None):
        if client is not None:
            return self.wrapped(keys=keys, args=args, client=client)
        return self.pipeline.run(self.wrapped, keys, args)


_pipelines: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def pipelined(client, script):
    """``script`` as it is, or, in a gevent-patched process, joined to ``client``'s
    ``AutoPipeline`` (one per client, made on first use)."""
    if not gevent_patched():
        return script
    pipeline = _pipelines.get(client)
    if pipeline is None:
        pipeline = _pipelines[client] = AutoPipeline(client)
    return PipelinedScript(script, pipeline)
