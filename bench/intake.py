"""Benchmark: intake throughput and latency of every door, beside a bare Flask endpoint.

    apt-get install -y wrk redis-server      # once
    .venv/bin/python bench/intake.py [--seconds 10] [--connections 16] [--rounds 3]
        [--workers 2] [--worker-class gevent|gthread] [--worker-connections 1000]
        [--citizen-limits]

Starts a redis-server (AOF everysec, like production) on loopback, then serves, each the
same way (``lapor-gateway web``'s gunicorn command: 2 gevent workers, unless the options
say otherwise), (1) a bare Flask endpoint and (2) the gateway, and loads each with wrk at
16 connections:

* ``bare``        GET /ping on the bare Flask app (the yardstick)
* ``lpush``       the bare app doing one Redis LPUSH of 1.5 kB per request (for reference:
                  the cost of a single round trip)
* ``kannel``      GET /in/sms-1708 with Kannel's get-url parameters, a new message id each
* ``twilio``      POST /in/twilio-sms, Twilio's incoming-SMS form signed over the public URL
* ``whatsapp``    POST /in/wa-cloud, Meta's messages webhook, X-Hub-Signature-256
* ``telegram``    POST /in/telegram, a Bot API update with the secret-token header
* ``web-form``    POST /lapor, form-encoded with a CSRF token and a new submission id each
* ``json-api``    POST /api/v1/complaints with a new Idempotency-Key each
* ``webhook``     POST /in/bench-webhook, an agency app's JSON report mapped by JSON Pointers,
                  signed as Standard Webhooks says (``standardwebhooks``), a new webhook-id each
* ``json-api-key`` the same with ``Authorization: Bearer <agency API key>`` (a key made
                  with ``lapor-gateway keys create`` first): the key's look-up on top

wrk's Lua has no HMAC, so the signed doors' requests (Twilio, WhatsApp, Telegram, webhook)
are made here before each round with the channels' own test senders
(``channels/<name>/testing.py`` ``SENDER``: valid signatures, a new message and sender each,
so the dedup never answers early) and read by wrk from a file (``bench/intake_doors.py``);
``SIGNED_PER_SECOND`` per second of load, past which they repeat (the ``repeated`` column).

Both servers run side by side and the doors are loaded in interleaved rounds (default 3),
so a slow spell of a shared machine hits every door alike; the figures are medians, with
the range of the per-round ratio to bare Flask and the goal (issue 12: >= 0.6x bare Flask,
p99 <= 25 ms at 16 connections) beside each. Every request of the gateway runs the whole
intake (verify, parse, normalize with the region and routing suggestions, dedup + ledger,
queue; the reply queued too for the doors that answer later). Figures only: nothing is
asserted. The citizen rate limits of the form and the JSON API are off (one client address
sends everything), or with ``--citizen-limits`` on in the defaults' shape (two windows per
address, widened, and two per contact: each form and API request comes from a new
contact, as it does with the limits off since 2026-11-30 08:30; before, one contact sent
them all). The load average is printed before and after, and beside each door the CPU a
request took in the server's processes and in redis-server (``bench/cpu.py``): where the
machine's time goes when served, which the in-process profile
(``bench/intake_profile.py``) cannot show; and its round trips to Redis (``reads``: the
reads redis-server made from its clients). Before the first round the region data is
loaded, every door is loaded for 2 seconds and the servers are let go idle (``warm``);
at the end, the complaints queued beside the requests the gateway answered.
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

import redis
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cpu  # noqa: E402
from bench.intake_doors import (API_KEY_LUA, API_LUA, BARE_APP, FORM_LUA, KANNEL_LUA,  # noqa: E402
                                SECRET, SIGNED_PER_SECOND, WEBHOOK_DOORS, WEBHOOK_SECRET, recorded,
                                sender_requests, webhook_requests)
from bench.served import load, quiet, redis_reads, serve, suggestions_loaded  # noqa: E402
from forwarder import topology  # noqa: E402
from gateway.processes import WORKER_CLASS, WORKER_CONNECTIONS, gunicorn_command  # noqa: E402
from tests.helpers import free_port, start_redis, wait_for  # noqa: E402
from channels.telegram.testing import SENDER as TELEGRAM  # noqa: E402
from channels.testing import PUBLIC  # noqa: E402
from channels.twilio.testing import SENDER as TWILIO  # noqa: E402
from channels.whatsapp.testing import SENDER as WHATSAPP  # noqa: E402

GOAL_RATIO, GOAL_P99_MS = 0.6, 25.0
SIGNED = {"twilio": TWILIO, "whatsapp": WHATSAPP, "telegram": TELEGRAM}


def agency_key(env: dict) -> str:
    """A key made the way an operator makes one (``lapor-gateway keys create``)."""
    script = str(Path(sys.executable).with_name("lapor-gateway"))
    return subprocess.run([script, "keys", "create", "--agency", "Dinas Bench"], env=env,
                          capture_output=True, text=True, check=True).stdout.strip()


def command(args, port: int, app: str = "gateway.app:create_app()") -> list[str]:
    """``lapor-gateway web``'s gunicorn command, with the worker options of this run."""
    line = gunicorn_command("127.0.0.1", port, args.workers, args.worker_connections)[:-1]
    at = line.index("--worker-class") + 1
    line[at] = args.worker_class
    if args.worker_class == "gthread":
        line += ["--threads", str(args.threads)]
    return line + [app]           # the app last: ``serve`` tells the two servers apart by it


