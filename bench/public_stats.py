"""Benchmark: what the public statistics cost, on the intake path and on the page.

    .venv/bin/python bench/public_stats.py [--complaints 3000] [--rounds 5]

Starts a redis-server (AOF everysec) on loopback, then measures:

* ``accept``: ``Store.accept`` (the intake's one Lua round trip, with the queue commands of
  a same-Redis broker) with the statistics' counters and without them (the script's
  counting part skipped), in interleaved rounds of ``--complaints`` each, so a slow spell of
  a shared machine hits both alike; medians of the per-round figures;
* ``status``: ``Store.update_status`` (the central callback's step) with the counters;
* ``snapshot``: reading and publishing a full 30-day window (600 complaints a day over
  38 provinces and the other categories), i.e. one uncached ``/statistik``;
* ``page``: ``/statistik`` and ``/api/v1/statistics`` through the Flask app, cached (the
  snapshot kept) and uncached (recomputed for each request).

Figures only: nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local import local_parts  # noqa: E402  (bench/local.py)

import forwarder.store as store_module  # noqa: E402
from forwarder import keys  # noqa: E402
from forwarder.store_stats import NOT_COUNTED, accept_part  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.statistics import StatsSnapshot  # noqa: E402
from normalizer.public_stats import publish, stats_day, tally, window  # noqa: E402
from tests.helpers import inbound  # noqa: E402


def _complaint(parts, index: int) -> dict:
    from normalizer import tracking
    from normalizer.normalize import build_complaint, interpret

    message = inbound(f"LAPOR jalan rusak nomor {index}", sender=f"0812{index:08d}"[:12])
    complaint = build_complaint(message, interpret(message), uuid.uuid4().hex,
                                tracking.new_tracking_number(lambda n: uuid.uuid4().int % n),
                                parts.intake.complaints.contexts["sms-1708"])
    complaint["location"] = {"text": "", "region": {"province": f"Provinsi {index % 38}"}}
    return complaint


def _accepts(parts, count: int, counted: bool) -> float:
    """Seconds per accept of ``count`` complaints, with or without the counters."""
    store_module.accept_part = accept_part if counted else (lambda complaint: (NOT_COUNTED, ["", "", "", "", 0, 0]))
    complaints = [_complaint(parts, index) for index in range(count)]
    serialized = [json.dumps(c, ensure_ascii=False) for c in complaints]
    prepared = [parts.publisher.prepare("complaint.new.kannel", text, c["id"], "complaint")
                for c, text in zip(complaints, serialized)]
    parts.store.redis.config_resetstat()
    started = time.perf_counter()
    for complaint, publish_commands, text in zip(complaints, prepared, serialized):
        parts.store.accept(complaint, "", "", publish_commands, text)
    wall = (time.perf_counter() - started) / count
    inside = parts.store.redis.info("commandstats").get("cmdstat_evalsha", {}).get("usec_per_call", 0.0)
    return wall, inside / 1e6


def _fill_window(parts) -> None:
    """30 days of counters as a busy national gateway would have them."""
    today = stats_day(datetime.now(timezone.utc))
    pipe = parts.store.redis.pipeline(transaction=False)
    for day in window(today):
        key = keys.stats_day(day.isoformat())
        fields = {"total": 600, "status|diterima": 100, "status|proses": 300, "status|selesai": 200,
                  "closed": 200, "classification|pengaduan": 400, "classification|aspirasi": 150,
                  "classification|permintaan_informasi": 50}
        fields.update({f"channel|{name}": 100 for name in ("kannel", "twilio", "whatsapp", "telegram",
                                                            "twitter", "web")})
        fields.update({f"province|Provinsi {n}": 15 for n in range(38)})
        fields.update({f"open|pengaduan-14|{(day + timedelta(days=n)).isoformat()}": 20 for n in range(20)})
        pipe.delete(key)
        pipe.hset(key, mapping=fields)
        pipe.delete(keys.stats_wait(day.isoformat()))
        pipe.rpush(keys.stats_wait(day.isoformat()), *[3600.0 * (n % 72) for n in range(300)])
    pipe.execute()


def _per_call(function, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with local_parts(LAPOR_RATE_LIMIT_IP="off") as parts:
        _run(parts, args)


def _run(parts, args) -> None:
    _accepts(parts, 200, True)                                    # warm up: scripts loaded
    with_counters, without = [], []
    for turn in range(args.rounds):           # alternate which goes first
        for counted in ((False, True) if turn % 2 == 0 else (True, False)):
            (with_counters if counted else without).append(_accepts(parts, args.complaints, counted))
    store_module.accept_part = accept_part
    print(f"accept, one Lua round trip ({args.rounds} rounds x {args.complaints}, medians): "
          "wall time per call in this client / the script's time inside Redis (INFO commandstats)")
    plain = [statistics.median(figures) for figures in zip(*without)]
    for label, figures in (("without counters", without), ("with counters", with_counters)):
        wall, inside = (statistics.median(column) for column in zip(*figures))
        print(f"  {label:17} {wall * 1e6:8.1f} us ({wall / plain[0] - 1:+6.1%})   "
              f"in Redis {inside * 1e6:6.1f} us ({inside / plain[1] - 1:+6.1%})")
    tracked = [parts.store.redis.hget(key, "tracking").decode()
               for key in list(parts.store.redis.scan_iter(keys.ledger("*"), count=1000))[:2000]]
    started = time.perf_counter()
    for number in tracked:
        parts.store.update_status(number, {"status": "proses", "agency": "Dinas PU PERA"})
    cost = (time.perf_counter() - started) / len(tracked)
    print(f"status callback step (update_status)  {cost * 1e6:8.1f} us")
    _fill_window(parts)
    store = parts.store

    def compute():
        now = datetime.now(timezone.utc)
        today = stats_day(now)
        days, waits = store.public_stats.read(window(today))
        return publish(tally(days, waits, now), today, now)

    print(f"snapshot of a full window (18,000 complaints, 9,000 waits)  {_per_call(compute, 50) * 1e3:8.2f} ms")
    app = create_app(parts=parts)
    client = app.test_client()
    for label, seconds in (("cached", 60.0), ("uncached", 0.0)):
        app.extensions["lapor_statistics"] = StatsSnapshot(store, seconds=seconds)
        page = _per_call(lambda: client.get("/statistik"), 100)
        data = _per_call(lambda: client.get("/api/v1/statistics"), 100)
        chart = _per_call(lambda: client.get("/statistik/grafik/province.svg"), 20)
        print(f"{label:9} /statistik {page * 1e3:7.2f} ms   /api/v1/statistics {data * 1e3:7.2f} ms   "
              f"province chart {chart * 1e3:7.2f} ms   (one process, Flask test client)")


if __name__ == "__main__":
    main()
