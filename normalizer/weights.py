"""How much a region's name in a complaint counts, from the word before it (``region``).

After its level's marker (``Prov.``, ``Kab.``/``Kota``, ``Kec.``/``Distrik``,
``Kel.``/``Desa``/``Ds.``) a name weighs ``MARKED``; unmarked, its level's ``UNMARKED``
weight (a city 0.1 more), less when it is an ordinary word (``COMMON``) or several
(``PHRASE``), a third after ``Jl.``/``jalan``; ``region``'s docstring has the whole scheme.
A name's weights depend only on the name and on the context the word before gives (a
marker, ``kota``, a street, nothing), so they are computed once per (name, context) and
kept in bounded caches: a message's mentions are then a look-up each.
"""
from __future__ import annotations

import functools

from normalizer import regions

MARKERS = {"prov": 1, "provinsi": 1, "propinsi": 1, "kab": 2, "kabupaten": 2, "kota": 2,
           "kec": 3, "kecamatan": 3, "distrik": 3, "kel": 4, "kelurahan": 4, "desa": 4, "ds": 4,
           "gampong": 4, "nagari": 4}
STREET = frozenset({"jl", "jln", "jalan"})
UNMARKED = {1: 2.0, 2: 2.0, 3: 1.5, 4: 1.0}
COMMON = {1: 0.6, 2: 0.6, 3: 1 / 3, 4: 1 / 3}   # an unmarked name that is an ordinary word
PHRASE = 0.8                # an unmarked name of several ordinary words ("Duren Sawit")
MARKED = 3.0
CONTEXTS = {1: "prov", 2: "kab", 3: "kec", 4: "kel"}   # a marker's level -> the context it gives
#: The context a word gives the name after it: ``context_of`` but for ``Jl. Raya X``.
CONTEXT_AFTER = {**{marker: "kota" if marker == "kota" else CONTEXTS[level] for marker, level in MARKERS.items()},
                 **dict.fromkeys(STREET, "jl")}
WEIGHTS_CACHE = 50_000      # (name, context) pairs whose weights are kept
LONE_NAME_LENGTH = 6        # an unmarked, unsupported district or village name: at least


def context_of(previous: str, earlier: str) -> str:
    """What the word before a name says of it: its level's marker (``kota`` apart from the
    other regency markers), ``jl`` after a street word (``Jl. Raya X`` too), else ''."""
    marker = MARKERS.get(previous)
    if marker is not None:
        return "kota" if previous == "kota" else CONTEXTS[marker]
    return "jl" if previous in STREET or (previous == "raya" and earlier in STREET) else ""


#: What a name says of its villages: None, or (weight, their ids, their ids by province id
#: when only those in a province the text names count: several villages, no village marker).
Villages = tuple[float, tuple[int, ...], dict[int, list[int]] | None] | None


@functools.lru_cache(maxsize=WEIGHTS_CACHE)
def named(key: str, context: str) -> tuple[tuple[tuple[int, int, float], ...], Villages]:
    """What a key says after a word of ``context``: the (id, level, weight) of each province,
    regency or district it names, and its ``Villages`` (cached, bounded: a name and its
    context are weighed once; a message's names are then a look-up each)."""
    index = regions.index()
    weighed = ((entry.ident, entry.level, weight_of(key, entry.level, entry.city, context))
               for entry in index.upper.get(key, ()))
    upper = tuple(mention for mention in weighed if mention[2] is not None)
    entries = index.villages.get(key)
    weight = weight_of(key, 4, False, context) if entries else None
    if weight is None:
        return upper, None
    if len(entries) > 1 and context != "kel":
        grouped: dict[int, list[int]] = {}
        for entry in entries:
            grouped.setdefault(index.above[entry.ident][0], []).append(entry.ident)
        return upper, (weight, (), grouped)
    return upper, (weight, tuple(entry.ident for entry in entries), None)


@functools.lru_cache(maxsize=WEIGHTS_CACHE)
def weight_of(key: str, level: int, city: bool, context: str) -> float | None:
    """The weight of a mention of a region of ``level`` by ``key`` (None: not a mention)."""
    marker = MARKERS.get(context)
    if marker == level and (level != 2 or city == (context == "kota")):
        return MARKED
    if marker == 2 and level == 2:
        return UNMARKED[2] * 0.5            # "Kab. X" said, this is the city X (or back)
    if len(key) <= 3 and level > 1:
        return None
    value = UNMARKED[level] + (0.1 if city else 0.0)
    if regions.ordinary(key):
        value *= COMMON[level] if " " not in key else PHRASE
    if context == "jl":
        value /= 3
    return value


@functools.lru_cache(maxsize=WEIGHTS_CACHE)
def alone(ident: int) -> bool:
    """A district or village (its id) named alone and unmarked counts only when its name is
    long and no other region of its level or above has it (cached per region)."""
    index = regions.index()
    code = index.code_of[ident]
    key = index.key_of[code]
    level = code.count(".") + 1
    rivals = [entry for entry in index.keys.get(key, ()) if entry.level <= level and entry.code != code]
    return len(key) >= LONE_NAME_LENGTH and not rivals
