"""Benchmark: complaints per second from the queue to a keep-alive central receiver.

    .venv/bin/python bench/forwarder.py [--complaints 10000] [--concurrency 8]
        [--brokers redis,amqp] [--processes 1,4] [--batch 1,50] [--receiver-workers 2]

Starts a redis-server (AOF everysec; the store, and the broker for ``redis``), a
rabbitmq-server on loopback for ``amqp``, and the example central receiver
(``examples/central_receiver.py``: it checks every HMAC signature and deduplicates, served
by gunicorn gthread with ``--receiver-workers`` processes and HTTP keep-alive, so the
receiver is not the bottleneck). For every broker it first prints kombu's own cost per
message (``bench/broker_cost.py``). Then, for every broker x processes x batch size: puts N
complaints through the intake (they wait on the queue), starts that many
``lapor-gateway forward`` processes (``LAPOR_CENTRAL_BATCH``) and times them until the
ledger says every complaint is delivered. Each delivery is the whole contract: ledger
check, JSON, HMAC signature, POST, ledger update, ack. Printed per run: complaints/s
(aggregate), the forwarders' CPU seconds per 1,000, the Redis commands per complaint
(broker and ledger on Redis; the ledger alone with RabbitMQ), the load average, and the
goal (2,000/s from one process, 5,000/s from several). Figures only.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import broker_cost, cpu  # noqa: E402
from config.settings import load_settings  # noqa: E402
from gateway.wiring import build_parts  # noqa: E402
from tests.helpers import free_port, inbound, start_rabbitmq, start_redis, stop_rabbitmq, wait_for  # noqa: E402

CENTRAL_SECRET = "bench-central-secret"


def main() -> None:
    args = _arguments()
    workdir = Path(tempfile.mkdtemp(prefix="lapor-bench-forward-"))
    redis_port, receiver_port = free_port(), free_port()
    services = [start_redis(redis_port, workdir)]
    rabbit = None
    try:
        receiver = start_receiver(receiver_port, args.receiver_workers, workdir)
        services.append(receiver)
        brokers = {"redis": f"redis://127.0.0.1:{redis_port}/%d"}
        if "amqp" in args.brokers:
            amqp_port = free_port()
            (workdir / "rabbit").mkdir()
            rabbit = start_rabbitmq(amqp_port, workdir / "rabbit")
            brokers["amqp"] = f"amqp://guest:guest@127.0.0.1:{amqp_port}//"
        wait_for(lambda: receiver_up(receiver_port), timeout=30, message="receiver")
        print(f"receiver: examples/central_receiver.py (signature checked, deduplicated), gunicorn "
              f"gthread, {args.receiver_workers} worker processes; {os.cpu_count()} cores")
        databases = iter(range(1, 16))
        for broker in args.brokers:
            print(f"{broker}:")
            cost_url = brokers[broker] % 15 if broker == "redis" else brokers[broker]
            broker_cost.report(cost_url, args.cost_messages)
            for processes in args.processes:
                for batch in args.batch:
                    db = next(databases)
                    store = f"redis://127.0.0.1:{redis_port}/{db}"
                    url = store if broker == "redis" else brokers[broker]
                    _run(args, workdir, _environment(args, store, url, receiver_port, workdir, batch),
                         processes, batch)
    finally:
        if rabbit is not None:
            stop_rabbitmq(*rabbit)
        for process in services:
            process.terminate()
            process.wait()


def _arguments():
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--brokers", type=lambda text: text.split(","), default=["redis", "amqp"])
    parser.add_argument("--processes", type=_numbers, default=[1, 4])
    parser.add_argument("--batch", type=_numbers, default=[1, 50])
    parser.add_argument("--receiver-workers", type=int, default=2)
    parser.add_argument("--cost-messages", type=int, default=3000)
    return parser.parse_args()


def _numbers(text: str) -> list[int]:
    return [int(item) for item in text.split(",")]


def start_receiver(port: int, workers: int, workdir: Path) -> subprocess.Popen:
    """The example central receiver (signature checked, keys deduplicated) under gunicorn."""
    env = dict(os.environ, LAPOR_CENTRAL_SECRET=CENTRAL_SECRET, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "gthread", "--threads", "16", "--keep-alive", "30",
         "examples.central_receiver:app_from_environ()"], cwd=workdir, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _environment(args, store: str, broker: str, receiver_port: int, workdir: Path, batch: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env.update(LAPOR_REDIS_URL=store, LAPOR_BROKER_URL=broker, LAPOR_MODE="production",
               LAPOR_SECRET_KEY="bench-secret-key-0123456789", LAPOR_DATA_DIR=str(workdir),
               LAPOR_CENTRAL_URL=f"http://127.0.0.1:{receiver_port}/complaints",
               LAPOR_CENTRAL_SECRET=CENTRAL_SECRET, LAPOR_LOG_LEVEL="WARNING",
               LAPOR_FORWARD_CONCURRENCY=str(args.concurrency), LAPOR_FOLLOWUP_MINUTES="0",
               LAPOR_FLOOD_PER_MINUTE="1000000000", LAPOR_CENTRAL_BATCH=str(batch),
               PYTHONPATH=str(ROOT))
    return env


def _run(args, workdir: Path, env: dict, processes: int, batch: int) -> None:
    parts = build_parts(load_settings(env))
    for i in range(args.complaints):
        parts.intake.take(inbound(f"LAPOR jalan rusak nomor {i}", sender=f"0812{i:08d}"))
    client = redis.Redis.from_url(env["LAPOR_REDIS_URL"])
    commands_before = _commands(client)
    forwarders = [subprocess.Popen([sys.executable, "-m", "gateway.cli", "forward"], env=env,
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                  for _ in range(processes)]
    try:
        started = time.perf_counter()
        wait_for(lambda: parts.store.stats().get(("delivered", "sms-1708"), 0) >= args.complaints,
                 timeout=3600, interval=0.05, message="all delivered")
        elapsed = time.perf_counter() - started
        spent = sum(cpu.seconds(process.pid) for process in forwarders)
        commands = _commands(client)
    finally:
        for process in forwarders:
            process.terminate()
            process.wait()
        parts.publisher.close()
    goal = "2,000/s" if processes == 1 else "5,000/s"
    print(f"  {processes} process(es) x concurrency {args.concurrency}, batch {batch}: "
          f"{args.complaints / elapsed:,.0f} complaints/s (goal {goal}; {args.complaints:,} in "
          f"{elapsed:.1f}s), {spent / args.complaints * 1000:.2f} forwarder CPU-s per 1,000, "
          f"load {os.getloadavg()[0]:.2f}")
    used = {name: count - commands_before.get(name, 0) for name, count in commands.items()}
    top = sorted(used.items(), key=lambda item: -item[1])[:8]
    print(f"    Redis commands per complaint: {sum(used.values()) / args.complaints:.1f} ("
          + ", ".join(f"{name} {count / args.complaints:.1f}" for name, count in top) + ")")


def _commands(client) -> dict[str, int]:
    """Calls per Redis command so far (INFO commandstats; the server's total, all dbs)."""
    return {name.removeprefix("cmdstat_"): stats["calls"]
            for name, stats in client.info("commandstats").items()}


def receiver_up(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 401
    except requests.RequestException:
        return False


if __name__ == "__main__":
    main()
