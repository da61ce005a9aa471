"""The store's part for officers' accounts and failed logins (``gateway.officers`` decides,
this keeps).

Keys (``forwarder.keys``): ``officer:<username>`` (hash: username, agency, role, password
(an argon2id hash, never the password), disabled "1"/"0", generation (raised by a password
reset or a disable, so sessions of the old generation end), totp_secret, totp_last,
created_at), ``officers`` (set of usernames), ``login:fail:<username>`` (failures in the
current window) and ``login:lock:<username>`` (present while locked). A failed login is
counted and the lock set in one script (``forwarder/lua/login_failed.lua``).
"""
from __future__ import annotations

from forwarder import keys, scripts


def _decoded(raw: dict) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}


class OfficerRecords:
    """Officers' accounts in Redis (``Parts.officers``)."""

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
