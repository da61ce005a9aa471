"""X's test sender (``channels.testing``): an Account Activity webhook delivery, compact
UTF-8 JSON, x-twitter-webhooks-signature = 'sha256=' + base64(HMAC-SHA256(consumer
secret, raw body)); a recorded case signed as its ``request.signature`` says."""
from __future__ import annotations

import hashlib
import hmac
import html
import json

from channels.testing import OTHER_SECRET, Request, Sender, hmac_b64, json_bytes

CONSUMER_SECRET = "x-consumer-secret-0123456789abcdefghijklmn"
ACCOUNT_ID = "1708000000000000001"
PATH = "/in/twitter"


def x_bytes(body) -> bytes:
    """A webhook body as X sends it: compact JSON, UTF-8."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(raw: bytes, secret: str) -> str:
    """x-twitter-webhooks-signature as X computes it: base64 HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac_b64(secret, raw)


def raw_body(case: dict) -> bytes:
    """The bytes of a case's ``request`` (or of a request spec itself)."""
    spec = case.get("request", case)
    if "body_hex" in spec:
        return bytes.fromhex(spec["body_hex"])
    if "body_raw" in spec:
        return spec["body_raw"].encode("utf-8")
    return x_bytes(spec["body"])


def headers_for(case: dict, raw: bytes, secret: str) -> dict:
    """The request headers of a case, signed as its ``signature`` says: valid, forged
    (another secret), missing, tampered, hex."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Twitter-Webhooks/1.0"}
    kind = case.get("request", case)["signature"]
    if kind == "valid":
        headers["X-Twitter-Webhooks-Signature"] = signature(raw, secret)
    elif kind == "forged":
        headers["X-Twitter-Webhooks-Signature"] = signature(raw, "another-apps-consumer-secret-000000")
    elif kind == "tampered":
        headers["X-Twitter-Webhooks-Signature"] = signature(raw.replace(b"Jl. Merdeka", b"Jl. Sudirman"), secret)
    elif kind == "hex":
        headers["X-Twitter-Webhooks-Signature"] = "sha256=" + hmac.new(
            secret.encode(), raw, hashlib.sha256).hexdigest()
    return headers


class TwitterSender(Sender):
    """An Account Activity direct-message event, signed with the consumer secret."""
    door = {"id": "twitter", "channel": "twitter", "agency": "KemenPANRB", "label": "Twitter/X @LAPOR1708",
            "credentials": {"consumer_key": "LAPOR_SEC_X_CONSUMER_KEY",
                            "consumer_secret": "LAPOR_SEC_X_CONSUMER_SECRET",
                            "access_token": "LAPOR_SEC_X_ACCESS_TOKEN",
                            "access_token_secret": "LAPOR_SEC_X_ACCESS_TOKEN_SECRET"},
            "options": {"account_id": "LAPOR_SEC_X_ACCOUNT_ID", "username": "LAPOR_SEC_X_USERNAME"}}
    environ = {"LAPOR_SEC_X_CONSUMER_KEY": "x-consumer-key-0123456789",
               "LAPOR_SEC_X_CONSUMER_SECRET": CONSUMER_SECRET,
               "LAPOR_SEC_X_ACCESS_TOKEN": ACCOUNT_ID + "-access-token-0123456789",
               "LAPOR_SEC_X_ACCESS_TOKEN_SECRET": "x-access-token-secret-0123456789",
               "LAPOR_SEC_X_ACCOUNT_ID": ACCOUNT_ID, "LAPOR_SEC_X_USERNAME": "LAPOR1708"}
    secrets = (CONSUMER_SECRET,)
    inline = False
    forgeries = ("none", "wrong", "other_body")
    signature_headers = ("x-twitter-webhooks-signature",)

    def payload(self, text: str, n: int) -> dict:
        user = str(98765432000 + n)
        escaped = html.escape(text, quote=False)      # X writes &, < and > as entities
        return {"for_user_id": ACCOUNT_ID, "direct_message_events": [{
            "type": "message_create", "id": str(1861000000000000000 + n),
            "created_timestamp": "1795516959000",
            "message_create": {"target": {"recipient_id": ACCOUNT_ID}, "sender_id": user,
                               "message_data": {"text": escaped, "entities": {
                                   "hashtags": [], "symbols": [], "user_mentions": [], "urls": []}}}}],
            "users": {user: {"id": user, "name": "Siti", "screen_name": f"siti{n}"}}}

    def body(self, text: str, n: int) -> bytes:
        return self.serialize(self.payload(text, n))

    @staticmethod
    def serialize(payload) -> bytes:
        return json_bytes(payload)

    def thread(self, text: str, message_no: int, n: int) -> Request:
        payload = self.payload(text, n)
        event = payload["direct_message_events"][0]
        event["id"] = str(1861000000000000000 + 1000 * message_no + n)
        if message_no > 1:
            event["message_create"]["message_data"]["attachment"] = {"type": "media", "media": {
                "id_str": f"18610000000000999{n:02d}", "type": "photo", "url": f"https://t.co/sealed{n}",
                "media_url_https": f"https://ton.twitter.com/1.1/ton/data/dm/1861/1861/sealed{n}.jpg"}}
        return self.signed(self.serialize(payload))

    def thread_identifiers(self, n: int) -> list[str]:
        return [str(98765432000 + n), str(1861000000000001000 + n), str(1861000000000002000 + n),
                f"18610000000000999{n:02d}", f"sealed{n}"]

    def case_request(self, table: dict, case: dict) -> Request:
        """A recorded case, signed with the cases file's ``consumer_secret``."""
        raw = raw_body(case)
        headers = headers_for(case, raw, table["consumer_secret"])
        expected = signature(raw, table["consumer_secret"])
        return Request("POST", f"/in/{case.get('door', table['door'])}", body=raw, headers=headers,
                       content_type=headers.pop("Content-Type"), secrets=(expected, expected[7:]))

    def _build(self, body: bytes, signature_sent: str | None, expected: str) -> Request:
        headers = {"X-Twitter-Webhooks-Signature": signature_sent} if signature_sent is not None else {}
        return Request("POST", PATH, body=body, headers=headers,
                       content_type="application/json; charset=utf-8",
                       secrets=(expected, expected[7:], CONSUMER_SECRET))

    def signed(self, body: bytes) -> Request:
        """Any body, signed as X signs a delivery."""
        sent = signature(body, CONSUMER_SECRET)
        return self._build(body, sent, sent)

    def request(self, text: str, n: int) -> Request:
        return self.signed(self.body(text, n))

    def forged(self, kind: str, text: str, n: int) -> Request:
        body = self.body(text, n)
        expected = signature(body, CONSUMER_SECRET)
        if kind == "none":
            return self._build(body, None, expected)
        if kind == "wrong":
            return self._build(body, signature(body, OTHER_SECRET), expected)
        if kind == "other_body":
            return self._build(body, signature(self.body(text + "!", n), CONSUMER_SECRET), expected)
        raise ValueError(kind)


SENDER = TwitterSender()
