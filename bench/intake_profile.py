"""Benchmark: the in-process cost of one request at each door, and where it goes.

    .venv/bin/python bench/intake_profile.py [--requests 1000] [--door kannel] [--top 25]

The gateway's app (``gateway.app.create_app``, its parts on a throwaway redis-server) called
as a WSGI application with each request's environ built beforehand (werkzeug's
``EnvironBuilder``, outside the timing), so only the gateway's own Python is measured: no
HTTP server, no wrk, and not the test client's own work (building the request, cookies,
the URL it reads back: about a quarter of the CPU when it was timed too, before
2026-11-29 11:50). The same requests as ``bench/intake.py`` (the channels' test senders,
the JSON API, the webhook door). Prints microseconds of CPU per request for each door (best of 3), what
the normalizer's suggestions (region + routing, ``normalizer.suggestion``) cost of it (the same
requests with them replaced by empty answers, best of 3, alternately: cProfile cannot see
inside the compiled normalizer, ``setup.py``; the difference includes what a region brings
with it, the "me too" look-up, which the JSON API's one repeated text makes large), and, for
``--door``, cProfile's top functions (``--sort``: own time by default). A second view beside py-spy on the
gunicorn workers under wrk. Then Redis's own time per request (``redis_time``: SLOWLOG at 0 µs),
by script or command: the intake script, the "me too" look-up (``link_find``). Figures only:
nothing is asserted.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from werkzeug.test import EnvironBuilder

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.intake_doors import TEXT, WEBHOOK_SECRET, webhook_requests  # noqa: E402
from bench.local import local_parts  # noqa: E402
from channels.kannel.testing import SENDER as KANNEL  # noqa: E402
from channels.telegram.testing import SENDER as TELEGRAM  # noqa: E402
from channels.testing import PUBLIC, Request  # noqa: E402
from channels.twilio.testing import SENDER as TWILIO  # noqa: E402
from channels.whatsapp.testing import SENDER as WHATSAPP  # noqa: E402

SENDERS = {"kannel": KANNEL, "twilio": TWILIO, "whatsapp": WHATSAPP, "telegram": TELEGRAM}
API_BODY = json.dumps({"classification": "pengaduan", "body": "Jalan berlubang di depan pasar Minggu",
                       "contact": "081234567890"}).encode()
SUGGESTIONS = ("region_of", "routing_of", "tokens_of")


def requests_for(door: str, count: int, first: int):
    if door in SENDERS:
        return [SENDERS[door].request(TEXT, n) for n in range(first, first + count)]
    if door == "webhook":
        return list(webhook_requests(count))
    return [Request("POST", "/api/v1/complaints", body=API_BODY, content_type="application/json",
                    headers={"Idempotency-Key": f"k-{first + n}"}) for n in range(count)]


def environs(batch) -> list[dict]:
    """Each request's WSGI environ, built before the timing starts."""
    return [EnvironBuilder(path=r.path, method=r.method, query_string=r.query or None,
                           data=r.body or None, headers=r.headers,
                           content_type=r.content_type or None, base_url=PUBLIC).get_environ()
            for r in batch]


def run(app, batch, profile: cProfile.Profile | None = None) -> float:
    """CPU microseconds per request of the app alone, its answers read to the end;
    ``profile``, when given, sees the app's calls only (not the environs' making)."""
    prepared = environs(batch)
    statuses: list[str] = []
    started = time.process_time()
    if profile is not None:
        profile.enable()
    for environ in prepared:
        body = b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    if profile is not None:
        profile.disable()
    spent = time.process_time() - started
    assert all(status < "300" for status in statuses), (statuses[-1], body[:200])
    return spent / len(batch) * 1e6


@contextmanager
def without_suggestions():
    """The region and the routing answered empty, as ``bench/normalizer.py`` measures them."""
    from normalizer import suggestion

    kept = {name: getattr(suggestion, name) for name in SUGGESTIONS}
    suggestion.tokens_of = lambda text: []
    suggestion.region_of = lambda location, text, tokens=None: (None, [])
    suggestion.routing_of = lambda text, rules, found, tokens=None: ({}, [])
    try:
        yield
    finally:
        for name, value in kept.items():
            setattr(suggestion, name, value)


def best_with_and_without(app, door: str, requests: int) -> tuple[float, float]:
    """CPU µs per request, best of 3, with the suggestions and without them, in alternate
    batches (a slow spell of a shared machine falls on both alike)."""
    spent = {True: [], False: []}
    for turn in range(3):
        for suggested in (True, False):
            batch = requests_for(door, requests, (2 + 2 * turn + suggested) * 10**6)
            if suggested:
                spent[True].append(run(app, batch))
                continue
            with without_suggestions():
                spent[False].append(run(app, batch))
    return min(spent[True]), min(spent[False])


