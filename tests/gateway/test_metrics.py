"""``/metrics`` is not public: on the public port only with the bearer token
(``LAPOR_METRICS_TOKEN``), 404 without one configured; ``local_app()`` serves it on a
separate local port without a token."""
from __future__ import annotations

import pytest

from config.settings import SettingsError, load_settings

TOKEN = "metrics-token-0123456789abcdef"


def _complaint(client):
    answer = client.post("/api/v1/complaints", json={
        "classification": "pengaduan", "body": "Jalan rusak parah di depan pasar."})
    assert answer.status_code == 201


def test_metrics_are_not_public_by_default(client):
    _complaint(client)
    answer = client.get("/metrics")
    assert answer.status_code == 404 and b"lapor_complaints" not in answer.data
    assert client.get("/metrics", headers={"Accept": "application/json"}).get_json() == {"error": "not found"}


def _app_with(environ, **extra):
    from gateway.app import create_app
    from gateway.wiring import build_parts

    parts = build_parts(load_settings(dict(environ, **extra)))
    return parts, create_app(parts=parts).test_client()


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-0123456789abcdef",
                                           f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"])
def test_metrics_without_the_right_bearer_token_are_401(environ, authorization):
    parts, client = _app_with(environ, LAPOR_METRICS_TOKEN=TOKEN)
    try:
        headers = {"Authorization": authorization} if authorization else {}
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert b"lapor_complaints" not in answer.data and TOKEN.encode() not in answer.data
    finally:
        parts.publisher.close()


def test_metrics_with_the_bearer_token(environ):
    parts, client = _app_with(environ, LAPOR_METRICS_TOKEN=TOKEN)
    try:
        _complaint(client)
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200
        assert 'lapor_complaints_total{door="web",event="accepted"} 1.0' in answer.get_data(as_text=True)
    finally:
        parts.publisher.close()


def test_the_local_app_serves_metrics_alone_without_a_token(client, settings):
    from gateway.metrics import local_app

    _complaint(client)
    local = local_app(settings).test_client()
    answer = local.get("/metrics")
    assert answer.status_code == 200 and "lapor_undelivered 1.0" in answer.get_data(as_text=True)
    assert local.get("/api/v1/complaints/27410935882").status_code == 404
    assert local.post("/api/v1/complaints", json={}).status_code == 404


def test_a_short_metrics_token_stops_the_start(environ):
    with pytest.raises(SettingsError, match="^LAPOR_METRICS_TOKEN: must be at least 16"):
        load_settings(dict(environ, LAPOR_METRICS_TOKEN="short"))
