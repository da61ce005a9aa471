"""Serving an app with gunicorn and loading it with wrk, for ``bench/intake.py``: a server
started and waited for, one wrk run read into figures, and the readings around it (the
gateway's region data loaded, the servers idle, Redis's reads from its clients)."""
from __future__ import annotations

import re
import secrets
import subprocess
import time
from pathlib import Path

import redis
import requests

from bench import cpu
from tests.helpers import wait_for


def serve(command: list[str], env: dict, port: int, cwd: str) -> subprocess.Popen:
    """Start the server ``command`` and wait until it answers (at most 120 s)."""
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)

    def up():
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz" if "gateway" in command[-1]
                                else f"http://127.0.0.1:{port}/ping", timeout=1).ok
        except requests.RequestException:
            return False

    wait_for(up, timeout=120, message="server up")    # a loaded machine: the workers start slowly
    return process


def load(port: int, lua: str, seconds: float, connections: int, workdir: Path, name: str) -> dict:
    """One wrk run. Lua's random numbers are seeded anew for each (wrk does not seed them:
    every run drew the same ``id_prefix``, so before 2026-11-30 11:35 the second and third
    rounds of the Kannel, form and API doors sent the first round's message ids and keys
    again and were mostly answered as duplicates)."""
    script = workdir / f"{name}.lua"
    script.write_text(f"math.randomseed({secrets.randbelow(2**31 - 1) + 1})\n{lua}")
    output = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency",
                             "-s", str(script), f"http://127.0.0.1:{port}"],
                            capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    served = int(re.search(r"(\d+) requests in", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    repeated = re.search(r"repeated: (\d+)", output)
    return {"rps": rps, "served": served, "p50": _latency(output, "50%"), "p99": _latency(output, "99%"),
            "errors": int(non2xx.group(1)) if non2xx else 0,
            "repeated": int(repeated.group(1)) if repeated else 0}


def _latency(output: str, label: str) -> float:
    value, unit = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def suggestions_loaded(port: int) -> bool:
    """True when ``/readyz`` says the region data is loaded on 8 answers in a row (each
    from whichever worker took it: with 2 workers, a worker still loading is missed 1 time
    in 256)."""
    for _ in range(8):
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json().get("suggestions") != "ok":
                return False
        except (requests.RequestException, ValueError):
            return False
    return True


def quiet(pids: tuple[int, ...], spell: float = 0.5, most: float = 0.05) -> bool:
    """True when the servers' processes together used under ``most`` of a core over
    ``spell`` seconds."""
    before = sum(cpu.tree_seconds(pid) for pid in pids)
    time.sleep(spell)
    return sum(cpu.tree_seconds(pid) for pid in pids) - before < most * spell


def redis_reads(client: redis.Redis) -> int:
    """How many reads redis-server made from its clients' sockets so far: a client's round
    trip is one, however many commands it pipelined (``INFO stats``)."""
    return int(client.info("stats")["total_reads_processed"])
