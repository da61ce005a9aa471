"""The store's replication settings: ``WAIT`` after each intake write (``forwarder.store_replicas``).

A group of ``config.settings.Settings`` kept in its own module (``Settings`` inherits these
fields; ``load_settings`` validates them with the other numbers, ``STORE_NUMBERS``):

    LAPOR_REDIS_WAIT_REPLICAS  0    replicas that must have an intake write (a new complaint,
                                    a follow-up) before the citizen is answered from Redis;
                                    0: off. Fewer within the time: the complaint is spooled
    LAPOR_REDIS_WAIT_MS        500  how long one intake waits for them (milliseconds)

500 ms: a replica that is up answers ``WAIT`` within a round trip (the primary asks it for
its offset at once), well under a millisecond on a LAN, so the timeout is only ever paid
when a replica is missing or stalled, and then by one intake a second (after a short
``WAIT`` the next intakes spool at once for a second: ``forwarder.store_intake``). Half a
second is well inside every provider's webhook timeout (Twilio's 15 s is the shortest) and
long enough that a replica busy for a moment (a fork for an AOF rewrite, a slow disk) is
not taken for a dead one, which would spool complaints for nothing.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoreSettings:
    redis_wait_replicas: int = 0
    redis_wait_ms: int = 500


STORE_NUMBERS = {  # field name -> (type, minimum), validated like every number setting
    "redis_wait_replicas": (int, 0),
    "redis_wait_ms": (int, 1),
}


def check_wait(values: dict, embedded: bool, error: type[Exception]) -> None:
    """The embedded Redis has no replica: WAIT there would spool every complaint for good."""
    if embedded and values.get("redis_wait_replicas", 0) > 0:
        raise error("LAPOR_REDIS_WAIT_REPLICAS: the embedded Redis has no replica; set 0")
