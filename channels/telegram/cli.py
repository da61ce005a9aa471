"""``lapor-gateway telegram ...``: register a Telegram door's webhook with the Bot API.

    lapor-gateway telegram set-webhook [--door ID] [--drop-pending-updates]
    lapor-gateway telegram webhook-info [--door ID]

``set-webhook`` calls ``Bot.set_webhook`` with ``url = <LAPOR_PUBLIC_BASE_URL>/in/<door>``,
the door's ``secret_token`` (Telegram sends it back in ``X-Telegram-Bot-Api-Secret-Token``)
and ``allowed_updates = ["message", "edited_message"]`` (the only updates the adapter
reads), sets the bot's command menu (``setMyCommands``: /status, /baru, /bantuan, /stop,
/mulai, described in Indonesian, and in English for English-language Telegram apps, texts
from ``config/messages.py``), then prints what ``getWebhookInfo`` reports.
``webhook-info`` prints that only.
``--door`` may be left out when exactly one door uses the ``telegram`` channel.

Settings: the gateway's own (``LAPOR_PUBLIC_BASE_URL``, ``LAPOR_DOORS_FILE``, the door's
credential variables, ``LAPOR_SECRET_KEY`` / ``LAPOR_DATA_DIR`` for a derived secret in
the embedded default). Nothing else is touched: no Redis, no broker. Exit status: 0 done,
1 Telegram refused or could not be reached, 2 configuration error. Neither the bot token
nor the secret token is ever printed.
"""
from __future__ import annotations

import argparse
import re

from channels.registry import AdminError, channel_door, run_admin

ALLOWED_UPDATES = ("message", "edited_message")
MENU = ("status", "baru", "bantuan", "stop", "mulai")       # the commands channels.telegram reads
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def register(subparsers, context=None) -> None:
    """Add ``telegram set-webhook`` and ``telegram webhook-info`` to the CLI's subparsers
    (they read the settings themselves: ``context`` is not needed)."""
    telegram = subparsers.add_parser("telegram", help="Telegram doors: register the webhook")
    actions = telegram.add_subparsers(dest="telegram_command", required=True)
    set_webhook = actions.add_parser("set-webhook", help="register <public URL>/in/<door>")
    set_webhook.add_argument("--door", help="door id (default: the only telegram door)")
    set_webhook.add_argument("--drop-pending-updates", action="store_true",
                             help="discard updates Telegram holds for the bot")
    set_webhook.set_defaults(func=cmd_set_webhook)
    info = actions.add_parser("webhook-info", help="show what Telegram reports")
    info.add_argument("--door", help="door id (default: the only telegram door)")
    info.set_defaults(func=cmd_webhook_info)


def telegram_door(settings, door_id: str | None):
    """The Telegram door named, or the only one."""
    return channel_door(settings, "telegram", door_id, "bot_token")


def webhook_url(settings, door) -> str:
    if not settings.public_base_url:
        raise AdminError("LAPOR_PUBLIC_BASE_URL is not set: Telegram needs the gateway's "
                         "public https address")
    return f"{settings.public_base_url}/in/{door.id}"


def set_webhook(settings, door_id: str | None = None, drop_pending_updates: bool = False) -> dict:
    """Register the door's webhook; return getWebhookInfo as a dict. Raises AdminError or
    SendError."""
    from channels.telegram.client import BotPool

    door = telegram_door(settings, door_id)
    url = webhook_url(settings, door)
    secret = str(door.credentials.get("secret_token") or "")
    if not SECRET_TOKEN.match(secret):
        raise AdminError(f"door {door.id}: secret_token must be 1-256 characters A-Z a-z 0-9 _ -")
    pool = BotPool(door.credentials["bot_token"], str(door.options.get("api_base_url") or ""))
    try:
        pool.call("setWebhook", lambda bot: bot.set_webhook(
            url=url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=drop_pending_updates))
        for lang, language_code in (("id", None), ("en", "en")):
            pool.call("setMyCommands", lambda bot: bot.set_my_commands(
                command_menu(lang), language_code=language_code))
        return _info(pool)
    finally:
        pool.close()


def command_menu(lang: str) -> list:
    """The bot's command menu in the citizen's language."""
    from telegram import BotCommand

    from config import messages

    return [BotCommand(name, messages.text(f"telegram_command_{name}", lang)) for name in MENU]


def webhook_info(settings, door_id: str | None = None) -> dict:
    from channels.telegram.client import BotPool

    door = telegram_door(settings, door_id)
    pool = BotPool(door.credentials["bot_token"], str(door.options.get("api_base_url") or ""))
    try:
        return _info(pool)
    finally:
        pool.close()


def _info(pool) -> dict:
    info = pool.call("getWebhookInfo", lambda bot: bot.get_webhook_info())
    return {"url": info.url, "pending_update_count": info.pending_update_count,
            "allowed_updates": list(info.allowed_updates or ()),
            "last_error_message": info.last_error_message or "",
            "max_connections": info.max_connections}


def _print_info(info: dict) -> None:
    print(f"telegram webhook: {info['url'] or '(none)'}")
    print(f"  allowed updates: {', '.join(info['allowed_updates']) or '(all)'}; "
          f"pending updates: {info['pending_update_count']}")
    if info["last_error_message"]:
        print(f"  last delivery error: {info['last_error_message']}")


def _run(action) -> int:
    return run_admin("telegram", action, _print_info)


def cmd_set_webhook(args: argparse.Namespace) -> int:
    return _run(lambda settings: set_webhook(settings, args.door, args.drop_pending_updates))


def cmd_webhook_info(args: argparse.Namespace) -> int:
    return _run(lambda settings: webhook_info(settings, args.door))
