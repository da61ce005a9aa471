"""The senders of the JSON webhook doors (Meta's WhatsApp Cloud API, Telegram's Bot API,
X's Account Activity API): each builds the provider's payload for a text, serializes it as
the provider does, and signs it as the provider signs (see ``tests.security.senders``).
"""
from __future__ import annotations

import html
import json

from tests.channels import twitter_support, whatsapp_support
from tests.security.senders import Sender
from tests.security.wire import (OTHER_SECRET, TELEGRAM_SECRET, TELEGRAM_TOKEN, WA_APP_SECRET,
                                 WA_PHONE_NUMBER_ID, X_ACCOUNT, X_SECRET, Request, hmac_b64,
                                 hmac_hex, json_bytes)


class WhatsAppSender(Sender):
    """Meta's messages webhook: JSON (ASCII escapes), X-Hub-Signature-256 over the raw body."""
    door_id, channel, inline = "wa-cloud", "whatsapp", False
    forgeries = ("none", "wrong", "other_body")
    signature_headers = ("x-hub-signature-256",)

    def payload(self, text: str, n: int) -> dict:
        sender = f"62812{n:08d}"
        return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
            "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "6281100001708", "phone_number_id": WA_PHONE_NUMBER_ID},
                "contacts": [{"profile": {"name": "Siti"}, "wa_id": sender}],
                "messages": [{"from": sender, "id": f"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYIDQ{n:010d}",
                              "timestamp": "1795516959", "type": "text", "text": {"body": text}}]}}]}]}

    def body(self, text: str, n: int) -> bytes:
        return self.serialize(self.payload(text, n))

    @staticmethod
    def serialize(payload) -> bytes:
        return json_bytes(payload, ascii_only=True).replace(b"/", b"\\/")

    def _build(self, body: bytes, signature: str | None, expected: str) -> Request:
        headers = {"X-Hub-Signature-256": signature} if signature is not None else {}
        return Request("POST", "/in/wa-cloud", body=body, headers=headers,
                       content_type="application/json", secrets=(expected, expected[7:], WA_APP_SECRET))

    def signed(self, body: bytes) -> Request:
        """Any body, signed as Meta signs a delivery."""
        signature = "sha256=" + hmac_hex(WA_APP_SECRET, body)
        return self._build(body, signature, signature)

    def request(self, text: str, n: int) -> Request:
        return self.signed(self.body(text, n))

    def case_request(self, table: dict, case: dict) -> Request:
        """A recorded case, signed as its ``request.signature`` says (tests/channels/
        whatsapp_support.py, with the cases file's app secret); the expected signature is
        one of the values a refusal must not echo."""
        raw = whatsapp_support.raw_body(case)
        headers = whatsapp_support.headers_for(case, raw)
        expected = whatsapp_support.signature(raw)
        return Request("POST", f"/in/{case.get('door', table['door'])}", body=raw, headers=headers,
                       content_type=headers.pop("Content-Type"), secrets=(expected, expected[7:]))

    def forged(self, kind: str, text: str, n: int) -> Request:
        body = self.body(text, n)
        expected = "sha256=" + hmac_hex(WA_APP_SECRET, body)
        if kind == "none":
            return self._build(body, None, expected)
        if kind == "wrong":
            return self._build(body, "sha256=" + hmac_hex(OTHER_SECRET, body), expected)
        if kind == "other_body":
            return self._build(body, "sha256=" + hmac_hex(WA_APP_SECRET, self.body(text + "!", n)), expected)
        raise ValueError(kind)


