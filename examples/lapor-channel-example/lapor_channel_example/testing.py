"""The aggregator's test sender (``channels.testing``, the gateway's public test harness):
what the aggregator sends to the channel's test door, properly signed or forged. The
gateway's security and fuzz tables find it through the registry (``SENDER`` here, beside
the adapter) once the package is installed, and its recorded cases in ``testdata/``.

The sender's own deliveries are JSON (``payload``/``serialize``, so the gateway's JSON fuzz
and hostile-JSON tables mutate them); the form is in the recorded cases. A case's
``request`` (``testdata/smsagg.json``): ``method``; the body as ``form`` (a list of
[name, value] pairs, URL-encoded as UTF-8), ``body`` (a JSON value, sent as compact UTF-8
JSON) or ``body_hex`` (raw bytes), with its ``content_type``; and ``signature``:
``valid``, ``forged`` (another secret), ``missing``, ``stale`` (signed correctly ten
minutes ago) or ``tampered`` (the signature of another body). Cases are signed when they
are sent: a recorded timestamp would be stale.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlencode

from channels.testing import OTHER_SECRET, Request, Sender, json_bytes
from lapor_channel_example.adapter import signature

SECRET = "smsagg-door-secret-0123456789"
PATH = "/in/sms-jabar"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
TESTDATA = Path(__file__).parent / "testdata"
SURROGATE = re.compile("[\ud800-\udfff]")


def form_bytes(pairs) -> bytes:
    """A form as the aggregator writes it: UTF-8, %-escaped. UTF-8 cannot carry a lone
    surrogate: like every UTF-8 writer (a browser, WHATWG's encoder) it sends U+FFFD."""
    return urlencode([(name, SURROGATE.sub("\ufffd", value)) for name, value in pairs],
                     encoding="utf-8").encode("ascii")


def signed_headers(body: bytes, secret: str = SECRET, skew: int = 0, kind: str = "valid") -> dict:
    """The two headers the aggregator sends: valid, or forged as ``kind`` says."""
    stamp = str(int(time.time()) + skew)
    if kind == "missing":
        return {}
    if kind == "stale":
        stamp = str(int(time.time()) - 600)
    sign_with = OTHER_SECRET if kind == "forged" else secret
    signed = body + b" " if kind == "tampered" else body
    return {"X-Smsagg-Timestamp": stamp, "X-Smsagg-Signature": signature(sign_with, stamp, signed)}


class SmsAggregatorSender(Sender):
    """The aggregator's callback in its JSON form (the form is in the recorded cases),
    signed over timestamp and body."""
    door = {"id": "sms-jabar", "channel": "smsagg", "agency": "Pemprov Jawa Barat",
            "label": "SMS 1708 Jawa Barat (agregator)",
            "credentials": {"secret": "LAPOR_SMS_JABAR_SECRET"},
            "options": {"short_code": "1708"}}
    environ = {"LAPOR_SMS_JABAR_SECRET": SECRET}
    secrets = (SECRET,)
    forgeries = ("none", "wrong", "other_body", "stale", "future")
    signature_headers = ("x-smsagg-signature", "x-smsagg-timestamp")
    cases_file = TESTDATA / "smsagg.json"

    def payload(self, text: str, n: int) -> dict:
        """The ``n``-th citizen's SMS as the aggregator posts it."""
        return {"delivery_id": f"dlv-20261124-{n:08d}", "msisdn": f"62812{n:08d}", "shortcode": "1708",
                "text": text, "sent_at": "2026-11-24T10:46:58+07:00", "operator": "telkomsel"}

    @staticmethod
    def serialize(payload) -> bytes:
        return json_bytes(payload)

    def _build(self, body: bytes, headers: dict) -> Request:
        expected = signature(SECRET, headers.get("X-Smsagg-Timestamp", "0"), body)
        return Request("POST", PATH, body=body, headers=headers, content_type=JSON,
                       secrets=(SECRET, expected, expected[3:]))

    def signed(self, body: bytes) -> Request:
        return self._build(body, signed_headers(body))

    def signed_any(self, body: bytes, query: str, content_type: str, method: str) -> Request:
        return Request(method, PATH, query=query, body=body, headers=signed_headers(body),
                       content_type=content_type, secrets=(SECRET,))

    def request(self, text: str, n: int) -> Request:
        return self.signed(self.serialize(self.payload(text, n)))

    def thread(self, text: str, message_no: int, n: int) -> Request:
        """The ``n``-th citizen's ``message_no``-th message: the same number, its own delivery."""
        payload = self.payload(text, n)
        payload["delivery_id"] += f"-{message_no}"
        return self.signed(self.serialize(payload))

    def thread_identifiers(self, n: int) -> list[str]:
        return [f"dlv-20261124-{n:08d}-1", f"dlv-20261124-{n:08d}-2", f"62812{n:08d}", f"812{n:08d}"]

    def forged(self, kind: str, text: str, n: int) -> Request:
        body = self.serialize(self.payload(text, n))
        if kind == "none":
            return self._build(body, {})
        if kind == "wrong":
            return self._build(body, signed_headers(body, OTHER_SECRET))
        if kind == "other_body":
            return self._build(body, signed_headers(self.serialize(self.payload(text + "!", n))))
        if kind == "stale":
            return self._build(body, signed_headers(body, skew=-600))
        if kind == "future":
            return self._build(body, signed_headers(body, skew=600))
        raise ValueError(kind)

    def reply_text(self, response, replies=()) -> str:
        """The acknowledgement: the ``reply`` of the JSON answer."""
        answer = response.get_json(silent=True)
        return answer.get("reply", "") if isinstance(answer, dict) else ""

    def case_request(self, table: dict, case: dict) -> Request:
        spec = case["request"]
        if "form" in spec:
            body = form_bytes(spec["form"])
        elif "body" in spec:
            body = json_bytes(spec["body"])
        else:
            body = bytes.fromhex(spec.get("body_hex", ""))
        headers = signed_headers(body, table["secret"], kind=spec.get("signature", "valid"))
        expected = signature(table["secret"], headers.get("X-Smsagg-Timestamp", "0"), body)
        return Request(spec.get("method", "POST"), f"/in/{case.get('door', table['door'])}", body=body,
                       headers=headers, content_type=spec.get("content_type", FORM),
                       secrets=(expected, expected[3:]))


SENDER = SmsAggregatorSender()
