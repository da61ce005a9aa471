"""Shared by the Twilio door tests: the recorded table (testdata/twilio.json), the test doors
(testdata/twilio_doors.json), and requests signed the way Twilio signs them, with twilio's
own ``RequestValidator`` over the public URL."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from channels.testing import Request
from channels.twilio.adapter import TwilioAdapter
from config.doors import load_catalogue
from channels.twilio import testing
from channels.twilio.testing import SHARED_KEY_SETTINGS, pairs_of, signed_case  # noqa: F401 (re-exported)
from tests.helpers import as_documented  # noqa: F401 (re-exported)

TESTDATA = Path(__file__).parent / "testdata"
TABLE = json.loads((TESTDATA / "twilio.json").read_text("utf-8"))
DOORS_FILE = TESTDATA / "twilio_doors.json"
CASES = {case["name"]: case for case in TABLE["cases"]}
ACCOUNT_SID = TABLE["account_sid"]
AUTH_TOKEN = TABLE["auth_token"]
SIGNING_KEY = TABLE["signing_key"]
PUBLIC = TABLE["public_base_url"]
SMS_NUMBER = TABLE["sms_number"]
WHATSAPP_NUMBER = TABLE["whatsapp_number"]


def twilio_environ(api_base_url: str) -> dict:
    """What a gateway serving the test doors needs in its environment."""
    return {"LAPOR_DOORS_FILE": str(DOORS_FILE), "LAPOR_PUBLIC_BASE_URL": PUBLIC,
            "LAPOR_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "LAPOR_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "LAPOR_TWILIO_SMS_FROM": SMS_NUMBER, "LAPOR_TWILIO_WHATSAPP_FROM": WHATSAPP_NUMBER,
            "LAPOR_TWILIO_API_BASE_URL": api_base_url, "LAPOR_TWILIO_TEST_ORIGINS": api_base_url,
            "LAPOR_TWILIO_JABAR_SIGNING_KEY": SIGNING_KEY}


def sign(url: str, params, secret: str = AUTH_TOKEN, algorithm: str = testing.HMAC_SHA1) -> str:
    """X-Twilio-Signature as Twilio computes it, with the table's auth token by default."""
    return testing.sign(url, params, secret, algorithm)


def Signed(case: dict, base: str = PUBLIC) -> Request:  # noqa: N802 (was a class)
    """One table case as Twilio would send it to ``base`` (``channels.twilio.testing``)."""
    return signed_case(TABLE, case, base)


def adapter_for(settings, door_id: str) -> TwilioAdapter:
    return TwilioAdapter(load_catalogue(settings).doors[door_id], settings)


def twiml_messages(response) -> list[str]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == "Response"
    return [element.text or "" for element in root.findall("Message")]


def redis_of(parts):
    return parts.store.redis


def ledger_keys(parts) -> list:
    return list(redis_of(parts).scan_iter("lapor:c:*"))
