"""Rate limits on the form and the API: 429 with Retry-After, per address and per sender,
exemptions for agency servers, switchable; provider webhooks are never limited."""
from __future__ import annotations

import pytest


@pytest.fixture
def environ(environ):
    environ.update(LAPOR_RATE_LIMIT_IP="3/minute", LAPOR_RATE_LIMIT_SENDER="2/hour",
                   LAPOR_PROXY_HOPS="1")
    return environ


def _post(client, contact="", address="203.0.113.7", **extra):
    body = {"classification": "pengaduan", "body": "Jalan rusak parah di depan pasar", **extra}
    if contact:
        body["contact"] = contact
    return client.post("/api/v1/complaints", json=body,
                       headers={"X-Forwarded-For": address})


def test_per_address_limit_answers_429_with_retry_after(client, parts):
    assert [_post(client).status_code for _ in range(3)] == [201, 201, 201]
    refused = _post(client)
    assert refused.status_code == 429
    assert refused.get_json() == {"error": "too many requests"}
    assert 0 < int(refused.headers["Retry-After"]) <= 60      # the minute's window ends
    assert _post(client, address="203.0.113.8").status_code == 201      # someone else
    assert parts.store.redis.llen("lapor.complaints") == 4


def test_a_submission_s_windows_are_counted_in_one_round_trip_and_never_read_back(client, parts):
    """Both limits' windows (per address, per contact) in one command to Redis, none to
    read a window back: no X-RateLimit-* headers."""
    sent = []
    store = parts.store.redis
    real = store.execute_command

    def counting(*args, **options):
        sent.append(args)
        return real(*args, **options)

    store.execute_command = counting
    try:
        accepted = _post(client, "081234500003", "203.0.113.9")
    finally:
        del store.execute_command
    assert accepted.status_code == 201
    counted = [args for args in sent if any("lapor:rl:" in str(arg) for arg in args)]
    assert len(counted) == 1 and counted[0][0] == "EVALSHA"
    windows = [str(arg) for arg in counted[0] if "lapor:rl:" in str(arg)]
    assert len(windows) == 2
    assert windows[0].startswith("lapor:rl:submit-ip:r-") and windows[0].endswith(":3/60")
    assert windows[1].startswith("lapor:rl:submit-sender:r-") and windows[1].endswith(":2/3600")
    assert not [w for w in windows if "203.0.113.9" in w or "81234500003" in w]   # pseudonyms
    assert not [name for name in accepted.headers.keys() if name.lower().startswith("x-ratelimit")]
    assert "Retry-After" not in accepted.headers


def test_per_sender_limit_follows_the_contact_across_addresses(client):
    assert _post(client, "081234500001", "198.51.100.1").status_code == 201
    assert _post(client, "+62 812-3450-0001", "198.51.100.2").status_code == 201
    refused = _post(client, "6281234500001", "198.51.100.3")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert _post(client, "081234500002", "198.51.100.3").status_code == 201


