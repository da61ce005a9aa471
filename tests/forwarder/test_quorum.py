"""Quorum queues on a real RabbitMQ (``LAPOR_QUORUM_QUEUES=1``): every part (publisher,
forwarder, dead letters and replay) declares the same topology, so RabbitMQ never answers
``PRECONDITION_FAILED`` and a complaint is forwarded, dead-lettered and replayed.
"""
from __future__ import annotations

import subprocess

import pytest

from forwarder import dead, topology
from forwarder.worker import ForwardWorker
from tests.helpers import inbound, wait_for


@pytest.fixture
def environ(environ, amqp_url):
    environ.update(LAPOR_BROKER_URL=amqp_url, LAPOR_QUORUM_QUEUES="1")
    return environ


def _queue_types(rabbitmq, amqp_url) -> dict[str, str]:
    vhost = amqp_url.rsplit("/", 1)[1]
    listed = subprocess.run(["/usr/lib/rabbitmq/bin/rabbitmqctl", "list_queues", "-p", vhost,
                             "--no-table-headers", "--quiet", "name", "type"],
                            env=rabbitmq["env"], check=True, capture_output=True, text=True,
                            timeout=60).stdout
    return dict(line.split() for line in listed.splitlines() if line.strip())


def test_quorum_queues_forward_dead_letter_and_replay(parts, receiver, start_worker, rabbitmq,
                                                      amqp_url):
    receiver.responses = [(422, {}, b"unprocessable")]      # the first to arrive is refused
    numbers = [parts.intake.take(inbound(text)).tracking_number
               for text in ("LAPOR jalan rusak di Jl. Kenanga", "ASPIRASI taman bermain anak")]
    start_worker(ForwardWorker)
    wait_for(lambda: len(dead.list_dead(parts)) == 1, message="one dead letter")
    [row] = dead.list_dead(parts)
    [other] = set(numbers) - {row["tracking_number"]}
    wait_for(lambda: parts.store.status(other)["status"] == "diteruskan", message="forwarded")
    assert dead.replay(parts) == 1
    wait_for(lambda: parts.store.status(row["tracking_number"])["status"] == "diteruskan",
             message="replayed complaint forwarded")
    assert dead.list_dead(parts) == []
    types = _queue_types(rabbitmq, amqp_url)
    names = (topology.COMPLAINTS, topology.BULK, topology.REPLIES, topology.DEAD, topology.MEDIA)
    assert {name: types.get(name) for name in names} == dict.fromkeys(names, "quorum")
