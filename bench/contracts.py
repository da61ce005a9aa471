"""Benchmark: what checking each message against the published contract costs a consumer.

    .venv/bin/python bench/contracts.py [--seconds 3]

Builds complaints with the normalizer (SMS texts: plain, anonymous, confidential,
information requests), then checks them in one process with the central consumer
example's check (``examples/central_consumer.py``: jsonschema against
``schemas/complaint-v1.json``, formats included) and with the marshmallow schema the file
is generated from, in alternating rounds for ``--seconds`` each, and prints complaints per
second for both. Figures only; nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from config.doors import load_catalogue  # noqa: E402
from config.settings import load_settings  # noqa: E402
from examples.central_consumer import contract_error, validators  # noqa: E402
from normalizer.normalize import Context, build_complaint, interpret  # noqa: E402
from normalizer.schema import ComplaintSchema  # noqa: E402
from normalizer.tracking import new_tracking_number  # noqa: E402
from normalizer.values import InboundMessage  # noqa: E402

TEXTS = [
    "LAPOR jalan rusak di depan SDN 3 Sukamaju, sudah 3 bulan tidak diperbaiki",
    "lapor anonim kepala desa minta uang untuk surat keterangan 😡",
    "INFO jadwal vaksin di puskesmas kecamatan?",
    "RAHASIA pungli di kantor kelurahan, petugas minta 50rb",
]


def complaints() -> list[dict]:
    settings = load_settings({"LAPOR_SECRET_KEY": "bench-secret-key-0123456789",
                              "LAPOR_REDIS_URL": "redis://127.0.0.1/0",
                              "LAPOR_BROKER_URL": "redis://127.0.0.1/0", "LAPOR_MODE": "production"})
    ctx = Context(secret_key=settings.secret_key, routing_rules=load_catalogue(settings).routing,
                  door_agency="KemenPANRB")
    now = datetime.now(timezone.utc)
    built = []
    for i, text in enumerate(TEXTS):
        message = InboundMessage(door_id="sms-1708", channel="kannel", provider_message_id=str(i),
                                 sender=f"08123456789{i}", sender_kind="phone", text=text, received_at=now)
        built.append(json.loads(json.dumps(build_complaint(message, interpret(message), "id",
                                                           new_tracking_number(), ctx), default=str)))
    return built


def rates(checks: list, bodies: list[dict], seconds: float) -> list[float]:
    """Complaints per second of each check, run in alternating half-second rounds so that
    a machine's changing load weighs on every check alike."""
    counts, spent = [0] * len(checks), [0.0] * len(checks)
    while sum(spent) < seconds * len(checks):
        for index, check in enumerate(checks):
            started = time.perf_counter()
            while time.perf_counter() - started < 0.5:
                for body in bodies:
                    assert check(body)
                counts[index] += len(bodies)
            spent[index] += time.perf_counter() - started
    return [count / elapsed for count, elapsed in zip(counts, spent)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    bodies = complaints()
    check, schema = validators(), ComplaintSchema()
    published, marshmallow = rates([lambda body: contract_error(check, "complaint", body) is None,
                                    lambda body: schema.validate(body) == {}], bodies, args.seconds)
    print(f"contract check (jsonschema, schemas/complaint-v1.json): {published:,.0f} complaints/s")
    print(f"marshmallow ComplaintSchema().validate:                 {marshmallow:,.0f} complaints/s")


if __name__ == "__main__":
    main()
