"""How the regions a text names are weighed against each other, and the answer made.

``region`` finds the mentions (a region's id, level, weight and the place of its name in
the text: ``Mention``); ``decide`` scores every region mentioned, with the regions above it
that the text names too, and answers with the best, or with the lowest level the tied ones
share and their ``candidates`` (``region``'s docstring has the whole scheme). ``describe``
makes the region dict of a code (``location.region`` of the complaint).
"""
from __future__ import annotations

import functools

from normalizer import regions, weights
from normalizer.weights import MARKED, WEIGHTS_CACHE

MIN_SCORE = 1.0
MAX_CANDIDATES = 5

#: A region named in the text: (id, level, weight, span): its id (``RegionIndex.ids``: ints
#: in code order, converted back to codes only for the answer), level, weight, and where (the
#: offset of its name: one name supports one level of a chain). Plain tuples, read by
#: position (``IDENT`` ... ``SPAN``): a message makes a few dozen of them.
Mention = tuple[int, int, float, int]
IDENT, LEVEL, WEIGHT, SPAN = range(4)


def empty(source: str = "") -> dict:
    return {"code": "", "province": None, "regency": None, "district": None, "village": None,
            "level": "none", "confidence": 0.0, "candidates": [], "source": source}


def decide(index: regions.RegionIndex, mentions: list[Mention], source: str) -> dict:
    """The answer for a text's mentions: the best-scored region, or the lowest level the tied
    ones share and the candidates."""
    if not mentions:
        return empty()
    support: dict[int, Mention] = {}
    for mention in mentions:
        known = support.get(mention[IDENT])
        if known is None or mention[WEIGHT] > known[WEIGHT]:
            support[mention[IDENT]] = mention
    scores = _scores(index.above, support)
    if not scores:
        return empty()
    best = max(scores.values())
    tied = sorted([ident for ident, score in scores.items() if best - score < 1e-9])   # in code order
    # a region tied with one above it added nothing of its own (the village "Sangatta Utara"
    # of the district named in the text): the one above is what the text says
    if len(tied) > 1:
        above = set(tied)
        tied = [ident for ident in tied if above.isdisjoint(index.above[ident])]
    shared = _common_ancestor(index.above, tied)
    confidence = min(0.95, 0.3 + 0.12 * best) * (1.0 if len(tied) == 1 else 0.5)
    candidates = [] if len(tied) == 1 else _described(index, [index.code_of[ident] for ident in tied])
    if shared is None:
        return {**empty(source), "candidates": candidates}
    return describe(index.code_of[shared], confidence, candidates, source)


def _scores(above: list[tuple[int, ...]], support: dict[int, Mention]) -> dict[int, float]:
    """Each credible region's score: the weight of its own mention plus its ancestors', one
    level per place in the text (``Kediri`` names a district and a village of it: it counts
    once). A district or village found only by its own unmarked name is credible when that
    name is long and no other region of its level or above has it (``Singosari``: one
    district, and villages, which weigh less)."""
    scores = {}
    for ident, own in support.items():
        weight = own[WEIGHT]
        chain = [support[ancestor] for ancestor in above[ident] if ancestor in support]
        if not chain:
            score = weight if weight > 0.0 else 0.0
        elif len(chain) == 1 and chain[0][SPAN] != own[SPAN]:   # the usual: one place above
            score = chain[0][WEIGHT] + weight   # _chain_score's sum (weights > 0: both kept)
        else:
            score = _chain_score(chain, own)
        if score < MIN_SCORE:
            continue
        if score > weight + 1e-9 or weight >= MARKED or own[LEVEL] < 3 or weights.alone(ident):
            scores[ident] = score
    return scores


def _chain_score(chain: list[Mention], own: Mention) -> float:
    by_span: dict[int, float] = {}
    for _, _, weight, span in (*chain, own):
        if weight > by_span.get(span, 0.0):
            by_span[span] = weight
    return sum(by_span.values())


def _common_ancestor(above: list[tuple[int, ...]], tied: list[int]) -> int | None:
    """The lowest region the tied ones share (themselves, when one), None if none."""
    if len(tied) <= 1:
        return tied[0] if tied else None
    shared = None
    for ids in zip(*[above[ident] + (ident,) for ident in tied]):
        if len(set(ids)) != 1:
            break
        shared = ids[0]
    return shared


def _described(index: regions.RegionIndex, codes: list[str]) -> list[dict]:
    return [{"code": code, "name": ", ".join(_path(index, code))} for code in codes[:MAX_CANDIDATES]]


def _path(index: regions.RegionIndex, code: str) -> list[str]:
    parts = code.split(".")
    return [index.name(".".join(parts[:size])) for size in range(len(parts), 0, -1)]


def describe(code: str, confidence: float, candidates: list[dict], source: str) -> dict:
    """The region dict of a code: every level's name down to the code's level."""
    return {"code": code, **_names(code), "confidence": rounded(confidence), "candidates": candidates,
            "source": source}


@functools.lru_cache(maxsize=4096)
def rounded(value: float) -> float:
    """``round(value, 2)``, kept per value (``round`` to a number of digits costs about
    0.5 us; a confidence takes few values)."""
    return round(value, 2)


@functools.lru_cache(maxsize=WEIGHTS_CACHE)
def _names(code: str) -> dict:
    """Every level's name down to the code's, and the level (cached: callers copy it)."""
    index = regions.index()
    parts = code.split(".")
    named = {level: index.name(".".join(parts[:size])) if size <= len(parts) else None
             for size, level in enumerate(regions.LEVELS, start=1)}
    return {**named, "level": regions.LEVELS[len(parts) - 1]}
