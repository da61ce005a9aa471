"""The store's part for operations metrics: request latencies and worker heartbeats.

Kept in Redis like the other counters (``lapor:stats``), so every gunicorn worker and every
worker process adds to the same numbers and ``/metrics`` needs no multiprocess mode.

Keys (``forwarder.keys``): ``latency`` (hash: ``<route>|<door>|<bucket>`` -> requests whose
time fell in that bucket, not cumulative; ``<route>|<door>|sum`` -> seconds in all) and
``heartbeats`` (hash: worker name -> unix time of its last tick). Routes are the app's URL
rules and doors the configured door ids (or ``other``), so the label sets stay bounded.

A request's latency is counted in the process first and written with the others of the
last ``FLUSH_SECONDS`` in one pipelined round trip, by a flusher thread (a greenlet under
gunicorn's gevent worker): the request itself makes no Redis call for its metric (issue 12:
that round trip was a second one per complaint). Reading the latencies writes this
process's own counts first. A process that dies loses at most its last second of counts,
and a count that failed to be written is kept for the next flush.
"""
from __future__ import annotations

import bisect
import logging
import threading
import time

from redis import RedisError

from forwarder import keys

# Upper bounds in seconds (Prometheus' ``le``); a slower request counts in ``+Inf``.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BUCKET_NAMES = tuple(repr(bound) for bound in LATENCY_BUCKETS) + ("+Inf",)
FLUSH_SECONDS = 1.0
log = logging.getLogger("lapor.metrics")


class Observations:
    """Request latencies and worker heartbeats (``Store.observations``)."""

    def __init__(self, client, flush_seconds: float = FLUSH_SECONDS):
        self.redis = client
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}        # "<route>|<door>|<bucket>" -> requests
        self._sums: dict[str, float] = {}        # "<route>|<door>|sum" -> seconds
        self._flusher_due = False

    def observe_request(self, route: str, door: str, seconds: float) -> None:
        """Count one request of ``route`` through ``door`` that took ``seconds`` (written
        within ``flush_seconds``, with the others of that time)."""
        bucket = BUCKET_NAMES[bisect.bisect_left(LATENCY_BUCKETS, seconds)]
        count, total = f"{route}|{door}|{bucket}", f"{route}|{door}|sum"
        with self._lock:
            self._counts[count] = self._counts.get(count, 0) + 1
            self._sums[total] = self._sums.get(total, 0.0) + max(seconds, 0.0)
            if self._flusher_due:
                return
            self._flusher_due = True
        threading.Thread(target=self._flush_later, name="lapor-latency-flush", daemon=True).start()

    def _flush_later(self) -> None:
        time.sleep(self.flush_seconds)
        with self._lock:
            self._flusher_due = False
        try:
            self.flush()
        except RedisError as exc:   # kept for the next flush; a metric never fails a request
            log.warning("request latencies not written yet (%s)", type(exc).__name__)

    def flush(self) -> None:
        """Write the counts taken since the last flush (one pipelined round trip); on a
        Redis error they are kept for the next one and the error is raised."""
        with self._lock:
            counts, sums, self._counts, self._sums = self._counts, self._sums, {}, {}
        if not counts:
            return
        pipe = self.redis.pipeline(transaction=False)
        for field, value in counts.items():
            pipe.hincrby(keys.LATENCY, field, value)
        for field, value in sums.items():
            pipe.hincrbyfloat(keys.LATENCY, field, value)
        try:
            pipe.execute()
        except RedisError:
            with self._lock:
                for field, value in counts.items():
                    self._counts[field] = self._counts.get(field, 0) + value
                for field, value in sums.items():
                    self._sums[field] = self._sums.get(field, 0.0) + value
            raise

    def latencies(self) -> dict[tuple[str, str], dict[str, float]]:
        """(route, door) -> {bucket name: count, ..., "sum": seconds}, this process's
        counts written first."""
        self.flush()
        result: dict[tuple[str, str], dict[str, float]] = {}
        for field, value in self.redis.hgetall(keys.LATENCY).items():
            route, door, bucket = field.decode().rsplit("|", 2)
            result.setdefault((route, door), {})[bucket] = float(value)
        return result

    def heartbeat(self, worker: str, now: float) -> None:
        """Worker ``worker`` (forwarder, notifier, media) ticked at ``now`` (unix time)."""
        self.redis.hset(keys.HEARTBEATS, worker, repr(now))

    def heartbeats(self) -> dict[str, float]:
        return {name.decode(): float(value)
                for name, value in self.redis.hgetall(keys.HEARTBEATS).items()}


def cumulative(buckets: dict[str, float]) -> list[tuple[str, float]]:
    """Prometheus histogram buckets (``le``, cumulative count) from the stored counts."""
    total, rows = 0.0, []
    for name in BUCKET_NAMES:
        total += buckets.get(name, 0.0)
        rows.append((name, total))
    return rows
