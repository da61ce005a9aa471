"""The one way through: door -> adapter -> normalizer -> store + queue -> answer.

``Intake.handle`` serves ``/in/<door>``: it finds the door's adapter, lets it verify and
parse the request, and ``receive``s each message through the complaint service
(``gateway.complaints``: a complaint, an event or a command). Only then does the adapter
answer the provider. Channels whose webhook answer cannot carry the reply get it through
the replies queue (``reply``), or the disk spool when the broker is down.

The parts: ``gateway.complaints`` (what a message becomes), ``gateway.acceptance`` (the
accept loop, the spool and its drainer), ``gateway.flood`` (the flood meter),
``gateway.replytexts`` (what the citizen is told).
"""
from __future__ import annotations

import logging
from dataclasses import replace

from channels.base import Rejected, WebRequest, WebResponse
from config.logs import log_context
from normalizer.values import InboundMessage, Outcome
from forwarder import attachments
from forwarder.delivery import ReplyTracker
from gateway.acceptance import Acceptance
from gateway.complaints import ComplaintService, KeyReused
from gateway.flood import FloodMeter
from gateway.metoo import Linker
from gateway.replytexts import ReplyTexts
from normalizer.normalize import reporter_handle

__all__ = ["Intake", "KeyReused"]
log = logging.getLogger("lapor.intake")


class Intake:
    def __init__(self, settings, catalogue, adapters, store, publisher, spool=None):
        self.settings = settings
        self.catalogue = catalogue
        self.adapters = adapters
        self.store = store
        self.publisher = publisher
        self.spool = spool
        self.replies = ReplyTracker(settings, catalogue, store, publisher)   # delivery reports
        self.texts = ReplyTexts(catalogue, store)
        self.acceptance = Acceptance(store, publisher, spool, Linker(settings, store))
        self.complaints = ComplaintService(settings, catalogue, store, self.acceptance,
                                           FloodMeter(settings.flood_per_minute), self.texts)
        self._contexts = self.complaints.contexts      # door id -> normalizer Context

    # ----- dispatch -----------------------------------------------------------------------
    def handle(self, door_id: str, request: WebRequest) -> WebResponse:
        adapter = self.adapters.get(door_id)
        if adapter is None:
            raise Rejected(404, f"unknown door {door_id[:64]!r}")
        answer = adapter.authenticate(request)       # configured, handshake, verified
        if answer is not None:
            return answer
        self.replies.reported(door_id, adapter.delivery_reports(request))
        outcomes = [self.receive(adapter, message) for message in adapter.parse(request)]
        return adapter.respond(outcomes)

    def receive(self, adapter, message: InboundMessage, uploads=()) -> Outcome:
        """Take one message and, unless the adapter answers inline, queue the reply.
        ``uploads``: files that came whole with the message (an e-mail's attachments,
        already within the limits), stored first so the complaint never names a missing file."""
        if uploads:
            message = replace(message, attachments=message.attachments
                              + attachments.save_all(self.settings.attachments_dir, uploads))
        if adapter.replies_inline:
            return self.take(message)
        door = adapter.door
        outcome = self.take(message, reply=lambda made: self._reply_body(door, message, made))
        if outcome.reply_text and not outcome.reply_queued:
            self.reply(door, message, outcome)
        return outcome

    def _reply_body(self, door, message: InboundMessage, outcome: Outcome) -> tuple[str, dict] | None:
        """(channel, the reply's body) telling the reporter ``outcome``; None without a handle."""
        handle = reporter_handle(message)
        if not handle:
            return None
        return door.channel, {
            "door_id": door.id, "to": handle, "sender_kind": message.sender_kind,
            "text": outcome.reply_text, "complaint_id": outcome.complaint_id, "kind": outcome.kind,
            "private": not message.public, "reply_to": message.provider_message_id,
            "tracking_number": outcome.tracking_number, "language": outcome.language}

    def reply(self, door, message: InboundMessage, outcome: Outcome) -> None:
        made = self._reply_body(door, message, outcome)
        if made is None:
            return
        self.queue_reply(*made)

    def queue_reply(self, channel: str, body: dict) -> bool:
        """Queue a reply, or schedule or spool it (``Acceptance.hand_on``); False when it
        could be kept nowhere (logged)."""
        if self.acceptance.hand_on("reply", channel, body):
            return True
        log.error("reply not queued door=%s complaint=%s: broker and store down, no spool",
                  body.get("door_id", "-"), body.get("complaint_id") or "-")
        return False

    # ----- the parts' entries, as the web side, CLI and workers call them --------------------
    def take(self, message: InboundMessage, lang: str | None = None, reply=None) -> Outcome:
        """Record and queue one message; return what to tell the citizen (``reply``: see
        ``ComplaintService.take``). Log lines meanwhile carry its door and, once known, its
        complaint id (``config.logs``)."""
        with log_context(door=message.door_id, complaint_id=None):
            return self.complaints.take(message, lang, reply)

    def command(self, message: InboundMessage, parsed, lang: str) -> Outcome:
        return self.complaints.command(message, parsed, lang)

    def replay_spooled(self, record: dict) -> None:
        """Replay one spooled record (``Acceptance.replay``)."""
        self.acceptance.replay(record)

    def ensure_drainer(self) -> None:
        self.acceptance.ensure_drainer()

    def lookup(self, number: str) -> tuple[str, dict | None]:
        return self.texts.lookup(number)

    def status_reply(self, number: str, lang: str = "id", key: str = "status") -> str:
        return self.texts.status_reply(number, lang, key)
