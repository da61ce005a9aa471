"""The wire side of the security tests: the test doors' credentials (``ENVIRON``, as the
doors in ``testdata/doors.json`` name them), a raw ``Request`` that can go through the Flask
test client or straight to an adapter, JSON as providers write it, the replies queued for
citizens, and the central system's signed status callback (the one scheme with a timestamp).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from channels.base import WebRequest
from forwarder import central as central_contract
from forwarder.topology import REPLIES
from tests.gateway.support import queued

DOORS_FILE = Path(__file__).parent / "testdata" / "doors.json"
PUBLIC = "https://lapor.example.go.id"

KANNEL_SECRET = "kannelSecret4711"
TWILIO_SID = "AC" + "5e" * 16
TWILIO_TOKEN = "twilio-auth-token-0123456789abcdef"
WA_APP_SECRET = "meta-app-secret-0123456789abcdef"
WA_VERIFY_TOKEN = "meta-verify-token-4711"
WA_PHONE_NUMBER_ID = "106540352242922"
TELEGRAM_TOKEN = "123456789:AAE-security-test-token-0123456789ab"
TELEGRAM_SECRET = "telegram-secret-token_0123456789"
X_SECRET = "x-consumer-secret-0123456789abcdefghijklmn"
X_ACCOUNT = "1708000000000000001"
CENTRAL_SECRET = "central-secret-for-security-tests"
OTHER_SECRET = "a-secret-that-belongs-to-nobody-0000"

ENVIRON = {
    "LAPOR_DOORS_FILE": str(DOORS_FILE),
    "LAPOR_PUBLIC_BASE_URL": PUBLIC,
    "LAPOR_CENTRAL_SECRET": CENTRAL_SECRET,
    "LAPOR_DOOR_SMS_1708_SECRET": KANNEL_SECRET,
    "LAPOR_SEC_TWILIO_ACCOUNT_SID": TWILIO_SID,
    "LAPOR_SEC_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    "LAPOR_SEC_TWILIO_FROM": "+14155550100",
    "LAPOR_SEC_WA_APP_SECRET": WA_APP_SECRET,
    "LAPOR_SEC_WA_VERIFY_TOKEN": WA_VERIFY_TOKEN,
    "LAPOR_SEC_WA_ACCESS_TOKEN": "meta-access-token-not-used-here",
    "LAPOR_SEC_WA_PHONE_NUMBER_ID": WA_PHONE_NUMBER_ID,
    "LAPOR_SEC_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
    "LAPOR_SEC_TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
    "LAPOR_SEC_X_CONSUMER_KEY": "x-consumer-key-0123456789",
    "LAPOR_SEC_X_CONSUMER_SECRET": X_SECRET,
    "LAPOR_SEC_X_ACCESS_TOKEN": X_ACCOUNT + "-access-token-0123456789",
    "LAPOR_SEC_X_ACCESS_TOKEN_SECRET": "x-access-token-secret-0123456789",
    "LAPOR_SEC_X_ACCOUNT_ID": X_ACCOUNT,
    "LAPOR_SEC_X_USERNAME": "LAPOR1708",
}
SECRETS = (KANNEL_SECRET, TWILIO_TOKEN, WA_APP_SECRET, WA_VERIFY_TOKEN, TELEGRAM_TOKEN,
           TELEGRAM_SECRET, X_SECRET, CENTRAL_SECRET)
SURROGATE = re.compile("[\ud800-\udfff]")


def json_bytes(value, ascii_only: bool = False) -> bytes:
    """JSON as a provider writes it: UTF-8 (or all-ASCII escapes); lone surrogates, which
    UTF-8 cannot carry, as ``\\uXXXX`` escapes."""
    text = json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":"))
    return SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), text).encode("utf-8")


@dataclass
class Request:
    """One HTTP request to the gateway, as raw as the provider sends it."""
    method: str
    path: str
    query: str = ""
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    content_type: str = ""
    #: values that must never appear in a refusal (the expected signature, the body's text)
    secrets: tuple = ()

    def send(self, client):
        target = self.path + (f"?{self.query}" if self.query else "")
        return client.open(target, method=self.method, data=self.body or None,
                           headers=self.headers, content_type=self.content_type or None)

    def web_request(self) -> WebRequest:
        return WebRequest(method=self.method, path=self.path,
                          url=PUBLIC + self.path + (f"?{self.query}" if self.query else ""),
                          headers={k.lower(): v for k, v in self.headers.items()},
                          query_string=self.query.encode("latin-1"), body=self.body,
                          content_type=self.content_type)


def hmac_hex(secret: str, data: bytes) -> str:
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def hmac_b64(secret: str, data: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


def replies(parts) -> list[dict]:
    """Replies queued for the notifier (oldest first)."""
    return list(reversed(queued(parts.settings.redis_url, REPLIES)))


# ----- the central system's status callback ----------------------------------------------------
CENTRAL_PATH = "/api/v1/central/status"
TO_GATEWAY = central_contract.STATUS_TO_GATEWAY     # the v2 kind of a status callback


def central_callback(number: str, kind: str = "valid", now: float | None = None,
                     status: str = "proses") -> Request:
    """A status callback from the central system, signed (or forged) as ``kind`` says."""
    body = json.dumps({"tracking_number": number, "status": status,
                       "agency": "Dinas PU PERA"}).encode()
    stamp = int(now if now is not None else time.time())
    expected = central_contract.sign(CENTRAL_SECRET, body, stamp, TO_GATEWAY)
    headers = {"X-Lapor-Timestamp": str(stamp), "X-Lapor-Signature": expected}
    if kind == "none":
        headers = {}
    elif kind == "wrong":
        headers["X-Lapor-Signature"] = central_contract.sign(OTHER_SECRET, body, stamp, TO_GATEWAY)
    elif kind == "other_body":
        other = body.replace(b"proses", b"selesai")
        headers["X-Lapor-Signature"] = central_contract.sign(CENTRAL_SECRET, other, stamp, TO_GATEWAY)
    elif kind == "stale":                                 # signed correctly, 10 minutes ago
        old = stamp - 600
        headers = {"X-Lapor-Timestamp": str(old),
                   "X-Lapor-Signature": central_contract.sign(CENTRAL_SECRET, body, old, TO_GATEWAY)}
    elif kind == "future":                                # signed correctly, 10 minutes ahead
        ahead = stamp + 600
        headers = {"X-Lapor-Timestamp": str(ahead),
                   "X-Lapor-Signature": central_contract.sign(CENTRAL_SECRET, body, ahead, TO_GATEWAY)}
    elif kind != "valid":
        raise ValueError(kind)
    return Request("POST", CENTRAL_PATH, body=body, headers=headers,
                   content_type="application/json", secrets=(expected, expected[3:], CENTRAL_SECRET))
