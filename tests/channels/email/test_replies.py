"""The e-mail door's replies through the real notifier and a real relay (aiosmtpd): the
acknowledgement's language, a relay that is down (retried) or refuses (dead-lettered), and
status notices to a web reporter's e-mail address (fixtures: ``conftest``)."""
from __future__ import annotations

import threading
from dataclasses import replace

from aiosmtpd.controller import Controller

from channels.email import server as smtp_server
from forwarder.notifier import NotifyWorker
from normalizer import tracking
from tests.channels.email.support import mail, relay, submit
from tests.helpers import free_port, inbound, queued_bodies, wait_for


def test_english_mail_is_answered_in_english(parts, gateway, ack_relay):
    code, answer = submit(gateway, mail("The bridge is broken.", headers={"Content-Language": "en-GB"}))
    assert code == 250
    wait_for(lambda: ack_relay.mails, timeout=15, message="acknowledgement relayed")
    assert str(ack_relay.mails[0][2]["Subject"]).endswith("] Your report was received")


def test_relay_down_the_acknowledgement_is_retried(parts, environ, settings):
    port = free_port()                                  # nothing listens there yet
    env_parts = parts
    env_parts.adapters["lapor-mail"].settings = replace(settings, smtp_relay_url=f"smtp://127.0.0.1:{port}")
    controller = smtp_server.start(env_parts, "127.0.0.1", free_port())
    stop = threading.Event()
    notifier = threading.Thread(target=NotifyWorker(env_parts, stop).run, daemon=True)
    notifier.start()
    try:
        code, _answer = submit(controller.port, mail())
        assert code == 250
        wait_for(lambda: env_parts.store.scheduled("reply") >= 1, timeout=15,
                 message="reply scheduled for a retry")
        with relay(port) as late:
            wait_for(lambda: late.mails, timeout=20, message="acknowledgement after the relay is back")
            assert str(late.mails[0][2]["Subject"]).endswith("Laporan Anda diterima")
    finally:
        stop.set()
        notifier.join(15)
        controller.stop()


class RefusingRelay:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 mailbox unavailable"


def test_a_relay_refusing_the_recipient_dead_letters_the_acknowledgement(parts, settings):
    refusing = Controller(RefusingRelay(), hostname="127.0.0.1", port=free_port())
    refusing.start()
    parts.adapters["lapor-mail"].settings = replace(settings, smtp_relay_url=f"smtp://127.0.0.1:{refusing.port}")
    controller = smtp_server.start(parts, "127.0.0.1", free_port())
    stop = threading.Event()
    notifier = threading.Thread(target=NotifyWorker(parts, stop).run, daemon=True)
    notifier.start()
    try:
        assert submit(controller.port, mail())[0] == 250
        wait_for(lambda: queued_bodies(parts.store.redis, "lapor.dead"), timeout=15,
                 message="acknowledgement dead-lettered")
        [dead] = queued_bodies(parts.store.redis, "lapor.dead")
        assert dead["door_id"] == "lapor-mail" and dead["attempts"] == 1
        assert parts.store.scheduled("reply") == 0                 # a 5xx is not retried
    finally:
        stop.set()
        notifier.join(15)
        controller.stop()
        refusing.stop()


def test_status_notices_reach_a_web_reporter_by_email_through_notify_via(parts, gateway, ack_relay):
    from gateway.central_api import notify

    message = replace(inbound("Trotoar rusak di Jl. Mawar.", sender="siti.aminah@warga.test",
                                  door="web", channel="web"), sender_kind="email")
    outcome = parts.intake.take(message)
    assert notify(parts, outcome.complaint_id, outcome.tracking_number)
    wait_for(lambda: ack_relay.mails, timeout=15, message="status notice relayed")
    _from, recipients, notice = ack_relay.mails[0]
    assert recipients == ["siti.aminah@warga.test"]
    assert str(notice["Subject"]) == (f"[LAPOR! {tracking.display(outcome.tracking_number)}] "
                                      "Kabar terbaru laporan Anda")
