"""Generic signed webhook door (channel ``webhook``): an agency's own app POSTs JSON to
``/in/<door-id>``, signed as the Standard Webhooks specification says.

Features
========
* Signature: ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature: v1,<base64>``
  (HMAC-SHA256 under the door's ``secret``, a ``whsec_...`` value), checked by the
  ``standardwebhooks`` package's own ``Webhook.verify`` (constant-time comparison, the
  5-minute timestamp tolerance). Before it, only canonical forms are taken: a timestamp of
  plain ASCII digits, an id of 1-200 visible ASCII characters. Missing, malformed, wrong or
  stale: 401, nothing recorded. No secret configured: 503, so the agency's app retries.
* Body: JSON (``channels.jsonbody``: 400 when it is not), mapped onto the complaint with the
  door's ``options.mapping`` of JSON Pointers (``channels/webhook/payload.py``); no text, or
  a value of the wrong type: 422 naming the pointer. A bad mapping stops the gateway at start
  with one line naming it (``check-config`` too).
* Dedup: the ``message_id`` pointer's value, else the ``webhook-id``, is the provider message
  id; the same id again is answered 200 with the original tracking number, and the same id
  with another body 422 (a keyed fingerprint of the mapped fields, as for the JSON API).
* Answer: ``201 {"tracking_number": ..., "status_url": ...}`` (200 for a duplicate); the
  agency's app tells its citizen. No reply is queued for an acknowledgement.
* Status back: with ``options.callback_url``, every status change from the central system
  is POSTed there, signed the same way (``channels/webhook/client.py``), through the
  replies queue (retries, backoff, dead letters).
* Attachments: https URLs, fetched by the media worker through ``channels.download``
  (public addresses only, size and time limits; ``options.media_hosts``, a list of host
  names, narrows where from).

``options.insecure_origins_for_tests`` admits the tests' local stand-ins for the agency's
servers (``channels/download.py``); never set in production.

Sample door (docs/channels/webhook.md)::

    {"id": "sapa-warga", "channel": "webhook", "agency": "Pemprov Jawa Barat",
     "credentials": {"secret": "LAPOR_SAPA_WARGA_SECRET"},
     "options": {"mapping": {"text": "/laporan/isi", "sender": "/pelapor/hp"},
                 "callback_url": "https://sapawarga.example.go.id/lapor/status"}}
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import replace

import standardwebhooks
from standardwebhooks.webhooks import EmptyWebhookSecretError, WebhookVerificationError
from urllib3.util import parse_url

from channels import download, jsonbody
from channels.base import ChannelAdapter, Rejected, SendError, WebRequest, WebResponse
from channels.webhook import client
from channels.webhook.payload import Mapping, read
from config.settings import Settings
from normalizer.values import Attachment, InboundMessage, OutboundMessage, Outcome

WEBHOOK_ID = re.compile(r"[\x21-\x7e]{1,200}")
TIMESTAMP = re.compile(r"[1-9][0-9]{0,11}")
SIGNATURE = re.compile(r"v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*")


class WebhookAdapter(ChannelAdapter):
    name = "webhook"
    replies_inline = True            # the 201 answer is the acknowledgement
    required_credentials = ("secret",)
    required_options = ("mapping",)
    known_options = frozenset({"mapping", "callback_url", "media_hosts"})

    def __init__(self, door, settings: Settings | None = None):
        super().__init__(door, settings)
        self.limits = settings or Settings()
        option = door.options.get("mapping")      # unset or empty: not configured (503)
        self.mapping = Mapping.from_option(door.id, option) if option else None
        if self._callback_url():
            client.check_url(door.id, self._callback_url(), download.test_origins(door.options))

    # ----- verify ----------------------------------------------------------------------------
    def _signer(self) -> standardwebhooks.Webhook:
        try:
            return standardwebhooks.Webhook(str(self.door.credentials["secret"]))
        except (ValueError, TypeError, RuntimeError, EmptyWebhookSecretError):
            raise Rejected(*self.not_configured) from None     # not a base64 whsec_ secret

    def verify(self, request: WebRequest) -> None:
        signer = self._signer()
        given_id = request.header("webhook-id")
        stamp = request.header("webhook-timestamp")
        given_signature = request.header("webhook-signature")
        if not (given_id and stamp and given_signature):
            raise Rejected(401, "missing signature headers")
        if not (WEBHOOK_ID.fullmatch(given_id) and TIMESTAMP.fullmatch(stamp)
                and SIGNATURE.fullmatch(given_signature)):
            raise Rejected(401, "malformed signature headers")
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(400, jsonbody.REASON) from None
        headers = {"webhook-id": given_id, "webhook-timestamp": stamp,
                   "webhook-signature": given_signature}
        try:   # the library compares with hmac.compare_digest and checks the 5-minute window
            signer.verify(body, headers, json_parse=False)
        except WebhookVerificationError as exc:
            stale = "timestamp" in str(exc)          # "Message timestamp too old/new"
            raise Rejected(401, "timestamp outside the 5-minute tolerance" if stale
                           else "invalid signature") from None
        except ValueError:   # base64 the pattern let through but the decoder refuses
            raise Rejected(401, "malformed signature headers") from None

    # ----- parse -----------------------------------------------------------------------------
    def parse(self, request: WebRequest) -> list[InboundMessage]:
        document = jsonbody.load(request.body)
        message = read(document, self.mapping, self.door.id, request.header("webhook-id"),
                       self.limits.max_attachments, download.test_origins(self.door.options))
        return [self._fingerprinted(message)]

    def _fingerprinted(self, message: InboundMessage) -> InboundMessage:
        """The message with a keyed hash of what it says: the same id with another body is
        refused (422), a retry with the same body is the same complaint."""
        fields = [message.text, message.title, message.sender, message.sender_name,
                  message.classification, message.anonymous, message.confidential,
                  [item.provider_ref for item in message.attachments],
                  [message.location.text, message.location.latitude, message.location.longitude]
                  if message.location else None]
        canonical = json.dumps(fields, ensure_ascii=False)
        digest = hmac.new((self.limits.secret_key or "").encode(),
                          b"webhook-body\x00" + canonical.encode("utf-8", "surrogatepass"),
                          hashlib.sha256).hexdigest()[:32]
        return replace(message, body_fingerprint=digest)

    def respond(self, outcomes: list[Outcome]) -> WebResponse:
        outcome = outcomes[0]
        number = outcome.tracking_number
        base = str(getattr(self.settings, "public_base_url", "") or "")
        body = {"tracking_number": number, "status_url": f"{base}/api/v1/complaints/{number}",
                "duplicate": outcome.duplicate}
        return WebResponse(200 if outcome.duplicate else 201, json.dumps(body).encode(),
                           "application/json")

    # ----- status back -----------------------------------------------------------------------
    def status_target(self) -> str:
        """Status changes go to the agency's callback (``door``), or nowhere ('')."""
        return "door" if self._callback_url() else ""

    def _callback_url(self) -> str:
        return str(self.door.options.get("callback_url") or "").strip()

    def send(self, message: OutboundMessage) -> str:
        url = self._callback_url()
        if not url or message.kind != "status":
            raise SendError(f"door {self.door.id}: a webhook door sends status callbacks only",
                            permanent=True)
        return client.deliver(url, str(self.door.credentials.get("secret") or ""),
                              self.door.options, message)

    # ----- media -----------------------------------------------------------------------------
    def fetch_media(self, attachment: Attachment) -> tuple[bytes, str]:
        answer = download.fetch(attachment.provider_ref, self._media_policy(attachment.provider_ref))
        if answer.status_code != 200:
            raise SendError(f"attachment answered {answer.status_code}",
                            permanent=400 <= answer.status_code < 500 and answer.status_code != 429)
        return answer.content, answer.content_type or attachment.content_type

    def _media_policy(self, url: str) -> download.Policy:
        """The attachment's own host (no credential goes with it), or only the hosts of
        ``options.media_hosts`` when the door names them; public https addresses only."""
        named = self.door.options.get("media_hosts") or ()
        hosts = frozenset(str(host).lower() for host in (named if isinstance(named, list) else [named]))
        if not hosts:
            try:
                hosts = frozenset({(parse_url(url).host or "").lower()})
            except ValueError:
                hosts = frozenset()
        return download.Policy(hosts=hosts, max_bytes=self.limits.max_attachment_bytes,
                               test_origins=download.test_origins(self.door.options),
                               what="webhook attachment")
