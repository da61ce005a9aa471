"""The README's central-consumer example is the file that this test runs: it takes what
the real gateway queued from several doors (SMS, the JSON API, the web form with a photo;
plain, anonymous and confidential; complaints and follow-up and edit events) and checks
each against the published JSON Schemas (``schemas/``) before saving it; a message that
breaks the contract is refused, never saved."""
from __future__ import annotations

import base64
import io
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from kombu import Connection, Queue
from nacl.public import PrivateKey

from examples.central_consumer import EXCHANGE, consume
from tests.gateway.support import png_bytes
from tests.helpers import inbound

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')


@pytest.fixture
def environ(environ):
    key = PrivateKey.generate().public_key.encode()
    environ["LAPOR_CENTRAL_PUBLIC_KEY"] = base64.b64encode(key).decode()   # confidential: sealed
    return environ


@pytest.fixture
def central_queue(redis_url):
    """The central side declares its own queue first, bound to every complaint and event."""
    with Connection(redis_url) as connection:
        Queue("central.copy", EXCHANGE, routing_key="complaint.#", durable=True)(
            connection.default_channel).declare()
    return "central.copy"


def test_readme_shows_the_example_verbatim():
    example = (ROOT / "examples" / "central_consumer.py").read_text()
    assert example.strip() in (ROOT / "README.md").read_text()


def test_central_binds_its_own_queue_and_dedups_on_the_key(parts, redis_url, central_queue):
    outcome = parts.intake.take(inbound("LAPOR sampah tidak diangkut seminggu"))
    complaint = parts.store.complaint(parts.store.redis.get(
        f"lapor:t:{outcome.tracking_number}").decode())
    parts.publisher.publish("complaint.reconcile.kannel", complaint, complaint["id"], "complaint")
    saved = []
    taken = consume(redis_url, lambda key, body: saved.append((key, body)),
                    queues=(central_queue,), limit=2)
    assert taken == 2
    assert [(key, body["tracking_number"]) for key, body in saved] == [
        (complaint["id"], outcome.tracking_number)]


def _sms(client, text, sender="081234567890"):
    answer = client.get("/in/sms-1708", query_string={
        "secret": "kannel-door-secret", "from": sender, "to": "1708", "text": text,
        "charset": "UTF-8", "coding": "0", "id": f"m-{time.monotonic_ns()}"})
    assert answer.status_code == 200, answer.data


def _api(client, **submission):
    answer = client.post("/api/v1/complaints", json=submission)
    assert answer.status_code == 201, answer.get_json()


def _form_with_photo(client):
    page = client.get("/lapor").get_data(as_text=True)
    answer = client.post("/lapor", content_type="multipart/form-data", data={
        "csrf_token": CSRF.search(page).group(1), "submission_id": SUBMISSION.search(page).group(1),
        "classification": "permintaan_informasi", "title": "Jadwal posyandu",
        "body": "Mohon informasi jadwal posyandu di Kelurahan Sukajadi bulan ini.",
        "name": "Siti Aminah", "contact": "siti@example.org", "location": "Jl. Merdeka 10",
        "attachments": [(io.BytesIO(png_bytes()), "foto papan.png")]})
    assert answer.status_code == 200


def _from_every_kind_of_door(client, parts):
    """Nine messages: seven complaints, a follow-up event and an edit event."""
    _sms(client, "Jalan rusak di depan SDN 3")
    _sms(client, "lubangnya sudah dua meter")                       # a follow-up event
    _sms(client, "LAPOR ANONIM kepala desa minta uang surat keterangan", sender="081211112222")
    _sms(client, "RAHASIA pungutan liar di puskesmas", sender="081233334444")
    _api(client, body="Mohon tambah lampu jalan di Jl. Melati.", classification="aspirasi",
         latitude=-6.9, longitude=107.6, location="Jl. Melati, Bandung")
    _api(client, body="Petugas parkir liar memeras pengendara.", anonymous=True, language="en")
    _api(client, body="Guru honorer belum digaji tiga bulan.", confidential=True,
         name="Budi", contact="0812 5555 6666")
    _form_with_photo(client)
    original = inbound("Banjir di Jl. Mawar setinggi lutut", provider_id="77", sender="081277778888")
    parts.intake.take(original)
    parts.intake.take(replace(inbound("Banjir di Jl. Melati setinggi lutut", provider_id="77:edit:1",
                                      sender="081277778888"), is_edit=True, meta={"edit_of": "77"}))


def test_every_door_s_messages_keep_the_published_contract(client, parts, redis_url, central_queue):
    _from_every_kind_of_door(client, parts)
    saved, refused = [], []
    taken = consume(redis_url, lambda key, body: saved.append(body), queues=(central_queue,),
                    limit=10, refuse=lambda key, reason: refused.append(reason))
    assert taken == 10 and refused == []
    complaints = [body for body in saved if "event_id" not in body]
    events = [body for body in saved if "event_id" in body]
    assert len(complaints) == 8 and sorted(event["type"] for event in events) == ["edit", "followup"]
    assert {body["door"] for body in complaints} == {"sms-1708", "web"}
    assert sum(body["privacy"]["anonymous"] for body in complaints) == 2
    assert sum(body["privacy"]["confidential"] for body in complaints) == 2
    assert all(body["reporter"]["sealed"] for body in complaints
               if body["privacy"]["confidential"] and body["reporter"].get("kind") != "none")
    [photo] = [body for body in complaints if body["attachments"]]
    assert photo["attachments"][0]["content_type"] == "image/png"


def _broken(complaint: dict, change: str) -> dict:
    broken = {**complaint, "reporter": dict(complaint["reporter"])}
    if change == "no tracking number":
        del broken["tracking_number"]
    elif change == "unknown classification":
        broken["classification"] = "keluhan"
    elif change == "not a time":
        broken["received_at"] = "kemarin sore"
    elif change == "unknown field":
        broken["reporter"]["phone"] = "+6281234567890"
    return broken


@pytest.mark.parametrize("change, reason", [
    ("no tracking number", "$: 'tracking_number' is a required property"),
    ("unknown classification", "$.classification: fails enum"),
    ("not a time", "$.received_at: fails format 'date-time'"),
    ("unknown field", "$.reporter: Additional properties are not allowed ('phone' was unexpected)"),
])
def test_a_message_that_breaks_the_contract_is_refused_not_saved(parts, redis_url, central_queue,
                                                                 change, reason):
    outcome = parts.intake.take(inbound("Sampah menumpuk di pasar"))
    complaint = parts.store.complaint(parts.store.redis.get(
        f"lapor:t:{outcome.tracking_number}").decode())
    parts.publisher.publish("complaint.replay.kannel", _broken(complaint, change), "broken-1",
                            "complaint")
    saved, refused = [], []
    taken = consume(redis_url, lambda key, body: saved.append(key), queues=(central_queue,),
                    limit=2, refuse=lambda key, why: refused.append((key, why)))
    assert taken == 2 and saved == [complaint["id"]]
    assert [key for key, _why in refused] == ["broken-1"] and refused[0][1].startswith(reason)
    for value in ("keluhan", "kemarin sore", "81234567890"):     # it names fields, never values
        assert value not in refused[0][1]
