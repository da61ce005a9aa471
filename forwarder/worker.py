"""The forwarder: complaints queue -> central LAPOR! (signed, idempotent) -> ack, retry or
dead-letter; and the reconciler that re-publishes what the queue may have lost.

For each message: skip it if the ledger already says delivered or dead; otherwise POST it
(``forwarder.central``). Delivered: ledger ``delivered``, public status ``diteruskan``.
Retryable: attempts + 1, and a retry is scheduled in Redis with exponential backoff and
jitter (Retry-After honoured); after ``LAPOR_MAX_ATTEMPTS`` attempts or
``LAPOR_MAX_AGE_HOURS`` it is dead-lettered. Permanent: dead-lettered with the reason.
The message is acknowledged only after the ledger records one of these.

With ``LAPOR_CENTRAL_BATCH`` > 1 messages reach a thread in groups (``QueueWorker.batch_size``:
up to that many, fewer when the queue has no more at once): the group's complaints go in
one POST (``CentralClient.deliver_batch``), their ledger checks are one round trip and so
are their ``delivered`` writes. Each item gets its own verdict and its own ledger outcome
exactly as above, so only the failed items are retried or dead-lettered (events and
malformed messages go one by one).

Follow-up events (kind ``event``) travel the same way to the central events URL; their
ledger entries never touch the complaint's public status.

``tick`` sends the service-level reminders whose instant has come (``forwarder.sla``),
re-publishes retries whose time has come and, every ``RECONCILE_EVERY`` seconds,
every complaint still ``accepted`` after ``LAPOR_RECONCILE_AFTER_SECONDS`` that has no retry
scheduled (the broker lost it, or it was never published). The central side dedups on
``Idempotency-Key``, so a re-publish is always safe. The reconciler looks only behind the
queue's head: when the worker has just handled complaints accepted L seconds ago, everything
younger than L (plus ``LAG_MARGIN``) may still be waiting in the queue, so only complaints
older than both L + ``LAG_MARGIN`` and ``LAPOR_RECONCILE_AFTER_SECONDS`` are candidates.
While a backlog older than ``LAPOR_RECONCILE_AFTER_SECONDS`` drains, its complaints are
waiting, not lost, and re-publishing them (500 every 5 s) would grow the queue faster than
it drains; a forwarder that keeps up (L near 0) still finds a lost complaint after
``LAPOR_RECONCILE_AFTER_SECONDS``, however busy it is.

On the Redis broker a complaint taken by a forwarder killed in kombu's BRPOP gap
(``forwarder.recovery``) comes back sooner: after any worker's sweep finds a consumer dead,
``recovery.LostJobs`` re-publishes the complaints still ``accepted`` that two looks a few
seconds apart find in no queue, no consumer's hash and no retry schedule.
"""
from __future__ import annotations

import json
import logging
import threading
import time

from forwarder import central, recovery
from forwarder.clock import utc_stamp
from forwarder.consumer import QueueWorker, backoff
from forwarder.queue import log_failure
from forwarder.sla import SlaReminders
from forwarder.topology import BULK, COMPLAINTS, connect, is_amqp

log = logging.getLogger("lapor.forwarder")
RECONCILE_EVERY = 5.0
LAG_MARGIN = 60.0     # seconds: messages taken out of order (prefetch, several forwarders)


