"""Benchmark: what ``LAPOR_REDIS_WAIT_REPLICAS=1`` (``WAIT 1 <ms>`` behind each intake script,
``forwarder.store_intake``) costs a complaint, on loopback.

    .venv/bin/python bench/replica_wait.py [--complaints 2000] [--rounds 3]

Starts a redis-server primary and a replica following it (AOF everysec, as the fault tests
run them), then records ``--complaints`` complaints through ``Store.accept`` without and
with WAIT, alternating, ``--rounds`` times each. Per setting it prints the answer time
per complaint (median and p99, microseconds), this process's CPU per complaint and the
primary's (Redis's own ``used_cpu_*``), both in microseconds. Then, with the replica
stopped (SIGSTOP), the answer times of five intakes: the first waits ``LAPOR_REDIS_WAIT_MS``
before the spool takes it, the next ones (within a second) are spooled at once. Figures
only; the goal is printed beside, and the load average.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.linking import complaint, percentile  # noqa: E402
from forwarder.store import NotReplicated, ReplicaWait, Store  # noqa: E402
from tests.faults.procs import RedisServer  # noqa: E402
from tests.helpers import free_port, wait_for  # noqa: E402

WAIT_MS = 500          # LAPOR_REDIS_WAIT_MS's default
SYNC_AT_ONCE = ("--repl-diskless-sync-delay", "0")


def redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def one_round(store: Store, primary: redis.Redis, count: int, offset: int) -> dict:
    """``count`` accepts; answer times (s), this process's and the primary's CPU (s)."""
    items = [complaint("jalan rusak di depan sekolah", offset + n) for n in range(count)]
    times, cpu, server = [], time.process_time(), redis_cpu(primary)
    for item in items:
        start = time.perf_counter()
        store.accept(item, f"bench:{uuid.uuid4().hex}", "")
        times.append(time.perf_counter() - start)
    return {"times": times, "cpu": time.process_time() - cpu, "server": redis_cpu(primary) - server}


def linked(primary: redis.Redis) -> bool:
    primary.incr("bench-replica-check")
    return primary.wait(1, 100) == 1


def measure(args, primary: redis.Redis) -> dict[str, list[dict]]:
    stores = {"WAIT off": Store(primary, 8 * 86400, 30 * 86400),
              "WAIT 1": Store(primary, 8 * 86400, 30 * 86400, wait=ReplicaWait(1, WAIT_MS))}
    rounds: dict[str, list[dict]] = {name: [] for name in stores}
    offset = 0
    for _ in range(args.rounds):
        for name, store in stores.items():
            rounds[name].append(one_round(store, primary, args.complaints, offset))
            offset += args.complaints
    return rounds


def replica_down(primary: redis.Redis, replica: RedisServer, tries: int = 5) -> list[float]:
    """Answer times of intakes the stopped replica cannot confirm (each NotReplicated)."""
    store = Store(primary, 8 * 86400, 30 * 86400, wait=ReplicaWait(1, WAIT_MS))
    replica.process.send_signal(signal.SIGSTOP)
    try:
        times = []
        for n in range(tries):
            start = time.perf_counter()
            try:
                store.accept(complaint("lampu jalan mati", 10**9 + n), f"down:{n}", "")
            except NotReplicated:
                times.append(time.perf_counter() - start)
        return times
    finally:
        replica.process.send_signal(signal.SIGCONT)


def report(rounds: dict[str, list[dict]], down: list[float], count: int) -> None:
    medians = {}
    for name, results in rounds.items():
        times = [t for result in results for t in result["times"]]
        total = count * len(results)
        medians[name] = statistics.median(times)
        print(f"{name:9} answer median {medians[name] * 1e6:7.0f} us  p99 "
              f"{percentile(times, 0.99) * 1e6:7.0f} us  client CPU "
              f"{sum(r['cpu'] for r in results) / total * 1e6:5.0f} us  primary CPU "
              f"{sum(r['server'] for r in results) / total * 1e6:5.0f} us  per complaint "
              f"({total} complaints, {len(results)} rounds)")
    added = (medians["WAIT 1"] - medians["WAIT off"]) * 1e6
    print(f"WAIT adds {added:.0f} us per complaint (median; goal: no second round trip, "
          f"well under 1 ms on loopback: the replica's acknowledgement only)")
    if down:
        print(f"replica stopped: first intake NotReplicated after {down[0] * 1e3:.0f} ms (goal: "
              f"LAPOR_REDIS_WAIT_MS = {WAIT_MS} ms), the next {len(down) - 1} after "
              f"{max(down[1:]) * 1e3:.1f} ms at most (goal: at once, not sent to Redis)")
    print("load average: " + " ".join(f"{value:.2f}" for value in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)    # the bare complaints are not counted in the statistics
    workdir = Path(tempfile.mkdtemp(prefix="lapor-bench-wait-"))
    primary_server = RedisServer(workdir / "primary", extra=SYNC_AT_ONCE).start()
    replica = RedisServer(workdir / "replica", port=free_port(),
                          extra=(*SYNC_AT_ONCE, "--replicaof", "127.0.0.1", str(primary_server.port)))
    try:
        replica.start()
        primary = redis.Redis(port=primary_server.port)
        wait_for(lambda: linked(primary), timeout=30, interval=0.05, message="replica acknowledging")
        rounds = measure(args, primary)
        report(rounds, replica_down(primary, replica), args.complaints)
    finally:
        replica.stop(signal.SIGKILL)
        primary_server.stop(signal.SIGKILL)


if __name__ == "__main__":
    main()
