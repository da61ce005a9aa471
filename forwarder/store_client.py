"""The store's Redis client: from a ``redis://`` or ``unix://`` URL, or through Redis
Sentinel from a ``sentinel://`` URL (``config.sentinel``), in which case every command goes
to the primary the Sentinels name now and a failover is followed on the next reconnect."""
from __future__ import annotations

import redis
from redis.sentinel import Sentinel

from config import sentinel

CLIENT_OPTIONS = {"socket_timeout": 5, "socket_connect_timeout": 5, "health_check_interval": 30}
SENTINEL_TIMEOUT = 1.0       # asking a Sentinel: one that does not answer is skipped


def connect(url: str) -> redis.Redis:
    """A client for ``url``; nothing connects until its first command."""
    if not sentinel.is_sentinel(url):
        return redis.Redis.from_url(url, **CLIENT_OPTIONS)
    where = sentinel.parse_url(url)
    sentinels = Sentinel(where.sentinels, socket_timeout=SENTINEL_TIMEOUT,
                         socket_connect_timeout=SENTINEL_TIMEOUT)
    return sentinels.master_for(where.master_name, db=where.db, username=where.username,
                                password=where.password, **CLIENT_OPTIONS)
