"""Open311 GeoReport v2 at ``/open311/v2/`` (blueprint ``open311``), JSON or XML by suffix.

    GET  discovery.json|xml           the endpoint, its formats, how to get a key
    GET  services.json|xml            the classifications and the routing topics (names in
                                      Indonesian; ``locale=en``: English)
    GET  services/<code>.json|xml     a service's definition (no attributes): 404 unknown
    POST requests.json|xml            api_key (an agency key, ``gateway.agency_keys``),
                                      service_code, description, lat+long or address_string,
                                      email, first_name, last_name, phone, media_url ->
                                      201 [{"service_request_id": <tracking number>,
                                      "service_notice": <acknowledgement>}]; an optional
                                      Idempotency-Key header (scoped to the key) answers a
                                      retry 200 with the same number
    GET  requests.json|xml            service_request_id (comma list, at most 100; then the
                                      other filters are ignored), service_code, start_date,
                                      end_date (ISO 8601, at most 90 days apart; default the
                                      last 90 days), status (open, closed): at most 1000,
                                      newest first
    GET  requests/<id>.json|xml       one request (a tracking number of any door)

Errors are the specification's array ``[{"code": 400, "description": ...}]`` (XML:
``<errors><error>``) with that HTTP status, for every path under ``/open311/``
(``gateway.errors``): 400 a missing or malformed field, 403 a missing, unknown or revoked
api_key, 404 an unknown service or request, 503 the store is down.

A POST's complaint is recorded on the key's door with the key's agency as owner, channel
``open311``; it is listed (``Store.listing``) for the ``requests`` filters. A GET shows
nothing personal: the public status and, for a listed request, its place (which the
client gave for a public report). Other doors' complaints are found by their number only,
never listed (their numbers could otherwise be enumerated), and without a place.
GETs are look-ups under ``LAPOR_RATE_LIMIT_LOOKUP`` per address, unless keyed.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from flask import Blueprint, Response, current_app, request

from channels.open311 import payload, render
from channels.web.adapter import IDEMPOTENCY_KEY
from gateway.agency_keys import KeyRefused, request_key
from normalizer import tracking

blueprint = Blueprint("open311", __name__)
log = logging.getLogger("lapor.open311")
FORMAT = "<any(json, xml):fmt>"
MAX_IDS, MAX_RESULTS, MAX_SCANNED, CHUNK = 100, 1000, 20000, 500
WINDOW = timedelta(days=90)
STATUSES = frozenset({"open", "closed"})
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-29T00:00:00+07:00"


def _parts():
    return current_app.extensions["lapor"]


def _answer(kind: str, data, fmt: str, status: int = 200) -> Response:
    content, content_type = render.body(kind, data, fmt)
    return Response(content, status, content_type=content_type)


@blueprint.get(f"/open311/v2/discovery.{FORMAT}")
def discovery(fmt: str):
    base = f"{_parts().settings.public_base_url}/open311/v2"
    return _answer("discovery", {
        "changeset": CHANGESET, "contact": "Admin LAPOR! (SP4N-LAPOR!)",
        "key_service": "an agency key from the gateway's operator (lapor-gateway keys create)",
        "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": CHANGESET,
                       "type": "production", "formats": ["application/json", "text/xml"]}]}, fmt)


def _lang() -> str:
    """Service names in Indonesian; ``locale=en`` (a common GeoReport v2 extension): English."""
    return "en" if request.args.get("locale", "").lower().startswith("en") else "id"


@blueprint.get(f"/open311/v2/services.{FORMAT}")
def services(fmt: str):
    return _answer("services", payload.services(_parts().catalogue.routing, _lang()), fmt)


@blueprint.get(f"/open311/v2/services/<code>.{FORMAT}")
def service(code: str, fmt: str):
    if payload.find_service(code, _parts().catalogue.routing) is None:
        raise payload.Open311Error(404, "unknown service_code")
    return _answer("service_definition", {"service_code": code, "attributes": []}, fmt)


@blueprint.route(f"/open311/v2/requests.{FORMAT}", methods=["GET", "POST"])
def requests(fmt: str):
    if request.method == "POST":
        return _create(_parts(), fmt)
    return _answer("requests", _found(_parts()), fmt)


@blueprint.get(f"/open311/v2/requests/<rid>.{FORMAT}")
def one_request(rid: str, fmt: str):
    rows = _by_number(_parts(), [tracking.compact(rid[:40])])
    if not rows:
        raise payload.Open311Error(404, "no request with this service_request_id")
    return _answer("requests", rows, fmt)


# ----- POST requests ----------------------------------------------------------------------
def _create(parts, fmt: str) -> Response:
    try:
        key = request_key(parts, api_key_param=True)
    except KeyRefused:
        raise payload.Open311Error(403, "invalid api_key") from None
    if key is None:
        raise payload.Open311Error(403, "api_key is required")
    fields = {name: request.form.get(name, "") for name in request.form.keys()}
    idempotency = _idempotency()
    message = payload.request_message(
        fields, parts.catalogue.routing, key.door, datetime.now(timezone.utc),
        f"open311:{key.scope}:{idempotency}" if idempotency else "",
        parts.settings.max_text_chars)
    message = key.stamp(message)
    if idempotency:
        message = replace(message, body_fingerprint=_fingerprint(parts, fields))
    outcome = parts.intake.take(message)
    log.info("open311 request door=%s key=%s service=%s", key.door, key.id, message.meta["service_code"])
    return _answer("requests", [{"service_request_id": outcome.tracking_number,
                                 "service_notice": outcome.reply_text, "account_id": None}],
                   fmt, 200 if outcome.duplicate else 201)


def _idempotency() -> str:
    value = request.headers.get("Idempotency-Key", "").strip()
    if value and not IDEMPOTENCY_KEY.match(value):
        raise payload.Open311Error(400, "Idempotency-Key must be 1-200 visible ASCII characters")
    return value


def _fingerprint(parts, fields: dict) -> str:
    """A keyed hash of the request's fields (the key aside): a retry has the same one."""
    canonical = "\x00".join(f"{name}={fields[name]}" for name in sorted(fields) if name != "api_key")
    return hmac.new(parts.settings.secret_key.encode(), canonical.encode("utf-8", "surrogatepass"),
                    hashlib.sha256).hexdigest()[:32]


