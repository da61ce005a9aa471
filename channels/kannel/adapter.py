"""Kannel SMS door: SMS to a short code (1708) through a Kannel ``sms-service``.

Owns the Kannel side of a door: authenticating Kannel's calls, reading an MO SMS from
Kannel's ``get-url`` or ``post-url`` request, answering with the text Kannel sends back to
the phone, and sending replies later through Kannel's ``sendsms`` HTTP interface.
The operator's guide, with the exact ``sms-service`` block, is ``docs/kannel.md``.

Features
========
* GET (``get-url``) and POST (``post-url``), as Kannel 1.4.5 really sends them.
* Text decoded from raw bytes with the charset Kannel names (``%C`` or the POST
  Content-Type), so UCS-2 (coding 2, UTF-16BE) messages keep Indonesian text and emoji.
* Kannel's ``http-request-retry`` of one SMS carries the same ``%I``; the pipeline dedups
  on it. Without ``%I`` the id is an HMAC of (from, to, time, text) under
  ``LAPOR_SECRET_KEY``: a plain hash of them gave the sender's number back to anyone who
  hashed the candidate numbers (under a second).
* The reply rides on the HTTP answer (``replies_inline``); status notices later go out
  through sendsms, as UCS-2 only when the text is not GSM-7.
* Delivery reports: with a DLR base URL (``options.dlr_base_url``, else
  LAPOR_PUBLIC_BASE_URL), sendsms asks for every report (``dlr-mask=31``) at
  ``<base>/in/<door>?dlr_ref=<reply id>&dlr_token=<token>&dlr_type=%d``; the token is
  HMAC-SHA256 under the door secret of ``"lapor-v2|kannel-dlr|<door>|<reply id>"``, so a
  DLR is taken only for the very reply it names (no door secret in the URL, and nothing
  else is ever taken on a token). ``%d``: 1 delivered to the phone, 2 not delivered,
  4 queued at the SMSC, 8 accepted by the SMSC, 16 refused by the SMSC.

Door settings
=============
* ``credentials.secret``: shared secret Kannel presents as query parameter ``secret`` or as
  the HTTP Basic auth password (user name ignored). Letters and digits only: Kannel would
  read a ``%`` in its URL as an escape code. No secret configured: every call is 403.
* ``options.sendsms_url``: Kannel's sendsms URL with its credentials, e.g.
  ``http://127.0.0.1:13013/cgi-bin/sendsms?username=lapor&password=...``.
* ``options.short_code``: the ``from`` of replies sent through sendsms [1708].
* ``options.dlr_base_url``: where Kannel reaches the gateway for delivery reports, e.g.
  ``http://10.0.0.5:8000`` [LAPOR_PUBLIC_BASE_URL; neither: no delivery reports].

Parameters (GET query; POST: query first, then Kannel's headers)
=================================================================
==========  ===========  ====================  =======================================
parameter   escape code  POST header           meaning
==========  ===========  ====================  =======================================
from        %p           X-Kannel-From         sender (needs ``send-sender = true``)
to          %P           X-Kannel-To           receiver (the short code)
text        %b           request body          message bytes (%a squeezes spaces and
                                               breaks UCS-2; do not use it)
charset     %C           Content-Type charset  charset of the text bytes
coding      %c           X-Kannel-Coding       0 = 7-bit, 1 = 8-bit, 2 = UCS-2
time        %t           X-Kannel-Time         sent time, UTC, ``YYYY-MM-DD HH:MM:SS``
smsc        %i           X-Kannel-SMSC         smsc-id of the link it came on
id          %I           (none: put it in the  Kannel's message UUID
                         post-url query)
==========  ===========  ====================  =======================================

Sample request (recorded from Kannel 1.4.5, UCS-2 "Lapor😀")::

    GET /in/sms-1708?secret=...&from=081234567891&to=1708&text=%00L%00a%00p%00o%00r%D8%3D%DE%00
        &charset=UTF-16BE&coding=2&time=2026-11-24+10:42:40&smsc=FAKE
        &id=cc294c25-41e1-4e1d-bb66-3af5e85d498d
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import threading
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from channels.base import ChannelAdapter, Rejected, SendError, WebRequest, WebResponse
from normalizer.values import DeliveryReport, InboundMessage, OutboundMessage
from channels.gsm7 import is_gsm7
from channels.kannel.payload import (content_type_charset, decode_text, fallback_id, parse_query,
                                    parse_time)
from channels.scrub import digit_runs
from normalizer.identity import mask

log = logging.getLogger("lapor.channels.kannel")

SEND_TIMEOUT = (3.05, 10.0)          # connect, read (seconds)
DLR_MASK = "31"                       # every report: delivered, failed, buffered, SMSC ack/nack
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
        self._local = threading.local()

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
        base = str(self.door.options.get("sendsms_url") or "")
        if not base:
            raise SendError(f"door {self.door.id}: no sendsms_url configured", permanent=True)
        params = {"to": message.to, "from": str(self.door.options.get("short_code") or "1708"),
                  "text": message.text, "charset": "UTF-8"}
        if not is_gsm7(message.text):
            params["coding"] = "2"
        dlr_url = self.dlr_url(message.reply_id)
        if dlr_url:
            params.update({"dlr-mask": DLR_MASK, "dlr-url": dlr_url})
        parts = urlsplit(base)
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
        url = urlunsplit(parts._replace(query=urlencode(kept + list(params.items()))))
        try:
            response = self._session().get(url, timeout=SEND_TIMEOUT)
        except requests.RequestException as exc:   # its text holds the URL: never shown
            raise SendError(f"kannel sendsms unreachable ({type(exc).__name__})") from None
        if 200 <= response.status_code < 300:
            log.info("sendsms accepted door=%s to=%s", self.door.id, mask(message.to))
            return ""                           # DLRs name the reply id itself
        said = digit_runs(response.text[:100].strip())
        reason = f"kannel sendsms answered {response.status_code}: {said}"
        if response.status_code >= 500 or response.status_code == 429:
            raise SendError(reason)
        raise SendError(reason, permanent=True)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session


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
