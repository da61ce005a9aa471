"""Batch mode (LAPOR_CENTRAL_BATCH > 1) against the example central receiver on loopback.

The receiver (``examples/central_receiver.py``) checks every signature, deduplicates each
item on its key and answers per item; ``save`` scripts the central side's trouble.
"""
from __future__ import annotations

import json
import threading
import time

import pytest
import redis
from werkzeug.serving import WSGIRequestHandler, make_server

from examples.central_receiver import Busy, CentralReceiver, Refused
from forwarder import central
from forwarder.worker import ForwardWorker
from tests.forwarder.conftest import CENTRAL_SECRET
from tests.helpers import Receiver, inbound, serving, wait_for

BATCH = 5


class _KeepAlive(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_request(self, *args, **kwargs):
        pass


class Central:
    """The example receiver in a thread, with every request's batch size and a switch that
    answers the next arrays with a scripted whole-array reply instead (``scripted``: the
    sizes of the arrays so answered)."""

    def __init__(self, save):
        self.receiver = CentralReceiver(CENTRAL_SECRET, save)
        self.batches: list[int] = []          # items per request (1: a single request)
        self.whole: list[tuple[str, bytes]] = []
        self.scripted: list[int] = []

        def app(environ, start_response):
            self.batches.append(int(environ.get("HTTP_X_LAPOR_BATCH") or 1))
            if self.whole and environ.get("HTTP_X_LAPOR_BATCH"):
                self.scripted.append(self.batches[-1])
                status, body = self.whole.pop(0)
                environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                start_response(status, [("Content-Length", str(len(body)))])
                return [body]
            return self.receiver(environ, start_response)

        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_KeepAlive)
        self.url = f"http://127.0.0.1:{self.server.server_port}/complaints"
        self.thread = serving(self.server)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


class Script:
    """The central side's ``save``: what it stored, and trouble for chosen keys."""

    def __init__(self):
        self.saved: list[str] = []
        self.trouble: dict[str, list] = {}      # key -> exceptions (or seconds to stall), in turn
        self.lock = threading.Lock()

    def __call__(self, key, kind, body):
        with self.lock:
            trouble = self.trouble.get(key, [])
            step = trouble.pop(0) if trouble else None
        if isinstance(step, float):
            time.sleep(step)                  # stored, but the answer comes too late
        elif step is not None:
            raise step
        with self.lock:
            self.saved.append(key)


@pytest.fixture
def script():
    return Script()


@pytest.fixture
def central_side(script):
    running = Central(script)
    yield running
    running.close()


@pytest.fixture
def environ(environ, central_side):
    # one thread, so that the order of the items sent is the order of the queue
    environ.update(LAPOR_CENTRAL_URL=central_side.url, LAPOR_CENTRAL_BATCH=str(BATCH),
                   LAPOR_FORWARD_CONCURRENCY="1")
    return environ


def _queue(parts, count):
    return [parts.intake.take(inbound(f"LAPOR lampu jalan mati nomor {i}", sender=f"0812555{i:05d}"))
            for i in range(count)]


def _states(parts, outcomes):
    return [parts.store.ledger(outcome.complaint_id) for outcome in outcomes]


def _all(parts, outcomes, state):
    return all(ledger.get("state") == state for ledger in _states(parts, outcomes))


def test_all_ok_goes_in_arrays_each_item_once_and_nothing_stays_unacked(
        parts, central_side, script, start_worker, redis_url):
    outcomes = _queue(parts, 12)
    start_worker(ForwardWorker)
    wait_for(lambda: _all(parts, outcomes, "delivered"), message="every complaint delivered")
    assert sorted(script.saved) == sorted(o.complaint_id for o in outcomes)
    assert max(central_side.batches) > 1 and all(size <= BATCH for size in central_side.batches)
    assert sum(central_side.batches) == 12, "every item sent exactly once"
    assert all(parts.store.status(o.tracking_number)["status"] == "diteruskan" for o in outcomes)
    assert all(ledger.get("attempts", "0") == "0" for ledger in _states(parts, outcomes))
    held = redis.Redis.from_url(redis_url)
    wait_for(lambda: not any(held.hlen(key) for key in held.scan_iter("lapor:held:*")
                             if held.type(key) == b"hash"),
             message="every message acknowledged (kombu's unacked hashes empty)")


