"""JSON logs (``LAPOR_LOG_FORMAT``): the default in production, a request id on every line
(the caller's ``X-Request-ID`` only when well-formed), the door and the complaint id where
known, and never a reporter's identity."""
from __future__ import annotations

import io
import json
import logging

import pytest

from config import logs
from config.settings import SettingsError, load_settings

SENDER = "081298765432"


def test_json_is_the_default_in_production_and_text_when_embedded(environ, tmp_path):
    assert load_settings(environ).log_format == "json"
    assert load_settings(dict(environ, LAPOR_LOG_FORMAT="text")).log_format == "text"
    embedded = {"LAPOR_DATA_DIR": str(tmp_path / "embedded")}
    assert load_settings(embedded).log_format == "text"
    with pytest.raises(SettingsError, match="LAPOR_LOG_FORMAT"):
        load_settings(dict(environ, LAPOR_LOG_FORMAT="xml"))


@pytest.mark.parametrize("given", ["short", "x" * 65, "abc def ghi", "id<script>alert(1)",
                                   "0812987654329\u2028x", "a/b/c/d/e/f/g"])
def test_a_malformed_request_id_is_replaced(client, given):
    answer = client.get("/healthz", headers={"X-Request-ID": given})
    returned = answer.headers["X-Request-ID"]
    assert returned != given and logs.REQUEST_ID.fullmatch(returned) and len(returned) == 32


def test_a_well_formed_request_id_is_kept_and_one_is_made_otherwise(client):
    assert client.get("/healthz", headers={"X-Request-ID": "req-42.abc:7_Z"}).headers[
        "X-Request-ID"] == "req-42.abc:7_Z"
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second


@pytest.fixture
def json_lines():
    """Every log line of the test as the JSON formatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.json_formatter())
    logging.getLogger().addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().removeHandler(handler)


def test_each_line_carries_the_request_id_door_and_complaint(client, json_lines):
    answer = client.get("/in/sms-1708", headers={"X-Request-ID": "kannel-req-0001"}, query_string={
        "secret": "kannel-door-secret", "from": SENDER, "to": "1708", "id": "k-1",
        "text": "LAPOR ANONIM jalan rusak di depan pasar"})
    assert answer.status_code == 200 and answer.headers["X-Request-ID"] == "kannel-req-0001"
    lines = json_lines()
    accepted = [line for line in lines if line["message"].startswith("accepted ")]
    assert len(accepted) == 1
    line = accepted[0]
    assert line["request_id"] == "kannel-req-0001" and line["door"] == "sms-1708"
    assert line["complaint_id"] and line["complaint_id"] in line["message"]
    assert {"time", "level", "logger"} <= set(line)
    assert all(SENDER[1:] not in json.dumps(each) for each in lines)


def test_the_context_does_not_outlive_its_request(client, json_lines):
    client.get("/in/sms-1708", query_string={"secret": "wrong"}, headers={"X-Request-ID": "req-one-0001"})
    logging.getLogger("lapor.test").info("after the request")
    after = [line for line in json_lines() if line["message"] == "after the request"]
    assert after and "request_id" not in after[0] and "door" not in after[0]


def test_text_lines_show_the_context():
    record = logging.LogRecord("lapor.x", logging.INFO, __file__, 1, "hello", None, None)
    record.request_id, record.door = "r-12345678", "web"
    assert logs.formatter("text").format(record).endswith("hello [request_id=r-12345678 door=web]")
