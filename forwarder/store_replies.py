"""The store's part for replies' delivery records (``forwarder.delivery`` decides, this keeps).

Keys (``forwarder.keys``): ``reply:<reply id>`` (hash: reply_id, complaint_id, tracking,
door, kind, state, code, updated_at, optout), ``replyref:<door>:<provider id>`` -> reply id,
``replies:<complaint id>`` (reply id -> JSON of kind, state, code, updated_at) and
``reply_stats`` ("<state>|<door>" -> count); all but the counts expire with the retention.
"""
from __future__ import annotations

import json

from forwarder import keys, scripts


class ReplyRecords:
    """Replies' delivery records in Redis (``Store.replies``)."""

    def __init__(self, client, ttl: int):
        self.redis = client
        self.ttl = ttl
        self._move = scripts.register(client, "reply_move")

    def open(self, fields: dict[str, str], provider_ref: str = "") -> None:
        """Create reply ``fields['reply_id']``'s record (its state stays as it is when it
        exists) and link the provider's id ``provider_ref`` to it."""
        key = keys.reply(fields["reply_id"])
        pipe = self.redis.pipeline()
        pipe.hsetnx(key, "state", "")
        pipe.hset(key, mapping=fields)
        pipe.expire(key, self.ttl)
        if provider_ref:
            pipe.set(keys.reply_ref(fields["door"], provider_ref), fields["reply_id"], ex=self.ttl)
        pipe.execute()

    def field(self, rid: str, name: str) -> str:
        """One field of reply ``rid``'s record ('' when absent)."""
        return (self.redis.hget(keys.reply(rid), name) or b"").decode()

    def of_provider_ref(self, door_id: str, provider_ref: str) -> str:
        """The reply id the provider knows as ``provider_ref`` on this door ('' if none)."""
        found = self.redis.get(keys.reply_ref(door_id, provider_ref))
        return found.decode() if found else ""

    def move(self, rid: str, state: str, rank: int, code: str, now: str,
             ranks: list) -> dict[str, str] | None:
        """Move reply ``rid`` to ``state`` (of ``rank``; ``ranks``: every state's name and
        rank, flat) unless it is there or further on; its fields when it moved, else None."""
        cid = self.field(rid, "complaint_id")
        raw = self._move(keys=[keys.reply(rid), keys.replies(cid), keys.REPLY_STATS],
                         args=[state, rank, code, now, self.ttl, *ranks])
        if not raw:
            return None
        return {raw[i].decode(): raw[i + 1].decode() for i in range(0, len(raw), 2)}

    def of_complaint(self, cid: str) -> dict[str, dict]:
        """Every reply of a complaint and its latest state (reply id -> fields)."""
        raw = self.redis.hgetall(keys.replies(cid))
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    def stats(self) -> dict[tuple[str, str], int]:
        """(state, door) -> how many replies reached that state."""
        return {tuple(k.decode().split("|", 1)): int(v)
                for k, v in self.redis.hgetall(keys.REPLY_STATS).items()}