# ----- GET requests -----------------------------------------------------------------------
def _found(parts) -> list[dict]:
    ids = request.args.get("service_request_id", "")
    if ids.strip():
        numbers = [tracking.compact(item) for item in ids.split(",") if item.strip()]
        if len(numbers) > MAX_IDS:
            raise payload.Open311Error(400, f"at most {MAX_IDS} service_request_id values")
        return _by_number(parts, numbers)
    start, end = _window(request.args.get("start_date", ""), request.args.get("end_date", ""))
    codes = _choice(request.args.get("service_code", ""), None)
    statuses = _choice(request.args.get("status", ""), STATUSES)
    rules = parts.catalogue.routing
    found = []
    for offset in range(0, MAX_SCANNED, CHUNK):
        numbers = parts.store.listing.numbers(start.timestamp(), end.timestamp(), offset, CHUNK)
        for row in _rows(parts.store.listing.entries(numbers), rules):
            if (not codes or row["service_code"] in codes) and (not statuses or row["status"] in statuses):
                found.append(row)
        if len(found) >= MAX_RESULTS or len(numbers) < CHUNK:
            break
    return found[:MAX_RESULTS]


def _by_number(parts, numbers: list[str]) -> list[dict]:
    """The rows of ``numbers``; a number that stands for a complaint recorded under another
    (``forwarder.store_aliases``) is answered by that complaint's row."""
    valid = [number for number in dict.fromkeys(numbers) if tracking.is_valid(number)]
    entries = parts.store.listing.entries(valid)
    missing = set(valid) - {number for number, _status, _listed in entries}
    if missing:
        recorded = parts.store.aliases.recorded_as(sorted(missing)).values()
        entries += parts.store.listing.entries([n for n in dict.fromkeys(recorded) if n not in valid])
    return _rows(entries, parts.catalogue.routing)


def _rows(entries, rules) -> list[dict]:
    rows = []
    for number, status, listed in entries:
        code = listed.get("service_code") or payload.classification_code(status.get("classification", ""))
        rows.append(render.request_fields(number, status, listed, code,
                                          payload.service_name(code, rules, _lang())))
    return rows


def _choice(value: str, allowed: frozenset | None) -> set[str]:
    chosen = {item.strip() for item in value.split(",") if item.strip()}
    if allowed is not None and chosen - allowed:
        raise payload.Open311Error(400, "status must be open or closed")
    return chosen


def _when(value: str, name: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip()[:40])
    except ValueError:
        raise payload.Open311Error(400, f"{name} must be an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _window(start_text: str, end_text: str) -> tuple[datetime, datetime]:
    """The requested_datetime range: at most 90 days; the last 90 days by default."""
    start, end = _when(start_text, "start_date"), _when(end_text, "end_date")
    if start is None and end is None:
        end = datetime.now(timezone.utc)
    end = end or start + WINDOW
    start = start or end - WINDOW
    if start > end or end - start > WINDOW:
        raise payload.Open311Error(400, "start_date and end_date must be at most 90 days apart, in order")
    return start, end
