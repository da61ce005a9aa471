"""Consume lapor-gateway's complaints straight from the queue (the central side, kombu).

Either bind a queue of your own to the ``lapor`` topic exchange with ``complaint.#`` (the
default here: you receive a copy of every complaint and event, floods included), or take
the gateway's own ``lapor.complaints`` and ``lapor.complaints.bulk`` (then run no forwarder).
Deduplicate on the ``idempotency_key`` header: a re-published message repeats it; the
``kind`` header says ``complaint`` or ``event`` (a follow-up of a complaint).
"""
from kombu import Connection, Exchange, Queue

EXCHANGE = Exchange("lapor", type="topic", durable=True)


def consume(broker_url, save, queues=("central.complaints",), limit=None, timeout=5):
    """Call ``save(key, body)`` once per new message; ack only after it returns."""
    declared = [Queue(name, no_declare=True) if name.startswith("lapor.")      # the gateway's
                else Queue(name, EXCHANGE, routing_key="complaint.#", durable=True)  # yours
                for name in queues]
    seen, taken = set(), 0

    def on_message(body, message):
        nonlocal taken
        key = message.headers["idempotency_key"]
        if key not in seen:                      # keep `seen` in your database in real life
            save(key, body)
            seen.add(key)
        message.ack()
        taken += 1

    with Connection(broker_url) as connection:
        with connection.Consumer(declared, callbacks=[on_message], accept=["json"],
                                 prefetch_count=10):
            while limit is None or taken < limit:
                connection.drain_events(timeout=timeout)
    return taken
