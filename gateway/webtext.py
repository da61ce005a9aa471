"""The words of the citizen's web pages (form, result, status, errors): Indonesian first,
English with ``?lang=en``. The texts are the ``page`` context of the one catalogue
(``config/messages.py``, ``config/locale``); Flask-Babel picks the request's catalogue
(``init_app``), and templates call ``t(key, **values)`` (``page_text``). Dates and times are
written the Indonesian way, whatever the language.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import flask_babel

from config import messages

WIB = timezone(timedelta(hours=7), "WIB")


def init_app(app, language_of_request) -> None:
    """Flask-Babel on ``app``: the catalogue of ``language_of_request()`` (``id``/``en``)
    for every page of a request."""
    flask_babel.Babel(app, default_locale="id", default_domain=messages.DOMAIN,
                      default_translation_directories=str(messages.locale_dir()),
                      locale_selector=language_of_request)


def page_text(key: str, **values) -> str:
    """The page text ``key`` in the request's language (Flask-Babel's locale for the
    request); an unknown key shows as is."""
    return text_in(str(flask_babel.get_locale() or "id"), key, **values)


def text_in(lang: str, key: str, **values) -> str:
    """The page text ``key`` in ``lang``. Templates get it bound to the page's language, the
    locale Flask-Babel chose (a page has some twenty texts: the locale is asked once)."""
    found = messages.lookup(messages.PAGE, key, lang) or key
    return found.format(**values) if values else found


def known(key: str) -> bool:
    """Whether there is a page text for ``key`` (templates pick a status page's words)."""
    return messages.lookup(messages.PAGE, key) is not None


def date_text(iso: str) -> str:
    """'2026-12-14' -> '14-12-2026'."""
    if not iso:
        return "-"
    year, month, day = iso[:10].split("-")
    return f"{day}-{month}-{year}"


def time_text(iso: str) -> str:
    """An ISO timestamp -> '14-12-2026 10:32 WIB' (Jakarta time)."""
    if not iso:
        return "-"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB")
