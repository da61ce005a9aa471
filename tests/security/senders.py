"""Every door as its provider calls it: one properly signed request per door and channel,
and the forgeries the security table sends (no signature, a wrong one, one computed for a
different body, a stale one where the scheme has a timestamp). Here: the ``Sender`` base,
Kannel, Twilio and the web door's JSON entrances; the JSON webhooks of Meta, Telegram and X
are in ``tests.security.json_senders``; ``tests/channels/signers.py`` maps channel names to
them.

The doors are those of ``testdata/doors.json`` (one per channel); their credentials and the
raw ``Request`` are in ``tests.security.wire``. Each sender builds what the provider really
sends, signed the way the provider signs it (twilio's own ``RequestValidator`` for Twilio;
HMAC-SHA256 of the raw body for Meta and X; the secret token header for Telegram; the door
secret in Kannel's URL).

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
import re
import xml.etree.ElementTree as ElementTree
from urllib.parse import quote, quote_from_bytes, unquote, urlencode

from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from normalizer import tracking
from tests.channels.twilio_support import Signed
from tests.security.wire import (KANNEL_SECRET, OTHER_SECRET, PUBLIC, SURROGATE, TWILIO_SID,
                                 TWILIO_TOKEN, Request, json_bytes, replies)

_NUMBER = re.compile(r"\b(\d{4}-\d{4}-\d{3})\b")


class Sender:
    """Base: a door, how to build a valid message, and where its answer has the number."""
    door_id = ""
    channel = ""
    inline = True            # the provider's answer carries the acknowledgement
    #: forgery kinds this scheme has (the others do not apply; see docs/security.md)
    forgeries: tuple[str, ...] = ("none", "wrong")
    #: the headers that carry the door's credential or signature (the fuzz tests send any
    #: value in them)
    signature_headers: tuple[str, ...] = ()

    def request(self, text: str, n: int) -> Request:
        raise NotImplementedError

    def forged(self, kind: str, text: str, n: int) -> Request:
        raise NotImplementedError

    def signed(self, body: bytes) -> Request:
        """Any body, signed as the provider signs a delivery."""
        raise NotImplementedError

    def signed_any(self, body: bytes, query: str, content_type: str, method: str) -> Request:
        """Any body (or query string, for a door that reads one), with the door's valid
        credential: what the fuzz tests send so that the parser sees arbitrary input."""
        return self.signed(body)

    def case_request(self, table: dict, case: dict) -> Request:
        """A recorded case's request (``tests/channels/test_cases.py``) as the provider sent
        it: ``method``, the raw ``query``, lower-case ``headers``, the raw body as
        ``body_hex``. A signer whose provider signs what it sends overrides this, reading
        the credentials of the cases file (``table``)."""
        spec = case["request"]
        headers = {k: v for k, v in spec.get("headers", {}).items() if k != "content-type"}
        return Request(spec["method"], f"/in/{case.get('door', table['door'])}", query=spec.get("query", ""),
                       body=bytes.fromhex(spec.get("body_hex", "")), headers=headers,
                       content_type=spec.get("headers", {}).get("content-type", ""))

    def reply_text(self, response, parts) -> str:
        """The text the citizen gets for a delivery: the answer itself, or the reply
        queued for the notifier."""
        if self.inline:
            return response.get_data(as_text=True)
        queued_replies = replies(parts)
        return queued_replies[-1].get("text", "") if queued_replies else ""

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
    signature_headers = ("authorization",)

    def signed_any(self, body: bytes, query: str, content_type: str, method: str) -> Request:
        return Request(method, "/in/sms-1708", query=f"secret={KANNEL_SECRET}&{query}", body=body,
                       content_type=content_type)


class TwilioSender(Sender):
    """Twilio's incoming-message webhook: a form POST signed over the public URL."""
    door_id, channel = "twilio-sms", "twilio"
    forgeries = ("none", "wrong", "other_body", "other_url")
    signature_headers = ("x-twilio-signature", "x-twilio-webhooks-signature-settings")

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

    def case_request(self, table: dict, case: dict) -> Request:
        """A recorded case signed as its ``request.signature`` says (tests/channels/
        twilio_support.py ``Signed``, with the cases file's credentials)."""
        signed = Signed(case)
        return Request(signed.method, signed.path, signed.query, signed.body, dict(signed.headers),
                       signed.content_type)

    def reply_text(self, response, parts) -> str:
        """The one <Message> of the TwiML answer."""
        root = ElementTree.fromstring(response.get_data())
        assert root.tag == "Response"
        [message] = [element.text or "" for element in root.findall("Message")]
        return message

    def signed_any(self, body: bytes, query: str, content_type: str, method: str) -> Request:
        """The query string's fields as the signed form (Twilio signs fields, not bytes)."""
        pairs = [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in query.split("&") if p]
        return self.signed([(unquote(k), unquote(v)) for k, v in pairs])

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


class WebApiSender(Sender):
    """The web door's JSON entrances (``/api/v1/complaints`` and ``/in/web``): public, no
    credential; the Idempotency-Key names the submission."""
    channel = "web"
    forgeries = ()
    signature_headers = ("idempotency-key",)

    def __init__(self, path: str = "/api/v1/complaints"):
        self.path = path
        self.door_id = "web"

    def request(self, text: str, n: int) -> Request:
        body = json_bytes({"classification": "pengaduan", "body": text, "anonymous": False,
                           "name": "Siti", "contact": f"0812{n:08d}"})
        return Request("POST", self.path, body=body, content_type="application/json",
                       headers={"Idempotency-Key": f"security-{n}"})

    def signed_any(self, body: bytes, query: str, content_type: str, method: str) -> Request:
        return Request(method, "/in/web", query=query, body=body, content_type=content_type,
                       headers={"Idempotency-Key": "fuzz-1"})

    def tracking_of(self, response, parts) -> str:
        data = response.get_json(silent=True) or {}
        return data.get("tracking_number", "")

