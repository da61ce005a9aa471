"""Hostile JSON on every JSON door: bodies the JSON grammar allows but Python's decoder
chokes on (nested a thousand deep: RecursionError; an integer of 5,000 digits: the
integer-string limit) are answered 400 "body is not valid JSON", never 500, with nothing
recorded and no traceback in any log line.

The provider doors get the body properly signed (an unsigned one is refused before it is
read), so the refusal is the body's doing; the web door's JSON entrances are public.
"""
from __future__ import annotations

import logging

import pytest

from forwarder import central as central_contract
from channels.web.testing import WebApiSender
from tests.harness import JSON_SENDERS, SENDERS
from tests.security.wire import CENTRAL_SECRET, central_callback
from tests.security.test_every_door_verifies import nothing_recorded

HOSTILE = {
    "nested_1000": b'{"body": ' + b"[" * 1000 + b"]" * 1000 + b"}",
    "nested_100000": b"[" * 100_000 + b"]" * 100_000,
    "int_5000_digits": b'{"classification": "pengaduan", "latitude": ' + b"7" * 5000 + b"}",
}
# an integer Python parses but no float can hold: marshmallow's Float lets OverflowError out
TOO_BIG_FOR_A_FLOAT = {
    "int_400_digits": b'{"body": "Jalan rusak di depan SDN 3", "latitude": ' + b"9" * 400 + b"}",
}
JSON_DOORS = list(JSON_SENDERS)           # the doors whose providers post JSON


def _web_request(path: str, body: bytes):
    request = WebApiSender(path).request("x", 1)
    request.body = body
    return request


def _assert_400(response, caplog, parts):
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.get_json() in ({"error": "body is not valid JSON"},
                                   {"error": "body is not JSON"})     # the central callback's
    assert nothing_recorded(parts)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_the_provider_json_doors_are_the_expected_ones():
    assert {"telegram", "twitter", "wa-cloud"} <= set(JSON_DOORS)
    assert all(hasattr(JSON_SENDERS[door], "payload") for door in JSON_DOORS)


@pytest.mark.parametrize("door", JSON_DOORS)
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_signed_hostile_json_on_a_provider_door_is_400(client, parts, caplog, door, kind):
    caplog.set_level(logging.INFO)
    response = SENDERS[door].signed(HOSTILE[kind]).send(client)
    _assert_400(response, caplog, parts)


@pytest.mark.parametrize("path", ["/api/v1/complaints", "/in/web"])
@pytest.mark.parametrize("kind", sorted({**HOSTILE, **TOO_BIG_FOR_A_FLOAT}))
def test_hostile_json_on_the_web_doors_is_400(client, parts, caplog, path, kind):
    caplog.set_level(logging.INFO)
    response = _web_request(path, {**HOSTILE, **TOO_BIG_FOR_A_FLOAT}[kind]).send(client)
    _assert_400(response, caplog, parts)


@pytest.mark.parametrize("path", ["/api/v1/complaints", "/in/web"])
def test_a_valid_submission_still_passes(client, parts, path):
    response = WebApiSender(path).request("Jalan rusak di depan SDN 3 Sukajadi", 2).send(client)
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("kind", ["nested_1000", "int_5000_digits"])
def test_signed_hostile_json_on_the_central_callback_is_400(client, parts, caplog, kind):
    """The central system's status callback decodes JSON in its own code (marshmallow's
    ``loads``): the app's error handler answers 400 for it too."""
    caplog.set_level(logging.INFO)
    request = central_callback("27410935882")
    stamp = int(request.headers["X-Lapor-Timestamp"])
    request.body = HOSTILE[kind]
    request.headers["X-Lapor-Signature"] = central_contract.sign(CENTRAL_SECRET, request.body, stamp,
                                                                 central_contract.STATUS_TO_GATEWAY)
    _assert_400(request.send(client), caplog, parts)


def _with_a_huge_number(door: str) -> bytes:
    """The door's own valid delivery, with a 400-digit integer where a number may stand
    (the JSON grammar allows it; Python parses it; no float can hold it)."""
    body = SENDERS[door].request("LAPOR jalan rusak", 7).body
    marker = b'"LAPOR jalan rusak"'
    assert marker in body, door
    return body.replace(marker, marker + b', "lapor_huge": ' + b"9" * 400, 1)


@pytest.mark.parametrize("door", JSON_DOORS)
def test_a_huge_integer_on_a_provider_door_is_400(client, parts, caplog, door):
    """Every JSON door reads its body through one decoder (``channels.jsonbody``), so the
    same limits hold on the provider doors as on the web doors."""
    caplog.set_level(logging.INFO)
    response = SENDERS[door].signed(_with_a_huge_number(door)).send(client)
    _assert_400(response, caplog, parts)


@pytest.mark.parametrize("depth", [1, 63, 64, 65, 200])
@pytest.mark.parametrize("padding", ["", '"{[{[", ', '"x", ' * 70])
def test_the_depth_limit_holds_whether_the_walk_runs_or_is_skipped(depth, padding):
    """``jsonbody.load`` skips its depth walk when the text has no more brackets than
    ``MAX_DEPTH``; around the limit (and with brackets inside strings, or many siblings) the
    answer is the nesting's, not the count's."""
    from channels import jsonbody
    from channels.base import Rejected

    body = ("[" * (depth - 1) + "[" + padding + "1" + "]" * depth).encode()
    if depth <= jsonbody.MAX_DEPTH:
        assert jsonbody.load(body) is not None
    else:
        with pytest.raises(Rejected):
            jsonbody.load(body)
    wide = ("[" + ", ".join(["[1]"] * 100) + "]").encode()     # 101 brackets, depth 2
    assert len(jsonbody.load(wide)) == 100
