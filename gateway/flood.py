"""The flood meter: which senders exceed LAPOR_FLOOD_PER_MINUTE on a door.

The count itself is kept by the store (the intake scripts count each reporter's messages
of the current minute and answer it); this remembers, in this process, who is flooding,
for a minute after the last count above the limit. A flooding sender is never refused
(providers are never answered 429): its messages are flagged ``flood`` and routed to the
bulk queue, which the forwarder serves beside the main one.
"""
from __future__ import annotations

import logging
import time

log = logging.getLogger("lapor.intake")
FLOOD_SECONDS = 60     # a sender counts as flooding this long after its last count above


class FloodMeter:
    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._until: dict[str, float] = {}    # open key -> until when it counts as flooding

    def flooding(self, open_key: str) -> bool:
        """True while this sender is known (in this process) to exceed the flood rate."""
        until = self._until.get(open_key)
        if until is None:
            return False
        if until < time.monotonic():
            del self._until[open_key]
            return False
        return True

    def note(self, open_key: str, recent: int) -> None:
        """The store counted ``recent`` messages of this sender in the current minute."""
        if open_key and recent > self.per_minute:
            if open_key not in self._until:
                log.warning("flood: a sender exceeds %d messages a minute; queued as bulk",
                            self.per_minute)
            self._until[open_key] = time.monotonic() + FLOOD_SECONDS
