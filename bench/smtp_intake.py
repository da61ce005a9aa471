"""Benchmark: the e-mail door's SMTP intake (``lapor-gateway smtp``): mails per second and
the latency of DATA (the answer comes only once the complaint is durably queued).

    .venv/bin/python bench/smtp_intake.py [--mails 2000] [--connections 8] [--attachment]

Starts a redis-server (AOF everysec, like production) on loopback as store and broker, the
gateway's SMTP server in-process on the real intake, and ``--connections`` smtplib clients,
each sending its share of ``--mails`` on one connection (as an MTA delivers a queue), every
mail a new Message-ID. ``--attachment`` adds a 40 kB PNG to each mail (stored before the
complaint is queued). Prints mails/s and p50/p99 of DATA. Figures only: nothing asserted.
"""
from __future__ import annotations

import argparse
import smtplib
import statistics
import sys
import tempfile
import threading
import time
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from channels.email import server as smtp_server  # noqa: E402
from config.settings import load_settings  # noqa: E402
from gateway.wiring import build_parts, quiet_chatty_libraries  # noqa: E402
from tests.channels.email.support import PNG, mail  # noqa: E402
from tests.helpers import free_port, start_redis  # noqa: E402

DOORS = '{"extends": "defaults", "doors": [{"id": "lapor-mail", "channel": "email", ' \
        '"agency": "Dinas PU", "options": {"address": "lapor@dinas.test"}}]}'


def mails(count: int, tag: str, attachment: bool) -> list[tuple[str, bytes]]:
    """Built before the clock starts: the clients share the process with the server."""
    files = (("foto.png", PNG + b"\0" * 40_000, "image/png"),) if attachment else ()
    senders = [f"warga{index % 50}@warga.test" for index in range(count)]
    return [(sender, mail(f"Jalan berlubang nomor {index}.", sender=sender, message_id=f"{tag}-{index}",
                          attachments=files).as_bytes(policy=policy.SMTP))
            for index, sender in enumerate(senders)]


def client(port: int, prepared: list, latencies: list) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as session:
        session.ehlo("mx.warga.test")
        for sender, raw in prepared:
            started = time.perf_counter()
            session.mail(sender)
            session.rcpt("lapor@dinas.test")
            code, _text = session.data(raw)
            latencies.append(time.perf_counter() - started)
            if code != 250:
                raise SystemExit(f"answered {code}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--attachment", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        redis_port = free_port()
        redis = start_redis(redis_port, Path(work))
        doors = Path(work) / "doors.json"
        doors.write_text(DOORS)
        url = f"redis://127.0.0.1:{redis_port}/0"
        parts = build_parts(load_settings({
            "LAPOR_REDIS_URL": url, "LAPOR_BROKER_URL": url, "LAPOR_DATA_DIR": str(Path(work) / "data"),
            "LAPOR_SECRET_KEY": "bench-secret-key-0123456789", "LAPOR_MODE": "production",
            "LAPOR_DOORS_FILE": str(doors), "LAPOR_FLOOD_PER_MINUTE": "1000000"}))
        quiet_chatty_libraries()
        port = free_port()
        controller = smtp_server.start(parts, "127.0.0.1", port)
        latencies: list[float] = []
        each = args.mails // args.connections
        threads = [threading.Thread(target=client, args=(port, mails(each, f"c{n}", args.attachment), latencies))
                   for n in range(args.connections)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        controller.stop()
        parts.publisher.close()
        redis.terminate()
        redis.wait(10)
    ordered = sorted(latencies)
    print(f"smtp intake: {len(ordered)} mails, {args.connections} connections"
          f"{', 40 kB attachment each' if args.attachment else ''}: {len(ordered) / elapsed:.0f} mails/s, "
          f"DATA p50 {statistics.median(ordered) * 1000:.1f} ms, "
          f"p99 {ordered[int(len(ordered) * 0.99) - 1] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
