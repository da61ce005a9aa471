"""Benchmark: what an agency API key costs a JSON API submission, in process.

    .venv/bin/python bench/agency_keys.py [--requests 300] [--rounds 5]

Starts a redis-server (AOF everysec) on loopback, builds the gateway as gunicorn would
(``create_app``) and posts complaints through Flask's test client, in interleaved rounds:

* ``no key``             POST /api/v1/complaints, a new Idempotency-Key each
* ``key``                the same with ``Authorization: Bearer <key>``, as shipped: a
                         verified key remembered 2 s per process, ``last_used`` written
                         at most once a minute
* ``key, no cache``      the key's record read on every request (``CACHE_SECONDS = 0``):
                         one more Redis round trip each
* ``key, touch always``  and ``last_used`` written on every request too
                         (``TOUCH_SECONDS = 0``): a second extra round trip

No HTTP server and no wrk, so the machine's other load weighs less than in
``bench/intake.py`` (whose ``json-api-key`` row is the same request over gunicorn). Prints
the median milliseconds per request, the difference to ``no key``, and the Redis commands
per request counted by the server (the intake script's own commands included, so only the
differences between the rows are round trips): the time is noisy on a shared machine, the
count is not. Figures only.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.settings import load_settings  # noqa: E402
from gateway import agency_keys  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.wiring import build_parts  # noqa: E402
from tests.helpers import free_port, start_redis  # noqa: E402

BODY = {"classification": "pengaduan", "body": "Jalan berlubang di depan pasar Minggu",
        "contact": "081234567890"}


def commands(parts) -> int:
    """Commands the Redis server has processed (a script's own commands included)."""
    return int(parts.store.redis.info("stats")["total_commands_processed"])


def timed(client, headers: dict, count: int, label: str) -> float:
    """Milliseconds per request over ``count`` submissions."""
    started = time.perf_counter()
    for index in range(count):
        answer = client.post("/api/v1/complaints", json=BODY,
                             headers={**headers, "Idempotency-Key": f"{label}-{time.time_ns()}-{index}"})
        assert answer.status_code == 201, answer.get_json()
    return (time.perf_counter() - started) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lapor-bench-keys-"))
    port = free_port()
    redis_process = start_redis(port, workdir)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        parts = build_parts(load_settings({
            "LAPOR_REDIS_URL": url, "LAPOR_BROKER_URL": url, "LAPOR_MODE": "production",
            "LAPOR_SECRET_KEY": "bench-secret-key-0123456789", "LAPOR_DATA_DIR": str(workdir),
            "LAPOR_LOG_LEVEL": "WARNING", "LAPOR_RATE_LIMIT_IP": "off",
            "LAPOR_RATE_LIMIT_SENDER": "off"}))
        client = create_app(parts=parts).test_client()
        _key, token = agency_keys.create(parts.store, "Dinas Bench")
        keyed = {"Authorization": f"Bearer {token}"}
        shipped = agency_keys.CACHE_SECONDS, agency_keys.TOUCH_SECONDS
        cases = (("no key", {}, shipped), ("key", keyed, shipped),
                 ("key, no cache", keyed, (0, shipped[1])), ("key, touch always", keyed, (0, 0)))
        rows: dict[str, list[float]] = {}
        trips: dict[str, list[float]] = {}
        timed(client, {}, 50, "warm")
        for _ in range(args.rounds):
            for number, (name, headers, (cache, touch)) in enumerate(cases):
                agency_keys.CACHE_SECONDS, agency_keys.TOUCH_SECONDS = cache, touch
                agency_keys._verified.clear()      # what the case before remembered
                try:
                    before = commands(parts)
                    rows.setdefault(name, []).append(timed(client, headers, args.requests, f"case{number}"))
                    trips.setdefault(name, []).append((commands(parts) - before - 1) / args.requests)
                finally:
                    agency_keys.CACHE_SECONDS, agency_keys.TOUCH_SECONDS = shipped
        parts.publisher.close()
    finally:
        redis_process.terminate()
        redis_process.wait()
    base = statistics.median(rows["no key"])
    print(f"agency key cost: {args.requests} requests x {args.rounds} interleaved rounds, "
          "Flask test client, real Redis (medians)")
    print(f"{'case':<20} {'ms/request':>11} {'vs no key':>10} {'Redis commands/request':>23}")
    for name, values in rows.items():
        median = statistics.median(values)
        print(f"{name:<20} {median:>11.3f} {median - base:>+9.3f} {statistics.mean(trips[name]):>23.2f}")


if __name__ == "__main__":
    main()
