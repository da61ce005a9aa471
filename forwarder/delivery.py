"""Every reply's fate: its delivery state, kept on its complaint and told to the central system.

The notifier records what ``send()`` did (``accepted`` with the provider's message id, or
``failed``); providers' delivery reports (Kannel DLRs, Twilio status callbacks, WhatsApp
``statuses``) move the state on (``normalizer.values.REPLY_STATES``: accepted, sent, failed,
delivered, read; never backwards). Each change:

* is kept in the store (``forwarder.store_replies``): the reply's record, the provider's id
  linked to it, and the complaint's view of its replies; all expire after
  LAPOR_RETENTION_DAYS;
* is counted for ``/metrics`` (``reply_stats``: "<state>|<door>" -> count, shown as
  ``lapor_reply_delivery_total{door,state}``), once per real change (a provider's retried
  report counts nothing);
* becomes a ``reply_status`` event of the complaint (``FollowUpEventSchema``, event id
  derived from reply id and state, so one change is one event), delivered to the central
  system's events URL like any follow-up;
* when the provider says the citizen opted out (Twilio 21610, WhatsApp 131050, a Telegram
  bot blocked by the user), records STOP for that reporter, exactly as if they had sent it.

A reply has an id (``reply_id``, given by ``forwarder.notifier.enqueue_reply``); nothing
personal is kept here beyond the opt-out key (door and pseudonym).
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone

from redis import RedisError

from forwarder.store import AcceptResult
from normalizer.values import REPLY_STATES, DeliveryReport
from forwarder.queue import PublishError
from normalizer.identity import pseudonym
from normalizer.schema import SCHEMA_VERSION

log = logging.getLogger("lapor.delivery")
_RANKS = [item for rank, state in enumerate(REPLY_STATES, 1) for item in (state, rank)]
TAKEN = frozenset(REPLY_STATES) - {"failed"}     # the provider has the reply


class ReplyTracker:
    """Records replies' delivery states (see the module docstring)."""

    def __init__(self, settings, catalogue, store, publisher):
        self.settings = settings
        self.catalogue = catalogue
        self.store = store
        self.publisher = publisher

    # ----- the notifier's side ---------------------------------------------------------
    def taken(self, reply: dict) -> bool:
        """Whether the provider took this very reply already (its record says accepted or
        beyond): a copy put back after a notifier died between the send and the broker's
        acknowledgement. A record unreadable now counts as not taken (sent again, never lost)."""
        rid = reply.get("reply_id")
        try:
            return bool(rid) and self.store.replies.field(rid, "state") in TAKEN
        except RedisError:
            return False

    def sent(self, reply: dict, provider_ref: str | None) -> None:
        """``send()`` returned: the provider took the reply (``provider_ref``: its id)."""
        try:
            if self._open(reply, provider_ref or ""):
                self.move(reply["reply_id"], "accepted")
        except RedisError as exc:     # the reply is out: never send it twice for a record
            log.warning("reply state not recorded: %s", type(exc).__name__)

    def failed(self, reply: dict, code: str = "", opted_out: bool = False) -> None:
        """``send()`` failed for good (permanent, or out of attempts)."""
        try:
            if self._open(reply, ""):
                self.move(reply["reply_id"], "failed", code, opted_out)
        except RedisError as exc:
            log.warning("reply state not recorded: %s", type(exc).__name__)

    def _open(self, reply: dict, provider_ref: str) -> bool:
        """Create the reply's record (once) and link the provider's id to it; False for
        a reply queued without an id (before replies had one)."""
        rid, door = reply.get("reply_id", ""), reply.get("door_id", "")
        if not rid:
            return False
        route = self.store.route(reply["complaint_id"]) if reply.get("complaint_id") else {}
        handle, kind = reply.get("to", ""), reply.get("sender_kind") or route.get("kind", "")
        optout = ""
        if handle and kind:
            optout = f"{route.get('door') or door}|{pseudonym(self.settings.secret_key, kind, handle)}"
        self.store.replies.open({"reply_id": rid, "door": door, "kind": reply.get("kind", ""),
                                 "complaint_id": reply.get("complaint_id", ""),
                                 "tracking": reply.get("tracking_number", ""), "optout": optout},
                                provider_ref)
        return True

    # ----- providers' reports -----------------------------------------------------------
    def reported(self, door_id: str, reports: list[DeliveryReport]) -> int:
        """Apply the delivery reports a door's webhook carried; return how many moved a
        reply on (reports of replies the gateway does not know are ignored)."""
        moved = 0
        for report in reports:
            if report.state not in REPLY_STATES or not report.ref:
                continue
            rid = report.ref if report.by_reply_id else self._reply_of(door_id, report.ref)
            if rid and self.store.replies.field(rid, "door") == door_id:
                moved += self.move(rid, report.state, report.code, report.opted_out)
        return moved

    def _reply_of(self, door_id: str, provider_ref: str) -> str:
        return self.store.replies.of_provider_ref(door_id, provider_ref)

    # ----- one change -------------------------------------------------------------------
    def move(self, rid: str, state: str, code: str = "", opted_out: bool = False) -> bool:
        """Move reply ``rid`` to ``state`` unless it is already there or further on."""
        code = "".join(ch for ch in str(code) if ch.isascii() and ch.isalnum())[:16]
        now = datetime.now(timezone.utc).isoformat()
        reply = self.store.replies.move(rid, state, REPLY_STATES.index(state) + 1, code, now,
                                        _RANKS)
        if reply is None:  # no change: a retried (or replayed) report neither counts nor opts out
            return False
        if opted_out:
            self._opt_out(rid)
        log.info("reply %s door=%s complaint=%s state=%s code=%s", rid[:12], reply.get("door"),
                 reply.get("complaint_id") or "-", state, code or "-")
        if reply.get("complaint_id"):
            self._tell_central(reply, now)
        return True

    def _opt_out(self, rid: str) -> None:
        """The provider says the citizen opted out: the same as their STOP."""
        door, _, key = self.store.replies.field(rid, "optout").partition("|")
        if door and key:
            self.store.set_opt_out(door, key, True)
            log.info("opted out by the provider door=%s reply=%s", door, rid[:12])

    def _tell_central(self, reply: dict, now: str) -> None:
        """A ``reply_status`` event of the complaint, ledgered and queued like a follow-up."""
        door = self.catalogue.doors.get(reply.get("door", ""))
        channel = door.channel if door else "unknown"
        rid, state = reply["reply_id"], reply["state"]
        event = {"schema_version": SCHEMA_VERSION,
                 "event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"reply:{rid}:{state}").hex,
                 "type": "reply_status", "complaint_id": reply["complaint_id"],
                 "tracking_number": reply.get("tracking", ""), "door": reply.get("door", ""),
                 "channel": channel, "provider_message_id": "", "edit_of": "",
                 "received_at": now, "body": "", "attachments": [], "location": None,
                 "flags": [], "reply": {"reply_id": rid, "kind": reply.get("kind", ""),
                                        "state": state, "code": reply.get("code", ""),
                                        "updated_at": now}}
        result, *_ = self.store.accept_event(event, f"reply:{event['event_id']}", "", 0)
        if result == AcceptResult.ACCEPTED:
            try:
                self.publisher.publish(f"complaint.event.{channel}", event, event["event_id"], "event")
            except PublishError as exc:   # the ledger has it: the reconciler publishes it
                log.warning("reply_status event deferred to the reconciler: %s", type(exc).__name__)

    # ----- reading ----------------------------------------------------------------------
    def of_complaint(self, cid: str) -> dict[str, dict]:
        """Every reply of a complaint and its latest state (reply id -> fields)."""
        return self.store.replies.of_complaint(cid)


def reply_stats(store) -> dict[tuple[str, str], int]:
    """(state, door) -> how many replies reached that state (for /metrics)."""
    return store.replies.stats()
