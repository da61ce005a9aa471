"""Kannel SMS door: SMS to a short code (1708) through a Kannel ``sms-service``.

Owns the Kannel side of a door: authenticating Kannel's calls (the door secret in the query
or as the Basic auth password; a delivery report by its own per-reply token), reading an MO
SMS from Kannel's ``get-url`` or ``post-url`` request (``payload.py``), answering with the
text Kannel sends back to the phone, and sending replies later through sendsms
(``client.py``). The operator's guide (the ``sms-service`` block, the door settings, the
parameters and escape codes, a recorded request, delivery reports) is ``docs/kannel.md``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timezone

from channels.base import ChannelAdapter, Rejected, WebRequest, WebResponse
from normalizer.values import DeliveryReport, InboundMessage, OutboundMessage
from channels.gsm7 import is_gsm7
from channels.kannel.client import SendsmsClient
from channels.kannel.payload import (content_type_charset, decode_text, fallback_id, parse_query,
                                    parse_time)

DLR_STATES = {"1": "delivered", "2": "failed", "4": "sent", "8": "sent", "16": "failed"}
_REPLY_ID = re.compile(r"[0-9a-f]{32}")


class KannelAdapter(ChannelAdapter):
    name = "kannel"
    replies_inline = True
    required_credentials = ("secret",)
    known_options = frozenset({"sendsms_url", "dlr_base_url"})   # and short_code (COMMON_OPTIONS)
    not_configured = (403, "door has no secret configured")      # as docs/kannel.md says

    def __init__(self, door, settings=None):
        super().__init__(door, settings)
        self._client: SendsmsClient | None = None

    # ----- verify -----------------------------------------------------------------------
    def verify(self, request: WebRequest) -> None:
        expected = str(self.door.credentials["secret"]).encode()
        query = parse_query(request.query_string)
        if "dlr_ref" in query:                  # a delivery report: its own token only
            ref = query["dlr_ref"].decode("ascii", "replace")
            token = self.dlr_token(ref).encode() if _REPLY_ID.fullmatch(ref) else b""
            if not token or not hmac.compare_digest(query.get("dlr_token", b""), token):
                raise Rejected(403, "wrong delivery report token")
            return
        given = [value for value in (parse_query(request.query_string).get("secret"),
                                     _basic_password(request.header("authorization")))
                 if value is not None]
        if not given:
            raise Rejected(403, "missing door secret")
        matched = False
        for value in given:                     # compare all, constant time each
            matched |= hmac.compare_digest(value, expected)
        if not matched:
            raise Rejected(403, "wrong door secret")

    # ----- parse ------------------------------------------------------------------------
    def parse(self, request: WebRequest) -> list[InboundMessage]:
        query = parse_query(request.query_string)
        if "dlr_ref" in query:                  # a delivery report is never a message
            return []

        def field(name: str, header: str = "") -> str:
            if name in query:
                return query[name].decode("utf-8", "replace").strip()
            return request.header(header).strip() if header else ""

        post = request.method == "POST"
        sender = field("from", "x-kannel-from" if post else "")
        if not sender:
            raise Rejected(400, "missing sender (from)")
        coding_text = field("coding", "x-kannel-coding" if post else "")
        coding = int(coding_text) if coding_text.isascii() and coding_text.isdigit() else None
        if post and (request.body or "text" not in query):
            charset = content_type_charset(request.content_type or request.header("content-type"))
            if not charset and (request.content_type or "").startswith("application/octet-stream"):
                charset = "8-bit"
            raw_text = request.body
        else:
            charset = field("charset")
            raw_text = query.get("text", b"")
        text, used = decode_text(raw_text, charset, coding)
        recipient = field("to", "x-kannel-to" if post else "")
        time_text = field("time", "x-kannel-time" if post else "")
        message_id = field("id") or fallback_id(self._id_key(), sender, recipient, time_text, text)
        return [InboundMessage(
            door_id=self.door.id, channel=self.name, provider_message_id=message_id[:128],
            sender=sender, sender_kind="phone", text=text, recipient=recipient,
            received_at=datetime.now(timezone.utc), sent_at=parse_time(time_text),
            meta={"smsc": field("smsc", "x-kannel-smsc" if post else ""), "coding": coding,
                  "charset": charset or used},
        )]

    def delivery_reports(self, request: WebRequest) -> list[DeliveryReport]:
        query = parse_query(request.query_string)
        if "dlr_ref" not in query:
            return []
        state = DLR_STATES.get(query.get("dlr_type", b"").decode("ascii", "replace"))
        return [DeliveryReport(query["dlr_ref"].decode("ascii"), state, by_reply_id=True)] if state else []

    def dlr_token(self, reply_id: str) -> str:
        """The token that lets Kannel report on this one reply (see the module docstring)."""
        secret = str(self.door.credentials.get("secret") or "").encode()
        signed = f"lapor-v2|kannel-dlr|{self.door.id}|{reply_id}".encode()
        return hmac.new(secret, signed, hashlib.sha256).hexdigest()

    def dlr_url(self, reply_id: str) -> str:
        """The dlr-url for one reply ('' without a base URL or a reply id)."""
        base = str(self.door.options.get("dlr_base_url") or
                   getattr(self.settings, "public_base_url", "") or "").rstrip("/")
        if not base or not _REPLY_ID.fullmatch(reply_id or ""):
            return ""
        return (f"{base}/in/{self.door.id}?dlr_ref={reply_id}&dlr_token={self.dlr_token(reply_id)}"
                "&dlr_type=%d")
    def _id_key(self) -> str:
        """The key of fallback ids: the secret key (the door secret for an adapter built
        without settings; the gateway always passes them)."""
        return getattr(self.settings, "secret_key", "") or str(self.door.credentials.get("secret") or "")

    # ----- respond ----------------------------------------------------------------------
    def respond(self, outcomes) -> WebResponse:
        """The reply Kannel sends to the phone; UCS-2 (needs accept-x-kannel-headers) only
        when the text is not GSM-7."""
        text = "\n".join(outcome.reply_text for outcome in outcomes if outcome.reply_text)
        headers = {} if is_gsm7(text) else {"X-Kannel-Coding": "2"}
        return WebResponse(200, text.encode("utf-8"), "text/plain; charset=utf-8", headers)

    # ----- send -------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> str:
        """A reply through Kannel's sendsms (``channels/kannel/client.py``); '' as the
        provider id: delivery reports name the reply id itself."""
        if self._client is None:
            self._client = SendsmsClient(self.door.id, str(self.door.options.get("sendsms_url") or ""),
                                         str(self.door.options.get("short_code") or "1708"))
        self._client.send(message, self.dlr_url(message.reply_id))
        return ""


def _basic_password(header: str) -> bytes | None:
    """The password of an HTTP Basic Authorization header, or None."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except ValueError:
        return None
    _user, sep, password = decoded.partition(b":")
    return password if sep else None
