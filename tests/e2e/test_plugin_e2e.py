"""The example channel package (``examples/lapor-channel-example``, installed into the venv
by ``scripts/setup.sh test``) end to end, as an agency deploys it: the gateway finds the
``smsagg`` adapter by its entry point, a doors file adds the province's door, and a
signed aggregator callback POSTed over real HTTP becomes a complaint (real Redis, the
forwarder to a local central receiver, the published JSON Schema); the aggregator's retry
is the same complaint; a status callback from the central system reaches the citizen
through the package's ``send`` (a local stand-in for the aggregator's API); and
``check-config`` names the door and its URL."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from channels.registry import ENTRY_POINT_GROUP, available_channels
from examples.central_consumer import contract_error, validators
from lapor_channel_example.adapter import signature
from lapor_channel_example.testing import SENDER, TESTDATA
from normalizer import tracking
from tests.e2e.conftest import central_bodies
from tests.helpers import Receiver, wait_for

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))
TEXT = "LAPOR jalan rusak di Desa Sukamaju, mohon diperbaiki"


@pytest.fixture
def aggregator():
    with Receiver(default=(202, {"Content-Type": "application/json"}, {"message_id": "agg-1"})) as running:
        yield running


@pytest.fixture
def environ(environ, aggregator):
    environ.update(SENDER.environ, LAPOR_DOORS_FILE=str(TESTDATA / "smsagg_doors.json"),
                   LAPOR_SMS_JABAR_SEND_URL=aggregator.url + "/v1/sms")
    return environ


def test_the_package_is_installed_under_the_entry_point():
    entry = available_channels()["smsagg"]
    assert entry.group == ENTRY_POINT_GROUP
    assert entry.value == "lapor_channel_example.adapter:SmsAggregatorAdapter"


def test_a_callback_becomes_a_complaint_and_its_status_reaches_the_citizen(
        gateway, central, aggregator, forwarder, notifier, status_callback):
    request = SENDER.request(TEXT, 1)
    first = requests.post(gateway + request.path, data=request.body, headers={
        **request.headers, "Content-Type": request.content_type}, timeout=10)
    assert first.status_code == 200 and first.headers["Content-Type"] == "application/json"
    reply = first.json()["reply"]
    number = tracking.compact(re.search(r"\d{4}-\d{4}-\d{3}", reply).group())
    assert tracking.is_valid(number) and "1708" in reply

    again = SENDER.request(TEXT, 1)                    # the aggregator retries: same delivery id
    retried = requests.post(gateway + again.path, data=again.body, headers={
        **again.headers, "Content-Type": again.content_type}, timeout=10)
    assert retried.status_code == 200 and tracking.display(number) in retried.json()["reply"]

    [complaint] = wait_for(lambda: central_bodies(central, "/"), message="complaint delivered")
    assert complaint["tracking_number"] == number
    assert (complaint["door"], complaint["channel"], complaint["door_agency"]) == (
        "sms-jabar", "smsagg", "Pemprov Jawa Barat")
    assert complaint["reporter"]["contact"] == "+6281200000001"
    assert complaint["provider_message_ids"] == ["dlv-20261124-00000001"]
    assert complaint["routing"]["topic"] == "infrastruktur"
    assert contract_error(validators(), "complaint", complaint) is None

    assert status_callback(number, "proses", agency="Dinas Bina Marga Jawa Barat").status_code == 200
    sent = wait_for(lambda: [r for r in aggregator.requests if r["path"] == "/v1/sms"],
                    message="status notice sent through the aggregator")
    body = json.loads(sent[0]["body"])
    assert body["to"] == "6281200000001" and tracking.display(number) in body["text"]
    assert body["from"] == "1708"
    headers = sent[0]["headers"]
    assert headers["x-smsagg-signature"] == signature(SENDER.environ["LAPOR_SMS_JABAR_SECRET"],
                                                      headers["x-smsagg-timestamp"], sent[0]["body"])
    assert len(central_bodies(central, "/")) == 1      # the retry made no second complaint


def test_check_config_names_the_door_and_its_url(environ):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env = {**clean, **environ, "LAPOR_PUBLIC_BASE_URL": "https://lapor.example.go.id"}
    result = subprocess.run([SCRIPT, "check-config"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout            # sms-banten lacks its secret
    assert "https://lapor.example.go.id/in/sms-jabar" in result.stdout
    assert "door sms-banten: missing required LAPOR_SMS_BANTEN_SECRET" in result.stderr
    assert SENDER.environ["LAPOR_SMS_JABAR_SECRET"] not in result.stdout + result.stderr
    env["LAPOR_SMS_BANTEN_SECRET"] = "banten-secret-0123456789"
    assert subprocess.run([SCRIPT, "check-config"], env=env, capture_output=True, text=True,
                          timeout=60).returncode == 0
