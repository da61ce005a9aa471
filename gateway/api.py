"""The JSON API (blueprint ``api``): the same submission as the web form, for agency
systems and apps, plus the public status and the OpenAPI document.

    POST /api/v1/complaints            body: SubmissionSchema JSON; header Idempotency-Key
                                       (optional): 201 {tracking_number, display, status,
                                       due_date, status_url, message}; the same key again:
                                       200 with the same tracking number; 422 {error,
                                       fields}; 415 when the body is not JSON. With
                                       ``Authorization: Bearer <agency API key>`` the
                                       complaint is recorded on the key's door with its
                                       agency as owner, and Idempotency-Key is scoped to
                                       the key; a bad or revoked key: 401
                                       (``gateway.agency_keys``)
    GET  /api/v1/complaints/<number>   StatusSchema JSON; 400 for a mistyped check digit,
                                       404 for an unknown number; nothing personal, ever
    GET  /openapi.json                 OpenAPI 3 generated from the marshmallow schemas
    GET  /schemas/<file>               the consumers' JSON Schemas (``complaint-v1.json``,
                                       ``followup-event-v1.json``: ``gateway.contracts``)

Sample::

    curl -X POST /api/v1/complaints -H 'Content-Type: application/json' \\
         -H 'Idempotency-Key: dinas-x-4711' \\
         -d '{"classification": "aspirasi", "body": "Mohon tambah lampu jalan di Jl. Melati."}'
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone

from flask import Blueprint, current_app, jsonify, request

from channels.base import Rejected
from channels.web.adapter import InvalidSubmission
from gateway.agency_keys import KeyRefused, request_key
from gateway.errors import error_response
from gateway.contracts import CONTRACTS, schema_text
from gateway.openapi import spec_dict
from gateway.outcome import summary
from gateway.webrequest import from_flask, web_adapter
from normalizer import service_level, tracking
from normalizer.schema import StatusSchema

blueprint = Blueprint("api", __name__)
log = logging.getLogger("lapor.api")
_STATUS = StatusSchema()


def _parts():
    return current_app.extensions["lapor"]


def status_url(number: str) -> str:
    """Absolute on LAPOR_PUBLIC_BASE_URL; otherwise a path. Never built on the request's
    Host header, which the caller chooses."""
    return f"{_parts().settings.public_base_url}/api/v1/complaints/{number}"


def refused_key(exc: KeyRefused):
    """401 with the reason and ``WWW-Authenticate: Bearer`` (RFC 6750)."""
    response, status = error_response(exc.status, exc.reason)
    response.headers["WWW-Authenticate"] = 'Bearer realm="lapor", error="invalid_token"'
    return response, status


@blueprint.post("/api/v1/complaints")
def create_complaint():
    parts = _parts()
    try:
        key = request_key(parts)
    except KeyRefused as exc:
        return refused_key(exc)
    if not request.is_json:
        return error_response(415, "send the complaint as application/json")
    try:
        message, _none = web_adapter(parts).submission(
            from_flask(parts.settings.public_base_url), accept_files=False,
            caller=key.scope if key else "")
        if key is not None:
            message = key.stamp(message)
    except InvalidSubmission as exc:
        log.info("api refused fields=%s", ",".join(sorted(exc.fields)))
        return jsonify(error="invalid submission", fields=exc.fields), 422
    except Rejected as exc:
        return error_response(exc.status, exc.reason)
    outcome = parts.intake.take(message)       # a store error: 503 (gateway.errors)
    status, due = summary(parts.intake, outcome)
    number = outcome.tracking_number
    url = status_url(number)
    response = jsonify(tracking_number=number, display=tracking.display(number), status=status,
                       due_date=due or None, status_url=url, message=outcome.reply_text)
    response.status_code = 200 if outcome.duplicate else 201
    response.headers["Location"] = url
    return response


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def public_status(number: str, found: dict) -> dict:
    """The store's status hash -> StatusSchema JSON (declared fields only: no id, no
    reporter; the schema is the allow-list)."""
    due = found.get("due_date", "")
    return _STATUS.dump({
        "tracking_number": number,
        "status": found.get("status", ""),
        "classification": found.get("classification", ""),
        "door": found.get("door", ""),
        "received_at": _parse_time(found.get("received_at", "")),
        "due_date": date.fromisoformat(due[:10]) if due else None,
        "agency": found.get("agency") or None,
        "updated_at": _parse_time(found.get("updated_at", "")),
        "service_level": service_level.class_of(found),
        "colour": service_level.status_colour(found, datetime.now(timezone.utc)),
    })


@blueprint.get("/api/v1/complaints/<number>")
def complaint_status(number: str):
    verdict, found = _parts().intake.lookup(number[:40])
    if verdict == "mistyped":
        return error_response(400, "tracking number mistyped: the check digit does not match")
    if verdict != "ok":
        return error_response(404, "no complaint with this tracking number")
    return jsonify(public_status(tracking.compact(number), found))


@blueprint.get("/openapi.json")
def openapi():
    return jsonify(spec_dict())


@blueprint.get("/schemas/<name>")
def contract(name: str):
    if name not in CONTRACTS:
        return error_response(404, f"no schema here: try {', '.join(CONTRACTS)}")
    return current_app.response_class(schema_text(name), mimetype="application/schema+json")
