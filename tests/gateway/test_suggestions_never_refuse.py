"""A failing region resolver or routing never refuses, delays or drops a complaint.

The suggestions are computed during intake; here they raise, and the complaint is still
accepted, numbered and queued, with a flag saying what is missing, and the log line says
only the exception's type (the privacy watch checks every line for the reporter).
"""
from __future__ import annotations

import logging

from normalizer import region, routing
from tests.gateway.support import queued

SUBMISSION = {"classification": "pengaduan", "body": "Jalan rusak di Kec. Sangatta Utara, Kutai Timur",
              "name": "Siti Aminah", "contact": "+62 812-3333-4444", "location": "Kec. Sangatta Utara"}


def _broken(*args, **kwargs):
    raise RuntimeError("Siti Aminah +6281233334444 Kec. Sangatta Utara")


def test_a_failing_resolver_still_queues_the_complaint(client, redis_url, monkeypatch, caplog):
    monkeypatch.setattr(region, "resolve", _broken)
    with caplog.at_level(logging.ERROR, logger="normalizer.suggestion"):
        answer = client.post("/api/v1/complaints", json=SUBMISSION)
    assert answer.status_code == 201, answer.get_json()
    [complaint] = queued(redis_url)
    assert complaint["tracking_number"] == answer.get_json()["tracking_number"]
    assert "region_failed" in complaint["flags"]
    assert complaint["location"]["region"] is None and complaint["location"]["text"] == "Kec. Sangatta Utara"
    assert complaint["routing"]["agency"] == "Dinas PU PERA"         # routing goes on without a region
    [line] = [r.getMessage() for r in caplog.records if r.name == "normalizer.suggestion"]
    assert line == "region resolver failed (RuntimeError); the complaint goes on without a region"


def test_a_failing_routing_sends_it_to_the_national_admin(client, redis_url, monkeypatch, caplog):
    monkeypatch.setattr(routing, "suggest", _broken)
    with caplog.at_level(logging.ERROR, logger="normalizer.suggestion"):
        answer = client.post("/api/v1/complaints", json=SUBMISSION)
    assert answer.status_code == 201
    [complaint] = queued(redis_url)
    assert "routing_failed" in complaint["flags"]
    assert complaint["routing"]["agency"] == routing.NATIONAL_ADMIN and complaint["routing"]["confidence"] == 0
    assert complaint["location"]["region"]["code"] == "64.08.04"
    assert all("Siti" not in r.getMessage() and "Sangatta" not in r.getMessage() for r in caplog.records)


def test_the_complaint_carries_its_region_and_routing(client, redis_url):
    answer = client.post("/api/v1/complaints", json={**SUBMISSION, "location": ""})
    assert answer.status_code == 201
    [complaint] = queued(redis_url)
    assert complaint["location"]["region"]["district"] == "Sangatta Utara"
    assert complaint["location"]["region"]["source"] == "text"
    assert complaint["routing"]["region_code"] == "64.08" and not complaint["flags"]
