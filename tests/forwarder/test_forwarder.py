"""The forwarder against a real Redis and a local HTTP receiver standing in for central."""
from __future__ import annotations

import json
import time

from forwarder import central, dead
from forwarder.worker import ForwardWorker, reconcile
from tests.forwarder.conftest import CENTRAL_SECRET
from tests.helpers import inbound, wait_for


def _delivered(parts, tracking):
    status = parts.store.status(tracking)
    return status and status["status"] == "diteruskan"


def test_delivers_signed_complaint_with_idempotency_key(parts, receiver, start_worker):
    outcome = parts.intake.take(inbound("LAPOR jalan rusak di depan SDN 3 Sukamaju 😡"))
    start_worker(ForwardWorker)
    wait_for(lambda: _delivered(parts, outcome.tracking_number), message="delivery")
    [request] = receiver.requests
    body = json.loads(request["body"])
    headers = request["headers"]
    assert body["tracking_number"] == outcome.tracking_number
    assert body["body"] == "jalan rusak di depan SDN 3 Sukamaju 😡"
    assert headers["idempotency-key"] == body["id"]
    assert headers["x-lapor-schema-version"] == "1"
    assert central.verify_signature(CENTRAL_SECRET, request["body"], headers["x-lapor-timestamp"],
                                    headers["x-lapor-signature"]) == ""
    assert central.verify_signature("other", request["body"], headers["x-lapor-timestamp"],
                                    headers["x-lapor-signature"]) == "bad signature"
    assert parts.store.ledger(body["id"])["state"] == "delivered"


def test_500_then_200_is_delivered_once(parts, receiver, start_worker):
    receiver.responses = [(500, {}, b"oops")]
    outcome = parts.intake.take(inbound("LAPOR lampu jalan mati"))
    start_worker(ForwardWorker)
    wait_for(lambda: _delivered(parts, outcome.tracking_number), message="delivery after retry")
    time.sleep(0.3)
    keys = [r["headers"]["idempotency-key"] for r in receiver.requests]
    assert len(keys) == 2 and len(set(keys)) == 1
    ledger = parts.store.ledger(keys[0])
    assert ledger["state"] == "delivered" and ledger["attempts"] == "1"


def test_429_honours_retry_after(parts, receiver, start_worker):
    receiver.responses = [(429, {"Retry-After": "1"}, b"slow down")]
    parts.intake.take(inbound("LAPOR antrian puskesmas"))
    start_worker(ForwardWorker)
    wait_for(lambda: len(receiver.requests) == 2, timeout=10, message="second attempt")
    first, second = receiver.requests
    assert second["at"] - first["at"] >= 1.0        # Retry-After: 1, counted from the answer
    assert parts.store.scheduled("complaint") == 0


def test_timeouts_retry_then_deliver(parts, receiver, start_worker):
    receiver.delay = 1.0          # longer than LAPOR_CENTRAL_TIMEOUT=0.5
    outcome = parts.intake.take(inbound("LAPOR pungli di kelurahan"))
    start_worker(ForwardWorker)
    wait_for(lambda: len(receiver.requests) >= 2, timeout=10, message="retries after time-out")
    receiver.delay = 0.0
    wait_for(lambda: _delivered(parts, outcome.tracking_number), timeout=10, message="delivery")


def test_400_is_dead_lettered_with_reason_and_replay_delivers(parts, receiver, start_worker):
    receiver.responses = [(400, {}, b"bad")]
    outcome = parts.intake.take(inbound("LAPOR sampah menumpuk"))
    stop_worker = start_worker(ForwardWorker)
    cid = wait_for(lambda: [k for k in [receiver.requests and receiver.requests[0]["headers"]["idempotency-key"]] if k],
                   message="first attempt")[0]
    wait_for(lambda: parts.store.ledger(cid).get("state") == "dead", message="dead-lettered")
    rows = dead.list_dead(parts)
    assert [(r["id"], r["tracking_number"]) for r in rows] == [(cid, outcome.tracking_number)]
    assert "400" in rows[0]["reason"]
    assert len(dead.list_dead(parts)) == 1, "listing leaves the dead letters in place"
    assert dead.replay(parts) == 1
    wait_for(lambda: _delivered(parts, outcome.tracking_number), message="delivery after replay")
    assert dead.list_dead(parts) == []
    assert stop_worker is not None
    assert [r["headers"]["idempotency-key"] for r in receiver.requests] == [cid, cid]


def test_gives_up_after_max_attempts(parts, receiver, start_worker):
    receiver.default = (503, {}, b"down")
    parts.intake.take(inbound("LAPOR jembatan putus"))
    start_worker(ForwardWorker)
    wait_for(lambda: dead.list_dead(parts), timeout=15, message="dead letter after max attempts")
    [row] = dead.list_dead(parts)
    assert row["attempts"] == 4 and "gave up after 4 attempts" in row["reason"]
    assert len(receiver.requests) == 4


def test_malformed_message_is_dead_lettered_and_worker_survives(parts, receiver, start_worker):
    parts.publisher.publish("complaint.new.kannel", {"not": "a complaint"}, "junk", "complaint")
    outcome = parts.intake.take(inbound("LAPOR air PDAM mati"))
    start_worker(ForwardWorker)
    wait_for(lambda: _delivered(parts, outcome.tracking_number), message="next complaint delivered")
    assert [r["reason"] for r in dead.list_dead(parts)] == ["malformed message: not a complaint"]


def test_already_delivered_is_not_sent_again(parts, receiver, start_worker):
    outcome = parts.intake.take(inbound("LAPOR guru tidak hadir"))
    start_worker(ForwardWorker)
    wait_for(lambda: _delivered(parts, outcome.tracking_number), message="delivery")
    cid = receiver.requests[0]["headers"]["idempotency-key"]
    parts.publisher.publish("complaint.new.kannel", parts.store.complaint(cid), cid, "complaint")
    time.sleep(0.5)
    assert len(receiver.requests) == 1


def test_reconciler_republishes_what_the_queue_lost(parts, receiver, redis_url):
    import redis

    outcome = parts.intake.take(inbound("LAPOR tambang ilegal"))
    client = redis.Redis.from_url(redis_url)
    assert client.delete("lapor.complaints") == 1          # the broker lost it
    parts.store.redis.zadd("lapor:pending", {parts.store.redis.get(
        f"lapor:t:{outcome.tracking_number}").decode(): time.time() - 3600})
    assert reconcile(parts) == 1
    assert client.llen("lapor.complaints") == 1
    assert reconcile(parts) == 0, "touched: not re-published again at once"


def test_stored_body_expires_after_delivery_plus_retention(parts, receiver, start_worker):
    outcome = parts.intake.take(inbound("LAPOR RAHASIA kepala dinas minta setoran"))
    cid = parts.store.redis.get(f"lapor:t:{outcome.tracking_number}").decode()
    assert parts.store.redis.ttl(f"lapor:c:{cid}") == -1          # kept until delivered
    start_worker(ForwardWorker)
    wait_for(lambda: _delivered(parts, outcome.tracking_number), message="delivery")
    ttl = parts.store.redis.ttl(f"lapor:c:{cid}")
    retention = parts.settings.retention_days * 86400
    assert retention - 60 <= ttl <= retention
    assert 0 < parts.store.redis.ttl(f"lapor:route:{cid}")          # the reply route expires too
