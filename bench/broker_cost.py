"""kombu's own cost per message on a broker: receive + ack, time and round trips.

    .venv/bin/python bench/broker_cost.py redis://127.0.0.1:6379/0 [--messages 3000]

(``bench/forwarder.py`` runs it on every broker it benchmarks.) Publishes N messages of the
size of a complaint to a throwaway queue, then consumes them the way ``QueueWorker`` does
(``connection.Consumer``, ``drain_events``) in three ways: prefetch 1 and each message
acked at once; prefetch 16, acked at once; prefetch 16 with the acks of each drained run
settled together (``forwarder.consumer.ack_all``: one pipeline on Redis). Prints wall
microseconds per message (in-process, no handler work) and the requests written to the
broker per message: on Redis each is a round trip (a pipeline is one); on AMQP a write is
a frame and only the receive waits (basic.ack is never answered).
"""
from __future__ import annotations

import argparse
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis.connection  # noqa: E402
from amqp import transport as amqp_transport  # noqa: E402
from kombu import Connection, Exchange, Queue  # noqa: E402

from forwarder.consumer import ack_all  # noqa: E402

BODY = {"id": "x" * 32, "body": "LAPOR jalan rusak " * 40, "door": "sms-1708"}
WAYS = (("prefetch 1, ack each", 1, False), ("prefetch 16, ack each", 16, False),
        ("prefetch 16, acks settled together", 16, True))


class _Writes:
    """Counts what the process writes to a broker (Redis requests, AMQP frames)."""

    def __init__(self):
        self.count = 0
        self._undo = []

    def __enter__(self):
        for owner, name in ((redis.connection.AbstractConnection, "send_packed_command"),
                            (amqp_transport._AbstractTransport, "write")):
            original = getattr(owner, name)

            def counted(obj, *args, _original=original, **kwargs):
                self.count += 1
                return _original(obj, *args, **kwargs)
            setattr(owner, name, counted)
            self._undo.append((owner, name, original))
        return self

    def __exit__(self, *exc):
        for owner, name, original in self._undo:
            setattr(owner, name, original)


def measure(url: str, messages: int, prefetch: int, together: bool) -> tuple[float, float]:
    """(microseconds, broker writes) per message received and acknowledged."""
    exchange = Exchange("lapor.bench", type="direct", durable=False)
    queue = Queue("lapor.bench.cost", exchange, routing_key="cost", durable=False)
    with _Writes() as writes, Connection(url) as connection:     # py-amqp binds write early
        producer = connection.Producer(serializer="json")
        for _ in range(messages):
            producer.publish(BODY, exchange=exchange, routing_key="cost", declare=[queue])
        taken: list = []
        with connection.Consumer([queue], callbacks=[lambda body, message: taken.append(message)],
                                 accept=["json"], prefetch_count=prefetch):
            started, done, writes.count = time.perf_counter(), 0, 0
            while done < messages:
                try:
                    connection.drain_events(timeout=1)
                    while together and len(taken) < prefetch and done + len(taken) < messages:
                        connection.drain_events(timeout=1)    # a run of up to ``prefetch``
                except socket.timeout:
                    break
                if together:
                    ack_all(taken)
                else:
                    for message in taken:
                        message.ack()
                done += len(taken)
                taken.clear()
            elapsed, written = time.perf_counter() - started, writes.count
        queue(connection.default_channel).delete()
    return elapsed / max(1, done) * 1e6, written / max(1, done)


def report(url: str, messages: int) -> None:
    broker = "RabbitMQ" if url.startswith("amqp") else "Redis"
    for label, prefetch, together in WAYS:
        micros, writes = measure(url, messages, prefetch, together)
        print(f"  kombu on {broker}, {label}: {micros:,.0f} µs and {writes:.2f} broker "
              f"writes per message (receive + ack, {messages:,} messages)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--messages", type=int, default=3000)
    arguments = parser.parse_args()
    report(arguments.url, arguments.messages)
