"""Agency routing: Sastrawi stems, SMS abbreviations, the default agencies, region decides."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.doors import RoutingRule, load_catalogue
from config.settings import load_settings
from normalizer import region, routing

ROOT = Path(__file__).resolve().parents[2]
ENV = {"LAPOR_SECRET_KEY": "k" * 32, "LAPOR_REDIS_URL": "redis://127.0.0.1/0",
       "LAPOR_BROKER_URL": "redis://127.0.0.1/0", "LAPOR_MODE": "production"}


@pytest.fixture(scope="module")
def defaults():
    return load_catalogue(load_settings(ENV)).routing


@pytest.fixture(scope="module")
def kaltim():
    return load_catalogue(load_settings({**ENV, "LAPOR_DOORS_FILE": str(ROOT / "examples/doors-kaltim.json")})).routing


@pytest.mark.parametrize("text, agency", [
    ("LAPOR sklh minta pungutan 500rb", "Dinas Pendidikan"),            # sklh, pungutan -> pungut
    ("jln berlubang dkt pasar", "Dinas PU PERA"),                         # jln, berlubang -> lubang
    ("jalan di depan pasar rusak parah", "Dinas PU PERA"),               # a phrase within its window
    ("pemadaman listrik tiap malam", "PLN"),
    ("air pdam tdk ngalir 3 hari", "PDAM"),
    ("angkot ngetem sembarangan bikin macet", "Dinas Perhubungan"),
    ("ktp el sy blm jadi 6 bln", "Disdukcapil"),
    ("bansos pkh ibu sy tdk cair", "Dinas Sosial"),
    ("pedagang kaki lima tutup trotoar", "Satpol PP"),
    ("rsud suruh pasien beli obat sendiri", "RSUD"),
])
def test_the_defaults_route_after_stemming_and_abbreviations(defaults, text, agency):
    suggestion = routing.suggest(text, defaults)
    assert suggestion["agency"] == agency
    assert 0 < suggestion["confidence"] <= 0.95 and suggestion["why"].startswith("keywords: ")


def test_no_match_goes_to_the_national_admin_with_confidence_0(defaults):
    suggestion = routing.suggest("mohon informasi prosedur pengaduan", defaults)
    assert suggestion == {"agency": routing.NATIONAL_ADMIN, "topic": routing.NO_TOPIC, "region_code": "",
                          "confidence": 0.0, "why": "no routing rule matched; the national admin assigns it",
                          "alternatives": []}


def test_alternatives_name_the_runners_up(defaults):
    suggestion = routing.suggest("jalan rusak berlubang dan lampu jalan mati, rawan kecelakaan", defaults)
    assert suggestion["agency"] == "Dinas PU PERA"
    assert [alt["agency"] for alt in suggestion["alternatives"]] == ["Dinas Perhubungan"]
    assert suggestion["alternatives"][0]["confidence"] < suggestion["confidence"]


@pytest.mark.parametrize("text, agency, region_code", [
    ("jalan rusak di Kec. Samarinda Ulu, Kota Samarinda", "Dinas PUPR Kota Samarinda", "64.72"),
    ("jalan rusak di Kec. Tanah Grogot, Kab. Paser", "Dinas PU PERA Provinsi Kalimantan Timur", "64"),
    ("jalan rusak di Kec. Wonokromo, Kota Surabaya", "Dinas PU PERA", "35.78"),
    ("air pdam mati di Balikpapan Kota", "Perumda Tirta Manuntung Balikpapan", "64.71"),
    ("air pdam mati di Kutai Timur", "PDAM", "64.08"),      # no agency of its own in the file
    ("jalan rusak, tidak tahu di mana", "Dinas PU PERA", ""),
])
def test_the_region_decides_between_a_citys_a_provinces_and_the_default_agency(kaltim, text, agency, region_code):
    suggestion = routing.suggest(text, kaltim, region.resolve(text=text))
    assert (suggestion["agency"], suggestion["region_code"]) == (agency, region_code)


def test_a_rule_of_another_region_never_applies():
    rules = (RoutingRule("air bersih", "PDAM Samarinda", ("pdam",), "64.72"),)
    assert routing.suggest("air pdam mati", rules, region.resolve(text="Kota Surabaya"))["agency"] \
        == routing.NATIONAL_ADMIN


def test_the_kaltim_file_lists_the_seeds_agencies(kaltim):
    agencies = {rule.agency for rule in kaltim if rule.region == "64"}
    for seed in ("Dinas Pendidikan", "Dinas Kesehatan", "Dinas Lingkungan Hidup", "Dinas ESDM",
                 "Dinas Kominfo", "Badan Kepegawaian Daerah", "RSUD Abdoel Wahab Sjahranie",
                 "Dinas PU PERA", "Dinas Kelautan"):
        assert any(name.startswith(seed) for name in agencies), seed


def test_the_defaults_cover_the_issues_agencies(defaults):
    agencies = {rule.agency for rule in defaults}
    assert {"Dinas Pendidikan", "Dinas Kesehatan", "Dinas Lingkungan Hidup", "Dinas Ketenagakerjaan",
            "Dinas PU PERA", "Dinas ESDM", "Dinas Kominfo", "Badan Kepegawaian Daerah", "RSUD",
            "Dinas Perhubungan", "Disdukcapil", "Dinas Sosial", "PDAM", "PLN"} <= agencies
    assert all(rule.keywords for rule in defaults)
    assert json.loads((ROOT / "config/defaults.json").read_text())["routing"][0]["topic"] == "infrastruktur"
