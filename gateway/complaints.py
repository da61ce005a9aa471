"""The complaint service: what one message becomes (a complaint, an event or a command).

``take`` turns a message into a new complaint, a follow-up event of the reporter's open
complaint, an edit event of the complaint an earlier message made, or an answer to a
command (CEK, STOP, MULAI, BANTUAN), recorded in the store and published to the queue
(one round trip for a new complaint on a same-Redis broker), and says what to tell the
citizen.

Follow-ups: a reporter's next message on the same door within LAPOR_FOLLOWUP_MINUTES joins
their open complaint as an event (a photo after the text, a location after the photo); a
classification keyword (LAPOR ...) or ``new_thread`` starts a new complaint. An edit of an
earlier message becomes an ``edit`` event of the complaint that message made. Floods:
``gateway.flood``; the store and the spool: ``gateway.acceptance``.
"""
from __future__ import annotations

import json
import logging
import uuid
from dataclasses import replace

from channels.base import InboundMessage, Outcome, Rejected
from channels.open311.payload import listing
from config.logs import set_context
from forwarder.store import AcceptResult
from gateway.limits import ReporterLookups
from normalizer import tracking
from normalizer.identity import keyed_ref, mask, pseudonym
from normalizer.normalize import (Context, build_complaint, build_event, interpret, is_private,
                                  keyed_id, reporter_handle)
from normalizer.text import clean_message

log = logging.getLogger("lapor.intake")


class KeyReused(Rejected):
    """422: a client-chosen id (Idempotency-Key, the form's submission id) already named a
    complaint with a different body; nothing is recorded, nothing merged."""

    def __init__(self):
        super().__init__(422, "Idempotency-Key already used for a different request body")


