"""What the speed-ups of the suggestions (issue 11, docs/benchmarks.md) must not change.

The normalizer reads a complaint's words once and hands them to both the region resolver
and the routing (``suggestion.tokens_of``); the per-word and per-name work is kept in
bounded caches. Both must give exactly the answers of the plain reading, on the whole
labelled set, and no cache may grow without bound on a stream of new words.
"""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings, strategies as st

from config.doors import RoutingRule, load_catalogue
from config.settings import load_settings
from normalizer import evaluation, region, regions, routing, scoring, suggestion, weights, words

DATA = Path(__file__).resolve().parents[1] / "data" / "routing"
ENV = {"LAPOR_SECRET_KEY": "k" * 32, "LAPOR_REDIS_URL": "redis://127.0.0.1/0",
       "LAPOR_BROKER_URL": "redis://127.0.0.1/0", "LAPOR_MODE": "production"}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_the_shared_words_are_the_resolvers_own_reading(text):
    assert words.raw_tokens(text) == regions.normal(text).split()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80)
       | st.text(alphabet="aZ9_- .,\u212a\u0130\u00e9", max_size=30))
def test_an_ascii_text_is_cut_into_the_words_the_unicode_pattern_finds(text):
    assert words.raw_tokens(text) == words._TOKEN.findall(text.lower())


def test_shared_words_give_the_same_region_and_routing_on_the_labelled_set():
    rules = load_catalogue(load_settings(ENV)).routing
    records = [r for name in ("tuning", "heldout") for r in evaluation.load(DATA / f"{name}.jsonl")]
    for record in records:
        location, text = record.get("location", ""), record["text"]
        shared = words.raw_tokens(text)
        plain = region.resolve(location, text, record.get("lat"), record.get("lon"))
        assert region.resolve(location, text, record.get("lat"), record.get("lon"), shared) == plain
        assert routing.suggest(text, rules, plain, shared) == routing.suggest(text, rules, plain)
        # the text as the location field: the resolver's own reading of it, then the shared one
        assert region.resolve_text(text, shared) == region.resolve_text(text)


def test_the_normalizers_path_reads_the_same_text_as_the_suggestions():
    text = "LAPOR jalan rusak di Kec. Sangatta Utara, Kutai Timur " + "x " * suggestion.SUGGESTION_CHARS
    tokens = suggestion.tokens_of(text)
    assert tokens == words.raw_tokens(text[:suggestion.SUGGESTION_CHARS])
    assert suggestion.region_of(None, text, tokens) == suggestion.region_of(None, text)
    assert suggestion.region_of(None, text, tokens)[0]["code"] == "64.08.04"


def test_a_pair_of_words_is_joined_only_when_a_longer_one_word_name_begins_with_the_first():
    index = regions.index()
    assert "j" in index.squashed_after("kramat")       # Kramatjati
    assert index.squashed_after("kramatjati") == ""     # the whole name: nothing longer
    assert index.squashed_after("qzxv") == ""
    assert region.resolve_text("kramat jati jaktim")["code"] == "31.75.04"


def test_the_letters_after_a_word_are_those_of_every_longer_one_word_name_it_begins():
    """``squashed_after`` against a plain scan of the names, for prefixes of real names and
    a few words that begin none; a pair is joined only before one of those letters."""
    index = regions.index()
    after: dict[str, set[str]] = {}
    for name in index.squashed:                 # every proper prefix -> the letter after it
        for size in range(1, len(name)):
            after.setdefault(name[:size], set()).add(name[size])
    names = sorted(index.squashed)
    words_tried = {name[:size] for name in names[::37] for size in (1, 2, 4, len(name) - 1, len(name))}
    for word in [*words_tried, "qzxv", "jalan", "sungai"]:
        assert index.squashed_after(word) == "".join(sorted(after.get(word, ()))), word


def test_every_per_word_and_per_name_cache_is_bounded():
    caches = [regions.ordinary, weights.named, weights.weight_of,
              weights.alone, scoring._names, scoring.rounded, routing._confidence]
    for cached in caches:
        assert cached.cache_info().maxsize is not None and cached.cache_info().maxsize <= 50_000
    assert words.CACHE_LIMIT <= 50_000      # words.each_cached: region._readings, words._word_stems


def test_per_word_answers_keep_words_not_numbers_and_are_emptied_when_full(monkeypatch):
    monkeypatch.setattr(words, "CACHE_LIMIT", 3)
    cache: dict[str, tuple] = {}
    assert words.each_cached(cache, ["jalan", "12345", "anak2", "rusak"], words.word_stems) == [
        ("jalan",), ("12345",), ("anak",), ("rusak",)]
    assert cache == {"jalan": ("jalan",), "anak2": ("anak",), "rusak": ("rusak",)}   # not the number
    words.each_cached(cache, ["banjir", "jalan", "2026"], words.word_stems)
    assert cache == {"banjir": ("banjir",), "2026": ("2026",)}       # "banjir" found it full
    region._readings.clear()
    assert region.resolve_text("kramat jati 20261") == region.resolve_text("kramat jati 20261")
    assert set(region._readings) == {"kramat", "jati"}


def _in_order_by_search(stems: list[str], start: int, phrase: tuple[str, ...]) -> bool:
    """The phrase window's rule spelled out with list.index (the reading before issue 11's
    speed-up), to hold the faster one to."""
    position = start
    for part in phrase[1:]:
        try:
            position = stems.index(part, position + 1, start + routing.WINDOW)
        except ValueError:
            return False
    return True


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from("abcd"), max_size=14), st.integers(0, 13),
       st.lists(st.sampled_from("abcd"), min_size=1, max_size=4))
def test_a_phrase_is_found_in_its_window_exactly_as_before(stems, start, phrase):
    start = min(start, max(len(stems) - 1, 0))
    assert routing._in_order(stems, start, tuple(phrase)) == _in_order_by_search(stems, start, tuple(phrase))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["jalan", "rusak", "lubang", "di", "depan"]), max_size=20))
def test_every_keyword_is_found_as_by_the_window_rule_one_phrase_at_a_time(stems):
    """``_matches`` (a stem's window cut once, a two-word phrase by its second word) finds
    what ``_in_order`` finds phrase by phrase."""
    rules = (RoutingRule("infrastruktur", "PU", ("jalan rusak", "jalan lubang", "lubang", "jalan di depan")),
             RoutingRule("lain", "X", ("rusak jalan", "depan", "di depan jalan rusak")))
    compiled = routing._compile(rules)
    expected: dict[str, dict[str, int]] = {}
    for position, stem in enumerate(stems):
        for phrase, topic, keyword in compiled.by_first.get(stem, ()):
            if len(phrase) == 1 or _in_order_by_search(stems, position, phrase):
                expected.setdefault(topic, {})[keyword] = len(phrase)
    assert routing._matches(stems, compiled) == expected


def test_a_long_number_is_read_as_the_index_would_read_it():
    """``region._read``'s shortcut for numbers (``words.UNIQUE_NUMBER`` digits or more) is
    exact: no region's name, continued name or one-word name begins with such a run."""
    index = regions.index()
    names = [*index.keys, *index.continued, *index.squashed]
    assert not [name for name in names if name[:words.UNIQUE_NUMBER].isdigit()
                and len(name) >= words.UNIQUE_NUMBER]
    for number in ("10000", "41207", "081234567890", "9" * 30):
        fixed = region.typos.fix(number)
        assert region._read(number) == (fixed, index.squashed_after(fixed),
                                        fixed in index.keys or fixed in index.continued)
