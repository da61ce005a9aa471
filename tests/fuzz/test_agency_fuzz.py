"""The agency entrances through the whole gateway (Flask test client, intake, real Redis,
the queue), as test_pipeline_fuzz.py drives the doors: mutated Open311 forms with a live
key (every field any text, or missing, or a likely value), Open311 GETs with any filter,
and any text through the JSON API with a key. Never a 5xx, every answer of Open311 the
specification's shape (a request list, or the error array), and every complaint the store
holds afterwards valid Complaint v1.
"""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from gateway import agency_keys
from tests.fuzz.profiles import fuzz, timeout_seconds
from tests.fuzz.strategies import any_text
from tests.fuzz.test_pipeline_fuzz import assert_no_server_error, assert_store_valid

pytestmark = pytest.mark.timeout(timeout_seconds())

LIKELY = {
    "service_code": st.sampled_from(["pengaduan", "aspirasi", "permintaan-informasi",
                                     "topik-infrastruktur", "topik-", "PENGADUAN", ""]),
    "lat": st.sampled_from(["-6.9", "91", "nan", "1e999", "", "-0", "6,9"]),
    "long": st.sampled_from(["107.6", "-181", "inf", "", "0x10"]),
    "phone": st.sampled_from(["0812 3456 7890", "+62 812-1111-2222", "bukan", ""]),
    "email": st.sampled_from(["siti@example.id", "@", "a@b", ""]),
    "media_url": st.sampled_from(["https://foto.example.id/a.jpg", "javascript:x", "//x", ""]),
}
FIELDS = ("service_code", "description", "lat", "long", "address_string", "email",
          "first_name", "last_name", "phone", "media_url", "jurisdiction_id", "attribute[x]")


def _field(name: str):
    return st.none() | any_text(120) | LIKELY.get(name, any_text(40))


@pytest.fixture
def environ(environ):
    environ.update(LAPOR_RATE_LIMIT_LOOKUP="off")    # every example reaches the view, not a 429
    return environ


@pytest.fixture
def token(parts):
    return agency_keys.create(parts.store, "Dinas Fuzz")[1]


def _clean(value: str) -> str:
    """A form value as HTTP can carry it (no lone surrogates)."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


@fuzz(scale=0.3)
@given(data=st.data())
def test_mutated_open311_requests_through_the_gateway(client, parts, token, data):
    form = {"api_key": token}
    for name in FIELDS:
        value = data.draw(_field(name), label=name)
        if value is not None:
            form[name] = _clean(value)
    fmt = data.draw(st.sampled_from(["json", "xml"]))
    response = client.post(f"/open311/v2/requests.{fmt}", data=form)
    assert_no_server_error(response)
    assert response.status_code in (200, 201, 400, 404, 413), response.status_code
    if fmt == "json":
        [item] = response.get_json()
        assert ("service_request_id" in item) == (response.status_code in (200, 201))
    assert_store_valid(parts)


@fuzz(scale=0.3)
@given(query=st.dictionaries(st.sampled_from(["service_request_id", "service_code", "start_date",
                                              "end_date", "status", "api_key", "locale"]),
                             any_text(60), max_size=4),
       fmt=st.sampled_from(["json", "xml"]))
def test_any_open311_filters(client, query, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}",
                          query_string={k: _clean(v) for k, v in query.items()})
    assert_no_server_error(response)
    assert response.status_code in (200, 400), response.status_code
    if fmt == "json":
        assert isinstance(response.get_json(), list)


@fuzz(scale=0.3)
@given(text=any_text(300), n=st.integers(0, 10**6))
def test_any_text_through_the_json_api_with_a_key(client, parts, token, text, n):
    response = client.post("/api/v1/complaints", headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": f"fuzz-{n}"}, json={
        "classification": "pengaduan", "body": _clean(text), "contact": f"0812{n:08d}"})
    assert_no_server_error(response)
    assert response.status_code in (200, 201, 422, 429), response.status_code
    assert_store_valid(parts)
