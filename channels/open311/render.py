"""Open311 GeoReport v2 answers in JSON or XML, and a complaint's public record as a request.

The XML has the specification's shape: a root element per answer (``services``,
``service_definition``, ``service_requests``, ``discovery``, ``errors``), one child per item
(``service``, ``request``, ``error``), a list field as one element per value (``formats`` ->
``format``). Errors are always the specification's array form:
``[{"code": 404, "description": "..."}]``. Built with ``xml.etree.ElementTree`` (text is
escaped, never parsed).

A request shows only the public status and what its listing holds (``request_fields``):
``status`` is ``closed`` once the central system says ``selesai`` or ``ditolak``, else
``open``; ``status_notes`` is the central system's public note; ``expected_datetime`` is the
end of the due day in Jakarta time. No reporter field exists here at all.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from xml.etree import ElementTree

CLOSED = frozenset({"selesai", "ditolak"})
WIB = timezone(timedelta(hours=7))
ROOTS = {"services": ("services", "service"), "requests": ("service_requests", "request"),
         "errors": ("errors", "error")}
SINGULAR = {"formats": "format", "endpoints": "endpoint", "attributes": "attribute",
            "values": "value"}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _element(parent, name: str, value) -> None:
    node = ElementTree.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _element(node, key, item)
    elif isinstance(value, list):
        for item in value:
            _element(node, SINGULAR.get(name, "item"), item)
    else:
        node.text = _text(value)


def to_xml(root: str, item: str | None, data) -> bytes:
    """``data`` (a list of dicts under ``item``, or one dict) under ``<root>``."""
    top = ElementTree.Element(root)
    if item is None:
        for key, value in data.items():
            _element(top, key, value)
    else:
        for entry in data:
            _element(top, item, entry)
    return ElementTree.tostring(top, encoding="utf-8", xml_declaration=True)


def body(kind: str, data, fmt: str) -> tuple[bytes, str]:
    """(bytes, content type) of an answer of ``kind`` (services, requests, errors,
    service_definition, discovery) in ``fmt``."""
    if fmt == "xml":
        root, item = ROOTS.get(kind, (kind, None))
        return to_xml(root, item, data), CONTENT_TYPES["xml"]
    return json.dumps(data, ensure_ascii=False).encode("utf-8"), CONTENT_TYPES["json"]


def errors(status: int, description: str, fmt: str) -> tuple[bytes, str]:
    return body("errors", [{"code": status, "description": description}], fmt)


def fmt_of(path: str) -> str:
    """The format a path's suffix asks for (``.xml``; JSON otherwise)."""
    return "xml" if path.lower().endswith(".xml") else "json"


def _iso(value: str) -> str | None:
    try:
        return datetime.fromisoformat(value).isoformat() if value else None
    except ValueError:
        return None


def _expected(due: str) -> str | None:
    try:
        return datetime.combine(date.fromisoformat(due[:10]), time(23, 59, 59), WIB).isoformat()
    except ValueError:
        return None


def request_fields(number: str, status: dict, listed: dict, service_code: str,
                   service_name: str) -> dict:
    """A complaint's Open311 request: its public status and listing, nothing personal."""
    return {
        "service_request_id": number,
        "status": "closed" if status.get("status") in CLOSED else "open",
        "status_notes": status.get("note") or None,
        "service_name": service_name,
        "service_code": service_code,
        "agency_responsible": status.get("agency") or listed.get("agency") or None,
        "service_notice": None,
        "requested_datetime": _iso(status.get("received_at", "")),
        "updated_datetime": _iso(status.get("updated_at", "")),
        "expected_datetime": _expected(status.get("due_date", "")),
        "address": listed.get("address") or None,
        "lat": listed.get("lat"),
        "long": listed.get("long"),
    }
