"""Misspelled region names, corrected word by word before the names are looked for.

``Sangata`` for ``Sangatta``, ``Samarinde`` for ``Samarinda``, ``Balikpapn``: one letter
dropped, added, swapped or changed. The words of every province, regency and district name
(about 9,000) are indexed by their one-letter deletions (the symmetric-delete scheme of
SymSpell): a text word of six letters or more that is neither an ordinary Indonesian word
nor a name word is looked up by its own deletions, and replaced when exactly one name word
lies within one edit of it (rapidfuzz's Damerau-Levenshtein distance). Village names are
left out: 83,000 of them would turn too many ordinary misspellings into villages. Each
word's answer is cached (bounded), so a repeated word costs one dictionary look-up.
"""
from __future__ import annotations

import threading

from rapidfuzz.distance import DamerauLevenshtein

from normalizer import regions, words

MIN_LENGTH = 6
CACHE_LIMIT = 50_000

_lock = threading.Lock()
_deletions: dict[str, tuple[str, ...]] | None = None
_vocabulary: frozenset[str] = frozenset()
_answers: dict[str, str] = {}


def _variants(word: str) -> set[str]:
    return {word[:cut] + word[cut + 1:] for cut in range(len(word))}


def _build() -> None:
    global _deletions, _vocabulary
    index = regions.index()
    vocabulary = {part for key, entries in index.keys.items() if any(e.level < 4 for e in entries)
                  for part in key.split()}
    table: dict[str, set[str]] = {}
    for word in vocabulary:
        if len(word) >= MIN_LENGTH - 1:
            for variant in _variants(word) | {word}:
                table.setdefault(variant, set()).add(word)
    _vocabulary = frozenset(vocabulary) | frozenset(part for key in index.keys for part in key.split())
    _deletions = {variant: tuple(sorted(found)) for variant, found in table.items()}


def ensure() -> None:
    """Build the typo index now if it is not built yet (once per process)."""
    if _deletions is None:
        with _lock:
            if _deletions is None:
                _build()


def fix(word: str) -> str:
    """``word``, or the one region-name word within one edit of it."""
    answer = _answers.get(word)
    if answer is not None:
        return answer
    if not (MIN_LENGTH <= len(word) <= words.LONGEST_WORD and word.isalpha()):
        return word                     # a number, a short word: its own answer, not kept
    answer = word
    if word not in _vocabulary and not words.is_root_word(word) and not words.is_root_word(words.stem(word)):
        near = set()
        for variant in _variants(word) | {word}:
            near.update(_deletions.get(variant, ()))
        near = {name for name in near if DamerauLevenshtein.distance(word, name) <= 1}
        if len(near) == 1:
            answer = near.pop()
    if len(_answers) >= CACHE_LIMIT:
        _answers.clear()
    _answers[word] = answer
    return answer


def correct(tokens: list[str]) -> list[str]:
    """The tokens with misspelled region-name words corrected."""
    ensure()
    answers = _answers                      # a known word: one look-up, no call
    return [answers.get(token) or fix(token) for token in tokens]
