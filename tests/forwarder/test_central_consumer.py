"""The README's central-consumer example is the file that this test runs."""
from __future__ import annotations

from pathlib import Path

from examples.central_consumer import consume
from tests.helpers import inbound

ROOT = Path(__file__).resolve().parents[2]


def test_readme_shows_the_example_verbatim():
    example = (ROOT / "examples" / "central_consumer.py").read_text()
    assert example.strip() in (ROOT / "README.md").read_text()


def test_central_binds_its_own_queue_and_dedups_on_the_key(parts, redis_url):
    from kombu import Connection, Queue

    from examples.central_consumer import EXCHANGE

    with Connection(redis_url) as connection:      # the central side declares its queue first
        Queue("central.copy", EXCHANGE, routing_key="complaint.#", durable=True)(
            connection.default_channel).declare()
    outcome = parts.intake.take(inbound("LAPOR sampah tidak diangkut seminggu"))
    complaint = parts.store.complaint(parts.store.redis.get(
        f"lapor:t:{outcome.tracking_number}").decode())
    parts.publisher.publish("complaint.reconcile.kannel", complaint, complaint["id"], "complaint")
    saved = []
    taken = consume(redis_url, lambda key, body: saved.append((key, body)),
                    queues=("central.copy",), limit=2)
    assert taken == 2
    assert [(key, body["tracking_number"]) for key, body in saved] == [
        (complaint["id"], outcome.tracking_number)]
