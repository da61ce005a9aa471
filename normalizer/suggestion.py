"""The suggestions a complaint carries: its region (``location.region``) and its routing.

Both are suggestions for the national admin; neither may refuse, delay or drop a complaint.
So this is the one place that calls the region resolver and the routing, and it catches
everything they raise: the complaint then goes on without the suggestion (region: none;
routing: the national admin, confidence 0) and a flag says so (``region_failed``,
``routing_failed``). The log line names the exception's type only: never the text, the
location or the reporter.
"""
from __future__ import annotations

import logging

from normalizer import centroids, region as regions_of, regions, routing, typos, words
from normalizer.values import Location

log = logging.getLogger(__name__)
#: Only the start of a long text is read for place names and keywords: a letter names its
#: place and its subject early, and a 20,000-character text must cost no more than this.
SUGGESTION_CHARS = 4000


def warm() -> None:
    """Load the region data, the typo index, the stemmer and the village centroids now
    (each is otherwise loaded by the first complaint that needs it, once per process)."""
    regions.index()
    typos.correct(["samarinda"])
    centroids.nearest_village(-0.5, 117.15)


def tokens_of(text: str) -> list[str]:
    """The words of the part of ``text`` the suggestions read, read once for both."""
    return words.raw_tokens(text[:SUGGESTION_CHARS])


def region_of(location: Location | None, text: str,
              tokens: list[str] | None = None) -> tuple[dict | None, list[str]]:
    """The complaint's region (None when no source names one) and the flags (``tokens``:
    ``tokens_of(text)``, when the caller has them)."""
    try:
        found = regions_of.resolve((location.text if location else "")[:SUGGESTION_CHARS],
                                   text[:SUGGESTION_CHARS],
                                   location.latitude if location else None,
                                   location.longitude if location else None, tokens)
    except Exception as exc:  # noqa: BLE001 - a suggestion never fails a complaint
        log.error("region resolver failed (%s); the complaint goes on without a region",
                  type(exc).__name__)
        return None, ["region_failed"]
    return (found if found["level"] != "none" or found["candidates"] else None), []


def routing_of(text: str, rules: tuple, found_region: dict | None,
               tokens: list[str] | None = None) -> tuple[dict, list[str]]:
    """The routing suggestion and the flags (``tokens``: ``tokens_of(text)``, if at hand)."""
    try:
        return routing.suggest(text[:SUGGESTION_CHARS], rules, found_region, tokens), []
    except Exception as exc:  # noqa: BLE001 - a suggestion never fails a complaint
        log.error("routing failed (%s); the complaint goes to the national admin", type(exc).__name__)
        return {"agency": routing.NATIONAL_ADMIN, "topic": routing.NO_TOPIC, "region_code": "",
                "confidence": 0.0, "why": "routing failed; the national admin assigns it",
                "alternatives": []}, ["routing_failed"]


def location_with_region(location: dict | None, found_region: dict | None) -> dict | None:
    """The complaint's ``location``: the reporter's, with ``region`` added; a region found
    in the text alone makes a location of its own."""
    if found_region is None:
        return None if location is None else {**location, "region": None}
    base = location or {"text": "", "latitude": None, "longitude": None, "region_codes": []}
    return {**base, "region": found_region}
