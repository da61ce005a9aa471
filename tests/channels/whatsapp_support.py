"""Shared pieces of the WhatsApp tests: the recorded-payload table, Meta's way of serializing
and signing a webhook body, the door and the environment that configures it, and a reader
for the messages kombu left on a Redis-backed queue."""
from __future__ import annotations

import json
from pathlib import Path

from channels.base import WebRequest
from channels.whatsapp import testing
from channels.whatsapp.testing import meta_bytes, raw_body  # noqa: F401 (re-exported)
from config.doors import Door
from tests.helpers import queued_bodies as queued  # noqa: F401 (re-exported)

TESTDATA = Path(__file__).parent / "testdata"
TABLE = json.loads((TESTDATA / "whatsapp.json").read_text("utf-8"))
DOORS_FILE = TESTDATA / "whatsapp_doors.json"
CASES = {case["name"]: case for case in TABLE["cases"]}
APP_SECRET = TABLE["app_secret"]
VERIFY_TOKEN = TABLE["verify_token"]
ACCESS_TOKEN = TABLE["access_token"]
PHONE_NUMBER_ID = TABLE["phone_number_id"]
PATH = "/in/wa-cloud"


def door(graph_url: str = "", **options) -> Door:
    """The wa-cloud door as load_catalogue builds it from whatsapp_doors.json."""
    return Door(id="wa-cloud", channel="whatsapp", agency="KemenPANRB", label="WhatsApp (Cloud API)",
                credentials={"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN,
                             "access_token": ACCESS_TOKEN},
                options={"phone_number_id": PHONE_NUMBER_ID, "graph_url": graph_url, **options})


def environ_for(graph_url: str = "") -> dict:
    """The environment variables the door JSON names."""
    return {"LAPOR_DOORS_FILE": str(DOORS_FILE), "LAPOR_WHATSAPP_APP_SECRET": APP_SECRET,
            "LAPOR_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "LAPOR_WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
            "LAPOR_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID, "LAPOR_WHATSAPP_GRAPH_URL": graph_url,
            "LAPOR_WHATSAPP_TEST_ORIGINS": graph_url}


def signature(raw: bytes, secret: str = APP_SECRET) -> str:
    """X-Hub-Signature-256 as Meta computes it, with the table's app secret by default."""
    return testing.signature(raw, secret)


def headers_for(case: dict, raw: bytes) -> dict:
    """The request headers of a case (or of a request spec), signed the way it says."""
    return testing.headers_for(case, raw, APP_SECRET)


def web_request(case: dict) -> WebRequest:
    raw = raw_body(case)
    headers = {k.lower(): v for k, v in headers_for(case, raw).items()}
    return WebRequest(method="POST", url="https://lapor.example.go.id" + PATH, path=PATH,
                      headers=headers, query_string=b"", body=raw,
                      content_type=headers["content-type"])


def post_case(client, case: dict):
    raw = raw_body(case)
    return client.post(PATH, data=raw, headers=headers_for(case, raw))


