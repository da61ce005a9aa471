"""``lapor-gateway web`` with ``LAPOR_LOG_FORMAT=json``: every line gunicorn and the app
write is one JSON object; the access line carries the request id the answer returned, the
path without its query string (Kannel puts the sender's number there), and the door's
intake line the same request id, door and complaint id."""
from __future__ import annotations

import json

import requests

from tests.gateway.webproc import WebCommand

SENDER = "081377788899"


def test_web_writes_json_lines_with_the_request_id(environ):
    web = WebCommand(dict(environ, LAPOR_LOG_FORMAT="json"))
    try:
        answer = requests.get(web.base + "/in/sms-1708", timeout=30,
                              headers={"X-Request-ID": "web-json-0001"},
                              params={"secret": "kannel-door-secret", "from": SENDER, "to": "1708",
                                      "id": "wj-1", "text": "LAPOR lampu jalan mati"})
        assert answer.status_code == 200 and answer.headers["X-Request-ID"] == "web-json-0001"
    finally:
        output = web.stop()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    access = [line for line in lines if line.get("path") == "/in/sms-1708"]
    assert len(access) == 1 and access[0]["request_id"] == "web-json-0001"
    assert access[0]["status"] == "200" and access[0]["logger"] == "gunicorn.access"
    accepted = [line for line in lines if line["message"].startswith("accepted ")]
    assert len(accepted) == 1 and accepted[0]["request_id"] == "web-json-0001"
    assert accepted[0]["door"] == "sms-1708" and accepted[0]["complaint_id"]
    assert SENDER[1:] not in output and "secret=" not in output
