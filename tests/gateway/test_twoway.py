"""Two-way core: follow-ups, edits, commands, status callbacks and notices, opt-out, media.

Driven through the SMS door (Kannel adapter, replies inline) and the pipeline directly;
the forwarder delivers to a local central receiver, the notifier sends through a local
stand-in for Kannel's sendsms.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest

from channels.base import ChannelAdapter, SendError
from normalizer.values import Attachment
from config.doors import Door
from forwarder import central as contract
from forwarder.media import MediaWorker
from forwarder.notifier import NotifyWorker
from forwarder.worker import ForwardWorker
from normalizer.schema import ComplaintSchema, FollowUpEventSchema
from tests.helpers import Receiver, inbound, wait_for

SECRET = "central-two-way-secret"
LINK = contract.ATTACHMENT_LINK


@pytest.fixture
def central():
    with Receiver() as running:
        yield running


@pytest.fixture
def sendsms():
    with Receiver(default=(202, {}, b"0: Accepted for delivery")) as running:
        yield running


@pytest.fixture
def environ(environ, central, sendsms):
    environ.update(LAPOR_CENTRAL_URL=central.url, LAPOR_CENTRAL_SECRET=SECRET,
                   LAPOR_DOOR_SMS_1708_SENDSMS_URL=sendsms.url + "/cgi-bin/sendsms?username=u&password=p",
                   LAPOR_RETRY_BASE_SECONDS="0.05", LAPOR_RETRY_CAP_SECONDS="0.2",
                   LAPOR_FOLLOWUP_MINUTES="30")
    return environ


@pytest.fixture
def workers(parts):
    stop = threading.Event()
    threads = [threading.Thread(target=cls(parts, stop).run, daemon=True)
               for cls in (ForwardWorker, NotifyWorker, MediaWorker)]
    for thread in threads:
        thread.start()
    yield
    stop.set()
    for thread in threads:
        thread.join(15)


def _sms(client, text, sender="081234567890", msg_id=None):
    answer = client.get("/in/sms-1708", query_string={
        "secret": "kannel-door-secret", "from": sender, "to": "1708", "text": text,
        "charset": "UTF-8", "coding": "0", "id": msg_id or f"m-{time.monotonic_ns()}"})
    assert answer.status_code == 200, answer.data
    return answer.get_data(as_text=True)


def _signed(client, body: dict, secret=SECRET, stamp=None):
    raw = json.dumps(body).encode()
    headers = contract.signed_headers(secret, raw, "cb", now=stamp, kind=contract.STATUS_TO_GATEWAY)
    return client.post("/api/v1/central/status", data=raw, headers=headers)


def _number(reply: str) -> str:
    return reply.split("No. lacak: ")[1][:13].replace("-", "")


def test_followup_joins_the_open_complaint(client, parts, central, workers):
    first = _sms(client, "Jalan rusak di depan SDN 3")
    second = _sms(client, "lubangnya sudah dua meter, bahaya untuk motor")
    number = _number(first)
    assert "Tambahan untuk laporan" in second and number[:4] in second
    wait_for(lambda: len(central.requests) == 2, message="complaint and event delivered")
    paths = sorted(r["path"] for r in central.requests)
    assert paths == ["/", "/events"]
    complaint = next(json.loads(r["body"]) for r in central.requests if r["path"] == "/")
    event = next(json.loads(r["body"]) for r in central.requests if r["path"] == "/events")
    assert ComplaintSchema().validate(complaint) == {}
    assert FollowUpEventSchema().validate(event) == {}
    assert event["type"] == "followup" and event["complaint_id"] == complaint["id"]
    assert event["tracking_number"] == number
    assert event["body"] == "lubangnya sudah dua meter, bahaya untuk motor"
    headers = next(r["headers"] for r in central.requests if r["path"] == "/events")
    assert headers["idempotency-key"] == event["event_id"]
    assert contract.verify_signature(SECRET, next(r["body"] for r in central.requests
                                                  if r["path"] == "/events"),
                                     headers["x-lapor-timestamp"], headers["x-lapor-signature"],
                                     contract.EVENT_TO_CENTRAL) == ""


def test_keyword_or_other_reporter_starts_a_new_complaint(client, parts):
    first = _number(_sms(client, "Jalan rusak di depan SDN 3"))
    again = _sms(client, "LAPOR lampu jalan mati di gang 5")
    other = _sms(client, "sampah menumpuk", sender="081299999999")
    assert "No. lacak" in again and _number(again) != first
    assert "No. lacak" in other and _number(other) != first
    assert parts.store.redis.llen("lapor.complaints") == 3


def test_retried_followup_is_one_event(client, parts):
    _sms(client, "Jalan rusak di depan SDN 3")
    one = _sms(client, "foto menyusul", msg_id="dup-1")
    two = _sms(client, "foto menyusul", msg_id="dup-1")
    assert "Tambahan" in one and "sudah kami terima sebelumnya" in two
    assert parts.store.redis.llen("lapor.complaints") == 2


def test_followups_off_when_window_is_zero(environ, redis_url):
    from config.settings import load_settings
    from gateway.wiring import build_parts

    environ["LAPOR_FOLLOWUP_MINUTES"] = "0"
    parts = build_parts(load_settings(environ))
    one = parts.intake.take(inbound("Jalan rusak"))
    two = parts.intake.take(inbound("masih rusak"))
    assert not two.followup and one.tracking_number != two.tracking_number
    parts.publisher.close()


def test_edit_becomes_an_edit_event(parts):
    original = parts.intake.take(inbound("Jalan rusak di Jl. Mawar", provider_id="77"))
    edit = parts.intake.take(replace(inbound("Jalan rusak di Jl. Melati", provider_id="77:edit:1"),
                                     is_edit=True, meta={"edit_of": "77"}))
    assert edit.followup and edit.tracking_number == original.tracking_number
    assert "Perubahan laporan" in edit.reply_text
    event = json.loads(parts.store.redis.lindex("lapor.complaints", 0))
    assert event["headers"]["kind"] == "event"


def test_new_thread_flag_starts_a_new_complaint(parts):
    first = parts.intake.take(inbound("Jalan rusak"))
    second = parts.intake.take(replace(inbound("sampah"), new_thread=True))
    assert not second.followup and second.tracking_number != first.tracking_number


def test_status_callback_updates_cek_and_notifies_by_sms(client, parts, central, sendsms, workers):
    number = _number(_sms(client, "LAPOR pungli di kelurahan", sender="081277700011"))
    answer = _signed(client, {"tracking_number": number, "status": "proses",
                              "agency": "Inspektorat Kota", "service_level": "pengaduan-60",
                              "due_date": "2027-02-19"})
    assert answer.status_code == 200 and answer.get_json() == {"ok": True, "notified": True}
    cek = _sms(client, f"CEK {number}", sender="081200000000")
    assert "sedang diproses" in cek and "Inspektorat Kota" in cek and "19-02-2027" in cek
    wait_for(lambda: sendsms.requests, message="status notice through sendsms")
    query = sendsms.requests[0]["path"]
    assert "to=%2B6281277700011" in query and "Inspektorat" in query
    status = client.get(f"/api/v1/complaints/{number}").get_json()
    assert status["status"] == "proses" and status["agency"] == "Inspektorat Kota"


def test_stop_ends_notices_and_mulai_resumes(client, parts, sendsms, workers):
    number = _number(_sms(client, "LAPOR jalan rusak", sender="081277700022"))
    assert "tidak akan menerima kabar" in _sms(client, "STOP", sender="081277700022")
    assert _signed(client, {"tracking_number": number, "status": "verifikasi"}).get_json()["notified"] is False
    assert "akan kami kirim lagi" in _sms(client, "mulai", sender="081277700022")
    assert _signed(client, {"tracking_number": number, "status": "proses"}).get_json()["notified"] is True
    wait_for(lambda: len(sendsms.requests) == 1, message="one notice after MULAI")


def test_web_reporter_with_a_phone_is_notified_by_sms(client, parts, sendsms, workers):
    answer = client.post("/api/v1/complaints", json={
        "classification": "pengaduan", "body": "Jembatan gantung di desa kami putus",
        "contact": "081277700033"})
    number = answer.get_json()["tracking_number"]
    assert _signed(client, {"tracking_number": number, "status": "selesai"}).get_json()["notified"]
    wait_for(lambda: sendsms.requests, message="notice relayed through the SMS door")
    assert "to=%2B6281277700033" in sendsms.requests[0]["path"]


def test_anonymous_web_reporter_is_not_notified(client):
    answer = client.post("/api/v1/complaints", json={
        "classification": "pengaduan", "body": "Kepala desa minta uang surat", "anonymous": True,
        "contact": "081277700044"})
    number = answer.get_json()["tracking_number"]
    assert _signed(client, {"tracking_number": number, "status": "proses"}).get_json()["notified"] is False


@pytest.mark.parametrize("case,status", [("unsigned", 401), ("wrong-key", 401), ("stale", 401),
                                         ("unknown", 404), ("invalid", 422), ("replay", 401)])
def test_status_callback_refusals(client, parts, case, status):
    number = parts.intake.take(inbound("LAPOR x")).tracking_number
    body = {"tracking_number": number, "status": "proses"}
    if case == "unsigned":
        answer = client.post("/api/v1/central/status", json=body)
    elif case == "wrong-key":
        answer = _signed(client, body, secret="not-the-secret")
    elif case == "stale":
        answer = _signed(client, body, stamp=time.time() - 3600)
    elif case == "unknown":
        answer = _signed(client, {"tracking_number": "00000000000", "status": "proses"})
    elif case == "invalid":
        answer = _signed(client, {"tracking_number": number, "status": "hilang"})
    else:
        raw = json.dumps(body).encode()
        headers = contract.signed_headers(SECRET, raw, "cb", kind=contract.STATUS_TO_GATEWAY)
        assert client.post("/api/v1/central/status", data=raw, headers=headers).status_code == 200
        answer = client.post("/api/v1/central/status", data=raw, headers=headers)
    assert answer.status_code == status
    text = answer.get_data(as_text=True)
    assert "Traceback" not in text and SECRET not in text
    if case != "replay":
        assert parts.store.status(number)["status"] == "diterima"


class _MediaDoor(ChannelAdapter):
    """A provider door whose media lives on a local stand-in (for the media worker)."""
    name = "media-test"

    def fetch_media(self, attachment):
        import requests

        answer = requests.get(attachment.provider_ref, timeout=5)
        if answer.status_code >= 500:
            raise SendError(f"provider answered {answer.status_code}")
        if answer.status_code >= 400:
            raise SendError(f"provider refused with {answer.status_code}", permanent=True)
        return answer.content, answer.headers.get("Content-Type", "")


def test_media_is_fetched_after_the_ack_and_retried(parts, central, workers, tmp_path):
    door = Door(id="media-door", channel="media-test", agency="KemenPANRB")
    parts.catalogue.doors[door.id] = door
    parts.adapters[door.id] = _MediaDoor(door, parts.settings)
    parts.intake._contexts[door.id] = parts.intake._contexts["sms-1708"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with Receiver(default=(200, {"Content-Type": "image/png"}, png)) as provider:
        provider.responses = [(503, {}, b"busy")]
        message = replace(inbound("LAPOR banjir, ini fotonya", door="media-door", channel="media-test"),
                          attachments=(Attachment("image", "image/png", provider_ref=provider.url + "/m/1"),))
        outcome = parts.intake.take(message)
        assert "No. lacak" in outcome.reply_text          # answered before any fetch
        wait_for(lambda: any(r["path"] == "/events" for r in central.requests), timeout=15,
                 message="media event delivered")
        assert len(provider.requests) == 2                 # 503, then 200
    event = next(json.loads(r["body"]) for r in central.requests if r["path"] == "/events")
    [stored] = event["attachments"]
    assert event["type"] == "media" and event["tracking_number"] == outcome.tracking_number
    assert stored["size"] == len(png) and stored["stored_ref"] == f"attachment:{stored['sha256']}"
    saved = parts.settings.data_dir / "attachments" / stored["sha256"][:2] / stored["sha256"]
    assert saved.read_bytes() == png


def test_central_fetches_attachment_bytes_with_a_signed_request(client, parts):
    from forwarder.attachments import write

    data = b"%PDF-1.4 surat keterangan"
    digest = write(parts.settings.attachments_dir, data)
    path = f"/api/v1/central/attachments/{digest}"
    answer = client.get(path, headers=contract.signed_headers(SECRET, path.encode(), "x", kind=LINK))
    assert answer.status_code == 200 and answer.data == data
    assert answer.mimetype == "application/octet-stream"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert client.get(path).status_code == 401
    forged = contract.signed_headers("wrong", path.encode(), "x", kind=LINK)
    assert client.get(path, headers=forged).status_code == 401
    other = "/api/v1/central/attachments/" + "0" * 64
    assert client.get(other, headers=contract.signed_headers(SECRET, other.encode(), "x", kind=LINK)).status_code == 404
    bad = "/api/v1/central/attachments/..%2F..%2Fsecret_key"
    headers = contract.signed_headers(SECRET, bad.encode(), "x", kind=LINK)
    assert client.get(bad, headers=headers).status_code in (400, 401, 404)
