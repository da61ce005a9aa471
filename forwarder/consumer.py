"""The consumer loop shared by the forwarder and the notifier.

A worker hands each message, as it arrives, to a pool of ``concurrency`` threads, keeps
receiving while they work (up to twice that many in flight: the broker's prefetch, so the
memory a worker holds is bounded however long the queue), and acknowledges each one in
the consuming thread only after its handler returned (delivered, scheduled for retry, or
dead-lettered: the ledger says which). A handler that raises has its message requeued, so
it is delivered again. Between receives the worker runs ``tick`` (scheduled retries, the
reconciler).

With ``batch_size`` > 1 (the forwarder's LAPOR_CENTRAL_BATCH) the worker gathers up to that
many messages (fewer when the queue has no more at once) and hands them to one thread
together (``handle_batch``), which answers per message; the prefetch grows to match
(``concurrency * batch_size * 2``). The acknowledgements of everything finished between
two receives are settled together (``ack_all``: one pipeline on the Redis transport
instead of one round trip each).

On the Redis broker each connection holds a lease and keeps its unacknowledged messages
in a hash of its own; every worker restores, within seconds, what a dead consumer held
(``forwarder.recovery``), and ``after_sweep`` lets a worker look for more.

Stopping: set the ``stop`` event (SIGTERM does, in the CLI). What is in flight finishes
and is acknowledged; nothing half-done is acknowledged. A lost broker connection is
re-established with backoff; the loop never dies of a bad message.
"""
from __future__ import annotations

import logging
import random
import socket
import threading
import time
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, ThreadPoolExecutor, wait

from kombu.transport import virtual

from config.logs import log_context
from forwarder import recovery, topology
from forwarder.queue import PublishError, log_failure

log = logging.getLogger("lapor.consumer")


