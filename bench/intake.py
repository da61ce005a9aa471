"""Benchmark: intake throughput and latency per door, beside a bare Flask endpoint.

    apt-get install -y wrk redis-server      # once
    .venv/bin/python bench/intake.py [--seconds 10] [--connections 16] [--rounds 3]

Starts a redis-server (AOF everysec, like production) on loopback, then serves, each the
same way (``lapor-gateway web``'s gunicorn command: 2 gevent
workers), (1) a bare Flask endpoint and (2) the gateway, and loads each with
wrk at 16 connections:

* ``bare``        GET /ping on the bare Flask app (the yardstick)
* ``lpush``       the bare app doing one Redis LPUSH of 1.5 kB per request (for reference:
                  the cost of a single round trip)
* ``kannel``      GET /in/sms-1708 with Kannel's get-url parameters, a new message id each
* ``web-form``    POST /lapor, form-encoded with a CSRF token and a new submission id each
* ``json-api``    POST /api/v1/complaints with a new Idempotency-Key each
* ``webhook``     POST /in/bench-webhook, an agency app's JSON report mapped by JSON Pointers,
                  signed as Standard Webhooks says (``standardwebhooks``), a new webhook-id
                  each; wrk's Lua has no HMAC, so the signed requests are made here before
                  each round (fresh timestamps, within the 5-minute tolerance) and used in
                  order (``WEBHOOK_PER_SECOND`` per second of load; past them, duplicates)
* ``json-api-key`` the same with ``Authorization: Bearer <agency API key>`` (a key made
                  with ``lapor-gateway keys create`` first): the key's look-up on top

Both servers run side by side and the doors are loaded in interleaved rounds (default 3),
so a slow spell of a shared machine hits every door alike; the figures are medians, with
the range of the per-round ratio to bare Flask. Prints requests/s, p50 and p99 latency. Every request of the
gateway runs the whole intake (verify, normalize, dedup + ledger, publish to the queue).
Figures only: nothing is asserted. The goal (DESIGN.md): >= 0.6x bare, p99 < 25 ms.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.processes import WORKER_CLASS, gunicorn_command  # noqa: E402
from tests.helpers import free_port, start_redis, wait_for  # noqa: E402

SECRET = "benchdoorsecret"
KANNEL_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/in/sms-1708?secret=%(secret)s&from=0812%%2B" .. math.random(1000000, 9999999)
    .. "&to=1708&text=LAPOR+jalan+rusak+di+depan+SDN+3&coding=0&charset=UTF-8"
    .. "&time=2026-11-24+10%%3A00%%3A00&smsc=bench&id=" .. id_prefix .. "-" .. counter)
end
setup = function(thread) thread:set("id_prefix", tostring(math.random(1, 1e9))) end
"""
FORM_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local body = "csrf_token=%(token)s&submission_id=" .. id_prefix .. "x" .. counter
    .. "&language=id&classification=pengaduan&title=&body=Jalan+berlubang+di+depan+pasar+Minggu"
    .. "&location=Bandung&contact=081234567890&name=Siti"
  return wrk.format("POST", "/lapor", {["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "%(cookie)s"}, body)
end
setup = function(thread) thread:set("id_prefix", tostring(math.random(1, 1e9))) end
"""
API_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/complaints", {["Content-Type"] = "application/json",
    ["Idempotency-Key"] = id_prefix .. "-" .. counter},
    '{"classification": "pengaduan", "body": "Jalan berlubang di depan pasar Minggu", "contact": "081234567890"}')
end
setup = function(thread) thread:set("id_prefix", tostring(math.random(1, 1e9))) end
"""
WEBHOOK_SECRET = "whsec_YmVuY2gtd2ViaG9vay1zZWNyZXQtMzItYnl0ZXMhIQ=="
WEBHOOK_PER_SECOND = 4000
WEBHOOK_DOORS = {"extends": "defaults", "doors": [
    {"id": "bench-webhook", "channel": "webhook", "agency": "Pemprov Jawa Barat",
     "credentials": {"secret": "LAPOR_BENCH_WEBHOOK_SECRET"},
     "options": {"mapping": {"text": "/laporan/isi", "sender": "/pelapor/hp", "message_id": "/id",
                             "classification": "/jenis", "location_text": "/lokasi/alamat"}}}]}


def webhook_lua(seconds: float, threads: int = 2) -> str:
    """wrk requests for the webhook door, signed now: a new report (and webhook-id) each.
    Only the signatures are made here (LuaJIT allows 65,536 constants per function, so
    they are listed in chunks, one function each); wrk's threads take every ``threads``-th."""
    from datetime import datetime, timezone

    from standardwebhooks import Webhook

    signer, now = Webhook(WEBHOOK_SECRET), datetime.now(timezone.utc)
    stamp, prefix = str(int(now.timestamp())), os.urandom(4).hex()
    head, _, tail = json.dumps({"id": f"SW-{prefix}-@N@", "jenis": "pengaduan",
                                "laporan": {"isi": "Jalan berlubang di depan pasar Minggu"},
                                "pelapor": {"hp": "081234567890"},
                                "lokasi": {"alamat": "Bandung"}}).partition("@N@")
    signatures = [signer.sign(f"msg_{prefix}_{n}", now, f"{head}{n}{tail}")
                  for n in range(int(WEBHOOK_PER_SECOND * seconds))]
    chunks = "\n".join(
        ";(function() local t = {" + ",".join(f'"{sig}"' for sig in signatures[at:at + 10000])
        + "} for i = 1, #t do sigs[#sigs + 1] = t[i] end end)()"
        for at in range(0, len(signatures), 10000))
    return f"""sigs = {{}}
{chunks}
local started = 0
setup = function(thread) thread:set("offset", started); started = started + 1 end
counter = 0
request = function()
  local n = (offset + {threads} * counter) % #sigs
  counter = counter + 1
  return wrk.format("POST", "/in/bench-webhook", {{["webhook-id"] = "msg_{prefix}_" .. n,
    ["webhook-timestamp"] = "{stamp}", ["webhook-signature"] = sigs[n + 1],
    ["Content-Type"] = "application/json"}}, [==[{head}]==] .. n .. [==[{tail}]==])
end
"""


API_KEY_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/complaints", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %(key)s", ["Idempotency-Key"] = id_prefix .. "-" .. counter},
    '{"classification": "pengaduan", "body": "Jalan berlubang di depan pasar Minggu", "contact": "081234567890"}')
end
setup = function(thread) thread:set("id_prefix", tostring(math.random(1, 1e9))) end
"""
BARE_APP = '''
import os

import redis
from flask import Flask

PAYLOAD = "x" * 1500


def create_app():
    app = Flask(__name__)
    client = redis.Redis.from_url(os.environ["LAPOR_REDIS_URL"])

    @app.route("/ping", methods=["GET", "POST"])
    def ping():
        return "OK"

    @app.route("/lpush", methods=["GET", "POST"])
    def lpush():
        client.lpush("bench.lpush", PAYLOAD)
        return "OK"

    return app
'''


def serve(command: list[str], env: dict, port: int, cwd: str) -> subprocess.Popen:
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)

    def up():
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz" if "gateway" in command[-1]
                                else f"http://127.0.0.1:{port}/ping", timeout=1).ok
        except requests.RequestException:
            return False

    wait_for(up, timeout=30, message="server up")
    return process


def agency_key(env: dict) -> str:
    """A key made the way an operator makes one (``lapor-gateway keys create``)."""
    script = str(Path(sys.executable).with_name("lapor-gateway"))
    return subprocess.run([script, "keys", "create", "--agency", "Dinas Bench"], env=env,
                          capture_output=True, text=True, check=True).stdout.strip()


def load(port: int, lua: str, seconds: float, connections: int, workdir: Path, name: str) -> dict:
    script = workdir / f"{name}.lua"
    script.write_text(lua)
    output = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency",
                             "-s", str(script), f"http://127.0.0.1:{port}"],
                            capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, "p50": _latency(output, "50%"), "p99": _latency(output, "99%"),
            "errors": int(non2xx.group(1)) if non2xx else 0}


def _latency(output: str, label: str) -> float:
    value, unit = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/intake.py needs wrk: apt-get install -y wrk")
    workdir = Path(tempfile.mkdtemp(prefix="lapor-bench-"))
    redis_port = free_port()
    redis_process = start_redis(redis_port, workdir)
    url = f"redis://127.0.0.1:{redis_port}/0"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env.update(LAPOR_REDIS_URL=url, LAPOR_BROKER_URL=url, LAPOR_MODE="production",
               LAPOR_SECRET_KEY="bench-secret-key-0123456789", LAPOR_DATA_DIR=str(workdir),
               LAPOR_DOOR_SMS_1708_SECRET=SECRET, LAPOR_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT),
               # one client address and one contact send everything here: the citizen-facing
               # rate limits would answer 429 (they cost two Redis counters a submission)
               LAPOR_RATE_LIMIT_IP="off", LAPOR_RATE_LIMIT_SENDER="off",
               LAPOR_DOORS_FILE=str(workdir / "doors.json"), LAPOR_BENCH_WEBHOOK_SECRET=WEBHOOK_SECRET)
    (workdir / "bare_app.py").write_text(BARE_APP)
    (workdir / "doors.json").write_text(json.dumps(WEBHOOK_DOORS))
    rounds: dict[str, list[dict]] = {}
    try:
        bare_port, gateway_port = free_port(), free_port()
        bare = serve(gunicorn_command("127.0.0.1", bare_port, args.workers)[:-1]
                     + ["bare_app:create_app()"], env, bare_port, str(workdir))
        gateway = serve(gunicorn_command("127.0.0.1", gateway_port, args.workers),
                        env, gateway_port, str(ROOT))
        try:
            session = requests.Session()
            page = session.get(f"http://127.0.0.1:{gateway_port}/lapor", timeout=5).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
            doors = (("bare", bare_port, 'wrk.path = "/ping"'),
                     ("lpush", bare_port, 'wrk.path = "/lpush"'),
                     ("kannel", gateway_port, KANNEL_LUA % {"secret": SECRET}),
                     ("web-form", gateway_port, FORM_LUA % {"token": token, "cookie": cookie}),
                     ("json-api", gateway_port, API_LUA),
                     ("webhook", gateway_port, lambda: webhook_lua(args.seconds)),
                     ("json-api-key", gateway_port, API_KEY_LUA % {"key": agency_key(env)}))
            # Rounds interleave every door, so a slow spell of the machine hits all of them.
            for _ in range(args.rounds):
                for name, port, lua in doors:
                    script = lua() if callable(lua) else lua    # the webhook door signs anew
                    rounds.setdefault(name, []).append(
                        load(port, script, args.seconds, args.connections, workdir, name))
        finally:
            for process in (bare, gateway):
                process.terminate()
                process.wait()
        queued = int(subprocess.run(["redis-cli", "-p", str(redis_port), "llen", "lapor.complaints"],
                                    capture_output=True, text=True).stdout.strip() or 0) \
            if shutil.which("redis-cli") else None
    finally:
        redis_process.terminate()
        redis_process.wait()
    results = {name: {key: statistics.median(r[key] for r in rows) for key in rows[0]}
               for name, rows in rounds.items()}
    ratios = {name: statistics.median(r["rps"] / b["rps"] for r, b in zip(rows, rounds["bare"]))
              for name, rows in rounds.items()}
    print(f"intake benchmark: gunicorn {args.workers} {WORKER_CLASS} workers, "
          f"wrk -t2 -c{args.connections} -d{args.seconds:g}s x {args.rounds} interleaved rounds "
          f"(medians), {os.cpu_count()} cores")
    print(f"{'door':<12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8} "
          f"{'range':>13} {'non-2xx':>8}")
    for name, row in results.items():
        low = min(r["rps"] / b["rps"] for r, b in zip(rounds[name], rounds["bare"]))
        high = max(r["rps"] / b["rps"] for r, b in zip(rounds[name], rounds["bare"]))
        print(f"{name:<12} {row['rps']:>9,.0f} {row['p50']:>8.2f} {row['p99']:>8.2f} "
              f"{ratios[name]:>7.2f}x {low:>6.2f}-{high:.2f}x {int(row['errors']):>8}")
    if queued is not None:
        print(f"complaints on the queue afterwards: {queued:,}")


if __name__ == "__main__":
    main()
