"""Linking ("me too") through the real intake and Redis: the same problem reported twice in
one region is linked (never merged: both are queued), the citizen is told, a finished or
old complaint is not a candidate, and a broken index never refuses a complaint."""
from __future__ import annotations

import json
import logging
import time
from datetime import date

import pytest
import redis

from config import messages
from forwarder import central as contract
from forwarder import keys
from forwarder.topology import COMPLAINTS
from normalizer import linking, service_level, tracking
from normalizer.schema import ComplaintSchema
from normalizer.values import Location
from tests.helpers import inbound, queued_bodies

SECRET = "central-metoo-secret"
PLACE = "Jl. Pramuka, Samarinda"


@pytest.fixture
def environ(environ):
    environ.update(LAPOR_CENTRAL_URL="http://127.0.0.1:9/", LAPOR_CENTRAL_SECRET=SECRET)
    return environ


def submit(client, body: str, location: str = PLACE, contact: str = "081234567890", lang="id"):
    answer = client.post("/api/v1/complaints", json={
        "classification": "pengaduan", "body": body, "location": location,
        "contact": contact, "language": lang})
    assert answer.status_code == 201, answer.data
    return answer.get_json()


def queued(parts) -> dict[str, dict]:
    bodies = queued_bodies(redis.Redis.from_url(parts.settings.redis_url), COMPLAINTS)
    return {body["tracking_number"]: body for body in bodies if "id" in body}


def test_the_same_problem_twice_is_linked_both_are_forwarded_and_the_citizen_is_told(client, parts):
    first = submit(client, "Jalan rusak parah di jl. pramuka depan indomaret, lubangnya dalam")
    second = submit(client, "jln pramuka dpn indomaret rusak parah, lubang dalam bgt",
                    contact="081399988877")
    assert "Warga lain juga melaporkan masalah ini" not in first["message"]
    assert "Warga lain juga melaporkan masalah ini" in second["message"]
    assert first["tracking_number"] not in second["message"]       # never the others' numbers
    bodies = queued(parts)
    assert set(bodies) == {first["tracking_number"], second["tracking_number"]}   # never merged
    assert bodies[first["tracking_number"]]["related"] == []
    related = bodies[second["tracking_number"]]["related"]
    assert [item["tracking_number"] for item in related] == [first["tracking_number"]]
    assert related[0]["similarity"] >= parts.settings.link_similarity
    for body in bodies.values():
        assert ComplaintSchema().validate(body) == {}
    third = submit(client, "Jalan pramuka depan indomaret rusak parah lubang dalam sekali",
                   contact="081311122233", lang="en")
    assert "Others reported the same problem" in third["message"]
    assert len(queued(parts)[third["tracking_number"]]["related"]) == 2


def test_an_sms_ack_that_says_so_still_fits_one_sms(parts):
    where = Location(text=PLACE)
    parts.intake.take(inbound("LAPOR jalan rusak parah depan pasar minggu", location=where))
    outcome = parts.intake.take(inbound("LAPOR jln dpn pasar minggu rusak parah",
                                        sender="081355566677", location=where))
    assert outcome.reply_text.startswith("LAPOR! Diterima")
    due = messages.format_date(parts.store.status(outcome.tracking_number)["due_date"])
    assert len(outcome.reply_text) <= 160 and outcome.reply_text == messages.text(
        "ack_related", "id", tracking=tracking.display(outcome.tracking_number),
        compact=outcome.tracking_number, where=" ke 1708", due=due)


def test_other_region_or_other_problem_is_not_linked(client, parts):
    submit(client, "Lampu PJU di jalan juanda mati semua sudah seminggu, gelap rawan begal")
    elsewhere = submit(client, "Lampu PJU di jalan juanda mati semua sudah seminggu, gelap",
                       location="Jl. Juanda, Bandung", contact="081300000001")
    other = submit(client, "Air PDAM di perumahan mati sejak kemarin pagi", contact="081300000002")
    bodies = queued(parts)
    assert bodies[elsewhere["tracking_number"]]["related"] == []
    assert bodies[other["tracking_number"]]["related"] == []


