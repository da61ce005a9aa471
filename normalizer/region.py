"""Where a complaint is: its location resolved to Kemendagri region codes (a suggestion).

``resolve(location_text, text, latitude, longitude)`` tries the sources in order: the
location field, then the complaint's own text, then the coordinates (nearest village
centroid, ``regions.nearest_village``). The first source that names a region wins.

Reading a text: its words are normalized (lower case, punctuation out), misspelled words
close to a region's name corrected (``typos``), and one Aho-Corasick pass finds every region
name in it. Each mention is weighed:

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

from typing import NamedTuple

from rapidfuzz import fuzz, process

from normalizer import regions, typos

MARKERS = {"prov": 1, "provinsi": 1, "propinsi": 1, "kab": 2, "kabupaten": 2, "kota": 2,
           "kec": 3, "kecamatan": 3, "distrik": 3, "kel": 4, "kelurahan": 4, "desa": 4, "ds": 4,
           "gampong": 4, "nagari": 4}
STREET = frozenset({"jl", "jln", "jalan"})
UNMARKED = {1: 2.0, 2: 2.0, 3: 1.5, 4: 1.0}
COMMON = {1: 0.6, 2: 0.6, 3: 1 / 3, 4: 1 / 3}   # an unmarked name that is an ordinary word
PHRASE = 0.8                # an unmarked name of several ordinary words ("Duren Sawit")
MARKED, FUZZY_WEIGHT, FUZZY_CUTOFF = 3.0, 2.5, 85
MIN_SCORE = 1.0
LONE_NAME_LENGTH = 6        # an unmarked, unsupported district or village name: at least
MAX_CANDIDATES = 5
MAX_FUZZY = 3               # markers per text whose name is looked for with rapidfuzz
PREFIXES = (2, 5, 8, 13)    # the lengths of a province's, regency's, district's, village's code


class Mention(NamedTuple):
    """A region named in the text: its code, level, weight, and where (one name supports
    one level of a chain)."""
    code: str
    level: int
    weight: float
    span: int = -1


def empty(source: str = "") -> dict:
    return {"code": "", "province": None, "regency": None, "district": None, "village": None,
            "level": "none", "confidence": 0.0, "candidates": [], "source": source}


def resolve(location_text: str = "", text: str = "", latitude: float | None = None,
            longitude: float | None = None) -> dict:
    """The region of a complaint (``empty()`` when no source names one)."""
    for source, value in (("location", location_text), ("text", text)):
        if value and value.strip():
            found = resolve_text(value)
            if found["level"] != "none" or found["candidates"]:
                return {**found, "source": source}
    if latitude is not None and longitude is not None:
        return from_coordinates(latitude, longitude)
    return empty()


def from_coordinates(latitude: float, longitude: float) -> dict:
    nearest = regions.nearest_village(latitude, longitude)
    if nearest is None:
        return empty()
    code, km = nearest
    return describe(code, 0.7 if km < 3 else 0.5, [], "coordinates")


def resolve_text(text: str) -> dict:
    index = regions.index()
    tokens = typos.correct(regions.normal(text).split())
    mentions = _mentions(index, tokens)
    mentions += _fuzzy(index, tokens, mentions)
    return _decide(index, mentions)


def _mentions(index: regions.RegionIndex, tokens: list[str]) -> list[Mention]:
    padded = " " + " ".join(tokens) + " "
    starts, offset = {}, 0                  # the space before each token in ``padded`` -> its index
    for position, token in enumerate(tokens):
        starts[offset] = position
        offset += len(token) + 1
    matches = [(end - len(key) - 1, end, key) for end, key in index.automaton.iter(padded)]
    found: list[Mention] = []
    villages = []
    covers = [(s, e) for s, e, k in matches if not regions.ordinary(k)] if len(matches) > 1 else []
    for start, end, key in matches:
        if covers and any(s <= start and end <= e and (s, e) != (start, end) for s, e in covers):
            continue                        # "muara" inside "muara wahau": the longer name
        position = starts[start]
        context = (tokens[position - 1] if position > 0 else "",
                   tokens[position - 2] if position > 1 else "", start)
        found += _weigh(key, index.upper.get(key, ()), *context)
        villages.append((key, context))
    for position, (first, second) in enumerate(zip(tokens, tokens[1:])):
        key = index.squashed.get(first + second)
        if key and not regions.ordinary(key):
            context = (tokens[position - 1] if position else "", "", next(
                offset for offset, place in starts.items() if place == position))
            found += _weigh(key, index.upper.get(key, ()), *context)
            villages.append((key, context))
    provinces = {mention.code[:2] for mention in found}
    for key, context in villages:
        found += _weigh(key, _village_entries(index, key, context[0], provinces), *context)
    return found


def _village_entries(index: regions.RegionIndex, key: str, previous: str, provinces: set[str]):
    """The villages a key may mean: all after a village marker or when it names one; else
    only those in a province the text mentions (a village name alone that names many
    villages says nothing; ``Baru`` names hundreds)."""
    entries = index.villages.get(key, ())
    if len(entries) <= 1 or MARKERS.get(previous) == 4:
        return entries
    grouped = index.villages_by_province(key)
    return [entry for province in provinces for entry in grouped.get(province, ())]


def _weigh(key: str, entries, previous: str, earlier: str, span: int) -> list[Mention]:
    marker = MARKERS.get(previous)
    street = previous in STREET or (previous == "raya" and earlier in STREET)
    ordinary = regions.ordinary(key)
    mentions = []
    for entry in entries:
        if marker == entry.level and (entry.level != 2 or entry.city == (previous == "kota")):
            weight = MARKED
        elif marker == 2 and entry.level == 2:
            weight = UNMARKED[2] * 0.5          # "Kab. X" said, this is the city X (or back)
        else:
            weight = UNMARKED[entry.level] + (0.1 if entry.city else 0.0)
            if ordinary:
                weight *= COMMON[entry.level] if " " not in key else PHRASE
            if street:
                weight /= 3
            if len(key) <= 3 and entry.level > 1:
                continue
        mentions.append(Mention(entry.code, entry.level, weight, span))
    return mentions


def _fuzzy(index: regions.RegionIndex, tokens: list[str], exact: list[Mention]) -> list[Mention]:
    """Names after a marker that matched nothing exactly: the closest name of that level
    inside the region the exact mentions point to."""
    found: list[Mention] = []
    tries = 0
    for position, token in enumerate(tokens):
        level = MARKERS.get(token)
        if level is None or level == 1 or any(m.level == level for m in exact):
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
            found += [Mention(code, level, FUZZY_WEIGHT * score / 100, 10_000 + position)
                      for code in choices[key]]
    return found


def _scope(index: regions.RegionIndex, exact: list[Mention], level: int) -> str:
    """The code of the best exact region above ``level``, or ''."""
    above = [m for m in exact if m.level < level]
    if not above:
        return ""
    return max(above, key=lambda m: (m.weight, m.level)).code


def _closest(query: str, choices: dict[str, list[str]]) -> tuple[str, float] | None:
    """The key nearest a prefix of ``query`` (one, two or three words)."""
    best = None
    parts = query.split()
    for size in range(1, len(parts) + 1):
        candidate = process.extractOne(" ".join(parts[:size]), choices.keys(), scorer=fuzz.ratio,
                                       score_cutoff=FUZZY_CUTOFF)
        if candidate and (best is None or candidate[1] > best[1]):
            best = (candidate[0], candidate[1])
    return best


def _decide(index: regions.RegionIndex, mentions: list[Mention]) -> dict:
    support: dict[str, Mention] = {}
    for mention in mentions:
        if mention.code not in support or mention.weight > support[mention.code].weight:
            support[mention.code] = mention
    scores = {code: _score(code, support) for code in support}
    scores = {code: score for code, score in scores.items()
              if score >= MIN_SCORE and _credible(index, code, score, support)}
    if not scores:
        return empty()
    best = max(scores.values())
    tied = sorted(code for code, score in scores.items() if best - score < 1e-9)
    # a region tied with one above it added nothing of its own (the village "Sangatta Utara"
    # of the district named in the text): the one above is what the text says
    tied = [code for code in tied if not any(code.startswith(other + ".") for other in tied)]
    shared = _common_prefix(tied)
    confidence = min(0.95, 0.3 + 0.12 * best) * (1.0 if len(tied) == 1 else 0.5)
    candidates = [] if len(tied) == 1 else tied
    if not shared:
        return {**empty(), "candidates": _described(index, candidates)}
    return describe(shared, confidence, _described(index, candidates), "")


def _score(code: str, support: dict[str, Mention]) -> float:
    """The weight of the code's own mention plus its ancestors', one level per place in the
    text (``Kediri`` names a district and a village of it: it counts once)."""
    by_span: dict[int, float] = {}
    for size in PREFIXES:
        mention = support.get(code[:size])
        if mention is not None and mention.weight > by_span.get(mention.span, 0.0):
            by_span[mention.span] = mention.weight
        if size >= len(code):
            break
    return sum(by_span.values())


def _credible(index: regions.RegionIndex, code: str, score: float, support: dict[str, Mention]) -> bool:
    """A district or village found only by its own unmarked name is credible when that name
    is long and no other region of its level or above has it (``Singosari``: one district,
    and villages, which weigh less)."""
    own = support[code].weight
    if score > own + 1e-9 or own >= MARKED or code.count(".") < 2:
        return True
    key = index.key_of[code]
    level = code.count(".") + 1
    rivals = [entry for entry in index.keys.get(key, ()) if entry.level <= level and entry.code != code]
    return len(key) >= LONE_NAME_LENGTH and not rivals


def _common_prefix(codes: list[str]) -> str:
    if not codes:
        return ""
    split = [code.split(".") for code in codes]
    shared = []
    for parts in zip(*split):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    return ".".join(shared)


def _described(index: regions.RegionIndex, codes: list[str]) -> list[dict]:
    return [{"code": code, "name": ", ".join(_path(index, code))} for code in codes[:MAX_CANDIDATES]]


def _path(index: regions.RegionIndex, code: str) -> list[str]:
    parts = code.split(".")
    return [index.name(".".join(parts[:size])) for size in range(len(parts), 0, -1)]


def describe(code: str, confidence: float, candidates: list[dict], source: str) -> dict:
    """The region dict of a code: every level's name down to the code's level."""
    index = regions.index()
    parts = code.split(".")
    named = {level: index.name(".".join(parts[:size])) if size <= len(parts) else None
             for size, level in enumerate(regions.LEVELS, start=1)}
    return {"code": code, **named, "level": regions.LEVELS[len(parts) - 1],
            "confidence": round(confidence, 2), "candidates": candidates, "source": source}
