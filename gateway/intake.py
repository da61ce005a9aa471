"""The one way through: door -> adapter -> normalizer -> store + queue -> answer.

``Intake.handle`` serves ``/in/<door>``: it finds the door's adapter, lets it verify and
parse the request, and ``receive``s each message: ``take`` turns it into a complaint, a
follow-up event of the reporter's open complaint, or an answer to a command (CEK, STOP,
MULAI, BANTUAN), recorded in the store and published to the queue (one round trip for a
new complaint on a same-Redis broker). Only then does the adapter answer the provider.
Channels whose webhook answer cannot carry the reply get it through the replies queue.

Floods: a sender above LAPOR_FLOOD_PER_MINUTE on one door is never refused (providers are
never answered 429): its messages are flagged ``flood`` and routed to the bulk queue,
which the forwarder serves beside the main one, so it cannot delay anyone else.

Follow-ups: a reporter's next message on the same door within LAPOR_FOLLOWUP_MINUTES joins
their open complaint as an event (a photo after the text, a location after the photo); a
classification keyword (LAPOR ...) or ``new_thread`` starts a new complaint. An edit of an
earlier message becomes an ``edit`` event of the complaint that message made.

When the broker refuses a message that the store accepted, the citizen is still answered:
the ledger has it (state ``accepted``) and a retry is scheduled in the store, which the
forwarder publishes as soon as it reaches the broker (the reconciler is the last resort).
When the store itself is down, the complaint goes to the fsynced disk spool
(``forwarder.spool``) and the citizen is answered with its tracking number as usual; a
drainer thread replays the spool in order when the store is back. Replies that cannot be
queued are spooled the same way.
"""
from __future__ import annotations

import json
import logging
import secrets
import threading
import time
import uuid
from datetime import datetime, timezone

from channels.base import Rejected, WebRequest, WebResponse
from normalizer.values import InboundMessage, Outcome
from config import messages
from forwarder import store as codes
from forwarder.delivery import ReplyTracker
from forwarder.notifier import enqueue_reply
from forwarder.queue import PublishError
from gateway.limits import ReporterLookups
from redis import RedisError
from normalizer import tracking
from normalizer.identity import keyed_ref, mask, pseudonym
from normalizer.normalize import (Context, build_complaint, build_event, interpret, is_private,
                                  keyed_id, reporter_handle)
from normalizer.text import clean_message

log = logging.getLogger("lapor.intake")
DRAIN_INTERVAL = 1.0
PUBLISH_RETRY_SECONDS = 1.0   # a publish the broker refused: the forwarder tries after this


class KeyReused(Rejected):
    """422: a client-chosen id (Idempotency-Key, the form's submission id) already named a
    complaint with a different body; nothing is recorded, nothing merged."""

    def __init__(self):
        super().__init__(422, "Idempotency-Key already used for a different request body")


