"""Benchmark: complaints per second from the queue to a keep-alive central receiver.

    .venv/bin/python bench/forwarder.py [--complaints 20000] [--concurrency 8]

Starts a redis-server (AOF everysec) and a receiver that answers 200 to every POST
(gunicorn, gthread, HTTP keep-alive), puts N complaints through the intake (they wait on
the queue), then starts ONE forwarder process and times it until the ledger says every
complaint is delivered. Each delivery is the whole contract: ledger check, JSON, HMAC
signature, POST, ledger update, ack. Figures only; the goal (DESIGN.md) is 2,000/s.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.settings import load_settings  # noqa: E402
from gateway.wiring import build_parts  # noqa: E402
from tests.helpers import free_port, inbound, start_redis, wait_for  # noqa: E402

RECEIVER = '''
def app(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lapor-bench-forward-"))
    redis_port, receiver_port = free_port(), free_port()
    redis_process = start_redis(redis_port, workdir)
    (workdir / "receiver.py").write_text(RECEIVER)
    receiver = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{receiver_port}", "--workers", "1",
         "--worker-class", "gthread", "--threads", str(args.concurrency), "--keep-alive", "30",
         "receiver:app"], cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{redis_port}/0"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env.update(LAPOR_REDIS_URL=url, LAPOR_BROKER_URL=url, LAPOR_MODE="production",
               LAPOR_SECRET_KEY="bench-secret-key-0123456789", LAPOR_DATA_DIR=str(workdir),
               LAPOR_CENTRAL_URL=f"http://127.0.0.1:{receiver_port}/complaints",
               LAPOR_CENTRAL_SECRET="bench-central-secret", LAPOR_LOG_LEVEL="WARNING",
               LAPOR_FORWARD_CONCURRENCY=str(args.concurrency), LAPOR_FOLLOWUP_MINUTES="0",
               LAPOR_FLOOD_PER_MINUTE="1000000000", PYTHONPATH=str(ROOT))
    forwarder = None
    try:
        wait_for(lambda: _up(receiver_port), timeout=30, message="receiver")
        parts = build_parts(load_settings(env))
        started = time.perf_counter()
        for i in range(args.complaints):
            parts.intake.take(inbound(f"LAPOR jalan rusak nomor {i}", sender=f"0812{i:08d}"))
        intake_rate = args.complaints / (time.perf_counter() - started)
        forwarder = subprocess.Popen([sys.executable, "-m", "gateway.cli", "forward"], env=env,
                                     cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.perf_counter()
        wait_for(lambda: parts.store.stats().get(("delivered", "sms-1708"), 0) >= args.complaints,
                 timeout=3600, interval=0.1, message="all delivered")
        elapsed = time.perf_counter() - started
        print(f"forwarder: {args.complaints / elapsed:,.0f} complaints/s to a keep-alive receiver "
              f"({args.complaints:,} in {elapsed:.1f}s, one process, concurrency "
              f"{args.concurrency}, {os.cpu_count()} cores; goal 2,000/s)")
        print(f"intake in-process (single thread, for reference): {intake_rate:,.0f} complaints/s")
        parts.publisher.close()
    finally:
        for process in (forwarder, receiver, redis_process):
            if process is not None:
                process.terminate()
                process.wait()


def _up(port: int) -> bool:
    try:
        return requests.post(f"http://127.0.0.1:{port}/", data=b"{}", timeout=1).ok
    except requests.RequestException:
        return False


if __name__ == "__main__":
    main()
