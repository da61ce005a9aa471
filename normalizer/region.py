"""Where a complaint is: its location resolved to Kemendagri region codes (a suggestion).

``resolve(location_text, text, latitude, longitude)`` tries the sources in order: the
location field, then the complaint's own text, then the coordinates (nearest village
centroid, ``centroids.nearest_village``). The first source that names a region wins.

Reading a text: its words are normalized (lower case, punctuation out), misspelled words
close to a region's name corrected (``typos``), and every region name in it is found by
dictionary look-ups from the words that begin one (``RegionIndex.names_in``). Each mention is weighed
(``weights``: once per name and the word before it):

- after its level's marker (``Prov.``, ``Kab.``/``Kota``, ``Kec.``/``Distrik``,
  ``Kel.``/``Desa``/``Ds.``): 3; ``Kota X`` is the city, ``Kab. X`` the regency;
- unmarked: a province or regency 2 (a name shared by a city and a regency: the city, by
  0.1), a district 1.5, a village 1; a one-word name that is an ordinary word (``Baru``,
  ``Medan``, ``Tumpukan``) counts 0.6 (province, regency) or a third (district, village), a
  name of several ordinary words (``Duren Sawit``) 0.8; right after ``Jl.``/``jalan`` a
  third again (a street named after a place is not the place);
- a name after a marker that is not found exactly: the nearest name of that level within
  the region found so far (rapidfuzz ratio >= 85), weighed 2.5 x its ratio.

A region's score is its own weight plus that of every mentioned region above it, each
place in the text counted once (``Kec. Sangatta Utara, Kutai Timur`` supports 64.08.04
twice; ``Kediri`` names a district and a village of it, which count once). The best score
wins; a region tied with one above it added nothing and is not chosen; when several
regions tie (``Desa Sukamaju`` names 65 villages), the answer stops at the lowest level they
share and lists them as ``candidates``. A district or village named alone and unmarked is
taken only when its name is long and no other region of its level or above has it; a
village name that names many villages is only looked at in a province the text names.

Output (``location.region`` of the complaint)::

    {"code": "64.08.04", "province": "Kalimantan Timur", "regency": "Kabupaten Kutai Timur",
     "district": "Sangatta Utara", "village": null, "level": "district", "confidence": 0.9,
     "candidates": [], "source": "text"}
"""
from __future__ import annotations

import functools
from rapidfuzz import fuzz, process

from normalizer import centroids, regions, typos, weights
from normalizer.weights import MARKED, MARKERS, WEIGHTS_CACHE

FUZZY_WEIGHT, FUZZY_CUTOFF = 2.5, 85
MIN_SCORE = 1.0
MAX_CANDIDATES = 5
MAX_FUZZY = 3               # markers per text whose name is looked for with rapidfuzz


#: A region named in the text: (id, level, weight, span): its id (``RegionIndex.ids``: ints
#: in code order, converted back to codes only for the answer), level, weight, and where (the
#: offset of its name: one name supports one level of a chain). Plain tuples, read by
#: position (``IDENT`` ... ``SPAN``): a message makes a few dozen of them.
Mention = tuple[int, int, float, int]
IDENT, LEVEL, WEIGHT, SPAN = range(4)


def empty(source: str = "") -> dict:
    return {"code": "", "province": None, "regency": None, "district": None, "village": None,
            "level": "none", "confidence": 0.0, "candidates": [], "source": source}


def resolve(location_text: str = "", text: str = "", latitude: float | None = None,
            longitude: float | None = None, text_tokens: list[str] | None = None) -> dict:
    """The region of a complaint (``empty()`` when no source names one); ``text_tokens``:
    the text's ``words.raw_tokens`` when the caller has them already."""
    for source, value, tokens in (("location", location_text, None), ("text", text, text_tokens)):
        if value and value.strip():
            found = _resolve_text(value, tokens, source)
            if found["level"] != "none" or found["candidates"]:
                return found
    if latitude is not None and longitude is not None:
        return from_coordinates(latitude, longitude)
    return empty()


def from_coordinates(latitude: float, longitude: float) -> dict:
    nearest = centroids.nearest_village(latitude, longitude)
    if nearest is None:
        return empty()
    code, km = nearest
    return describe(code, 0.7 if km < 3 else 0.5, [], "coordinates")


def resolve_text(text: str, tokens: list[str] | None = None) -> dict:
    """The region a text names (``source`` ''); ``tokens``: its ``words.raw_tokens``, if at hand."""
    return _resolve_text(text, tokens, "")


def _resolve_text(text: str, tokens: list[str] | None, source: str) -> dict:
    """``resolve_text``, the answer made once with its ``source``."""
    index = regions.index()
    typos.ensure()
    read = [_read(token) for token in (regions.normal(text).split() if tokens is None else tokens)]
    tokens = [fixed for fixed, _, _ in read]
    mentions = _mentions(index, tokens, read)
    mentions += _fuzzy(index, tokens, mentions)
    return _decide(index, mentions, source)


@functools.lru_cache(maxsize=typos.CACHE_LIMIT)
def _read(word: str) -> tuple[str, bool, bool]:
    """A word as the resolver reads it (cached, bounded): typo-corrected; whether a one-word
    name begins with it (only then is it joined with the next: ``kramat jati``); whether a
    name is it or begins with it (only there does a look for names start)."""
    fixed = typos.fix(word)
    index = regions.index()
    return fixed, index.begins_squashed(fixed), fixed in index.keys or fixed in index.continued


