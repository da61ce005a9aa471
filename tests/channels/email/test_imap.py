"""The e-mail door's IMAP poller against a real Dovecot (Debian's ``dovecot-imapd``, started
on loopback with a passwd-file user; mail delivered into its Maildir), through the real
intake on a real Redis."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest

from channels.email.poller import ImapPoller, run_poller
from config.settings import SettingsError
from tests.channels.email.support import IMAP_PASSWORD, IMAP_USER, mail
from tests.helpers import queued_bodies, wait_for

RESULTS = "mx.dinas.test; spf=pass; dkim=pass; dmarc={}"


@pytest.fixture
def environ(environ, tmp_path, dovecot):
    dovecot.clear()
    door = {"id": "kotak-surat", "channel": "email", "agency": "Dinas Kesehatan",
            "credentials": {"username": "LAPOR_KOTAK_SURAT_USER", "password": "LAPOR_KOTAK_SURAT_PASSWORD"},
            "options": {"address": IMAP_USER, "imap_url": f"imap://127.0.0.1:{dovecot.port}/INBOX",
                        "authserv_id": "mx.dinas.test", "require_dmarc_pass": True,
                        "poll_interval": 30}}
    doors = tmp_path / "doors.json"
    doors.write_text(json.dumps({"extends": "defaults", "doors": [door]}))
    environ.update(LAPOR_DOORS_FILE=str(doors), LAPOR_KOTAK_SURAT_USER=IMAP_USER,
                   LAPOR_KOTAK_SURAT_PASSWORD=IMAP_PASSWORD)
    return environ


def signed(text: str, verdict: str = "pass", **kwargs):
    return mail(text, to=IMAP_USER, headers={"Authentication-Results": RESULTS.format(verdict),
                                            **kwargs.pop("headers", {})}, **kwargs)


def complaints(parts) -> list[dict]:
    return [body for body in queued_bodies(parts.store.redis, "lapor.complaints") if "id" in body]


def test_unseen_mail_becomes_complaints_and_is_marked_seen_only_after(parts, dovecot):
    taken = dovecot.deliver(signed("Puskesmas tutup pada jam kerja.", message_id="imap-1"))
    bounce = dovecot.deliver(signed("Delivery failed", headers={"Auto-Submitted": "auto-generated"}))
    failing = dovecot.deliver(signed("Tidak terautentikasi", verdict="fail"))
    assert run_poller(parts, "kotak-surat", threading.Event(), once=True) == 1
    [complaint] = complaints(parts)
    assert complaint["door"] == "kotak-surat" and complaint["body"] == "Puskesmas tutup pada jam kerja."
    assert complaint["provider_message_ids"] == ["imap-1@warga.test"]
    assert complaint["meta"]["authentication"]["dmarc"] == "pass"
    assert dovecot.flags(taken) == "S" and dovecot.flags(bounce) == "S"
    assert dovecot.flags(failing) == "FS"                   # refused: flagged for the owner
    assert run_poller(parts, "kotak-surat", threading.Event(), once=True) == 0   # nothing unseen


def test_a_failed_intake_leaves_the_mail_unseen_and_the_next_poll_takes_it(parts, dovecot, monkeypatch):
    name = dovecot.deliver(signed("Obat kosong di apotek RSUD.", message_id="imap-retry"))
    real = parts.intake.take
    monkeypatch.setattr(parts.intake, "take", lambda *a, **k: (_ for _ in ()).throw(OSError("down")))
    assert run_poller(parts, "kotak-surat", threading.Event(), once=True) == 0
    assert dovecot.flags(name) == "" and complaints(parts) == []
    monkeypatch.setattr(parts.intake, "take", real)
    assert run_poller(parts, "kotak-surat", threading.Event(), once=True) == 1
    assert len(complaints(parts)) == 1 and dovecot.flags(name) == "S"


def test_idle_takes_new_mail_at_once(parts, dovecot):
    poller = ImapPoller(parts.adapters["kotak-surat"], parts.intake)
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
    logins = _logins(dovecot)
    thread.start()
    try:
        wait_for(lambda: _logins(dovecot) > logins, timeout=10, message="poller logged in")
        time.sleep(1.0)                      # its first poll (of an empty folder) is done
        dovecot.deliver(signed("Antrean BPJS sangat panjang.", message_id="imap-idle"))
        wait_for(lambda: complaints(parts), timeout=8, message="IDLE woke the poller (interval 30 s)")
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive()


def _logins(dovecot) -> int:
    return (dovecot.base / "dovecot.log").read_text(errors="replace").count("Login: user=")


def test_a_door_without_credentials_is_a_configuration_error(parts):
    adapter = parts.adapters["kotak-surat"]
    door = replace(adapter.door, credentials={"username": IMAP_USER})
    with pytest.raises(SettingsError) as refused:
        ImapPoller(type(adapter)(door, parts.settings), parts.intake)
    assert "username and password" in str(refused.value)