class TelegramSender(Sender):
    """A Bot API webhook update with the secret token header."""
    door_id, channel, inline = "telegram", "telegram", False
    signature_headers = ("x-telegram-bot-api-secret-token",)

    def payload(self, text: str, n: int) -> dict:
        user = 5811230000 + n
        return {"update_id": 815200000 + n, "message": {
            "message_id": 100 + n, "date": 1795516959,
            "from": {"id": user, "is_bot": False, "first_name": "Siti", "language_code": "id"},
            "chat": {"id": user, "type": "private", "first_name": "Siti"}, "text": text}}

    def body(self, text: str, n: int) -> bytes:
        return self.serialize(self.payload(text, n))

    @staticmethod
    def serialize(payload) -> bytes:
        return json_bytes(payload)

    def _build(self, body: bytes, token: str | None) -> Request:
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token is not None else {}
        return Request("POST", "/in/telegram", body=body, headers=headers,
                       content_type="application/json", secrets=(TELEGRAM_SECRET, TELEGRAM_TOKEN))

    def signed(self, body: bytes) -> Request:
        return self._build(body, TELEGRAM_SECRET)

    @staticmethod
    def case_body(spec: dict) -> bytes:
        """A recorded case's body: ``body`` as compact UTF-8 JSON, or ``body_text`` /
        ``body_hex`` as raw bytes."""
        if "body_hex" in spec:
            return bytes.fromhex(spec["body_hex"])
        if "body_text" in spec:
            return spec["body_text"].encode("utf-8")
        return json.dumps(spec["body"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @staticmethod
    def case_headers(spec: dict, secret_token: str, forged_token: str) -> dict:
        """The secret token header a recorded case's ``secret`` (valid, forged, missing) says."""
        token = {"valid": secret_token, "forged": forged_token}.get(spec["secret"])
        return {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}

    def case_request(self, table: dict, case: dict) -> Request:
        spec = case["request"]
        return Request("POST", f"/in/{case.get('door', table['door'])}", body=self.case_body(spec),
                       headers=self.case_headers(spec, table["secret_token"], table["forged_token"]),
                       content_type="application/json")

    def request(self, text: str, n: int) -> Request:
        return self.signed(self.body(text, n))

    def forged(self, kind: str, text: str, n: int) -> Request:
        if kind == "none":
            return self._build(self.body(text, n), None)
        if kind == "wrong":
            return self._build(self.body(text, n), OTHER_SECRET)
        raise ValueError(kind)


class TwitterSender(Sender):
    """An Account Activity direct-message event, signed with the consumer secret."""
    door_id, channel, inline = "twitter", "twitter", False
    forgeries = ("none", "wrong", "other_body")
    signature_headers = ("x-twitter-webhooks-signature",)

    def payload(self, text: str, n: int) -> dict:
        user = str(98765432000 + n)
        escaped = html.escape(text, quote=False)      # X writes &, < and > as entities
        return {"for_user_id": X_ACCOUNT, "direct_message_events": [{
            "type": "message_create", "id": str(1861000000000000000 + n),
            "created_timestamp": "1795516959000",
            "message_create": {"target": {"recipient_id": X_ACCOUNT}, "sender_id": user,
                               "message_data": {"text": escaped, "entities": {
                                   "hashtags": [], "symbols": [], "user_mentions": [], "urls": []}}}}],
            "users": {user: {"id": user, "name": "Siti", "screen_name": f"siti{n}"}}}

    def body(self, text: str, n: int) -> bytes:
        return self.serialize(self.payload(text, n))

    @staticmethod
    def serialize(payload) -> bytes:
        return json_bytes(payload)

    def case_request(self, table: dict, case: dict) -> Request:
        """A recorded case, signed as its ``request.signature`` says (tests/channels/
        twitter_support.py, with the cases file's consumer secret)."""
        raw = twitter_support.raw_body(case)
        headers = twitter_support.headers_for(case, raw)
        expected = twitter_support.signature(raw)
        return Request("POST", f"/in/{case.get('door', table['door'])}", body=raw, headers=headers,
                       content_type=headers.pop("Content-Type"), secrets=(expected, expected[7:]))

    def _build(self, body: bytes, signature: str | None, expected: str) -> Request:
        headers = {"X-Twitter-Webhooks-Signature": signature} if signature is not None else {}
        return Request("POST", "/in/twitter", body=body, headers=headers,
                       content_type="application/json; charset=utf-8",
                       secrets=(expected, expected[7:], X_SECRET))

    def signed(self, body: bytes) -> Request:
        """Any body, signed as X signs a delivery."""
        signature = "sha256=" + hmac_b64(X_SECRET, body)
        return self._build(body, signature, signature)

    def request(self, text: str, n: int) -> Request:
        return self.signed(self.body(text, n))

    def forged(self, kind: str, text: str, n: int) -> Request:
        body = self.body(text, n)
        expected = "sha256=" + hmac_b64(X_SECRET, body)
        if kind == "none":
            return self._build(body, None, expected)
        if kind == "wrong":
            return self._build(body, "sha256=" + hmac_b64(OTHER_SECRET, body), expected)
        if kind == "other_body":
            return self._build(body, "sha256=" + hmac_b64(X_SECRET, self.body(text + "!", n)), expected)
        raise ValueError(kind)
