"""The e-mail door through the gateway's real SMTP server (aiosmtpd) fed by ``smtplib``, the
real intake on a real Redis, and the acknowledgement sent by the real notifier through a
real relay (another aiosmtpd) that captures it: what a mail becomes, what is refused,
ignored or deduplicated (the doors and helpers: ``support``; the gateway: ``conftest``)."""
from __future__ import annotations

import smtplib

import pytest

from normalizer import tracking
from normalizer.schema import ComplaintSchema, FollowUpEventSchema
from tests.channels.email.support import (PNG, SENDER, complaint_of, followups, mail, number_of, queued,
                                          submit)
from tests.helpers import wait_for


def test_plain_mail_is_a_complaint_acknowledged_by_a_threaded_mail(parts, gateway, ack_relay, caplog):
    original = mail(message_id="plain-1")
    code, answer = submit(gateway, original)
    assert code == 250 and answer.startswith("2.0.0 Queued: LAPOR! ")
    complaint = complaint_of(parts, answer)
    assert ComplaintSchema().validate(complaint) == {}
    assert complaint["door"] == "lapor-mail" and complaint["channel"] == "email"
    assert complaint["title"] == "Jalan rusak di Jl. Melati"
    assert complaint["body"] == "Jalan berlubang besar di depan SDN 3 sejak seminggu."
    assert complaint["provider_message_ids"] == ["plain-1@warga.test"]
    assert complaint["reporter"]["kind"] == "email" and complaint["reporter"]["contact"] == SENDER
    assert complaint["reporter"]["name"] == "Budi Santoso"
    assert complaint["meta"]["authentication"] == {"trusted": "none"}
    wait_for(lambda: ack_relay.mails, timeout=15, message="acknowledgement relayed")
    envelope_from, recipients, ack = ack_relay.mails[0]
    number = tracking.display(number_of(answer))
    assert envelope_from == "lapor@dinas.test" and recipients == [SENDER]
    assert str(ack["Subject"]) == f"[LAPOR! {number}] Laporan Anda diterima"
    assert str(ack["In-Reply-To"]) == "<plain-1@warga.test>" == str(ack["References"])
    assert str(ack["Auto-Submitted"]) == "auto-replied"
    assert number in ack.get_content() and "Laporan Anda diterima" in ack.get_content()
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "lapor-mail" in logged and SENDER not in logged and "Budi Santoso" not in logged


def test_html_only_mail_becomes_text(parts, gateway):
    html = ("<html><head><style>p{color:red}</style></head><body><p>Lampu jalan <b>mati</b>"
            "</p><p>di Jl. Kenanga&nbsp;5</p><script>alert(1)</script></body></html>")
    code, answer = submit(gateway, mail(None, html=html))
    assert code == 250
    assert complaint_of(parts, answer)["body"] == "Lampu jalan mati\n\ndi Jl. Kenanga 5"


def test_attachments_within_the_limits_are_kept_and_the_rest_left_out(parts, gateway, settings):
    files = (("foto.png", PNG, "image/png"), ("besar.png", PNG + b"\0" * 4096, "image/png"),
             ("virus.exe", b"MZ\x90\0" * 16, "application/octet-stream"))
    code, answer = submit(gateway, mail(attachments=files))
    assert code == 250, answer
    complaint = complaint_of(parts, answer)
    [kept] = complaint["attachments"]
    assert kept["content_type"] == "image/png" and kept["filename"] == "foto.png"
    assert (settings.data_dir / "attachments" / kept["sha256"][:2] / kept["sha256"]).read_bytes() == PNG
    assert complaint["meta"]["attachments_dropped"] == 2


def test_rfc2047_subject_is_the_title(parts, gateway):
    message = mail(subject="placeholder")
    del message["Subject"]
    message["Subject"] = "=?utf-8?b?" + "UGVuZ2FkdWFuOiBhaXIgUERBTSBtYXRpIOKAlCBLZWwuIFN1a2FtYWp1" + "?="
    code, answer = submit(gateway, message)
    assert complaint_of(parts, answer)["title"] == "Pengaduan: air PDAM mati — Kel. Sukamaju"


def test_quoted_reply_and_signature_are_stripped(parts, gateway):
    text = ("Sampah belum diangkut dua minggu.\n\n-- \nBudi\n0812-0000-1111\n\n"
            "Pada Sen, 3 Mar 2025 pukul 10.00 LAPOR <lapor@dinas.test> menulis:\n> Laporan lama")
    code, answer = submit(gateway, mail(text))
    assert complaint_of(parts, answer)["body"] == "Sampah belum diangkut dua minggu."


