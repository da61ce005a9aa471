"""python-telegram-bot's ``Bot`` for a Telegram door, usable from plain threads.

``Bot``'s methods are coroutines and its HTTP client (httpx) belongs to the event loop that
first used it, while the gateway calls ``send``/``fetch_media`` from worker threads.
``BotPool`` therefore keeps, per calling thread, one ``asyncio.Runner`` (a private event
loop that outlives a call, so connections are kept alive) and one ``Bot`` bound to it;
``call(what, action)`` runs ``action(bot)`` on the calling thread's loop and turns every
failure into ``SendError``:

==========================================  ===========================================
Bot API answer                              SendError
==========================================  ===========================================
429 (``RetryAfter``)                        retryable, ``retry_after`` from Telegram
5xx, time-out, connection refused/reset     retryable
400, 401, 403, 404, 409, other 4xx          permanent (chat not found, bot blocked by the
                                            user, bad token, file too big ...)
403 "bot was blocked by the user"           permanent, ``opted_out``: the citizen's STOP
==========================================  ===========================================

Reasons never carry the bot token or a chat id (digit runs are masked). A separate
``parsing_bot()`` (never used for I/O) is what ``Update.de_json`` attaches to parsed
objects. Building a ``Bot`` makes no network call: ``Bot.initialize`` (a ``getMe``) is
deliberately not used. python-telegram-bot itself (with httpx: about 0.2 s of a web
worker's start) is imported on a door's first call (``channels.telegram.bot``).

Logging: httpx logs every request URL at INFO, and the Bot API URL contains the bot token;
python-telegram-bot logs request parameters (chat ids) at DEBUG. The token is replaced by
``***`` in those loggers' records; unless the operator set their levels, the ``httpx``
logger is raised to WARNING and ``telegram`` to INFO.
"""
from __future__ import annotations

import asyncio
import logging
import re
import threading
from typing import Awaitable, Callable, TypeVar
from urllib.parse import quote, urlsplit

from channels import download
from channels.base import SendError
from channels.scrub import digit_runs

DEFAULT_API_BASE_URL = "https://api.telegram.org"
FILE_ID = re.compile(r"[A-Za-z0-9_-]{1,256}")             # Telegram's file ids: base64url
FILE_PATH = re.compile(r"(?!.*(?:^|/)\.\.?(?:/|$))[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")
MAX_FILE_BYTES = 20 * 1024 * 1024                         # the Bot API serves files up to 20 MB
T = TypeVar("T")


def api_urls(api_base_url: str) -> tuple[str, str]:
    """(base_url, base_file_url) for ``Bot`` from a Bot API server root such as
    ``https://api.telegram.org`` or a local ``telegram-bot-api`` server."""
    root = (api_base_url or DEFAULT_API_BASE_URL).rstrip("/")
    return f"{root}/bot", f"{root}/file/bot"


def file_policy(options: dict) -> download.Policy:
    """How a door downloads files (``channels.download``): the Bot API host only
    (``api_base_url``'s too when it is an https name: a self-hosted telegram-bot-api), up to
    the 20 MB the Bot API serves, and no redirect (the file URL carries the token)."""
    root = urlsplit(str(options.get("api_base_url") or DEFAULT_API_BASE_URL))
    hosts = {urlsplit(DEFAULT_API_BASE_URL).hostname}
    if root.scheme == "https" and root.hostname:
        hosts.add(root.hostname)
    return download.Policy(frozenset(hosts), MAX_FILE_BYTES, follow_redirects=False,
                           test_origins=download.test_origins(options), what="telegram file")


class _TokenRedactor(logging.Filter):
    """Replaces bot tokens by ``***`` in the records of the loggers it is attached to."""

    def __init__(self):
        super().__init__()
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.tokens:
            try:
                text = record.getMessage()
            except Exception:  # noqa: BLE001 - leave a broken record to logging itself
                return True
            redacted = text
            for token in self.tokens:
                redacted = redacted.replace(token, "***")
            if redacted != text:
                record.msg, record.args = redacted, ()
        return True


_REDACTOR = _TokenRedactor()
_URL_LOGGERS = ("httpx", "telegram.Bot", "telegram.request.BaseRequest",
                "telegram.request.HTTPXRequest", "urllib3.connectionpool")   # file downloads


def quiet_library_logs(token: str = "") -> None:
    """Keep the token (in the Bot API URLs httpx and python-telegram-bot log) and chat ids
    (python-telegram-bot's DEBUG lines) out of the logs: the token is redacted whatever the
    levels; the levels are raised only where the operator left them unset."""
    if token:
        _REDACTOR.tokens.update({token, quote(token)})      # file URLs carry it %-encoded
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
    for name, level in (("httpx", logging.WARNING), ("telegram", logging.INFO)):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(level)


def scrub(text: str, token: str) -> str:
    """A provider message safe for a log line: no token, no chat or user id."""
    if token:
        text = text.replace(token, "***").replace(quote(token), "***")
    return digit_runs(text)[:160]


class BotPool:
    """One event loop and one ``Bot`` per calling thread, for one door's token."""

    def __init__(self, token: str, api_base_url: str = ""):
        quiet_library_logs(token)
        self.token = token
        self.api_base_url = api_base_url or DEFAULT_API_BASE_URL
        self._local = threading.local()
        self._lock = threading.Lock()
        self._parser = None
        self._opened: list[tuple[asyncio.Runner, object]] = []

    def parsing_bot(self):
        """The Bot that parsed objects carry (``Update.de_json``); never used for I/O."""
        if self._parser is None:
            from channels.telegram.bot import make_bot

            with self._lock:
                if self._parser is None:
                    self._parser = make_bot(self.token, self.api_base_url)
        return self._parser

    def call(self, what: str, action: Callable[[object], Awaitable[T]]) -> T:
        """Run ``action(bot)`` on this thread's loop; failures become SendError."""
        from channels.telegram.bot import make_bot, send_error

        state = getattr(self._local, "state", None)
        if state is None:
            state = (asyncio.Runner(), make_bot(self.token, self.api_base_url))
            self._local.state = state
            with self._lock:
                self._opened.append(state)
        runner, bot = state
        try:
            return runner.run(action(bot))
        except SendError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure of a call is a SendError
            raise send_error(what, exc, self.token) from None

    def close(self) -> None:
        """Close every thread's client and loop; call when no call is in flight."""
        with self._lock:
            opened, self._opened = self._opened, []
        for runner, bot in opened:
            try:
                runner.run(bot.request.shutdown())
            except Exception:  # noqa: BLE001 - closing best effort
                pass
            runner.close()
