"""Twilio door (channel ``twilio``): SMS and WhatsApp through Twilio Programmable Messaging.

Owns the Twilio side of a door: checking ``X-Twilio-Signature`` on every webhook, reading
the incoming-message form (``channels/twilio/payload.py``), answering with TwiML that carries the
acknowledgement, sending later replies (status notices) with the REST API, and downloading
media. One adapter serves both kinds of door: ``options.mode`` says whether the door's
number is an SMS number or a WhatsApp sender. The agency's setup guide is
``docs/channels/twilio.md``.

Features
========
* Signature: twilio's ``RequestValidator`` computes the HMAC over the PUBLIC URL
  (``LAPOR_PUBLIC_BASE_URL`` + path + query when set, so it works behind a proxy; else the
  URL as received) and every form field; compared in constant time, with and without the
  default port as Twilio's own validator does. Missing: 403; wrong: 403; the answer never
  echoes a signature or the body. Requests carrying ``X-Twilio-Webhooks-Signature-Settings``
  (Twilio's webhook SharedKey, public beta) are checked with ``credentials.signing_key`` and
  the algorithm the header names (HMAC-SHA1 or HMAC-SHA256).
* Missing ``account_sid``/``auth_token``: 503 "door not configured" (nothing is taken).
* Text, media (up to ten ``MediaUrlN``, recorded with their content type; bytes fetched
  later by ``fetch_media``), shared WhatsApp locations (coordinates, label, address), quick-
  reply button texts. ``provider_message_id`` is the ``MessageSid``, the same on Twilio's
  retries and fallback-URL calls. ``ProfileName`` is the sender's name: kept for the
  complaint, never logged. Status callbacks (``MessageStatus`` sent/delivered/read/failed)
  and requests without any content are answered 200 with an empty ``<Response/>``; a
  status callback is the delivery report of the reply ``MessageSid`` (``delivery_reports``;
  error 21610, the citizen texted STOP to Twilio, is their opt-out); a failed or
  undelivered reply is logged with Twilio's error code.
* The acknowledgement rides on the webhook answer (``replies_inline``): TwiML
  ``<Response><Message>...</Message></Response>`` built with twilio's ``MessagingResponse``.
* ``send``: later replies through ``client.messages.create`` (``channels/twilio/client.py``),
  from ``options.from_number``, ``whatsapp:``-prefixed in WhatsApp mode (an ``MG...``
  value is a Messaging Service); with a public base URL, ``StatusCallback`` asks for
  delivery reports at the door's own URL. WhatsApp only delivers free-form text within 24
  hours of the citizen's last message; with ``options.status_template_sid`` (an approved Content template whose body
  has one variable) status notices go as that template, which works at any time.
* ``fetch_media`` (``channels.download``): the MediaUrl must be exactly
  ``https://api.twilio.com/2010-04-01/Accounts/<own AC sid>/Messages/<SM|MM sid>/Media/<ME
  sid>`` (or on the https ``*.twilio.com`` host of ``options.api_base_url``, a regional edge);
  it is fetched with HTTP Basic auth (account SID, auth token), following Twilio's redirect to
  its media store (``mms.twiliocdn.com``, ``s3-external-1.amazonaws.com``) without the
  credentials, at most ``options.max_media_bytes``.
* Production mode refuses to start a configured Twilio door unless the public URL is known
  without the ``Host`` header: ``LAPOR_PUBLIC_BASE_URL``, or ``LAPOR_PROXY_HOPS`` > 0.
* ``MessageSid`` (and ``SmsMessageSid``/``SmsSid`` when sent) must be Twilio's format, ``SM``
  or ``MM`` + 32 hex digits, all equal: the signature joins names and values with no
  separator, so a replay that moves a boundary (``MessageSid`` swallowing ``NumMedia``) is a
  400, and the valid sid is the dedup key.

Door settings and sample payloads: ``docs/channels/twilio.md``; what the adapter requires
and reads: ``required_credentials`` and ``known_options`` below (docs/architecture.md).
``options.insecure_origins_for_tests`` admits the tests' local stand-ins for the provider
(``channels/download.py``); never set in production.
"""
from __future__ import annotations

import base64
import hmac
import logging
import re
import threading
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioException
from twilio.request_validator import (HMAC_SHA1, HMAC_SHA256, RequestValidator, add_port,
                                      get_signature_algorithm, remove_port)
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from channels import download
from channels.base import ChannelAdapter, Rejected, SendError, WebRequest, WebResponse
from normalizer.values import Attachment, InboundMessage, OutboundMessage, Outcome
from channels.twilio.payload import (OPTED_OUT_CODES, delivery_report, is_status_event, read_message,
                                  read_params, split_address)
