"""Twitter/X door (channel ``twitter``): mentions and direct messages to the LAPOR! account.

Owns the X side of a door: the Account Activity API webhook (CRC challenge, signature,
``tweet_create_events`` and ``direct_message_events``), replies (a public reply tweet and
direct messages) and media downloads. The mentions poller for accounts without Account
Activity access is ``channels/twitter/poller.py``; both produce the same messages and may
run on one door together (they deduplicate on the tweet id). Setup: ``docs/channels/twitter.md``.

Features
========
* CRC: ``GET /in/<door>?crc_token=...`` answers ``{"response_token": "sha256=<base64
  HMAC-SHA256(consumer secret, crc_token)>"}``. Only short tokens of URL-safe/base64
  characters are answered: the CRC signs what the caller chose with the key that signs
  webhooks, so it must never sign anything that parses as a payload.
* POST: ``x-twitter-webhooks-signature`` = ``sha256=<base64 HMAC-SHA256(consumer secret,
  raw body)>``, compared in constant time. No consumer secret configured: 503, so X retries.
* Mentions (``tweet_create_events``) become public messages (``public=True``): replies to
  them say only the tracking number and where to follow it; anything more goes by DM.
  Our own tweets and retweets are ignored; an edited tweet is an edit of the original.
* DMs (``direct_message_events``, type ``message_create``) become private messages; the
  ones we sent are ignored. Every other event (likes, follows, deletes, typing, read
  receipts, ...) is answered 200 and ignored, as are events of another subscribed account.
* ``send``: private -> DM (``POST /2/dm_conversations/with/:id/messages``); public -> a
  reply tweet (``POST /2/tweets``, ``in_reply_to_tweet_id``) built from ``config/messages.py``
  with the tracking number only, then a DM with the full text. A DM that X refuses for
  good after the public reply went out is logged, not retried; a retried reply that X
  refuses as a duplicate tweet counts as sent.
* ``fetch_media``: photos, videos and GIFs of tweets (public URLs) and DM media (OAuth 1.0a
  signed) from X's media hosts only.

Door settings and sample payloads: ``docs/channels/twitter.md``; what the adapter requires
and reads: ``required_credentials`` and ``known_options`` below (docs/architecture.md).
``options.insecure_origins_for_tests`` admits the tests' local stand-ins for the provider
(``channels/download.py``); never set in production.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import threading
from urllib.parse import parse_qs

import requests
import tweepy

from channels import jsonbody
from channels.twitter import client as api
from channels.twitter import payload as parse_
from channels.base import ChannelAdapter, Rejected, SendError, WebRequest, WebResponse
from normalizer.values import Attachment, InboundMessage, OutboundMessage
from config import messages
from normalizer import tracking
from normalizer.identity import mask

log = logging.getLogger("lapor.channels.twitter")

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
CRC_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=.]{1,256}")
MAX_MEDIA_BYTES = 50 * 1024 * 1024
_PARSE_ERRORS = (parse_.Malformed, TypeError, ValueError, AttributeError, KeyError, IndexError)


def signature(secret: str, data: bytes) -> str:
    """``sha256=`` + base64 HMAC-SHA256, the form of X's CRC answer and webhook signature."""
    digest = hmac.new(secret.encode("utf-8"), data, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode("ascii")


class TwitterAdapter(ChannelAdapter):
    name = "twitter"
    replies_inline = False
    required_credentials = ("consumer_secret",)
    known_options = frozenset({"account_id", "username", "api_base_url", "max_media_bytes",
                               "poll", "poll_interval", "first_poll_hours"})

    def __init__(self, door, settings=None):
        super().__init__(door, settings)
        self._local = threading.local()

    # ----- account ------------------------------------------------------------------------
    def account(self, for_user_id: str = "") -> parse_.Account:
        configured = str(self.door.options.get("account_id") or "").strip()
        return parse_.Account(id=configured or for_user_id,
                              username=str(self.door.options.get("username") or "").lstrip("@"))

    def _secret(self) -> str:
        return str(self.door.credentials["consumer_secret"])

    # ----- challenge and verify ------------------------------------------------------------
    def challenge(self, request: WebRequest) -> WebResponse | None:
        secret = self._secret()
        query = parse_qs(request.query_string.decode("latin-1"), keep_blank_values=True)
        token = (query.get("crc_token") or [""])[0]
        if not token:
            raise Rejected(400, "missing crc_token")
        if not CRC_TOKEN.fullmatch(token):
            raise Rejected(400, "malformed crc_token")
        body = json.dumps({"response_token": signature(secret, token.encode("ascii"))})
        return WebResponse(200, body.encode("ascii"), "application/json")

    def verify(self, request: WebRequest) -> None:
        secret = self._secret()
        given = request.header(SIGNATURE_HEADER).strip()
        if not given:
            raise Rejected(401, "missing signature")
        expected = signature(secret, request.body)
        if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii")):
            raise Rejected(401, "bad signature")

    # ----- parse ------------------------------------------------------------------------------
    def parse(self, request: WebRequest) -> list[InboundMessage]:
        payload = jsonbody.load(request.body)
        if not isinstance(payload, dict):
            raise Rejected(400, "body is not a JSON object")
        try:
            return self._events(payload)
        except _PARSE_ERRORS as exc:
            raise Rejected(400, f"malformed event: {type(exc).__name__}") from None

    def _events(self, payload: dict) -> list[InboundMessage]:
        for_user = payload.get("for_user_id")
        for_user = parse_.ident(for_user, "for_user_id") if for_user is not None else ""
        account = self.account(for_user)
        if for_user and account.id != for_user:
            log.info("ignored events of another subscribed account door=%s", self.door.id)
            return []
        found: list[InboundMessage] = []
        for tweet in parse_.items(payload.get("tweet_create_events"), "tweet_create_events"):
            found.append(parse_.tweet_v1(tweet, self.door, account))
        users = payload.get("users") if isinstance(payload.get("users"), dict) else {}
        for event in parse_.items(payload.get("direct_message_events"), "direct_message_events"):
            found.append(parse_.dm_v1(event, users, self.door, account))
        return [message for message in found if message is not None]

    def respond(self, outcomes) -> WebResponse:
        return WebResponse(200, b"", "text/plain; charset=utf-8")

    # ----- send ---------------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> None:
        if not api.can_write(self.door):
            raise SendError(f"door {self.door.id}: X credentials not configured", permanent=True)
        tweet_id = message.reply_to.removeprefix(parse_.TWEET)
        if message.private or not (tweet_id.isascii() and tweet_id.isdigit()):
            self._dm(message.to, message.text)
            return
        if not message.tracking_number:
            self._dm_or_public_notice(message, tweet_id)
            return
        public = self.public_text(message)
        self._reply(tweet_id, public)
        if message.text.strip() == public:
            return
        try:
            self._dm(message.to, message.text)
        except SendError as exc:
            if not exc.permanent:
                raise
            log.info("public reply sent, DM refused door=%s to=%s: %s", self.door.id,
                     mask(message.to), exc.reason)

    def public_text(self, message: OutboundMessage) -> str:
        """What a public reply may say: the tracking number and where to follow it."""
        number = tracking.compact(message.tracking_number)
        base = str(getattr(self.settings, "public_base_url", "") or "")
        if base:
            where = messages.text("twitter_where_url", message.language,
                                  url=f"{base}/lapor/cek?nomor={number}")
        else:
            username = str(self.door.options.get("username") or "").lstrip("@")
            where = messages.text("twitter_where_cek", message.language,
                                  mention=f"@{username} " if username else "", compact=number)
        key = "ack_public" if message.kind == "ack" else "update_public"
        return messages.text(key, message.language, tracking=tracking.display(number), where=where)

    def _dm_or_public_notice(self, message: OutboundMessage, tweet_id: str) -> None:
        """An answer with no tracking number to a public tweet goes by DM; when X refuses
        the DM for good, a public reply says so (nothing else)."""
        try:
            self._dm(message.to, message.text)
        except SendError as exc:
            if not exc.permanent:
                raise
            self._reply(tweet_id, messages.text("dm_refused_public", message.language))

    def _reply(self, tweet_id: str, text: str) -> None:
        try:
            self._client().create_tweet(text=text, in_reply_to_tweet_id=tweet_id)
        except (tweepy.TweepyException, requests.RequestException) as exc:
            if api.is_duplicate_tweet(exc):
                log.info("reply tweet already posted door=%s", self.door.id)
                return
            raise api.send_error(exc, "reply tweet") from None
        log.info("reply tweet sent door=%s", self.door.id)

    def _dm(self, to: str, text: str) -> None:
        if not (to.isascii() and to.isdigit()):
            raise SendError("recipient is not an X user id", permanent=True)
        try:
            self._client().create_direct_message(participant_id=to, text=text)
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise api.send_error(exc, "direct message") from None
        log.info("direct message sent door=%s to=%s", self.door.id, mask(to))

    # ----- media --------------------------------------------------------------------------------
    def fetch_media(self, attachment: Attachment) -> tuple[bytes, str]:
        url, signed = api.media_url(attachment.provider_ref,
                                    str(self.door.options.get("api_base_url") or ""))
        auth = None
        if signed:
            if not api.can_write(self.door):
                raise SendError(f"door {self.door.id}: X credentials not configured", permanent=True)
            creds = self.door.credentials
            auth = tweepy.OAuth1UserHandler(creds["consumer_key"], creds["consumer_secret"],
                                            creds["access_token"],
                                            creds["access_token_secret"]).apply_auth()
        data, content_type = api.fetch(url, api.media_policy(self.door, self._media_limit()), auth)
        return data, content_type or attachment.content_type

    def _media_limit(self) -> int:
        """options.max_media_bytes, else the gateway's largest body (what the media worker
        keeps), else 50 MiB."""
        try:
            configured = int(self.door.options.get("max_media_bytes") or 0)
        except (TypeError, ValueError):
            configured = 0
        return configured or int(getattr(self.settings, "max_body_bytes", 0) or MAX_MEDIA_BYTES)

    def _client(self) -> api.XClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = api.client_for(self.door)
        return client
