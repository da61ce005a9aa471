"""The one catalogue of citizen texts (config/locale): complete in both languages, compiled,
and every SMS text within one GSM-7 SMS."""
from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from channels.gsm7 import SINGLE_SMS_SEPTETS, is_gsm7, septets
from config import messages
from normalizer import tracking

ROOT = Path(__file__).resolve().parents[2]
STATUSES = ("diterima", "diteruskan", "verifikasi", "disposisi", "proses", "selesai", "ditolak")


def po(lang: str):
    with open(messages.locale_dir() / lang / "LC_MESSAGES" / "messages.po", "rb") as source:
        return read_po(source, locale=lang)


def entries(catalog) -> dict[tuple[str, str], str]:
    return {(m.context or "", m.id): m.string for m in catalog if m.id}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_text_exists_in_both_languages_with_the_same_placeholders():
    indonesian, english = entries(po("id")), entries(po("en"))
    assert set(indonesian) == set(english), set(indonesian) ^ set(english)
    for key, text in indonesian.items():
        assert text and english[key], f"{key}: empty"
        assert placeholders(text) == placeholders(english[key]), key


def test_no_text_is_fuzzy_or_obsolete():
    for lang in messages.LANGUAGES:
        catalog = po(lang)
        assert not catalog.obsolete, lang
        assert [m.id for m in catalog if m.id and m.fuzzy] == [], lang


@pytest.mark.parametrize("lang", messages.LANGUAGES)
def test_compiled_catalogue_is_current(lang):
    """The .mo the gateway reads says what the .po says (run scripts/compile-texts.sh)."""
    with open(messages.locale_dir() / lang / "LC_MESSAGES" / "messages.mo", "rb") as compiled:
        assert entries(read_mo(compiled)) == entries(po(lang))


def test_every_reply_the_code_names_exists():
    """The keys called by name in the code (the rest are checked by the channel tests)."""
    for key in messages.SMS_TEXTS + ("ack_where", "not_assigned", "ack_public", "update_public",
                                     "colour_green", "colour_yellow", "colour_red",
                                     "twitter_where_url", "twitter_where_cek",
                                     "dm_refused_public", "whatsapp_status_template"):
        for lang in messages.LANGUAGES:
            assert messages.lookup(messages.REPLY, key, lang), (key, lang)
    for status in STATUSES:
        assert messages.status_label(status, "id") != messages.status_label(status, "en")


def agencies() -> set[str]:
    """Every agency named in the default doors and the doors files in the repository."""
    found = set()
    for path in [ROOT / "config" / "defaults.json", *ROOT.glob("tests/**/*doors*.json")]:
        data = json.loads(path.read_text(encoding="utf-8"))
        for entry in data.get("doors", []) + data.get("routing", []):
            if entry.get("agency"):
                found.add(entry["agency"])
    return found


def worst_values(lang: str, agency: str) -> dict:
    """The longest value each placeholder of an SMS text can take (see gateway/intake.py:
    the number a citizen typed is shown up to 20 digits, the agency up to 40 characters)."""
    number = "27410935882"
    short_code = max((door.get("options", {}).get("short_code", "") for door in json.loads(
        (ROOT / "config" / "defaults.json").read_text())["doors"]), key=len)
    return {"tracking": tracking.display(number), "compact": number, "due": "14-12-2026",
            "where": messages.text("ack_where", lang, short_code=short_code),
            "status": max((messages.status_label(s, lang) for s in STATUSES), key=len),
            "agency": agency[:40], "number": "9" * 20,
            "colour": max((messages.text(f"colour_{c}", lang) for c in ("green", "yellow", "red")),
                          key=len)}


@pytest.mark.parametrize("lang", messages.LANGUAGES)
@pytest.mark.parametrize("key", messages.SMS_TEXTS)
def test_every_sms_text_fits_one_gsm7_sms(key, lang):
    longest = max(agencies(), key=len)
    assert len(longest) > 20            # the files were read
    for agency in (longest, "W" * 40):  # the longest known; any agency the status can name
        sms = messages.text(key, lang, **worst_values(lang, agency))
        assert is_gsm7(sms), sms
        assert septets(sms) <= SINGLE_SMS_SEPTETS, (septets(sms), sms)
