"""The JSON API and the ``/in/web`` door through Flask's test client, on a real Redis."""
from __future__ import annotations

import json

import pytest

from normalizer import tracking
from normalizer.schema import StatusSchema
from tests.gateway.support import queue_length, queued, store_keys

SUBMISSION = {"classification": "aspirasi", "title": "Lampu jalan",
              "body": "Mohon tambah lampu jalan di Jl. Melati, gelap sekali malam hari.",
              "name": "Budi Santoso", "contact": "+62 812-1111-2222", "location": "Jl. Melati"}


def post(client, body, key: str | None = None, **kwargs):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/complaints", json=body, headers=headers, **kwargs)


def test_create_then_same_idempotency_key_gives_the_same_number(client, redis_url):
    first = post(client, SUBMISSION, key="dinas-x-4711")
    assert first.status_code == 201, first.get_json()
    answer = first.get_json()
    number = answer["tracking_number"]
    assert tracking.is_valid(number) and answer["display"] == tracking.display(number)
    assert answer["status"] == "diterima" and len(answer["due_date"]) == 10
    assert answer["status_url"].endswith(f"/api/v1/complaints/{number}")
    assert first.headers["Location"] == answer["status_url"]
    assert "No. lacak" in answer["message"]            # the acknowledgement, in Indonesian

    again = post(client, SUBMISSION, key="dinas-x-4711")
    assert again.status_code == 200
    assert again.get_json()["tracking_number"] == number
    assert again.get_json()["due_date"] == answer["due_date"]
    assert queue_length(redis_url) == 1
    [complaint] = queued(redis_url)
    assert complaint["classification"] == "aspirasi" and complaint["meta"] == {"via": "api"}
    assert complaint["reporter"]["contact"] == "+6281211112222"
    [provider_id] = complaint["provider_message_ids"]      # per caller: see tests/security
    assert provider_id.startswith("api:ip-") and provider_id.endswith(":dinas-x-4711")


def test_without_a_key_each_post_is_a_new_complaint(client, redis_url):
    numbers = {post(client, SUBMISSION).get_json()["tracking_number"] for _ in range(2)}
    assert len(numbers) == 2 and queue_length(redis_url) == 2


def test_invalid_fields_are_422_with_messages_and_nothing_recorded(client, redis_url):
    answer = post(client, {"classification": "keluhan", "body": "pendek", "latitude": "x"})
    assert answer.status_code == 422
    assert answer.get_json() == {"error": "invalid submission", "fields": {
        "classification": ["Pilih Pengaduan, Aspirasi, atau Permintaan Informasi."],
        "body": ["Tuliskan isi laporan Anda, paling sedikit 10 karakter."],
        "latitude": ["Tulis angka, mis. -6.2."]}}
    english = post(client, {"body": "short", "language": "en"}).get_json()
    assert english["fields"]["body"] == ["Write your report, at least 10 characters."]
    assert queue_length(redis_url) == 0 and not store_keys(redis_url, "lapor:c:*")


@pytest.mark.parametrize("content_type, data", [
    ("text/plain", "LAPOR jalan rusak di depan pasar"),
    ("application/x-www-form-urlencoded", "body=jalan+rusak+di+depan+pasar"),
])
def test_non_json_is_415(client, redis_url, content_type, data):
    answer = client.post("/api/v1/complaints", data=data, content_type=content_type)
    assert answer.status_code == 415 and "application/json" in answer.get_json()["error"]
    assert queue_length(redis_url) == 0


def test_unreadable_json_and_bad_key_are_400(client, redis_url):
    answer = client.post("/api/v1/complaints", data="{body: ", content_type="application/json")
    assert answer.status_code == 400 and answer.get_json() == {"error": "body is not valid JSON"}
    answer = post(client, SUBMISSION, key="x" * 201)
    assert answer.status_code == 400 and "Idempotency-Key" in answer.get_json()["error"]
    assert queue_length(redis_url) == 0


def test_status_found_has_only_public_fields(client):
    number = post(client, SUBMISSION, key="k-1").get_json()["tracking_number"]
    answer = client.get(f"/api/v1/complaints/{tracking.display(number)}")
    assert answer.status_code == 200
    status = answer.get_json()
    assert set(status) == set(StatusSchema().fields)
    assert status["tracking_number"] == number and status["status"] == "diterima"
    assert status["classification"] == "aspirasi" and status["door"] == "web"
    assert status["agency"] is None and status["received_at"].endswith("+00:00")
    assert StatusSchema().validate(status) == {}
    text = answer.get_data(as_text=True)
    for personal in ("Budi", "81211112222", "1111-2222", "Melati", "r-", "lampu"):
        assert personal not in text, personal


def test_status_unknown_and_mistyped(client):
    unknown = "1234567890" + tracking.check_digit("1234567890")
    answer = client.get(f"/api/v1/complaints/{unknown}")
    assert answer.status_code == 404 and answer.get_json() == {"error": "no complaint with this tracking number"}
    typo = unknown[:-1] + str((int(unknown[-1]) + 1) % 10)
    answer = client.get(f"/api/v1/complaints/{typo}")
    assert answer.status_code == 400 and "check digit" in answer.get_json()["error"]
    assert client.get("/api/v1/complaints/abc").status_code == 404


def test_in_web_door_takes_json_too(client, redis_url):
    answer = client.post("/in/web", json=SUBMISSION, headers={"Idempotency-Key": "door-1"})
    assert answer.status_code == 201
    body = answer.get_json()
    assert tracking.is_valid(body["tracking_number"]) and body["duplicate"] is False
    again = client.post("/in/web", data=json.dumps(SUBMISSION), content_type="application/json",
                        headers={"Idempotency-Key": "door-1"})
    assert again.status_code == 200 and again.get_json()["tracking_number"] == body["tracking_number"]
    refused = client.post("/in/web", json={"body": "x"})
    assert refused.status_code == 422 and refused.get_json() == {"error": "invalid submission: body"}
    assert queue_length(redis_url) == 1


def test_store_down_spools_submissions_and_lookups_are_503(environ):
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts
    from tests.helpers import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"      # nothing listens there
    parts = build_parts(load_settings(dict(environ, LAPOR_REDIS_URL=dead, LAPOR_BROKER_URL=dead)))
    client = create_app(parts=parts).test_client()
    try:
        answer = post(client, SUBMISSION)        # spooled to disk: the citizen gets a number
        assert answer.status_code == 201 and tracking.is_valid(answer.get_json()["tracking_number"])
        assert parts.spool.depth() == 1
        lookup = client.get("/api/v1/complaints/27410935882")
        assert lookup.status_code == 503 and lookup.headers["Retry-After"] == "5"
        page = client.get("/lapor/cek?nomor=27410935882")
        assert page.status_code == 503 and "CEK" in page.get_data(as_text=True)
        assert page.headers["Retry-After"] == "5"          # every 503 says when to come back
        assert client.get("/readyz").headers["Retry-After"] == "5"
        html = client.get("/lapor").get_data(as_text=True)          # the form needs no store
        csrf = html.split('name="csrf_token" value="')[1].split('"')[0]
        page = client.post("/lapor", data={"csrf_token": csrf, "body": "Jalan rusak di depan pasar."})
        assert page.status_code == 200 and "Traceback" not in page.get_data(as_text=True)
        assert parts.spool.depth() == 2
    finally:
        parts.publisher.close()
