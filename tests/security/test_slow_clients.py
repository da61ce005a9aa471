"""Slow clients against the real web command (``lapor-gateway web``: gunicorn, default
settings): stalled connections must not take the web side down.

An attacker (or a broken provider, or a phone on a dying 2G link) opens connections that
send the request headers and the first byte of the body (``{``), then nothing more. With
many more such connections than the web side has worker threads, ``/healthz`` and a
properly signed delivery to every door must still be answered within a second; a stalled
body is answered ``408`` and its connection closed after ``LAPOR_BODY_TIMEOUT_SECONDS``,
a body that trickles in is cut at the same deadline, and half-sent headers are dropped.
"""
from __future__ import annotations

import select
import socket
import time

import pytest
import redis
import requests

from tests.gateway.webproc import WebCommand
from channels.kannel.testing import SECRET as KANNEL_SECRET
from channels.web.testing import WebApiSender
from tests.harness import SENDERS

# `lapor-gateway web` defaults to 2 workers; before this test the web side served them with
# gunicorn's gthread worker, 4 threads each: 8 threads. Four times that many stalled
# connections (twice the "twice as many as worker threads").
STALLED = 4 * 2 * 4
DEADLINE = 1.0                                    # seconds: what every answer must beat
ENTRANCES = [*(f"/in/{door}" for door in SENDERS), "/in/web", "/api/v1/complaints", "/lapor"]


def read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started, answer = time.monotonic(), b""
    sock.settimeout(limit)
    try:
        while chunk := sock.recv(4096):
            answer += chunk
    except TimeoutError:
        pytest.fail(f"connection still open after {limit:.0f}s; got {answer[:200]!r}")
    except ConnectionResetError:
        pass
    return answer, time.monotonic() - started


def timed(base: str, request, session: requests.Session) -> tuple[int, float]:
    started = time.monotonic()
    target = base + request.path + (f"?{request.query}" if request.query else "")
    headers = dict(request.headers)
    if request.content_type:
        headers["Content-Type"] = request.content_type
    answer = session.request(request.method, target, data=request.body or None, headers=headers,
                             timeout=30)
    return answer.status_code, time.monotonic() - started


def deliveries(n: int) -> list:
    """One properly signed delivery per door (and the JSON API), numbered ``n``."""
    return [sender.request(f"LAPOR lampu jalan mati di gang {n}", n)
            for sender in (*SENDERS.values(), WebApiSender(), WebApiSender("/in/web"))]


def test_stalled_connections_do_not_block_health_or_any_door(environ):
    """Default settings: 32 stalled connections; /healthz and every door answer in < 1 s."""
    web = WebCommand(environ)
    stalled = []
    try:
        session = requests.Session()
        for request in deliveries(1):                 # warm up every door's first import
            status, _ = timed(web.base, request, session)
            assert status in (200, 201), request.path
        stalled = [web.stall(ENTRANCES[i % len(ENTRANCES)]) for i in range(STALLED)]
        time.sleep(1.0)                               # the server has taken them all up
        slow = {}
        for attempt in range(2):
            session = requests.Session()              # new connections, like a provider
            started = time.monotonic()
            health = session.get(web.base + "/healthz", timeout=30)
            assert health.status_code == 200
            slow["/healthz"] = time.monotonic() - started
            for request in deliveries(10 + attempt):
                status, elapsed = timed(web.base, request, session)
                assert status in (200, 201), (request.path, status)
                slow[request.path] = elapsed
        late = {path: round(seconds, 2) for path, seconds in slow.items() if seconds >= DEADLINE}
        assert not late, f"answered after {DEADLINE}s with {STALLED} stalled connections: {late}"
    finally:
        for sock in stalled:
            sock.close()
        output = web.stop()
    assert "Traceback" not in output, output[-3000:]


def test_a_stalled_or_trickling_body_is_answered_408_and_closed(environ):
    """A short deadline, to keep the test quick: the default (60 s) works the same way."""
    environ.update(LAPOR_BODY_TIMEOUT_SECONDS="2", LAPOR_MAX_BODY_BYTES="2048")
    web = WebCommand(environ)
    try:
        stalled = web.stall("/in/telegram")
        answer, waited = read_until_closed(stalled, limit=15)
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b"request body timed out" in answer and 1.5 <= waited < 5, waited
        assert b"secret" not in answer.lower() and b"{" not in answer.split(b"\r\n\r\n", 1)[0]

        trickle = web.stall("/api/v1/complaints", sent=b"", length=400)
        started = time.monotonic()
        while time.monotonic() - started < 10:        # a byte every 0.25 s: never idle 2 s
            if select.select([trickle], [], [], 0.25)[0]:
                break
            try:
                trickle.sendall(b" ")
            except OSError:
                break
        answer, _waited = read_until_closed(trickle, limit=15)
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert time.monotonic() - started < 5, "the deadline covers the whole body"

        half = socket.create_connection(("127.0.0.1", web.port), timeout=30)
        half.sendall(b"POST /in/telegram HTTP/1.1\r\nHost: x\r\nContent-Len")
        _answer, waited = read_until_closed(half, limit=40)
        assert waited < 10, "half-sent headers are dropped (gunicorn's keep-alive time, 2 s)"

        queued = redis.Redis.from_url(environ["LAPOR_REDIS_URL"])
        cut = web.stall(f"/in/sms-1708?secret={KANNEL_SECRET}&from=081200000008", sent=b"LAPOR",
                        length=400)
        cut.shutdown(socket.SHUT_WR)                  # the client goes away mid-body
        answer, _waited = read_until_closed(cut, limit=15)
        assert answer.startswith(b"HTTP/1.1 400 ") and b"incomplete request body" in answer
        assert queued.llen("lapor.complaints") == 0   # half a message is not taken for one

        def chunks(body: bytes):
            yield from (body[i:i + 500] for i in range(0, len(body), 500))

        api = WebApiSender().request("LAPOR jalan rusak di depan SDN 3", 7)
        taken = requests.post(web.base + api.path, data=chunks(api.body), timeout=10,
                              headers={**api.headers, "Content-Type": api.content_type})
        assert taken.status_code == 201, taken.text             # a chunked body, read whole
        too_big = requests.post(web.base + "/in/telegram", data=chunks(b"{" + b" " * 4000),
                                headers={"Content-Type": "application/json"}, timeout=10)
        assert (too_big.status_code, too_big.json()) == (413, {"error": "request body too large"})

        assert requests.get(web.base + "/healthz", timeout=5).status_code == 200
    finally:
        output = web.stop()
    assert "Traceback" not in output, output[-3000:]
    assert "081200000007" not in output                # the contact of the chunked body
