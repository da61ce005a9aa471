"""Service-level reminders with the default settings, real Redis and the real forwarder:
the clock is moved (injected), never a setting shortened. Yellow and red each reach the
central system once, with several workers and across a worker dying mid-way; a
reclassification moves the instants; a finished complaint gets none."""
from __future__ import annotations

import json
import threading
from datetime import date, datetime

import pytest
import redis

from forwarder import central as contract
from forwarder.sla import LEASE_SECONDS, SlaReminders, instants
from forwarder.topology import COMPLAINTS
from forwarder.worker import ForwardWorker
from normalizer import service_level
from normalizer.schema import FollowUpEventSchema
from tests.forwarder.conftest import CENTRAL_SECRET
from tests.helpers import inbound, queued_bodies, wait_for


def new_complaint(parts, text="LAPOR jalan rusak di depan SDN 3", **fields):
    outcome = parts.intake.take(inbound(text, **fields))
    body = parts.store.complaint(outcome.complaint_id)
    due = date.fromisoformat(body["service_level"]["due_date"])
    return outcome.tracking_number, instants(body["service_level"]["class"], due)


def sla_events(parts) -> list[dict]:
    bodies = queued_bodies(redis.Redis.from_url(parts.settings.redis_url), COMPLAINTS)
    return [body for body in bodies if body.get("type") == "sla"]


def test_yellow_then_red_once_each(parts):
    number, when = new_complaint(parts)
    assert SlaReminders(parts, clock=lambda: when["yellow"] - 1).tick() == 0      # still green
    assert SlaReminders(parts, clock=lambda: when["yellow"] + 1).tick() == 1
    assert SlaReminders(parts, clock=lambda: when["yellow"] + 2).tick() == 0      # once
    assert SlaReminders(parts, clock=lambda: when["red"] + 1).tick() == 1
    assert SlaReminders(parts, clock=lambda: when["red"] + 10 * 86400).tick() == 0
    events = sla_events(parts)
    assert [e["service_level"]["colour"] for e in events] == ["yellow", "red"]
    for event in events:
        assert FollowUpEventSchema().validate(event) == {}
        assert event["tracking_number"] == number and event["channel"] == "kannel"
        assert event["service_level"]["class"] == "pengaduan-14"
    assert parts.store.sla.when(number) == {}


