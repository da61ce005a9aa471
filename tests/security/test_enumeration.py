"""Tracking numbers cannot be enumerated: status look-ups are limited per client address
(``GET /api/v1/complaints/<n>``, ``/lapor/cek``) and per reporter (CEK by SMS or chat), with
the default ``LAPOR_RATE_LIMIT_LOOKUP`` (30/minute;300/hour;1000/day).

The attack (issue 8, item 12): 1,500 guesses at 557 a second met no limit. Now the 31st
guess in a minute is answered 429 with Retry-After (an SMS or chat CEK gets "try later"
instead: providers are never refused), and someone else is not affected.
"""
from __future__ import annotations

import time

from config import messages
from normalizer import tracking
from channels.kannel.testing import SECRET as KANNEL_SECRET

GUESSES = 1500
DEFAULT_PER_MINUTE = 30


def guesses(count: int, start: int = 1_000_000_000):
    for n in range(start, start + count):
        digits = str(n)
        yield digits + tracking.check_digit(digits)


def test_1500_guesses_at_the_api_meet_the_limit(client, record_property):
    started = time.monotonic()
    statuses = [client.get(f"/api/v1/complaints/{number}",
                           environ_base={"REMOTE_ADDR": "203.0.113.50"}).status_code
                for number in guesses(GUESSES)]
    rate = GUESSES / (time.monotonic() - started)
    record_property("guesses_per_second", round(rate))
    print(f"\n{GUESSES} guesses at {rate:.0f}/s: {statuses.count(404)} answered, "
          f"{statuses.count(429)} refused")
    assert statuses[:DEFAULT_PER_MINUTE] == [404] * DEFAULT_PER_MINUTE
    assert set(statuses[DEFAULT_PER_MINUTE:]) == {429}
    refused = client.get("/api/v1/complaints/27410935882", environ_base={"REMOTE_ADDR": "203.0.113.50"})
    assert refused.get_json() == {"error": "too many requests"} and int(refused.headers["Retry-After"]) > 0
    other = client.get("/api/v1/complaints/27410935882", environ_base={"REMOTE_ADDR": "203.0.113.51"})
    assert other.status_code in (400, 404)


def test_the_status_page_is_limited_too(client):
    statuses = [client.get("/lapor/cek", query_string={"nomor": number},
                           environ_base={"REMOTE_ADDR": "198.51.100.50"}).status_code
                for number in guesses(DEFAULT_PER_MINUTE + 5)]
    assert statuses == [404] * DEFAULT_PER_MINUTE + [429] * 5
    empty = client.get("/lapor/cek", environ_base={"REMOTE_ADDR": "198.51.100.52"})
    for _ in range(DEFAULT_PER_MINUTE + 5):       # the page without a number is no look-up
        empty = client.get("/lapor/cek", environ_base={"REMOTE_ADDR": "198.51.100.52"})
    assert empty.status_code == 200
    mixed = client.get(f"/api/v1/complaints/{next(guesses(1))}", environ_base={"REMOTE_ADDR": "198.51.100.50"})
    assert mixed.status_code == 429               # one count for the page and the API


def _sms_cek(client, number: str, sender: str, n: int) -> str:
    answer = client.get("/in/sms-1708", query_string={
        "secret": KANNEL_SECRET, "from": sender, "to": "1708", "text": f"CEK {number}",
        "id": f"cek-{sender}-{n}"})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_cek_by_sms_is_limited_per_reporter(client):
    limited = messages.text("status_limited")
    answers = [_sms_cek(client, number, "081234599001", n)
               for n, number in enumerate(guesses(DEFAULT_PER_MINUTE + 3))]
    assert all("tidak ditemukan" in answer for answer in answers[:DEFAULT_PER_MINUTE])
    assert answers[DEFAULT_PER_MINUTE:] == [limited] * 3
    assert "tidak ditemukan" in _sms_cek(client, "27410935882", "081234599002", 99)


def test_the_lookup_limit_can_be_switched_off(environ):
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts

    parts = build_parts(load_settings(dict(environ, LAPOR_RATE_LIMIT_LOOKUP="off")))
    client = create_app(parts=parts).test_client()
    try:
        assert {client.get(f"/api/v1/complaints/{number}").status_code
                for number in guesses(DEFAULT_PER_MINUTE + 10)} == {404}
        assert all("tidak ditemukan" in _sms_cek(client, number, "081234599003", n)
                   for n, number in enumerate(guesses(DEFAULT_PER_MINUTE + 3)))
    finally:
        parts.publisher.close()
