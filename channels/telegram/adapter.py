"""Telegram door: a bot (the LAPOR! bot) whose Bot API webhook posts updates to ``/in/<door>``.

Owns the Telegram side of a door: checking the webhook's secret token, reading an
``Update`` with python-telegram-bot (``telegram.Update.de_json``), and sending replies and
fetching media through python-telegram-bot's ``Bot``. The operator's guide is
``docs/channels/telegram.md``; ``lapor-gateway telegram set-webhook``
(``channels/telegram/cli.py``) registers the webhook.

Features
========
* ``X-Telegram-Bot-Api-Secret-Token`` compared in constant time with the door's secret
  token (the ``secret_token`` given to ``setWebhook``).
* Private chats: text, captions, photos (the largest size), documents, voice, audio, video,
  video notes, location and venues; one ``InboundMessage`` per Telegram message (an album
  is several messages; the core joins them into one complaint as follow-ups).
* Edited messages: ``is_edit``, ``meta["edit_of"]`` = the original's id; the edit's own id
  is ``<chat ref>:<message id>:edit:<edit_date>``. Live-location updates (edits) are ignored.
* Commands, translated into the keyword grammar (``normalizer/grammar.py``):
  ``/start``, ``/help``, ``/bantuan`` and unknown commands -> ``BANTUAN``;
  ``/status <n>`` and ``/cek <n>`` -> ``CEK <n>``; ``/baru [text]`` -> ``new_thread``;
  ``/stop``, ``/berhenti`` -> ``STOP``; ``/mulai`` -> ``MULAI``; ``/lapor``,
  ``/aspirasi``, ``/info`` ... -> the keyword. ``/cmd@BotName`` is read like ``/cmd``.
* Ignored with 200 (Telegram stops retrying): other update types (callback queries,
  chat member changes, reactions, channel posts ...), group chats, messages from bots,
  and messages with nothing to read (stickers, contacts, polls, dice, service messages).
* ``provider_message_id`` ``<chat ref>:<message id>``, stable across Telegram's retries;
  the chat ref is ``c`` + 16 hex of HMAC-SHA256(gateway secret key, chat id), so that the
  ids the complaint carries (to the central system, into log lines) never reveal an
  anonymous reporter's Telegram account. ``sender`` is the chat id itself.
* Replies (``replies_inline`` False): ``Bot.send_message`` to the chat, threaded under the
  citizen's message when the core names it (``reply_to``); media: ``Bot.get_file``, then
  the file through ``channels.download`` (the Bot API host only, no redirect: the token is in
  the URL; up to the 20 MB the Bot API serves). ``file_id`` must be Telegram's alphabet.

Door settings and sample payloads: ``docs/channels/telegram.md``; what the adapter requires
and reads: ``required_credentials`` and ``known_options`` below (docs/architecture.md).
``options.insecure_origins_for_tests`` admits the tests' local stand-ins for the provider
(``channels/download.py``); never set in production.
"""
from __future__ import annotations

import hmac
import logging
import re
import threading
from datetime import datetime, timezone

from channels import download, jsonbody
from channels.base import ChannelAdapter, Rejected, SendError, WebRequest
from channels.telegram.client import FILE_ID, FILE_PATH, BotPool, file_policy
from channels.telegram.payload import attachments_of, chat_ref, location_of, translate_command
from config import messages
from normalizer.values import Attachment, InboundMessage, OutboundMessage
from normalizer.identity import mask

log = logging.getLogger("lapor.channels.telegram")

