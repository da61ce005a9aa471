"""The consumer loop shared by the forwarder and the notifier.

A worker takes messages from one queue in batches of up to ``concurrency``, handles them
in a thread pool, and acknowledges each one in the consuming thread only after its handler
returned (delivered, scheduled for retry, or dead-lettered: the ledger says which). A
handler that raises leaves its message unacknowledged, so the broker delivers it again.
Between batches the worker runs ``tick`` (scheduled retries, the reconciler).

Stopping: set the ``stop`` event (SIGTERM does, in the CLI). The batch in flight finishes
and is acknowledged; nothing half-done is acknowledged. A lost broker connection is
re-established with backoff; the loop never dies of a bad message.
"""
from __future__ import annotations

import logging
import random
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from forwarder import topology

log = logging.getLogger("lapor.consumer")


def backoff(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter (half fixed, half random); Retry-After wins if longer."""
    delay = min(cap, base * (2 ** max(0, attempt - 1)))
    delay = delay / 2 + random.uniform(0, delay / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, 3600.0))
    return delay


class QueueWorker:
    queue_name = ""
    extra_queues: tuple[str, ...] = ()     # consumed too, in turn with the main queue
    tick_seconds = 0.2

    def __init__(self, parts, stop: threading.Event, concurrency: int = 8):
        self.parts = parts
        self.settings = parts.settings
        self.store = parts.store
        self.publisher = parts.publisher
        self.stop = stop
        self.concurrency = max(1, concurrency)
        self._batch: list = []
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=self.queue_name)
        self._last_tick = 0.0

    # subclasses implement these
    def handle(self, body, headers: dict) -> None:
        raise NotImplementedError

    def tick(self) -> None:
        """Periodic work between batches (scheduled retries, reconciling)."""

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
                self._batch.clear()   # unacked messages return to the queue
                self.stop.wait(delay)
                delay = min(delay * 2, 10.0)
        self._pool.shutdown(wait=True)

    def _consume(self) -> None:
        with topology.connect(self.settings.broker_url) as connection:
            connection.ensure_connection(max_retries=3)
            topology.declare(connection)
            queues = [topology.queue(name) for name in (self.queue_name, *self.extra_queues)]
            with connection.Consumer(queues, callbacks=[self._on_message], accept=["json"],
                                     prefetch_count=self.concurrency * 2):
                while not self.stop.is_set():
                    try:
                        connection.drain_events(timeout=self.tick_seconds)
                        while len(self._batch) < self.concurrency:
                            connection.drain_events(timeout=0.001)
                    except socket.timeout:
                        pass
                    self._flush()
                    self._maybe_tick()

    def _on_message(self, body, message) -> None:
        self._batch.append((body, message))

    def _flush(self) -> None:
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        results = list(self._pool.map(self._safe_handle, batch))
        for (_, message), done in zip(batch, results):
            if done:
                message.ack()
            else:
                message.requeue()
        if not all(results):
            self.stop.wait(1.0)   # the store or a dependency is failing: do not spin

    def _safe_handle(self, item) -> bool:
        body, message = item
        try:
            self.handle(body, dict(message.headers or {}))
            return True
        except Exception:  # noqa: BLE001 - leave it for redelivery, keep the worker alive
            log.exception("%s: handler failed; message requeued", self.queue_name)
            return False

    def _maybe_tick(self) -> None:
        now = time.monotonic()
        if now - self._last_tick >= self.tick_seconds:
            self._last_tick = now
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - periodic work must not kill the loop
                log.exception("%s: periodic work failed", self.queue_name)
