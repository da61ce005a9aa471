"""A hostile text costs the region resolver and the routing a bounded amount of work."""
from __future__ import annotations

from normalizer import region, suggestion, typos, words


def test_markers_without_names_get_a_few_fuzzy_looks_not_thousands(monkeypatch):
    looks = []
    real = region.process.extractOne
    monkeypatch.setattr(region.process, "extractOne", lambda *a, **k: looks.append(1) or real(*a, **k))
    found = region.resolve_text("kec qzxvw " * 2000)
    assert found["level"] == "none" and 0 < len(looks) <= region.MAX_FUZZY * 3


def test_a_huge_word_is_neither_stemmed_nor_corrected(monkeypatch):
    word = "samarinda" * 2000
    monkeypatch.setattr(words, "_stemmer", None)
    monkeypatch.setattr(words, "_load", lambda: (_ for _ in ()).throw(AssertionError("stemmer used")))
    assert words.stem(word) == word
    assert typos.fix(word) == word


def test_only_the_start_of_a_long_text_is_read():
    far = "x " * suggestion.SUGGESTION_CHARS + "jalan rusak di Kec. Sangatta Utara, Kutai Timur"
    assert suggestion.region_of(None, far) == (None, [])
    near = "jalan rusak di Kec. Sangatta Utara, Kutai Timur " + "x " * 10_000
    assert suggestion.region_of(None, near)[0]["code"] == "64.08.04"
