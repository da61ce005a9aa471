"""Linking ("me too") at intake: the open complaints a new one is linked to, and its entry.

``Linker.related`` computes the new complaint's fingerprint (``normalizer.linking``), reads
its candidates from the store in one round trip (``forwarder.store_links``) and keeps those
similar enough (LAPOR_LINK_SIMILARITY) within LAPOR_LINK_WINDOW_DAYS. The entry is written
with the complaint itself (``Store.accept(link=...)``). A suggestion only: any failure here
is logged (without identity) and the complaint goes on without links; nothing is merged.
"""
from __future__ import annotations

import logging
import time

from normalizer import linking

log = logging.getLogger("lapor.linking")


class Linker:
    def __init__(self, settings, store):
        self.store = store
        self.enabled = settings.link_window_days > 0
        self.floor = settings.link_similarity

    def entry(self, complaint: dict):
        """The complaint's index entry (None: not indexed, or linking failed)."""
        if not self.enabled:
            return None
        try:
            return linking.fingerprint(complaint)
        except Exception as exc:  # noqa: BLE001 - a suggestion never stops a complaint
            log.warning("linking skipped complaint=%s: %s", complaint.get("id", "-"),
                        type(exc).__name__)
            return None

    def related(self, complaint: dict) -> tuple[object, list[dict]]:
        """(index entry or None, ``[{tracking_number, similarity}]``) for a new complaint."""
        entry = self.entry(complaint)
        if entry is None:
            return None, []
        try:
            candidates = self.store.links.find(entry, time.time())
            return entry, linking.related(entry, candidates, self.floor,
                                          exclude=complaint["tracking_number"])
        except Exception as exc:  # noqa: BLE001 - a suggestion never stops a complaint
            log.warning("linking skipped complaint=%s: %s", complaint.get("id", "-"),
                        type(exc).__name__)
            return None, []
