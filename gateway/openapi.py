"""The OpenAPI 3 document, generated with apispec from the marshmallow schemas.

``spec_dict()`` builds it once per process (on the first request, never at import) from
``normalizer.schema`` (Complaint v1 and its nested schemas, Submission, Status) and the
API's own answer schemas below, and lists every public path: the doors ``/in/{door_id}``,
the JSON API, Open311 GeoReport v2, the web form pages and the health checks. The complaint itself is not served
at any path: it is what the queue and the central system receive, documented here as the
contract (``components.schemas.Complaint``).
"""
from __future__ import annotations

from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from gateway.contracts import CONTRACTS
from gateway.openapi_open311 import Open311RequestSchema, open311_paths
from normalizer.schema import SCHEMA_VERSION, ComplaintSchema, StatusSchema, SubmissionSchema


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "short reason"})


class InvalidSchema(Schema):
    error = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", keys=fields.String(),
                          values=fields.List(fields.String()), required=True,
                          metadata={"description": "field -> messages (Indonesian unless language=en)"})


class AcceptedSchema(Schema):
    tracking_number = fields.String(required=True, metadata={"example": "27410935882"})
    display = fields.String(required=True, metadata={"example": "2741-0935-882"})
    status = fields.String(required=True, metadata={"example": "diterima"})
    due_date = fields.Date(allow_none=True, required=True)
    status_url = fields.String(required=True)
    message = fields.String(metadata={"description": "the acknowledgement in the citizen's language"})


class CountSchema(Schema):
    key = fields.String(required=True, metadata={"example": "kannel"})
    count = fields.Raw(required=True, metadata={
        "description": 'a multiple of 5 (the count rounded down), or "<5" below 5', "example": 15})


class DayCountSchema(Schema):
    date = fields.Date(required=True)
    count = fields.Raw(required=True, metadata={"description": 'as in Count'})


class StatisticsSchema(Schema):
    """``GET /api/v1/statistics``: the public numbers of the last 30 days (WIB days)."""
    window = fields.Dict(required=True, metadata={"example": {
        "days": 30, "from": "2026-10-31", "to": "2026-11-29", "timezone": "Asia/Jakarta"}})
    generated_at = fields.DateTime(required=True)
    rule = fields.Dict(required=True, metadata={
        "description": "counts below hidden_below read \"<5\"; the others are rounded down to "
                       "a multiple of rounded_down_to", "example": {"hidden_below": 5, "rounded_down_to": 5}})
    total = fields.Raw(required=True, metadata={"description": "as in Count"})
    by_channel = fields.List(fields.Nested(CountSchema), required=True)
    by_classification = fields.List(fields.Nested(CountSchema), required=True)
    by_status = fields.List(fields.Nested(CountSchema), required=True)
    by_service_level = fields.List(fields.Nested(CountSchema), required=True, metadata={
        "description": "open complaints by colour (green, yellow, red) and the closed ones"})
    by_province = fields.List(fields.Nested(CountSchema), required=True, metadata={
        "description": "location.region.province; unknown when the complaint has none"})
    daily = fields.List(fields.Nested(DayCountSchema), required=True)
    first_status_change = fields.Dict(required=True, metadata={
        "description": "median hours from reception to the first status change from the "
                       "central system (null under 5 complaints), and how many had one",
        "example": {"complaints": 20, "median_hours": 26.5}})


class HealthSchema(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String())


class WebFormSchema(SubmissionSchema):
    """The form post of ``/lapor`` (multipart): the submission plus the form's own fields."""
    csrf_token = fields.String(required=True)
    submission_id = fields.String(metadata={"description": "one-time token: a resubmit gives the same tracking number"})
    attachments = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}))


