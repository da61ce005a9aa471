"""Steady intake for the fault tests: complaints fed through ``Intake.take`` from one or
more threads at a fixed rate, with a record of every tracking number handed out (with an
``adapter``, through ``Intake.receive`` as its door's webhook does: the acknowledgement of a
channel that cannot answer inline is queued for the notifier).

Each message has its own sender and provider message id (``without_id_every`` = n: every
n-th message has none, as a JSON API call without an Idempotency-Key). When ``take`` fails
(the gateway would answer 503), the citizen got no tracking number; the provider
then delivers the same message again, so the load retries the *same* message (same
provider id) until it is taken, as Meta or a retrying SMSC would. A retry whose first try
was in fact recorded comes back as a duplicate carrying the original tracking number.

``issued`` maps complaint id -> tracking number for every message that got an answer:
that is the set the central system must end up with. ``threads`` > 1 feeds from several
threads at once (as gunicorn's threads would), so a slow answer does not stall the rate;
``slowest`` is the longest any one answer took.
"""
from __future__ import annotations

import dataclasses
import itertools
import threading
import time
import uuid

from tests.helpers import inbound

TEXTS = ("LAPOR jalan rusak di depan sekolah nomor {i}",
         "LAPOR pungli di kantor kelurahan, laporan {i}",
         "ASPIRASI taman bermain untuk anak-anak RT {i}",
         "INFO jadwal vaksin puskesmas kecamatan {i}")


class IntakeLoad:
    def __init__(self, intake, rate: float, total: int | None = None,
                 duration: float | None = None, door: str = "sms-1708", threads: int = 1,
                 without_id_every: int = 0, adapter=None):
        assert total is not None or duration is not None
        self.intake = intake
        self.adapter = adapter       # given: its door's messages, taken as its webhook does
        if adapter is not None:
            door = adapter.door.id
        self.rate = rate
        self.total = total
        self.duration = duration
        self.door = door
        self.without_id_every = without_id_every
        self.without_id: set[str] = set()        # complaint ids of messages with no provider id
        self.run_id = uuid.uuid4().hex[:8]
        self.issued: dict[str, str] = {}         # complaint id -> tracking number
        self.refused = 0                          # takes that failed (answered 503)
        self.duplicates = 0                       # retries answered with the original number
        self.given_up = 0                         # messages still unanswered at stop
        self.numberless = 0                       # answers without a tracking number (a bug)
        self.errors: list[str] = []
        self.slowest = 0.0                        # seconds, the longest answer
        self.sent = 0                             # messages offered to the gateway
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._indexes = itertools.count()
        self._threads = [threading.Thread(target=self._run, name=f"intake-load-{n}", daemon=True)
                         for n in range(max(1, threads))]
        self.started = self.finished = 0.0

    def start(self) -> "IntakeLoad":
        self.started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def answered(self) -> list[str]:
        """The complaint ids answered so far (a snapshot, safe while the load runs)."""
        with self._lock:
            return list(self.issued)

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self._threads), "intake load did not finish"
        self.finished = time.monotonic()

    def _due(self, index: int) -> bool:
        if self.total is not None and index >= self.total:
            return False
        if self.duration is not None and time.monotonic() - self.started >= self.duration:
            return False
        return not self._stop.is_set()

    def _run(self) -> None:
        while True:
            with self._lock:
                index = next(self._indexes)
            if not self._due(index):
                return
            wait = self.started + index / self.rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            message = inbound(TEXTS[index % len(TEXTS)].format(i=index),
                              sender=f"0813{index % 100000000:08d}",
                              provider_id=f"fault-{self.run_id}-{index}", door=self.door,
                              channel=self.adapter.door.channel if self.adapter else "kannel")
            if self.without_id_every and index % self.without_id_every == 0:
                message = dataclasses.replace(message, provider_message_id="")
            with self._lock:
                self.sent += 1
            self._take(message)

    def _take(self, message) -> None:
        """Take one message, retrying it (same provider id) until the gateway answers."""
        while True:
            began = time.monotonic()
            try:
                outcome = (self.intake.take(message) if self.adapter is None
                           else self.intake.receive(self.adapter, message))
            except Exception as exc:  # noqa: BLE001 - the gateway would answer 503
                with self._lock:
                    self.refused += 1
                    if len(self.errors) < 20:
                        self.errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
                if self._stop.is_set():
                    with self._lock:
                        self.given_up += 1
                    return
                time.sleep(0.05)
                continue
            with self._lock:
                self.slowest = max(self.slowest, time.monotonic() - began)
                if not outcome.tracking_number or not outcome.complaint_id:
                    self.numberless += 1
                    return
                if outcome.duplicate:
                    self.duplicates += 1
                self.issued[outcome.complaint_id] = outcome.tracking_number
                if not message.provider_message_id:
                    self.without_id.add(outcome.complaint_id)
            return
