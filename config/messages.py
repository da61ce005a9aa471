"""What citizens read: one gettext catalogue, Indonesian first, English available.

Every citizen-facing text lives in ``config/locale/<lang>/LC_MESSAGES/messages.po`` (``id``
and ``en``), compiled to the ``.mo`` beside it (``scripts/compile-texts.sh``; a test keeps
the two equal). A text is named by its key (the ``msgid``) within a context (``msgctxt``):

    reply   SMS and chat replies (acknowledgements, CEK answers, STOP/MULAI, help, ...)
    status  the status labels (``diterima`` -> "diterima gateway" / "received")
    page    the web pages (``gateway.webtext``, through Flask-Babel)
    field   the web form's field errors (``channels.webform_text``)

Placeholders are ``{name}`` (``str.format``). ``text(key, lang, **values)`` fills a reply;
the texts that go out by SMS (``SMS_TEXTS``) fit one GSM-7 SMS with the longest agency
name and status label (``tests/normalizer/test_catalogue.py``). A language other than
``en`` reads Indonesian. The catalogues are read on first use, never at import.
"""
from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from babel.messages.mofile import read_mo

LANGUAGES = ("id", "en")
DOMAIN = "messages"
REPLY, STATUS, PAGE, FIELD = "reply", "status", "page", "field"

# The replies that may go out by SMS: each must fit one GSM-7 SMS.
SMS_TEXTS = ("ack", "ack_related", "ack_duplicate", "ack_followup", "ack_edit", "status", "status_unknown",
             "status_limited", "status_mistyped", "status_missing_number", "status_notice",
             "optout_done", "optin_done", "help", "sms_unavailable")


def locale_dir() -> Path:
    """The folder holding ``<lang>/LC_MESSAGES/messages.{po,mo}`` (Flask-Babel reads it too)."""
    return Path(str(resources.files("config") / "locale"))


def language(lang: str | None) -> str:
    """``en`` for English (``en``, ``en-GB``, ``en_US``...), ``id`` for anything else."""
    if lang in LANGUAGES:      # what the code passes almost always
        return lang
    return "en" if (lang or "").lower().replace("_", "-").split("-")[0] == "en" else "id"


@cache
def catalogue(lang: str) -> dict[tuple[str, str], str]:
    """(context, key) -> text, from the compiled catalogue of ``lang`` (``id`` or ``en``)."""
    with open(locale_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as compiled:
        read = read_mo(compiled)
    return {(message.context or "", message.id): message.string
            for message in read if message.id and message.string}


def lookup(context: str, key: str, lang: str = "id") -> str | None:
    """The text of ``key`` in ``context`` and the citizen's language; None when there is none."""
    return catalogue(language(lang)).get((context, key))


class _Values(dict):
    """Template values; the optional ``where`` part of ``ack`` (" ke 1708", the text
    ``ack_where``) defaults to empty, or to ``where_id``/``where_en`` as callers gave it
    before the catalogue had one placeholder for both languages."""

    def __init__(self, values: dict, lang: str):
        super().__init__(values)
        self.lang = lang

    def __missing__(self, key: str) -> str:
        if key == "where":
            return self.get(f"where_{self.lang}", "")
        raise KeyError(key)


def text(key: str, lang: str = "id", **values) -> str:
    """The reply ``key`` in ``lang``, filled with ``values`` (KeyError for an unknown key)."""
    template = lookup(REPLY, key, lang)
    if template is None:
        raise KeyError(key)
    return template.format_map(_Values(values, language(lang)))


def status_label(status: str, lang: str = "id") -> str:
    """A status in words ("diterima gateway"); an unknown status reads as itself."""
    return lookup(STATUS, status, lang) or status


def format_date(iso_date: str) -> str:
    """2026-12-14 -> 14-12-2026, the order Indonesians write dates."""
    year, month, day = iso_date[:10].split("-")
    return f"{day}-{month}-{year}"
