"""The IMAP poller: an agency's existing mailbox as an e-mail door (``lapor-gateway imap poll``).

Reads, with ``imap-tools``, the unseen mail of the folder in the door's ``imap_url``
(``imaps://imap.example.go.id:993/INBOX``: TLS, certificate checked; ``imap://host:143/INBOX``:
STARTTLS, required, except to a loopback address, a local Dovecot, where it is plain), logged
in with the door's ``username`` and ``password`` credentials. Each mail goes through the
door's ``read_mail`` and the intake exactly as the SMTP server's do; only then is it marked
``\\Seen``: a crash in between leaves it unseen, and the next poll's copy is a duplicate
(same Message-ID), never lost and never a second complaint. The mail stays in the mailbox.

* auto-replies and bounces: marked seen, not a complaint, nothing answered (logged);
* refused mail (DMARC on a door with ``require_dmarc_pass``, a Message-ID reused for
  another mail): marked seen and ``\\Flagged`` for the mailbox's owner, and logged;
* a failure of the intake (store and spool down): left unseen and taken at the next poll.

Between polls it waits in IMAP IDLE when the server offers it (new mail wakes it at once),
at most ``poll_interval`` seconds (default 60); without IDLE it polls every
``poll_interval``. A lost connection is retried with backoff. No address is ever logged.
"""
from __future__ import annotations

import imaplib
import logging
import random
import socket
import ssl
import threading
from urllib.parse import unquote, urlsplit

from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.errors import MailboxLoginError, UnexpectedCommandStatusError

from channels.base import Rejected
from channels.email.client import loopback
from config.settings import SettingsError

log = logging.getLogger("lapor.channels.email")
SEEN, FLAGGED = "\\Seen", "\\Flagged"
BATCH = 50
_FAILURES = (imaplib.IMAP4.error, OSError, socket.timeout, ssl.SSLError,
             UnexpectedCommandStatusError)


class RawMessage(MailMessage):
    """imap-tools' message keeping the raw bytes (the door parses them with policy.default)."""

    def __init__(self, fetch_data: list) -> None:
        super().__init__(fetch_data)
        self.raw = self._get_message_data_parts(fetch_data)[0]


def _mailbox_class(kind):
    return type(f"Raw{kind.__name__}", (kind,), {"email_message_class": RawMessage})


class ImapPoller:
    def __init__(self, adapter, intake):
        self.adapter = adapter
        self.door = adapter.door
        self.intake = intake
        url = urlsplit(str(self.door.options.get("imap_url") or ""))
        if url.scheme not in ("imap", "imaps") or not url.hostname:
            raise SettingsError(f"door {self.door.id}: options.imap_url: expected "
                                "imaps://host[:port]/FOLDER or imap://host[:port]/FOLDER")
        self.url = url
        self.folder = unquote(url.path.lstrip("/")) or "INBOX"
        self.username = self.door.credentials.get("username") or ""
        self.password = self.door.credentials.get("password") or ""
        if not self.username or not self.password:
            raise SettingsError(f"door {self.door.id}: the IMAP poller needs the username and "
                                "password credentials")
        self.interval = float(self.door.options.get("poll_interval") or 60)

    def connect(self):
        """A logged-in mailbox on the door's folder."""
        host, port, context = self.url.hostname, self.url.port, ssl.create_default_context()
        if self.url.scheme == "imaps":
            mailbox = _mailbox_class(MailBox)(host, port or 993, timeout=60, ssl_context=context)
        elif loopback(host):
            mailbox = _mailbox_class(MailBoxUnencrypted)(host, port or 143, timeout=60)
        else:
            mailbox = _mailbox_class(MailBoxStartTls)(host, port or 143, timeout=60,
                                                      ssl_context=context)
        return mailbox.login(self.username, self.password, initial_folder=self.folder)

    def poll_once(self, mailbox) -> int:
        """Take every unseen mail; the number taken into the intake."""
        taken = 0
        for mail in mailbox.fetch(AND(seen=False), mark_seen=False, bulk=BATCH):
            if self.take(mailbox, mail):
                taken += 1
        return taken

    def take(self, mailbox, mail: RawMessage) -> bool:
        """One mail: read it, take it, then mark it (see the module docstring)."""
        reading = self.adapter.read_mail(mail.raw)
        flags = (SEEN,)
        if reading.ignored:
            log.info("not a complaint door=%s (%s): not answered", self.door.id, reading.ignored)
        elif reading.refused:
            log.warning("refused mail door=%s: DMARC did not pass; flagged", self.door.id)
            flags = (SEEN, FLAGGED)
        else:
            try:
                self.intake.receive(self.adapter, reading.message, uploads=reading.uploads)
            except Rejected as exc:
                log.warning("refused mail door=%s: %s; flagged", self.door.id, exc.reason)
                flags = (SEEN, FLAGGED)
            except Exception as exc:  # noqa: BLE001 - left unseen: the next poll takes it
                log.error("mail not queued door=%s (%s): left unseen", self.door.id,
                          type(exc).__name__)
                return False
        mailbox.flag(mail.uid, flags, True)
        return not (reading.ignored or reading.refused) and FLAGGED not in flags

    def wait(self, mailbox, stop: threading.Event) -> None:
        """Until new mail (IDLE) or ``poll_interval`` seconds, whichever is first."""
        if "IDLE" in mailbox.client.capabilities:
            remaining = self.interval
            while remaining > 0 and not stop.is_set():
                step = min(remaining, 5.0)        # wake for stop at least every 5 s
                if mailbox.idle.wait(timeout=step):
                    return
                remaining -= step
        else:
            stop.wait(self.interval)

    def run(self, stop: threading.Event) -> None:
        failures = 0
        log.info("imap poller started door=%s", self.door.id)
        while not stop.is_set():
            try:
                with self.connect() as mailbox:
                    failures = 0
                    while not stop.is_set():
                        self.poll_once(mailbox)
                        self.wait(mailbox, stop)
            except MailboxLoginError:
                failures += 1
                log.error("imap login refused door=%s: check the username and password", self.door.id)
            except _FAILURES as exc:
                failures += 1
                log.warning("imap poll failed door=%s (%s)", self.door.id, type(exc).__name__)
            stop.wait(random.uniform(0.5, 1.0) * min(300.0, 2 ** min(failures, 8)))
        log.info("imap poller stopped door=%s", self.door.id)


def run_poller(parts, door_id: str, stop: threading.Event, once: bool = False) -> int:
    """What ``lapor-gateway imap poll`` runs: the number of mails taken when ``once``."""
    adapter = parts.adapters.get(door_id)
    if adapter is None or getattr(adapter, "name", "") != "email":
        raise SettingsError(f"no email door with id {door_id!r}")
    poller = ImapPoller(adapter, parts.intake)
    if not once:
        poller.run(stop)
        return 0
    with poller.connect() as mailbox:
        return poller.poll_once(mailbox)
