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
``reply.<channel>``, ``media.<channel>``, ``dead.complaint``, ``dead.reply``, ``dead.media``.
The central system may consume
``lapor.complaints`` directly or bind its own durable queue to ``complaint.#``.
Every message is JSON with headers ``schema_version``, ``idempotency_key`` and ``kind``.
The broker is chosen by URL (``redis://``, ``redis+socket://``, ``sentinel://`` from
``config.sentinel``, ``amqp://`` or a failover list of them, ``config.broker``); with AMQP,
``LAPOR_QUORUM_QUEUES=1`` declares quorum queues (clusters) and publishes use confirms.
``Topology`` is the one declaration every part uses (publisher, workers, dead letters), so
no part re-declares a queue with other arguments.
"""
from __future__ import annotations

from kombu import Connection, Exchange, Queue, binding

from config import sentinel

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
VISIBILITY_TIMEOUT = 3600   # kombu's Redis transport: an unacked message comes back after it
# LAPOR_BROKER_URL listing RabbitMQ nodes (``amqp://a//;amqp://b//``): kombu tries them in
# the order written, each failed connect moving on to the next (a reconnect starts again
# from the first): the first URL is the preferred node.
FAILOVER = "round-robin"


class Topology:
    """The one declaration of the exchange and the queues, shared by every part that
    declares or consumes them (publisher, workers, dead letters): RabbitMQ refuses a queue
    re-declared with other arguments (``PRECONDITION_FAILED``), so they must all agree."""

    def __init__(self, quorum: bool = False):
        self.quorum = quorum

    @classmethod
    def from_settings(cls, settings) -> "Topology":
        """``LAPOR_QUORUM_QUEUES=1``: quorum queues (RabbitMQ clusters); read only here."""
        return cls(quorum=settings.quorum_queues)

    def queue(self, name: str) -> Queue:
        arguments = {"x-queue-type": "quorum"} if self.quorum else None
        return Queue(name, exchange=EXCHANGE, bindings=[binding(EXCHANGE, routing_key=key)
                                                        for key in _BINDINGS[name]],
                     durable=True, queue_arguments=arguments)

    def queues(self) -> list[Queue]:
        return [self.queue(name) for name in _BINDINGS]

    def declare(self, connection: Connection) -> None:
        """Declare the exchange and every queue (idempotent)."""
        channel = connection.default_channel
        EXCHANGE(channel).declare()
        for item in self.queues():
            item(channel).declare()

    def depths(self, url: str) -> dict[str, int]:
        """Messages waiting in each queue, by name (Redis and AMQP alike; for /metrics)."""
        with connect(url) as connection:
            self.declare(connection)
            channel = connection.default_channel
            return {item.name: item(channel).queue_declare().message_count
                    for item in self.queues()}


def is_amqp(url: str) -> bool:
    return url.split("://", 1)[0] in ("amqp", "amqps", "pyamqp")


def connect(url: str, held_key: str = "") -> Connection:
    """A kombu connection with publisher confirms where the transport has them.

    On Redis, ``held_key`` names the hash where this consumer's unacknowledged messages
    are kept (kombu's ``unacked_key``; ``forwarder.recovery`` gives each consumer its own,
    so a dead consumer's messages can be told apart and restored at once)."""
    if is_amqp(url):       # one node, or a cluster's nodes as a failover list (config.broker)
        return Connection(url, transport_options={"confirm_publish": True}, connect_timeout=5,
                          failover_strategy=FAILOVER)
    options = {"visibility_timeout": VISIBILITY_TIMEOUT, "fanout_patterns": True}
    if sentinel.is_sentinel(url):      # kombu's sentinel:// transport, told the primary's name
        url, options["master_name"] = sentinel.split_url(url)
    if held_key:
        options.update(unacked_key=held_key, unacked_index_key=held_key + ":index",
                       unacked_mutex_key=held_key + ":mutex")
    return Connection(url, transport_options=options, connect_timeout=5)
