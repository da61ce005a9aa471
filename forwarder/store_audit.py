"""The store's part for the audit stream: officers' actions, appended, never changed.

Key ``audit`` (``forwarder.keys``), a Redis stream. Each entry's id is Redis's
(``<milliseconds>-<n>``: when it was written, in order); its fields are strings: ``at``
(ISO time), ``action``, ``actor`` (username, '' when unknown), ``actor_id`` (the officer's
keyed id), ``agency``, ``role``, ``address`` (where the request came from) and ``details``
(JSON). Retention: ``XADD ... MAXLEN ~ LAPOR_AUDIT_MAX_ENTRIES`` keeps about that many newest
entries (Redis trims whole blocks, so a few more may stay); at 300 bytes an entry, the
default 200,000 is about 60 MB, and years of a province's officers' actions.
"""
from __future__ import annotations

from forwarder import keys

FIELDS = ("at", "action", "actor", "actor_id", "agency", "role", "address", "details")


class AuditRecords:
    """The audit stream in Redis (``Parts.audit``)."""

    def __init__(self, client, max_entries: int):
        self.redis = client
        self.max_entries = max_entries

    def append(self, entry: dict[str, str]) -> str:
        """Append one entry; its stream id."""
        fields = {name: str(entry.get(name, "")) for name in FIELDS}
        entry_id = self.redis.xadd(keys.AUDIT, fields, maxlen=self.max_entries, approximate=True)
        return entry_id.decode()

    def read(self, since_ms: int = 0, agency: str | None = None, limit: int = 1000,
             newest_first: bool = False) -> list[dict[str, str]]:
        """Entries written at or after ``since_ms`` (epoch milliseconds), of ``agency`` only
        when given, at most ``limit``, oldest first (or newest first)."""
        start = f"{since_ms}-0" if since_ms else "-"
        rows: list[dict[str, str]] = []
        cursor = "+" if newest_first else start
        while len(rows) < limit:
            if newest_first:
                batch = self.redis.xrevrange(keys.AUDIT, cursor, start, count=500)
            else:
                batch = self.redis.xrange(keys.AUDIT, cursor, "+", count=500)
            if not batch:
                break
            for raw_id, raw in batch:
                row = {"id": raw_id.decode(), **{k.decode(): v.decode() for k, v in raw.items()}}
                if agency is None or row.get("agency") == agency:
                    rows.append(row)
            cursor = "(" + batch[-1][0].decode()
            if len(batch) < 500:
                break
        return rows[:limit]

    def length(self) -> int:
        return int(self.redis.xlen(keys.AUDIT))
