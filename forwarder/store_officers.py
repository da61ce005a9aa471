"""The store's part for officers: their accounts, failed logins and the audit stream
(``gateway.officers`` decides, this keeps; ``Store.officers``, ``Store.audit``).

Keys (``forwarder.keys``): ``officer:<username>`` (hash: username, agency, role, password
(an argon2id hash, never the password), disabled "1"/"0", generation (raised by a password
reset or a disable, so sessions of the old generation end), totp_secret, totp_last,
created_at), ``officers`` (set of usernames), ``login:fail:<username>`` (failures in the
current window) and ``login:lock:<username>`` (present while locked). A failed login is
counted and the lock set in one script (``forwarder/lua/login_failed.lua``).

The audit stream, key ``audit``: each entry's id is Redis's (``<milliseconds>-<n>``: when it
was written, in order); its fields are strings: ``at`` (ISO time), ``action``, ``actor``
(username, '' when unknown), ``actor_id`` (the officer's keyed id), ``agency``, ``role``,
``address`` (where the request came from) and ``details`` (JSON). Retention: ``XADD ...
MAXLEN ~ LAPOR_AUDIT_MAX_ENTRIES`` keeps about that many newest entries (Redis trims whole
blocks, so a few more may stay); at 300 bytes an entry, the default 200,000 is about 60 MB.
"""
from __future__ import annotations

from forwarder import keys, scripts


def _decoded(raw: dict) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}


class OfficerRecords:
    """Officers' accounts in Redis (``Store.officers``)."""

    def __init__(self, client):
        self.redis = client
        self._failed = scripts.register(client, "login_failed")

    def create(self, fields: dict[str, str]) -> bool:
        """Create account ``fields['username']``; False when that username exists."""
        key = keys.officer(fields["username"])
        if not self.redis.hsetnx(key, "username", fields["username"]):
            return False
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping={**fields, "generation": "1", "disabled": "0"})
        pipe.sadd(keys.OFFICERS, fields["username"])
        pipe.execute()
        return True

    def get(self, username: str) -> dict[str, str]:
        """The account's fields (empty when there is no such account)."""
        return _decoded(self.redis.hgetall(keys.officer(username))) if username else {}

    def usernames(self) -> list[str]:
        return sorted(name.decode() for name in self.redis.smembers(keys.OFFICERS))

    def update(self, username: str, fields: dict[str, str], new_generation: bool = False) -> bool:
        """Change an existing account (False when there is none); ``new_generation`` ends
        every session of it (password reset, disable)."""
        key = keys.officer(username)
        if not self.redis.exists(key):
            return False
        pipe = self.redis.pipeline(transaction=True)
        if fields:
            pipe.hset(key, mapping=fields)
        if new_generation:
            pipe.hincrby(key, "generation", 1)
        pipe.execute()
        return True

    def use_totp_step(self, username: str, step: int) -> bool:
        """Record that the code of time step ``step`` was used; False when it (or a later
        one) was used already: a code works once."""
        key = keys.officer(username)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.watch(key)
            last = int(pipe.hget(key, "totp_last") or 0)
            if step <= last:
                return False
            pipe.multi()
            pipe.hset(key, "totp_last", step)
            pipe.execute()
        return True

    # ----- failed logins --------------------------------------------------------------
    def locked_for(self, username: str) -> float:
        """Seconds the account stays locked (0 when it is not)."""
        remaining = self.redis.pttl(keys.login_lock(username))
        return max(remaining, 0) / 1000

    def failed(self, username: str, limit: int, window_seconds: float) -> tuple[int, bool]:
        """Count a failed login; (failures so far, whether the account is now locked)."""
        failures, locked = self._failed(keys=[keys.login_failures(username), keys.login_lock(username)],
                                        args=[limit, int(window_seconds * 1000)])
        return int(failures), bool(locked)

    def succeeded(self, username: str) -> None:
        """A good login forgets the failures before it."""
        self.redis.delete(keys.login_failures(username))

    def unlock(self, username: str) -> None:
        self.redis.delete(keys.login_failures(username), keys.login_lock(username))


FIELDS = ("at", "action", "actor", "actor_id", "agency", "role", "address", "details")


class AuditRecords:
    """The audit stream in Redis (``Store.audit``)."""

    def __init__(self, client):
        self.redis = client

    def append(self, entry: dict[str, str], max_entries: int) -> str:
        """Append one entry, keeping about the newest ``max_entries``; its stream id."""
        fields = {name: str(entry.get(name, "")) for name in FIELDS}
        entry_id = self.redis.xadd(keys.AUDIT, fields, maxlen=max_entries, approximate=True)
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
