"""The store's part for the forwarder's ledger reads and writes, several per round trip.

``states`` reads what the forwarder needs of several complaints' ledger entries (state,
attempts, accepted_at; never the stored body) in one pipeline; ``delivered`` records
several deliveries in one: each ledger entry ``delivered`` (kept LAPOR_RETENTION_DAYS),
out of the pending index, the ``delivered|<door>`` counter, and for a complaint its public
status moved from ``diterima`` to ``diteruskan`` (``forwarder/lua/forwarded.lua``; never
back). ``Store.mark_delivered`` is the one-item case.
"""
from __future__ import annotations

from forwarder import keys, scripts

FIELDS = ("state", "attempts", "accepted_at")


class Deliveries:
    """Ledger entries of complaints being forwarded (``Store.deliveries``)."""

    def __init__(self, client, retention_seconds: int):
        self.redis = client
        self.retention = retention_seconds
        self._forwarded = scripts.source("forwarded")

    def states(self, cids: list[str]) -> list[dict]:
        """Per id, in order: its ledger's ``FIELDS`` that are set ({} when no entry)."""
        pipe = self.redis.pipeline(transaction=False)
        for cid in cids:
            pipe.hmget(keys.ledger(cid), FIELDS)
        return [{name: value.decode() for name, value in zip(FIELDS, values) if value is not None}
                for values in pipe.execute()]

    def delivered(self, items: list[tuple[str, str, str]], now: str) -> None:
        """Record (id, tracking number or '' for an event, door) as delivered, atomically."""
        pipe = self.redis.pipeline()
        for cid, tracking, door in items:
            pipe.hincrby(keys.STATS, f"delivered|{door}", 1)
            pipe.hset(keys.ledger(cid), mapping={"state": "delivered", "last_error": ""})
            pipe.expire(keys.ledger(cid), self.retention)
            pipe.zrem(keys.PENDING, cid)
            if tracking:   # a complaint, not an event: its public status moves on, never back
                pipe.eval(self._forwarded, 1, keys.status(tracking), now, keys.STATS_DAY)
        pipe.execute()
