"""Steady intake through the real HTTP door: complaints POSTed to ``/api/v1/complaints`` of
several web processes (``lapor-gateway web``), as an agency's system would send them.

Each complaint has its own ``Idempotency-Key``. A client that gets no answer it can trust
(503, a connection refused or reset, a time-out) sends the *same* complaint with the
*same* key again, after the ``Retry-After`` the gateway gave (else ``RETRY_PAUSE``), to the
next web process in turn, until it is answered 201 (new) or 200 (the one recorded before
under that key). ``numbers`` maps every key to the tracking number handed out for it.
Threads share the rate, so a slow answer does not stall it.
"""
from __future__ import annotations

import itertools
import threading
import time
import uuid

import requests

RETRY_PAUSE = 0.2        # seconds before a retry when the gateway named no Retry-After
REQUEST_TIMEOUT = 10.0
TEXT = "Lampu jalan mati di RT {i:03d} Jl. Melati, gelap sekali malam hari, mohon diperbaiki."


class HttpLoad:
    def __init__(self, bases: list[str], rate: float, duration: float, threads: int = 8):
        self.bases, self.rate, self.duration = bases, rate, duration
        self.run_id = uuid.uuid4().hex[:8]
        self.numbers: dict[str, str] = {}        # Idempotency-Key -> tracking number
        self.answers: dict[str, int] = {}        # status (or "connection") -> count
        self.retried = 0                          # complaints that needed more than one try
        self.unexpected: list[str] = []           # other answers (4xx, 5xx but 503)
        self.broken: list[tuple] = []             # (seconds into the run, exception, seconds it took)
        self.slowest = 0.0                        # seconds, the longest single answer
        self.sent = 0
        self._lock = threading.Lock()
        self._indexes = itertools.count()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, name=f"http-load-{n}", daemon=True)
                         for n in range(threads)]
        self.started = 0.0

    def start(self) -> "HttpLoad":
        self.started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self._threads), "HTTP load did not finish"

    def answered(self) -> set[str]:
        with self._lock:
            return set(self.numbers.values())

    def _run(self) -> None:
        session = requests.Session()
        # A new connection per request: a kept-alive one that gunicorn closes after its
        # 2 s keep-alive, just as the next POST goes out, is reset, and a POST is never
        # retried by urllib3: that client-side race would count as a broken intake.
        session.headers["Connection"] = "close"
        while not self._stop.is_set():
            with self._lock:
                index = next(self._indexes)
            due = self.started + index / self.rate
            if due - self.started >= self.duration:
                return
            time.sleep(max(0.0, due - time.monotonic()))
            with self._lock:
                self.sent += 1
            self._send(session, index)

    def _send(self, session: requests.Session, index: int) -> None:
        """POST one complaint until it is answered (same key on every try)."""
        key = f"cluster-{self.run_id}-{index}"
        body = {"classification": "pengaduan", "title": f"Lampu jalan {index}",
                "body": TEXT.format(i=index), "location": "Jl. Melati"}
        for attempt in itertools.count():
            began = time.monotonic()
            try:
                answer = session.post(self.bases[(index + attempt) % len(self.bases)]
                                      + "/api/v1/complaints", json=body, timeout=REQUEST_TIMEOUT,
                                      headers={"Idempotency-Key": key})
                status = str(answer.status_code)
            except requests.RequestException as exc:     # refused, reset, or no answer in time
                answer, status = None, "connection"
                with self._lock:
                    self.broken.append((round(began - self.started, 1), type(exc).__name__,
                                        round(time.monotonic() - began, 1)))
            self._count(status, attempt, time.monotonic() - began)
            if answer is not None and answer.status_code in (200, 201):
                with self._lock:
                    self.numbers[key] = answer.json()["tracking_number"]
                return
            if answer is not None and answer.status_code != 503:
                with self._lock:
                    self.unexpected.append(f"{status}: {answer.text[:120]}")
                return
            pause = answer.headers.get("Retry-After", "") if answer is not None else ""
            time.sleep(min(float(pause), 5.0) if pause.isdigit() else RETRY_PAUSE)

    def _count(self, status: str, attempt: int, seconds: float) -> None:
        with self._lock:
            self.answers[status] = self.answers.get(status, 0) + 1
            self.retried += attempt == 1
            self.slowest = max(self.slowest, seconds)