def test_partial_failure_retries_only_the_failed_items(parts, central_side, script, start_worker):
    outcomes = _queue(parts, 6)
    busy, refused = outcomes[1].complaint_id, outcomes[3].complaint_id
    script.trouble = {busy: [Busy("database busy")], refused: [Refused("body empty after review")]}
    start_worker(ForwardWorker)
    rest = [o for o in outcomes if o.complaint_id != refused]
    wait_for(lambda: _all(parts, rest, "delivered"), message="all but the refused delivered")
    wait_for(lambda: parts.store.ledger(refused).get("state") == "dead", message="refused one dead")
    dead = parts.store.ledger(refused)
    assert "422" in dead["last_error"] and "body empty after review" in dead["last_error"]
    assert parts.store.ledger(busy)["attempts"] == "1"
    others = [o.complaint_id for o in outcomes if o.complaint_id not in (busy, refused)]
    assert all(parts.store.ledger(cid).get("attempts", "0") == "0" for cid in others)
    assert sorted(script.saved) == sorted(o.complaint_id for o in rest), "each stored once"
    assert sum(central_side.batches) == 7, "only the busy item was sent again"


@pytest.mark.parametrize("answer", [("503 Service Unavailable", b"busy"),
                                    ("200 OK", b"not the documented answer")])
def test_a_failed_or_unreadable_answer_retries_every_item(parts, central_side, script,
                                                          start_worker, answer):
    central_side.whole = [answer]
    outcomes = _queue(parts, 4)
    start_worker(ForwardWorker)
    wait_for(lambda: _all(parts, outcomes, "delivered"), message="delivered after the retry")
    assert sorted(script.saved) == sorted(o.complaint_id for o in outcomes)
    assert len(central_side.scripted) == 1 and central_side.scripted[0] > 1
    attempts = [ledger.get("attempts", "0") for ledger in _states(parts, outcomes)]
    assert attempts.count("1") == central_side.scripted[0], "every item of that array retried"


def test_a_timed_out_batch_is_retried_and_the_central_side_dedups(parts, central_side, script,
                                                                  start_worker):
    outcomes = _queue(parts, 3)
    script.trouble = {outcomes[0].complaint_id: [1.0]}      # past LAPOR_CENTRAL_TIMEOUT=0.5
    start_worker(ForwardWorker)
    wait_for(lambda: _all(parts, outcomes, "delivered"), timeout=15, message="delivered")
    assert int(parts.store.ledger(outcomes[0].complaint_id)["attempts"]) >= 1
    assert sorted(set(script.saved)) == sorted(o.complaint_id for o in outcomes)
    assert len(script.saved) == len(set(script.saved)), "a repeated item is answered 409, not stored"


def test_an_item_the_central_side_already_has_is_delivered(parts, central_side, script,
                                                          start_worker):
    outcomes = _queue(parts, 3)
    central_side.receiver.seen.add(outcomes[2].complaint_id)      # an earlier answer was lost
    start_worker(ForwardWorker)
    wait_for(lambda: _all(parts, outcomes, "delivered"), message="delivered")
    assert sorted(script.saved) == sorted(o.complaint_id for o in outcomes[:2])
    assert all(ledger.get("attempts", "0") == "0" for ledger in _states(parts, outcomes))


def test_the_array_keeps_each_complaint_and_its_key_and_is_signed(central_side, script):
    client = central.CentralClient(central_side.url, CENTRAL_SECRET, timeout=2)
    items = [("key-1", json.dumps({"id": "key-1", "body": "jalan rusak 😡"}).encode()),
             ("key-2", b'{"id": "key-2"}')]
    assert [v.outcome for v in client.deliver_batch(items)] == [central.DELIVERED] * 2
    assert [v.outcome for v in client.deliver_batch(items)] == [central.DELIVERED] * 2   # 409s
    forged = central.CentralClient(central_side.url, "another secret", timeout=2)
    assert {v.outcome for v in forged.deliver_batch(items)} == {central.PERMANENT}     # 401
    assert script.saved == ["key-1", "key-2"]
    client.close()
    forged.close()


def test_deliveries_reuse_one_keep_alive_connection():
    with Receiver() as receiver:
        client = central.CentralClient(receiver.url, CENTRAL_SECRET, timeout=2)
        for n in range(20):
            assert client.deliver(b"{}", f"key-{n}").outcome == central.DELIVERED
        pools = client.session.get_adapter(receiver.url).poolmanager.pools
        opened = [pools[key].num_connections for key in pools.keys()]
        assert opened == [1] and len(receiver.requests) == 20, "one TCP connection, kept alive"
        client.close()
