"""Every door as its provider calls it: one properly signed request per door and channel,
and the forgeries the security table sends (no signature, a wrong one, one computed for a
different body, a stale one where the scheme has a timestamp).

The doors are those of ``testdata/doors.json`` (one per channel); their credentials and the
raw ``Request`` are in ``tests.security.wire``. Each sender builds what the provider really sends, signed the way
the provider signs it (twilio's own ``RequestValidator`` for Twilio; HMAC-SHA256 of the raw
body for Meta and X; the secret token header for Telegram; the door secret in Kannel's URL).

``tracking_of(response, parts)``
reads the tracking number the provider's answer carries, or, for channels that reply
through the notifier, the one queued for the citizen.

Texts are JSON-serialized the way each provider does (Meta: ASCII with ``\\u`` escapes;
Telegram, X and the web API: UTF-8). A lone surrogate cannot be written in UTF-8, so in
JSON it travels as a ``\\ud800`` escape; on byte-level doors (Kannel's UTF-16BE text,
Twilio's UTF-8 form) it becomes the bytes a broken client would send (``surrogatepass``).
"""
from __future__ import annotations

import base64
import html
import re
from urllib.parse import quote, quote_from_bytes, urlencode

from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from normalizer import tracking
from tests.security.wire import (KANNEL_SECRET, OTHER_SECRET, PUBLIC, SURROGATE, TELEGRAM_SECRET,
                                 TELEGRAM_TOKEN, TWILIO_SID, TWILIO_TOKEN, WA_APP_SECRET,
                                 WA_PHONE_NUMBER_ID, X_ACCOUNT, X_SECRET, Request, hmac_b64,
                                 hmac_hex, json_bytes, replies)

_NUMBER = re.compile(r"\b(\d{4}-\d{4}-\d{3})\b")


class Sender:
    """Base: a door, how to build a valid message, and where its answer has the number."""
    door_id = ""
    channel = ""
    inline = True            # the provider's answer carries the acknowledgement
    #: forgery kinds this scheme has (the others do not apply; see docs/security.md)
    forgeries: tuple[str, ...] = ("none", "wrong")

    def request(self, text: str, n: int) -> Request:
        raise NotImplementedError

    def forged(self, kind: str, text: str, n: int) -> Request:
        raise NotImplementedError

    def tracking_of(self, response, parts) -> str:
        """The tracking number the answer to a delivery carries ('' if none)."""
        if self.inline:
            found = _NUMBER.search(response.get_data(as_text=True))
            return tracking.compact(found.group(1)) if found else ""
        queued_replies = replies(parts)
        return queued_replies[-1].get("tracking_number", "") if queued_replies else ""


class KannelSender(Sender):
    """Kannel's get-url: the door secret in the query, the text as UCS-2 bytes (coding 2)."""
    door_id, channel = "sms-1708", "kannel"

    def _query(self, text: str, n: int, secret: str | None) -> str:
        fields = [("from", f"0812{n:08d}"), ("to", "1708")]
        query = urlencode(fields)
        query += "&text=" + quote_from_bytes(text.encode("utf-16-be", "surrogatepass"), safe="")
        query += "&" + urlencode([("charset", "UTF-16BE"), ("coding", "2"),
                                  ("time", "2026-11-24 10:42:40"), ("smsc", "FAKE"),
                                  ("id", f"9d3c{n:08d}-41e1-4e1d-bb66-3af5e85d498d")])
        if secret is not None:
            query = f"secret={quote(secret)}&" + query
        return query

    def request(self, text: str, n: int) -> Request:
        return Request("GET", "/in/sms-1708", self._query(text, n, KANNEL_SECRET))

    def forged(self, kind: str, text: str, n: int) -> Request:
        if kind == "none":
            return Request("GET", "/in/sms-1708", self._query(text, n, None), secrets=(KANNEL_SECRET,))
        if kind == "wrong":
            return Request("GET", "/in/sms-1708", self._query(text, n, OTHER_SECRET[:16]),
                           secrets=(KANNEL_SECRET,))
        if kind == "wrong_basic":
            auth = base64.b64encode(f"kannel:{OTHER_SECRET[:16]}".encode()).decode()
            return Request("GET", "/in/sms-1708", self._query(text, n, None),
                           headers={"Authorization": f"Basic {auth}"}, secrets=(KANNEL_SECRET,))
        raise ValueError(kind)

    forgeries = ("none", "wrong", "wrong_basic")


