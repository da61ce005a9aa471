"""Request bodies get a read deadline: a client that stalls is answered 408 and let go.

``BodyDeadline`` wraps the WSGI app. For a request that carries a body, it reads the whole
body before the app runs, within ``LAPOR_BODY_TIMEOUT_SECONDS`` [60] counted from the
moment the headers were parsed: a body that stalls, or trickles in too slowly to finish in
time, is answered ``408 {"error": "request body timed out"}`` and the connection is shut
(nothing of the body is echoed, nothing is recorded). The deadline is enforced with the
client socket's time-out (gunicorn hands the socket to the app as ``gunicorn.socket``), so
it holds under every gunicorn worker class; under the ``gevent`` worker the web command
uses, a waiting body costs one greenlet, never a thread, so stalled clients cannot starve
``/healthz`` or the doors meanwhile.

Production puts a buffering reverse proxy in front (nginx, ``proxy_request_buffering on``,
see the README's "Production"): the proxy then absorbs slow clients and the body reaches
the gateway at loopback speed. A body larger than ``LAPOR_MAX_BODY_BYTES`` is not read here
(Flask answers 413 from its Content-Length; a chunked one is cut at the limit and answered
413 here); a body that ends before its Content-Length (the client went away) is answered
400 and never reaches a door, so half a message is never taken for a whole one. Requests
without a body, and the Flask test client (no socket), pass untouched.
"""
from __future__ import annotations

import contextlib
import io
import logging
import socket
import time

from gateway.errors import json_error_body, shown

log = logging.getLogger("lapor.bodytime")
CHUNK = 64 * 1024


def _answer(start_response, status: str, reason: str):
    body = json_error_body(reason)
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]


class BodyDeadline:
    """WSGI middleware: read each request body in full within ``timeout`` seconds."""

    def __init__(self, app, timeout: float, max_bytes: int):
        self.app = app
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.deadline = _gevent_deadline()

    def __call__(self, environ, start_response):
        sock = environ.get("gunicorn.socket")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        length = environ.get("CONTENT_LENGTH", "")
        declared = int(length) if length.isascii() and length.isdigit() else 0
        if sock is None or not (declared or chunked) or declared > self.max_bytes:
            return self.app(environ, start_response)
        try:
            body = self._read(environ["wsgi.input"], sock, declared if not chunked else None)
        except TimeoutError:
            log.info("request body timed out path=%s after %.0fs",
                     shown(environ.get("PATH_INFO", "")), self.timeout)
            self._shut(sock)
            return _answer(start_response, "408 Request Timeout", "request body timed out")
        if body is None:
            self._shut(sock)
            return _answer(start_response, "413 Request Entity Too Large", "request body too large")
        if not chunked and len(body) < declared:      # the client went away mid-body
            self._shut(sock)
            return _answer(start_response, "400 Bad Request", "incomplete request body")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    def _read(self, stream, sock, size: int | None) -> bytes | None:
        """The body (``size`` bytes, or to the end of a chunked one); None past the limit;
        TimeoutError when the deadline passes first."""
        deadline = time.monotonic() + self.timeout
        before = sock.gettimeout()
        try:
            with self.deadline(self.timeout):
                return self._read_until(stream, sock, size, deadline)
        except socket.timeout:
            raise TimeoutError from None
        finally:
            try:
                sock.settimeout(before)
            except OSError:
                pass

    def _read_until(self, stream, sock, size: int | None, deadline: float) -> bytes | None:
        data = bytearray()
        while size is None or len(data) < size:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)       # bounds each wait for the client
            want = CHUNK if size is None else min(CHUNK, size - len(data))
            chunk = stream.read(want)
            if not chunk:
                break                   # the client closed early (answered 400 by the caller)
            data += chunk
            if len(data) > self.max_bytes:
                return None
        return bytes(data)

    @staticmethod
    def _shut(sock) -> None:
        """Stop reading this connection: the answer still goes out, then the worker sees the
        end of the stream and closes it (never parsing the rest of the body as a request)."""
        try:
            sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass


def _gevent_deadline():
    """In a gevent worker, ``gevent.Timeout``: one timer for the whole body, which also cuts
    a body that trickles in (each wait short, the sum too long). Elsewhere each wait is
    bounded by the socket's time-out only."""
    try:
        from gevent import Timeout, monkey
    except ImportError:
        monkey = None
    if monkey is None or not monkey.is_module_patched("socket"):
        return lambda seconds: contextlib.nullcontext()
    return lambda seconds: Timeout(seconds, TimeoutError)