def sent_commands(client, load, requests: int) -> list[dict]:
    """SLOWLOG's entries (at a 0 µs threshold: every command) of the commands clients sent
    while ``load()`` made ``requests`` requests; the calls a script made are left out (its
    entry's time includes them)."""
    kept = client.config_get("slowlog-*")
    client.config_set("slowlog-log-slower-than", 0)
    room = requests * 256              # every command a script calls is logged too
    client.config_set("slowlog-max-len", room)
    try:
        client.slowlog_reset()
        load()
        entries = client.slowlog_get(room)
    finally:
        for key, value in kept.items():
            client.config_set(key, value)
    assert len(entries) < room, "SLOWLOG too short: some commands were not counted"
    return [entry for entry in entries if entry["client_address"] != b"?:0"]


def redis_time(parts, app, door: str, requests: int) -> tuple[float, dict[str, float]]:
    """Redis's own time per request (µs of execution, not its network work) and its split
    by script or command: SLOWLOG at a 0 µs threshold logs every command, a script with all
    it calls (the calls are logged too, and left out here). Redis runs on the same cores as
    the workers under ``bench/intake.py``. In process, Redis idles between two requests:
    the figures vary by tens of percent from run to run."""
    import hashlib

    from forwarder import scripts

    client = parts.store.redis
    names = {hashlib.sha1(scripts.source(path.stem).encode()).hexdigest(): path.stem
             for path in (ROOT / "forwarder" / "lua").glob("*.lua")}
    split: dict[str, float] = {}
    for entry in sent_commands(client, lambda: run(app, requests_for(door, requests, 11 * 10**6)),
                               requests):
        words = entry["command"].split()
        name = words[0].decode().lower()
        if name == "evalsha" and len(words) > 1:
            name = names.get(words[1].decode(), "evalsha")
        split[name] = split.get(name, 0.0) + entry["duration"] / requests
    split.pop("slowlog", None)
    return sum(split.values()), split


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--door", default="kannel", help="the door cProfile's table is printed for")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="cProfile order: tottime, cumulative")
    args = parser.parse_args()
    doors = [*SENDERS, "json-api", "webhook"]
    environ = {"LAPOR_PUBLIC_BASE_URL": PUBLIC, "LAPOR_RATE_LIMIT_IP": "off", "LAPOR_LOG_LEVEL": "WARNING",
               "LAPOR_RATE_LIMIT_SENDER": "off", "LAPOR_BENCH_WEBHOOK_SECRET": WEBHOOK_SECRET}
    for sender in SENDERS.values():
        environ.update(sender.environ)
    os.environ.update(environ)            # the doors' credentials name environment variables
    from bench.intake_doors import WEBHOOK_DOORS
    from gateway.app import create_app
    from normalizer import suggestion

    doors_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"lapor-profile-doors-{os.getpid()}.json"
    doors_file.write_text(json.dumps(dict(WEBHOOK_DOORS, doors=WEBHOOK_DOORS["doors"] + [
        s.door for s in SENDERS.values()])))
    try:
        with local_parts(LAPOR_DOORS_FILE=str(doors_file), **environ) as parts:
            suggestion.warm()
            app = create_app(parts=parts)
            print(f"in-process cost per request (the WSGI app alone, CPU us, best of 3 x {args.requests})")
            for door in doors:
                run(app, requests_for(door, 50, 10**6))                # warm
                best, bare = best_with_and_without(app, door, args.requests)
                profile = cProfile.Profile(time.process_time)     # CPU, not the wait for Redis
                run(app, requests_for(door, args.requests, 9 * 10**6), profile)
                print(f"{door:<10} {best:8.0f} us   suggestions (region + routing) {best - bare:5.0f} us "
                      f"({(best - bare) / best:5.1%})")
                total, split = redis_time(parts, app, door, args.requests)
                largest = ", ".join(f"{name} {spent:.0f}" for name, spent in
                                    sorted(split.items(), key=lambda item: -item[1])[:4])
                print(f"{'':<10} Redis {total:6.0f} us a request: {largest}")
                if door == args.door:
                    table = io.StringIO()
                    pstats.Stats(profile, stream=table).sort_stats(args.sort).print_stats(args.top)
                    chosen = table.getvalue()
            print(f"\ncProfile, {args.door}, {args.requests} requests:\n{chosen}")
    finally:
        doors_file.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
