"""The ``echo`` channel's test sender (``channels.testing``)."""
from __future__ import annotations

from pathlib import Path

from channels.testing import OTHER_SECRET, Request, Sender, hmac_hex, json_bytes

SECRET = "echo-door-secret-0123456789abcdef"


class EchoSender(Sender):
    door = {"id": "echo-1", "channel": "echo", "agency": "KemenPANRB", "label": "Echo",
            "credentials": {"secret": "LAPOR_SEC_ECHO_SECRET"}, "options": {}}
    environ = {"LAPOR_SEC_ECHO_SECRET": SECRET}
    secrets = (SECRET,)
    forgeries = ("none", "wrong", "other_body")
    signature_headers = ("x-echo-signature",)
    cases_file = Path(__file__).with_name("cases.json")

    def payload(self, text: str, n: int) -> dict:
        return {"id": f"echo-{n}", "from": f"0812{n:08d}", "text": text}

    @staticmethod
    def serialize(payload) -> bytes:
        return json_bytes(payload)

    def _build(self, body: bytes, secret: str | None) -> Request:
        headers = {"X-Echo-Signature": hmac_hex(secret, body)} if secret else {}
        return Request("POST", "/in/echo-1", body=body, headers=headers, content_type="application/json",
                       secrets=(hmac_hex(SECRET, body), SECRET))

    def signed(self, body: bytes) -> Request:
        return self._build(body, SECRET)

    def request(self, text: str, n: int) -> Request:
        return self.signed(self.serialize(self.payload(text, n)))

    def forged(self, kind: str, text: str, n: int) -> Request:
        body = self.serialize(self.payload(text, n))
        if kind == "other_body":
            request = self.signed(self.serialize(self.payload(text + "!", n)))
            request.body = body
            return request
        return self._build(body, {"none": None, "wrong": OTHER_SECRET}[kind])

    def case_request(self, table: dict, case: dict) -> Request:
        spec = case["request"]
        body = json_bytes(spec["body"])
        secret = {"valid": table["secret"], "forged": OTHER_SECRET}.get(spec["signature"])
        headers = {"X-Echo-Signature": hmac_hex(secret, body)} if secret else {}
        return Request("POST", f"/in/{table['door']}", body=body, headers=headers,
                       content_type="application/json")

    def thread(self, text: str, message_no: int, n: int) -> Request:
        return self.request(text, n * 100 + message_no)

    def thread_identifiers(self, n: int) -> list[str]:
        return [f"echo-{n * 100 + 1}", f"echo-{n * 100 + 2}"]


SENDER = EchoSender()
