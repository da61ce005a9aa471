"""Benchmark: how long ``lapor-gateway run`` on the embedded default takes to be ready.

    .venv/bin/python bench/start.py [--runs 5]

Each run starts ``lapor-gateway run`` (no LAPOR_REDIS_URL / LAPOR_BROKER_URL: the embedded
redis-server, in a new empty data folder) on a free port and polls ``/readyz`` every 10 ms
until it answers 200 (the store and the broker answer: a complaint would be durably
accepted). Prints, per run and as the median, the seconds from the process's start to the
first ``/healthz`` answer and to the first 200 on ``/readyz``; then stops it (SIGTERM) and
waits for it. A second pass does the same on the data folder the first run left (a restart).
The goal (issue 12): ready in under 2 s. Figures only: nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port  # noqa: E402

GOAL_SECONDS = 2.0


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=0.5).status_code == 200
    except requests.RequestException:
        return False


def one_start(data_dir: Path, timeout: float = 60.0) -> tuple[float, float]:
    """(seconds to the first /healthz answer, seconds to the first 200 on /readyz)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env.update(LAPOR_DATA_DIR=str(data_dir), LAPOR_LOG_LEVEL="WARNING")
    script = str(Path(sys.executable).with_name("lapor-gateway"))
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    process = subprocess.Popen([script, "run", "--port", str(port)], env=env, cwd=str(data_dir.parent),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    alive = ready = None
    try:
        while ready is None and time.monotonic() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"lapor-gateway run exited with {process.returncode}")
            if alive is None and _answers(base + "/healthz"):
                alive = time.monotonic() - started
            if alive is not None and _answers(base + "/readyz"):
                ready = time.monotonic() - started
            else:
                time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if ready is None:
        raise RuntimeError("lapor-gateway run was not ready in time")
    return alive, ready


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    passes = {"fresh data folder": [], "restart (same folder)": []}
    for run in range(args.runs):
        workdir = Path(tempfile.mkdtemp(prefix="lapor-start-"))
        try:
            for name, figures in passes.items():
                figures.append(one_start(workdir / "var"))
                alive, ready = figures[-1]
                print(f"run {run + 1} {name:<22} /healthz {alive:5.2f} s   /readyz 200 {ready:5.2f} s",
                      flush=True)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    load = os.getloadavg()
    print(f"\nlapor-gateway run, embedded default, {args.runs} runs (medians), "
          f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for name, figures in passes.items():
        ready = [r for _, r in figures]
        print(f"{name:<22} /healthz {statistics.median(a for a, _ in figures):5.2f} s   "
              f"/readyz 200 {statistics.median(ready):5.2f} s (range {min(ready):.2f}-{max(ready):.2f})"
              f"   goal < {GOAL_SECONDS:g} s: {'met' if statistics.median(ready) < GOAL_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
