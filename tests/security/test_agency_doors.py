"""The agency entrances as an attacker meets them: the JSON API with an API key and Open311.

Keys are compared in constant time (read from the code, as the adapters' verifiers are);
hostile JSON with a live key is refused like without one; hostile Open311 forms (huge or
invalid bytes, control characters, thousands of fields, markup) are answered with the
specification's error array or accepted cleanly, never a 500, never echoed, nothing
half-made recorded; no link is built on the Host header; a key cannot forge log lines.
"""
from __future__ import annotations

import logging

import pytest

from gateway import agency_keys
from tests.security.test_constant_time import (calls, constant_short_circuits,
                                               plain_secret_comparisons, tree_of)
from tests.security.test_every_door_verifies import nothing_recorded
from tests.security.test_hostile_json import HOSTILE, TOO_BIG_FOR_A_FLOAT
from tests.security.test_reflection import _app

CANARY = "CANARY-7f3a"
GOOD = {"service_code": "pengaduan", "address_string": "Jl. Dago 10",
        "description": "Trotoar rusak di depan sekolah."}
HOSTILE_FORMS = {
    "huge_description": {"description": CANARY + "x" * 3_000_000},
    "huge_address": {"address_string": CANARY + "y" * 10_000},
    "markup": {"service_code": f"<script>{CANARY}</script>"},
    "nul_in_code": {"service_code": f"pengaduan\x00{CANARY}"},
    "not_a_number": {"lat": f"NaN{CANARY}", "long": "1e999"},
    "infinite": {"lat": "inf", "long": "-inf"},
    "phone_markup": {"phone": f"<img src=x onerror={CANARY}>"},
    "media_javascript": {"media_url": f"javascript:alert('{CANARY}')"},
}


@pytest.fixture
def token(parts):
    return agency_keys.create(parts.store, "Dinas Uji Keamanan")[1]


def test_keys_are_compared_in_constant_time():
    tree = tree_of(agency_keys.authenticate)
    assert "compare_digest" in calls(tree)
    assert not plain_secret_comparisons(tree) and not constant_short_circuits(tree)


@pytest.mark.parametrize("kind", sorted({**HOSTILE, **TOO_BIG_FOR_A_FLOAT}))
def test_hostile_json_with_a_live_key_is_400(client, parts, caplog, token, kind):
    caplog.set_level(logging.INFO)
    answer = client.post("/api/v1/complaints", data={**HOSTILE, **TOO_BIG_FOR_A_FLOAT}[kind],
                         content_type="application/json",
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400 and answer.get_json() == {"error": "body is not valid JSON"}
    assert nothing_recorded(parts)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def _refused_cleanly(answer, caplog) -> None:
    assert answer.status_code in (400, 404, 413), answer.status_code
    [error] = answer.get_json()
    assert error["code"] == answer.status_code and len(error["description"]) <= 120
    assert CANARY not in answer.get_data(as_text=True)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("kind", sorted(HOSTILE_FORMS))
def test_hostile_open311_forms_are_refused_with_the_error_array(client, parts, caplog, token, kind):
    caplog.set_level(logging.INFO)
    answer = client.post("/open311/v2/requests.json", data={"api_key": token, **GOOD, **HOSTILE_FORMS[kind]})
    _refused_cleanly(answer, caplog)
    assert nothing_recorded(parts)


def test_invalid_utf8_and_control_characters_are_accepted_cleanly(client, parts, caplog, token):
    caplog.set_level(logging.INFO)
    body = (f"api_key={token}&service_code=aspirasi&address_string=%FF%FE%C0&"
            "description=Lampu+mati%0D%0A%1B%5B2J%ED%A0%80+di+Jl.+Riau").encode()
    answer = client.post("/open311/v2/requests.json", data=body,
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    [item] = answer.get_json()
    found = client.get(f"/open311/v2/requests/{item['service_request_id']}.xml")
    assert found.status_code == 200 and b"\x1b" not in found.data


def test_thousands_of_fields_are_harmless(client, parts, caplog, token):
    caplog.set_level(logging.INFO)
    fields = {f"attribute[{n}]": "x" for n in range(5000)}
    answer = client.post("/open311/v2/requests.json", data={"api_key": token, **GOOD, **fields})
    assert answer.status_code in (201, 400, 413)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_bad_requests_never_echo_the_query(client):
    for query in (f"start_date={CANARY}", f"status={CANARY}", f"service_request_id=<b>{CANARY}</b>"):
        answer = client.get(f"/open311/v2/requests.xml?{query}")
        assert answer.status_code in (200, 400) and CANARY not in answer.get_data(as_text=True)
    missing = client.get(f"/open311/v2/requests/{CANARY}.json")
    assert missing.status_code == 404 and CANARY not in missing.get_data(as_text=True)


def test_discovery_is_never_built_on_the_host_header(environ):
    environ = {k: v for k, v in environ.items() if k != "LAPOR_PUBLIC_BASE_URL"}
    parts, client = _app(environ, LAPOR_MODE="embedded")
    try:
        found = client.get("/open311/v2/discovery.json", headers={"Host": "evil.example"}).get_json()
        assert found["endpoints"][0]["url"] == "/open311/v2"
    finally:
        parts.publisher.close()


def test_discovery_uses_the_public_address(client):
    found = client.get("/open311/v2/discovery.xml", headers={"Host": "evil.example"})
    assert b"<url>https://lapor.example.go.id/open311/v2</url>" in found.data and b"evil" not in found.data


@pytest.mark.parametrize("header", ["Bearer lpr_0123456789ab_x\r\nINFO forged",
                                    "Bearer lpr_0123456789ab_" + "A" * 43 + "\n2026 INFO accepted"])
def test_a_key_cannot_forge_log_lines(client, parts, caplog, header):
    caplog.set_level(logging.DEBUG)
    client.post("/api/v1/complaints", json={"body": "Jalan rusak di depan pasar."},
                headers={"Authorization": header.replace("\r", "").replace("\n", " ")})
    client.post("/open311/v2/requests.json", data={"api_key": header, **GOOD})
    for record in caplog.records:
        assert "forged" not in record.getMessage() and "\n" not in record.getMessage()
    assert nothing_recorded(parts)
