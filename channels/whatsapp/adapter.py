"""WhatsApp door (channel ``whatsapp``): a WhatsApp Business number on Meta's Cloud API.

Owns the Meta side of a door: the webhook verification handshake, the signature on every
delivery, reading the ``messages`` webhook (``channels/whatsapp/payload.py``), replies through
the Graph API messages endpoint and the two-step media download. The agency's setup guide
is ``docs/channels/whatsapp.md``.

Features
========
* GET handshake (``challenge``): ``hub.mode=subscribe`` and ``hub.verify_token`` equal
  (constant time) to the door's ``verify_token`` answer ``hub.challenge`` as text/plain;
  anything else is 403.
* POST: ``X-Hub-Signature-256: sha256=<hex>``, HMAC-SHA256 of the raw body with the app
  secret, compared in constant time (missing 401, wrong 403). Missing credentials: 503, so
  Meta keeps retrying (it does, for days) until the operator sets them.
* Text, image, video, audio, document, location, interactive (button/list replies) and
  template quick-reply buttons; several entries, changes, messages and contacts in one
  delivery (``contacts[].profile.name`` is the sender's name, ``wa_id`` the number).
  Status events (``statuses``: sent, delivered, read, failed with Meta's error codes) are
  the delivery reports of our replies (``delivery_reports``; error 131050, the citizen
  stopped messages from the business, is their opt-out); reactions, stickers and other types make
  no complaint (see ``channels/whatsapp/payload.py``). ``provider_message_id`` is the wamid,
  which Meta keeps on every retry of a delivery.
* Senders without a phone number (users who adopted a WhatsApp username) are known by their
  business-scoped user id (``sender_kind`` ``bsuid``, see ``channels/whatsapp/payload.py``);
  replies to them go in the message's ``recipient`` field instead of ``to``.
* Replies (``replies_inline`` False: the notifier calls ``send``): POST
  ``{graph_url}/{phone_number_id}/messages`` with a text body and the access token. Meta
  only delivers free-form text within 24 hours of the citizen's last message (the
  customer-service window); acknowledgements and answers always are. Status notices come
  later: when the door names an approved template (``status_template``), they are sent as
  that template with the notice as its one body parameter, which works at any time.
* ``fetch_media``: GET ``{graph_url}/{media_id}`` for a short-lived URL, then GET that URL,
  both with the access token, through ``channels.download``: https to
  ``graph.facebook.com`` and ``lookaside.fbsbx.com`` only, public addresses only, the token
  never across a redirect; media ids must be digits (no ``..`` reaching the Graph root). The
  bytes are checked against Meta's sha256.

Door settings and sample payloads: ``docs/channels/whatsapp.md``; what the adapter requires
and reads: ``required_credentials`` and ``known_options`` below (docs/architecture.md).
``options.insecure_origins_for_tests`` admits the tests' local stand-ins for the provider
(``channels/download.py``); never set in production.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from dataclasses import replace
from urllib.parse import parse_qsl

import requests

from channels import download
from channels.base import ChannelAdapter, Rejected, SendError, WebRequest, WebResponse
from channels.whatsapp.client import address, answer_json, graph_error
from normalizer.values import Attachment, InboundMessage, OutboundMessage
from channels.whatsapp.payload import read_statuses, read_webhook
from normalizer.identity import mask

log = logging.getLogger("lapor.channels.whatsapp")

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v25.0"
SEND_TIMEOUT = (3.05, 15.0)              # connect, read (seconds)
MEDIA_TIMEOUT = (3.05, 60.0)
MAX_TEXT = 4096                          # WhatsApp's limit for a text body
DEFAULT_MAX_BODY = 12 * 1024 * 1024
CHALLENGE = re.compile(r"[\x21-\x7e]{1,512}")
MEDIA_ID = re.compile(r"[0-9]{1,32}")    # Graph media ids are numbers: no "..", no "/"
MEDIA_HOSTS = frozenset({"graph.facebook.com", "lookaside.fbsbx.com"})
LOOKUP_MAX_BYTES = 64 * 1024             # the lookup answer is a small JSON object
# Graph API error codes worth retrying: throttling, "try again", service unavailable.
_SPACES = re.compile(r"\s+")


class WhatsAppAdapter(ChannelAdapter):
    name = "whatsapp"
    replies_inline = False
    required_credentials = ("app_secret", "verify_token", "access_token")
    required_options = ("phone_number_id",)
    known_options = frozenset({"phone_number_id", "graph_url", "status_template",
                               "template_language", "max_media_bytes"})

    def __init__(self, door, settings=None):
        super().__init__(door, settings)
        self._local = threading.local()
        self.max_body = getattr(settings, "max_body_bytes", DEFAULT_MAX_BODY)

    # ----- settings ---------------------------------------------------------------------
    def _secret(self, key: str) -> str:
        return str(self.door.credentials.get(key) or "")

    def _option(self, key: str, default: str = "") -> str:
        return str(self.door.options.get(key) or default).strip()

    @property
    def graph_url(self) -> str:
        return self._option("graph_url", DEFAULT_GRAPH_URL).rstrip("/")

    # ----- handshake --------------------------------------------------------------------
    def challenge(self, request: WebRequest) -> WebResponse | None:
        if request.method != "GET":
            return None
        query: dict[str, str] = {}
        for key, value in parse_qsl(request.query_string.decode("utf-8", "replace"),
                                    keep_blank_values=True):
            query.setdefault(key, value)
        expected = self._secret("verify_token")
        token = query.get("hub.verify_token", "").encode("utf-8")
        if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(token, expected.encode()):
            raise Rejected(403, "verification failed")
        answer = query.get("hub.challenge", "")
        if not CHALLENGE.fullmatch(answer):
            raise Rejected(400, "missing or malformed hub.challenge")
        log.info("webhook verified door=%s", self.door.id)
        return WebResponse(200, answer.encode("ascii"), "text/plain; charset=utf-8",
                           {"X-Content-Type-Options": "nosniff"})

    # ----- verify -----------------------------------------------------------------------
    def verify(self, request: WebRequest) -> None:
        if len(request.body) > self.max_body:
            raise Rejected(413, "request body too large")
        header = request.header("x-hub-signature-256").strip()
        if not header:
            raise Rejected(401, "missing X-Hub-Signature-256")
        scheme, _, given = header.partition("=")
        if scheme.strip().lower() != "sha256" or not given.strip():
            raise Rejected(401, "malformed X-Hub-Signature-256")
        expected = hmac.new(self._secret("app_secret").encode("utf-8"), request.body,
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.strip().lower().encode("utf-8", "replace")):
            raise Rejected(403, "invalid signature")

    # ----- parse ------------------------------------------------------------------------
    def parse(self, request: WebRequest) -> list[InboundMessage]:
        messages = read_webhook(request.body, self.door.id, self.name)
        own = self._option("phone_number_id")
        for message in messages:
            if own and message.meta.get("phone_number_id") not in ("", own):
                # one Meta app may serve several numbers; no wrong door: taken all the same
                log.warning("message for another phone number id door=%s", self.door.id)
        return messages

    def delivery_reports(self, request: WebRequest) -> list:
        return read_statuses(request.body) if request.method == "POST" else []

    # ----- send -------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> str:
        token, number_id = self._secret("access_token"), self._option("phone_number_id")
        if not token or not number_id:
            raise SendError(f"door {self.door.id}: access_token or phone_number_id not configured",
                            permanent=True)
        payload = self.payload(message, address(message.to))
        try:
            response = self._session().post(f"{self.graph_url}/{number_id}/messages", json=payload,
                                            headers=self._auth(), timeout=SEND_TIMEOUT)
        except requests.RequestException as exc:
            raise SendError(f"whatsapp graph unreachable ({type(exc).__name__})") from None
        if not 200 <= response.status_code < 300:
            raise graph_error("send", response)
        log.info("whatsapp %s accepted door=%s to=%s as=%s", message.kind, self.door.id,
                 mask(message.to), payload["type"])
        sent = [m for m in answer_json(response).get("messages") or [] if isinstance(m, dict)]
        wamid = sent[0].get("id") if sent else ""
        return wamid[:256] if isinstance(wamid, str) else ""

    def payload(self, message: OutboundMessage, to: dict) -> dict:
        """The Graph API message to ``to`` (``address``): a template for status notices
        when the door has one, text otherwise (quoting the citizen's message when
        ``reply_to`` names one)."""
        template = self._option("status_template")
        if message.kind == "status" and template:
            notice = _SPACES.sub(" ", message.text).strip()       # no newlines in parameters
            notice = notice[len("LAPOR! "):] if notice.startswith("LAPOR! ") else notice
            return {"messaging_product": "whatsapp", **to, "type": "template",
                    "template": {"name": template,
                                 "language": {"code": self._option("template_language", "id")},
                                 "components": [{"type": "body", "parameters": [
                                     {"type": "text", "text": notice[:700]}]}]}}
        body = {"messaging_product": "whatsapp", **to, "type": "text",
                "text": {"body": message.text[:MAX_TEXT]}}
        if message.reply_to.startswith("wamid."):
            body["context"] = {"message_id": message.reply_to}
        return body

    # ----- media ------------------------------------------------------------------------
    def fetch_media(self, attachment: Attachment) -> tuple[bytes, str]:
        """Graph API: the media id gives a URL valid for minutes; the URL gives the bytes.
        Both steps go through ``channels.download`` (Meta's exact hosts only)."""
        if not self._secret("access_token"):
            raise SendError(f"door {self.door.id}: access_token not configured", permanent=True)
        if not MEDIA_ID.fullmatch(attachment.provider_ref):
            raise SendError("not a WhatsApp media id", permanent=True)
        policy = self.media_policy()
        answer = download.fetch(f"{self.graph_url}/{attachment.provider_ref}",
                                replace(policy, max_bytes=LOOKUP_MAX_BYTES, what="whatsapp media lookup"),
                                self._auth())
        if not 200 <= answer.status_code < 300:
            raise graph_error("media lookup", answer)
        info = answer_json(answer)
        url = info.get("url") if isinstance(info.get("url"), str) else ""
        if not url:
            raise SendError("whatsapp media lookup gave no URL", permanent=True)
        fetched = download.fetch(url, policy, self._auth())
        if fetched.status_code in (401, 403, 404, 410):
            # the URL lives five minutes: a later attempt asks for a fresh one
            raise SendError(f"whatsapp media download answered {fetched.status_code}")
        if not 200 <= fetched.status_code < 300:
            raise graph_error("media download", fetched)
        data = fetched.content
        digest = str(info.get("sha256") or "").lower()
        if re.fullmatch(r"[0-9a-f]{64}", digest) and hashlib.sha256(data).hexdigest() != digest:
            raise SendError("whatsapp media bytes do not match their sha256")
        content_type = str(info.get("mime_type") or fetched.content_type or attachment.content_type)
        return data, content_type

    def media_policy(self) -> download.Policy:
        """Meta's Graph API host and its media host, with the door's size limit."""
        try:
            limit = int(self._option("max_media_bytes") or self.max_body)
        except ValueError:
            limit = self.max_body
        return download.Policy(MEDIA_HOSTS, limit, test_origins=download.test_origins(self.door.options),
                               timeout=MEDIA_TIMEOUT, what="whatsapp media")

    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {self._secret('access_token')}"}

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session
