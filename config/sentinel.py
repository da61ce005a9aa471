"""Redis Sentinel addresses: the settings' parsing and the one URL spelling every part reads.

With ``LAPOR_REDIS_SENTINELS=host:port,host:port`` and ``LAPOR_REDIS_MASTER_NAME``, the
store's URL (and the broker's, when the broker is Redis) is rewritten at settings load into
kombu's own Sentinel spelling plus the master's name:

    sentinel://127.0.0.1:26379/0;sentinel://127.0.0.1:26380/0?master_name=lapor

The database number, user and password come from the ``redis://`` URL it replaces (its host
and port are not used: the Sentinels name the primary). The store
(``forwarder.store``) reads it with redis-py's ``Sentinel``, the broker with kombu's
``sentinel://`` transport (``forwarder.topology``); the rate limits count through the
store's client. Pure parsing: nothing connects here.
"""
from __future__ import annotations

from typing import NamedTuple
from urllib.parse import quote, unquote, urlparse

SCHEME = "sentinel"


class SentinelAddress(NamedTuple):
    """Where the Sentinels are and what to ask them for."""
    sentinels: tuple[tuple[str, int], ...]
    master_name: str
    db: int
    username: str | None
    password: str | None


def parse_sentinels(name: str, value: str, error: type[Exception]) -> tuple[str, ...]:
    """Comma-separated ``host:port`` items (``error`` names ``name`` on a bad one)."""
    items = tuple(item.strip() for item in value.split(",") if item.strip())
    for item in items:
        host, _, port = item.rpartition(":")
        if not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
            raise error(f"{name}: expected host:port items separated by commas, got {item!r}")
    return items


def settings_values(sentinels: str, master_name: str, error: type[Exception]) -> dict:
    """LAPOR_REDIS_SENTINELS and LAPOR_REDIS_MASTER_NAME, checked (``error`` on a bad one)."""
    items = parse_sentinels("LAPOR_REDIS_SENTINELS", sentinels, error)
    if items and not master_name:
        raise error("LAPOR_REDIS_MASTER_NAME: required when LAPOR_REDIS_SENTINELS is set")
    if master_name and not items:
        raise error("LAPOR_REDIS_MASTER_NAME: only with LAPOR_REDIS_SENTINELS")
    return {"redis_sentinels": items, "redis_master_name": master_name}


def rewrite_urls(values: dict) -> None:
    """With Sentinels set, the ``redis://`` store and broker URLs in ``values`` become
    their Sentinel spelling (``sentinel_url``); other URLs are left as they are."""
    if not values["redis_sentinels"]:
        return
    for key in ("broker_url", "redis_url"):
        if urlparse(values[key]).scheme == "redis":
            values[key] = sentinel_url(values[key], values["redis_sentinels"],
                                       values["redis_master_name"])


def is_sentinel(url: str) -> bool:
    return url.split("://", 1)[0] == SCHEME


def sentinel_url(redis_url: str, sentinels: tuple[str, ...], master_name: str) -> str:
    """The Sentinel spelling of a ``redis://`` URL (its db, user and password kept)."""
    parsed = urlparse(redis_url)
    db = parsed.path.strip("/") or "0"
    login, at, _ = parsed.netloc.rpartition("@")        # kept as written (percent-encoded)
    login += at
    hosts = ";".join(f"{SCHEME}://{login}{item}/{db}" for item in sentinels)
    return f"{hosts}?master_name={quote(master_name, safe='')}"


def split_url(url: str) -> tuple[str, str]:
    """A Sentinel URL -> (kombu's URL, the master's name)."""
    hosts, _, query = url.partition("?master_name=")
    return hosts, unquote(query)


def parse_url(url: str) -> SentinelAddress:
    """A Sentinel URL (``sentinel_url``'s spelling) -> its parts."""
    hosts, master_name = split_url(url)
    first = urlparse(hosts.split(";", 1)[0])
    sentinels = tuple((urlparse(item).hostname or "localhost", urlparse(item).port or 26379)
                      for item in hosts.split(";"))
    password = unquote(first.password) if first.password is not None else None
    username = unquote(first.username) if first.username else None
    return SentinelAddress(sentinels, master_name, int(first.path.strip("/") or 0),
                           username, password)
