"""The e-mail doors' inbound SMTP server (``lapor-gateway smtp``), built on ``aiosmtpd``.

One server serves every door of channel ``email``: ``RCPT TO`` picks the door whose
``address`` option names the recipient. What each SMTP answer means:

    RCPT  250  a door's address
          550  5.1.1 no such LAPOR! mailbox; the answer lists the addresses that exist
               (no wrong door: the sender is told where to write, by their own MTA's bounce)
          452  4.5.3 a second door in the same mail: the sending MTA sends it again
               separately, so each door gets its own copy (one complaint per door)
    DATA  250  2.0.0 the complaint (or follow-up) is durably queued (store + queue, or the
               disk spool): the number is in the answer text
          250  2.6.0 an auto-reply or a bounce: not a complaint, nothing answered (logged)
          550  5.7.1 DMARC did not pass on a door with ``require_dmarc_pass``
          550  5.7.0 the Message-ID was already used for a different mail
          451  4.3.0 not queued (store and spool unavailable): the sending MTA retries, so
               nothing is lost; its retry of a mail that was queued meanwhile is a duplicate
          552  larger than LAPOR_MAX_BODY_BYTES (aiosmtpd's size limit, as the HTTP doors')

The intake is blocking (Redis, fsync), so each DATA runs in a worker thread while the event
loop keeps serving other connections. No address is ever logged.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller

from channels.base import Rejected
from channels.email.adapter import addresses
from normalizer import tracking

log = logging.getLogger("lapor.channels.email")
WORKERS = 8


def _address(raw: str) -> str:
    return raw.strip().strip("<>").strip().lower()


class DoorHandler:
    """aiosmtpd's handler: recipient -> door, DATA -> ``intake.receive``."""

    def __init__(self, intake, email_adapters: dict):
        self.intake = intake
        self.by_address = {address: adapter for adapter in email_adapters.values()
                           for address in addresses(adapter.door)}
        self.executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="smtp-intake")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        adapter = self.by_address.get(_address(address))
        if adapter is None:
            known = ", ".join(sorted(self.by_address)) or "none"
            return f"550 5.1.1 No LAPOR! mailbox at this address; complaints go to: {known}"
        if envelope.rcpt_tos and self.by_address[_address(envelope.rcpt_tos[0])] is not adapter:
            return "452 4.5.3 One LAPOR! door per message: send to this address separately"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        adapter = self.by_address[_address(envelope.rcpt_tos[0])]
        peer = session.peer[0] if isinstance(session.peer, tuple) else None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.deliver, adapter,
                                          envelope.original_content or envelope.content,
                                          envelope.mail_from, peer)

    def deliver(self, adapter, raw: bytes, mail_from: str | None, peer: str | None) -> str:
        """Read one mail for ``adapter``'s door and take it; the SMTP answer."""
        try:
            reading = adapter.read_mail(raw, envelope_sender=mail_from or "", peer=peer)
            if reading.ignored:
                log.info("not a complaint door=%s (%s): not answered", adapter.door.id,
                         reading.ignored)
                return "250 2.6.0 Not a complaint (auto-reply or bounce): not answered"
            if reading.refused:
                log.info("refused mail door=%s: DMARC did not pass", adapter.door.id)
                return f"550 5.7.1 {reading.refused}"
            outcome = self.intake.receive(adapter, reading.message, uploads=reading.uploads)
        except Rejected as exc:      # the Message-ID reused for another mail (422)
            log.info("refused mail door=%s: %s", adapter.door.id, exc.reason)
            return "550 5.7.0 This Message-ID was already used for a different message"
        except Exception as exc:  # noqa: BLE001 - any failure: the sending MTA retries
            log.error("mail not queued door=%s (%s): answered 451", adapter.door.id,
                      type(exc).__name__)
            return "451 4.3.0 Complaint not queued yet; please try again later"
        number = tracking.display(outcome.tracking_number) if outcome.tracking_number else "-"
        return f"250 2.0.0 Queued: LAPOR! {number}"


def email_adapters(parts) -> dict:
    return {door_id: adapter for door_id, adapter in parts.adapters.items()
            if getattr(adapter, "name", "") == "email"}


def start(parts, host: str, port: int) -> Controller:
    """Start the server in its own thread (``controller.stop()`` ends it)."""
    handler = DoorHandler(parts.intake, email_adapters(parts))
    controller = Controller(handler, hostname=host, port=port, ident="LAPOR! gateway",
                            data_size_limit=parts.settings.max_body_bytes, enable_SMTPUTF8=True)
    controller.start()
    return controller


def serve(parts, host: str, port: int, stop: threading.Event) -> None:
    """What ``lapor-gateway smtp`` runs: serve until ``stop`` is set."""
    controller = start(parts, host, port)
    log.info("smtp server listening on %s:%d for %d e-mail door(s)", host, port,
             len(email_adapters(parts)))
    try:
        stop.wait()
    finally:
        controller.stop()
        log.info("smtp server stopped")
