"""Manual entry at ``/petugas/laporan/baru``, end to end: the officer's form through the
agency's manual door, the intake, real Redis, the queue and the real forwarder delivering
the complaint to a local central receiver; the due date counted from a past day received;
attachments; mistakes that keep what was typed; the receipt; the audit entry."""
from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timedelta

from channels.manual.adapter import WIB
from normalizer import service_level
from tests.helpers import wait_for
from tests.officers.conftest import OTHER_AGENCY
from tests.officers.support import token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64
GIF = b"GIF89a" + b"\x00" * 64
BODY = "Surat warga: lampu jalan di Jl. Merdeka mati sejak dua minggu."


def _today() -> date:
    return datetime.now(WIB).date()


def _fields(client, **changes) -> dict:
    form = client.get("/petugas/laporan/baru").get_data(as_text=True)
    submission = re.search(r'name="submission_id" value="([^"]+)"', form).group(1)
    fields = {"csrf_token": token(client, "/petugas/laporan/baru"), "submission_id": submission,
              "source": "surat", "received_on": _today().isoformat(), "classification": "pengaduan",
              "title": "Lampu jalan mati", "body": BODY, "location": "Jl. Merdeka 10, Bandung",
              "name": "Budi Santoso", "contact": "0812 3456 7890"}
    fields.update(changes)
    return {key: value for key, value in fields.items() if value is not None}


def _post(client, fields: dict, files=()):
    data = dict(fields)
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/petugas/laporan/baru", data=data, content_type="multipart/form-data")


def _central(receiver, number: str) -> dict:
    wait_for(lambda: any(body.get("tracking_number") == number for body in receiver.json_bodies()),
             timeout=15, message="the manual complaint delivered to central")
    return next(body for body in receiver.json_bodies() if body.get("tracking_number") == number)


def test_a_letter_received_last_week_reaches_central_with_its_door_owner_and_due_date(
        officer_client, parts, receiver, forwarder):
    client = officer_client("petugas", "KemenPANRB")
    received = _today() - timedelta(days=7)
    answer = _post(client, _fields(client, received_on=received.isoformat()),
                   files=[("surat warga.pdf", PDF), ("foto.png", PNG)])
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
    number = re.search(r"/petugas/laporan/(\d{11})/tanda-terima$", answer.headers["Location"]).group(1)
    complaint = _central(receiver, number)
    assert complaint["channel"] == "manual" and complaint["door"] == "manual-kemenpanrb"
    assert complaint["door_agency"] == "KemenPANRB"
    assert (complaint["meta"]["via"], complaint["meta"]["source"]) == ("desk", "surat")
    assert re.fullmatch(r"o-[0-9a-f]{20}", complaint["meta"]["entered_by"])
    assert client.officer["username"] not in json.dumps(complaint)
    assert complaint["received_at"].startswith(received.isoformat())
    expected_due = service_level.due_date(complaint["service_level"]["class"], received)
    assert complaint["service_level"]["due_date"] == expected_due.isoformat()
    assert [a["content_type"] for a in complaint["attachments"]] == ["application/pdf", "image/png"]
    assert complaint["reporter"]["name"] == "Budi Santoso"
    assert (parts.store.status(number) or {}).get("status") == "diteruskan"


def test_the_officer_pseudonym_is_the_one_of_the_officer(officer_client, parts):
    from normalizer.identity import officer_pseudonym

    client = officer_client("petugas", "KemenPANRB")
    answer = _post(client, _fields(client))
    number = answer.headers["Location"].split("/")[-2]
    complaint = parts.store.complaint(parts.store.tracking_owner(number))
    assert complaint["meta"]["entered_by"] == officer_pseudonym(parts.settings.secret_key,
                                                                client.officer["username"])


def test_an_anonymous_entry_keeps_no_identity_and_is_audited(officer_client, parts):
    client = officer_client("petugas", "KemenPANRB")
    answer = _post(client, _fields(client, anonymous="on", source="kotak_pengaduan"))
    number = answer.headers["Location"].split("/")[-2]
    complaint = parts.store.complaint(parts.store.tracking_owner(number))
    assert complaint["privacy"]["anonymous"] is True
    kept = json.dumps(complaint)    # the number as written and as E.164 (4 digits alone turn up in ids)
    assert "Budi" not in kept and "3456 7890" not in kept and "34567890" not in kept
    assert complaint["meta"]["source"] == "kotak_pengaduan"      # not keyed: it says nothing of the reporter
    [entry] = [row for row in parts.store.audit.read() if row["action"] == "manual_entry"]
    assert entry["actor"] == client.officer["username"] and entry["agency"] == "KemenPANRB"
    details = json.loads(entry["details"])
    assert details["tracking"] == number and details["door"] == "manual-kemenpanrb"
    assert details["source"] == "kotak_pengaduan" and details["duplicate"] is False


