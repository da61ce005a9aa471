"""Auto-pipelining of the store's scripts under gevent (``forwarder.store_pipeline``): the
calls greenlets make together share round trips, each caller gets its own reply or its own
error, a script Redis lost is loaded again, and no caller waits for ever when Redis is gone
or the flusher is killed. Under gevent in processes of their own (the test process is not
monkey-patched); without gevent the scripts are redis-py's own."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import redis

from channels.kannel.testing import SENDER
from forwarder import scripts, store_pipeline

ROOT = Path(__file__).resolve().parents[2]

MECHANISM = """
from gevent import monkey
monkey.patch_all()
import json, socket, sys, time
import gevent, redis
from forwarder import store_pipeline

client = redis.Redis.from_url(sys.argv[1], socket_timeout=5, socket_connect_timeout=5)
echo = store_pipeline.pipelined(client, client.register_script(
    "if ARGV[1] == 'boom' then return redis.error_reply('refused ' .. KEYS[1]) end "
    "return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}"))
pipeline = store_pipeline._pipelines[client]
seen = {}

def call(n):
    try:
        return [part if isinstance(part, int) else part.decode() for part in echo(keys=[f"k{n}"], args=[str(n)])]
    except redis.RedisError as exc:
        return [type(exc).__name__, str(exc)]

def together(count, arg=None):
    jobs = [gevent.spawn(call, n) for n in range(count)]
    gevent.joinall(jobs, timeout=30)
    return [job.value for job in jobs]

seen["many"] = together(30)
seen["many_pipelines"] = [pipeline.round_trips, pipeline.calls]

def refused(n):
    try:
        return echo(keys=["refused"], args=["boom"]).decode()
    except redis.ResponseError as exc:
        return "ResponseError: " + str(exc)
jobs = [gevent.spawn(call, 100), gevent.spawn(refused, 0), gevent.spawn(call, 101)]
gevent.joinall(jobs, timeout=30)
seen["one_refused"] = [job.value for job in jobs]

client.script_flush()
seen["after_flush"] = together(5)

alone = store_pipeline.pipelined(client, client.register_script("return 'alone'"))
seen["sha_follows"] = alone.sha == alone.wrapped.sha and alone.script == "return 'alone'"

with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    free = probe.getsockname()[1]
working = pipeline.client
pipeline.client = redis.Redis(port=free, socket_timeout=1, socket_connect_timeout=1,
                              retry_on_error=[], retry=None)
started = time.monotonic()
seen["redis_gone"] = together(10)
seen["redis_gone_seconds"] = time.monotonic() - started
seen["flusher_alive"] = not pipeline._flusher.dead
pipeline.client = working
seen["redis_back"] = together(3)

def slow(n):
    try:
        return echo(keys=["slow"], args=[str(n)])
    except redis.RedisError as exc:
        return type(exc).__name__
jobs = [gevent.spawn(slow, n) for n in range(5)]
gevent.sleep(0)
pipeline._flusher.kill()
gevent.joinall(jobs, timeout=30)
seen["flusher_killed"] = [job.value if isinstance(job.value, str) else "reply" for job in jobs]
seen["after_kill"] = together(2)
print(json.dumps(seen))
"""


def run(script: str, *argv: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_greenlets_share_round_trips_and_each_has_its_own_reply_or_error(redis_url):
    seen = run(MECHANISM, redis_url)
    assert seen["many"] == [[f"k{n}", str(n), 1] for n in range(30)]
    round_trips, calls = seen["many_pipelines"]
    assert calls == 30 and round_trips < 30 // 2
    assert seen["one_refused"][0] == ["k100", "100", 1] and seen["one_refused"][2] == ["k101", "101", 1]
    assert seen["one_refused"][1].startswith("ResponseError: refused refused")
    # a script Redis lost (restarted, a promoted replica) is loaded again by its caller
    assert seen["after_flush"] == [[f"k{n}", str(n), 2] for n in range(5)]
    assert seen["sha_follows"] is True
    # Redis gone: every caller has the error, at once, and the flusher serves the next calls
    assert all(value[0] == "ConnectionError" for value in seen["redis_gone"]), seen["redis_gone"]
    assert seen["redis_gone_seconds"] < 10
    assert seen["flusher_alive"] is True
    assert seen["redis_back"] == [[f"k{n}", str(n), 3] for n in range(3)]
    # the flusher killed with calls in flight: they fail, none waits, a new flusher serves on
    assert set(seen["flusher_killed"]) <= {"ConnectionError", "reply"}
    assert "ConnectionError" in seen["flusher_killed"]
    assert seen["after_kill"] == [[f"k{n}", str(n), 4] for n in range(2)]


GATEWAY = r"""
from gevent import monkey
monkey.patch_all()
import json, re, sys
import gevent
from config.settings import load_settings
from gateway.wiring import build_parts
from gateway.app import create_app
from channels.kannel.testing import SENDER
from forwarder import store_pipeline

parts = build_parts(load_settings(json.loads(sys.argv[1])))
client = create_app(parts=parts).test_client()

def send(n):
    request = SENDER.request("Jalan rusak parah di depan pasar, mohon segera diperbaiki", n)
    answer = client.get(request.path + "?" + request.query)
    return answer.status_code, answer.get_data(as_text=True)

jobs = [gevent.spawn(send, n) for n in range(int(sys.argv[2]))]
gevent.joinall(jobs, timeout=60, raise_error=True)
pipeline = store_pipeline._pipelines[parts.store.redis]
numbers = [re.sub(r"\D", "", re.search(r"\d[\d -]{9,}\d", text).group()) for _, text in
           (job.value for job in jobs)]
print(json.dumps({"statuses": [job.value[0] for job in jobs], "sample": jobs[0].value[1],
                  "numbers": numbers, "owners": [parts.store.tracking_owner(n) for n in numbers],
                  "round_trips": pipeline.round_trips, "calls": pipeline.calls}))
parts.publisher.close()
"""


def test_a_gevent_workers_concurrent_complaints_are_each_recorded_and_answered(environ, redis_url):
    environ.update(SENDER.environ)
    count = 40
    seen = run(GATEWAY, json.dumps(environ), str(count))
    assert seen["statuses"] == [200] * count, seen["sample"]
    assert len(set(seen["numbers"])) == count, seen["sample"]     # each its own number
    assert all(seen["owners"]) and len(set(seen["owners"])) == count   # each recorded, its own
    assert seen["calls"] >= count and seen["round_trips"] < seen["calls"]


def test_without_gevent_the_store_calls_redis_itself(redis_url):
    client = redis.Redis.from_url(redis_url)
    script = scripts.register(client, "rate_count")
    assert not store_pipeline.gevent_patched()
    assert type(script) is redis.commands.core.Script
    assert client not in store_pipeline._pipelines
