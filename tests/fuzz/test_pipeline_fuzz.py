"""The same mutated, properly signed provider payloads as test_adapter_fuzz.py, but through
the whole gateway (Flask test client, intake, real Redis, the queue): never a 5xx (except
a door's own 503 "not configured"), and every complaint the store holds afterwards
validates against Complaint v1, both the marshmallow schema and the published JSON Schema
(``schemas/``, with the central consumer example's check). This is where a crash in the core (the store, the queue,
the answer) would show, as the lone-surrogate 500 did. Fewer examples than the adapter
tests: each one is a real request.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from examples.central_consumer import contract_error, validators
from normalizer.schema import ComplaintSchema, FollowUpEventSchema
from tests.fuzz.profiles import fuzz, timeout_seconds
from tests.fuzz.strategies import any_text, mutated
from tests.fuzz.test_adapter_fuzz import SEEDS
from channels.twilio.testing import TwilioSender
from channels.web.testing import WebApiSender
from tests.harness import JSON_SENDERS, SENDERS

pytestmark = pytest.mark.timeout(timeout_seconds())

JSON_DOORS = {door: sender.channel for door, sender in JSON_SENDERS.items()}


def assert_no_server_error(response) -> None:
    if response.status_code >= 500:
        reason = (response.get_json(silent=True) or {}).get("error", "")
        assert response.status_code == 503 and reason.startswith("door not configured"), \
            (response.status_code, response.get_data()[:200])


SCHEMAS = {"complaint": ComplaintSchema(), "event": FollowUpEventSchema()}
PUBLISHED = validators()
_checked: dict[str, set] = {}          # Redis URL -> ledger keys already validated


def assert_store_valid(parts) -> None:
    """Every ledger entry the example added validates (the ones before it were checked
    by the examples that made them)."""
    seen = _checked.setdefault(parts.settings.redis_url, set())
    for key in parts.store.redis.scan_iter("lapor:c:*", count=1000):
        if key in seen:
            continue
        seen.add(key)
        body = parts.store.complaint(key.decode()[len("lapor:c:"):])
        if body is None:
            continue
        kind = "event" if "event_id" in body else "complaint"
        assert not SCHEMAS[kind].validate(body), SCHEMAS[kind].validate(body)
        assert contract_error(PUBLISHED, kind, body) is None, contract_error(PUBLISHED, kind, body)


@pytest.fixture(autouse=True)
def fresh_checks(redis_url):
    """Each test starts on a flushed database: forget what the last one checked there."""
    _checked.pop(redis_url, None)


@pytest.mark.parametrize("door", sorted(JSON_DOORS))
@fuzz(scale=0.3)
@given(data=st.data())
def test_mutated_json_payloads_through_the_gateway(client, parts, door, data):
    seed = data.draw(st.sampled_from(SEEDS[JSON_DOORS[door]]))
    body = SENDERS[door].serialize(data.draw(mutated(seed)))
    assert_no_server_error(SENDERS[door].signed(body).send(client))
    assert_store_valid(parts)


@fuzz(scale=0.3)
@given(data=st.data())
def test_mutated_twilio_forms_through_the_gateway(client, parts, data):
    seed = data.draw(st.sampled_from(SEEDS["twilio"]))
    pairs = [(k, v if data.draw(st.integers(0, 4)) else data.draw(any_text(60))) for k, v in seed]
    assert_no_server_error(TwilioSender().signed(pairs).send(client))
    assert_store_valid(parts)


@fuzz(scale=0.3)
@given(text=any_text(300), n=st.integers(0, 10**6))
def test_any_text_through_every_door(client, parts, text, n):
    for door, sender in SENDERS.items():
        assert_no_server_error(sender.request(text, n).send(client))
    for path in ("/api/v1/complaints", "/in/web"):
        assert_no_server_error(WebApiSender(path).request(text, n).send(client))
    assert_store_valid(parts)


@fuzz(scale=0.3)
@given(fields=st.sampled_from(SEEDS["web"]).flatmap(mutated), key=st.none() | any_text(40))
def test_mutated_api_submissions_through_the_gateway(client, parts, fields, key):
    headers = {}
    if key is not None:
        raw = key.encode("utf-8", "surrogatepass").decode("latin-1")
        headers["Idempotency-Key"] = raw.replace("\r", "").replace("\n", "")  # HTTP has none
    body = json.dumps(fields, allow_nan=True).encode()
    response = client.post("/api/v1/complaints", data=body, headers=headers,
                           content_type="application/json")
    assert_no_server_error(response)
    assert response.status_code in (200, 201, 400, 413, 415, 422, 429), response.status_code
    assert_store_valid(parts)
