"""Twilio's test sender (``channels.testing``): the incoming-message webhook, a form POST
signed over the public URL with twilio's own ``RequestValidator``; a recorded case signed
as its ``request.signature`` says, with the cases file's credentials."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from urllib.parse import quote, quote_from_bytes, unquote, urlencode

from twilio.request_validator import HMAC_SHA1, HMAC_SHA256, RequestValidator
from werkzeug.datastructures import MultiDict

from channels.testing import OTHER_SECRET, PUBLIC, SURROGATE, Request, Sender

ACCOUNT_SID = "AC" + "5e" * 16
AUTH_TOKEN = "twilio-auth-token-0123456789abcdef"
SHARED_KEY_SETTINGS = "key=webhooks_sharedkey_01JD4W5XQK8R2N6M3P7T9V0Y1Z,algorithm=HMAC_SHA256"
PATH = "/in/twilio-sms"


def sign(url: str, params, secret: str, algorithm: str = HMAC_SHA1) -> str:
    """X-Twilio-Signature as Twilio computes it (the SDK's own algorithm)."""
    return RequestValidator(secret).compute_signature(url, params, algorithm)


def pairs_of(case: dict) -> list[tuple[str, str]]:
    """A recorded case's form fields (``pad_body``: a Body of that many 'x')."""
    spec = case["request"]
    pad = spec.get("pad_body", 0)
    return [(name, "x" * pad if pad and name == "Body" else value) for name, value in spec["form"]]


def _case_body(case: dict) -> tuple[str, bytes, MultiDict]:
    spec = case["request"]
    if "body_hex" in spec:
        return "", bytes.fromhex(spec["body_hex"]), MultiDict()
    if spec["method"] == "GET":
        return urlencode(pairs_of(case)), b"", MultiDict()
    return "", urlencode(pairs_of(case)).encode(), MultiDict(pairs_of(case))


def signed_case(table: dict, case: dict, base: str = PUBLIC) -> Request:
    """One recorded case as Twilio sends it to ``base``, signed as ``request.signature``
    says (valid, none, other_token, internal_url, other_door, shared_key,
    shared_key_header_token, tampered) with the cases file's ``auth_token``/``signing_key``."""
    spec, path = case["request"], f"/in/{case['door']}"
    query, body, params = _case_body(case)
    request = Request(spec["method"], path, query, body, {}, spec["content_type"])
    url = base + path + (f"?{query}" if query else "")
    kind = spec["signature"]
    if kind == "none":
        return request
    secret, algorithm = table["auth_token"], HMAC_SHA1
    if kind == "other_token":
        secret = "0" * 32
    elif kind == "internal_url":
        url = "http://localhost" + path
    elif kind == "other_door":
        url = base + "/in/twilio-wa"
    elif kind in ("shared_key", "shared_key_header_token"):
        request.headers["X-Twilio-Webhooks-Signature-Settings"] = SHARED_KEY_SETTINGS
        secret = table["signing_key"] if kind == "shared_key" else table["auth_token"]
        algorithm = HMAC_SHA256
    request.headers["X-Twilio-Signature"] = sign(url, params, secret, algorithm)
    if kind == "tampered":
        request.body = urlencode([(k, v + " (diubah)" if k == "Body" else v) for k, v in pairs_of(case)]).encode()
    return request


class TwilioSender(Sender):
    """Twilio's incoming-message webhook: a form POST signed over the public URL."""
    door = {"id": "twilio-sms", "channel": "twilio", "agency": "KemenPANRB", "label": "SMS via Twilio",
            "credentials": {"account_sid": "LAPOR_SEC_TWILIO_ACCOUNT_SID",
                            "auth_token": "LAPOR_SEC_TWILIO_AUTH_TOKEN"},
            "options": {"mode": "sms", "from_number": "LAPOR_SEC_TWILIO_FROM"}}
    environ = {"LAPOR_SEC_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "LAPOR_SEC_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "LAPOR_SEC_TWILIO_FROM": "+14155550100"}
    secrets = (AUTH_TOKEN,)
    forgeries = ("none", "wrong", "other_body", "other_url")
    signature_headers = ("x-twilio-signature", "x-twilio-webhooks-signature-settings")

    def pairs(self, text: str, n: int) -> list[tuple[str, str]]:
        """The form fields of the ``n``-th citizen's SMS."""
        sid = f"SM{n:032x}"
        return [("ToCountry", "US"), ("SmsMessageSid", sid), ("NumMedia", "0"),
                ("SmsSid", sid), ("SmsStatus", "received"), ("Body", text),
                ("To", "+14155550100"), ("NumSegments", "1"), ("MessageSid", sid),
                ("AccountSid", ACCOUNT_SID), ("From", f"+62812{n:08d}"), ("ApiVersion", "2010-04-01")]

    @staticmethod
    def _encode(pairs) -> bytes:
        return "&".join(quote(k, safe="") + "=" + quote_from_bytes(
            v.encode("utf-8", "surrogatepass"), safe="") for k, v in pairs).encode("ascii")

    @staticmethod
    def sign(url: str, pairs, token: str = AUTH_TOKEN) -> str:
        params = MultiDict([(k, SURROGATE.sub("\ufffd", v)) for k, v in pairs])
        return RequestValidator(token).compute_signature(url, params)

    def _build(self, pairs, signature: str | None, expected: str) -> Request:
        headers = {"X-Twilio-Signature": signature} if signature is not None else {}
        return Request("POST", PATH, body=self._encode(pairs), headers=headers,
                       content_type="application/x-www-form-urlencoded", secrets=(expected, AUTH_TOKEN))

    def signed(self, pairs) -> Request:
        """Any form fields, signed as Twilio signs a webhook."""
        signature = self.sign(PUBLIC + PATH, pairs)
        return self._build(pairs, signature, signature)

    def request(self, text: str, n: int) -> Request:
        return self.signed(self.pairs(text, n))

    def case_request(self, table: dict, case: dict) -> Request:
        return signed_case(table, case)

    def thread(self, text: str, message_no: int, n: int) -> Request:
        sid = f"SM{n:030x}{message_no:02x}"
        pairs = [(k, sid if k.endswith("Sid") and k != "AccountSid" else v) for k, v in self.pairs(text, n)]
        if message_no > 1:                   # the follow-up carries a photo
            pairs = [(k, "1" if k == "NumMedia" else v) for k, v in pairs] + [
                ("MediaUrl0", f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"
                              f"{sid}/Media/ME{n:030x}01"),
                ("MediaContentType0", "image/jpeg")]
        return self.signed(pairs)

    def thread_identifiers(self, n: int) -> list[str]:
        return [f"SM{n:030x}01", f"SM{n:030x}02", f"ME{n:030x}01"]

    def reply_text(self, response, replies=()) -> str:
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
        pairs = self.pairs(text, n)
        expected = self.sign(PUBLIC + PATH, pairs)
        signatures = {"none": lambda: None,
                      "wrong": lambda: self.sign(PUBLIC + PATH, pairs, OTHER_SECRET),
                      "other_body": lambda: self.sign(PUBLIC + PATH, [
                          (k, v + " (diubah)" if k == "Body" else v) for k, v in pairs]),
                      "other_url": lambda: self.sign(PUBLIC + "/in/another-door", pairs)}
        if kind not in signatures:
            raise ValueError(kind)
        return self._build(pairs, signatures[kind](), expected)


SENDER = TwilioSender()
