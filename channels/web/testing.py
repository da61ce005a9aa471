"""The web door's test sender (``channels.testing``): its JSON entrances
(``/api/v1/complaints`` and ``/in/web``) are public, no credential to forge; the
Idempotency-Key names the submission."""
from __future__ import annotations

import json
from urllib.parse import urlencode

from channels.base import WebRequest
from channels.testing import Request, Sender, json_bytes


class WebApiSender(Sender):
    """A JSON submission to ``path`` (``/api/v1/complaints`` or ``/in/web``)."""
    door = {"id": "web", "channel": "web", "agency": "KemenPANRB", "label": "Formulir web LAPOR!",
            "credentials": {}, "options": {}}
    forgeries = ()
    structured = True        # each submission is a complaint of its own
    signature_headers = ("idempotency-key",)

    def __init__(self, path: str = "/api/v1/complaints"):
        self.path = path

    def request(self, text: str, n: int) -> Request:
        body = json_bytes({"classification": "pengaduan", "body": text, "anonymous": False,
                           "name": "Siti", "contact": f"0812{n:08d}"})
        return Request("POST", self.path, body=body, content_type="application/json",
                       headers={"Idempotency-Key": f"security-{n}"})

    def signed_any(self, body: bytes, query: str, content_type: str, method: str) -> Request:
        return Request(method, "/in/web", query=query, body=body, content_type=content_type,
                       headers={"Idempotency-Key": "fuzz-1"})

    def case_request(self, table: dict, case: dict) -> Request:
        """A recorded submission: to ``request.path`` (``/in/web`` or the form's ``/lapor``),
        ``json`` (serialized as ``json.dumps`` does), ``form`` (urlencoded) or ``raw`` with
        its ``content_type``; ``headers`` and ``query`` as given."""
        return submission_request(case["request"], "/in/web")

    def read(self, adapter, request: WebRequest) -> list:
        """``/lapor`` (the form, its CSRF token checked by the Flask view) reads a submission
        with files accepted; ``/in/web`` is the adapter's ``parse`` (JSON only)."""
        if request.path == "/lapor":
            return [adapter.submission(request)[0]]
        return adapter.parse(request)

    def tracking_of(self, response, replies=()) -> str:
        data = response.get_json(silent=True) or {}
        return data.get("tracking_number", "")


SENDER = WebApiSender()


def submission_request(spec: dict, default_path: str) -> Request:
    """A recorded submission's request (the web and manual doors' cases): ``json``
    (serialized as ``json.dumps`` does), ``form`` (urlencoded) or ``raw`` with its
    ``content_type``; ``method``, ``path``, ``query`` and ``headers`` as given."""
    if "json" in spec:
        body, content_type = json.dumps(spec["json"]), "application/json"
    elif "form" in spec:
        body, content_type = urlencode(spec["form"]), "application/x-www-form-urlencoded"
    else:
        body, content_type = spec.get("raw", ""), spec.get("content_type", "")
    return Request(spec.get("method", "POST"), spec.get("path", default_path), spec.get("query", ""),
                   body.encode("utf-8"), dict(spec.get("headers", {})), content_type)