def _mentions(index: regions.RegionIndex, tokens: list[str], read: list[tuple[str, bool, bool]]) -> list[Mention]:
    """Every region named in the tokens (``read``: each token's ``_read``); a mention's span
    is the position of the word its name begins at."""
    matches = index.names_in(tokens, [position for position, (_, _, begins) in enumerate(read) if begins])
    squashed = index.squashed              # "kramat jati": Kramatjati (a name of 7 letters or more)
    pairs = [(position, key) for position, (_, joined, _) in enumerate(read[:-1])
             if joined and (key := squashed.get(tokens[position] + tokens[position + 1]))]
    if not matches and not pairs:
        return []                           # no region's name in the text: nothing to weigh
    found: list[Mention] = []
    villages = []
    covers = [(s, e) for e, s, k in matches if not regions.ordinary(k)] if len(matches) > 1 else []
    inside = {(start, end) for end, start, _ in matches for s, e in covers
              if s <= start and end <= e and (s, e) != (start, end)}
    for end, start, key in matches:
        if inside and (start, end) in inside:
            continue                        # "muara" inside "muara wahau": the longer name
        context = weights.context_of(tokens[start - 1] if start > 0 else "",
                                     tokens[start - 2] if start > 1 else "")
        upper, named_villages = weights.named(key, context)
        found += [mention + (start,) for mention in upper]
        if named_villages:
            villages.append((named_villages, start))
    for position, key in pairs:
        if not regions.ordinary(key):
            upper, named_villages = weights.named(key, weights.context_of(tokens[position - 1] if position else "", ""))
            found += [mention + (position,) for mention in upper]
            if named_villages:
                villages.append((named_villages, position))
    if villages:
        above = index.above                 # a province's own id, or the first of its ancestors'
        found += _village_mentions(villages, {(above[mention[IDENT]] or mention)[0] for mention in found})
    return found


def _village_mentions(villages: list[tuple[weights.Villages, int]], provinces: set[int]) -> list[Mention]:
    """The villages each name (``weights.named``) may mean: all after a village marker or
    when the name names one; else only those in a province the text mentions (a village
    name alone that names many villages says nothing; ``Baru`` names hundreds)."""
    found: list[Mention] = []
    for (weight, ids, grouped), start in villages:
        if grouped is not None:
            ids = [ident for province in provinces for ident in grouped.get(province, ())]
        found += [(ident, 4, weight, start) for ident in ids]
    return found


def _fuzzy(index: regions.RegionIndex, tokens: list[str], exact: list[Mention]) -> list[Mention]:
    """Names after a marker that matched nothing exactly: the closest name of that level
    inside the region the exact mentions point to."""
    found: list[Mention] = []
    tries = 0
    if MARKERS.keys().isdisjoint(tokens):
        return found                        # no marker: nothing to look for
    for position, token in enumerate(tokens):
        level = MARKERS.get(token)
        if level is None or level == 1 or any(m[LEVEL] == level for m in exact):
            continue
        tries += 1
        if tries > MAX_FUZZY:               # "kec kec kec ...": a few looks, not thousands
            break
        scope = _scope(index, exact, level)
        if level == 4 and not scope:
            continue
        following = tokens[position + 1:position + 4]
        if not following or regions.ordinary(following[0]):
            continue
        choices = index.keys_under(scope, level)
        best = _closest(" ".join(following), choices)
        if best is not None:
            key, score = best
            ids = index.ids
            found += [(ids[code], level, FUZZY_WEIGHT * score / 100, 10_000 + position) for code in choices[key]]
    return found


def _scope(index: regions.RegionIndex, exact: list[Mention], level: int) -> str:
    """The code of the best exact region above ``level``, or ''."""
    above = [m for m in exact if m[LEVEL] < level]
    if not above:
        return ""
    return index.code_of[max(above, key=lambda m: (m[WEIGHT], m[LEVEL]))[IDENT]]


def _closest(query: str, choices: dict[str, list[str]]) -> tuple[str, float] | None:
    """The key nearest a prefix of ``query`` (one, two or three words). A prefix of digits
    alone (``kecamatan 10002``) is not compared: no name has digits and spaces enough to come
    within the cutoff of one (at most 67; a test holds it), and a look through 7,000 names
    costs about 0.7 ms."""
    best = None
    parts = query.split()
    for size in range(1, len(parts) + 1):
        if "".join(parts[:size]).isdigit():
            continue
        candidate = process.extractOne(" ".join(parts[:size]), choices.keys(), scorer=fuzz.ratio,
                                       score_cutoff=FUZZY_CUTOFF)
        if candidate and (best is None or candidate[1] > best[1]):
            best = (candidate[0], candidate[1])
    return best


def _decide(index: regions.RegionIndex, mentions: list[Mention], source: str) -> dict:
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
    tied = sorted(ident for ident, score in scores.items() if best - score < 1e-9)   # in code order
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
        chain = [mention for mention in map(support.get, above[ident]) if mention is not None]
        if not chain:
            score = max(weight, 0.0)
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
