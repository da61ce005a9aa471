"""Error answers: the right status and a short reason, never a stack trace.

JSON for machine callers (``/in/``, ``/api/``, ``/schemas/``, or an ``Accept: application/json``), a
short Indonesian page for people; under ``/open311/`` the GeoReport v2 error array, in XML
for a ``.xml`` path.

A door's own ``json.loads`` may fail on a body the JSON grammar allows (nested a thousand
deep: ``RecursionError``; an integer of thousands of digits: ``ValueError``). Whatever door
it happens on, the answer is 400 "body is not valid JSON" when ``channels.jsonbody`` judges
the request's body hostile, not a 500: one place for every door.

A store error no route answers itself (Redis down or failing over, a write its replica did
not confirm) is a 503, logged in one line. Every 503 (the store, the attachments folder or a
configured part unavailable) carries
``Retry-After``, so providers, agencies' systems and browsers know it is worth trying
again and when.

The decisions themselves (``store_unavailable``, ``unexpected``, ``hostile``) and the JSON
error body (``json_error_body``) take no Flask request, so the answers written outside Flask
(the doors' WSGI path, ``gateway.doors.DoorPath``; the body deadline, ``gateway.bodytime``)
are the same ones.
"""
from __future__ import annotations

import json
import logging

from flask import Response, jsonify, request
from redis import RedisError
from werkzeug.exceptions import HTTPException

from channels import jsonbody
from channels.base import Rejected
from channels.open311 import render as open311

log = logging.getLogger("lapor.errors")
RETRY_AFTER_SECONDS = 5       # a store restart or a broker failover takes seconds
STORE_UNAVAILABLE = "store temporarily unavailable, retry later"

_REASONS = {
    400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found",
    405: "method not allowed", 413: "request body too large", 415: "unsupported media type",
    429: "too many requests", 500: "internal error", 503: "temporarily unavailable",
}


def wants_json() -> bool:
    return (request.path.startswith(("/in/", "/api/", "/schemas/"))
            or request.accept_mimetypes.best == "application/json")


def shown(text: str, limit: int = 64) -> str:
    """A caller-chosen text as a log line may carry it: cut, with control and non-ASCII
    characters escaped (``\\n``, ``\\u2028``), so a path cannot forge a log line."""
    return text[:limit].encode("unicode_escape").decode("ascii")


def error_response(status: int, reason: str):
    if request.path.startswith("/open311/"):
        content, content_type = open311.errors(status, reason, open311.fmt_of(request.path))
        return Response(content, status, content_type=content_type), status
    if wants_json():
        response = jsonify(error=reason)
    else:
        from flask import render_template
        response = render_template("error.html", status=status, reason=reason)
    return response, status


def json_error_body(reason: str) -> bytes:
    """A JSON error answer's body written outside Flask, as ``jsonify`` writes it."""
    return json.dumps({"error": reason}, separators=(",", ":")).encode("ascii") + b"\n"


def store_unavailable(method: str, path: str, exc: RedisError) -> tuple[int, str]:
    """The answer to a store error no route answered itself (Redis down or failing over, a
    write its replica did not confirm): 503, logged in one line without a traceback."""
    log.error("store unavailable on %s %s: %s", method, shown(path), type(exc).__name__)
    return 503, STORE_UNAVAILABLE


def unexpected(exc: Exception, method: str, path: str, hostile_json) -> tuple[int, str]:
    """The answer to any other exception: 400 when ``hostile_json()`` finds the body JSON
    that ``channels.jsonbody`` refuses, else 500 with the traceback in the log only."""
    if isinstance(exc, (RecursionError, ValueError)) and hostile_json():
        log.info("refused %s %s: %s (%s)", method, path[:64], jsonbody.REASON, type(exc).__name__)
        return 400, jsonbody.REASON
    log.error("unhandled %s on %s %s", type(exc).__name__, method, shown(path), exc_info=exc)
    return 500, _REASONS[500]


def hostile(is_json: bool, read_body) -> bool:
    """Whether a JSON request's body (``read_body()``) is one ``channels.jsonbody`` refuses."""
    try:
        return is_json and jsonbody.is_hostile(read_body())
    except Exception:  # noqa: BLE001 - judging the body must never fail the error answer
        return False


def _retry_after(response):
    """A 503 says when to try again (RFC 9110, section 10.2.3)."""
    if response.status_code == 503:
        response.headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return response


def init_app(app) -> None:
    app.after_request(_retry_after)

    @app.errorhandler(Rejected)
    def _rejected(exc: Rejected):
        return error_response(exc.status, exc.reason)

    @app.errorhandler(RedisError)
    def _store_unavailable(exc: RedisError):
        return error_response(*store_unavailable(request.method, request.path, exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return error_response(exc.code or 500, _REASONS.get(exc.code, exc.name.lower()))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        return error_response(*unexpected(
            exc, request.method, request.path,
            lambda: hostile(request.is_json, lambda: request.get_data(cache=True))))
