"""Benchmark: what observing a request costs the web side (issue 10).

    .venv/bin/python bench/observe.py [--requests 20000]

Against a redis-server on loopback (AOF everysec, like production), prints per request:

* ``observe``        ``Observations.observe_request``, as ``gateway.observe`` runs it after each
                     answer: counted in the process (since issue 12; a flusher thread writes
                     the counts of each second in one pipelined round trip);
* ``text line``      formatting one access-log record the plain way;
* ``json line``      the same record as ``LAPOR_LOG_FORMAT=json`` writes it (python-json-logger);
* ``scrape``         one ``/metrics`` exposition's read of the latencies and heartbeats.

Figures only: nothing is asserted. Compare ``observe`` with the intake's p50 in
docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from config.logs import formatter  # noqa: E402
from forwarder.store_metrics import Observations  # noqa: E402
from tests.helpers import free_port, start_redis  # noqa: E402


def per_call(function, count: int) -> tuple[float, float]:
    """Median and p99 of ``count`` calls, in microseconds."""
    times = []
    for n in range(count):
        started = time.perf_counter()
        function(n)
        times.append((time.perf_counter() - started) * 1e6)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lapor-bench-observe-"))
    port = free_port()
    server = start_redis(port, workdir)
    try:
        recorded = Observations(redis.Redis.from_url(f"redis://127.0.0.1:{port}/0"))
        routes = ("/in/<door_id>", "/api/v1/complaints", "/lapor", "/healthz")
        record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1,
                                   '%s "%s %s" %s %s %sms',
                                   ("127.0.0.1", "GET", "/in/sms-1708", "200", "180", "12"), None)
        record.request_id, record.door = "0f" * 16, "sms-1708"
        text, json_lines = formatter("text"), formatter("json")
        rows = {
            "observe": per_call(lambda n: recorded.observe_request(routes[n % 4], "sms-1708",
                                                                   0.001 * (n % 50)), args.requests),
            "text line": per_call(lambda n: text.format(record), args.requests),
            "json line": per_call(lambda n: json_lines.format(record), args.requests),
            "scrape": per_call(lambda n: (recorded.latencies(), recorded.heartbeats()), 200),
        }
    finally:
        server.terminate()
        server.wait(10)
    print(f"observing a request: {args.requests:,} calls each, one process")
    print(f"{'what':<12} {'p50 us':>9} {'p99 us':>9}")
    for name, (p50, p99) in rows.items():
        print(f"{name:<12} {p50:>9.1f} {p99:>9.1f}")


if __name__ == "__main__":
    main()
