"""The doors' WSGI path (``gateway.doors.DoorPath``): a provider's webhook is served without
Flask, with the answer Flask's route gives the same request, and everything else is passed
on to Flask.

Every door of every registered channel (each channel's test sender, ``tests/harness.py``):
a signed message and each forgery are answered alike by both ways in (status, content
type, body with the tracking number masked, the headers the app adds: X-Request-ID,
Retry-After, HSTS). A store outage, an unexpected error and a hostile JSON body are
answered alike too. The requests the path declines (the web channel's doors, with their
rate limits; an unknown door; multipart, chunked and oversized bodies; other methods)
reach Flask's route. ``from_environ`` builds the ``WebRequest`` werkzeug's request would.
"""
from __future__ import annotations

import io
import logging
import re

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from gateway.webrequest import from_environ, headers_of
from tests.every_channel import environ  # noqa: F401 - one door per channel
from tests.harness import SENDERS

NUMBER = re.compile(rb"\d{4}-?\d{4}-?\d{3}")
IDS = re.compile(rb"[0-9a-f]{32}")
ADDED = ("Content-Type", "X-Request-ID", "Retry-After", "Strict-Transport-Security")
PROVIDER_DOORS = sorted(door for door, sender in SENDERS.items() if sender.channel != "web")



@pytest.fixture
def flask_only(parts):
    """A second app on the same parts whose every request goes through Flask's route."""
    from gateway.app import create_app

    application = create_app(parts=parts)
    application.config["TESTING"] = True
    deadline = application.wsgi_app
    deadline.app = deadline.app.app            # BodyDeadline(DoorPath(Flask)) -> BodyDeadline(Flask)
    return application.test_client()


@pytest.fixture
def routed(app):
    """How many requests reached Flask's door route."""
    calls = []
    view = app.view_functions["doors.door"]

    def counted(**kwargs):
        calls.append(kwargs["door_id"])
        return view(**kwargs)

    app.view_functions["doors.door"] = counted
    return calls


def _seen(response) -> tuple:
    body = IDS.sub(b"<id>", NUMBER.sub(b"<number>", response.get_data()))
    added = {name: response.headers.get(name) for name in ADDED if name != "X-Request-ID"}
    return response.status_code, body, added, bool(response.headers.get("X-Request-ID"))


TEXTS = ("Jalan rusak di depan SDN 3 Sukajadi", "Lampu penerangan mati di gang Melati")


def _requests(door: str, n: int):
    """A signed message and each forgery, message number ``n`` (a new message and text per
    ``n``: the same text twice would be answered "others reported this too")."""
    sender = SENDERS[door]
    yield "signed", sender.request(TEXTS[n % 2], n)
    for kind in sender.forgeries:
        yield kind, sender.forged(kind, TEXTS[n % 2], n)


@pytest.mark.parametrize("door", PROVIDER_DOORS)
def test_a_webhook_skips_flask_and_is_answered_as_flask_would(client, flask_only, routed, door):
    for (kind, request), (_, same_kind) in zip(_requests(door, 1), _requests(door, 2)):
        fast = request.send(client)
        assert routed == [], f"{door} {kind}: the webhook went through Flask"
        slow = same_kind.send(flask_only)
        assert _seen(fast) == _seen(slow), f"{door} {kind}"
    assert fast.headers["Strict-Transport-Security"]          # the public address is https


def test_the_request_id_is_echoed_or_made(client):
    request = SENDERS["sms-1708"].request("Lampu jalan mati", 3) if "sms-1708" in SENDERS else \
        SENDERS[PROVIDER_DOORS[0]].request("Lampu jalan mati", 3)
    request.headers = dict(request.headers, **{"X-Request-ID": "door-path-0001"})
    assert request.send(client).headers["X-Request-ID"] == "door-path-0001"
    request.headers["X-Request-ID"] = "not an id!"
    made = request.send(client).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)


@pytest.mark.parametrize("failure, status, reason", [
    (RedisConnectionError("down"), 503, "store temporarily unavailable, retry later"),
    (KeyError("a bug"), 500, "internal error"),
])
def test_failures_are_answered_alike_and_short(client, flask_only, parts, monkeypatch, caplog,
                                               failure, status, reason):
    door = PROVIDER_DOORS[0]

    def failing(door_id, request):
        raise failure

    monkeypatch.setattr(parts.intake, "handle", failing)
    caplog.set_level(logging.INFO)
    fast = SENDERS[door].request("Jalan rusak", 4).send(client)
    slow = SENDERS[door].request("Jalan rusak", 5).send(flask_only)
    assert _seen(fast) == _seen(slow)
    assert fast.status_code == status and fast.get_json() == {"error": reason}
    assert (fast.headers.get("Retry-After") == "5") == (status == 503)
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 2 and all(record.exc_info for record in errors) == (status == 500)


