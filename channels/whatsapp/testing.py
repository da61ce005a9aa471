"""WhatsApp's test sender (``channels.testing``): Meta's messages webhook, JSON serialized
as Meta does (ASCII escapes, ``\\/``), X-Hub-Signature-256 = HMAC-SHA256 of the raw body
with the app secret; a recorded case signed as its ``request.signature`` says."""
from __future__ import annotations

import hashlib
import hmac
import json

from channels.testing import OTHER_SECRET, Request, Sender, hmac_hex, json_bytes

APP_SECRET = "meta-app-secret-0123456789abcdef"
VERIFY_TOKEN = "meta-verify-token-4711"
PHONE_NUMBER_ID = "106540352242922"
PATH = "/in/wa-cloud"


def meta_bytes(body) -> bytes:
    """A body as Meta serializes it: compact, non-ASCII as \\u escapes, '/' as '\\/'."""
    return json.dumps(body, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()


def signature(raw: bytes, secret: str) -> str:
    """X-Hub-Signature-256 exactly as Meta computes it: HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac_hex(secret, raw)


def raw_body(case: dict) -> bytes:
    """The bytes of a case's ``request`` (or of a request spec itself): ``body`` as Meta
    writes it, ``body_raw`` / ``body_hex`` as they are."""
    spec = case.get("request", case)
    if "body_hex" in spec:
        return bytes.fromhex(spec["body_hex"])
    if "body_raw" in spec:
        return spec["body_raw"].encode("utf-8")
    return meta_bytes(spec["body"])


def headers_for(case: dict, raw: bytes, secret: str) -> dict:
    """The request headers of a case (or of a request spec), signed as its ``signature``
    says: valid, forged (another secret), missing, sha1, tampered."""
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
    kind = case.get("request", case)["signature"]
    if kind == "valid":
        headers["X-Hub-Signature-256"] = signature(raw, secret)
    elif kind == "forged":
        headers["X-Hub-Signature-256"] = signature(raw, "another-apps-secret-0000000000")
    elif kind == "sha1":
        headers["X-Hub-Signature-256"] = "sha1=" + hmac.new(secret.encode(), raw, hashlib.sha1).hexdigest()
    elif kind == "tampered":
        headers["X-Hub-Signature-256"] = signature(raw.replace(b"Jalan berlubang", b"Jalan mulus"), secret)
    return headers


class WhatsAppSender(Sender):
    """Meta's messages webhook: JSON (ASCII escapes), X-Hub-Signature-256 over the raw body."""
    door = {"id": "wa-cloud", "channel": "whatsapp", "agency": "KemenPANRB", "label": "WhatsApp (Cloud API)",
            "credentials": {"app_secret": "LAPOR_SEC_WA_APP_SECRET", "verify_token": "LAPOR_SEC_WA_VERIFY_TOKEN",
                            "access_token": "LAPOR_SEC_WA_ACCESS_TOKEN"},
            "options": {"phone_number_id": "LAPOR_SEC_WA_PHONE_NUMBER_ID"}}
    environ = {"LAPOR_SEC_WA_APP_SECRET": APP_SECRET, "LAPOR_SEC_WA_VERIFY_TOKEN": VERIFY_TOKEN,
               "LAPOR_SEC_WA_ACCESS_TOKEN": "meta-access-token-not-used-here",
               "LAPOR_SEC_WA_PHONE_NUMBER_ID": PHONE_NUMBER_ID}
    secrets = (APP_SECRET, VERIFY_TOKEN)
    inline = False
    forgeries = ("none", "wrong", "other_body")
    signature_headers = ("x-hub-signature-256",)

    def payload(self, text: str, n: int) -> dict:
        sender = f"62812{n:08d}"
        return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
            "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "6281100001708", "phone_number_id": PHONE_NUMBER_ID},
                "contacts": [{"profile": {"name": "Siti"}, "wa_id": sender}],
                "messages": [{"from": sender, "id": f"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYIDQ{n:010d}",
                              "timestamp": "1795516959", "type": "text", "text": {"body": text}}]}}]}]}

    def body(self, text: str, n: int) -> bytes:
        return self.serialize(self.payload(text, n))

    @staticmethod
    def serialize(payload) -> bytes:
        return json_bytes(payload, ascii_only=True).replace(b"/", b"\\/")

    def _build(self, body: bytes, signature_sent: str | None, expected: str) -> Request:
        headers = {"X-Hub-Signature-256": signature_sent} if signature_sent is not None else {}
        return Request("POST", PATH, body=body, headers=headers,
                       content_type="application/json", secrets=(expected, expected[7:], APP_SECRET))

    def signed(self, body: bytes) -> Request:
        """Any body, signed as Meta signs a delivery."""
        sent = signature(body, APP_SECRET)
        return self._build(body, sent, sent)

    def request(self, text: str, n: int) -> Request:
        return self.signed(self.body(text, n))

    def thread(self, text: str, message_no: int, n: int) -> Request:
        payload = self.payload(text, n)
        item = payload["entry"][0]["changes"][0]["value"]["messages"][0]
        item["id"] = f"wamid.HBgNNjI4MTIwMDAwMDA0MhUCABIYFjNFQjA{message_no:04d}"
        item["context"] = {"from": "6281100001708", "id": "wamid.HBgNNjI4MTIwMDAwMDA0MhUCABEYEjA5"}
        if message_no > 1:
            del item["text"]
            item.update(type="image", image={"id": "1387613295327042", "mime_type": "image/jpeg",
                                             "sha256": "b1d7cd", "caption": text})
        return self.signed(self.serialize(payload))

    def thread_identifiers(self, n: int) -> list[str]:
        return ["HBgNNjI4MTIwMDAwMDA0MhUCABIYFjNFQjA", "HBgNNjI4MTIwMDAwMDA0MhUCABEYEjA5", "1387613295327042"]

    def case_request(self, table: dict, case: dict) -> Request:
        """A recorded case, signed with the cases file's ``app_secret``; the expected
        signature is one of the values a refusal must not echo."""
        raw = raw_body(case)
        headers = headers_for(case, raw, table["app_secret"])
        expected = signature(raw, table["app_secret"])
        return Request("POST", f"/in/{case.get('door', table['door'])}", body=raw, headers=headers,
                       content_type=headers.pop("Content-Type"), secrets=(expected, expected[7:]))

    def forged(self, kind: str, text: str, n: int) -> Request:
        body = self.body(text, n)
        expected = signature(body, APP_SECRET)
        if kind == "none":
            return self._build(body, None, expected)
        if kind == "wrong":
            return self._build(body, signature(body, OTHER_SECRET), expected)
        if kind == "other_body":
            return self._build(body, signature(self.body(text + "!", n), APP_SECRET), expected)
        raise ValueError(kind)


SENDER = WhatsAppSender()
