"""Routing suggestion: which agency a complaint probably belongs to (the national admin decides).

A suggestion only, never a reason to refuse. The rules come from the doors file
(``config/defaults.json`` "routing", and a province's own file: README "Doors"): each names
a ``topic``, an ``agency``, its ``keywords`` (words or phrases), and optionally the
``region`` it serves (a Kemendagri code: ``64`` a province, ``64.72`` a city).

Matching is on stems: the complaint's words, with SMS abbreviations spelled out
(``words.expand``: ``jln`` -> ``jalan``), and every keyword are stemmed with Sastrawi
(``words.stem``), so ``berlubang`` matches ``lubang`` and ``pungutan`` ``pungut``. A phrase
matches when its stems come in order within ``WINDOW`` words (``jalan di depan pasar
rusak`` is a ``jalan rusak``), found through an index by their first stem: one pass over
the complaint whatever the number of rules. A topic scores the words of its distinct matched
keywords (``jalan rusak`` 2, ``lubang`` 1); the best topic wins (ties: the rule listed
first). Among the rules of that topic, the region decides: the rule whose ``region`` is the
longest prefix of the complaint's region code (a city's agency before its province's, a
province's before the national default of no region); a rule for another region never
applies. No keyword matched: the national admin, topic ``umum``, confidence 0. A topic the
sender chose (an Open311 service) is taken as it is (``chosen``): its rule for the region,
confidence 1.

Output (``routing`` of the complaint)::

    {"agency": "Dinas PU PERA", "topic": "infrastruktur", "region_code": "64.08",
     "confidence": 0.65, "why": "keywords: jalan rusak; region: Kabupaten Kutai Timur",
     "alternatives": [{"agency": "Dinas Perhubungan", "topic": "perhubungan", "confidence": 0.2}]}
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from normalizer import words

NATIONAL_ADMIN = "Admin Nasional SP4N-LAPOR!"
NO_TOPIC = "umum"
MAX_ALTERNATIVES = 3
WINDOW = 8          # a phrase's words lie within this many words of its first
AGENCIES_KEPT = 20_000  # (topic, region code) pairs whose rule is kept


@dataclass(frozen=True, slots=True)
class Compiled:
    """The rules made ready for matching: phrases (as stems) by their first stem."""
    rules: tuple
    by_first: dict[str, tuple[tuple[tuple[str, ...], str, str], ...]]   # stem -> (phrase, topic, keyword)
    order: dict[str, int]                                                # topic -> its first rule's place
    by_topic: dict[str, tuple]                                           # topic -> its rules, in order
    agencies: dict[tuple[str, str], object] = field(default_factory=dict)  # (topic, region code) -> rule


_compiled: dict[int, Compiled] = {}


def compile_rules(rules: tuple) -> Compiled:
    """Index a rule set, once per rule-set object (the rules of a running gateway never
    change; looked up by identity, as hashing every rule for each complaint costs more than
    the matching)."""
    cached = _compiled.get(id(rules))
    if cached is not None and cached.rules is rules:
        return cached
    if len(_compiled) > 16:
        _compiled.clear()
    _compiled[id(rules)] = cached = _compile(rules)
    return cached


def _compile(rules: tuple) -> Compiled:
    table: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    for rule in rules:
        for keyword in rule.keywords:
            phrase = tuple(words.stems(keyword))
            if phrase:
                table.setdefault(phrase[0], []).append((phrase, rule.topic, keyword))
    order = {topic: place for place, topic in reversed(list(enumerate(rule.topic for rule in rules)))}
    by_topic = {topic: tuple(rule for rule in rules if rule.topic == topic) for topic in order}
    return Compiled(rules, {first: tuple(entries) for first, entries in table.items()}, order, by_topic)


def _in_order(stems: list[str], start: int, phrase: tuple[str, ...]) -> bool:
    """The rest of ``phrase`` follows ``start`` in order within WINDOW words (``jalan di
    depan pasar rusak`` is a ``jalan rusak``)."""
    window = stems[start + 1:start + WINDOW]
    at = 0
    for part in phrase[1:]:
        rest = window[at:]
        if part not in rest:            # no exception raised per miss: most phrases miss
            return False
        at += rest.index(part) + 1
    return True


def _matches(stems: list[str], compiled: Compiled) -> dict[str, dict[str, int]]:
    """topic -> {keyword: its number of words} for every keyword found in the stems. A stem
    that begins phrases (``jalan``: six) cuts its window once; a phrase of two words is in
    it when its second is (``_in_order`` for longer ones)."""
    found: dict[str, dict[str, int]] = {}
    by_first = compiled.by_first
    for position, stem in enumerate(stems):
        entries = by_first.get(stem)
        if entries is None:
            continue                    # most stems begin no keyword
        window = None
        for phrase, topic, keyword in entries:
            size = len(phrase)
            if size > 1:
                if window is None:
                    window = stems[position + 1:position + WINDOW]
                if phrase[1] not in window if size == 2 else not _in_order(stems, position, phrase):
                    continue
            found.setdefault(topic, {})[keyword] = size
    return found


def serves(rule, region_code: str) -> bool:
    """True when the rule applies to a complaint of ``region_code`` (a rule without a
    region applies everywhere)."""
    return not rule.region or region_code == rule.region or region_code.startswith(rule.region + ".")


def agency_for(topic: str, rules: tuple, region_code: str):
    """The rule of ``topic`` for the region: the most specific region that serves it."""
    best = None
    for rule in rules:                  # the longest region; of equals, the rule listed first
        if rule.topic == topic and serves(rule, region_code) and (best is None or len(rule.region) > len(best.region)):
            best = rule
    return best


def _agency(compiled: Compiled, topic: str, region_code: str):
    """``agency_for`` the compiled rules, kept per (topic, region code) (bounded): a region's
    agency of a topic is the same for every complaint."""
    key = (topic, region_code)
    try:
        return compiled.agencies[key]
    except KeyError:
        if len(compiled.agencies) >= AGENCIES_KEPT:
            compiled.agencies.clear()
        rule = compiled.agencies[key] = agency_for(topic, compiled.by_topic[topic], region_code)
        return rule


@functools.lru_cache(maxsize=4096)
def _confidence(score: int, runner_up: int) -> float:
    """The confidence of a topic scoring ``score`` against ``runner_up`` (kept per pair:
    ``round`` to two digits costs about 0.5 us)."""
    return round(min(0.95, 0.35 + 0.15 * score) * score / (score + runner_up), 2)


def suggest(text: str, rules: tuple, region: dict | None = None, tokens: list[str] | None = None) -> dict:
    """Return {agency, topic, region_code, confidence, why, alternatives} for the text
    (``tokens``: its ``words.raw_tokens`` when the caller has them already)."""
    region = region or {}
    region_code = region.get("code") or ""
    compiled = compile_rules(rules if isinstance(rules, tuple) else tuple(rules))
    found = _matches(words.stems(text) if tokens is None else words.stems_of(tokens), compiled)
    ranked = []
    for topic, keywords in found.items():
        rule = _agency(compiled, topic, region_code)
        if rule is not None:
            ranked.append((sum(keywords.values()), -compiled.order[topic], topic, rule))
    ranked.sort(reverse=True)
    if not ranked:
        return {"agency": NATIONAL_ADMIN, "topic": NO_TOPIC, "region_code": _agency_region(None, region),
                "confidence": 0.0, "why": "no routing rule matched; the national admin assigns it",
                "alternatives": []}
    score, _, topic, rule = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0
    alternatives = [{"agency": other.agency, "topic": other_topic,
                     "confidence": _confidence(other_score, score)}
                    for other_score, _, other_topic, other in ranked[1:1 + MAX_ALTERNATIVES]]
    return {"agency": rule.agency, "topic": topic, "region_code": _agency_region(rule, region),
            "confidence": _confidence(score, runner_up), "why": _why(found[topic], rule, region),
            "alternatives": alternatives}


def _agency_region(rule, region: dict) -> str:
    """The region the agency serves: the rule's own, else the complaint's regency (or its
    province when only that is known): a default rule's "Dinas PU PERA" is that regency's."""
    if rule is not None and rule.region:
        return rule.region
    code = region.get("code") or ""
    return ".".join(code.split(".")[:2])


def _why(keywords: dict[str, int], rule, region: dict) -> str:
    why = "keywords: " + ", ".join(sorted(keywords))
    if rule.region:
        why += f"; the agency of region {rule.region}"
    place = region.get("regency") or region.get("province")
    return why + (f"; region: {place}" if place else "")


def chosen(topic: str, rules: tuple, region: dict | None = None) -> dict | None:
    """The routing of a complaint whose sender chose ``topic`` (an Open311 service): that
    topic's rule for the complaint's region, confidence 1; None when no rule of the topic
    serves the region (the keywords decide then)."""
    region = region or {}
    rule = agency_for(topic, tuple(rules), region.get("code") or "") if topic else None
    if rule is None:
        return None
    return {"agency": rule.agency, "topic": topic, "region_code": _agency_region(rule, region),
            "confidence": 1.0, "why": "topic chosen by the sender", "alternatives": []}
