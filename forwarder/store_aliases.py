"""Tracking numbers that stand for a complaint recorded under another number.

A complaint spooled while the store was down (``gateway.acceptance``) already gave its
reporter a number. When the provider's retry of the same message reached the store first,
the message is recorded under the retry's number, and the spooled copy is dropped on replay
as a duplicate. The first number is then kept as an alias: its owner key
(``t:<number>``, ``forwarder.keys``) names the recorded complaint, so no other complaint can
draw it, a follow-up naming it joins the complaint, and a status look-up by it answers the
recorded complaint's status. The recorded complaint's own number is in its ledger
(``c:<id>`` field ``tracking``). Aliases last as long as owner keys do.
"""
from __future__ import annotations

from forwarder import keys


class NumberAliases:
    """``Store.aliases``."""

    def __init__(self, client):
        self.redis = client

    def add(self, number: str, cid: str) -> bool:
        """``number`` names complaint ``cid`` from now on; False when a complaint holds it
        already (the alias is not made)."""
        return bool(self.redis.set(keys.tracking_owner(number), cid, nx=True))

    def recorded_as(self, numbers: list[str]) -> dict[str, str]:
        """{alias: the number its complaint is recorded under} for those of ``numbers``
        that are aliases; two round trips, one when none has an owner."""
        pipe = self.redis.pipeline(transaction=False)
        for number in numbers:
            pipe.get(keys.tracking_owner(number))
        owned = [(number, owner.decode()) for number, owner in zip(numbers, pipe.execute())
                 if owner is not None]
        if not owned:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for _number, cid in owned:
            pipe.hget(keys.ledger(cid), "tracking")
        return {number: recorded.decode() for (number, _cid), recorded in zip(owned, pipe.execute())
                if recorded is not None and recorded.decode() != number}