def test_reply_by_in_reply_to_is_a_followup_of_the_same_reporters_complaint(parts, gateway):
    _code, first = submit(gateway, mail(message_id="thread-1"))
    reply = mail("Sekarang ada korban jatuh.\n\nOn Mon, 3 Mar 2025 at 10:00, LAPOR wrote:\n> ...",
                 subject="Re: Jalan rusak di Jl. Melati", message_id="thread-2",
                 headers={"In-Reply-To": "<thread-1@warga.test>", "References": "<thread-1@warga.test>"})
    code, second = submit(gateway, reply)
    assert code == 250 and number_of(second) == number_of(first)
    [event] = followups(parts)
    assert FollowUpEventSchema().validate(event) == {}
    assert event["type"] == "followup" and event["body"] == "Sekarang ada korban jatuh."
    stranger = mail("Saya juga!", sender="orang.lain@warga.test", message_id="thread-3",
                    headers={"In-Reply-To": "<thread-1@warga.test>"})
    _code, third = submit(gateway, stranger, mail_from="orang.lain@warga.test")
    assert number_of(third) != number_of(first)         # another reporter: a complaint of its own


def test_tracking_number_in_the_subject_joins_the_complaint(parts, gateway):
    _code, first = submit(gateway, mail(message_id="subject-1"))
    number = tracking.display(number_of(first))
    code, again = submit(gateway, mail("Foto menyusul.", subject=f"Re: [LAPOR! {number}] Laporan Anda diterima"))
    assert code == 250 and number_of(again) == number_of(first)
    [event] = followups(parts)
    assert event["body"] == "Foto menyusul." and event["complaint_id"] == complaint_of(parts, first)["id"]


@pytest.mark.parametrize("headers, mail_from", [
    ({"Auto-Submitted": "auto-replied"}, None),
    ({"Precedence": "bulk"}, None),
    ({}, ""),                                                      # a bounce: MAIL FROM:<>
    ({"From": "Mail Delivery System <MAILER-DAEMON@mx.warga.test>"}, None),
])
def test_auto_replies_and_bounces_are_not_complaints_and_not_answered(parts, gateway, ack_relay,
                                                                      headers, mail_from):
    message = mail()
    for name, value in headers.items():
        del message[name]
        message[name] = value
    code, answer = submit(gateway, message, mail_from=mail_from)
    assert code == 250 and answer.startswith("2.6.0 Not a complaint")
    assert queued(parts) == []
    assert ack_relay.mails == []


RESULTS = "mx.dinas.test; spf=pass smtp.mailfrom=warga.test; dkim=pass header.d=warga.test; dmarc={}"


def test_dmarc_fail_is_refused_on_a_door_that_requires_a_pass(parts, gateway):
    failing = mail(to="ketat@dinas.test", headers={"Authentication-Results": RESULTS.format("fail")})
    code, answer = submit(gateway, failing)
    assert code == 550 and "DMARC" in answer and queued(parts) == []
    passing = mail(to="ketat@dinas.test", headers={"Authentication-Results": RESULTS.format("pass")})
    code, answer = submit(gateway, passing)
    assert code == 250
    assert complaint_of(parts, answer)["meta"]["authentication"] == {
        "authserv_id": "mx.dinas.test", "spf": "pass", "dkim": "pass", "dmarc": "pass"}


def test_forged_authentication_results_are_ignored(parts, gateway):
    forged = mail(to="ketat@dinas.test",
                  headers={"Authentication-Results": "evil.test; spf=pass; dkim=pass; dmarc=pass"})
    assert submit(gateway, forged)[0] == 550                     # another authserv-id
    trusted_id = mail(to="ketat@dinas.test", headers={"Authentication-Results": RESULTS.format("pass")})
    assert submit(gateway, trusted_id, source="127.0.0.2")[0] == 550   # not from a trusted relay
    code, answer = submit(gateway, mail(headers={"Authentication-Results": "evil.test; dmarc=pass"}))
    assert complaint_of(parts, answer)["meta"]["authentication"] == {"trusted": "none"}


def test_the_same_message_id_makes_no_second_complaint(parts, gateway):
    first = submit(gateway, mail(message_id="retry-1"))
    again = submit(gateway, mail(message_id="retry-1"))
    assert first[0] == again[0] == 250 and number_of(first[1]) == number_of(again[1])
    assert len(queued(parts)) == 1
    other = submit(gateway, mail("Isi lain sama sekali.", message_id="retry-1"))
    assert other[0] == 550 and "Message-ID" in other[1] and len(queued(parts)) == 1


def test_unknown_recipient_is_told_where_to_write_and_doors_are_one_per_message(gateway):
    code, answer = submit(gateway, mail(to="info@dinas.test"))
    assert code == 550 and "ketat@dinas.test, lapor@dinas.test" in answer
    with smtplib.SMTP("127.0.0.1", gateway, timeout=20) as client:
        client.ehlo("mx.warga.test")
        client.mail(SENDER)
        assert client.rcpt("lapor@dinas.test")[0] == 250
        assert client.rcpt("LAPOR@Dinas.Test")[0] == 250
        assert client.rcpt("ketat@dinas.test")[0] == 452


def test_a_store_failure_is_answered_451_so_the_mta_retries(parts, gateway, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(parts.intake, "take", broken)
    code, answer = submit(gateway, mail())
    assert code == 451 and answer.startswith("4.3.0")


def test_the_http_door_of_an_email_door_refuses_requests(client):
    answer = client.post("/in/lapor-mail", data=b"x")
    assert answer.status_code == 405 and b"e-mail" in answer.data