class Intake:
    def __init__(self, settings, catalogue, adapters, store, publisher, spool=None):
        self.settings = settings
        self.spool = spool
        self._drainer = None
        self._floods: dict[str, float] = {}    # open key -> until when it counts as flooding
        self.catalogue = catalogue
        self.adapters = adapters
        self.store = store
        self.publisher = publisher
        self.replies = ReplyTracker(settings, catalogue, store, publisher)   # delivery reports
        self.window = settings.followup_minutes * 60
        self.lookups = ReporterLookups(settings)     # CEK per reporter: LAPOR_RATE_LIMIT_LOOKUP
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
        answer = adapter.authenticate(request)       # configured, handshake, verified
        if answer is not None:
            return answer
        self.replies.reported(door_id, adapter.delivery_reports(request))
        outcomes = [self.receive(adapter, message) for message in adapter.parse(request)]
        return adapter.respond(outcomes)

    def receive(self, adapter, message: InboundMessage) -> Outcome:
        """Take one message and, unless the adapter answers inline, queue the reply."""
        outcome = self.take(message)
        if not adapter.replies_inline and outcome.reply_text:
            self.reply(adapter.door, message, outcome)
        return outcome

    def reply(self, door, message: InboundMessage, outcome: Outcome) -> None:
        handle = reporter_handle(message)
        if not handle:
            return
        body = {"door_id": door.id, "to": handle, "sender_kind": message.sender_kind,
                "text": outcome.reply_text,
                "complaint_id": outcome.complaint_id, "kind": outcome.kind,
                "private": not message.public, "reply_to": message.provider_message_id,
                "tracking_number": outcome.tracking_number}
        try:
            enqueue_reply(self.publisher, door.channel, body)
        except PublishError as exc:   # the broker is down: keep the reply on disk too
            if self.spool is None:
                log.error("reply not queued door=%s complaint=%s: %s", door.id,
                          outcome.complaint_id or "-", exc)
                return
            self.spool.append({"reply": body, "channel": door.channel})
            self.ensure_drainer()

    # ----- one message ------------------------------------------------------------------
    def take(self, message: InboundMessage, lang: str | None = None) -> Outcome:
        """Record and queue one message; return what to tell the citizen."""
        message = clean_message(message)      # no lone surrogate reaches Redis or a queue
        lang = lang or message.language
        parsed = interpret(message)
        if parsed.command:
            return self.command(message, parsed, lang)
        ctx = self._contexts[message.door_id]
        if message.is_edit and message.meta.get("edit_of"):
            original = self.store.find_duplicate(self.dedup_id(message.door_id,
                                                               str(message.meta["edit_of"])))
            if original:
                return self.add_event(message, parsed, "edit", original, "", lang)
        dedup_id = self.dedup_id(message.door_id, message.provider_message_id)
        handle = reporter_handle(message)
        join = bool(handle) and self.window > 0 and not message.new_thread and not parsed.keyword
        open_key = self.store.open_key(message.door_id, pseudonym(
            self.settings.secret_key, message.sender_kind, handle)) if handle else ""
        flood = self._flooding(open_key)
        routing_key = f"complaint.{'bulk.new' if flood else 'new'}.{message.channel}"
        for _ in range(5):  # a tracking-number collision is ~1e-5 at a million complaints
            complaint = build_complaint(message, parsed, uuid.uuid4().hex,
                                        tracking.new_tracking_number(secrets.randbelow), ctx)
            if flood:
                complaint["flags"].append("flood")
            serialized = json.dumps(complaint, ensure_ascii=False)
            publish = self._prepare(routing_key, serialized, complaint["id"], "complaint")
            try:
                code, cid, number, recent = self.store.accept(
                    complaint, dedup_id, handle, publish, serialized, open_key, self.window, join,
                    message.provider_message_id, message.public, message.body_fingerprint)
            except RedisError as exc:
                return self._spool(message, complaint, dedup_id, handle, lang, exc)
            if code != codes.COLLISION:
                break
        else:
            raise RuntimeError("could not allocate a tracking number")
        if code == codes.CONFLICT:
            log.info("refused door=%s: id reused for another body (complaint=%s)", message.door_id, cid)
            raise KeyReused()
        self._note_rate(open_key, recent)
        if code == codes.FOLLOWUP:
            return self.add_event(message, parsed, "followup", (cid, number), open_key, lang)
        if code == codes.DUPLICATE:
            return self._duplicate(message, cid, number, lang)
        if publish is None:
            self._publish(routing_key, complaint, cid, "complaint")
        self._fetch_media_later(message, cid, number, is_private(parsed))
        log.info("accepted door=%s complaint=%s class=%s reporter=%s", message.door_id, cid,
                 complaint["classification"], mask(handle))
        return Outcome(message, number, self.ack_text(complaint, lang), complaint_id=cid)

    def _spool(self, message, complaint: dict, dedup_id: str, handle: str, lang: str, exc) -> Outcome:
        """The store is down: keep the complaint on disk (fsynced) and answer normally."""
        if self.spool is None:
            raise exc
        self.spool.append({"complaint": complaint, "dedup_id": dedup_id, "handle": handle})
        self.ensure_drainer()
        log.warning("store unavailable (%s): complaint=%s spooled to disk", type(exc).__name__,
                    complaint["id"])
        return Outcome(message, complaint["tracking_number"], self.ack_text(complaint, lang),
                       complaint_id=complaint["id"])

    def ensure_drainer(self) -> None:
        """Start, once per process, the thread that drains the spool when the store is back."""
        if self._drainer is None or not self._drainer.is_alive():
            self._drainer = threading.Thread(target=self._drain_forever, name="spool-drainer",
                                             daemon=True)
            self._drainer.start()

    def _drain_forever(self) -> None:
        while True:
            time.sleep(DRAIN_INTERVAL)
            try:
                if self.spool.files():
                    done, corrupt = self.spool.drain(self.replay_spooled)
                    if done or corrupt:
                        log.warning("spool: %d record(s) replayed, %d corrupt kept aside",
                                    done, corrupt)
            except Exception:  # noqa: BLE001 - the drainer must outlive any one failure
                log.exception("spool drain failed; trying again")

    def replay_spooled(self, record: dict) -> None:
        """Put a spooled record through the store and onto the queue (or, if the broker
        refuses, the forwarder's retry schedule); raise while the store is still down, so
        the drain pauses here and replays this record again (harmless: the store
        recognizes it, and it is published again; the central side dedups).
        A complaint stays a complaint of its own: the citizen already has its number."""
        if "reply" in record:
            enqueue_reply(self.publisher, record["channel"], record["reply"])
            return
        complaint = record["complaint"]
        for attempt in range(5):
            serialized = json.dumps(complaint, ensure_ascii=False)
            routing_key = f"complaint.new.{complaint['channel']}"
            publish = self._prepare(routing_key, serialized, complaint["id"], "complaint")
            code, cid, _, _ = self.store.accept(complaint, record.get("dedup_id", ""),
                                             record.get("handle", ""), publish, serialized)
            if code == codes.ACCEPTED:
                if publish is None:      # not queued with the record: publish or schedule
                    self._publish(routing_key, complaint, cid, "complaint", strict=True)
                return
            if code == codes.DUPLICATE and cid != complaint["id"]:
                return                   # the provider's retry was recorded as its own
            if code == codes.DUPLICATE or self._recorded_as(complaint):
                # This very complaint is recorded already: by an earlier replay whose publish
                # failed, or by the store running its script while intake timed out. Publish
                # it again unless delivered (the central side dedups).
                if self.store.ledger(complaint["id"]).get("state") == "accepted":
                    self._publish(routing_key, complaint, complaint["id"], "complaint", strict=True)
                return
            log.error("spooled complaint=%s: tracking number taken meanwhile; a new one is "
                      "allocated and flagged", complaint["id"])
            complaint = {**complaint, "tracking_number": tracking.new_tracking_number(secrets.randbelow),
                         "flags": complaint["flags"] + ["tracking_number_reallocated"]}

    def _recorded_as(self, complaint: dict) -> bool:
        """True when the store already holds ``complaint`` under its tracking number."""
        owner = self.store.redis.get(codes.P + "t:" + complaint["tracking_number"])
        return owner is not None and owner.decode() == complaint["id"]

    def add_event(self, message: InboundMessage, parsed, event_type: str, parent: tuple,
                  open_key: str, lang: str) -> Outcome:
        """Record a follow-up or an edit as an event of the complaint ``parent``."""
        cid, number = parent
        private = is_private(parsed) or self._private_complaint(cid)
        event = build_event(message, parsed, event_type, uuid.uuid4().hex, cid, number,
                            self._contexts[message.door_id], private)
        flood = self._flooding(open_key)
        if flood:
            event["flags"].append("flood")
        routing_key = f"complaint.{'bulk.event' if flood else 'event'}.{message.channel}"
        serialized = json.dumps(event, ensure_ascii=False)
        publish = self._prepare(routing_key, serialized, event["event_id"], "event")
        dedup_id = self.dedup_id(message.door_id, message.provider_message_id)
        code, cid, number, recent = self.store.accept_event(event, dedup_id, open_key,
                                                            self.window, publish, serialized)
        self._note_rate(open_key, recent)
        if code == codes.DUPLICATE:
            return self._duplicate(message, cid, number, lang)
        if publish is None:
            self._publish(routing_key, event, event["event_id"], "event")
        self._fetch_media_later(message, cid, number, private)
        log.info("%s door=%s complaint=%s event=%s", event_type, message.door_id, cid, event["event_id"])
        key = "ack_edit" if event_type == "edit" else "ack_followup"
        return Outcome(message, number, messages.text(key, lang, tracking=tracking.display(number)),
                       followup=True, complaint_id=cid)

    def command(self, message: InboundMessage, parsed, lang: str) -> Outcome:
        """Answer CEK, STOP/BERHENTI, MULAI and BANTUAN; none makes a complaint."""
        if parsed.command == "status":
            handle = reporter_handle(message)
            if handle and not self.lookups.allowed(message.door_id, pseudonym(
                    self.settings.secret_key, message.sender_kind, handle)):
                return Outcome(message, "", messages.text("status_limited", lang), kind="answer")
            return Outcome(message, "", self.status_reply(parsed.argument, lang), kind="answer")
        if parsed.command in ("stop", "start"):
            handle = reporter_handle(message)
            if handle:
                self.store.set_opt_out(message.door_id, pseudonym(
                    self.settings.secret_key, message.sender_kind, handle), parsed.command == "stop")
            key = "optout_done" if parsed.command == "stop" else "optin_done"
            return Outcome(message, "", messages.text(key, lang), kind="answer")
        return Outcome(message, "", messages.text("help", lang), kind="answer")

    def dedup_id(self, door_id: str, provider_id: str) -> str:
        """The dedup key's name for a provider message: the id keyed, never in clear, so
        the Redis files hold no provider id of any reporter ('' without an id)."""
        return f"{door_id}:{keyed_ref(self.settings.secret_key, provider_id)}" if provider_id else ""

    def _private_complaint(self, cid: str) -> bool:
        """Whether the complaint a follow-up joins is anonymous or confidential; when its
        record is gone (expired), the safe answer: yes."""
        complaint = self.store.complaint(cid)
        privacy = (complaint or {}).get("privacy") or {"anonymous": True}
        return bool(privacy.get("anonymous") or privacy.get("confidential"))

    def _flooding(self, open_key: str) -> bool:
        """True while this sender is known (in this process) to exceed the flood rate."""
        until = self._floods.get(open_key)
        if until is None:
            return False
        if until < time.monotonic():
            del self._floods[open_key]
            return False
        return True

    def _note_rate(self, open_key: str, recent: int) -> None:
        if open_key and recent > self.settings.flood_per_minute:
            if open_key not in self._floods:
                log.warning("flood: a sender exceeds %d messages a minute; queued as bulk",
                            self.settings.flood_per_minute)
            self._floods[open_key] = time.monotonic() + 60

    def _duplicate(self, message: InboundMessage, cid: str, number: str, lang: str) -> Outcome:
        log.info("duplicate door=%s complaint=%s", message.door_id, cid)
        return Outcome(message, number, messages.text(
            "ack_duplicate", lang, tracking=tracking.display(number)), duplicate=True,
            complaint_id=cid)

    def _prepare(self, routing_key: str, serialized: str, key: str, kind: str):
        try:
            return self.publisher.prepare(routing_key, serialized, key, kind)
        except PublishError:
            return None

    def _publish(self, routing_key: str, body: dict, key: str, kind: str,
                 strict: bool = False) -> None:
        """Publish a recorded complaint or event; if the broker refuses, schedule it in the
        store for the forwarder to publish as soon as it reaches the broker (its retry
        tick), not after the reconciler's LAPOR_RECONCILE_AFTER_SECONDS. ``strict``: raise
        when even that fails (the spool drain then pauses and replays the record later)."""
        try:
            self.publisher.publish(routing_key, body, key, kind)
        except PublishError as exc:
            try:
                self.store.schedule("complaint", key, PUBLISH_RETRY_SECONDS)
                log.warning("publish deferred to the forwarder %s=%s: %s", kind, key, exc)
            except RedisError:
                if strict:
                    raise
                log.warning("publish deferred to the reconciler %s=%s: %s", kind, key, exc)

    def _fetch_media_later(self, message: InboundMessage, cid: str, number: str,
                           private: bool) -> None:
        """Queue a media-fetch job per attachment the provider holds; never blocks intake.
        For a private complaint the job says so and names the message by its keyed id, so
        the media event carries nothing the provider could map back to the reporter."""
        provider_id = message.provider_message_id
        if private:
            provider_id = keyed_id(self.settings.secret_key, provider_id)
        for index, item in enumerate(message.attachments):
            if not item.provider_ref or item.stored_ref:
                continue
            job = {"door_id": message.door_id, "complaint_id": cid, "tracking_number": number,
                   "provider_message_id": provider_id, "index": index, "private": private,
                   "kind": item.kind, "content_type": item.content_type, "size": item.size,
                   "provider_ref": item.provider_ref, "filename": item.filename, "attempts": 0}
            try:
                self.publisher.publish(f"media.{message.channel}", job, f"{cid}:{index}", "media")
            except PublishError as exc:
                log.warning("media fetch not queued complaint=%s: %s", cid, exc)

    def ack_text(self, complaint: dict, lang: str) -> str:
        """The acknowledgement; "send CEK ... to <short code>" only on doors that have one
        (on a chat the citizen simply answers in the same chat)."""
        number = complaint["tracking_number"]
        door = self.catalogue.doors.get(complaint["door"])
        short_code = door.options.get("short_code", "") if door else ""
        return messages.text("ack", lang, tracking=tracking.display(number), compact=number,
                             where_id=f" ke {short_code}" if short_code else "",
                             where_en=f" to {short_code}" if short_code else "",
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

    def status_reply(self, number: str, lang: str = "id", key: str = "status") -> str:
        verdict, found = self.lookup(number)
        shown = tracking.compact(number)[:20]
        if verdict == "missing":
            return messages.text("status_missing_number", lang)
        if verdict != "ok":
            return messages.text(f"status_{verdict}", lang, number=shown)
        return messages.text(
            key, lang, tracking=tracking.display(shown),
            status=messages.status_label(found["status"], lang),
            agency=(found.get("agency") or messages.text("not_assigned", lang))[:40],
            due=messages.format_date(found["due_date"]))


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
