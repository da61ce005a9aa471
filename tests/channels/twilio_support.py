"""Shared by the Twilio door tests: the recorded table (testdata/twilio.json), the test doors
(testdata/twilio_doors.json), and requests signed the way Twilio signs them, with twilio's
own ``RequestValidator`` over the public URL."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import HMAC_SHA1, HMAC_SHA256, RequestValidator
from werkzeug.datastructures import MultiDict

from channels.base import WebRequest
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
SHARED_KEY_SETTINGS = "key=webhooks_sharedkey_01JD4W5XQK8R2N6M3P7T9V0Y1Z,algorithm=HMAC_SHA256"


def twilio_environ(api_base_url: str) -> dict:
    """What a gateway serving the test doors needs in its environment."""
    return {"LAPOR_DOORS_FILE": str(DOORS_FILE), "LAPOR_PUBLIC_BASE_URL": PUBLIC,
            "LAPOR_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "LAPOR_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "LAPOR_TWILIO_SMS_FROM": SMS_NUMBER, "LAPOR_TWILIO_WHATSAPP_FROM": WHATSAPP_NUMBER,
            "LAPOR_TWILIO_API_BASE_URL": api_base_url, "LAPOR_TWILIO_TEST_ORIGINS": api_base_url,
            "LAPOR_TWILIO_JABAR_SIGNING_KEY": SIGNING_KEY}


def sign(url: str, params, secret: str = AUTH_TOKEN, algorithm: str = HMAC_SHA1) -> str:
    """X-Twilio-Signature as Twilio computes it (the SDK's own algorithm)."""
    return RequestValidator(secret).compute_signature(url, params, algorithm)


def pairs_of(case: dict) -> list[tuple[str, str]]:
    spec = case["request"]
    pad = spec.get("pad_body", 0)
    return [(name, "x" * pad if pad and name == "Body" else value) for name, value in spec["form"]]


class Signed:
    """One table case as Twilio would send it: path, query, body, headers."""

    def __init__(self, case: dict, base: str = PUBLIC):
        spec = case["request"]
        self.method = spec["method"]
        self.path = f"/in/{case['door']}"
        self.content_type = spec["content_type"]
        self.headers: dict[str, str] = {}
        self.query = ""
        if "body_hex" in spec:
            self.body, params = bytes.fromhex(spec["body_hex"]), MultiDict()
        elif self.method == "GET":
            self.query, self.body, params = urlencode(pairs_of(case)), b"", MultiDict()
        else:
            self.body, params = urlencode(pairs_of(case)).encode(), MultiDict(pairs_of(case))
        url = base + self.path + (f"?{self.query}" if self.query else "")
        kind = spec["signature"]
        if kind == "none":
            return
        secret, algorithm = AUTH_TOKEN, HMAC_SHA1
        if kind == "other_token":
            secret = "0" * 32
        elif kind == "internal_url":
            url = "http://localhost" + self.path
        elif kind == "other_door":
            url = base + "/in/twilio-wa"
        elif kind in ("shared_key", "shared_key_header_token"):
            self.headers["X-Twilio-Webhooks-Signature-Settings"] = SHARED_KEY_SETTINGS
            secret = SIGNING_KEY if kind == "shared_key" else AUTH_TOKEN
            algorithm = HMAC_SHA256
        self.headers["X-Twilio-Signature"] = sign(url, params, secret, algorithm)
        if kind == "tampered":
            self.body = urlencode([(k, v + " (diubah)" if k == "Body" else v)
                                   for k, v in pairs_of(case)]).encode()

    def web_request(self, base: str = PUBLIC) -> WebRequest:
        return WebRequest(method=self.method, path=self.path,
                          url=base + self.path + (f"?{self.query}" if self.query else ""),
                          headers={k.lower(): v for k, v in self.headers.items()},
                          query_string=self.query.encode("ascii"), body=self.body,
                          content_type=self.content_type)

    def through(self, client):
        """The same request through the Flask test client (the real gateway)."""
        return client.open(self.path + (f"?{self.query}" if self.query else ""),
                           method=self.method, data=self.body or None, headers=self.headers,
                           content_type=self.content_type or None)
