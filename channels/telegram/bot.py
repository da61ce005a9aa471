"""python-telegram-bot's side of a Telegram door (``channels.telegram.client``): the ``Bot``
it builds and how a failed Bot API call becomes a ``SendError`` (the table in that module's
docstring). Imported on a door's first call, not with the adapter: python-telegram-bot and
httpx cost about 0.2 s of every web worker's start (issue 12: ready in under 2 s).
"""
from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import Bot
from telegram.error import (BadRequest, ChatMigrated, Conflict, EndPointNotFound, Forbidden,
                            InvalidToken, RetryAfter, TelegramError)
from telegram.request import HTTPXRequest

from channels.base import SendError
from channels.telegram.client import api_urls, scrub

TIMEOUTS = {"connect_timeout": 5.0, "read_timeout": 15.0, "write_timeout": 15.0,
            "pool_timeout": 5.0}
_HANDLED_BY_PTB = {400, 401, 403, 404, 409, 429}
BLOCKED = "bot was blocked by the user"   # the Bot API's 403 when the citizen blocked the bot


class ClientError(TelegramError):
    """A 4xx that python-telegram-bot would report as a (retryable) NetworkError."""


class StrictRequest(HTTPXRequest):
    """``HTTPXRequest`` that reports every 4xx python-telegram-bot does not name itself
    as a ``ClientError``, so that it is not retried."""

    async def do_request(self, *args, **kwargs):
        code, payload = await super().do_request(*args, **kwargs)
        if 400 <= code < 500 and code not in _HANDLED_BY_PTB:
            raise ClientError(f"HTTP {code}")
        return code, payload


def make_bot(token: str, api_base_url: str = ""):
    """A ``telegram.Bot`` for the token and API root; no network I/O."""
    base_url, base_file_url = api_urls(api_base_url)
    return Bot(token, base_url=base_url, base_file_url=base_file_url,
               request=StrictRequest(connection_pool_size=4, **TIMEOUTS),
               get_updates_request=StrictRequest(connection_pool_size=1, **TIMEOUTS))


_PERMANENT = (BadRequest, Forbidden, InvalidToken, ChatMigrated, Conflict, EndPointNotFound,
              ClientError)


def send_error(what: str, exc: BaseException, token: str) -> SendError:
    """The SendError for a failed Bot API call (see the table in the module docstring)."""
    detail = getattr(exc, "message", "") if isinstance(exc, TelegramError) else ""
    reason = f"telegram {what} failed: {type(exc).__name__}" + (
        f": {scrub(detail, token)}" if detail else "")
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return SendError(reason, retry_after=seconds)
    if isinstance(exc, Forbidden) and BLOCKED in detail.lower():
        return SendError(reason, permanent=True, code="403", opted_out=True)
    if isinstance(exc, _PERMANENT):
        return SendError(reason, permanent=True)
    return SendError(reason)          # NetworkError, TimedOut, bad JSON from the server ...
