"""Benchmark: what the citizen rate limits cost a submission on the JSON API.

    .venv/bin/python bench/limits_cost.py [--requests 300]

The gateway's app in process (as ``bench/intake_profile.py`` calls it) on a throwaway
redis-server, the JSON API's submissions each from a new contact, twice: with the citizen
limits off (as ``bench/intake.py`` runs them, one client address sending everything) and in
the defaults' shape (two windows per address, two per contact: the per-address allowance
is widened so one address is never refused, which changes no count made). Prints the CPU
microseconds a submission takes (best of 3) and the Redis commands it sends (SLOWLOG at
0 µs, a script's own calls left out: the round trips). Figures only: nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.intake_profile import run, sent_commands  # noqa: E402
from bench.local import local_parts  # noqa: E402
from channels.testing import PUBLIC, Request  # noqa: E402

SHAPES = {"off": {"LAPOR_RATE_LIMIT_IP": "off", "LAPOR_RATE_LIMIT_SENDER": "off"},
          "defaults' shape": {"LAPOR_RATE_LIMIT_IP": "1000000/minute;10000000/day"}}


def submissions(first: int, count: int) -> list[Request]:
    return [Request("POST", "/api/v1/complaints", content_type="application/json",
                    body=json.dumps({"classification": "pengaduan", "contact": f"0812{n:08d}",
                                     "body": "Jalan berlubang di depan pasar Minggu"}).encode(),
                    headers={"Idempotency-Key": f"k-{n}"}) for n in range(first, first + count)]


def round_trips(client, app, count: int) -> dict[str, float]:
    """Commands a submission sends to Redis, by name (SLOWLOG; a script's calls left out)."""
    sent: dict[str, float] = {}
    for entry in sent_commands(client, lambda: run(app, submissions(9 * 10**6, count)), count):
        name = entry["command"].split()[0].decode().lower()
        if name not in ("slowlog", "hincrby", "hincrbyfloat"):
            sent[name] = sent.get(name, 0) + 1 / count      # (hincrby*: the metrics' flusher)
    return sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("LAPOR_LOG_LEVEL", "ERROR")
    from gateway.app import create_app
    print(f"JSON API submissions in process, best of 3 x {args.requests}, a new contact each")
    for shape, limits in SHAPES.items():
        with local_parts(LAPOR_PUBLIC_BASE_URL=PUBLIC, LAPOR_LOG_LEVEL="ERROR", **limits) as parts:
            app = create_app(parts=parts)
            run(app, submissions(10**6, 50))                        # warm
            best = min(run(app, submissions((2 + turn) * 10**6, args.requests)) for turn in range(3))
            sent = round_trips(parts.store.redis, app, min(args.requests, 100))
            listed = ", ".join(f"{name} {calls:.1f}" for name, calls in sorted(sent.items()))
            print(f"citizen limits {shape:<16} {best:7.0f} us CPU, {sum(sent.values()):.1f} "
                  f"Redis round trips a submission ({listed})")
            parts.publisher.close()


if __name__ == "__main__":
    main()
