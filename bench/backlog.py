"""Benchmark: a backlog of complaints drains while the forwarder's memory stays flat.

    .venv/bin/python bench/backlog.py [--complaints 1000000] [--broker redis|rabbitmq|both]
                                      [--fillers 2] [--concurrency 8] [--batch 1]
                                      [--sample-seconds 5]

For each broker: a redis-server (AOF everysec; the store, and the broker too for
``redis``) and, for ``rabbitmq``, Debian's rabbitmq-server on loopback (a classic durable
queue; quorum with ``LAPOR_QUORUM_QUEUES=1`` in the environment; ``LAPOR_RECONCILE_AFTER_SECONDS``
is passed on too, to age a small backlog past the reconciler's threshold). ``--fillers`` processes
put N unique complaints through the intake (``Intake.take``: parse, normalize, dedup,
ledger and queue message, as a door would), then ONE forwarder process (``lapor-gateway
forward``, ``--batch`` complaints per POST: ``LAPOR_CENTRAL_BATCH``) delivers them to a
keep-alive receiver (bench/forwarder.py's) while its resident
memory (VmRSS in /proc) is sampled every few seconds with the number delivered so far.

Printed: fill and drain rates, the copies left on the queue once every complaint is
delivered (re-published while waiting), RSS at start / 10 % / 50 % / end / max, the samples at every
tenth of the backlog, whether RSS stayed flat (FLAT: the max after the first 10 % of the
backlog is less than 10 % above the RSS at 10 %; the first 10 % is the warm-up), Redis'
memory per complaint (INFO memory) and RabbitMQ's memory (rabbitmq-diagnostics
memory_breakdown) when full and when drained. The goal (issue 12): a million drains on both
brokers with flat forwarder memory.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import redis
from kombu.exceptions import ChannelError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.forwarder import CENTRAL_SECRET, receiver_up, start_receiver  # noqa: E402
from config.settings import load_settings  # noqa: E402
from forwarder import topology  # noqa: E402
from gateway.wiring import build_parts  # noqa: E402
from tests.helpers import (free_port, inbound, start_rabbitmq, start_redis,  # noqa: E402
                           stop_rabbitmq, wait_for)

FLAT_MARGIN = 0.10        # max after warm-up under 10 % above the RSS at 10 % of the backlog
WARM_UP = 0.10
DOOR = "sms-1708"
PASSED_ON = ("LAPOR_QUORUM_QUEUES", "LAPOR_RECONCILE_AFTER_SECONDS")   # from the caller's env
DIAGNOSTICS = "/usr/lib/rabbitmq/bin/rabbitmq-diagnostics"


# ----- measuring ------------------------------------------------------------------------
def rss_kib(pid: int) -> int:
    """The resident set of process ``pid`` in KiB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def at_fraction(samples: list[tuple[float, int, int]], total: int, fraction: float):
    """The first sample (seconds, delivered, rss KiB) with at least ``fraction`` delivered."""
    return next((s for s in samples if s[1] >= fraction * total), samples[-1])


def rss_verdict(samples: list[tuple[float, int, int]], total: int) -> dict:
    """RSS at start, 10 %, 50 %, end, max, and whether it stayed flat after the warm-up."""
    warm = at_fraction(samples, total, WARM_UP)
    after = [rss for _, delivered, rss in samples if delivered >= warm[1]]
    peak = max(after)
    started = next((s for s in samples if s[1] > 0), samples[-1])   # consuming
    return {"start": started[2], "warm": warm[2], "half": at_fraction(samples, total, 0.5)[2],
            "end": samples[-1][2], "max": max(s[2] for s in samples), "max_after_warm": peak,
            "growth": (peak - warm[2]) / warm[2], "flat": peak - warm[2] < FLAT_MARGIN * warm[2]}


def redis_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def left_on_queue(parts) -> int:
    """Messages waiting in the complaints queue; after the drain, copies (re-published)."""
    with topology.connect(parts.settings.broker_url) as connection:
        queue = parts.publisher.topology.queue(topology.COMPLAINTS)(connection.default_channel)
        try:
            return queue.queue_declare(passive=True).message_count
        except ChannelError:          # kombu's Redis transport: an empty queue has no key
            return 0


