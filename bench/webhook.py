"""Benchmark: what the webhook door's own work costs per request, in process.

    .venv/bin/python bench/webhook.py [--requests 2000]

The adapter alone, as the gateway calls it (``authenticate`` then ``parse``), best of 3
rounds over the same number of distinct requests: the web door's JSON entrance (``/in/web``,
an Idempotency-Key, six fields) beside the webhook door (a report with the issue's twelve
mapped fields, its Standard Webhooks signature checked by ``standardwebhooks``, the mapping's
JSON Pointers resolved). And the cost of signing one status callback
(``channels.webhook.client``). Nothing touches Redis or the network: the wrk figures of the
whole intake are ``bench/intake.py``'s ``webhook`` row. Figures only; nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from channels.base import WebRequest  # noqa: E402
from channels.registry import build_adapters  # noqa: E402
from channels.webhook import client as callbacks  # noqa: E402
from config.doors import load_catalogue  # noqa: E402
from config.settings import load_settings  # noqa: E402
from normalizer.values import OutboundMessage  # noqa: E402
from tests.channels import webhook_support as wh  # noqa: E402

API_BODY = json.dumps({"classification": "pengaduan", "title": "Jalan rusak", "contact": "081234567890",
                       "body": "Jalan berlubang di depan pasar Minggu", "name": "Siti Aminah",
                       "location": "Jl. Merdeka 10, Bandung"}).encode()


def webhook_request(n: int) -> WebRequest:
    raw = json.dumps(wh.report("Jalan berlubang di depan pasar Minggu", n=n)).encode()
    headers = {k.lower(): v for k, v in wh.signed_headers(raw, f"msg_{n}").items()}
    return WebRequest("POST", f"https://lapor.example/in/{wh.DOOR_ID}", f"/in/{wh.DOOR_ID}", headers, b"",
                      raw, "application/json")


def web_request(n: int) -> WebRequest:
    return WebRequest("POST", "https://lapor.example/in/web", "/in/web", {"idempotency-key": f"k{n}"}, b"",
                      API_BODY, "application/json")


def best_of(rounds: int, work, items) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for item in items:
            work(item)
        best = min(best, (time.perf_counter() - started) / len(items))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    work = Path(tempfile.mkdtemp(prefix="lapor-bench-webhook-"))
    settings = load_settings({"LAPOR_REDIS_URL": "redis://127.0.0.1:1/0", "LAPOR_BROKER_URL": "redis://127.0.0.1:1/0",
                              "LAPOR_DATA_DIR": str(work / "data"), "LAPOR_MODE": "production",
                              "LAPOR_SECRET_KEY": "bench-secret-key-0123456789",
                              "LAPOR_DOORS_FILE": wh.doors_file(work, wh.door()), wh.SECRET_VARIABLE: wh.SECRET})
    adapters = build_adapters(load_catalogue(settings).doors, settings)
    print(f"adapter work per request, best of 3 x {args.requests}:")
    for name, adapter, make in (("web JSON /in/web", adapters["web"], web_request),
                                ("webhook (12 pointers, signed)", adapters[wh.DOOR_ID], webhook_request)):
        requests = [make(n) for n in range(args.requests)]
        cost = best_of(3, lambda request, adapter=adapter: (adapter.authenticate(request), adapter.parse(request)),
                       requests)
        print(f"  {name:<32} {cost * 1e6:7.0f} us")
    message = OutboundMessage(wh.DOOR_ID, "", "LAPOR! Status laporan 2741-0935-882: proses", kind="status",
                              tracking_number="27410935882", reply_id="9b1e" * 8,
                              status={"status": "proses", "agency": "Dinas PU PERA", "due_date": "2027-02-19"})

    def sign(_):
        now = datetime.now(timezone.utc)
        body = callbacks.payload(message, now)
        callbacks.signed_headers(wh.SECRET, "msg_x", now, body)

    print(f"  {'status callback: body + signature':<32} {best_of(3, sign, range(args.requests)) * 1e6:7.0f} us")


if __name__ == "__main__":
    main()