def environment(workdir: Path, url: str, citizen_limits: bool = False) -> dict:
    """The servers' settings. The citizen limits are off unless ``citizen_limits``: then
    in the defaults' shape, two windows per address (widened: one client address sends
    everything here) and the default two per contact (a new contact each request)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    limits = dict(LAPOR_RATE_LIMIT_IP="1000000/minute;10000000/day") if citizen_limits \
        else dict(LAPOR_RATE_LIMIT_IP="off", LAPOR_RATE_LIMIT_SENDER="off")
    env.update(LAPOR_REDIS_URL=url, LAPOR_BROKER_URL=url, LAPOR_MODE="production",
               LAPOR_SECRET_KEY="bench-secret-key-0123456789", LAPOR_DATA_DIR=str(workdir),
               LAPOR_DOOR_SMS_1708_SECRET=SECRET, LAPOR_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT),
               **limits,
               # Twilio signs over the public URL
               LAPOR_PUBLIC_BASE_URL=PUBLIC,
               LAPOR_DOORS_FILE=str(workdir / "doors.json"), LAPOR_BENCH_WEBHOOK_SECRET=WEBHOOK_SECRET)
    for sender in SIGNED.values():
        env.update(sender.environ)
    doors = dict(WEBHOOK_DOORS, doors=WEBHOOK_DOORS["doors"] + [s.door for s in SIGNED.values()])
    (workdir / "doors.json").write_text(json.dumps(doors))
    (workdir / "bare_app.py").write_text(BARE_APP)
    return env


def door_scripts(args, env: dict, bare_port: int, port: int, workdir: Path) -> tuple:
    """(name, port, wrk script or a function of the round making it) for every door."""
    session = requests.Session()
    page = session.get(f"http://127.0.0.1:{port}/lapor", timeout=5).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    count = SIGNED_PER_SECOND * args.seconds

    def signed(name):
        return lambda turn: recorded(sender_requests(SIGNED[name], count, turn * count), port,
                                     workdir / f"{name}.requests")

    return (("bare", bare_port, 'wrk.path = "/ping"'),
            ("lpush", bare_port, 'wrk.path = "/lpush"'),
            ("kannel", port, KANNEL_LUA % {"secret": SECRET}),
            *((name, port, signed(name)) for name in SIGNED),
            ("web-form", port, FORM_LUA % {"token": token, "cookie": cookie}),
            ("json-api", port, API_LUA),
            ("webhook", port, lambda turn: recorded(webhook_requests(count), port,
                                                    workdir / "webhook.requests")),
            ("json-api-key", port, API_KEY_LUA % {"key": agency_key(env)}))


def warm(args, doors, workdir: Path, gateway_port: int, pids: tuple[int, ...]) -> int:
    """Before the first measured round: the gateway's workers have loaded the region data
    (in the background after they start, ``normalizer/warmup.py``: seconds of CPU that fell
    on the first round's bare Flask and made its rate, and every ratio to it, vary by up
    to 2x before 2026-11-30 11:35), every door has been loaded for 2 seconds (the first
    requests' imports and connections), and the servers are idle again."""
    wait_for(lambda: suggestions_loaded(gateway_port), timeout=300, message="region data loaded")
    served = 0
    for name, port, lua in doors:
        result = load(port, lua(args.rounds) if callable(lua) else lua, 2, args.connections, workdir, name)
        served += result["served"] if port == gateway_port else 0
    wait_for(lambda: quiet(pids), timeout=120, message="servers idle")
    return served


def measure(args, workdir: Path, redis_port: int, redis_pid: int) -> tuple[dict[str, list[dict]], int]:
    """Every door in ``args.rounds`` interleaved rounds: ({door: [one result per round]}, the
    requests the gateway answered), each result with the CPU microseconds a request took in
    the server's processes (gunicorn's master and workers) and in redis-server, and its
    round trips to Redis (the reads Redis made; this function's own ``INFO`` is taken off)."""
    env = environment(workdir, f"redis://127.0.0.1:{redis_port}/0", args.citizen_limits)
    store = redis.Redis(port=redis_port)
    bare_port, gateway_port = free_port(), free_port()
    bare = serve(command(args, bare_port, "bare_app:create_app()"), env, bare_port, str(workdir))
    gateway = serve(command(args, gateway_port), env, gateway_port, str(ROOT))
    rounds: dict[str, list[dict]] = {}
    try:
        doors = door_scripts(args, env, bare_port, gateway_port, workdir)
        answered = warm(args, doors, workdir, gateway_port, (bare.pid, gateway.pid))
        # Rounds interleave every door, so a slow spell of the machine hits all of them.
        for turn in range(args.rounds):
            for name, port, lua in doors:
                script = lua(turn) if callable(lua) else lua      # signed doors: made anew
                server = gateway if port == gateway_port else bare
                before = cpu.tree_seconds(server.pid), cpu.seconds(redis_pid), redis_reads(store)
                result = load(port, script, args.seconds, args.connections, workdir, name)
                per_request = 1e6 / max(result["served"], 1)
                result["server_us"] = (cpu.tree_seconds(server.pid) - before[0]) * per_request
                result["redis_us"] = (cpu.seconds(redis_pid) - before[1]) * per_request
                result["reads"] = (redis_reads(store) - before[2] - 1) * per_request / 1e6
                rounds.setdefault(name, []).append(result)
                answered += result["served"] if port == gateway_port else 0
    finally:
        for process in (bare, gateway):
            process.terminate()
            process.wait()
    return rounds, answered


def report(args, rounds: dict[str, list[dict]], load_before: tuple) -> None:
    def ratio(row, bare):
        return row["rps"] / bare["rps"]

    print(f"intake benchmark: gunicorn {args.workers} {args.worker_class} workers"
          f"{f' x {args.threads} threads' if args.worker_class == 'gthread' else ''}, "
          f"worker_connections {args.worker_connections}, wrk -t2 -c{args.connections} "
          f"-d{args.seconds:g}s x {args.rounds} interleaved rounds (medians), {os.cpu_count()} cores, "
          f"citizen limits {'on, in the defaults shape' if args.citizen_limits else 'off'}")
    print("load average before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
        *load_before, *os.getloadavg()))
    print(f"goal: >= {GOAL_RATIO}x bare Flask req/s and p99 <= {GOAL_P99_MS:g} ms at "
          f"{args.connections} connections")
    print(f"{'door':<12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8} "
          f"{'range':>12} {'goal':>10} {'non-2xx':>8} {'repeated':>9} {'server us':>10} {'Redis us':>9} {'reads':>6}")
    for name, rows in rounds.items():
        median = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
        ratios = [ratio(r, b) for r, b in zip(rows, rounds["bare"])]
        middle = statistics.median(ratios)
        missed = [what for what, bad in (("ratio", middle < GOAL_RATIO),
                                         ("p99", median["p99"] > GOAL_P99_MS)) if bad]
        print(f"{name:<12} {median['rps']:>9,.0f} {median['p50']:>8.2f} {median['p99']:>8.2f} "
              f"{middle:>7.2f}x {min(ratios):>5.2f}-{max(ratios):.2f}x "
              f"{'met' if not missed else 'no: ' + '+'.join(missed):>10} "
              f"{int(median['errors']):>8} {int(sum(r['repeated'] for r in rows)):>9} "
              f"{median['server_us']:>10,.0f} {median['redis_us']:>9,.0f} {median['reads']:>6.2f}")
    bare = statistics.median(r["rps"] for r in rounds["bare"])
    print(f"server us, Redis us: CPU microseconds a request took in the server's processes "
          f"(gunicorn's master and workers) and in redis-server (medians; /proc). At bare "
          f"Flask's rate the {os.cpu_count()} cores have {os.cpu_count() * 1e6 / bare:,.0f} us "
          f"a request; at {GOAL_RATIO}x, {os.cpu_count() * 1e6 / (GOAL_RATIO * bare):,.0f} us "
          f"(wrk's share included). reads: round trips to Redis a request (the reads "
          f"redis-server made from its clients, INFO stats).")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default=WORKER_CLASS, choices=("gevent", "gthread", "sync"))
    parser.add_argument("--worker-connections", type=int, default=WORKER_CONNECTIONS)
    parser.add_argument("--threads", type=int, default=4, help="gthread's threads per worker")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--citizen-limits", action="store_true",
                        help="the form's and the JSON API's rate limits on, in the defaults' shape")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/intake.py needs wrk: apt-get install -y wrk")
    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="lapor-bench-"))
    redis_port = free_port()
    redis_process = start_redis(redis_port, workdir)
    try:
        rounds, answered = measure(args, workdir, redis_port, redis_process.pid)
        store = redis.Redis(port=redis_port)
        queued = store.llen(topology.COMPLAINTS) + store.llen(topology.BULK)   # floods: bulk
    finally:
        redis_process.terminate()
        redis_process.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    report(args, rounds, load_before)
    in_flight = (args.rounds + 1) * args.connections * sum(1 for name in rounds if name not in ("bare", "lpush"))
    print(f"complaints on the queues afterwards: {queued:,}, for {answered:,} answers wrk counted "
          f"(warm-up included) and up to {in_flight:,} requests in flight when each load ended: "
          f"each request a new complaint when the first is within the two")


if __name__ == "__main__":
    main()