def rabbit_memory(env: dict | None) -> str:
    """RabbitMQ's memory breakdown, its largest parts on one line ('' without RabbitMQ)."""
    if env is None:
        return ""
    done = subprocess.run([DIAGNOSTICS, "memory_breakdown", "--unit", "MB"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    parts = []
    for line in done.stdout.splitlines():
        name, _, rest = line.partition(":")
        if rest.strip().split(" ")[0].replace(".", "").isdigit():
            parts.append((float(rest.split()[0]), name.strip()))
    total = sum(size for size, _ in parts)
    top = ", ".join(f"{name} {size:,.0f}" for size, name in sorted(parts, reverse=True)[:4])
    return f"{total:,.0f} MB in all ({top} MB)"


# ----- filling --------------------------------------------------------------------------
def _fill_slice(env: dict, first: int, last: int) -> None:
    """Put complaints ``first``..``last``-1 through the intake (one filler process)."""
    parts = build_parts(load_settings(env))
    try:
        for i in range(first, last):
            parts.intake.take(inbound(f"LAPOR jalan rusak di gang nomor {i}, mohon diperbaiki",
                                      sender=f"08{i:010d}", provider_id=f"backlog-{i}"))
    finally:
        parts.publisher.close()


def fill(env: dict, store, total: int, fillers: int, progress: float) -> float:
    """Queue ``total`` unique complaints with ``fillers`` processes; return the seconds taken
    (a progress line on stderr every ``progress`` seconds)."""
    bounds = [total * k // fillers for k in range(fillers + 1)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(fillers) as pool:
        work = pool.starmap_async(_fill_slice,
                                  [(env, bounds[k], bounds[k + 1]) for k in range(fillers)])
        while not work.ready():
            work.wait(progress)
            _progress("filled", time.perf_counter() - started, store, "accepted", None)
        work.get()
    return time.perf_counter() - started


def _progress(what: str, seconds: float, store, event: str, rss: int | None) -> None:
    done = store.stats().get((event, DOOR), 0)
    memory = f", forwarder RSS {rss / 1024:.1f} MiB" if rss else ""
    print(f"  {seconds:6.0f}s {what} {done:,}{memory} (load {os.getloadavg()[0]:.1f})",
          file=sys.stderr, flush=True)


# ----- draining -------------------------------------------------------------------------
def drain(env: dict, store, total: int, every: float, progress: float) -> tuple[float, list]:
    """Start one forwarder, sample (seconds, delivered, RSS KiB) until all are delivered."""
    forwarder = subprocess.Popen([sys.executable, "-m", "gateway.cli", "forward"], env=env,
                                 cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples: list[tuple[float, int, int]] = []
    started = time.perf_counter()
    try:
        while True:
            delivered = store.stats().get(("delivered", DOOR), 0)
            if forwarder.poll() is not None:
                raise RuntimeError(f"the forwarder exited ({forwarder.returncode})")
            samples.append((time.perf_counter() - started, delivered, rss_kib(forwarder.pid)))
            if samples[-1][0] // progress > samples[max(0, len(samples) - 2)][0] // progress:
                _progress("delivered", samples[-1][0], store, "delivered", samples[-1][2])
            if delivered >= total:
                return samples[-1][0], samples
            time.sleep(every)
    finally:
        forwarder.terminate()
        forwarder.wait(60)


# ----- one broker -----------------------------------------------------------------------
def run_broker(broker: str, args) -> dict:
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lapor-backlog-")))
        redis_port, receiver_port = free_port(), free_port()
        redis_process = start_redis(redis_port, workdir)
        stack.callback(_end, redis_process)
        store_url = f"redis://127.0.0.1:{redis_port}/0"
        broker_url, rabbit_env = store_url, None
        if broker == "rabbitmq":
            amqp_port = free_port()
            (workdir / "rabbitmq").mkdir()
            rabbit_process, rabbit_env = start_rabbitmq(amqp_port, workdir / "rabbitmq")
            stack.callback(stop_rabbitmq, rabbit_process, rabbit_env)
            broker_url = f"amqp://guest:guest@127.0.0.1:{amqp_port}//"
        receiver = start_receiver(receiver_port, 1, workdir)
        stack.callback(_end, receiver)
        env = _environment(store_url, broker_url, workdir, receiver_port, args)
        wait_for(lambda: receiver_up(receiver_port), timeout=30, message="receiver")
        parts = build_parts(load_settings(env))
        stack.callback(parts.publisher.close)
        client = redis.Redis(port=redis_port)
        empty = redis_memory(client)
        filled = fill(env, parts.store, args.complaints, args.fillers, args.progress_seconds)
        full, aof = redis_memory(client), _disk_mib(workdir / "appendonlydir")
        rabbit_full = rabbit_memory(rabbit_env)
        print(f"  filled {args.complaints:,} in {filled:.0f}s; redis used_memory "
              f"{full / 2**20:,.0f} MiB, AOF {aof:,.0f} MiB; rabbitmq {rabbit_full or '-'}",
              file=sys.stderr, flush=True)
        drained, samples = drain(env, parts.store, args.complaints, args.sample_seconds,
                                 args.progress_seconds)
        return {"broker": broker, "batch": args.batch, "fill_seconds": filled, "drain_seconds": drained,
                "samples": samples, "redis_empty": empty, "redis_full": full, "aof_full": aof,
                "redis_drained": redis_memory(client), "rabbit_full": rabbit_full,
                "rabbit_drained": rabbit_memory(rabbit_env), "copies": left_on_queue(parts)}


def _environment(store_url: str, broker_url: str, workdir: Path, receiver_port: int,
                 args) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LAPOR_") or k in PASSED_ON}
    env.update(LAPOR_REDIS_URL=store_url, LAPOR_BROKER_URL=broker_url, LAPOR_MODE="production",
               LAPOR_SECRET_KEY="bench-secret-key-0123456789", LAPOR_DATA_DIR=str(workdir),
               LAPOR_CENTRAL_URL=f"http://127.0.0.1:{receiver_port}/complaints",
               LAPOR_CENTRAL_SECRET=CENTRAL_SECRET, LAPOR_LOG_LEVEL="WARNING",
               LAPOR_FORWARD_CONCURRENCY=str(args.concurrency), LAPOR_FOLLOWUP_MINUTES="0",
               LAPOR_CENTRAL_BATCH=str(args.batch),
               LAPOR_FLOOD_PER_MINUTE="1000000000", PYTHONPATH=str(ROOT))
    return env


def _disk_mib(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.glob("*") if f.is_file()) / 2**20


def _end(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(30)


# ----- printing -------------------------------------------------------------------------
def report(result: dict, total: int) -> list[str]:
    samples, verdict = result["samples"], rss_verdict(result["samples"], total)
    mib = 1024 * 1024
    per = (result["redis_full"] - result["redis_empty"]) / total
    lines = [
        f"== {result['broker']}{_queue_kind(result['broker'])}: "
        f"{total:,} complaints, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
        f"fill:  {total / result['fill_seconds']:,.0f} complaints/s through the intake "
        f"({result['fill_seconds']:.0f}s)",
        f"drain: {total / result['drain_seconds']:,.0f} complaints/s, one forwarder, "
        f"{result['batch']} per POST "
        f"({result['drain_seconds']:.0f}s; goal: drains, with flat memory); "
        f"{result['copies']:,} copies left on the queue (re-published, goal 0)",
        f"forwarder RSS MiB: start {verdict['start'] / 1024:.1f}, 10% {verdict['warm'] / 1024:.1f}, "
        f"50% {verdict['half'] / 1024:.1f}, end {verdict['end'] / 1024:.1f}, "
        f"max {verdict['max'] / 1024:.1f} ({len(samples)} samples)",
        f"flat: {'YES' if verdict['flat'] else 'NO'} (max after 10% is "
        f"{verdict['growth']:+.1%} of the RSS at 10%; flat means under +{FLAT_MARGIN:.0%})",
        "samples (s, delivered, RSS MiB): " + "; ".join(
            f"{s[0]:.0f}, {s[1]:,}, {s[2] / 1024:.1f}"
            for s in _spread(samples, total)),
        f"redis used_memory MiB: empty {result['redis_empty'] / mib:,.1f}, full "
        f"{result['redis_full'] / mib:,.1f} ({per:,.0f} bytes per complaint), drained "
        f"{result['redis_drained'] / mib:,.1f}; AOF on disk when full {result['aof_full']:,.0f} MiB"]
    if result["rabbit_full"]:
        lines.append(f"rabbitmq memory: full {result['rabbit_full']}; "
                     f"drained {result['rabbit_drained']}")
    return lines


def _queue_kind(broker: str) -> str:
    if broker != "rabbitmq":
        return ""
    return " (quorum queue)" if os.environ.get("LAPOR_QUORUM_QUEUES") == "1" else " (classic durable queue)"


def _spread(samples: list, total: int) -> list:
    """The first sample at or past every tenth of the backlog, and the last one."""
    picked = [at_fraction(samples, total, k / 10) for k in range(11)]
    return list(dict.fromkeys(picked + [samples[-1]]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--broker", choices=("redis", "rabbitmq", "both"), default="both")
    parser.add_argument("--fillers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1, help="LAPOR_CENTRAL_BATCH")
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--progress-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # stop everything it started
    for broker in ("redis", "rabbitmq") if args.broker == "both" else (args.broker,):
        print("\n".join(report(run_broker(broker, args), args.complaints)), flush=True)


if __name__ == "__main__":
    main()