def test_region_codes_group_complaints_by_regency(parts):
    """Location codes (the region field's lowest level) group complaints by regency."""
    sms = parts.intake.take(inbound("LAPOR sampah numpuk di TPS pasar ciroyom ga diangkut2",
                                    location=Location(region_codes=("32.73.01.1001",))))
    chat = parts.intake.take(inbound("TPS pasar Ciroyom penuh sampah tidak diangkut",
                                     sender="081377788899",
                                     location=Location(region_codes=("32.73.14",))))
    assert queued(parts)[chat.tracking_number]["related"][0]["tracking_number"] == sms.tracking_number


def signed(client, body: dict):
    raw = json.dumps(body).encode()
    headers = contract.signed_headers(SECRET, raw, "cb", kind=contract.STATUS_TO_GATEWAY)
    return client.post("/api/v1/central/status", data=raw, headers=headers)


def test_a_finished_complaint_is_no_longer_a_candidate(client, parts):
    first = submit(client, "Saluran drainase di jl. pramuka tersumbat sampah, air meluap")
    assert signed(client, {"tracking_number": first["tracking_number"], "status": "selesai"}).status_code == 200
    again = submit(client, "drainase jl pramuka mampet sampah, air meluap ke jalan",
                   contact="081300000003")
    assert queued(parts)[again["tracking_number"]]["related"] == []


def test_an_entry_older_than_the_window_is_not_a_candidate(client, parts):
    first = submit(client, "Jembatan kayu di gang mawar papannya banyak yang patah")
    entry = linking.fingerprint(queued(parts)[first["tracking_number"]])
    store = redis.Redis.from_url(parts.settings.redis_url)
    aged = time.time() - (parts.settings.link_window_days * 86400 + 60)
    for band in entry.bands:            # as if received 30 days and a minute ago
        store.zadd(keys.link_bucket(entry.region, band), {first["tracking_number"]: aged})
    again = submit(client, "jembatan kayu gang mawar papannya patah2", contact="081300000004")
    assert queued(parts)[again["tracking_number"]]["related"] == []
    assert store.ttl(keys.link_signatures(entry.region)) > 29 * 86400


def test_a_broken_index_never_refuses_or_delays_a_complaint(client, parts, caplog):
    first = submit(client, "Pohon tumbang menutup jalan pramuka belum dibersihkan")
    region = linking.fingerprint(queued(parts)[first["tracking_number"]]).region
    store = redis.Redis.from_url(parts.settings.redis_url)
    store.delete(keys.link_signatures(region))
    store.set(keys.link_signatures(region), "not a hash")          # WRONGTYPE for the index
    with caplog.at_level(logging.WARNING, "lapor.linking"):
        again = submit(client, "jalan pramuka tertutup pohon tumbang belum dibersihkan",
                       contact="081300000005")
    assert "linking skipped" in caplog.text
    body = queued(parts)[again["tracking_number"]]
    assert body["related"] == [] and parts.store.status(again["tracking_number"])["status"] == "diterima"
    assert set(parts.store.sla.when(again["tracking_number"])) == {"yellow", "red"}   # scheduled


def test_reminders_are_scheduled_with_the_complaint(parts):
    outcome = parts.intake.take(inbound("LAPOR jalan rusak di depan SDN 3"))
    body = parts.store.complaint(outcome.complaint_id)
    due = date.fromisoformat(body["service_level"]["due_date"])
    expected = {colour: at.timestamp() for colour, at in
                service_level.turns_at("pengaduan-14", due).items()}
    assert parts.store.sla.when(outcome.tracking_number) == expected


def test_the_web_forms_done_page_says_others_reported_it(client):
    from tests.gateway.test_forms import fields, open_form

    pages = []
    for contact in ("081300000006", "081300000007"):
        csrf, submission = open_form(client)
        page = client.post("/lapor", data=fields(csrf, submission, contact=contact, title="",
                                                 body="Lampu jalan di gang mawar mati semua"))
        assert page.status_code == 200
        pages.append(page.get_data(as_text=True))
    assert 'id="others-reported"' not in pages[0]
    assert "Warga lain juga sudah melaporkan masalah yang sama" in pages[1]
