"""The store's part for operations metrics: request latencies and worker heartbeats.

Kept in Redis like the other counters (``lapor:stats``), so every gunicorn worker and every
worker process adds to the same numbers and ``/metrics`` needs no multiprocess mode.

Keys (``forwarder.keys``): ``latency`` (hash: ``<route>|<door>|<bucket>`` -> requests whose
time fell in that bucket, not cumulative; ``<route>|<door>|sum`` -> seconds in all) and
``heartbeats`` (hash: worker name -> unix time of its last tick). Routes are the app's URL
rules and doors the configured door ids (or ``other``), so the label sets stay bounded.
"""
from __future__ import annotations

import bisect

from forwarder import keys

# Upper bounds in seconds (Prometheus' ``le``); a slower request counts in ``+Inf``.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BUCKET_NAMES = tuple(repr(bound) for bound in LATENCY_BUCKETS) + ("+Inf",)


class Observations:
    """Request latencies and worker heartbeats (``Store.observations``)."""

    def __init__(self, client):
        self.redis = client

    def observe_request(self, route: str, door: str, seconds: float) -> None:
        """Count one request of ``route`` through ``door`` that took ``seconds``."""
        bucket = BUCKET_NAMES[bisect.bisect_left(LATENCY_BUCKETS, seconds)]
        pipe = self.redis.pipeline(transaction=False)
        pipe.hincrby(keys.LATENCY, f"{route}|{door}|{bucket}", 1)
        pipe.hincrbyfloat(keys.LATENCY, f"{route}|{door}|sum", max(seconds, 0.0))
        pipe.execute()

    def latencies(self) -> dict[tuple[str, str], dict[str, float]]:
        """(route, door) -> {bucket name: count, ..., "sum": seconds}."""
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
