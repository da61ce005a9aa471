"""Service-level reminders: tell the central system when a complaint turns yellow or red.

PermenPANRB 62/2018 sets a monitoring reminder 3, 8 or 35 days before the 5, 14 or 60
working-day deadline (``normalizer.service_level``). Each complaint has two instants in the
store's ``sla`` schedule (written with the complaint by ``accept.lua``): when it turns
yellow (the reminder day, 00:00 WIB) and red (the day after the due date, 00:00 WIB).
``SlaReminders.tick``, run by every forwarder between deliveries, claims those whose instant
has come (atomically, with a lease: ``forwarder.store_sla``) and sends an event of type
``sla`` through the same ledger and queue as follow-up events (``FollowUpEventSchema``,
``service_level`` = ``{colour, class, due_date, reminder_date, turned_at}``). The event id
is derived from the complaint, the colour and the due date, and the store's dedup key
holds it: once each, whichever worker claims it, after any restart. A finished complaint
(``selesai``, ``ditolak``) gets none; a reclassified one's instants move (``reschedule``).

The clock is injected (``clock``: epoch seconds), so the default schedule is tested by
moving the clock, not by shortening a setting. Sample event (abridged)::

    {"event_id": "9b1c...", "type": "sla", "tracking_number": "27410935882",
     "service_level": {"colour": "yellow", "class": "pengaduan-14",
                       "due_date": "2026-12-14", "reminder_date": "2026-12-06", ...}}
"""
from __future__ import annotations

import logging
import time
import uuid
from datetime import date, datetime, timezone

from forwarder.queue import PublishError, log_failure
from forwarder.store import AcceptResult
from normalizer import service_level
from normalizer.schema import SCHEMA_VERSION

log = logging.getLogger("lapor.sla")
LEASE_SECONDS = 60     # a claim not recorded within this is taken again (dedup: still once)
EVERY_SECONDS = 1.0


def instants(service_class: str, due: date) -> dict[str, float]:
    """{colour: epoch seconds} of the reminders of a complaint due on ``due``."""
    return {colour: at.timestamp() for colour, at in
            service_level.turns_at(service_class, due).items()}


def reschedule(store, tracking: str, status: dict) -> None:
    """After a status callback: a finished complaint's reminders are dropped, and
    otherwise they move to the instants of its (new) class and due date."""
    if status.get("status") in service_level.CLOSED:
        store.sla.cancel(tracking)
        return
    due = date.fromisoformat(status["due_date"][:10])
    store.sla.move(tracking, instants(service_level.class_of(status), due))


class SlaReminders:
    def __init__(self, parts, clock=time.time):
        self.store = parts.store
        self.publisher = parts.publisher
        self.catalogue = parts.catalogue
        self.clock = clock
        self._last = 0.0

    def maybe_tick(self) -> int:
        """``tick`` at most every EVERY_SECONDS of the worker's own time."""
        now = time.monotonic()
        if now - self._last < EVERY_SECONDS:
            return 0
        self._last = now
        return self.tick()

    def tick(self) -> int:
        """Send every reminder whose instant has come; return how many were sent."""
        now = self.clock()
        sent = 0
        for tracking, colour, claim in self.store.sla.claim(now, LEASE_SECONDS):
            try:
                sent += self.remind(tracking, colour, now)
            except Exception:  # noqa: BLE001 - the lease brings it back; others go on
                log_failure(log, "sla reminder failed tracking=%s colour=%s", tracking, colour)
                continue
            self.store.sla.done(tracking, colour, claim)
        return sent

    def remind(self, tracking: str, colour: str, now: float) -> bool:
        """Record and queue the ``sla`` event of ``colour``; False when none is due."""
        status = self.store.status(tracking)
        if not status or status.get("status") in service_level.CLOSED or not status.get("due_date"):
            return False
        service_class = service_level.class_of(status)
        due = date.fromisoformat(status["due_date"][:10])
        at = instants(service_class, due).get(colour)
        if at is None:
            return False
        if at > now:           # moved later meanwhile (reclassified): wait for the new instant
            self.store.sla.move(tracking, {colour: at})
            return False
        event = self.event(status, tracking, colour, service_class, due, at)
        result, *_ = self.store.accept_event(event, f"sla:{event['event_id']}", "", 0)
        if result != AcceptResult.ACCEPTED:
            return False
        try:
            self.publisher.publish(f"complaint.event.{event['channel']}", event,
                                   event["event_id"], "event")
        except PublishError as exc:     # the ledger has it: the reconciler publishes it
            log.warning("sla event deferred to the reconciler: %s", type(exc).__name__)
        log.info("sla %s complaint=%s due=%s", colour, event["complaint_id"], due.isoformat())
        return True

    def event(self, status: dict, tracking: str, colour: str, service_class: str, due: date,
              at: float) -> dict:
        """The ``sla`` event (``FollowUpEventSchema``) of a complaint turning ``colour``."""
        cid = status.get("id", "")
        door = self.catalogue.doors.get(status.get("door", ""))
        turned = datetime.fromtimestamp(at, timezone.utc).isoformat()
        return {"schema_version": SCHEMA_VERSION,
                "event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"sla:{cid}:{colour}:{due}").hex,
                "type": "sla", "complaint_id": cid, "tracking_number": tracking,
                "door": status.get("door", ""), "channel": door.channel if door else "unknown",
                "provider_message_id": "", "edit_of": "",
                "received_at": datetime.fromtimestamp(self.clock(), timezone.utc).isoformat(),
                "body": "", "attachments": [], "location": None, "flags": [],
                "service_level": {"colour": colour, "class": service_class,
                                  "due_date": due.isoformat(), "turned_at": turned,
                                  "reminder_date": service_level.reminder_date(service_class,
                                                                               due).isoformat()}}