def backoff(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter (half fixed, half random); Retry-After wins if longer."""
    delay = min(cap, base * (2 ** max(0, attempt - 1)))
    delay = delay / 2 + random.uniform(0, delay / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, 3600.0))
    return delay


def ack_all(messages: list) -> None:
    """Acknowledge ``messages`` (received on one channel; call in the consuming thread).
    On kombu's Redis transport their acks share one pipeline, through the transport's own
    QoS (``pipe_or_acquire``, ``_remove_from_indices(tag, pipe)``): one round trip instead
    of one per message. Elsewhere each is acked (on AMQP an ack is a frame, never answered)."""
    qos = getattr(messages[0].channel, "qos", None) if messages else None
    remove = getattr(qos, "_remove_from_indices", None)
    if len(messages) < 2 or remove is None or not hasattr(qos, "pipe_or_acquire"):
        for message in messages:
            message.ack()
        return
    with qos.pipe_or_acquire() as pipe:
        for message in messages:
            remove(message.delivery_tag, pipe)
        pipe.execute()
    for message in messages:       # the transport's in-memory bookkeeping, as ack() does it
        virtual.QoS.ack(qos, message.delivery_tag)
        message._state = "ACK"


class QueueWorker:
    queue_name = ""
    extra_queues: tuple[str, ...] = ()     # consumed too, in turn with the main queue
    tick_seconds = 0.2
    worker_name = ""                       # its heartbeat's name on /metrics
    heartbeat_seconds = 5.0
    batch_size = 1                         # messages handed to one thread together

    def __init__(self, parts, stop: threading.Event, concurrency: int = 8):
        self.parts = parts
        self.settings = parts.settings
        self.store = parts.store
        self.publisher = parts.publisher
        self.stop = stop
        self.concurrency = max(1, concurrency)
        self._in_flight: list = []   # (future, [message, ...]), in arrival order
        self._gathered: list = []    # (body, message) waiting to fill a batch
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=self.queue_name)
        self._last_tick = 0.0
        self._last_sweep = 0.0
        self._last_heartbeat = 0.0
        self.topology = parts.publisher.topology      # the one declaration, quorum or not

    # subclasses implement these
    def handle(self, body, headers: dict) -> None:
        raise NotImplementedError

    def handle_batch(self, items: list) -> list[bool]:
        """Handle several (body, headers) at once: per item True once its ledger says
        delivered, retry or dead (ack it), False to requeue it. Default: one by one."""
        return [self._safe_handle(body, headers) for body, headers in items]

    def tick(self) -> None:
        """Periodic work between batches (scheduled retries, reconciling)."""

    def after_sweep(self, channel) -> None:
        """Called after every recovery sweep (Redis broker), with the consumer's channel."""

    def publish_due(self, kind: str, publish) -> None:
        """``publish`` each of the store's scheduled ``kind`` payloads whose time has come;
        when the broker goes away, what was taken and not yet published is scheduled again
        (in 1 s), and the ``PublishError`` raised."""
        due = self.store.take_due(kind)
        for index, payload in enumerate(due):
            try:
                publish(payload)
            except PublishError:
                for later in due[index:]:
                    self.store.schedule(kind, later, 1.0)
                raise

    # the loop
    def run(self) -> None:
        delay = 0.5
        while not self.stop.is_set():
            try:
                self._consume()
                delay = 0.5
            except Exception as exc:  # noqa: BLE001 - the broker went away; come back
                log.warning("%s: broker connection lost (%s); retrying in %.1fs",
                            self.queue_name, type(exc).__name__, delay)
                self._forget_in_flight()   # unacked messages return to the queue
                self.stop.wait(delay)
                delay = min(delay * 2, 10.0)
        self._pool.shutdown(wait=True)

    def _consume(self) -> None:
        amqp = topology.is_amqp(self.settings.broker_url)
        lease = recovery.Lease()          # a new one per connection: the old one's expires
        released = False
        with topology.connect(self.settings.broker_url,
                              "" if amqp else lease.held_key) as connection:
            connection.ensure_connection(max_retries=3)
            self.topology.declare(connection)
            channel = connection.default_channel
            if not amqp:
                lease.start(channel)
            try:
                queues = [self.topology.queue(name)
                          for name in (self.queue_name, *self.extra_queues)]
                with connection.Consumer(queues, callbacks=[self._on_message], accept=["json"],
                                         prefetch_count=self._prefetch()):
                    while not self.stop.is_set():
                        try:   # short waits while deliveries are in flight, to settle them soon
                            connection.drain_events(
                                timeout=0.005 if self._in_flight else self.tick_seconds)
                            idle = False
                        except socket.timeout:
                            idle = True
                        self._hand_over(everything=idle)
                        self._settle(block=self._holding() >= self._prefetch())
                        self._maybe_tick()
                        if not amqp:
                            self._maybe_sweep(channel)
                    self._hand_over(everything=True)
                    self._settle(everything=True)    # stopping: finish and ack what is in flight
                    released = True
            finally:
                lease.stop(release=released)

    def _maybe_sweep(self, channel) -> None:
        """Put back what dead consumers held (at once, then every SWEEP_EVERY seconds)."""
        now = time.monotonic()
        if now - self._last_sweep < recovery.SWEEP_EVERY:
            return
        self._last_sweep = now
        try:
            recovery.sweep(channel, self.settings.broker_url)
            self.after_sweep(channel)
        except Exception:  # noqa: BLE001 - periodic work must not kill the loop
            log_failure(log, "%s: recovery sweep failed", self.queue_name)

    def _prefetch(self) -> int:
        return self.concurrency * max(1, self.batch_size) * 2

    def _holding(self) -> int:
        """Messages received and not yet settled (the prefetch bounds it)."""
        return len(self._gathered) + sum(len(messages) for _, messages in self._in_flight)

    def _on_message(self, body, message) -> None:
        """Gather the message; a full batch (one message unless ``batch_size`` > 1) goes to
        the pool at once and the consuming thread keeps receiving."""
        self._gathered.append((body, message))
        self._hand_over()

    def _hand_over(self, everything: bool = False) -> None:
        """Submit the gathered messages: full batches, and the rest when ``everything``
        (the broker had no more at once, so a batch never waits for messages to come)."""
        size = max(1, self.batch_size)
        while len(self._gathered) >= size or (everything and self._gathered):
            group, self._gathered = self._gathered[:size], self._gathered[size:]
            future = self._pool.submit(self._handle_group, group)
            self._in_flight.append((future, [message for _, message in group]))

    def _handle_group(self, group: list) -> list[bool]:
        items = [(body, dict(message.headers or {})) for body, message in group]
        if len(items) == 1:
            return [self._safe_handle(*items[0])]
        try:
            return self.handle_batch(items)
        except Exception:  # noqa: BLE001 - leave them for redelivery, keep the worker alive
            log_failure(log, "%s: batch handler failed; %d messages requeued", self.queue_name,
                        len(items))
            return [False] * len(items)

    def _settle(self, block: bool = False, everything: bool = False) -> None:
        """Acknowledge (in this thread: kombu channels are not thread-safe) every message
        whose handler finished; requeue those whose handler failed."""
        if not self._in_flight:
            return
        if everything or block:
            wait([future for future, _ in self._in_flight],
                 return_when=ALL_COMPLETED if everything else FIRST_COMPLETED)
        pending, done, failed = [], [], []
        for future, messages in self._in_flight:
            if not future.done():
                pending.append((future, messages))
                continue
            for message, handled in zip(messages, future.result()):
                (done if handled else failed).append(message)
        self._in_flight = pending
        ack_all(done)
        for message in failed:
            message.requeue()
        if failed:
            self.stop.wait(1.0)   # the store or a dependency is failing: do not spin

    def _forget_in_flight(self) -> None:
        if self._in_flight:
            wait([future for future, _ in self._in_flight])
        self._in_flight, self._gathered = [], []

    def _safe_handle(self, body, headers: dict, work=None) -> bool:
        """Run ``work`` (default ``handle``) on one message in its log context; False if it
        raised (the message is requeued)."""
        try:
            with log_context(**_message_context(body, headers)):
                (work or self.handle)(body, headers)
            return True
        except Exception:  # noqa: BLE001 - leave it for redelivery, keep the worker alive
            log_failure(log, "%s: handler failed; message requeued", self.queue_name)
            return False

    def _maybe_tick(self) -> None:
        now = time.monotonic()
        if now - self._last_heartbeat >= self.heartbeat_seconds:
            self._last_heartbeat = now
            self._heartbeat()
        if now - self._last_tick >= self.tick_seconds:
            self._last_tick = now
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - periodic work must not kill the loop
                log_failure(log, "%s: periodic work failed", self.queue_name)

    def _heartbeat(self) -> None:
        """Record that this worker is alive (``lapor_worker_heartbeat_timestamp_seconds``)."""
        try:
            self.store.observations.heartbeat(self.worker_name or self.queue_name, time.time())
        except Exception as exc:  # noqa: BLE001 - a missed heartbeat must not stop the work
            log.warning("%s: heartbeat not recorded (%s)", self.queue_name, type(exc).__name__)


def _message_context(body, headers: dict) -> dict:
    """The log context of one message: its door and its complaint (ids only)."""
    fields = body if isinstance(body, dict) else {}
    door = fields.get("door") or fields.get("door_id")
    complaint = fields.get("complaint_id") or headers.get("idempotency_key")
    return {"door": door if isinstance(door, str) else None,
            "complaint_id": complaint if isinstance(complaint, str) else None}
