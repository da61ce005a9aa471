"""The receipt (``/petugas/laporan/<number>/tanda-terima``) and a complaint's page
(``/petugas/laporan/<number>``): what they show, what they never show, and who may open
them. The states come from the real forwarder and a local central receiver (accepted,
retrying, delivered, dead), the follow-ups from the intake, the replies from the real
delivery tracker (``ReplyTracker``: sent, then a provider's report)."""
from __future__ import annotations

import io
import re
import uuid
from datetime import datetime, timedelta

from channels.manual.adapter import WIB
from normalizer.values import DeliveryReport
from tests.helpers import inbound, wait_for
from tests.officers.conftest import OTHER_AGENCY
from tests.officers.support import token

BODY = "Surat: saluran air di Jl. Kenanga tersumbat dan meluap ke rumah warga."


def _enter(client, **changes) -> str:
    form = client.get("/petugas/laporan/baru").get_data(as_text=True)
    submission = re.search(r'name="submission_id" value="([^"]+)"', form).group(1)
    data = {"csrf_token": token(client, "/petugas/laporan/baru"), "submission_id": submission,
            "source": "surat", "received_on": datetime.now(WIB).date().isoformat(),
            "classification": "pengaduan", "title": "Saluran tersumbat", "body": BODY,
            "name": "Sri Wahyuni", "contact": "0813 9988 7766", **changes}
    data["attachments"] = [(io.BytesIO(b"%PDF-1.4\n" + b"1" * 32), "surat.pdf")]
    answer = client.post("/petugas/laporan/baru", data=data, content_type="multipart/form-data")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return answer.headers["Location"].split("/")[-2]


def _shown(number: str) -> str:
    return f"{number[:4]}-{number[4:8]}-{number[8:]}"


def test_the_receipt_says_how_to_follow_and_nothing_the_reporter_said(officer_client, parts):
    client = officer_client("petugas", "KemenPANRB")
    received = datetime.now(WIB).date() - timedelta(days=3)
    number = _enter(client, received_on=received.isoformat())
    page = client.get(f"/petugas/laporan/{number}/tanda-terima").get_data(as_text=True)
    complaint = parts.store.complaint(parts.store.tracking_owner(number))
    due = complaint["service_level"]["due_date"]
    assert f'<p class="number" id="tracking-number">{_shown(number)}</p>' in page
    assert f'<dd id="receipt-received">{received.strftime("%d-%m-%Y")}</dd>' in page
    assert f'<dd id="receipt-due">{due[8:10]}-{due[5:7]}-{due[:4]}</dd>' in page
    assert f"kirim CEK {number} ke 1708" in page and f"kirim CEK {number} ke nomor WhatsApp LAPOR!" in page
    assert f"/lapor/cek?nomor={number}" in page
    assert "@media print" in client.get("/lapor/static/style.css").get_data(as_text=True)
    for private in ("Sri Wahyuni", "9988", "Saluran tersumbat", "Kenanga", "surat.pdf"):
        assert private not in page, private
    english = client.get(f"/petugas/laporan/{number}/tanda-terima?lang=en").get_data(as_text=True)
    assert f"send CEK {number} to 1708" in english


def test_the_complaint_page_follows_the_forwarding_state(officer_client, parts, receiver, forwarder):
    receiver.default = (503, {"Retry-After": "2"}, b'{"error": "busy"}')    # the retry waits 2 s
    number = _enter(officer_client("petugas", "KemenPANRB"))
    supervisor = officer_client("supervisor", "KemenPANRB")
    cid = parts.store.tracking_owner(number)
    wait_for(lambda: int(parts.store.ledger(cid).get("attempts") or 0) >= 1, message="a failed attempt")
    page = supervisor.get(f"/petugas/laporan/{number}").get_data(as_text=True)
    assert 'data-state="retrying"' in page and "Sedang dicoba ulang" in page
    assert 'data-door="manual-kemenpanrb"' in page and "Loket KemenPANRB (input petugas)" in page
    assert "Sri Wahyuni · +6281399887766" in page            # an open report: the reporter is shown
    assert re.search(r"<dt>Diinput oleh \(ID petugas\)</dt><dd>o-[0-9a-f]{20}</dd>", page)
    receiver.default = (200, {}, b'{"ok": true}')
    wait_for(lambda: parts.store.ledger(cid).get("state") == "delivered", timeout=15, message="delivered")
    page = supervisor.get(f"/petugas/laporan/{number}").get_data(as_text=True)
    assert 'data-state="delivered"' in page and "Terkirim ke LAPOR!" in page
    views = [row for row in parts.store.audit.read() if row["action"] == "complaint_view"]
    assert len(views) == 2 and all(number in row["details"] for row in views)


def test_a_dead_complaint_shows_dead_with_its_reason(officer_client, parts, dead_letters):
    [number] = dead_letters([inbound("LAPOR lampu jalan mati di alun-alun", sender="081211112222",
                                     sender_name="Agus")])
    page = officer_client("supervisor", "KemenPANRB").get(f"/petugas/laporan/{number}").get_data(as_text=True)
    assert 'data-state="dead"' in page and "central refused with 400" in page


def test_follow_ups_and_replies_with_their_delivery_states(officer_client, parts):
    sender = "081233334444"
    first = parts.intake.take(inbound("LAPOR jalan berlubang di depan pasar", sender=sender))
    parts.intake.take(inbound("fotonya menyusul, lubangnya makin besar", sender=sender))
    reply = {"reply_id": uuid.uuid4().hex, "door_id": "sms-1708", "to": "+6281233334444",
             "sender_kind": "phone", "kind": "ack", "complaint_id": first.complaint_id,
             "tracking_number": first.tracking_number}
    parts.intake.replies.sent(reply, "kannel-ref-1")
    parts.intake.replies.reported("sms-1708", [DeliveryReport("kannel-ref-1", "delivered")])
    page = officer_client("supervisor", "KemenPANRB").get(
        f"/petugas/laporan/{first.tracking_number}").get_data(as_text=True)
    events = re.search(r'<ol class="records" id="complaint-events">(.*?)</ol>', page, re.S).group(1)
    assert "Tambahan dari pelapor" in events and "lubangnya makin besar" in events
    assert events.count("Status balasan") == 2          # accepted, then delivered: one event each
    replies = re.search(r'<ol class="records" id="complaint-replies">(.*?)</ol>', page, re.S).group(1)
    assert "Tanda terima" in replies and 'data-state="delivered">Sampai' in replies


def test_another_agency_gets_404_and_a_petugas_no_complaint_page(officer_client, parts):
    number = _enter(officer_client("petugas", "KemenPANRB"))
    jatim = officer_client("supervisor", OTHER_AGENCY)
    assert jatim.get(f"/petugas/laporan/{number}").status_code == 404
    assert jatim.get(f"/petugas/laporan/{number}/tanda-terima").status_code == 404
    assert jatim.get("/petugas/laporan/12345678901").status_code == 404     # not a tracking number
    admin = officer_client("admin", OTHER_AGENCY)
    assert admin.get(f"/petugas/laporan/{number}").status_code == 200
    petugas = officer_client("petugas", "KemenPANRB")
    assert petugas.get(f"/petugas/laporan/{number}/tanda-terima").status_code == 200
    assert petugas.get(f"/petugas/laporan/{number}").status_code == 403


def test_the_lookup_form_opens_a_complaint_by_its_number(officer_client):
    number = _enter(officer_client("petugas", "KemenPANRB"))
    supervisor = officer_client("supervisor", "KemenPANRB")
    answer = supervisor.get(f"/petugas/laporan?nomor={_shown(number)}")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/petugas/laporan/{number}")
