"""Queue topology (kombu): one durable topic exchange and the queues bound to it.

    exchange  lapor            topic, durable
    queue     lapor.complaints <- complaint.{new,event,retry,reconcile,replay}.*
                                (new complaints and follow-up events)
    queue     lapor.complaints.bulk <- complaint.bulk.#  (from senders flooding a door: served
                                by the forwarder beside the main queue, never ahead of it)
    queue     lapor.replies    <- reply.#       (messages to citizens, for the notifier)
    queue     lapor.dead       <- dead.#        (what could not be delivered, with a reason)
    queue     lapor.media      <- media.#       (attachments to fetch from providers)

Routing keys: ``complaint.new.<channel>``, ``complaint.event.<channel>``,
``reply.<channel>``, ``media.<channel>``, ``dead.complaint``, ``dead.reply``, ``dead.media``. The central system may consume
``lapor.complaints`` directly or bind its own durable queue to ``complaint.#``.
Every message is JSON with headers ``schema_version``, ``idempotency_key`` and ``kind``.
The broker is chosen by URL (``redis://``, ``redis+socket://``, ``amqp://``); with AMQP,
``LAPOR_QUORUM_QUEUES=1`` declares quorum queues (clusters) and publishes use confirms.
"""
from __future__ import annotations

from kombu import Connection, Exchange, Queue, binding

EXCHANGE = Exchange("lapor", type="topic", durable=True, delivery_mode="persistent")
COMPLAINTS = "lapor.complaints"
BULK = "lapor.complaints.bulk"
REPLIES = "lapor.replies"
DEAD = "lapor.dead"
MEDIA = "lapor.media"
_BINDINGS = {
    COMPLAINTS: ("complaint.new.*", "complaint.event.*", "complaint.retry.*",
                 "complaint.reconcile.*", "complaint.replay.*"),
    BULK: ("complaint.bulk.#",),
    REPLIES: ("reply.#",), DEAD: ("dead.#",), MEDIA: ("media.#",),
}


def queue(name: str, quorum: bool = False) -> Queue:
    arguments = {"x-queue-type": "quorum"} if quorum else None
    return Queue(name, exchange=EXCHANGE, bindings=[binding(EXCHANGE, routing_key=key)
                                                    for key in _BINDINGS[name]],
                 durable=True, queue_arguments=arguments)


def all_queues(quorum: bool = False) -> list[Queue]:
    return [queue(name, quorum) for name in _BINDINGS]


def is_amqp(url: str) -> bool:
    return url.split("://", 1)[0] in ("amqp", "amqps", "pyamqp")


def connect(url: str) -> Connection:
    """A kombu connection with publisher confirms where the transport has them."""
    options = {"confirm_publish": True} if is_amqp(url) else {
        "visibility_timeout": 3600, "fanout_patterns": True}
    return Connection(url, transport_options=options, connect_timeout=5)


def declare(connection: Connection, quorum: bool = False) -> None:
    """Declare the exchange and every queue (idempotent)."""
    channel = connection.default_channel
    EXCHANGE(channel).declare()
    for item in all_queues(quorum):
        item(channel).declare()
