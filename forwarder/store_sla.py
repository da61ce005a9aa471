"""The store's part for the service-level clock (``forwarder.sla`` decides, this keeps).

Key (``forwarder.keys``): ``sla`` (zset: ``"<tracking>|yellow"`` and ``"<tracking>|red"`` ->
the epoch second the complaint turns that colour). Both entries are written with the
complaint by ``forwarder/lua/accept.lua``. ``claim`` takes the entries whose instant has
come, atomically, pushing each a lease ahead (``sla_claim.lua``): two workers never hold the
same one, and one that dies before ``done`` loses its claim when the lease runs out.
``move`` sets new instants after a reclassification; ``cancel`` removes a finished
complaint's.
"""
from __future__ import annotations

from datetime import date

from forwarder import keys, scripts
from normalizer import service_level

COLOURS = ("yellow", "red")


def reminder_args(complaint: dict) -> list:
    """accept.lua's ARGV 28-29: the epoch seconds the complaint turns yellow and red."""
    level = complaint["service_level"]
    instants = service_level.turns_at(level["class"], date.fromisoformat(level["due_date"]))
    return [instants["yellow"].timestamp(), instants["red"].timestamp()]


class SlaSchedule:
    """The reminders' schedule in Redis (``Store.sla``)."""

    def __init__(self, client):
        self.redis = client
        self._claim = scripts.register(client, "sla_claim")
        self._done = scripts.register(client, "sla_done")

    def claim(self, now: float, lease: int, limit: int = 200) -> list[tuple[str, str, str]]:
        """(tracking, colour, claim) of every reminder due at ``now``, now held by the caller."""
        flat = self._claim(keys=[keys.SLA], args=[now, lease, limit])
        claimed = []
        for i in range(0, len(flat), 2):
            tracking, _, colour = flat[i].decode().partition("|")
            claimed.append((tracking, colour, flat[i + 1].decode()))
        return claimed

    def done(self, tracking: str, colour: str, claim: str) -> bool:
        """Remove a claimed reminder (False: it was moved meanwhile and stays)."""
        return bool(self._done(keys=[keys.SLA], args=[f"{tracking}|{colour}", claim]))

    def move(self, tracking: str, instants: dict[str, float]) -> None:
        """Set the instants ``{colour: epoch seconds}`` of a complaint's reminders."""
        self.redis.zadd(keys.SLA, {f"{tracking}|{colour}": at for colour, at in instants.items()})

    def cancel(self, tracking: str) -> None:
        self.redis.zrem(keys.SLA, *(f"{tracking}|{colour}" for colour in COLOURS))

    def when(self, tracking: str) -> dict[str, float]:
        """The scheduled instants still pending for a complaint (colour -> epoch seconds)."""
        pipe = self.redis.pipeline()
        for colour in COLOURS:
            pipe.zscore(keys.SLA, f"{tracking}|{colour}")
        return {colour: score for colour, score in zip(COLOURS, pipe.execute())
                if score is not None}
