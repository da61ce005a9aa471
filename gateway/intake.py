"""The one way through: door -> adapter -> normalizer -> store + queue -> answer.

``Intake.handle`` serves ``/in/<door>``: it finds the door's adapter, lets it verify and
parse the request, turns each message into a complaint (or answers a command such as
``CEK``), records it in the store (dedup, ledger, status: one round trip) and publishes it
to the queue, and only then lets the adapter answer the provider. ``Intake.submit`` does the
same for one message that the web form or the JSON API already parsed.

When the broker refuses a message that the store has accepted, the complaint is still on
record (ledger state ``accepted``) and the forwarder's reconciler publishes it later; the
citizen is answered normally. When the store itself is down, the request fails with 503
(a provider retries; a citizen on the web sees a page saying to try again).
"""
from __future__ import annotations

import json
import logging
import secrets
import uuid
from datetime import datetime, timezone

from channels.base import InboundMessage, Outcome, Rejected, WebRequest, WebResponse
from config import messages
from forwarder import store as store_codes
from forwarder.queue import PublishError
from normalizer import tracking
from normalizer.identity import mask
from normalizer.normalize import Context, build_complaint, interpret, reporter_handle

log = logging.getLogger("lapor.intake")


class Intake:
    def __init__(self, settings, catalogue, adapters, store, publisher):
        self.settings = settings
        self.catalogue = catalogue
        self.adapters = adapters
        self.store = store
        self.publisher = publisher
        self._contexts = {
            door.id: Context(secret_key=settings.secret_key, routing_rules=catalogue.routing,
                             door_agency=door.agency, central_public_key=settings.central_public_key,
                             max_text_chars=settings.max_text_chars)
            for door in catalogue.doors.values()
        }

    # ----- webhooks ---------------------------------------------------------------------
    def handle(self, door_id: str, request: WebRequest) -> WebResponse:
        adapter = self.adapters.get(door_id)
        if adapter is None:
            raise Rejected(404, f"unknown door {door_id[:64]!r}")
        if request.method == "GET":
            answer = adapter.challenge(request)
            if answer is not None:
                return answer
        adapter.verify(request)
        outcomes = [self.take(message) for message in adapter.parse(request)]
        return adapter.respond(outcomes)

    # ----- one message ------------------------------------------------------------------
    def take(self, message: InboundMessage, lang: str | None = None) -> Outcome:
        """Record and queue one message; return what to tell the citizen."""
        lang = lang or message.language
        parsed = interpret(message)
        if parsed.command == "status":
            return Outcome(message, "", self.status_reply(parsed.argument, lang))
        complaint = None
        dedup_id = f"{message.door_id}:{message.provider_message_id}" if message.provider_message_id else ""
        handle = reporter_handle(message)
        for _ in range(5):  # a tracking-number collision is ~1e-5 at a million complaints
            complaint = build_complaint(message, parsed, uuid.uuid4().hex,
                                        tracking.new_tracking_number(secrets.randbelow),
                                        self._contexts[message.door_id])
            routing_key = f"complaint.new.{message.channel}"
            serialized = json.dumps(complaint, ensure_ascii=False)
            try:
                publish = self.publisher.prepare(routing_key, serialized, complaint["id"], "complaint")
            except PublishError:
                publish = None
            code, cid, number = self.store.accept(complaint, dedup_id, handle, publish, serialized)
            if code != store_codes.COLLISION:
                break
        else:
            raise RuntimeError("could not allocate a tracking number")
        if code == store_codes.DUPLICATE:
            log.info("duplicate door=%s provider_id=%s complaint=%s", message.door_id,
                     message.provider_message_id[:64], cid)
            return Outcome(message, number, messages.text(
                "ack_duplicate", lang, tracking=tracking.display(number)), duplicate=True)
        if publish is None:
            try:
                self.publisher.publish(routing_key, complaint, cid, "complaint")
            except PublishError as exc:
                log.warning("publish deferred to the reconciler complaint=%s: %s", cid, exc)
        log.info("accepted door=%s complaint=%s class=%s reporter=%s", message.door_id, cid,
                 complaint["classification"], mask(handle))
        return Outcome(message, number, self.ack_text(complaint, lang))

    def ack_text(self, complaint: dict, lang: str) -> str:
        number = complaint["tracking_number"]
        return messages.text("ack", lang, tracking=tracking.display(number), compact=number,
                             due=messages.format_date(complaint["service_level"]["due_date"]))

    # ----- status ---------------------------------------------------------------------
    def lookup(self, number: str) -> tuple[str, dict | None]:
        """('ok', status) | ('mistyped', None) | ('unknown', None) | ('missing', None)."""
        digits = tracking.compact(number)
        if not digits:
            return "missing", None
        if not tracking.is_valid(digits):
            if len(digits) == tracking.LENGTH and digits.isdigit():
                return "mistyped", None
            return "unknown", None
        found = self.store.status(digits)
        return ("ok", found) if found else ("unknown", None)

    def status_reply(self, number: str, lang: str = "id") -> str:
        verdict, found = self.lookup(number)
        shown = tracking.compact(number)[:20]
        if verdict == "missing":
            return messages.text("status_missing_number", lang)
        if verdict != "ok":
            return messages.text(f"status_{verdict}", lang, number=shown)
        return messages.text(
            "status", lang, tracking=tracking.display(shown),
            status=messages.status_label(found["status"], lang),
            agency=(found.get("agency") or messages.text("not_assigned", lang))[:40],
            due=messages.format_date(found["due_date"]))


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
