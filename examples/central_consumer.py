"""Consume lapor-gateway's complaints straight from the queue (the central side, kombu).

Either take ``lapor.complaints`` itself (then run no forwarder), or bind a queue of your
own to the ``lapor`` topic exchange with ``complaint.#`` and receive a copy of everything.
Deduplicate on the ``idempotency_key`` header: a re-published complaint repeats it.
"""
from kombu import Connection, Exchange, Queue

EXCHANGE = Exchange("lapor", type="topic", durable=True)


def consume(broker_url, save, queue_name="lapor.complaints", limit=None, timeout=5):
    """Call ``save(key, complaint)`` once per new complaint; ack only after it returns."""
    queue = Queue(queue_name, EXCHANGE, routing_key="complaint.#", durable=True)
    seen, taken = set(), 0
    with Connection(broker_url) as connection:
        with connection.Consumer(queue, accept=["json"], prefetch_count=10) as consumer:

            def on_message(complaint, message):
                nonlocal taken
                key = message.headers["idempotency_key"]
                if key not in seen:              # keep `seen` in your database in real life
                    save(key, complaint)
                    seen.add(key)
                message.ack()
                taken += 1

            consumer.register_callback(on_message)
            while limit is None or taken < limit:
                connection.drain_events(timeout=timeout)
    return taken