class TwilioSender(Sender):
    """Twilio's incoming-message webhook: a form POST signed over the public URL."""
    door_id, channel = "twilio-sms", "twilio"
    forgeries = ("none", "wrong", "other_body", "other_url")

    def _pairs(self, text: str, n: int) -> list[tuple[str, str]]:
        sid = f"SM{n:032x}"
        return [("ToCountry", "US"), ("SmsMessageSid", sid), ("NumMedia", "0"),
                ("SmsSid", sid), ("SmsStatus", "received"), ("Body", text),
                ("To", "+14155550100"), ("NumSegments", "1"), ("MessageSid", sid),
                ("AccountSid", TWILIO_SID), ("From", f"+62812{n:08d}"), ("ApiVersion", "2010-04-01")]

    @staticmethod
    def _encode(pairs) -> bytes:
        return "&".join(quote(k, safe="") + "=" + quote_from_bytes(
            v.encode("utf-8", "surrogatepass"), safe="") for k, v in pairs).encode("ascii")

    @staticmethod
    def sign(url: str, pairs, token: str = TWILIO_TOKEN) -> str:
        params = MultiDict([(k, SURROGATE.sub("\ufffd", v)) for k, v in pairs])
        return RequestValidator(token).compute_signature(url, params)

    def _build(self, pairs, signature: str | None, expected: str) -> Request:
        headers = {"X-Twilio-Signature": signature} if signature is not None else {}
        return Request("POST", "/in/twilio-sms", body=self._encode(pairs), headers=headers,
                       content_type="application/x-www-form-urlencoded",
                       secrets=(expected, TWILIO_TOKEN))

    def signed(self, pairs) -> Request:
        """Any form fields, signed as Twilio signs a webhook."""
        signature = self.sign(PUBLIC + "/in/twilio-sms", pairs)
        return self._build(pairs, signature, signature)

    def request(self, text: str, n: int) -> Request:
        return self.signed(self._pairs(text, n))

    def forged(self, kind: str, text: str, n: int) -> Request:
        pairs = self._pairs(text, n)
        expected = self.sign(PUBLIC + "/in/twilio-sms", pairs)
        if kind == "none":
            return self._build(pairs, None, expected)
        if kind == "wrong":
            return self._build(pairs, self.sign(PUBLIC + "/in/twilio-sms", pairs, OTHER_SECRET), expected)
        if kind == "other_body":
            other = [(k, v + " (diubah)" if k == "Body" else v) for k, v in pairs]
            return self._build(pairs, self.sign(PUBLIC + "/in/twilio-sms", other), expected)
        if kind == "other_url":
            return self._build(pairs, self.sign(PUBLIC + "/in/another-door", pairs), expected)
        raise ValueError(kind)


class WhatsAppSender(Sender):
    """Meta's messages webhook: JSON (ASCII escapes), X-Hub-Signature-256 over the raw body."""
    door_id, channel, inline = "wa-cloud", "whatsapp", False
    forgeries = ("none", "wrong", "other_body")

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


class WebApiSender(Sender):
    """The web door's JSON entrances (``/api/v1/complaints`` and ``/in/web``): public, no
    credential; the Idempotency-Key names the submission."""
    channel = "web"
    forgeries = ()

    def __init__(self, path: str = "/api/v1/complaints"):
        self.path = path
        self.door_id = "web"

    def request(self, text: str, n: int) -> Request:
        body = json_bytes({"classification": "pengaduan", "body": text, "anonymous": False,
                           "name": "Siti", "contact": f"0812{n:08d}"})
        return Request("POST", self.path, body=body, content_type="application/json",
                       headers={"Idempotency-Key": f"security-{n}"})

    def tracking_of(self, response, parts) -> str:
        data = response.get_json(silent=True) or {}
        return data.get("tracking_number", "")


SENDERS = {sender.door_id: sender for sender in (
    KannelSender(), TwilioSender(), WhatsAppSender(), TelegramSender(), TwitterSender())}
