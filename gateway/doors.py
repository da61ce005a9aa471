"""The doors: every provider webhook is served at ``/in/<door-id>``.

GET serves providers' verification handshakes (and Kannel's get-url); POST carries
messages. Two ways in, to the one intake (``gateway.intake.Intake.handle``):

``DoorPath``, a WSGI layer in front of Flask, serves a provider's webhook: a configured door
of any channel but the web channel, by GET or POST, with no body or one of a declared
length within LAPOR_MAX_BODY_BYTES that is not multipart. It builds the ``WebRequest``
straight from the WSGI environ and answers without Flask's request context, hooks and
response objects, which were about 40 % of a webhook's CPU (issue 12, docs/benchmarks.md).
It does for such a request what the app does for every other: the request id and log
context and the latency count (``gateway.observe``), the error answers and the 503's
``Retry-After`` (``gateway.errors``), HSTS.

The ``doors`` blueprint serves everything else at the same URL: the web channel's doors
(rate-limited by ``gateway.limits``), an unknown door (404, a short
JSON reason), other methods, a chunked, multipart or oversized body (413 from Flask).

Whatever the adapter refuses is answered with its status and reason; a store outage is 503
so the provider retries.
"""
from __future__ import annotations

import logging
import time

from flask import Blueprint, current_app, make_response
from redis import RedisError
from werkzeug.datastructures import Headers
from werkzeug.http import HTTP_STATUS_CODES

from channels.base import Rejected
from config.logs import request_id_from, reset_context, set_context
from gateway import errors
from gateway.errors import error_response, shown
from gateway.webrequest import from_environ, from_flask, headers_of

blueprint = Blueprint("doors", __name__)
log = logging.getLogger("lapor.doors")
ROUTE = "/in/<door_id>"             # the latency label, the blueprint's URL rule
PREFIX = "/in/"
JSON = "application/json"


@blueprint.route(ROUTE, methods=["GET", "POST"])
def door(door_id: str):
    parts = current_app.extensions["lapor"]
    try:
        answer = parts.intake.handle(door_id, from_flask(parts.settings.public_base_url))
    except Rejected as exc:
        _refused(door_id, exc)
        return error_response(exc.status, exc.reason)
    response = make_response(answer.body, answer.status)
    response.headers["Content-Type"] = answer.content_type
    response.headers.update(answer.headers)
    return response


def _refused(door_id: str, exc: Rejected) -> None:
    log.info("refused door=%s status=%s reason=%s", shown(door_id), exc.status, shown(exc.reason, 200))


class DoorPath:
    """WSGI middleware: a provider's webhook served without Flask; the rest passed to ``app``."""

    def __init__(self, app, parts, extra_headers: tuple[tuple[str, str], ...] = ()):
        self.app = app
        self.intake = parts.intake
        self.observations = parts.store.observations
        self.public_base_url = parts.settings.public_base_url
        self.max_bytes = parts.settings.max_body_bytes
        self.extra_headers = list(extra_headers)      # HSTS with an https public address
        self.doors = frozenset(door.id for door in parts.catalogue.doors.values()
                               if door.channel != "web")

    def __call__(self, environ, start_response):
        length = self._served_length(environ)
        if length is None:
            return self.app(environ, start_response)
        started = time.perf_counter()
        door_id = environ["PATH_INFO"][len(PREFIX):]
        headers = headers_of(environ)
        request_id = request_id_from(headers.get("x-request-id"))
        tokens = set_context(request_id=request_id, door=door_id, complaint_id=None)
        try:
            status, content_type, body, more = self._answer(door_id, environ, headers, length)
        finally:
            reset_context(tokens)
        self.observations.observe_request(ROUTE, door_id, time.perf_counter() - started)
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN').upper()}",
                       self._headers(status, content_type, body, more, request_id))
        return [body]

    def _headers(self, status: int, content_type: str, body: bytes, more: dict,
                 request_id: str) -> list[tuple[str, str]]:
        """The answer's headers, as the Flask route sets them: the adapter's replace the
        content type, the request id replaces the adapter's, HSTS and Retry-After (on a
        503) are added unless the adapter set them."""
        headers = Headers({"Content-Type": content_type})
        headers.update(more)
        headers["Content-Length"] = str(len(body))
        headers["X-Request-ID"] = request_id
        for name, value in self.extra_headers:
            headers.setdefault(name, value)
        if status == 503:
            headers.setdefault("Retry-After", str(errors.RETRY_AFTER_SECONDS))
        return headers.to_wsgi_list()

    def _served_length(self, environ) -> int | None:
        """The body length of a request this path serves; None for one it passes on."""
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX) or path[len(PREFIX):] not in self.doors \
                or environ.get("REQUEST_METHOD") not in ("GET", "POST") \
                or environ.get("CONTENT_TYPE", "").startswith("multipart/"):
            return None
        declared = environ.get("CONTENT_LENGTH", "")
        if "HTTP_TRANSFER_ENCODING" in environ:        # a chunked body: Flask reads it
            return None
        if not declared:
            return 0
        if not (declared.isascii() and declared.isdigit()) or int(declared) > self.max_bytes:
            return None
        return int(declared)

    def _answer(self, door_id: str, environ, headers: dict[str, str], length: int):
        """(status, content type, body, more headers) of the door's answer."""
        body = environ["wsgi.input"].read(length) if length else b""
        method = environ["REQUEST_METHOD"]
        try:
            request = from_environ(environ, self.public_base_url, body, headers)
            answer = self.intake.handle(door_id, request)
        except Rejected as exc:
            _refused(door_id, exc)
            return _error(exc.status, exc.reason)
        except RedisError as exc:
            return _error(*errors.store_unavailable(method, environ["PATH_INFO"], exc))
        except Exception as exc:  # noqa: BLE001 - a short answer, never a stack trace
            is_json = request_is_json(headers.get("content-type", ""))
            return _error(*errors.unexpected(exc, method, environ["PATH_INFO"],
                                             lambda: errors.hostile(is_json, lambda: body)))
        content = answer.body.encode("utf-8") if isinstance(answer.body, str) else answer.body
        return answer.status, answer.content_type, content, answer.headers


def request_is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON, as werkzeug's ``Request.is_json`` judges it."""
    mimetype = content_type.split(";", 1)[0].strip().lower()
    return mimetype == JSON or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _error(status: int, reason: str):
    return status, JSON, errors.json_error_body(reason), {}
