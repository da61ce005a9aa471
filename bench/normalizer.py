"""Benchmark: messages per second through the normalizer on one core (goal: 20,000/s).

    .venv/bin/python bench/normalizer.py [--seconds 5] [--without-suggestions]

Two runs of ``--seconds`` each, printed one line each: with the suggestions (the goal's
figure) and without them (what the rest of the normalizer costs); ``--without-suggestions``:
only the second.

Normalizes, in one process, a mix of SMS texts (keywords, Indonesian text, emoji, phone
forms) and the 327 labelled complaints of ``tests/data/routing`` (with their location
fields and coordinates), region resolution and agency routing on, and prints the rate: per
second of wall-clock time and per second of the process's CPU time (on a machine shared
with other work the CPU figure is the one that says what one core does). The region data
is loaded before the clock starts (once per process; its own time and memory are printed
first), and one untimed pass over the messages fills the stem cache as a running gateway's
is (a new word costs about 0.4 ms once). Figures only; nothing is asserted.

Every message is different, as a gateway's are: each of the 351 texts is sent ``VARIANTS``
times, each time with its own number at the end (``... 41207``: a new word for every cache),
from its own sender (a number in one of the four forms citizens' phones send). The texts
repeat only after ``VARIANTS`` x 351 messages, and nothing caches a whole text anyway.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from normalizer.values import InboundMessage  # noqa: E402
from config.doors import load_catalogue  # noqa: E402
from config.settings import load_settings  # noqa: E402
from normalizer.normalize import Context, build_complaint, interpret  # noqa: E402
from normalizer.tracking import new_tracking_number  # noqa: E402
from normalizer.values import Location  # noqa: E402
from normalizer import region, regions, suggestion, typos, words  # noqa: E402

TEXTS = [
    "LAPOR jalan rusak di depan SDN 3 Sukamaju, sudah 3 bulan tidak diperbaiki",
    "lapor anonim kepala desa minta uang untuk surat keterangan 😡",
    "INFO jadwal vaksin di puskesmas kecamatan?",
    "Aspirasi: tambah lampu jalan di jalan Merdeka",
    "RAHASIA pungli di kantor kelurahan, petugas minta 50rb",
    "banjir lagi di RT 05, drainase tersumbat sampah",
]
SENDERS = ["081234567890", "6281234567891", "+6281234567892", "0856-1234-5678"]
VARIANTS = 100          # unique messages per text (each with its own number and sender)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0, help="each of the two runs")
    parser.add_argument("--without-suggestions", action="store_true",
                        help="only the run without the region and the routing")
    args = parser.parse_args()
    settings = load_settings({"LAPOR_SECRET_KEY": "bench-secret-key-0123456789",
                              "LAPOR_REDIS_URL": "redis://127.0.0.1/0",
                              "LAPOR_BROKER_URL": "redis://127.0.0.1/0", "LAPOR_MODE": "production"})
    catalogue = load_catalogue(settings)
    ctx = Context(secret_key=settings.secret_key, routing_rules=catalogue.routing,
                  door_agency="KemenPANRB")
    now = datetime.now(timezone.utc)
    texts = [(TEXTS[i % len(TEXTS)], None, "sms-1708", "kannel") for i in range(len(TEXTS) * len(SENDERS))]
    texts += [(record["text"], _location(record), "web", "web") for record in _labelled()]
    messages = [InboundMessage(door_id=door, channel=channel, provider_message_id=str(number),
                               sender=_sender(number), sender_kind="phone", text=f"{text} {number}",
                               received_at=now, location=location)
                for number, (text, location, door, channel) in enumerate(texts * VARIANTS, start=10_000)]
    _warm()
    for message in messages[:len(texts)]:   # one untimed pass: each word's stem is cached from then on
        build_complaint(message, interpret(message), "id", new_tracking_number(), ctx)
    if not args.without_suggestions:
        _run("region resolution and agency routing on", messages, len(texts), ctx, args.seconds)
    suggestion.tokens_of = lambda text: []
    suggestion.region_of = lambda location, text, tokens=None: (None, [])
    suggestion.routing_of = lambda text, rules, found, tokens=None: ({}, [])
    _run("without the suggestions (region, routing), to see what they cost", messages, len(texts), ctx,
         args.seconds)


def _run(label: str, messages: list[InboundMessage], chunk: int, ctx: Context, seconds: float) -> None:
    """Normalize the messages in turn for ``seconds``; print the rates."""
    count, started, cpu_started = 0, time.perf_counter(), time.process_time()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        start = count % len(messages)
        for message in messages[start:start + chunk]:
            build_complaint(message, interpret(message), "id", new_tracking_number(), ctx)
        count += chunk
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"normalizer, {label}: {count / elapsed:,.0f} messages/s wall, {count / cpu:,.0f} messages per "
          f"CPU second on one core ({count} messages in {elapsed:.1f}s, {cpu:.1f}s CPU; goal with "
          f"routing on 20,000/s; load average {os.getloadavg()[0]:.1f})")


def _sender(number: int) -> str:
    """A different phone number for each message, in the form ``SENDERS[number % 4]`` has."""
    form = SENDERS[number % len(SENDERS)]
    digits = f"{number:07d}"[-7:]
    return form[:-7] + digits if "-" not in form else f"{form[:-9]}{digits[:3]}-{digits[3:]}"


def _labelled() -> list[dict]:
    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data", "routing")
    return [json.loads(line) for name in sorted(glob.glob(os.path.join(root, "*.jsonl")))
            for line in open(name, encoding="utf-8")]


def _location(record: dict) -> Location | None:
    if not record.get("location") and "lat" not in record:
        return None
    return Location(text=record.get("location", ""), latitude=record.get("lat"), longitude=record.get("lon"))


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def _warm() -> None:
    """Load the region data and the stemmer before the clock starts; print what it took."""
    memory, cpu, started = _rss_mib(), time.process_time(), time.perf_counter()
    regions.index()
    typos.correct(["samarinda"])
    words.stem("perbaikan")
    indexed, indexed_cpu, indexed_memory = time.perf_counter(), time.process_time(), _rss_mib()
    region.from_coordinates(-0.5, 117.15)
    print(f"region data: names and indexes {indexed - started:.2f}s ({indexed_cpu - cpu:.2f}s CPU, "
          f"+{indexed_memory - memory:.0f} MiB), village centroids {time.perf_counter() - indexed:.2f}s "
          f"({time.process_time() - indexed_cpu:.2f}s CPU, +{_rss_mib() - indexed_memory:.0f} MiB); "
          f"load average {os.getloadavg()[0]:.1f}")
    compiled = region.__file__.endswith(".so")
    print("normalizer modules: " + ("compiled by setup.py (Cython)" if compiled else
                                    "interpreted (LAPOR_PURE_PYTHON=1, or not built)"))


if __name__ == "__main__":
    main()
