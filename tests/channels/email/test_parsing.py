"""The e-mail door's parts one by one: quoted replies and signatures in Indonesian and English
mail clients' words, HTML to text, the Authentication-Results verdict, auto-reply and bounce
detection, subjects, and the relay client's errors against a real refusing aiosmtpd."""
from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from channels.base import SendError
from channels.email import auth, client
from channels.email.body import html_to_text, latest_reply
from channels.email.payload import read
from config.settings import SettingsError, load_settings
from tests.channels.email.support import mail
from tests.helpers import free_port

NEW = "Lampu jalan di depan pasar masih mati."


@pytest.mark.parametrize("quoted", [
    # Gmail in Indonesian, the header wrapped over two lines
    "Pada Sen, 3 Mar 2025 pukul 10.00 LAPOR! <lapor@dinas.test>\nmenulis:\n> Laporan Anda diterima",
    # Gmail / Apple Mail in English
    "On Mon, 3 Mar 2025 at 10:00, LAPOR! <lapor@dinas.test> wrote:\n> Your report was received",
    # Outlook in Indonesian and English
    "-----Pesan Asli-----\nDari: LAPOR! <lapor@dinas.test>\nDikirim: Senin\n\nLaporan Anda diterima",
    "-----Original Message-----\nFrom: LAPOR!\nSent: Monday\n\nYour report was received",
    "________________________________\nDari: LAPOR! <lapor@dinas.test>\nDikirim: Senin, 3 Maret 2025\n",
    # a signature (RFC 3676 delimiter), a phone's footer
    "-- \nBudi Santoso\n0812-3456-7890",
    "Dikirim dari iPhone saya",
    "Sent from my Galaxy",
])
def test_latest_reply_cuts_quotes_and_signatures_in_both_languages(quoted):
    assert latest_reply(f"{NEW}\n\n{quoted}") == NEW


def test_latest_reply_keeps_a_mail_that_is_all_quote_and_plain_text_whole():
    assert latest_reply("> hanya kutipan\n> saja") == "> hanya kutipan\n> saja"
    letter = "Kepada Yth. Dinas PU\nDari: warga RT 03\n\nJalan rusak."
    assert latest_reply(letter) == letter                 # no "Sent:" line: not a quote header


def test_html_to_text_keeps_words_and_lines_not_scripts():
    html = "<div>Air <i>PDAM</i> keruh</div><ul><li>RT 01</li><li>RT 02</li></ul><style>x{}</style>"
    assert html_to_text(html) == "Air PDAM keruh\n\nRT 01\n\nRT 02"


def test_verdict_reads_only_the_trusted_authserv_id_topmost_header():
    headers = ["mx.dinas.test 1; spf=pass smtp.mailfrom=warga.test; dkim=fail (bad sig) "
               "header.d=x; dkim=pass header.d=warga.test; dmarc=pass (p=none) header.from=warga.test",
               "mx.dinas.test; dmarc=fail",                                # older, below: ignored
               "evil.test; dmarc=pass"]
    assert auth.verdict(headers, "MX.dinas.test") == {
        "authserv_id": "mx.dinas.test", "spf": "pass", "dkim": "pass", "dmarc": "pass"}
    assert auth.verdict(headers[2:], "mx.dinas.test") == {"trusted": "none"}
    assert auth.verdict(headers, "") == {"trusted": "none"}
    assert auth.verdict(["mx.dinas.test; dmarc=pass ((("], "mx.dinas.test") == {"trusted": "none"}
    assert auth.trusted_peer("10.1.2.3", ["10.0.0.0/8"]) and not auth.trusted_peer("10.1.2.3", [])
    assert not auth.trusted_peer("10.1.2.3", ["not a network"])


@pytest.mark.parametrize("headers, envelope, reason", [
    ({"Auto-Submitted": "auto-replied"}, None, "auto-submitted"),
    ({"Auto-Submitted": "no"}, None, ""),
    ({"Precedence": "list"}, None, "precedence"),
    ({"Return-Path": "<>"}, None, "empty return path"),
    ({}, "", "empty return path"),
    ({"From": "MAILER-DAEMON@mx.test"}, None, "mailer-daemon"),
    ({"Content-Type": "multipart/report; report-type=delivery-status; boundary=x"}, None,
     "delivery report"),
])
def test_auto_replies_and_bounces_are_recognised(headers, envelope, reason):
    assert read(bytes(mail(headers=headers)), envelope_sender=envelope).automatic == reason


def test_subject_prefixes_and_the_tracking_number():
    parsed = read(bytes(mail(subject="RE: Bls: [LAPOR! 2741-0935-882] Laporan Anda diterima")))
    assert parsed.title == "Laporan Anda diterima" and parsed.tracking_number == "27410935882"
    assert read(bytes(mail(subject="Nomor 2741-0935-883 salah"))).tracking_number == ""  # check digit


def test_addresses_are_lower_cased_and_tags_kept():
    parsed = read(bytes(mail(sender="Siti <Siti+Lapor@Warga.TEST>")))
    assert parsed.sender == "siti+lapor@warga.test" and parsed.sender_name == "Siti"


def test_a_mail_without_message_id_is_named_by_its_bytes():
    message = mail()
    del message["Message-ID"]
    assert read(bytes(message)).message_id == read(bytes(message)).message_id != ""
    assert read(bytes(message)).message_id.startswith("sha256:")


class Refusing:
    def __init__(self, code: str):
        self.code = code

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return self.code


@pytest.mark.parametrize("answer, permanent", [("550 5.1.1 no such user", True),
                                               ("451 4.3.0 try later", False)])
def test_relay_errors_name_the_code_only_and_5xx_is_permanent(answer, permanent):
    controller = Controller(Refusing(answer), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        relay = client.Relay(f"smtp://127.0.0.1:{controller.port}")
        with pytest.raises(SendError) as failed:
            relay.send(mail(), "lapor@dinas.test", "budi.santoso@warga.test")
    finally:
        controller.stop()
    assert failed.value.permanent is permanent and failed.value.code == answer[:3]
    assert "warga.test" not in failed.value.reason


def test_relay_down_is_retryable_and_the_url_password_never_shows():
    with pytest.raises(SendError) as failed:
        client.Relay(f"smtp://lapor:s3cret-pass@127.0.0.1:{free_port()}").send(mail(), "a@b.test", "c@d.test")
    assert not failed.value.permanent and "s3cret" not in failed.value.reason
    with pytest.raises(SettingsError) as refused:
        load_settings({"LAPOR_SMTP_RELAY_URL": "http://lapor:s3cret-pass@relay.test",
                       "LAPOR_SECRET_KEY": "k" * 16, "LAPOR_DATA_DIR": "/tmp"})
    assert "s3cret" not in str(refused.value)


def test_a_reply_to_an_address_no_mail_can_carry_fails_for_good():
    from channels.email.adapter import EmailAdapter
    from config.doors import Door
    from normalizer.values import OutboundMessage

    settings = load_settings({"LAPOR_SECRET_KEY": "k" * 16, "LAPOR_DATA_DIR": "/tmp",
                              "LAPOR_SMTP_RELAY_URL": f"smtp://127.0.0.1:{free_port()}"})
    adapter = EmailAdapter(Door(id="m", channel="email", agency="A",
                                options={"address": "lapor@dinas.test"}), settings)
    for to in ("budi@warga.test\r\nBcc: semua@warga.test", "bukan-alamat"):
        with pytest.raises(SendError) as failed:
            adapter.send(OutboundMessage(door_id="m", to=to, text="x", tracking_number="27410935882"))
        assert failed.value.permanent