def test_mistakes_keep_what_was_typed_and_say_what_is_wrong(officer_client, parts):
    client = officer_client("petugas", "KemenPANRB")
    future = (_today() + timedelta(days=2)).isoformat()
    answer = _post(client, _fields(client, source="merpati", received_on=future, body="pendek",
                                   contact="bukan kontak"), files=[("animasi.gif", GIF)])
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Pilih cara laporan diterima." in page
    assert "Tanggal diterima tidak boleh lewat hari ini atau lebih dari 365 hari yang lalu." in page
    assert "paling sedikit 10 karakter" in page and "Tulis nomor HP" in page
    assert "Berkas animasi.gif bukan PDF, JPEG, atau PNG." in page
    assert 'value="Lampu jalan mati"' in page and f'value="{future}"' in page
    assert 'value="bukan kontak"' in page and ">pendek</textarea>" in page
    assert 'aria-invalid="true"' in page
    assert parts.store.audit.read() and not [r for r in parts.store.audit.read() if r["action"] == "manual_entry"]


def test_a_day_received_that_is_not_a_date_or_too_old_is_refused(officer_client):
    client = officer_client("petugas", "KemenPANRB")
    for typed, wanted in (("kemarin", "Tulis tanggal diterima"), ("2026-02-30", "Tulis tanggal diterima"),
                          ((_today() - timedelta(days=400)).isoformat(), "lebih dari 365 hari")):
        answer = _post(client, _fields(client, received_on=typed))
        assert answer.status_code == 422 and wanted in answer.get_data(as_text=True), typed


def test_a_double_submit_gives_one_tracking_number(officer_client, parts):
    client = officer_client("petugas", "KemenPANRB")
    fields = _fields(client)
    first, again = _post(client, fields), _post(client, fields)
    assert first.headers["Location"] == again.headers["Location"]
    entries = [json.loads(row["details"]) for row in parts.store.audit.read() if row["action"] == "manual_entry"]
    assert [entry["duplicate"] for entry in entries] == [False, True]


def test_the_form_needs_a_login_and_its_token(app, officer_client):
    anonymous = app.test_client().get("/petugas/laporan/baru")
    assert anonymous.status_code == 302 and "/petugas/login" in anonymous.headers["Location"]
    client = officer_client("petugas", "KemenPANRB")
    fields = _fields(client)
    fields.pop("csrf_token")
    assert _post(client, fields).status_code == 400


def test_the_other_agency_enters_through_its_own_door(officer_client, parts):
    client = officer_client("petugas", OTHER_AGENCY)
    answer = _post(client, _fields(client))
    number = answer.headers["Location"].split("/")[-2]
    complaint = parts.store.complaint(parts.store.tracking_owner(number))
    assert (complaint["door"], complaint["door_agency"]) == ("manual-pemprov-jawa-timur", OTHER_AGENCY)


def test_an_agency_without_a_manual_door_is_told_so(officer_client):
    client = officer_client("petugas", "Dinas Tanpa Pintu")
    page = client.get("/petugas/laporan/baru")
    assert page.status_code == 409
    assert "belum punya pintu input manual" in page.get_data(as_text=True)


def test_the_manual_door_takes_nothing_over_http(app):
    answer = app.test_client().post("/in/manual-kemenpanrb", json={"body": BODY, "source": "surat"})
    assert answer.status_code == 404


def test_a_status_change_reaches_the_reporter_by_sms_through_notify_via(officer_client, parts, app):
    from forwarder import central as contract
    from forwarder.topology import REPLIES
    from tests.helpers import queued_bodies

    client = officer_client("petugas", "KemenPANRB")
    number = _post(client, _fields(client)).headers["Location"].split("/")[-2]
    assert not [r for r in queued_bodies(parts.store.redis, REPLIES) if r.get("tracking_number") == number]
    raw = json.dumps({"tracking_number": number, "status": "proses", "agency": "Dinas PU PERA",
                      "due_date": "2027-02-19"}).encode()
    headers = contract.signed_headers("central-secret-officers", raw, "cb-manual",
                                      kind=contract.STATUS_TO_GATEWAY)
    answer = app.test_client().post("/api/v1/central/status", data=raw, headers=headers)
    assert answer.get_json() == {"ok": True, "notified": True}
    [notice] = [r for r in queued_bodies(parts.store.redis, REPLIES) if r.get("tracking_number") == number]
    assert (notice["door_id"], notice["to"], notice["kind"]) == ("sms-1708", "+6281234567890", "status")
