"""LAPOR_BROKER_URL: one broker URL, or RabbitMQ nodes as kombu's failover list.

    amqp://user:pass@10.0.0.1:5672/lapor;amqp://user:pass@10.0.0.2:5672/lapor

kombu reads the ``;``-separated list itself (``Connection("amqp://a;amqp://b")``): a
connection goes to the first node that answers, trying them in turn (its ``round-robin``
failover strategy), and each reconnect after a lost connection moves on to the next.
Only AMQP URLs may be listed: Redis fails over through Sentinel (``config.sentinel``).
Pure parsing: nothing connects here.
"""
from __future__ import annotations

from urllib.parse import urlparse

from config.sentinel import SCHEME as SENTINEL_SCHEME

AMQP_SCHEMES = ("amqp", "amqps", "pyamqp")
SCHEMES = ("redis", "rediss", "redis+socket", *AMQP_SCHEMES, "memory", SENTINEL_SCHEME)
SEPARATOR = ";"


def is_failover_list(value: str) -> bool:
    return SEPARATOR in value and not value.startswith(SENTINEL_SCHEME + "://")


def failover_list(value: str, error: type[Exception]) -> str:
    """The list, its items stripped; ``error`` names the first item that is not AMQP (by
    its position and scheme only: a URL carries a password)."""
    items = [item.strip() for item in value.split(SEPARATOR)]
    for number, item in enumerate(items, 1):
        scheme = urlparse(item).scheme
        if scheme in AMQP_SCHEMES and urlparse(item).hostname:
            continue
        found = "has no host" if scheme in AMQP_SCHEMES else f"is {scheme}://" if scheme else "is not a URL"
        raise error(f"LAPOR_BROKER_URL: a failover list (';') takes RabbitMQ URLs only "
                    f"(amqp://, amqps://, pyamqp://, each with its host); item {number} {found}")
    return SEPARATOR.join(items)
