"""Client-chosen dedup ids are scoped to the caller and bound to the body.

The attack (issue 8, item 1): a client that sends an Idempotency-Key first got its own
tracking number back for anyone else's later complaint with that key, and the later, real
complaint was never forwarded. Now keys are per caller (a keyed hash of the client's
address until agencies have API keys), and the same key with a different body is answered
422 with a reason; the same key with the same body (a retry) still gets the original number.
The web form's own double-click key (``submission_id``) is bound to its body the same way.
"""
from __future__ import annotations

import json
import re

import pytest

from tests.gateway.support import queue_length, queued

SUBMISSION = {"classification": "pengaduan", "title": "Jalan rusak",
              "body": "Jalan di depan SDN 3 Sukajadi berlubang besar sejak Januari.",
              "name": "Siti", "contact": "0812 3456 7890"}
OTHER = dict(SUBMISSION, body="Lampu jalan di Jl. Melati mati sejak dua minggu.")
ATTACKER, CITIZEN = "203.0.113.66", "198.51.100.7"
DOORS = ["/api/v1/complaints", "/in/web"]
REASON = "Idempotency-Key already used for a different request body"


def post(client, path: str, body, key: str, address: str = CITIZEN, raw: str | None = None):
    return client.post(path, data=raw if raw is not None else json.dumps(body),
                       content_type="application/json", headers={"Idempotency-Key": key},
                       environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("path", DOORS)
def test_anothers_key_cannot_take_a_citizens_complaint(client, redis_url, path):
    squatted = post(client, path, OTHER, "dinas-x-4712", address=ATTACKER)
    assert squatted.status_code == 201
    real = post(client, path, SUBMISSION, "dinas-x-4712")
    assert real.status_code == 201, real.get_json()
    assert real.get_json()["tracking_number"] != squatted.get_json()["tracking_number"]
    assert sorted(c["body"] for c in queued(redis_url)) == sorted([SUBMISSION["body"], OTHER["body"]])


@pytest.mark.parametrize("path", DOORS)
def test_same_key_other_body_is_422_and_nothing_merged(client, redis_url, path):
    first = post(client, path, SUBMISSION, "k-4713")
    assert first.status_code == 201
    reused = post(client, path, OTHER, "k-4713")
    assert reused.status_code == 422 and reused.get_json() == {"error": REASON}
    assert queue_length(redis_url) == 1 and queued(redis_url)[0]["body"] == SUBMISSION["body"]
    retry = post(client, path, SUBMISSION, "k-4713")          # the real retry still works
    assert retry.status_code == 200
    assert retry.get_json()["tracking_number"] == first.get_json()["tracking_number"]


def test_a_retry_serialized_differently_is_the_same_request(client, redis_url):
    first = post(client, DOORS[0], SUBMISSION, "k-4714")
    reordered = json.dumps(dict(reversed(list(SUBMISSION.items()))), indent=2)
    again = post(client, DOORS[0], None, "k-4714", raw=reordered)
    assert again.status_code == 200
    assert again.get_json()["tracking_number"] == first.get_json()["tracking_number"]
    english = post(client, DOORS[0], dict(SUBMISSION, language="en"), "k-4714")
    assert english.status_code == 200 and queue_length(redis_url) == 1


def test_keys_are_scoped_to_the_caller_in_the_record(client, redis_url):
    post(client, DOORS[0], SUBMISSION, "k-4715")
    [complaint] = queued(redis_url)
    [provider_id] = complaint["provider_message_ids"]
    assert re.fullmatch(r"api:ip-[0-9a-f]{20}:k-4715", provider_id)
    assert CITIZEN not in json.dumps(complaint)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION_ID = re.compile(r'name="submission_id" value="([^"]+)"')


def test_the_forms_submission_id_is_bound_to_its_body(client, redis_url):
    html = client.get("/lapor").get_data(as_text=True)
    form = {"csrf_token": CSRF.search(html).group(1),
            "submission_id": SUBMISSION_ID.search(html).group(1), **SUBMISSION}
    first = client.post("/lapor", data=form)
    assert first.status_code == 200
    double_click = client.post("/lapor", data=form)
    assert double_click.status_code == 200
    edited = client.post("/lapor", data=dict(form, body=OTHER["body"]))
    assert edited.status_code == 422
    page = edited.get_data(as_text=True)
    assert "sudah pernah dikirim dengan isi yang lain" in page and "Traceback" not in page
    assert queue_length(redis_url) == 1 and queued(redis_url)[0]["body"] == SUBMISSION["body"]
