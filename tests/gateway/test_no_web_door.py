"""A doors file without a ``web`` door: the JSON API and the web form have no door to take a
submission through, and say so (404 with a short reason), never a 500 (issue 13)."""
from __future__ import annotations

import json

import pytest

KANNEL_ONLY = {"doors": [{"id": "sms-1708", "channel": "kannel", "agency": "Pemprov Jawa Timur",
                          "credentials": {"secret": "LAPOR_DOOR_SMS_1708_SECRET"}}]}


@pytest.fixture
def environ(environ, tmp_path):
    path = tmp_path / "doors.json"
    path.write_text(json.dumps(KANNEL_ONLY), "utf-8")
    return {**environ, "LAPOR_DOORS_FILE": str(path)}


def test_the_api_without_a_web_door_is_404_not_500(client, parts):
    assert "web" not in parts.adapters
    answer = client.post("/api/v1/complaints", json={"body": "Jalan rusak di depan SDN 3 Kediri"})
    assert answer.status_code == 404
    assert answer.get_json() == {"error": "no web door configured"}


def test_the_form_without_a_web_door_is_404_not_500(client):
    from tests.gateway.test_forms import fields, open_form

    csrf, submission_id = open_form(client)        # the page itself still renders (200)
    answer = client.post("/lapor", data=fields(csrf, submission_id))
    assert answer.status_code == 404
    assert "Halaman tidak ditemukan." in answer.get_data(as_text=True)
