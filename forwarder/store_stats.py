"""The store's part for the public statistics (``/statistik``): daily counters in Redis.

Keys (``forwarder.keys``): ``stats:day:<YYYY-MM-DD>`` (hash, the fields of
``normalizer.public_stats``) and ``stats:wait:<YYYY-MM-DD>`` (list of seconds to the first
status change), one each per day of reception in Jakarta time. They are written inside the
scripts that already run: ``accept.lua`` counts a new complaint (six HINCRBY in the same
round trip), ``forwarded.lua`` and ``status_update.lua`` move its status, colour bucket and
first-change time. Each day's keys expire at a fixed moment, the day after it leaves the
window (``EXPIREAT``, never pushed back by later writes), so the counters stay bounded:
about 30 hashes of a few dozen fields. Reading the window is one MULTI/EXEC of 60 reads.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from forwarder import keys
from normalizer.public_stats import UNKNOWN, WIB, WINDOW_DAYS, label, stats_day

log = logging.getLogger("lapor.store")
NOT_COUNTED = keys.stats_day("-")     # a placeholder KEYS entry when a complaint is not counted


@lru_cache(maxsize=64)
def leaves_window(day: date) -> int:
    """Epoch seconds when ``day``'s counters expire: the start (WIB) of the day after the
    last one whose window holds ``day``."""
    return int(datetime.combine(day + timedelta(days=WINDOW_DAYS + 1), time(), WIB).timestamp())


def accept_part(complaint: dict) -> tuple[str, list]:
    """The counters key and the ``accept.lua`` arguments that count ``complaint``. A
    complaint that cannot be read for it is recorded all the same, uncounted."""
    try:
        received = datetime.fromisoformat(complaint["received_at"])
        day = stats_day(received)
        region = (complaint.get("location") or {}).get("region") or {}
        province = label(region.get("province")) if isinstance(region, dict) else UNKNOWN
        return keys.stats_day(day.isoformat()), [
            day.isoformat(), label(complaint["channel"]), province,
            complaint["service_level"]["class"], leaves_window(day), received.timestamp()]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("complaint=%s not counted in the statistics: %s", complaint.get("id"),
                    type(exc).__name__)
        return NOT_COUNTED, ["", "", "", "", 0, 0]


class PublicStatsRecords:
    """The daily counters of the public statistics (``Store.public_stats``)."""

    def __init__(self, client):
        self.redis = client

    def read(self, days: list[date]) -> tuple[list[tuple[date, dict[str, int]]], list[float]]:
        """Each day's counters and every first-change wait of those days, read in one
        transaction (one consistent snapshot)."""
        pipe = self.redis.pipeline(transaction=True)
        for day in days:
            pipe.hgetall(keys.stats_day(day.isoformat()))
        for day in days:
            pipe.lrange(keys.stats_wait(day.isoformat()), 0, -1)
        replies = pipe.execute()
        counters = [(day, {k.decode(): int(v) for k, v in raw.items()})
                    for day, raw in zip(days, replies[:len(days)])]
        waits = [float(value) for raw in replies[len(days):] for value in raw]
        return counters, waits
