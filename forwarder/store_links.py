"""The store's part for the "me too" index (``normalizer.linking`` computes, this keeps).

Keys (``forwarder.keys``): ``lsh:<region>:<band>:<hash>`` (zset: tracking number ->
accepted time, one bucket per LSH band) and ``lshsig:<region>`` (hash: tracking number ->
signature). An entry is written with its complaint, by ``forwarder/lua/accept.lua`` in the
same round trip (``entry_keys``/``entry_args``); ``find`` reads a new complaint's candidates
in one round trip before it is recorded; ``forget`` drops a finished complaint's signature,
so it is no longer a candidate. Every key expires LAPOR_LINK_WINDOW_DAYS after its last
entry, and an insert drops the bucket's entries older than the window.
"""
from __future__ import annotations

from forwarder import keys, scripts

PER_BUCKET = 10        # the most recent of each bucket are candidates
MOST_CANDIDATES = 50   # and at most this many in all


class LinkIndex:
    """The "me too" index in Redis (``Store.links``)."""

    def __init__(self, client, window_seconds: int):
        self.redis = client
        self.window = window_seconds
        self._find = scripts.register(client, "link_find")

    def find(self, entry, now: float) -> list[tuple[str, bytes]]:
        """(tracking number, signature) of the complaints sharing a bucket with ``entry``
        (a ``normalizer.linking.Fingerprint``), received within the window before ``now``."""
        script_keys = [keys.link_signatures(entry.region),
                       *(keys.link_bucket(entry.region, band) for band in entry.bands)]
        flat = self._find(keys=script_keys, args=[now - self.window, PER_BUCKET, MOST_CANDIDATES])
        return [(flat[i].decode(), flat[i + 1]) for i in range(0, len(flat), 2)]

    def entry_keys(self, entry) -> list[str]:
        """accept.lua's KEYS for the entry: the signatures hash, then the buckets."""
        if entry is None:
            return [keys.NO_LINK]
        return [keys.link_signatures(entry.region),
                *(keys.link_bucket(entry.region, band) for band in entry.bands)]

    def entry_args(self, entry, now: float) -> list:
        """accept.lua's ARGV 30-33 for the entry: signature, since, ttl, region."""
        if entry is None:
            return ["", 0, 0, ""]
        return [entry.signature, now - self.window, self.window, entry.region]

    def forget(self, tracking: str, region: str) -> None:
        """A finished complaint is no longer a candidate (its buckets drop it as they age)."""
        if region:
            self.redis.hdel(keys.link_signatures(region), tracking)
