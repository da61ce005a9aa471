"""Benchmark: what "me too" linking costs a complaint at intake.

    .venv/bin/python bench/linking.py [--complaints 5000]

Starts a redis-server on loopback, indexes ``--complaints`` complaints of one region (texts
from the labelled pairs, each with a few words of its own, so the buckets fill like a busy
regency's month), then times, per complaint: the fingerprint (normalization, MinHash, LSH
bands), the candidate look-up (one Lua round trip) with the similarity, and the accept
script with and without the index entry. Prints microseconds (median, p99). Figures only.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forwarder.store import Store  # noqa: E402
from normalizer import linking  # noqa: E402
from tests.helpers import free_port, start_redis  # noqa: E402

WORDS = "warga rt rw gang blok kampung dekat masjid sekolah pasar jembatan pos ronda".split()


def texts() -> list[str]:
    pairs = ROOT / "tests" / "data" / "linking" / "pairs.jsonl"
    found = []
    for line in pairs.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        found += [pair["a"]["text"], pair["b"]["text"]]
    return found


def complaint(text: str, number: int) -> dict:
    return {"id": uuid.uuid4().hex, "tracking_number": f"{number:011d}", "door": "web",
            "classification": "pengaduan", "received_at": datetime.now(timezone.utc).isoformat(),
            "service_level": {"class": "pengaduan-14", "due_date": "2026-12-17"},
            "reporter": {"kind": "none"}, "title": "", "body": text,
            "location": {"text": "", "region_codes": [], "region": {"code": "64.72.01"}}}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=5000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lapor-bench-linking-"))
    port = free_port()
    process = start_redis(port, workdir)
    try:
        store = Store(redis.Redis(port=port), 8 * 86400, 30 * 86400)
        corpus, rng = texts(), random.Random(1708)
        timings = {"fingerprint": [], "find+similarity": [], "accept (entry)": [],
                   "accept (no entry)": []}
        linked = 0
        for number in range(args.complaints):
            body = f"{rng.choice(corpus)} {' '.join(rng.sample(WORDS, 2))}"
            item = complaint(body, number)
            start = time.perf_counter()
            entry = linking.fingerprint(item)
            timings["fingerprint"].append(time.perf_counter() - start)
            start = time.perf_counter()
            related = linking.related(entry, store.links.find(entry, time.time()), 0.4)
            timings["find+similarity"].append(time.perf_counter() - start)
            linked += bool(related)
            plain = number % 2 == 1
            start = time.perf_counter()
            store.accept(item, "", "", link=None if plain else entry)
            timings["accept (no entry)" if plain else "accept (entry)"].append(
                time.perf_counter() - start)
        print(f"linking benchmark: {args.complaints:,} complaints of one region, "
              f"{linking.lsh_shape()[0]} bands; {linked:,} found related complaints")
        print(f"{'step':<20} {'median us':>10} {'p99 us':>10}")
        for name, values in timings.items():
            print(f"{name:<20} {statistics.median(values) * 1e6:>10.0f} "
                  f"{percentile(values, 0.99) * 1e6:>10.0f}")
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