class ComplaintService:
    def __init__(self, settings, catalogue, store, acceptance, floods, texts):
        self.settings = settings
        self.store = store
        self.acceptance = acceptance
        self.floods = floods
        self.texts = texts
        self.window = settings.followup_minutes * 60
        self.lookups = ReporterLookups(settings, store)     # CEK per reporter: LAPOR_RATE_LIMIT_LOOKUP
        self.linker = acceptance.linker               # "me too": LAPOR_LINK_WINDOW_DAYS
        self.contexts = {
            door.id: Context(secret_key=settings.secret_key, routing_rules=catalogue.routing,
                             door_agency=door.agency, central_public_key=settings.central_public_key,
                             max_text_chars=settings.max_text_chars)
            for door in catalogue.doors.values()
        }
        # an agency key's own door (``api-<agency>``) is no door of the doors file: its
        # messages name their agency themselves (``InboundMessage.owner``)
        self.keyed_door = Context(secret_key=settings.secret_key, routing_rules=catalogue.routing,
                                  central_public_key=settings.central_public_key,
                                  max_text_chars=settings.max_text_chars)

    def take(self, message: InboundMessage, lang: str | None = None, reply=None) -> Outcome:
        """Record and queue one message; return what to tell the citizen. ``reply``: for a
        channel that cannot answer inline, ``Outcome -> (channel, reply body) | None``, so a
        new complaint's acknowledgement is queued with it (``Outcome.reply_queued``)."""
        message = clean_message(message)      # no lone surrogate reaches Redis or a queue
        parsed = interpret(message)
        lang = lang or parsed.language or message.language   # REPORT, CHECK ...: English
        return replace(self._take(message, parsed, lang, reply), language=lang)

    def _take(self, message: InboundMessage, parsed, lang: str, reply=None) -> Outcome:
        if parsed.command:
            return self.command(message, parsed, lang)
        if message.is_edit and message.meta.get("edit_of"):
            original = self.store.find_duplicate(self.dedup_id(message.door_id,
                                                               str(message.meta["edit_of"])))
            if original:
                return self.add_event(message, parsed, "edit", original, "", lang)
        parent = self._thread_parent(message)
        if parent:
            return self.add_event(message, parsed, "followup", parent,
                                  self._open_key(message, reporter_handle(message)), lang)
        return self.new_complaint(message, parsed, lang, reply)

    def _thread_parent(self, message: InboundMessage) -> tuple[str, str] | None:
        """The complaint a reply names (an e-mail's In-Reply-To/References, a tracking number
        in its subject), only when it is this reporter's: anyone can write a number or an id."""
        handle = reporter_handle(message)
        if not handle or not (message.thread_refs or message.names_tracking):
            return None
        found = [self.store.find_duplicate(self.dedup_id(message.door_id, ref))
                 for ref in message.thread_refs]
        owner = self.store.tracking_owner(message.names_tracking) if message.names_tracking else None
        candidates = [item for item in found if item]
        candidates += [(owner, message.names_tracking)] if owner else []
        mine = self._pseudonym(message, handle)
        for cid, number in candidates:
            complaint = self.store.complaint(cid) or {}
            if (complaint.get("reporter") or {}).get("pseudonym") == mine:   # its own number:
                return cid, complaint.get("tracking_number") or number      # the one named may be an alias
        return None

    def new_complaint(self, message: InboundMessage, parsed, lang: str, reply=None) -> Outcome:
        """A new complaint, unless the store finds it a duplicate or a follow-up."""
        handle = reporter_handle(message)
        open_key = self._open_key(message, handle)
        flood = self.floods.flooding(open_key)
        routing_key = f"complaint.{'bulk.new' if flood else 'new'}.{message.channel}"
        found = {"related": []}

        def draw(taken: dict | None = None) -> dict | None:
            if taken is not None and self.store.tracking_owner(taken["tracking_number"]) == taken["id"]:
                return None     # this very complaint holds the number: recorded already (below)
            complaint = build_complaint(message, parsed, uuid.uuid4().hex,
                                        tracking.new_tracking_number(),
                                        self.context(message.door_id))
            complaint["related"] = found["related"]
            if flood:
                complaint["flags"].append("flood")
            return complaint

        acknowledged = self._acknowledgements(message, lang)
        first = draw()
        entry, found["related"] = self.linker.related(first) if self.linker else (None, [])
        first["related"] = found["related"]
        attempt = self.acceptance.accept(
            first, routing_key, draw, spool=True, listed=listing(message, first), link=entry,
            reply=None if reply is None else lambda complaint: reply(acknowledged(complaint)),
            dedup_id=self.dedup_id(message.door_id, message.provider_message_id), handle=handle,
            open_key=open_key, window=self.window, join_open=self._may_join(message, parsed, handle),
            reply_to=message.provider_message_id, public=message.public,
            fingerprint=message.body_fingerprint)
        complaint, recorded = attempt.complaint, attempt.recorded
        if recorded is None:                  # spooled: the citizen has the number all the same
            self._fetch_media_later(message, complaint["id"], complaint["tracking_number"],
                                    is_private(parsed), spooled=True)
            return acknowledged(complaint)
        if recorded.result == AcceptResult.COLLISION:
            # The script ran for this very complaint already (the store's client does not
            # resend, ``forwarder.store_client``; a client set to retry would). The record
            # stands (a second draw would be a second complaint, its first number told to
            # nobody); once a replica has it, it is published again (the central side dedups).
            self.store.confirm_recorded(message.door_id)
            recorded = recorded._replace(result=AcceptResult.ACCEPTED, id=complaint["id"],
                                         tracking=complaint["tracking_number"])
        cid, number = recorded.id, recorded.tracking
        set_context(complaint_id=cid)        # the lines of this message from here on
        if recorded.result == AcceptResult.CONFLICT:
            log.info("refused door=%s: id reused for another body (complaint=%s)", message.door_id, cid)
            raise KeyReused()
        self.floods.note(open_key, recorded.recent)
        if recorded.result == AcceptResult.FOLLOWUP:
            return self.add_event(message, parsed, "followup", (cid, number), open_key, lang)
        if recorded.result == AcceptResult.DUPLICATE:
            return self._duplicate(message, cid, number, lang)
        if not attempt.queued:
            self.acceptance.publish(routing_key, complaint, cid, "complaint")
        self._fetch_media_later(message, cid, number, is_private(parsed))
        log.info("accepted door=%s complaint=%s class=%s reporter=%s", message.door_id, cid,
                 complaint["classification"], mask(handle))
        return replace(acknowledged(complaint), reply_queued=attempt.reply_queued)

    def _acknowledgements(self, message: InboundMessage, lang: str):
        """``complaint -> Outcome``: what a new complaint's reporter is told, made once per
        complaint tried (the accept loop queues it with the complaint, then it is answered)."""
        made: dict[str, Outcome] = {}

        def acknowledged(complaint: dict) -> Outcome:
            if complaint["id"] not in made:
                made[complaint["id"]] = Outcome(
                    message, complaint["tracking_number"], self.texts.ack(complaint, lang),
                    complaint_id=complaint["id"], linked=bool(complaint.get("related")), language=lang)
            return made[complaint["id"]]
        return acknowledged

    def add_event(self, message: InboundMessage, parsed, event_type: str, parent: tuple,
                  open_key: str, lang: str) -> Outcome:
        """Record a follow-up or an edit as an event of the complaint ``parent``."""
        cid, number = parent
        private = is_private(parsed) or self._private_complaint(cid)
        event = build_event(message, parsed, event_type, uuid.uuid4().hex, cid, number,
                            self.context(message.door_id), private)
        flood = self.floods.flooding(open_key)
        if flood:
            event["flags"].append("flood")
        routing_key = f"complaint.{'bulk.event' if flood else 'event'}.{message.channel}"
        serialized = json.dumps(event, ensure_ascii=False)
        publish = self.acceptance.prepare(routing_key, serialized, event["event_id"], "event")
        dedup_id = self.dedup_id(message.door_id, message.provider_message_id)
        result, cid, number, recent = self.store.accept_event(   # WAITed for: NotReplicated is 503
            event, dedup_id, open_key, self.window, publish, serialized, confirmed=True)
        self.floods.note(open_key, recent)
        if result == AcceptResult.DUPLICATE:
            return self._duplicate(message, cid, number, lang)
        if publish is None:
            self.acceptance.publish(routing_key, event, event["event_id"], "event")
        self._fetch_media_later(message, cid, number, private)
        log.info("%s door=%s complaint=%s event=%s", event_type, message.door_id, cid, event["event_id"])
        return Outcome(message, number, self.texts.event_ack(event_type, number, lang),
                       followup=True, complaint_id=cid)

    def command(self, message: InboundMessage, parsed, lang: str) -> Outcome:
        """Answer CEK, STOP/BERHENTI, MULAI and BANTUAN; none makes a complaint."""
        handle = reporter_handle(message)
        if parsed.command == "status":
            if handle and not self.lookups.allowed(message.door_id,
                                                   self._pseudonym(message, handle)):
                return Outcome(message, "", self.texts.text("status_limited", lang), kind="answer")
            return Outcome(message, "", self.texts.status_reply(parsed.argument, lang),
                           kind="answer")
        if parsed.command in ("stop", "start"):
            if handle:
                self.store.set_opt_out(message.door_id, self._pseudonym(message, handle),
                                       parsed.command == "stop")
            key = "optout_done" if parsed.command == "stop" else "optin_done"
            return Outcome(message, "", self.texts.text(key, lang), kind="answer")
        return Outcome(message, "", self.texts.text("help", lang), kind="answer")

    def context(self, door_id: str) -> Context:
        return self.contexts.get(door_id, self.keyed_door)

    def dedup_id(self, door_id: str, provider_id: str) -> str:
        """The dedup key's name for a provider message: the id keyed, never in clear, so
        the Redis files hold no provider id of any reporter ('' without an id)."""
        return f"{door_id}:{keyed_ref(self.settings.secret_key, provider_id)}" if provider_id else ""

    def _open_key(self, message: InboundMessage, handle: str) -> str:
        """The reporter's open-complaint key on this door ('' without a reporter)."""
        return self.store.open_key(message.door_id, self._pseudonym(message, handle)) \
            if handle else ""

    def _may_join(self, message: InboundMessage, parsed, handle: str) -> bool:
        """Whether this message may join the reporter's open complaint as a follow-up."""
        return bool(handle) and self.window > 0 and not message.new_thread and not parsed.keyword

    def _pseudonym(self, message: InboundMessage, handle: str) -> str:
        return pseudonym(self.settings.secret_key, message.sender_kind, handle)

    def _private_complaint(self, cid: str) -> bool:
        """Whether the complaint a follow-up joins is anonymous or confidential; when its
        record is gone (expired), the safe answer: yes."""
        complaint = self.store.complaint(cid)
        privacy = (complaint or {}).get("privacy") or {"anonymous": True}
        return bool(privacy.get("anonymous") or privacy.get("confidential"))

    def _duplicate(self, message: InboundMessage, cid: str, number: str, lang: str) -> Outcome:
        log.info("duplicate door=%s complaint=%s", message.door_id, cid)
        return Outcome(message, number, self.texts.duplicate(number, lang), duplicate=True,
                       complaint_id=cid)

    def _fetch_media_later(self, message: InboundMessage, cid: str, number: str,
                           private: bool, spooled: bool = False) -> None:
        """Queue a media-fetch job per attachment the provider holds; never blocks intake.
        For a private complaint the job says so and names the message by its keyed id, so
        the media event carries nothing the provider could map back to the reporter. A
        job the broker refuses is scheduled or spooled (``Acceptance.hand_on``); a spooled
        complaint's jobs are spooled behind it."""
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
            kept = self.acceptance.keep_later("media", message.channel, job) if spooled else \
                self.acceptance.hand_on("media", message.channel, job)
            if not kept:
                log.error("media fetch not queued complaint=%s: broker and store down, no spool", cid)