@pytest.mark.parametrize("status, headers", [
    (200, {"content-type": "application/xml", "X-Kannel-Coding": "2"}),
    (503, {"Retry-After": "30", "X-Request-ID": "the adapter's", "Strict-Transport-Security": "max-age=1"}),
])
def test_an_adapters_own_headers_are_set_as_flask_sets_them(client, flask_only, parts, monkeypatch,
                                                           status, headers):
    from channels.base import WebResponse

    monkeypatch.setattr(parts.intake, "handle",
                        lambda door_id, request: WebResponse(status, "ok", "text/plain", dict(headers)))
    door = PROVIDER_DOORS[0]
    fast, slow = (SENDERS[door].request("Jalan rusak", n).send(way)
                  for n, way in ((6, client), (7, flask_only)))
    for name in {*ADDED, *headers, "Content-Length", "X-Kannel-Coding"} - {"X-Request-ID"}:
        assert fast.headers.get_all(name) == slow.headers.get_all(name), name
    assert fast.headers.get_all("X-Request-ID") != ["the adapter's"]
    assert (fast.status_code, fast.get_data()) == (slow.status_code, slow.get_data())


def test_a_decoder_failure_on_hostile_json_is_400(client, parts, monkeypatch):
    door = next(door for door in PROVIDER_DOORS if hasattr(SENDERS[door], "payload"))

    def failing(door_id, request):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(parts.intake, "handle", failing)
    response = SENDERS[door].signed(b"[" * 1000 + b"]" * 1000).send(client)
    assert response.status_code == 400 and response.get_json() == {"error": "body is not valid JSON"}


def test_what_the_path_declines_reaches_flask(client, routed, parts):
    door = PROVIDER_DOORS[0]
    assert client.post("/in/no-such-door").status_code == 404
    assert client.put(f"/in/{door}").status_code == 405
    assert client.post(f"/in/{door}", data={"file": (io.BytesIO(b"x"), "a.txt")},
                       content_type="multipart/form-data").status_code in (400, 401, 403)
    assert client.post(f"/in/{door}", data=b"x", headers={"Transfer-Encoding": "chunked"}).status_code \
        in (400, 401, 403)
    oversized = client.post(f"/in/{door}", data=b"x" * (parts.settings.max_body_bytes + 1))
    assert oversized.status_code == 413 and oversized.get_json() == {"error": "request body too large"}
    assert client.post("/in/web", json={"classification": "pengaduan",
                                        "body": "Jalan rusak di depan pasar"}).status_code in (200, 201)
    assert routed == ["no-such-door", door, door, door, "web"]   # 413 comes before the view


@pytest.mark.parametrize("path, query, base_url, script_name", [
    ("/in/sms-1708", "secret=s&from=0812&text=LAPOR+jalan%20rusak", "http://localhost", ""),
    ("/in/tg", "", "https://gateway.example.go.id:8443", "/lapor-gw"),
    ("/in//double", "a=%C3%A9", "http://127.0.0.1:8080", "/root/"),
])
def test_the_request_is_the_one_werkzeug_reads(path, query, base_url, script_name):
    built = EnvironBuilder(path=path, query_string=query, base_url=base_url + script_name,
                           method="POST", data=b'{"a": 1}', content_type="application/json",
                           headers={"X-Twilio-Signature": "abc", "User-Agent": "kannel"})
    wsgi = built.get_environ()
    werkzeug = WerkzeugRequest(wsgi)
    ours = from_environ(wsgi, "", b"body", headers_of(wsgi))
    url = f"{werkzeug.scheme}://{werkzeug.host}{werkzeug.root_path}{werkzeug.path}"  # query raw
    assert (ours.url, ours.path, ours.method) == (url + (f"?{query}" if query else ""), werkzeug.path,
                                                  werkzeug.method)
    assert ours.headers == {name.lower(): value for name, value in werkzeug.headers.items()}
    assert (ours.query_string, ours.content_type, ours.remote_addr) == \
        (werkzeug.query_string, werkzeug.content_type, werkzeug.remote_addr or "")
    assert from_environ(wsgi, "https://lapor.example", b"", {}).url == \
        "https://lapor.example" + werkzeug.path + (f"?{query}" if query else "")
