"""Request latencies are counted in the process and written in one pipelined round trip
within ``flush_seconds`` (``forwarder.store_metrics``): none per request. Reading them writes
the process's own counts first; counts a failed write could not store are kept for the next."""
from __future__ import annotations

import redis

from forwarder import keys
from forwarder.store_metrics import Observations
from tests.helpers import free_port, wait_for


def _stored(client) -> dict:
    return {k.decode(): float(v) for k, v in client.hgetall(keys.LATENCY).items()}


def test_counts_are_written_by_the_flusher_not_by_the_request(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.delete(keys.LATENCY)
    observations = Observations(client, flush_seconds=0.3)
    for seconds in (0.001, 0.002, 0.2):
        observations.observe_request("/in/<door_id>", "sms-1708", seconds)
    assert _stored(client) == {}                     # nothing yet: no round trip per request
    wait_for(lambda: _stored(client), timeout=5, message="latencies flushed")
    stored = _stored(client)
    assert stored["/in/<door_id>|sms-1708|0.005"] == 2 and stored["/in/<door_id>|sms-1708|0.25"] == 1
    assert abs(stored["/in/<door_id>|sms-1708|sum"] - 0.203) < 1e-9


def test_reading_writes_this_process_counts_first(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.delete(keys.LATENCY)
    observations = Observations(client, flush_seconds=60)
    observations.observe_request("/healthz", "-", 0.003)
    assert observations.latencies()[("/healthz", "-")] == {"0.005": 1.0, "sum": 0.003}


def test_counts_a_failed_write_could_not_store_are_kept(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.delete(keys.LATENCY)
    observations = Observations(redis.Redis(port=free_port(), socket_timeout=1), flush_seconds=60)
    observations.observe_request("/lapor", "web", 0.02)
    try:
        observations.flush()
    except redis.ConnectionError:
        pass
    else:
        raise AssertionError("a flush to a closed port must fail")
    observations.redis = client                      # the store is back
    observations.observe_request("/lapor", "web", 0.02)
    assert observations.latencies()[("/lapor", "web")] == {"0.025": 2.0, "sum": 0.04}
