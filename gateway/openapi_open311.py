"""The Open311 GeoReport v2 part of the OpenAPI document (``gateway.openapi``): the paths
of ``gateway.open311`` and the form ``POST requests`` takes. Answers are the
specification's shapes (JSON arrays, or XML); errors its ``[{"code", "description"}]``."""
from __future__ import annotations

from apispec import APISpec
from marshmallow import Schema, fields


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


def _open311(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                        "text/xml": {"schema": {"type": "string"}}}}


FORMAT = {"in": "path", "name": "format", "required": True,
          "schema": {"type": "string", "enum": ["json", "xml"]}}


def open311_paths(spec: APISpec) -> None:
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