class ForwardWorker(QueueWorker):
    queue_name = COMPLAINTS
    worker_name = "forwarder"
    extra_queues = (BULK,)

    def __init__(self, parts, stop: threading.Event, client=None, clock=time.time):
        super().__init__(parts, stop, parts.settings.forward_concurrency)
        self.batch_size = parts.settings.central_batch
        self.client = client or central.client_for(parts.settings)
        self.reminders = SlaReminders(parts, clock)     # ``clock``: epoch seconds, injectable
        self._last_reconcile = 0.0
        self._queue_lag = 0.0     # the age of the oldest complaint handled since the last reconcile
        self.lost = recovery.LostJobs(parts.store.complaint_jobs, (COMPLAINTS, BULK),
                                      lambda cid: self.republish(cid, "reconcile"),
                                      parts.settings, periodic=False)

    def _note_lag(self, ledgers) -> None:
        """How far behind the queue's head is: the age of the complaints just taken."""
        now = time.time()
        for ledger in ledgers:
            if ledger.get("state") == "accepted" and ledger.get("accepted_at"):
                self._queue_lag = max(self._queue_lag, now - float(ledger["accepted_at"]))

    def handle(self, body, headers: dict) -> None:
        kind = "event" if headers.get("kind") == "event" else "complaint"
        field = "event_id" if kind == "event" else "id"
        if not isinstance(body, dict) or not body.get(field):
            self.dead_letter(body, "", f"malformed message: not a {kind}", 0)
            return
        cid = headers.get("idempotency_key") or body[field]
        [ledger] = self.store.deliveries.states([cid])     # state, attempts, accepted_at
        self._note_lag((ledger,))
        if ledger.get("state") in ("delivered", "dead"):
            return
        verdict = self.client.deliver(json.dumps(body, ensure_ascii=False).encode(), cid, kind)
        self.settle(body, cid, kind, ledger, verdict)

    def handle_batch(self, items: list) -> list[bool]:
        """The complaints among ``items`` in one POST; one ledger read and one ledger write
        for all those delivered; each other item settled on its own verdict."""
        handled, sending = self._sort_out(items)
        if not sending:
            return handled
        verdicts = self.client.deliver_batch(
            [(cid, json.dumps(items[index][0], ensure_ascii=False).encode())
             for index, cid, _ in sending])
        delivered = [(index, cid) for (index, cid, _), verdict in zip(sending, verdicts)
                     if verdict.outcome == central.DELIVERED]
        self.store.deliveries.delivered(
            [(cid, items[index][0]["tracking_number"], items[index][0].get("door", ""))
             for index, cid in delivered], utc_stamp())
        for index, cid in delivered:
            handled[index] = True
            log.info("delivered complaint=%s", cid)
        for (index, cid, ledger), verdict in zip(sending, verdicts):
            if verdict.outcome != central.DELIVERED:
                handled[index] = self._safe_handle(
                    *items[index], lambda body, _, c=cid, d=ledger, v=verdict:
                    self.settle(body, c, "complaint", d, v))
        return handled

    def _sort_out(self, items: list) -> tuple[list[bool], list[tuple[int, str, dict]]]:
        """Events and malformed messages handled one by one, complaints already delivered
        or dead marked handled; the rest (index, id, ledger) to send."""
        handled = [False] * len(items)
        complaints = []
        for index, (body, headers) in enumerate(items):
            if headers.get("kind") == "event" or not isinstance(body, dict) or not body.get("id"):
                handled[index] = self._safe_handle(body, headers)
            else:
                complaints.append((index, headers.get("idempotency_key") or body["id"]))
        ledgers = self.store.deliveries.states([cid for _, cid in complaints])
        self._note_lag(ledgers)
        sending = []
        for (index, cid), ledger in zip(complaints, ledgers):
            if ledger.get("state") in ("delivered", "dead"):
                handled[index] = True
            else:
                sending.append((index, cid, ledger))
        return handled, sending

    def settle(self, body: dict, cid: str, kind: str, ledger: dict, verdict) -> None:
        """Record the central system's verdict in the ledger: delivered, retry or dead."""
        if verdict.outcome == central.DELIVERED:
            tracking = body["tracking_number"] if kind == "complaint" else ""
            self.store.mark_delivered(cid, tracking, body.get("door", ""), utc_stamp())
            log.info("delivered %s=%s", kind, cid)
        elif verdict.outcome == central.PERMANENT:
            self.dead_letter(body, cid, verdict.reason, int(ledger.get("attempts", 0)) + 1)
        else:
            self.retry_later(body, cid, ledger, verdict)

    def retry_later(self, body: dict, cid: str, ledger: dict, verdict) -> None:
        attempts = self.store.count_attempt(cid, body.get("door", ""), verdict.reason)
        age_hours = (time.time() - float(ledger.get("accepted_at") or time.time())) / 3600
        if attempts >= self.settings.max_attempts or age_hours >= self.settings.max_age_hours:
            self.dead_letter(body, cid, f"gave up after {attempts} attempts: {verdict.reason}", attempts)
            return
        delay = backoff(attempts, self.settings.retry_base_seconds,
                        self.settings.retry_cap_seconds, verdict.retry_after)
        self.store.schedule("complaint", cid, delay)
        log.info("retry complaint=%s attempt=%d in %.1fs: %s", cid, attempts, delay, verdict.reason)

    def dead_letter(self, body, cid: str, reason: str, attempts: int) -> None:
        self.publisher.publish("dead.complaint", body, cid or "malformed", "dead",
                               {"reason": reason, "attempts": attempts, "failed_at": utc_stamp()})
        if cid:
            self.store.mark_dead(cid, reason, body.get("door", ""))
        log.warning("dead-lettered complaint=%s: %s", cid or "-", reason)

    def tick(self) -> None:
        try:
            self.reminders.maybe_tick()
        except Exception:  # noqa: BLE001 - a reminder never holds up a retry or the reconciler
            log_failure(log, "sla reminders failed; trying again")
        self.publish_due("complaint", lambda cid: self.republish(cid, "retry"))
        now = time.monotonic()
        if now - self._last_reconcile >= RECONCILE_EVERY:
            self._last_reconcile = now
            lag, self._queue_lag = self._queue_lag, 0.0
            reconcile(self.parts, max(self.settings.reconcile_after_seconds, lag + LAG_MARGIN))
            if self.parts.spool.files():      # same host as the web side (embedded default)
                self.parts.spool.drain(self.parts.intake.replay_spooled)
        self.lost.tick()

    def after_sweep(self, channel) -> None:
        """A consumer died (found by any worker's sweep): look for what it took unbacked."""
        self.lost.after_sweep(channel)

    def republish(self, cid: str, why: str) -> bool:
        return republish(self.parts, cid, why, self.store.ledger(cid))