from channels.twilio.client import MAX_BODY_CHARS, http_error, message_params, rest_client, rest_error
from config.settings import SettingsError
from normalizer.identity import mask

log = logging.getLogger("lapor.channels.twilio")

DEFAULT_API_BASE_URL = "https://api.twilio.com"
MODES = ("sms", "whatsapp")
DEFAULT_MAX_MEDIA = 12 * 1024 * 1024     # without settings; Twilio MMS is 5 MB, WhatsApp 16 MB
API_HOST = "api.twilio.com"
MEDIA_STORE_HOSTS = frozenset({"mms.twiliocdn.com", "s3-external-1.amazonaws.com"})
MEDIA_PATH = re.compile(r"/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages/(?:SM|MM)[0-9a-fA-F]{32}"
                        r"/Media/ME[0-9a-fA-F]{32}")


class TwilioAdapter(ChannelAdapter):
    name = "twilio"
    replies_inline = True
    required_credentials = ("account_sid", "auth_token")
    known_options = frozenset({"mode", "from_number", "api_base_url", "max_media_bytes",
                               "status_template_sid"})

    def __init__(self, door, settings=None):
        super().__init__(door, settings)
        self.mode = self._option("mode", "sms").lower()
        if self.mode not in MODES:
            raise SettingsError(f"door {door.id!r}: options.mode must be sms or whatsapp, "
                                f"got {self.mode!r}")
        if (getattr(settings, "mode", "") == "production" and self.configured()
                and not settings.public_url_trusted):
            raise SettingsError(f"door {door.id!r}: a Twilio door needs LAPOR_PUBLIC_BASE_URL or "
                                f"LAPOR_PROXY_HOPS in production (Twilio signs the public URL)")
        self._local = threading.local()
        self.max_media = getattr(settings, "max_body_bytes", DEFAULT_MAX_MEDIA)

    # ----- settings ---------------------------------------------------------------------
    def _secret(self, key: str) -> str:
        return str(self.door.credentials.get(key) or "")

    def _option(self, key: str, default: str = "") -> str:
        return str(self.door.options.get(key) or default).strip()

    @property
    def api_base_url(self) -> str:
        return self._option("api_base_url", DEFAULT_API_BASE_URL).rstrip("/")

    def public_url(self, request: WebRequest) -> str:
        """The URL Twilio signed: the public base URL when the gateway is behind a proxy."""
        base = str(getattr(self.settings, "public_base_url", "") or "").rstrip("/")
        if not base:
            return request.url
        query = request.query_string.decode("latin-1")
        return base + request.path + ("?" + query if query else "")

    # ----- verify -----------------------------------------------------------------------
    def verify(self, request: WebRequest) -> None:
        given = request.header("x-twilio-signature").strip()
        if not given:
            raise Rejected(403, "missing X-Twilio-Signature")
        settings_header = request.header("x-twilio-webhooks-signature-settings")
        secret = self._secret("auth_token")
        if settings_header:
            secret = self._secret("signing_key")
            if not secret:
                raise Rejected(503, "door not configured (no webhook signing key)")
        algorithm = get_signature_algorithm(settings_header).upper()
        if algorithm not in (HMAC_SHA1, HMAC_SHA256):
            raise Rejected(403, "unsupported signature algorithm")
        # GET: every field is in the signed URL itself; POST: the URL and the form fields
        params = {} if request.method == "GET" else read_params(request)
        validator = RequestValidator(secret)
        try:                                     # with and without the default port,
            url = urlsplit(self.public_url(request))        # as Twilio's own validate()
            candidates = (remove_port(url), add_port(url))
        except ValueError:                       # a Host header with a port that is no number
            raise Rejected(400, "malformed request URL") from None
        given_bytes = given.encode("utf-8", "replace")
        matched = False
        for candidate in candidates:
            expected = validator.compute_signature(candidate, params, algorithm)
            matched |= hmac.compare_digest(expected.encode("ascii"), given_bytes)
        if not matched:
            raise Rejected(403, "invalid signature")

    # ----- parse ------------------------------------------------------------------------
    def parse(self, request: WebRequest) -> list[InboundMessage]:
        params = read_params(request)
        message = read_message(params, self.door.id, self.name)
        if message is None:
            if is_status_event(params):
                self._log_status(params)
            return []
        if message.meta["transport"] != self.mode:   # no wrong door: taken all the same
            log.warning("twilio %s message on a %s door=%s", message.meta["transport"],
                        self.mode, self.door.id)
        return [message]

    def delivery_reports(self, request: WebRequest) -> list:
        report = delivery_report(read_params(request))
        return [report] if report else []

    def _log_status(self, params) -> None:
        """A delivery report of a reply: failures are logged with Twilio's error code (e.g.
        63016, WhatsApp's 24-hour window), the number masked."""
        status = (params.first("MessageStatus") or params.first("SmsStatus")).strip().lower()
        sid = "".join(ch for ch in params.first("MessageSid") if ch.isalnum())[:40] or "-"
        if status not in ("failed", "undelivered"):
            log.debug("twilio reply %s door=%s sid=%s", status[:16], self.door.id, sid)
            return
        code = "".join(ch for ch in params.first("ErrorCode") if ch.isdigit())[:8] or "-"
        log.warning("twilio reply %s door=%s to=%s sid=%s code=%s", status, self.door.id,
                    mask(split_address(params.first("To"))[1]), sid, code)

    # ----- respond ----------------------------------------------------------------------
    def respond(self, outcomes: list[Outcome]) -> WebResponse:
        """TwiML: one <Message> per reply (none for status callbacks: an empty <Response/>)."""
        twiml = MessagingResponse()
        for outcome in outcomes:
            if outcome.reply_text:
                twiml.message(outcome.reply_text[:MAX_BODY_CHARS])
        return WebResponse(200, twiml.to_xml().encode("utf-8"), "text/xml; charset=utf-8")

    # ----- send -------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> str:
        if not self.configured():
            raise SendError(f"door {self.door.id}: account_sid or auth_token not configured",
                            permanent=True)
        sender = self._option("from_number")
        if not sender:
            raise SendError(f"door {self.door.id}: no from_number configured", permanent=True)
        if not message.to.strip():
            raise SendError("no number to send to", permanent=True)
        base = str(getattr(self.settings, "public_base_url", "") or "").rstrip("/")
        params = message_params(   # delivery reports come back to the door: failures logged
            message, sender, self.mode == "whatsapp", f"{base}/in/{self.door.id}" if base else "",
            self._option("status_template_sid"))
        try:
            created = self._client().messages.create(**params)
        except TwilioException as exc:
            failure = rest_error(exc)
            failure.opted_out = failure.code in OPTED_OUT_CODES    # 21610: the citizen's STOP
            raise failure from None
        except requests.RequestException as exc:   # its text holds the URL: never shown
            raise SendError(f"twilio api unreachable ({type(exc).__name__})") from None
        sid = str(getattr(created, "sid", "") or "")[:64]
        log.info("twilio %s accepted door=%s to=%s sid=%s", message.kind, self.door.id,
                 mask(message.to), sid[:40] or "-")
        return sid

    def _client(self) -> Client:
        """One REST client per thread (requests sessions are not shared across threads)."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = rest_client(
                self._secret("account_sid"), self._secret("auth_token"), self.api_base_url)
        return client

    # ----- media ------------------------------------------------------------------------
    def fetch_media(self, attachment: Attachment) -> tuple[bytes, str]:
        if not self.configured():
            raise SendError(f"door {self.door.id}: account_sid or auth_token not configured",
                            permanent=True)
        url = attachment.provider_ref
        if not self._trusted(url):
            raise SendError("media URL is not this account's media on Twilio's API", permanent=True)
        answer = download.fetch(url, self.media_policy(), self._basic_auth())
        if not 200 <= answer.status_code < 300:
            raise http_error("media download", answer.status_code, answer.headers.get("retry-after"))
        return answer.content, answer.content_type or attachment.content_type

    def media_policy(self) -> download.Policy:
        """Twilio's API host (and the regional edge of api_base_url), then its media store."""
        try:
            limit = int(self._option("max_media_bytes") or self.max_media)
        except ValueError:
            limit = self.max_media
        hosts = {API_HOST}
        base = urlsplit(self.api_base_url)
        if base.scheme == "https" and (base.hostname or "").endswith(".twilio.com"):
            hosts.add(base.hostname)
        return download.Policy(frozenset(hosts), limit, redirect_hosts=MEDIA_STORE_HOSTS,
                               test_origins=download.test_origins(self.door.options),
                               what="twilio media")

    def _trusted(self, url: str) -> bool:
        """A MediaUrl of this door's own account, in the one shape Twilio gives it (the host
        and scheme are then checked by the downloader, on the same parse)."""
        if not isinstance(url, str) or len(url) > 300:
            return False
        try:
            parts = parse_url(url)
        except LocationParseError:
            return False
        found = MEDIA_PATH.fullmatch(parts.path or "")
        return (parts.auth is None and parts.query is None and parts.fragment is None
                and found is not None and found.group(1) == self._secret("account_sid"))

    def _basic_auth(self) -> dict:
        token = base64.b64encode(f"{self._secret('account_sid')}:{self._secret('auth_token')}"
                                 .encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}
