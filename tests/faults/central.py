"""A stand-in for the central LAPOR! system that can be taken down and brought back on the
same port, and that counts deliveries the way the central side sees them.

``CentralStub`` checks every request's HMAC signature (``forwarder.central``), reads the
complaint id from the body and the ``Idempotency-Key`` header, and keeps per id how many
times it was received. The central side dedups on the key, so a complaint is delivered
once from its point of view when its id is in ``received``; extra copies are counted as
``duplicates`` and each must carry the same key as the first (``key_mismatches`` == 0).

Modes (``mode`` may change while it runs):
    ok      store the complaint, answer 200
    503     answer 503, store nothing
    slow    store the complaint, but answer 200 only after ``slow_seconds`` (past the
            forwarder's time-out, so the forwarder never hears it: a lost answer)
``stop()`` closes the listening socket *and* every open keep-alive connection, so the
forwarder sees connection refused / reset, not a live pooled connection.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from forwarder.central import COMPLAINT_TO_CENTRAL, EVENT_TO_CENTRAL, verify_signature
from tests.helpers import free_port, serving


def source(complaint: dict) -> dict:
    """What names a complaint's message: its provider message ids, door and time received
    (a failure can tell a second complaint of one message from one of another test)."""
    return {"provider_message_ids": list(complaint.get("provider_message_ids") or ()),
            "door": complaint.get("door", ""), "received_at": complaint.get("received_at", "")}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A killed forwarder resets its connections; that is the point, not an error."""


class CentralStub:
    def __init__(self, secret: str, port: int | None = None):
        self.secret = secret
        self.port = port or free_port()
        self.mode = "ok"
        self.slow_seconds = 1.5
        self.received: Counter = Counter()          # complaint id -> copies stored
        self.tracking: dict[str, str] = {}          # complaint id -> tracking number
        self.sources: dict[str, dict] = {}          # complaint id -> its message (``source``)
        self.answers: Counter = Counter()   # "200", "503", "late", "bad-signature", "truncated"
        self.key_mismatches: list[tuple[str, str]] = []
        self.events: Counter = Counter()            # follow-up event id -> copies
        self._lock = threading.Lock()
        self._connections: set = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ----- counting ------------------------------------------------------------------------
    def distinct(self) -> int:
        with self._lock:
            return len(self.received)

    def ids(self) -> set[str]:
        with self._lock:
            return set(self.received)

    def origins(self) -> dict[str, dict]:
        """Complaint id -> the message it was made of, as first received (``source``)."""
        with self._lock:
            return dict(self.sources)

    def requests_stored(self) -> int:
        with self._lock:
            return sum(self.received.values())

    def duplicates(self) -> int:
        with self._lock:
            return sum(self.received.values()) - len(self.received)

    def _record(self, path: str, headers, body: bytes) -> str:
        """Check and store one request; return what to answer ('ok', '401', '400')."""
        kind = EVENT_TO_CENTRAL if path.rstrip("/").endswith("/events") else COMPLAINT_TO_CENTRAL
        if verify_signature(self.secret, body, headers.get("X-Lapor-Timestamp", ""),
                            headers.get("X-Lapor-Signature", ""), kind, window=3600):
            with self._lock:
                self.answers["bad-signature"] += 1
            return "401"
        try:
            complaint = json.loads(body)
        except ValueError:
            return "400"
        key = headers.get("Idempotency-Key", "")
        with self._lock:
            if path.rstrip("/").endswith("/events"):
                self.events[complaint.get("event_id", "")] += 1
                identity = complaint.get("event_id", "")
            else:
                identity = complaint.get("id", "")
                self.received[identity] += 1
                self.tracking.setdefault(identity, complaint.get("tracking_number", ""))
                self.sources.setdefault(identity, source(complaint))
            if key != identity:
                self.key_mismatches.append((key, identity))
        return "ok"

    # ----- serving ---------------------------------------------------------------------
    def _respond(self, path: str, headers, body: bytes) -> tuple[int, bytes]:
        """The answer to one whole request, by the current mode (counted)."""
        mode = self.mode
        if mode == "503":
            with self._lock:
                self.answers["503"] += 1
            return 503, b'{"error": "maintenance"}'
        verdict = self._record(path, headers, body)
        if verdict != "ok":
            return int(verdict), b'{"error": "refused"}'
        if mode == "slow":
            with self._lock:
                self.answers["late"] += 1
            time.sleep(self.slow_seconds)
        else:
            with self._lock:
                self.answers["200"] += 1
        return 200, b'{"ok": true}'

    def start(self, mode: str = "ok") -> "CentralStub":
        self.mode = mode
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with stub._lock:
                    stub._connections.add(self.connection)

            def finish(self):
                with stub._lock:
                    stub._connections.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if len(body) < length:        # the sender died mid-request: nothing arrived
                    with stub._lock:
                        stub.answers["truncated"] += 1
                    self.close_connection = True
                    return
                return self._answer(*stub._respond(self.path, self.headers, body))

            def _answer(self, status: int, payload: bytes):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:          # the forwarder gave up (time-out) or we stopped
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self._thread = serving(self._server)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection: the central side is down."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server = self._thread = None

    def __enter__(self):
        return self.start() if self._server is None else self

    def __exit__(self, *exc):
        self.stop()
