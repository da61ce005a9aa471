"""The store's part for agency systems: API keys and the Open311 listing (``Store.api_keys``,
``Store.listing``). ``gateway.agency_keys`` and ``gateway.open311`` decide; this keeps.

Keys (``forwarder.keys``):

- ``apikey:<key id>`` hash: ``agency``, ``door``, ``created_at``, ``last_used``,
  ``revoked_at`` (ISO 8601, '' while unset) and ``sha256`` (hex digest of the whole key;
  the key itself is never stored), and ``apikeys``, the set of every key id;
- ``listing`` zset: tracking number -> received time (epoch seconds) of the complaints that
  came in through Open311, written by ``forwarder/lua/accept.lua`` in the same step as the
  complaint, and ``listed:<tracking>``: a JSON string of what Open311 shows besides the
  public status (``service_code``, ``address``, ``lat``, ``long``). Both outlive the
  complaint body (``LISTING_SECONDS``); older entries are trimmed by the accept script.
"""
from __future__ import annotations

import json

from forwarder import keys

LISTING_SECONDS = 400 * 86400     # Open311 serves 90-day windows; a year and more is kept


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")


class ApiKeyRecords:
    """Agency API keys' records: never the key, only its digest."""

    FIELDS = ("agency", "door", "created_at", "last_used", "revoked_at", "sha256")

    def __init__(self, client):
        self.redis = client

    def create(self, key_id: str, fields: dict[str, str]) -> bool:
        """Record a new key; False (nothing written) when ``key_id`` is taken."""
        record = {name: fields.get(name, "") for name in self.FIELDS}
        if not self.redis.hsetnx(keys.api_key(key_id), "sha256", record["sha256"]):
            return False
        pipe = self.redis.pipeline()
        pipe.hset(keys.api_key(key_id), mapping=record)
        pipe.sadd(keys.API_KEYS, key_id)
        pipe.execute()
        return True

    def get(self, key_id: str) -> dict[str, str]:
        """The key's record (empty when unknown): one round trip."""
        raw = self.redis.hgetall(keys.api_key(key_id))
        return {_text(k): _text(v) for k, v in raw.items()}

    def all(self) -> list[dict[str, str]]:
        """Every key's record with its ``id``, oldest first."""
        ids = sorted(_text(i) for i in self.redis.smembers(keys.API_KEYS))
        pipe = self.redis.pipeline()
        for key_id in ids:
            pipe.hgetall(keys.api_key(key_id))
        rows = [{"id": key_id, **{_text(k): _text(v) for k, v in raw.items()}}
                for key_id, raw in zip(ids, pipe.execute()) if raw]
        return sorted(rows, key=lambda row: (row.get("created_at", ""), row["id"]))

    def touch(self, key_id: str, when: str) -> None:
        """Note when the key was last used (the caller decides how often)."""
        self.redis.hset(keys.api_key(key_id), "last_used", when)

    def revoke(self, key_id: str, when: str) -> bool:
        """Revoke a key for good; False when no such key exists."""
        if not self.redis.exists(keys.api_key(key_id)):
            return False
        self.redis.hset(keys.api_key(key_id), "revoked_at", when)
        return True


class Listing:
    """The complaints Open311 lists, newest first, with their public status."""

    def __init__(self, client):
        self.redis = client

    def numbers(self, start: float, end: float, offset: int, count: int) -> list[str]:
        """Tracking numbers received between ``start`` and ``end`` (epoch), newest first."""
        found = self.redis.zrevrangebyscore(keys.LISTING, end, start, start=offset, num=count)
        return [_text(number) for number in found]

    def entries(self, numbers: list[str]) -> list[tuple[str, dict, dict]]:
        """(number, public status, listed details) of each number with a status, in one
        round trip; details are {} for a complaint that is not listed."""
        pipe = self.redis.pipeline()
        for number in numbers:
            pipe.hgetall(keys.status(number))
            pipe.get(keys.listed(number))
        replies = pipe.execute()
        rows = []
        for index, number in enumerate(numbers):
            status, details = replies[2 * index], replies[2 * index + 1]
            if status:
                rows.append((number, {_text(k): _text(v) for k, v in status.items()},
                             json.loads(details) if details else {}))
        return rows
