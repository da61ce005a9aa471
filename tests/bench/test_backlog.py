"""bench/backlog.py at a tiny size, so the script does not rot (no speed is asserted): its
RSS sampler reads a real process's memory, its fill queues unique complaints through the
intake, its verdict tells flat from growing, and one whole run on Redis prints every figure."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import redis

from bench.backlog import fill, rss_kib, rss_verdict
from forwarder.topology import COMPLAINTS
from tests.helpers import queued_bodies, wait_for

ROOT = Path(__file__).resolve().parents[2]
GROWER = "import sys, time\nsys.stdin.readline()\nheld = bytearray(64 * 1024 * 1024)\n" \
         "print('grown', flush=True)\ntime.sleep(60)\n"


def test_the_sampler_sees_a_process_grow():
    child = subprocess.Popen([sys.executable, "-c", GROWER], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: rss_kib(child.pid) > 1024, message="the child's interpreter")
        before = rss_kib(child.pid)
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline() == "grown\n"
        assert rss_kib(child.pid) - before >= 60 * 1024
    finally:
        child.kill()
        child.wait()


def test_the_verdict_tells_flat_from_growing():
    flat = [(0.0, 0, 9000), (1.0, 10, 100_000), (2.0, 50, 104_000), (3.0, 100, 105_000)]
    grows = [(0.0, 0, 9000), (1.0, 10, 100_000), (2.0, 50, 130_000), (3.0, 100, 160_000)]
    verdict = rss_verdict(flat, 100)
    assert (verdict["start"], verdict["warm"], verdict["half"], verdict["end"]) == \
        (100_000, 100_000, 104_000, 105_000)
    assert verdict["flat"] and abs(verdict["growth"] - 0.05) < 1e-9
    verdict = rss_verdict(grows, 100)
    assert not verdict["flat"] and verdict["max"] == 160_000


def test_fill_queues_unique_complaints_through_the_intake(environ, parts):
    environ.update(LAPOR_FLOOD_PER_MINUTE="1000000000", LAPOR_FOLLOWUP_MINUTES="0")
    fill(environ, parts.store, 12, 2, progress=1.0)
    assert parts.store.stats()[("accepted", "sms-1708")] == 12
    bodies = queued_bodies(redis.Redis.from_url(environ["LAPOR_REDIS_URL"]), COMPLAINTS)
    assert len({body["id"] for body in bodies}) == 12
    assert all(parts.store.ledger(body["id"])["state"] == "accepted" for body in bodies)


def test_a_whole_run_on_redis_prints_every_figure():
    done = subprocess.run([sys.executable, "bench/backlog.py", "--complaints", "40", "--broker",
                           "redis", "--fillers", "1", "--sample-seconds", "0.2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for figure in ("== redis: 40 complaints", "fill:", "drain:", "forwarder RSS MiB: start",
                   "flat: ", "samples (s, delivered, RSS MiB):", "bytes per complaint"):
        assert figure in out, out
    assert out.split("samples (s")[1].splitlines()[0].split("; ")[-1].split(", ")[1] == "40"
