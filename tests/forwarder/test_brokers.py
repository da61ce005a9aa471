"""The same code on both brokers: Redis and RabbitMQ (started for real on loopback).

Intake publishes, the forwarder delivers, a refused complaint is dead-lettered and replayed,
and the central side can consume the queue directly with the README's kombu example.
"""
from __future__ import annotations

import pytest

from forwarder import dead
from forwarder.worker import ForwardWorker
from tests.helpers import inbound, wait_for


@pytest.fixture(params=["redis", "amqp"])
def broker_url(request, redis_url):
    return redis_url if request.param == "redis" else request.getfixturevalue("amqp_url")


@pytest.fixture
def environ(environ, broker_url):
    environ["LAPOR_BROKER_URL"] = broker_url
    return environ


def test_intake_forward_dead_letter_and_replay(parts, receiver, start_worker):
    receiver.responses = [(422, {}, b"unprocessable")]    # whichever arrives first is refused
    texts = {parts.intake.take(inbound(text)).tracking_number: text.split(" ", 1)[1]
             for text in ("LAPOR jalan rusak 🚧 di Jl. Kenanga", "ASPIRASI taman bermain untuk anak")}
    start_worker(ForwardWorker)
    wait_for(lambda: len(receiver.requests) >= 2, message="both attempted")
    wait_for(lambda: len(dead.list_dead(parts)) == 1, message="one dead letter")
    [row] = dead.list_dead(parts)
    refused = row["tracking_number"]
    [other] = set(texts) - {refused}
    assert "422" in row["reason"]
    wait_for(lambda: parts.store.status(other)["status"] == "diteruskan", message="other delivered")
    assert parts.store.status(refused)["status"] == "diterima"
    assert dead.replay(parts) == 1
    wait_for(lambda: parts.store.status(refused)["status"] == "diteruskan",
             message="replayed complaint delivered")
    bodies = receiver.json_bodies()
    assert sorted(b["tracking_number"] for b in bodies) == sorted([refused, refused, other])
    assert {b["tracking_number"]: b["body"] for b in bodies} == texts


def test_duplicate_provider_message_is_one_complaint(parts, broker_url):
    from examples.central_consumer import consume

    one = parts.intake.take(inbound("LAPOR pungli", provider_id="kannel-42"))
    again = parts.intake.take(inbound("LAPOR pungli", provider_id="kannel-42"))
    assert again.duplicate and again.tracking_number == one.tracking_number
    saved = []
    queues = ("lapor.complaints", "lapor.complaints.bulk")
    consume(broker_url, lambda key, body: saved.append((key, body)), queues, limit=1, timeout=5)
    assert len(saved) == 1 and saved[0][1]["tracking_number"] == one.tracking_number
    with pytest.raises(TimeoutError):
        consume(broker_url, lambda key, body: saved.append(key), queues, limit=1, timeout=1)