def _json(schema, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _html(description: str) -> dict:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _paths(spec: APISpec) -> None:
    error = "Error"
    spec.path(path="/api/v1/complaints", operations={"post": {
        "summary": "Submit a complaint (same schema as the web form)",
        "parameters": [{"in": "header", "name": "Idempotency-Key", "required": False,
                        "schema": {"type": "string", "maxLength": 200},
                        "description": "per caller (the agency API key, or else the "
                                       "client's address): the same key with the same body "
                                       "returns the same tracking number (200); with a "
                                       "different body it is refused (422)"},
                       {"in": "header", "name": "Authorization", "required": False,
                        "schema": {"type": "string", "maxLength": 200},
                        "description": "Bearer <agency API key> (optional): the complaint "
                                       "is recorded on the key's door, its agency as owner"}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "Submission"}}},
        "responses": {"201": _json("Accepted", "accepted: queued for the central LAPOR! system"),
                      "200": _json("Accepted", "already received with this Idempotency-Key"),
                      "400": _json(error, "unreadable JSON or a malformed Idempotency-Key"),
                      "413": _json(error, "body too large"),
                      "415": _json(error, "not application/json"),
                      "401": _json(error, "unknown, malformed or revoked API key"),
                      "422": _json({"anyOf": ["Invalid", error]}, "a field is wrong (Invalid), "
                                   "or the Idempotency-Key was used for a different body"),
                      "429": _json(error, "too many submissions from this address or contact"),
                      "503": _json(error, "store unavailable; retry")}}})
    spec.path(path="/api/v1/complaints/{tracking_number}", operations={"get": {
        "summary": "Public status of a complaint (nothing personal)",
        "parameters": [{"in": "path", "name": "tracking_number", "required": True,
                        "schema": {"type": "string", "example": "2741-0935-882"}}],
        "responses": {"200": _json("Status", "the status"),
                      "400": _json(error, "mistyped: the check digit does not match"),
                      "404": _json(error, "no such tracking number"),
                      "429": _json(error, "too many look-ups from this address")}}})
    spec.path(path="/in/{door_id}", operations={method: {
        "summary": f"A door's provider webhook ({method.upper()})",
        "description": "Each door speaks its provider's protocol (Kannel get-url/post-url, "
                       "Twilio, Meta, Telegram, ...); the body and the answer are the "
                       "provider's. The `web` door takes a Submission as JSON.",
        "parameters": [{"in": "path", "name": "door_id", "required": True,
                        "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"}}],
        "responses": {"200": {"description": "the provider's expected answer"},
                      "201": _json("Accepted", "web door: accepted"),
                      "401": _json(error, "signature missing"),
                      "403": _json(error, "wrong secret or signature"),
                      "404": _json(error, "unknown door"),
                      "415": _json(error, "web door: not application/json"),
                      "422": _json(error, "web door: a field is wrong, or the "
                                   "Idempotency-Key was used for a different body"),
                      "429": _json(error, "web door only: too many submissions"),
                      "503": _json(error, "store unavailable; the provider should retry")}}
        for method in ("get", "post")})
    spec.path(path="/lapor", operations={
        "get": {"summary": "The web form (HTML, Indonesian; ?lang=en for English)",
                "responses": {"200": _html("the form")}},
        "post": {"summary": "Submit the web form",
                 "requestBody": {"content": {"multipart/form-data": {"schema": "WebForm"}}},
                 "responses": {"200": _html("result page with the tracking number"),
                               "400": _html("missing or wrong CSRF token"),
                               "413": _html("upload too large"),
                               "422": _html("the form again, with a message by each wrong "
                                            "field; or: this form was already sent with "
                                            "other contents"),
                               "429": _html("too many submissions")}}})
    spec.path(path="/lapor/cek", operations={"get": {
        "summary": "Status page (HTML)",
        "parameters": [{"in": "query", "name": "nomor", "schema": {"type": "string"}}],
        "responses": {"200": _html("the status, or the lookup form"),
                      "400": _html("mistyped tracking number"),
                      "404": _html("unknown tracking number"),
                      "429": _html("too many look-ups from this address")}}})
    spec.path(path="/api/v1/statistics", operations={"get": {
        "summary": "Public statistics of the last 30 days (the numbers of /statistik)",
        "responses": {"200": _json("Statistics", "the numbers; cached for 60 s"),
                      "503": _json(error, "store unavailable; retry")}}})
    spec.path(path="/statistik", operations={"get": {
        "summary": "Public statistics page (HTML, Indonesian; ?lang=en for English)",
        "responses": {"200": _html("charts and their tables"), "503": _html("store unavailable")}}})
    spec.path(path="/statistik/grafik/{name}.svg", operations={"get": {
        "summary": "One chart of the statistics page (SVG)",
        "parameters": [{"in": "path", "name": "name", "required": True, "schema": {
            "type": "string", "enum": ["channel", "classification", "status", "service_level",
                                       "province", "daily"]}}],
        "responses": {"200": {"description": "the chart",
                              "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
                      "404": _json(error, "no such chart")}}})
    open311_paths(spec)
    spec.path(path="/healthz", operations={"get": {
        "summary": "The process is alive", "responses": {"200": _json("Health", "alive")}}})
    spec.path(path="/readyz", operations={"get": {
        "summary": "Store and broker reachable",
        "responses": {"200": _json("Health", "ready"),
                      "503": _json("Health", "not ready; checks name the failing part")}}})
    spec.path(path="/openapi.json", operations={"get": {
        "summary": "This document", "responses": {"200": {"description": "OpenAPI 3"}}}})
    spec.path(path="/schemas/{file}", operations={"get": {
        "summary": "A consumer's contract as JSON Schema 2020-12: complaint-v1.json, "
                   "followup-event-v1.json (the same as the repository's schemas/)",
        "parameters": [{"in": "path", "name": "file", "required": True,
                        "schema": {"type": "string", "enum": list(CONTRACTS)}}],
        "responses": {"200": {"description": "the JSON Schema", "content": {
                          "application/schema+json": {"schema": {"type": "object"}}}},
                      "404": _json(error, "no such schema")}}})


@lru_cache(maxsize=1)
def spec_dict() -> dict:
    """The OpenAPI document as a dict (built on first use, then reused)."""
    spec = APISpec(
        title="lapor-gateway", version="1.0.0", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Multi-channel intake gateway for SP4N-LAPOR!. Complaints from "
                             "every door are normalized into Complaint schema v"
                             f"{SCHEMA_VERSION} and queued for the central system."},
    )
    for name, schema in (("Complaint", ComplaintSchema), ("Submission", SubmissionSchema),
                         ("Status", StatusSchema), ("Accepted", AcceptedSchema),
                         ("Error", ErrorSchema), ("Invalid", InvalidSchema),
                         ("Health", HealthSchema), ("WebForm", WebFormSchema),
                         ("Statistics", StatisticsSchema),
                         ("Open311Request", Open311RequestSchema)):
        spec.components.schema(name, schema=schema)
    _paths(spec)
    return spec.to_dict()
