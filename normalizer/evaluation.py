"""How good the region and agency suggestions are, measured on a labelled set.

A labelled set is JSON lines (``tests/data/routing/README.md``): each a complaint
(``text``, optional ``location``, ``lat``/``lon``) with its true region (``code``, the
Kemendagri code of the lowest level known) and ``agency``. ``evaluate`` resolves and routes
each one as the normalizer does and counts:

- region accuracy per level (province, regency, district, village) over the complaints
  that name a region in their text or location field and whose truth goes down to that
  level: right when the suggestion reaches that level with the true code there;
- the same for complaints located only by coordinates;
- regions suggested for complaints that name none (false regions);
- agency accuracy over every complaint, and a confusion summary (true -> suggested).

``lapor-gateway routing evaluate [FILE ...]`` prints ``report(...)``; the test suite runs it
on the labelled set and holds it to the issue's goals.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from normalizer import region, routing
from normalizer.regions import LEVELS


def load(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _prefix(code: str, size: int) -> str:
    parts = code.split(".") if code else []
    return ".".join(parts[:size]) if len(parts) >= size else ""


def _count_levels(tally: dict, truth: str, got: str) -> None:
    for size, level in enumerate(LEVELS, start=1):
        want = _prefix(truth, size)
        if want:
            right, total = tally.get(level, (0, 0))
            tally[level] = (right + (_prefix(got, size) == want), total + 1)


def evaluate(records: list[dict], rules: tuple) -> dict:
    named: dict[str, tuple[int, int]] = {}
    located: dict[str, tuple[int, int]] = {}
    agencies, confusion, region_misses = Counter(), Counter(), Counter()
    false_regions = unnamed = 0
    for record in records:
        found = region.resolve(record.get("location", ""), record["text"], record.get("lat"), record.get("lon"))
        routed = routing.suggest(record["text"], rules, found)
        truth, got = record.get("code") or "", found["code"]
        if not truth:
            unnamed += 1
            false_regions += bool(got)
        else:
            _count_levels(located if "lat" in record else named, truth, got)
            if "lat" not in record and _prefix(truth, 2) and _prefix(got, 2) != _prefix(truth, 2):
                region_misses["none" if not got else "stopped higher" if len(got) < 5 else "wrong"] += 1
        agencies["right" if routed["agency"] == record["agency"] else "wrong"] += 1
        if routed["agency"] != record["agency"]:
            confusion[(record["agency"], routed["agency"])] += 1
    return {"complaints": len(records), "named": named, "coordinates": located,
            "unnamed": unnamed, "false_regions": false_regions,
            "regency_misses": dict(region_misses),
            "agency": (agencies["right"], len(records)), "confusion": confusion.most_common(10)}


def accuracy(pair: tuple[int, int]) -> float:
    right, total = pair
    return right / total if total else 0.0


def report(name: str, figures: dict) -> str:
    """The figures as the lines ``routing evaluate`` prints."""
    lines = [f"{name}: {figures['complaints']} complaints"]
    for title, key in (("region named in text or location field", "named"),
                       ("region from coordinates only", "coordinates")):
        levels = figures[key]
        if levels:
            lines.append(f"  {title}:")
            lines += [f"    {level:<9} {accuracy(levels[level]):6.1%}  ({levels[level][0]}/{levels[level][1]})"
                      for level in LEVELS if level in levels]
        if key == "named" and figures["regency_misses"]:
            lines.append("    regency misses: " + ", ".join(f"{kind} {count}" for kind, count
                                                            in sorted(figures["regency_misses"].items())))
    lines.append(f"  no region named: {figures['unnamed']}, a region suggested anyway: {figures['false_regions']}")
    right, total = figures["agency"]
    lines.append(f"  agency    {accuracy(figures['agency']):6.1%}  ({right}/{total})")
    if figures["confusion"]:
        lines.append("  agency confusion (true -> suggested: count):")
        lines += [f"    {true} -> {got}: {count}" for (true, got), count in figures["confusion"]]
    return "\n".join(lines)
