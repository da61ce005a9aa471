"""Publishing to the durable queue.

``Publisher.publish`` sends one JSON message to the topic exchange as a persistent message
(with publisher confirms on AMQP) and returns only once the broker has it; it raises
``PublishError`` otherwise. One connection per process, re-established on failure with a
short bounded retry, so a broker blip does not fail a citizen's request.

Same-Redis fast path: when the broker and the store are the same Redis database (the
embedded default, and the usual small deployment), ``prepare`` lets kombu build and route
the message exactly as it would publish it (its own envelope, routing through the exchange
bindings, queue-key naming) but collects the final Redis commands instead of running them,
through kombu's publish-batch hook. The store's intake script then runs them in the same
atomic step as the dedup and ledger writes: one round trip, and a complaint is on the
queue if and only if it is in the ledger. ``publish`` on such a broker runs the same
collected commands in one transaction on a client kept with the connection (kombu's own
publish makes a new redis-py client per message). Exchange bindings are cached for
``BINDINGS_TTL`` seconds (a queue the central system binds is seen within that time).

A broker that cannot be reached is tried again at most once a second per process: in
between, ``prepare`` and ``publish`` fail at once, so a citizen's request never waits on
reconnect attempts (the ledger, the reconciler and the spool carry the complaint).

Headers on every message: ``schema_version``, ``idempotency_key``, ``kind`` (complaint,
event, reply, dead) and, on dead letters, ``reason`` and ``attempts``.
"""
from __future__ import annotations

import sys
import threading
import time
from urllib.parse import urlparse

import redis
from kombu import Producer
from kombu.utils import json

from config import sentinel
from forwarder import topology
from normalizer.schema import SCHEMA_VERSION

BINDINGS_TTL = 5.0
RECONNECT_PAUSE = 1.0


class PublishError(Exception):
    """The broker did not take the message."""


# The store or the broker away for a while (a restart, a fail-over): expected in a worker's
# loop; anything else is a defect.
OUTAGES = (redis.RedisError, PublishError)


def log_failure(logger, message: str, *args) -> None:
    """Log the exception being handled: an outage as one warning naming the error, anything
    else with its traceback, for a person to read."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OUTAGES):
        logger.warning(message + " (%s)", *args, type(exc).__name__)
    else:
        logger.exception(message, *args)


def redis_identity(url: str) -> tuple | None:
    """(where, db) of a Redis URL of either client's spelling; None for other brokers."""
    parsed = urlparse(url)
    if sentinel.is_sentinel(url):
        where = sentinel.parse_url(url)
        return (tuple(sorted(where.sentinels)), where.master_name), str(where.db)
    if parsed.scheme in ("redis", "rediss"):
        return (parsed.hostname or "localhost", parsed.port or 6379), (parsed.path.strip("/") or "0")
    if parsed.scheme in ("unix", "redis+socket"):
        return parsed.path, "0"
    return None


class _Collector:
    """Receives the Redis commands kombu would run for one publish (publish-batch hook)."""

    def __init__(self):
        self.commands: list[tuple] = []

    def add(self, name, *args):
        self.commands.append((name, *args))


