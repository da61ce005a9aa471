"""The web side under gunicorn's gevent worker (monkey-patched sockets, threads as
greenlets): kombu publishing with confirms to RabbitMQ, and the disk spool with its drainer
thread when the store goes down and comes back, through the real ``lapor-gateway web``."""
from __future__ import annotations

import json

import kombu
import redis
import requests

from tests.gateway.webproc import WebCommand
from tests.helpers import free_port, start_redis, wait_for


def complaint(base: str, n: int) -> requests.Response:
    return requests.post(base + "/api/v1/complaints", timeout=10,
                         headers={"Idempotency-Key": f"gevent-{n}"},
                         json={"classification": "pengaduan", "body": f"Lampu jalan mati {n}"})


def test_kombu_publishes_to_rabbitmq_under_gevent(environ, amqp_url):
    environ["LAPOR_BROKER_URL"] = amqp_url
    web = WebCommand(environ)
    try:
        numbers = [complaint(web.base, n).json()["tracking_number"] for n in range(3)]
    finally:
        output = web.stop()
    with kombu.Connection(amqp_url) as connection:
        queue = connection.SimpleQueue("lapor.complaints", no_ack=True)
        bodies = [queue.get(timeout=5).payload for _ in numbers]
        queue.close()
    taken = sorted(json.loads(b)["tracking_number"] if isinstance(b, (str, bytes)) else
                   b["tracking_number"] for b in bodies)
    assert taken == sorted(numbers)
    assert "Traceback" not in output, output[-3000:]


def test_the_spool_and_its_drainer_work_under_gevent(environ, tmp_path):
    port = free_port()
    store = start_redis(port, tmp_path)
    url = f"redis://127.0.0.1:{port}/0"
    environ.update(LAPOR_REDIS_URL=url, LAPOR_BROKER_URL=url)
    web = WebCommand(environ)
    try:
        assert complaint(web.base, 1).status_code == 201
        store.terminate()
        store.wait(10)
        spooled = complaint(web.base, 2)                 # the store is down: spooled on disk
        assert spooled.status_code == 201, spooled.text
        number = spooled.json()["tracking_number"]
        assert requests.get(web.base + "/readyz", timeout=5).json()["spool"] >= 1
        store = start_redis(port, tmp_path)              # back: the drainer replays the spool
        wait_for(lambda: requests.get(web.base + "/readyz", timeout=5).json()["spool"] == 0,
                 timeout=30, interval=0.5, message="spool drained")
        status = requests.get(f"{web.base}/api/v1/complaints/{number}", timeout=5)
        assert status.status_code == 200, status.text
        # both on their way: queued, or (when kombu's connection was still the one Redis
        # dropped) scheduled in the store for the forwarder's next tick (acceptance.publish)
        client = redis.Redis.from_url(url)
        assert client.llen("lapor.complaints") + client.zcard("lapor:retry:complaint") == 2
    finally:
        output = web.stop()
        store.terminate()
        store.wait(10)
    # no request failed, no worker died, and no traceback: the rate limits' uncounted
    # requests are one line each (gateway.limits), as the gateway's own store errors
    assert '" 500 ' not in output and "Error handling request" not in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert "WORKER TIMEOUT" not in output and "Booting worker" in output, output[-3000:]
    assert output.count("Booting worker") == 2, "no worker died and was replaced"