def republish(parts, cid: str, why: str, ledger: dict) -> bool:
    """Publish a ledgered complaint or event again (retry, reconcile, replay)."""
    body = parts.store.complaint(cid)
    if body is None:
        log.error("cannot %s %s: its body is gone from the store", why, cid)
        return False
    kind = "event" if ledger.get("kind") == "event" or "event_id" in body else "complaint"
    stage = "event" if kind == "event" else why
    parts.publisher.publish(f"complaint.{stage}.{body.get('channel', 'unknown')}", body, cid, kind)
    return True


def reconcile(parts, older_than: float | None = None, present: set[str] = frozenset(),
              limit: int = 500, progress=None) -> int:
    """Re-publish accepted-but-undelivered complaints and events, undelivered for
    ``older_than`` seconds (default LAPOR_RECONCILE_AFTER_SECONDS) with no retry scheduled,
    except those in ``present`` (known to be on a queue); returns how many. ``progress``,
    if given, is called ``progress(done, total)`` after each re-publish, the candidates found
    waiting, scheduled or done counted at once (the CLI's bar)."""
    store, jobs, count = parts.store, parts.store.complaint_jobs, 0
    if older_than is None:
        older_than = parts.settings.reconcile_after_seconds
    candidates = jobs.stale(older_than, limit)
    lost = jobs.lost([cid for cid in candidates if cid not in present])   # one read for all
    for done, (cid, _) in enumerate(lost, len(candidates) - len(lost) + 1):
        if republish(parts, cid, "reconcile", store.ledger(cid)):
            jobs.touch([cid])
            count += 1
        if progress is not None:
            progress(done, len(candidates))
    if progress is not None and candidates and not lost:
        progress(len(candidates), len(candidates))
    if count:
        log.warning("reconciler re-published %d complaint(s)", count)
    return count


def reconcile_now(parts, older_than: float | None = None, progress=None) -> int:
    """``lapor-gateway reconcile [--older-than SECONDS]``: re-publish, once, every complaint
    still ``accepted`` after ``older_than`` (default LAPOR_RECONCILE_AFTER_SECONDS) with no
    retry scheduled. On a Redis broker those waiting in a queue or held by a consumer are
    left alone (a healthy backlog is not published twice); on RabbitMQ the queue cannot be
    read without taking from it, so every one is published again (the central side and
    the forwarder's ledger check drop the copies)."""
    present: set[str] = set()
    if not is_amqp(parts.settings.broker_url):
        with connect(parts.settings.broker_url) as connection:
            present = recovery.present_keys(connection.default_channel, (COMPLAINTS, BULK))
    return reconcile(parts, older_than, present, limit=1_000_000, progress=progress)


def run_forwarder(parts, stop: threading.Event) -> None:
    """Run the forwarder until ``stop`` is set, on the parts the wiring point built
    (``gateway.wiring.build_parts``; settings with real URLs)."""
    worker = ForwardWorker(parts, stop)
    try:
        worker.run()
    finally:
        worker.client.close()
