"""Open311's view of a complaint's public status (``channels.open311.render``): open until
the central system says ``selesai`` or ``ditolak``; the due date as the end of that day in
Jakarta; the XML of the specification's shape, its text escaped."""
from __future__ import annotations

from xml.etree import ElementTree

import pytest

from channels.open311 import render

STATUS = {"received_at": "2026-11-29T03:00:00+00:00", "updated_at": "2026-11-30T01:00:00+00:00",
          "due_date": "2026-12-17", "note": "Sudah ditinjau.", "agency": "Dinas PU PERA"}


@pytest.mark.parametrize("central, shown", [("diterima", "open"), ("diteruskan", "open"),
                                            ("verifikasi", "open"), ("disposisi", "open"),
                                            ("proses", "open"), ("selesai", "closed"),
                                            ("ditolak", "closed")])
def test_status_is_closed_only_when_the_central_system_closes_it(central, shown):
    row = render.request_fields("27410935882", {**STATUS, "status": central}, {}, "aspirasi", "Aspirasi")
    assert row["status"] == shown and row["status_notes"] == "Sudah ditinjau."
    assert row["expected_datetime"] == "2026-12-17T23:59:59+07:00"
    assert row["requested_datetime"] == "2026-11-29T03:00:00+00:00"
    assert row["address"] is None and row["lat"] is None


def test_a_broken_status_gives_empty_fields_not_an_error():
    row = render.request_fields("27410935882", {"received_at": "x", "due_date": "y"}, {}, "", "")
    assert row["requested_datetime"] is None and row["expected_datetime"] is None
    assert row["status"] == "open" and row["agency_responsible"] is None


def test_xml_is_the_specifications_shape_and_escapes_text():
    content, content_type = render.body("requests", [{"service_request_id": "1", "address": "<b>&",
                                                      "lat": None, "flag": True}], "xml")
    assert content_type.startswith("text/xml")
    root = ElementTree.fromstring(content)
    assert root.tag == "service_requests" and [child.tag for child in root] == ["request"]
    assert root.find("request/address").text == "<b>&" and root.find("request/flag").text == "true"
    errors, _ = render.errors(403, "invalid api_key", "xml")
    assert ElementTree.fromstring(errors).find("error/code").text == "403"
    assert render.errors(404, "x", "json")[0] == b'[{"code": 404, "description": "x"}]'
