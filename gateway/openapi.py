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


class Open311RequestSchema(Schema):
    """``POST /open311/v2/requests.{format}`` (GeoReport v2, form-encoded)."""
    api_key = fields.String(required=True, metadata={"description": "an agency API key"})
    service_code = fields.String(required=True, metadata={"example": "topik-infrastruktur"})
    description = fields.String(required=True)
    lat = fields.Float()
    long = fields.Float()
    address_string = fields.String(metadata={"description": "required without lat and long"})
    email = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    phone = fields.String()
    media_url = fields.String()


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
    _open311_paths(spec)
    spec.path(path="/healthz", operations={"get": {
        "summary": "The process is alive", "responses": {"200": _json("Health", "alive")}}})
    spec.path(path="/readyz", operations={"get": {
        "summary": "Store and broker reachable",
        "responses": {"200": _json("Health", "ready"),
                      "503": _json("Health", "not ready; checks name the failing part")}}})
    spec.path(path="/openapi.json", operations={"get": {
        "summary": "This document", "responses": {"200": {"description": "OpenAPI 3"}}}})


def _open311(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                        "text/xml": {"schema": {"type": "string"}}}}


FORMAT = {"in": "path", "name": "format", "required": True,
          "schema": {"type": "string", "enum": ["json", "xml"]}}


def _open311_paths(spec: APISpec) -> None:
    """Open311 GeoReport v2 (``gateway.open311``): answers as the specification shapes
    them; errors are its array ``[{"code", "description"}]``."""
    base, errors = "/open311/v2", _open311("the specification's error array")
    spec.path(path=f"{base}/discovery.{{format}}", operations={"get": {
        "summary": "Open311 discovery", "parameters": [FORMAT],
        "responses": {"200": {"description": "the endpoint and its formats"}}}})
    spec.path(path=f"{base}/services.{{format}}", operations={"get": {
        "summary": "Open311 services: the classifications and the routing topics",
        "parameters": [FORMAT], "responses": {"200": _open311("the services")}}})
    spec.path(path=f"{base}/services/{{service_code}}.{{format}}", operations={"get": {
        "summary": "Open311 service definition", "parameters": [
            {"in": "path", "name": "service_code", "required": True, "schema": {"type": "string"}},
            FORMAT],
        "responses": {"200": {"description": "the definition"}, "404": errors}}})
    filters = [{"in": "query", "name": name, "required": False, "schema": {"type": "string"}}
               for name in ("service_request_id", "service_code", "start_date", "end_date",
                            "status", "api_key")]
    spec.path(path=f"{base}/requests.{{format}}", operations={
        "get": {"summary": "Open311 requests (nothing personal), at most 1000, 90 days",
                "parameters": [FORMAT, *filters],
                "responses": {"200": _open311("the requests"), "400": errors,
                              "429": errors}},
        "post": {"summary": "File an Open311 request (an agency API key as api_key)",
                 "parameters": [FORMAT],
                 "requestBody": {"required": True, "content": {
                     "application/x-www-form-urlencoded": {"schema": "Open311Request"}}},
                 "responses": {"201": _open311("[{service_request_id, service_notice}]"),
                               "200": _open311("already filed with this Idempotency-Key"),
                               "400": errors, "403": errors, "404": errors, "422": errors,
                               "503": errors}}})
    spec.path(path=f"{base}/requests/{{service_request_id}}.{{format}}", operations={"get": {
        "summary": "One Open311 request by its tracking number", "parameters": [
            {"in": "path", "name": "service_request_id", "required": True,
             "schema": {"type": "string", "example": "27410935882"}}, FORMAT],
        "responses": {"200": _open311("the request"), "404": errors, "429": errors}}})


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
                         ("Open311Request", Open311RequestSchema)):
        spec.components.schema(name, schema=schema)
    _paths(spec)
    return spec.to_dict()
