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

from rapidfuzz import fuzz, process

from normalizer import centroids, regions, scoring, typos, weights, words
from normalizer.scoring import IDENT, LEVEL, WEIGHT, Mention, describe, empty
from normalizer.weights import MARKERS

FUZZY_WEIGHT, FUZZY_CUTOFF = 2.5, 85
MAX_FUZZY = 3               # markers per text whose name is looked for with rapidfuzz


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
    read = words.each_cached(_readings, words.raw_tokens(text) if tokens is None else tokens, _read)
    tokens = [reading[0] for reading in read]
    mentions = _mentions(index, tokens, read)
    mentions += _fuzzy(index, tokens, mentions)
    return scoring.decide(index, mentions, source)


_readings: dict[str, tuple[str, str, bool]] = {}     # word -> _read(word), bounded (words.each_cached)


def _read(word: str) -> tuple[str, str, bool]:
    """A word as the resolver reads it (kept per word): typo-corrected; the letters that
    follow it in the longer one-word names that begin with it (only before a word beginning
    with one is it joined with the next: ``kramat jati``); whether a name is it or begins
    with it (only there does a look for names start). A number of
    ``words.UNIQUE_NUMBER`` digits or more (an amount, a phone number: not kept, so read
    again in every message) is its own reading: no name is or begins with one (a test holds
    it over the index)."""
    if word.isdigit() and len(word) >= words.UNIQUE_NUMBER:
        return word, "", False
    fixed = typos.fix(word)
    index = regions.index()
    return fixed, index.squashed_after(fixed), fixed in index.keys or fixed in index.continued


def _mentions(index: regions.RegionIndex, tokens: list[str], read: list[tuple[str, str, bool]]) -> list[Mention]:
    """Every region named in the tokens (``read``: each token's ``_read``); a mention's span
    is the position of the word its name begins at."""
    matches = index.names_in(tokens, [position for position, reading in enumerate(read) if reading[2]])
    pairs = _pairs(index, tokens, read)
    if not matches and not pairs:
        return []                           # no region's name in the text: nothing to weigh
    found: list[Mention] = []
    villages = []
    named, after = weights.named, weights.CONTEXT_AFTER
    inside = _inside(matches) if len(matches) > 1 else ()
    for end, start, key in matches:
        if inside and (start, end) in inside:
            continue                        # "muara" inside "muara wahau": the longer name
        context = after.get(tokens[start - 1], "") if start else ""     # weights.context_of, inline
        if context == "" and start > 1 and tokens[start - 1] == "raya" and tokens[start - 2] in weights.STREET:
            context = "jl"                  # "Jl. Raya X"
        upper, named_villages = named(key, context)
        found += [mention + (start,) for mention in upper]
        if named_villages:
            villages.append((named_villages, start))
    for position, key in pairs:
        if not regions.ordinary(key):
            upper, named_villages = named(key, after.get(tokens[position - 1], "") if position else "")
            found += [mention + (position,) for mention in upper]
            if named_villages:
                villages.append((named_villages, position))
    if villages:
        province_of = index.province_of
        found += _village_mentions(villages, {province_of[mention[IDENT]] for mention in found})
    return found


def _pairs(index: regions.RegionIndex, tokens: list[str], read: list[tuple[str, str, bool]]) -> list[tuple[int, str]]:
    """(position, key) of each pair of words that is a one-word name written in two (``kramat
    jati``: Kramatjati, a name of 7 letters or more), looked up only where a longer one-word
    name begins with the first word and goes on with the second's first letter."""
    joined = [position for position in range(len(tokens) - 1) if read[position][1]]
    if not joined:
        return []
    squashed = index.squashed
    return [(position, key) for position in joined if tokens[position + 1][0] in read[position][1]
            and (key := squashed.get(tokens[position] + tokens[position + 1]))]


def _inside(matches: list[tuple[int, int, str]]) -> set[tuple[int, int]]:
    """The (start, end) of the names inside a longer name not made of ordinary words (a name
    of one word holds no other: only longer ones are looked at)."""
    covers = [(s, e) for e, s, k in matches if e - s > 1 and not regions.ordinary(k)]
    return {(start, end) for end, start, _ in matches for s, e in covers
            if s <= start and end <= e and (s, e) != (start, end)} if covers else set()


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