class Publisher:
    def __init__(self, broker_url: str, layout: topology.Topology | None = None,
                 store_url: str = ""):
        self.broker_url = broker_url
        self.topology = layout or topology.Topology()
        identity = redis_identity(broker_url)
        self.same_redis = identity is not None and identity == redis_identity(store_url)
        self._lock = threading.Lock()
        self._connection = None
        self._producer = None
        self._client = None           # same-Redis: the client ``publish`` runs kombu's commands on
        self._tables: dict = {}
        self._retry_at = 0.0          # after a failed connect, fail fast until then

    def _ensure(self) -> Producer:
        if self._producer is None:
            if time.monotonic() < self._retry_at:
                raise PublishError("broker unavailable (reconnecting shortly)")
            self._retry_at = time.monotonic() + RECONNECT_PAUSE
            self._connection = topology.connect(self.broker_url)
            self._connection.ensure_connection(max_retries=1, interval_start=0.1)
            self._retry_at = 0.0
            self.topology.declare(self._connection)
            channel = self._connection.default_channel
            if self.same_redis:
                self._cache_bindings(channel)
            self._producer = Producer(channel, exchange=topology.EXCHANGE, serializer="json")
        return self._producer

    def _cache_bindings(self, channel) -> None:
        lookup = channel.get_table
        tables = self._tables

        def cached(exchange):
            hit = tables.get(exchange)
            if hit is None or hit[0] < time.monotonic():
                hit = tables[exchange] = (time.monotonic() + BINDINGS_TTL, lookup(exchange))
            return hit[1]

        channel.get_table = cached

    @staticmethod
    def _headers(key: str, kind: str, extra: dict | None) -> dict:
        headers = {"schema_version": SCHEMA_VERSION, "idempotency_key": key, "kind": kind}
        if extra:
            headers.update(extra)
        return headers

    def prepare(self, routing_key: str, serialized: str, key: str, kind: str) -> list[tuple] | None:
        """The Redis commands that publish this JSON message (same-Redis fast path), or
        None when the broker is elsewhere and ``publish`` must be used."""
        if not self.same_redis:
            return None
        with self._lock:
            try:
                return self._commands(routing_key, serialized, self._headers(key, kind, None))
            except Exception as exc:  # noqa: BLE001 - any broker failure is the same to us
                self._reset()
                raise PublishError(f"broker unavailable: {type(exc).__name__}") from exc

    def _commands(self, routing_key: str, serialized: str, headers: dict) -> list[tuple] | None:
        """kombu's own envelope and routing of a persistent JSON message, its final Redis
        commands collected instead of run (None: a kombu without the publish-batch hook)."""
        channel = self._ensure().channel
        if not hasattr(channel, "create_publish_batch"):
            return None
        message = channel.prepare_message(serialized.encode(), 0, "application/json", "utf-8", headers,
                                          {"delivery_mode": 2})
        collector = _Collector()
        channel.basic_publish(message, topology.EXCHANGE.name, routing_key, _publish_batch=collector)
        return collector.commands

    def publish(self, routing_key: str, body: dict, key: str, kind: str,
                extra_headers: dict | None = None) -> None:
        """Publish one message. On a same-Redis broker kombu's commands run in one
        transaction on a client kept for this connection: kombu's own publish makes a new
        redis-py client for each message (``conn_or_acquire``), about 80 us each (issue 12)."""
        headers = self._headers(key, kind, extra_headers)
        with self._lock:
            for attempt in (1, 2):
                try:
                    commands = self._commands(routing_key, json.dumps(body), headers) if self.same_redis else None
                    if commands is None:
                        self._ensure().publish(body, routing_key=routing_key, headers=headers,
                                               delivery_mode="persistent", retry=False)
                    else:
                        self._run(commands)
                    return
                except Exception as exc:  # noqa: BLE001 - any broker failure is the same to us
                    self._reset()
                    if attempt == 2:
                        raise PublishError(f"broker refused the message: {type(exc).__name__}") from exc

    def _run(self, commands: list[tuple]) -> None:
        """Run a message's collected commands atomically (LPUSH, and PEXPIRE for a queue
        with an expiry, as kombu's own pipeline does)."""
        if self._client is None:
            self._client = redis.Redis(connection_pool=self._connection.default_channel.pool)
        with self._client.pipeline(transaction=True) as pipe:
            for name, *args in commands:
                getattr(pipe, name)(*args)
            pipe.execute()

    def ping(self) -> None:
        """Raise unless the broker answers."""
        with self._lock:
            try:
                channel = self._ensure().channel
                if hasattr(channel, "client"):        # Redis: an empty queue has no key yet
                    channel.client.ping()
                else:
                    self.topology.queue(topology.COMPLAINTS)(channel).queue_declare(passive=True)
            except Exception:
                self._reset()
                raise

    def _reset(self) -> None:
        try:
            if self._connection is not None:
                self._connection.release()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close
            pass
        self._connection = self._producer = self._client = None
        self._tables.clear()

    def close(self) -> None:
        with self._lock:
            self._reset()
