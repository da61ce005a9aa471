"""Writing a new complaint down: the one accept loop, and the disk spool when the store is down.

``accept`` records a complaint in the store (and, on a same-Redis broker, its queue
message in the same step), drawing a new tracking number on the rare collision. When the
store itself is down, or took it but no replica confirmed it in time (``NotReplicated``,
LAPOR_REDIS_WAIT_REPLICAS), the complaint goes to the fsynced disk spool (``forwarder.spool``)
with the same id and tracking number, and the citizen is answered with its tracking number as usual; a drainer thread
``replay``s the spool in order when the store is back, through the same loop.

What a recorded message sets going, its replies and media jobs (``hand_on``), is queued;
scheduled in the store when the broker refuses it (its worker's retry tick publishes it once
the broker is back); and spooled when the store is down too. A spooled complaint's media
jobs are spooled behind it, so they reach the queue after it is recorded.

A new complaint's acknowledgement on a channel that cannot answer inline (WhatsApp,
Telegram...) is queued in that same step too, when the broker is the store's Redis: the
reply is on the replies queue exactly when the complaint is recorded, and the intake makes
one round trip instead of two (issue 12). Otherwise (another broker, the spool, a duplicate)
the intake queues it apart, as every other reply.

When the broker refuses a message that the store accepted, the citizen is still answered:
the ledger has it (state ``accepted``) and a retry is scheduled in the store, which the
forwarder publishes as soon as it reaches the broker (the reconciler is the last resort).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Callable, NamedTuple

from redis import RedisError

from forwarder.media import enqueue_media
from forwarder.notifier import enqueue_reply, reply_message
from forwarder.queue import PublishError, log_failure
from forwarder.store import AcceptResult, NotReplicated, Recorded
from normalizer import tracking

log = logging.getLogger("lapor.intake")
DRAIN_INTERVAL = 1.0
PUBLISH_RETRY_SECONDS = 1.0   # a publish the broker refused: the forwarder tries after this
TRACKING_ATTEMPTS = 5         # a tracking-number collision is ~1e-5 at a million complaints


class Attempt(NamedTuple):
    """What ``accept`` did: the store's answer (None: spooled to disk), the complaint as
    last tried (its tracking number may be a new one), whether the store queued it, and
    whether its acknowledgement went with it (when the store recorded it)."""
    recorded: Recorded | None
    complaint: dict
    queued: bool
    reply_queued: bool = False


class Acceptance:
    def __init__(self, store, publisher, spool=None, linker=None):
        self.store = store
        self.publisher = publisher
        self.spool = spool
        self.linker = linker      # "me too" (gateway.metoo): a replayed complaint is indexed too
        self._drainer = None

    # ----- the one accept loop ------------------------------------------------------------
    def accept(self, complaint: dict, routing_key: str,
               redraw: Callable[[dict], dict | None], *, spool: bool = False,
               dedup_id: str = "", handle: str = "",
               reply: Callable[[dict], tuple[str, dict] | None] | None = None, **options) -> Attempt:
        """Record ``complaint``; on a tracking-number collision ``redraw`` gives the next
        one to try (None: stop and answer the collision). ``spool``: keep it on disk when
        the store is down (otherwise the store's error is raised; also when the message
        is a duplicate no replica confirmed yet). ``reply``: the acknowledgement of a
        complaint as tried, (channel, reply body), to queue in the same step. ``options``:
        the rest of ``Store.accept``'s arguments."""
        for _ in range(TRACKING_ATTEMPTS):
            serialized = json.dumps(complaint, ensure_ascii=False)
            publish = self.prepare(routing_key, serialized, complaint["id"], "complaint")
            acknowledge = self._reply_commands(reply, complaint) if publish is not None else None
            try:
                recorded = self.store.accept(complaint, dedup_id, handle,
                                             publish + acknowledge if acknowledge else publish,
                                             serialized, **options)
            except RedisError as exc:
                if not spool or self.spool is None or _held_by_another(exc, complaint):
                    raise
                self.keep(complaint, dedup_id, handle, exc)
                return Attempt(None, complaint, False)
            if recorded.result != AcceptResult.COLLISION:
                return Attempt(recorded, complaint, publish is not None, bool(acknowledge))
            following = redraw(complaint)
            if following is None:      # this very complaint, recorded by an earlier run
                return Attempt(recorded, complaint, False, bool(acknowledge))
            complaint = following
        raise RuntimeError("could not allocate a tracking number")

    # ----- publishing ---------------------------------------------------------------------
    def prepare(self, routing_key: str, serialized: str, key: str, kind: str):
        """kombu's queue commands for the store to run in its script (None: publish apart)."""
        try:
            return self.publisher.prepare(routing_key, serialized, key, kind)
        except PublishError:
            return None

    def _reply_commands(self, reply, complaint: dict) -> list[tuple] | None:
        """The queue commands of ``complaint``'s acknowledgement (None: none to queue)."""
        made = reply(complaint) if reply is not None else None
        if made is None:
            return None
        routing_key, body, key = reply_message(*made)
        serialized = json.dumps(body)
        commands = self.prepare(routing_key, serialized, key, "reply")
        return None if commands is None else commands + self.store.reply_jobs.commands(body, serialized)

    def publish(self, routing_key: str, body: dict, key: str, kind: str,
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

    # ----- the spool ----------------------------------------------------------------------
    def keep(self, complaint: dict, dedup_id: str, handle: str, exc: Exception) -> None:
        """The store is down, or no replica confirmed the write: keep it on disk (fsynced)."""
        self.spool.append({"complaint": complaint, "dedup_id": dedup_id, "handle": handle})
        self.ensure_drainer()
        why = f"not replicated, {exc}" if isinstance(exc, NotReplicated) else \
            f"store unavailable ({type(exc).__name__})"
        log.warning("%s: complaint=%s spooled to disk", why, complaint["id"])

    def keep_later(self, kind: str, channel: str, body: dict) -> bool:
        """Keep a reply or a media job (``kind``) on disk, behind what is spooled already
        (False: no spool here)."""
        if self.spool is None:
            return False
        self.spool.append({kind: body, "channel": channel})
        self.ensure_drainer()
        return True

    # ----- what a recorded message sets going: replies and media jobs ---------------------
    def hand_on(self, kind: str, channel: str, body: dict) -> bool:
        """Queue a reply or a media job (``kind``: reply, media). When the broker refuses,
        it is scheduled in the store, which its worker's retry tick publishes once the
        broker is back; when the store is down too, it is kept in the spool. False: kept
        nowhere (a process without a spool)."""
        try:
            self._queue_or_schedule(kind, channel, body)
            return True
        except RedisError:
            return self.keep_later(kind, channel, body)

    def _queue_or_schedule(self, kind: str, channel: str, body: dict) -> None:
        """Queue it, or schedule it in the store; ``RedisError`` when neither takes it."""
        try:
            enqueue = enqueue_reply if kind == "reply" else enqueue_media
            enqueue(self.store, self.publisher, channel, body)
        except PublishError as exc:
            self.store.schedule(kind, json.dumps(body, ensure_ascii=False), PUBLISH_RETRY_SECONDS)
            log.warning("%s deferred to its worker complaint=%s: %s", kind,
                        body.get("complaint_id") or "-", exc)

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
                    done, corrupt = self.spool.drain(self.replay)
                    if done or corrupt:
                        log.warning("spool: %d record(s) replayed, %d corrupt kept aside",
                                    done, corrupt)
            except Exception:  # noqa: BLE001 - the drainer must outlive any one failure
                log_failure(log, "spool drain failed; trying again")

    def replay(self, record: dict) -> None:
        """Put a spooled record through the store and onto the queue (or, if the broker
        refuses, the forwarder's retry schedule); raise while the store is still down, so
        the drain pauses here and replays this record again (harmless: the store
        recognizes it, and it is published again; the central side dedups).
        A complaint stays a complaint of its own: the citizen already has its number."""
        if "reply" in record:
            if not self._told_another_number(record["reply"]):
                self._queue_or_schedule("reply", record["channel"], record["reply"])
            return
        if "media" in record:
            number = self.store.ledger(record["media"]["complaint_id"]).get("tracking")
            if number:      # else its copy was dropped as a duplicate: the retry queued its own
                self._queue_or_schedule("media", record["channel"],
                                        {**record["media"], "tracking_number": number})
            return
        routing_key = f"complaint.new.{record['complaint']['channel']}"
        link = self.linker.entry(record["complaint"]) if self.linker else None
        attempt = self.accept(record["complaint"], routing_key, self._renumbered,
                              dedup_id=record.get("dedup_id", ""), handle=record.get("handle", ""),
                              link=link)
        recorded, complaint = attempt.recorded, attempt.complaint
        if recorded.result == AcceptResult.ACCEPTED:
            if not attempt.queued:      # not queued with the record: publish or schedule
                self.publish(routing_key, complaint, recorded.id, "complaint", strict=True)
            return
        if recorded.result == AcceptResult.DUPLICATE and recorded.id != complaint["id"]:
            # the provider's retry was recorded as its own, under another number: the one
            # told for this copy stays an alias of it (``forwarder.store_aliases``)
            self.store.aliases.add(complaint["tracking_number"], recorded.id)
            return
        # This very complaint is recorded already: by an earlier replay whose publish
        # failed, by the store running its script while intake timed out, or by an intake
        # no replica confirmed (so WAIT here too: the store WAITed for a duplicate answer,
        # but a taken number is an answer whose script wrote nothing). Publish it again
        # unless delivered (the central side dedups).
        if recorded.result == AcceptResult.COLLISION:
            self.store.confirm_recorded(complaint["door"])
        if self.store.ledger(complaint["id"]).get("state") == "accepted":
            self.publish(routing_key, complaint, complaint["id"], "complaint", strict=True)

    def _told_another_number(self, reply: dict) -> bool:
        """A spooled acknowledgement of a complaint dropped on replay (its retry was
        recorded under another number, whose own acknowledgement went out): not sent, so
        the reporter holds one number. Its number still answers, as an alias."""
        number, cid = reply.get("tracking_number"), reply.get("complaint_id")
        if reply.get("kind") != "ack" or not number or not cid:
            return False
        owner = self.store.tracking_owner(number)     # a follow-up's ack names the owner
        return owner not in (None, cid) and number in self.store.aliases.recorded_as([number])

    def _renumbered(self, complaint: dict) -> dict | None:
        """A spooled complaint's tracking number is taken: None when this very complaint
        holds it (recorded already), else the complaint with a new number, flagged."""
        if self.store.tracking_owner(complaint["tracking_number"]) == complaint["id"]:
            return None
        log.error("spooled complaint=%s: tracking number taken meanwhile; a new one is "
                  "allocated and flagged", complaint["id"])
        return {**complaint, "tracking_number": tracking.new_tracking_number(),
                "flags": complaint["flags"] + ["tracking_number_reallocated"]}


def _held_by_another(exc: RedisError, complaint: dict) -> bool:
    """The message is a duplicate of another record (a retry of a complaint or follow-up)
    that no replica has confirmed yet: spooling this fresh draw would hand out a number
    nobody records. The caller answers retryably instead (503); the provider's retry is
    answered once a replica has the first copy."""
    recorded = exc.recorded if isinstance(exc, NotReplicated) else None
    return recorded is not None and recorded.result == AcceptResult.DUPLICATE \
        and recorded.id != complaint["id"]