MAX_UPDATE_BYTES = 1024 * 1024      # an update is a few KB; anything this big is not one
MAX_TEXT = 4096                     # Bot API limit of one message's text
_CHAT_ID = re.compile(r"^-?[0-9]{1,20}$")
class TelegramAdapter(ChannelAdapter):
    name = "telegram"
    replies_inline = False
    required_credentials = ("bot_token", "secret_token")
    known_options = frozenset({"api_base_url"})

    def __init__(self, door, settings=None):
        super().__init__(door, settings)
        self.token = str(door.credentials.get("bot_token") or "")
        self.secret = str(door.credentials.get("secret_token") or "")
        self.api_base_url = str(door.options.get("api_base_url") or "")
        # keys the chat refs in message ids; the door's secret token only for an adapter
        # built without settings (the gateway always passes them)
        self.ref_key = getattr(settings, "secret_key", "") or self.secret
        self._pool: BotPool | None = None
        self._lock = threading.Lock()

    def bots(self) -> BotPool:
        if not self.token:
            raise SendError(f"door {self.door.id}: no bot_token configured", permanent=True)
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = BotPool(self.token, self.api_base_url)
        return self._pool

    # ----- verify -----------------------------------------------------------------------
    def verify(self, request: WebRequest) -> None:
        given = request.header("x-telegram-bot-api-secret-token")
        if not given:
            raise Rejected(401, "missing secret token")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.secret.encode()):
            raise Rejected(403, "wrong secret token")

    # ----- parse ------------------------------------------------------------------------
    def parse(self, request: WebRequest) -> list[InboundMessage]:
        if len(request.body) > MAX_UPDATE_BYTES:
            raise Rejected(413, "update too large")
        data = jsonbody.load(request.body)
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            raise Rejected(400, "not a Telegram update")
        kinds = [key for key in ("message", "edited_message") if data.get(key) is not None]
        if not kinds:
            return []              # callback queries, member changes, reactions ...
        if not all(isinstance(data[key], dict) for key in kinds):
            raise Rejected(400, "not a Telegram update")
        if not self.token:
            raise Rejected(503, "door not configured")
        from telegram import Update      # python-telegram-bot, on the first update (client.py)

        try:
            update = Update.de_json(data, self.bots().parsing_bot())
            message = self._message(update)
        except Rejected:
            raise
        except Exception:  # noqa: BLE001 - a parser must survive any bytes
            raise Rejected(400, "not a Telegram update") from None
        return [message] if message else []

    def _message(self, update) -> InboundMessage | None:
        edited = update.message is None
        message = update.edited_message if edited else update.message
        user = message.from_user
        if message.chat.type != "private" or user is None or user.is_bot:
            return None
        if edited and (message.location or message.venue):
            return None            # live-location updates arrive as edits every few seconds
        raw = (message.text or message.caption or "")[:MAX_TEXT]
        text, new_thread = translate_command(raw)
        attachments, location = attachments_of(message), location_of(message)
        if not (raw or attachments or location):
            return None            # sticker, contact, poll, dice, service message ...
        chat = int(message.chat.id)
        original = f"{chat_ref(self.ref_key, chat)}:{int(message.message_id)}"
        meta = {"update_id": update.update_id, "message_id": message.message_id}
        if message.media_group_id:
            meta["media_group_id"] = str(message.media_group_id)
        if message.forward_origin:
            meta["forwarded"] = True
        provider_id = original
        if edited:
            stamp = int(message.edit_date.timestamp()) if message.edit_date else f"u{update.update_id}"
            provider_id = f"{original}:edit:{stamp}"
            meta["edit_of"] = original
        name = " ".join(part for part in (user.first_name, user.last_name) if part)
        return InboundMessage(
            door_id=self.door.id, channel=self.name, provider_message_id=provider_id,
            sender=str(chat), sender_kind="telegram", sender_name=name[:128], text=text,
            received_at=datetime.now(timezone.utc),
            sent_at=(message.edit_date if edited else None) or message.date,
            attachments=attachments, location=location, is_edit=edited,
            new_thread=new_thread, language=messages.language(user.language_code), meta=meta)

    # ----- send -------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> str:
        if not _CHAT_ID.match(message.to or ""):
            raise SendError(f"door {self.door.id}: not a Telegram chat id", permanent=True)
        chat_id = int(message.to)
        text = message.text if len(message.text) <= MAX_TEXT else message.text[:MAX_TEXT - 1] + "…"
        reply = _replied_message(message.reply_to, chat_ref(self.ref_key, chat_id))

        async def send_message(bot):
            from telegram import LinkPreviewOptions, ReplyParameters

            return await bot.send_message(
                chat_id=chat_id, text=text,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_parameters=(ReplyParameters(reply, allow_sending_without_reply=True)
                                  if reply else None))

        sent = self.bots().call("sendMessage", send_message)
        log.info("sent door=%s kind=%s to=%s message_id=%s", self.door.id, message.kind,
                 mask(message.to), getattr(sent, "message_id", "-"))
        return str(getattr(sent, "message_id", "") or "")

    # ----- media ------------------------------------------------------------------------
    def fetch_media(self, attachment: Attachment) -> tuple[bytes, str]:
        """``getFile`` through python-telegram-bot, then the file itself through the one
        downloader (``channels.download``): the file URL carries the bot token, so it goes
        only to the Bot API host over https, and no redirect is followed."""
        if not FILE_ID.fullmatch(attachment.provider_ref):
            raise SendError("telegram attachment has no usable file_id", permanent=True)

        async def lookup(bot):
            found = await bot.get_file(attachment.provider_ref)
            return found.file_path or ""

        url = self.bots().call("getFile", lookup)
        prefix = self.bots().parsing_bot().base_file_url + "/"
        if not url.startswith(prefix) or not FILE_PATH.fullmatch(url[len(prefix):]):
            raise SendError("telegram getFile gave no usable file_path", permanent=True)
        answer = download.fetch(url, file_policy(self.door.options))
        if not 200 <= answer.status_code < 300:
            raise SendError(f"telegram file download answered {answer.status_code}",
                            permanent=not (answer.status_code >= 500 or answer.status_code == 429))
        return answer.content, attachment.content_type or "application/octet-stream"


def _replied_message(reply_to: str, chat: str) -> int | None:
    """The Telegram message id in ``<chat ref>:<message>[:edit:<date>]`` when it is this
    chat's."""
    parts = (reply_to or "").split(":")
    if len(parts) >= 2 and parts[0] == chat and re.fullmatch(r"[0-9]{1,12}", parts[1]):
        return int(parts[1])
    return None
