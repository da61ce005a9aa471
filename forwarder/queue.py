"""Publishing to the durable queue.

``Publisher.publish`` sends one JSON message to the topic exchange as a persistent message
(with publisher confirms on AMQP) and returns only once the broker has it; it raises
``PublishError`` otherwise. One connection per process, re-established on failure with a
short bounded retry, so a broker blip does not fail a citizen's request.

Headers on every message: ``schema_version``, ``idempotency_key``, ``kind`` (complaint,
event, reply, dead) and, on dead letters, ``reason`` and ``attempts``.
"""
from __future__ import annotations

import threading

from kombu import Producer

from forwarder import topology
from normalizer.schema import SCHEMA_VERSION


class PublishError(Exception):
    """The broker did not take the message."""


class Publisher:
    def __init__(self, broker_url: str, quorum: bool = False):
        self.broker_url = broker_url
        self.quorum = quorum
        self._lock = threading.Lock()
        self._connection = None
        self._producer = None

    def _ensure(self) -> Producer:
        if self._producer is None:
            self._connection = topology.connect(self.broker_url)
            self._connection.ensure_connection(max_retries=2, interval_start=0.1,
                                               interval_step=0.2)
            topology.declare(self._connection, self.quorum)
            self._producer = Producer(self._connection.default_channel, exchange=topology.EXCHANGE,
                                      serializer="json")
        return self._producer

    def publish(self, routing_key: str, body: dict, key: str, kind: str,
                extra_headers: dict | None = None) -> None:
        headers = {"schema_version": SCHEMA_VERSION, "idempotency_key": key, "kind": kind}
        if extra_headers:
            headers.update(extra_headers)
        with self._lock:
            for attempt in (1, 2):
                try:
                    self._ensure().publish(body, routing_key=routing_key, headers=headers,
                                           delivery_mode="persistent", retry=False)
                    return
                except Exception as exc:  # noqa: BLE001 - any broker failure is the same to us
                    self._reset()
                    if attempt == 2:
                        raise PublishError(f"broker refused the message: {type(exc).__name__}") from exc

    def ping(self) -> None:
        """Raise unless the broker answers."""
        with self._lock:
            try:
                self._ensure()
                topology.queue(topology.COMPLAINTS)(self._connection.default_channel).queue_declare(
                    passive=True)
            except Exception:
                self._reset()
                raise

    def _reset(self) -> None:
        try:
            if self._connection is not None:
                self._connection.release()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close
            pass
        self._connection = self._producer = None

    def close(self) -> None:
        with self._lock:
            self._reset()