def test_the_form_is_limited_too(client):
    html = client.get("/lapor").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    statuses = [client.post("/lapor", headers={"X-Forwarded-For": "192.0.2.9"}, data={
        "csrf_token": token, "classification": "pengaduan",
        "body": f"Lampu jalan mati di gang {i} sudah seminggu"}).status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_agency_server_is_exempt(environ, redis_url):
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts

    environ["LAPOR_RATE_LIMIT_EXEMPT"] = "10.20.0.0/16, 192.0.2.50/32"
    parts = build_parts(load_settings(environ))
    client = create_app(parts=parts).test_client()
    assert {_post(client, "081234500009", "10.20.3.4").status_code for _ in range(6)} == {201}
    parts.publisher.close()


def test_limits_can_be_switched_off(environ, redis_url):
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts

    environ.update(LAPOR_RATE_LIMIT_IP="off", LAPOR_RATE_LIMIT_SENDER="off")
    parts = build_parts(load_settings(environ))
    client = create_app(parts=parts).test_client()
    assert {_post(client, "081234500010").status_code for _ in range(6)} == {201}
    parts.publisher.close()


def test_a_malformed_limit_stops_the_start_with_one_line(environ, redis_url):
    from config.settings import SettingsError, load_settings

    environ["LAPOR_RATE_LIMIT_IP"] = "lots"
    with pytest.raises(SettingsError, match="LAPOR_RATE_LIMIT_IP"):   # with every other setting
        load_settings(environ)


def test_provider_webhooks_are_never_limited(client, parts):
    statuses = {client.get("/in/sms-1708", headers={"X-Forwarded-For": "203.0.113.99"},
                           query_string={"secret": "kannel-door-secret", "from": "081299990000",
                                         "to": "1708", "text": f"LAPOR spam {i}", "id": f"f{i}"}
                           ).status_code for i in range(40)}
    assert statuses == {200}


def test_the_in_web_door_is_limited_like_the_api(client, parts):
    def post(i, address="203.0.113.20", contact=""):
        body = {"classification": "pengaduan", "body": f"Jalan rusak parah di gang {i}"}
        if contact:
            body["contact"] = contact
        return client.post("/in/web", json=body, headers={"X-Forwarded-For": address})

    assert [post(i).status_code for i in range(4)] == [201, 201, 201, 429]
    by_contact = [post(i, f"198.51.100.{30 + i}", "081234500077").status_code for i in range(3)]
    assert by_contact == [201, 201, 429]          # one phone cannot be flooded with notices


def test_the_in_web_door_refuses_what_a_cross_site_page_can_send(client, parts):
    """A page elsewhere can make its visitors' browsers post a form or text, not JSON."""
    form = {"classification": "pengaduan", "body": "Jalan rusak parah di depan pasar",
            "contact": "081234500078"}
    for answer in (client.post("/in/web", data=form),
                   client.post("/in/web", data='{"body": "Jalan rusak parah"}', content_type="text/plain")):
        assert answer.status_code == 415 and "application/json" in answer.get_json()["error"]
    assert parts.store.redis.llen("lapor.complaints") == 0


def test_the_limits_are_shared_by_the_form_the_api_and_in_web(client):
    """One contact, one allowance, whichever door is used (not one per door)."""
    body = {"classification": "pengaduan", "body": "Jalan rusak parah di depan pasar",
            "contact": "081234500079"}
    assert client.post("/api/v1/complaints", json=body,
                       headers={"X-Forwarded-For": "198.51.100.61"}).status_code == 201
    assert client.post("/in/web", json=body, headers={"X-Forwarded-For": "198.51.100.62"}).status_code == 201
    html = client.get("/lapor").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    form = client.post("/lapor", headers={"X-Forwarded-For": "198.51.100.63"},
                       data={"csrf_token": token, **body})
    assert form.status_code == 429
    by_address = [client.post(path, json={**body, "contact": ""}, headers={
        "X-Forwarded-For": "198.51.100.64"}).status_code
        for path in ("/api/v1/complaints", "/in/web", "/api/v1/complaints", "/in/web")]
    assert by_address == [201, 201, 201, 429]


def test_a_request_passes_when_redis_cannot_count_with_one_line_saying_so(caplog):
    """Redis down: no citizen is refused for it, and each uncounted request is one warning
    naming the error, no traceback."""
    import redis
    from flask import Flask

    from forwarder.store_rates import RateCounts
    from gateway.limits import Limit, ViewLimits
    from limits import parse_many
    from tests.helpers import free_port

    nobody = RateCounts(redis.Redis(port=free_port(), socket_connect_timeout=1))
    guards = ViewLimits(lambda: nobody)
    limit = Limit("submit-ip", tuple(parse_many("1/minute;2/day")), "POST", lambda: "192.0.2.1",
                  lambda: False)
    view = guards.guard(lambda: "taken", [limit])
    with Flask(__name__).test_request_context("/api/v1/complaints", method="POST"):
        assert [view(), view()] == ["taken", "taken"]
    lines = [r for r in caplog.records if r.name == "lapor.limits"]
    assert [r.getMessage() for r in lines] == ["rate limits not counted: the request passes "
                                               "(ConnectionError)"] * 2
    assert all(r.levelname == "WARNING" and not r.exc_info for r in lines)
