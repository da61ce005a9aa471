"""Benchmark: what a worker's look for lost jobs costs while work piles up (Redis broker).

    .venv/bin/python bench/lost_looks.py [--count 100000]

A look (``forwarder.recovery.LostJobs``; the forwarder's reconciler beside it) runs in the
worker's own loop: whatever it costs, the worker is not delivering or sending meanwhile.
Each case fills a throwaway redis-server (``bench/local.py``) with ``--count`` items and
times one look, with the growth of this process's resident memory:

* ``queue``      that many complaint-sized messages waiting in the complaints queue: the
                 look reads them all to tell what is present (``recovery.present_keys``);
* ``outage``     that many complaints accepted an hour ago and waiting in the retry
                 schedule (the central system down): the forwarder's look after a death,
                 and its reconciler's look (every 5 s);
* ``replies``    that many replies waiting in the retry schedule (a provider down), each
                 scheduled the way the notifier does (``Store.schedule``): the notifier's
                 look (every 30 s).

None of them is lost, so every look should put back nothing. Figures only: nothing is
asserted.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.local import local_parts  # noqa: E402
from forwarder import keys, recovery  # noqa: E402
from forwarder.notifier import NotifyWorker  # noqa: E402
from forwarder.topology import COMPLAINTS, connect  # noqa: E402
from forwarder.worker import ForwardWorker, reconcile  # noqa: E402

BATCH = 5_000


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return int(status.read().split("VmRSS:")[1].split()[0])


def timed(label: str, look, outcome: str = "put back") -> None:
    before = rss_kib()
    started = time.perf_counter()
    result = look()
    print(f"{label:<44} {time.perf_counter() - started:8.3f} s   RSS +{(rss_kib() - before) / 1024:6.1f} MiB"
          f"   {outcome} {result:,}")


def fill(client, count: int, write) -> None:
    pipe = client.pipeline(transaction=False)
    for index in range(count):
        write(pipe, index)
        if index % BATCH == BATCH - 1:
            pipe.execute()
    pipe.execute()


def queue_case(parts, count: int) -> None:
    body = json.dumps({"text": "x" * 1400})
    fill(parts.store.redis, count, lambda pipe, n: pipe.lpush(COMPLAINTS, json.dumps(
        {"body": body, "headers": {"idempotency_key": f"{n:032x}"}})))
    with connect(parts.settings.broker_url) as connection:
        timed(f"queue: {count:,} waiting, present_keys", lambda: len(recovery.present_keys(
            connection.default_channel, (COMPLAINTS,))), "keys found")


def outage_case(parts, count: int) -> None:
    old = time.time() - 3600

    def accepted(pipe, n):
        cid = f"{n:032x}"
        pipe.hset(keys.ledger(cid), mapping={"state": "accepted", "attempts": 3, "accepted_at": old})
        pipe.zadd(keys.PENDING, {cid: old})
        pipe.zadd(keys.retry("complaint"), {cid: time.time() + 600})

    fill(parts.store.redis, count, accepted)
    worker = ForwardWorker(parts, threading.Event())
    with connect(parts.settings.broker_url) as connection:
        timed(f"outage: {count:,} scheduled, look after a death",
              lambda: worker.lost.run(recovery.LEASE_SECONDS / 2, connection.default_channel))
    timed(f"outage: {count:,} scheduled, reconciler", lambda: reconcile(parts, 600))
    worker._pool.shutdown()


def replies_case(parts, count: int) -> None:
    jobs = parts.store.reply_jobs
    for n in range(count):
        reply = {"door_id": "sms-1708", "to": f"+62812{n:07d}", "kind": "ack", "attempts": 2,
                 "text": "LAPOR! Laporan Anda diterima, nomor 12345678901.",
                 "complaint_id": f"{n:032x}", "reply_id": f"{n:032x}"}
        jobs.add(reply)
        parts.store.schedule("reply", json.dumps(reply), 1800)
    worker = NotifyWorker(parts, threading.Event())
    with connect(parts.settings.broker_url) as connection:
        timed(f"replies: {count:,} scheduled, periodic look",
              lambda: worker.lost.run(parts.settings.reconcile_after_seconds, connection.default_channel))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    for case in (queue_case, outage_case, replies_case):
        with local_parts() as parts:
            case(parts, args.count)


if __name__ == "__main__":
    main()
