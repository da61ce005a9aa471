"""The store's part for the rate limits' counts (``gateway.limits`` decides, this counts).

Keys (``forwarder.keys``): ``rl:<window>``, one counter per fixed window, expiring when the
window ends. ``count`` counts one request against all of its windows in one round trip
(``forwarder/lua/rate_count.lua``).
"""
from __future__ import annotations

from forwarder import keys, scripts


class RateCounts:
    """Fixed-window counters in Redis (``Store.rates``)."""

    def __init__(self, client):
        self._count = scripts.register(client, "rate_count")

    def count(self, windows: list[tuple[str, int]]) -> list[tuple[int, int]]:
        """One more in each ``(window name, seconds)``: each window's count so far and the
        seconds it has left."""
        answers = self._count(keys=[keys.rate_window(name) for name, _ in windows],
                              args=[seconds for _, seconds in windows])
        return list(zip(answers[::2], answers[1::2]))