def test_several_workers_send_each_reminder_once(parts):
    schedule = [new_complaint(parts, f"LAPOR jalan rusak nomor {i}", sender=f"0812000000{i:02d}")
                for i in range(12)]
    latest = max(when["red"] for _, when in schedule) + 1
    workers = [SlaReminders(parts, clock=lambda: latest) for _ in range(4)]
    counts = []
    threads = [threading.Thread(target=lambda w=w: counts.append(sum(w.tick() for _ in range(5))))
               for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(counts) == 24
    events = sla_events(parts)
    assert len(events) == 24 and len({e["event_id"] for e in events}) == 24


def test_a_worker_that_dies_after_recording_sends_nothing_twice(parts):
    number, when = new_complaint(parts)
    dying = SlaReminders(parts, clock=lambda: when["yellow"] + 1)
    (claimed,) = parts.store.sla.claim(when["yellow"] + 1, LEASE_SECONDS)
    assert dying.remind(number, "yellow", when["yellow"] + 1)      # recorded, then killed
    # before its lease runs out nobody takes it; afterwards one does, and the dedup holds
    assert SlaReminders(parts, clock=lambda: when["yellow"] + 2).tick() == 0
    later = SlaReminders(parts, clock=lambda: when["yellow"] + LEASE_SECONDS + 2)
    assert later.tick() == 0
    assert len(sla_events(parts)) == 1 and "yellow" not in parts.store.sla.when(number)


def test_a_worker_that_dies_before_recording_is_replaced_after_its_lease(parts):
    number, when = new_complaint(parts)
    parts.store.sla.claim(when["yellow"] + 1, LEASE_SECONDS)         # claimed, then killed
    assert SlaReminders(parts, clock=lambda: when["yellow"] + 2).tick() == 0
    assert SlaReminders(parts, clock=lambda: when["yellow"] + LEASE_SECONDS + 2).tick() == 1
    assert len(sla_events(parts)) == 1


def signed(client, body: dict):
    raw = json.dumps(body).encode()
    headers = contract.signed_headers(CENTRAL_SECRET, raw, "cb", kind=contract.STATUS_TO_GATEWAY)
    return client.post("/api/v1/central/status", data=raw, headers=headers)


def test_reclassification_moves_the_due_date_and_the_reminders(client, parts):
    number, old = new_complaint(parts)
    received = parts.store.status(number)["received_at"]
    answer = signed(client, {"tracking_number": number, "status": "proses",
                             "service_level": "pengaduan-60"})
    assert answer.status_code == 200
    day = datetime.fromisoformat(received).astimezone(service_level.WIB).date()
    due = service_level.due_date("pengaduan-60", day)
    assert parts.store.status(number)["due_date"] == due.isoformat()
    new = instants("pengaduan-60", due)
    assert parts.store.sla.when(number) == new and new["yellow"] > old["red"]
    assert SlaReminders(parts, clock=lambda: old["red"] + 1).tick() == 0      # green again
    assert SlaReminders(parts, clock=lambda: new["yellow"] + 1).tick() == 1
    (event,) = sla_events(parts)
    assert event["service_level"]["class"] == "pengaduan-60"
    assert event["service_level"]["due_date"] == due.isoformat()
    api = client.get(f"/api/v1/complaints/{number}").get_json()
    assert api["service_level"] == "pengaduan-60" and api["colour"] == "green"


def test_the_central_systems_own_due_date_wins_and_a_past_one_is_red(client, parts):
    number, _ = new_complaint(parts)
    assert signed(client, {"tracking_number": number, "status": "proses",
                           "due_date": "2026-01-05"}).status_code == 200
    assert client.get(f"/api/v1/complaints/{number}").get_json()["colour"] == "red"
    assert parts.store.sla.when(number) == instants("pengaduan-14", date(2026, 1, 5))
    assert parts.intake.status_reply(number).endswith("Batas: 05-01-2026 (MERAH).")   # CEK
    assert parts.intake.status_reply(number, "en").endswith("Due: 05-01-2026 (RED).")
    page = client.get(f"/lapor/cek?nomor={number}").get_data(as_text=True)
    assert "Indikator tindak lanjut" in page and "MERAH" in page


def test_a_new_complaint_is_green_everywhere(client, parts):
    number, _ = new_complaint(parts)
    assert client.get(f"/api/v1/complaints/{number}").get_json()["colour"] == "green"
    assert "(HIJAU)." in parts.intake.status_reply(number)


def test_a_finished_complaint_gets_no_reminders(client, parts):
    number, when = new_complaint(parts)
    assert signed(client, {"tracking_number": number, "status": "selesai"}).status_code == 200
    assert parts.store.sla.when(number) == {}
    assert SlaReminders(parts, clock=lambda: when["red"] + 1).tick() == 0


@pytest.mark.timeout(60)
def test_the_forwarder_delivers_reminders_to_the_central_events_url(parts, receiver, start_worker):
    number, when = new_complaint(parts)
    start_worker(ForwardWorker, clock=lambda: when["red"] + 1)
    wait_for(lambda: len([b for b in receiver.json_bodies() if b.get("type") == "sla"]) == 2,
             timeout=30, message="two sla events delivered")
    sla = [r for r in receiver.requests if json.loads(r["body"] or b"{}").get("type") == "sla"]
    assert {r["path"] for r in sla} == {"/events"}
    assert {json.loads(r["body"])["service_level"]["colour"] for r in sla} == {"yellow", "red"}
    assert all(r["headers"]["x-lapor-signature"].startswith("v2=") for r in sla)
    assert any(json.loads(r["body"]).get("tracking_number") == number for r in receiver.requests)
