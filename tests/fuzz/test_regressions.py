"""Crashes the fuzz tests found, kept as plain examples through the whole gateway so they
stay fixed whatever the random draw: each request is properly signed (the crash was in
parsing, after verification) and must be answered with a 4xx (or, where the value is
merely odd, taken), never 500.

* Kannel ``charset`` naming something that is not a text encoding (a NUL byte, ``hex``,
  ``base64``, ``rot13``) or a codec that fails with a bare ``UnicodeError`` (``idna``):
  ValueError/LookupError/UnicodeError escaped ``decode_text``.
* Kannel ``coding`` and Twilio ``NumMedia``/``NumSegments`` holding a character that
  ``str.isdigit`` accepts but ``int`` refuses (superscript two, U+00B2).
* A lone surrogate in any JSON body (see docs/security.md, "What happens to the text").
"""
from __future__ import annotations

from urllib.parse import quote

import pytest

from channels.kannel.testing import SECRET as KANNEL_SECRET
from channels.testing import Request
from channels.twilio.testing import TwilioSender
from tests.harness import SENDERS

KANNEL = f"secret={KANNEL_SECRET}&from=081234567890&to=1708&id=fuzz-regression"


def recorded(parts) -> int:
    return len(list(parts.store.redis.scan_iter("lapor:c:*")))


@pytest.mark.parametrize("charset", ["\x00", "hex", "base64", "rot13", "zlib", "uu", "quopri", "bz2"])
def test_kannel_charset_that_is_no_text_encoding_is_400(client, parts, charset):
    query = f"{KANNEL}&text=halo+jalan+rusak&charset={quote(charset)}"
    response = Request("GET", "/in/sms-1708", query=query).send(client)
    assert response.status_code == 400 and response.get_json() == {"error": "unknown charset"}
    assert recorded(parts) == 0


@pytest.mark.parametrize("charset,text", [("idna", b"xn--abc-"), ("punycode", b"\\N{")])
def test_kannel_text_a_codec_refuses_is_400(client, parts, charset, text):
    query = f"{KANNEL}&text={quote(text)}&charset={charset}"
    response = Request("GET", "/in/sms-1708", query=query).send(client)
    assert response.status_code == 400 and response.get_json()["error"].startswith("text is not valid")
    assert recorded(parts) == 0


@pytest.mark.parametrize("coding", ["\u00b2", "\u0663", "99999999999999999999"])
def test_kannel_odd_coding_is_taken_as_unknown(client, parts, coding):
    query = f"{KANNEL}&text=halo+jalan+rusak&charset=UTF-8&coding={quote(coding)}"
    response = Request("GET", "/in/sms-1708", query=query).send(client)
    assert response.status_code == 200 and recorded(parts) == 1


@pytest.mark.parametrize("field", ["NumMedia", "NumSegments"])
@pytest.mark.parametrize("value", ["\u00b2", "\u0663", "1" * 40])
def test_twilio_odd_counts_are_taken(client, parts, field, value):
    pairs = [(k, value if k == field else v) for k, v in TwilioSender().pairs("Jalan rusak parah", 3)]
    response = TwilioSender().signed(pairs).send(client)
    assert response.status_code == 200 and recorded(parts) == 1


@pytest.mark.parametrize("door", ["wa-cloud", "telegram", "twitter"])
def test_lone_surrogate_in_json_is_taken_with_a_replacement_character(client, parts, door):
    response = SENDERS[door].request("Jalan rusak \ud800 parah", 5).send(client)
    assert response.status_code == 200
    [key] = parts.store.redis.scan_iter("lapor:c:*")
    assert parts.store.complaint(key.decode()[len("lapor:c:"):])["body"] == "Jalan rusak \ufffd parah"


# ----- provider answers: headers that str.isdigit accepts but int/float refuse -----------------
@pytest.mark.parametrize("value", ["\u00b2", "\u0663"])
def test_odd_retry_after_and_rate_limit_headers_give_no_delay(value):
    """Retry-After / x-rate-limit-reset from a provider's server: a digit that is not
    ASCII made float()/int() raise ValueError instead of a SendError (so the notifier's
    message was never acknowledged); now it is simply no delay."""
    import requests

    from channels.twilio.client import http_error
    from channels.twitter.client import RateLimit
    from channels.whatsapp.client import graph_error

    answer = requests.Response()
    answer.status_code, answer._content = 503, b"{}"
    answer.headers["Retry-After"] = value
    assert graph_error("send", answer).retry_after is None
    assert http_error("messages.create", 503, value).retry_after is None
    assert RateLimit.from_headers({"x-rate-limit-reset": value}).reset is None
