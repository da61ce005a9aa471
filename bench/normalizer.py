"""Benchmark: messages per second through the normalizer on one core (goal: 20,000/s).

    .venv/bin/python bench/normalizer.py [--seconds 5]

Normalizes a mix of SMS texts (keywords, Indonesian text, emoji, phone forms) in one
process and prints the rate. Figures only; nothing is asserted.
"""
from __future__ import annotations

import argparse
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

TEXTS = [
    "LAPOR jalan rusak di depan SDN 3 Sukamaju, sudah 3 bulan tidak diperbaiki",
    "lapor anonim kepala desa minta uang untuk surat keterangan 😡",
    "INFO jadwal vaksin di puskesmas kecamatan?",
    "Aspirasi: tambah lampu jalan di jalan Merdeka",
    "RAHASIA pungli di kantor kelurahan, petugas minta 50rb",
    "banjir lagi di RT 05, drainase tersumbat sampah",
]
SENDERS = ["081234567890", "6281234567891", "+6281234567892", "0856-1234-5678"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    settings = load_settings({"LAPOR_SECRET_KEY": "bench-secret-key-0123456789",
                              "LAPOR_REDIS_URL": "redis://127.0.0.1/0",
                              "LAPOR_BROKER_URL": "redis://127.0.0.1/0", "LAPOR_MODE": "production"})
    catalogue = load_catalogue(settings)
    ctx = Context(secret_key=settings.secret_key, routing_rules=catalogue.routing,
                  door_agency="KemenPANRB")
    now = datetime.now(timezone.utc)
    messages = [InboundMessage(door_id="sms-1708", channel="kannel", provider_message_id=str(i),
                               sender=SENDERS[i % len(SENDERS)], sender_kind="phone",
                               text=TEXTS[i % len(TEXTS)], received_at=now)
                for i in range(len(TEXTS) * len(SENDERS))]
    count, started = 0, time.perf_counter()
    deadline = started + args.seconds
    while time.perf_counter() < deadline:
        for message in messages:
            build_complaint(message, interpret(message), "id", new_tracking_number(), ctx)
        count += len(messages)
    elapsed = time.perf_counter() - started
    print(f"normalizer: {count / elapsed:,.0f} messages/s on one core "
          f"({count} messages in {elapsed:.1f}s; goal 20,000/s)")


if __name__ == "__main__":
    main()
