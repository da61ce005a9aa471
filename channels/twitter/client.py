"""The X (Twitter) API client shared by the Twitter door and its mentions poller.

``XClient`` is tweepy's ``Client`` with two small additions: every request goes to the
door's ``api_base_url`` instead of the hard-coded ``https://api.twitter.com`` (so tests
and proxies can stand in for X), and the rate-limit headers of the last answer are kept
(``client.rate``) so the poller can pace itself. Requests time out instead of hanging.

``send_error(exc, action)`` turns whatever tweepy or requests raised into a ``SendError``:
429 and 5xx and network failures are retryable (429 carries ``x-rate-limit-reset`` as
``retry_after``), other 4xx are permanent. Reasons carry the HTTP status and X's error
codes and messages, with digit runs and @handles masked: never a user id, a handle
or a token.

``fetch(url, ...)`` downloads one media file from X's media hosts (``pbs.twimg.com``,
``video.twimg.com``, ``ton.twitter.com``; DM media on ``ton.twitter.com`` needs OAuth 1.0a
user context) through the one downloader (``channels.download``: https, exact hosts, public
addresses, size limit); any other host is refused, so a payload cannot make the gateway
fetch arbitrary URLs. With a non-default ``api_base_url`` the media hosts are served by
that base URL too (path kept), which the downloader then allows only when it is one of the
door's ``insecure_origins_for_tests`` (how tests point the media worker at a stand-in).
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
import requests
import tweepy
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from channels import download
from channels.base import SendError
from channels.scrub import digit_runs

DEFAULT_API = "https://api.twitter.com"
TIMEOUT = (3.05, 20.0)                       # connect, read (seconds)
MEDIA_HOSTS = frozenset({"pbs.twimg.com", "video.twimg.com", "ton.twitter.com"})
SIGNED_MEDIA_HOSTS = frozenset({"ton.twitter.com"})
_HANDLES = re.compile(r"@\w+")
_CHATTY = ("tweepy.client", "oauthlib", "requests_oauthlib", "urllib3.connectionpool")


@dataclass(frozen=True)
class RateLimit:
    """The ``x-rate-limit-*`` headers of one answer (None when absent)."""
    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None                 # Unix time the window resets

    @classmethod
    def from_headers(cls, headers) -> "RateLimit":
        def number(name: str) -> int | None:
            value = str(headers.get(name, "")).strip()
            return int(value) if value.isascii() and value.isdigit() else None
        return cls(number("x-rate-limit-limit"), number("x-rate-limit-remaining"),
                   number("x-rate-limit-reset"))


class _RebasedSession(requests.Session):
    """A requests session that sends X API calls to ``base_url`` and remembers the
    rate-limit headers of the last answer."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = (base_url or DEFAULT_API).rstrip("/")
        self.rate = RateLimit()

    def request(self, method, url, *args, **kwargs):
        if self.base_url != DEFAULT_API and url.startswith(DEFAULT_API + "/"):
            url = self.base_url + url[len(DEFAULT_API):]
        kwargs.setdefault("timeout", TIMEOUT)
        response = super().request(method, url, *args, **kwargs)
        self.rate = RateLimit.from_headers(response.headers)
        return response


class XClient(tweepy.Client):
    """tweepy's API v2 client, pointed at ``api_base_url``.

    tweepy, the OAuth 1.0a signing and urllib3 under it log requests and answers at DEBUG
    level (bodies with the citizens' names, ids and texts; URLs with their user ids; the
    Authorization header and signature base strings): those loggers are held at INFO, even
    in a process that never ran ``gateway.wiring.setup_logging``, so that no log level
    ever shows them."""

    def __init__(self, *, api_base_url: str = DEFAULT_API, **credentials):
        super().__init__(**credentials)
        self.session = _RebasedSession(api_base_url)
        for name in _CHATTY:
            chatty = logging.getLogger(name)
            if chatty.getEffectiveLevel() < logging.INFO:
                chatty.setLevel(logging.INFO)

    @property
    def rate(self) -> RateLimit:
        return self.session.rate


def client_for(door) -> XClient:
    """The client of a door: OAuth 1.0a user context for writes, the bearer token for
    reads. Missing credentials are left None (tweepy then refuses the call that needs them)."""
    creds = door.credentials
    return XClient(api_base_url=str(door.options.get("api_base_url") or DEFAULT_API),
                   bearer_token=creds.get("bearer_token") or None,
                   consumer_key=creds.get("consumer_key") or None,
                   consumer_secret=creds.get("consumer_secret") or None,
                   access_token=creds.get("access_token") or None,
                   access_token_secret=creds.get("access_token_secret") or None)


def can_write(door) -> bool:
    """Whether the door has all four OAuth 1.0a credentials that sign tweets and DMs."""
    return all(door.credentials.get(name) for name in
               ("consumer_key", "consumer_secret", "access_token", "access_token_secret"))


def _codes(exc: tweepy.HTTPException) -> str:
    said = [str(code) for code in exc.api_codes[:3]]
    said += [_HANDLES.sub("@***", digit_runs(str(text)))[:80]
             for text in exc.api_messages[:2]]
    return (": " + "; ".join(said)) if said else ""


def retry_after(reset: int | None, now: float | None = None) -> float | None:
    """Seconds until an ``x-rate-limit-reset`` time (at least 1), or None."""
    if reset is None:
        return None
    return max(1.0, reset - (time.time() if now is None else now) + 1)


def send_error(exc: Exception, action: str) -> SendError:
    """The SendError for a failed X call (see the module docstring)."""
    if isinstance(exc, tweepy.TooManyRequests):
        return SendError(f"x {action} rate limited (429)", retry_after=retry_after(exc.reset_time))
    if isinstance(exc, tweepy.HTTPException):
        status = exc.response.status_code
        reason = f"x {action} answered {status}{_codes(exc)}"
        return SendError(reason, permanent=not (status >= 500 or status in (408, 429)))
    if isinstance(exc, requests.RequestException):    # its text holds URLs: never shown
        return SendError(f"x {action} unreachable ({type(exc).__name__})")
    return SendError(f"x {action} failed ({type(exc).__name__})")


def is_duplicate_tweet(exc: Exception) -> bool:
    """X refuses a tweet identical to one just posted: a retried reply already went out."""
    return (isinstance(exc, tweepy.Forbidden) and exc.response.status_code == 403
            and any("duplicate" in str(text).lower() for text in exc.api_messages))


def media_url(url: str, base_url: str) -> tuple[str, bool]:
    """(URL to fetch, needs OAuth) for an X media URL; SendError(permanent) otherwise. The URL
    is read with the downloader's own parser (``channels.download``), which checks it again."""
    try:
        parts = parse_url(url) if isinstance(url, str) else None
    except LocationParseError:
        parts = None
    host = (parts.host or "").lower() if parts else ""
    if parts is None or parts.scheme != "https" or parts.auth or parts.port or host not in MEDIA_HOSTS:
        raise SendError("not an X media URL", permanent=True)
    signed = host in SIGNED_MEDIA_HOSTS
    base = (base_url or DEFAULT_API).rstrip("/")
    if base != DEFAULT_API:
        url = base + parts.request_uri
    return url, signed


def media_policy(door, max_bytes: int) -> download.Policy:
    """X's media hosts only; a redirect keeps no credentials (OAuth signs one URL)."""
    return download.Policy(MEDIA_HOSTS, max_bytes, timeout=TIMEOUT, what="x media",
                           test_origins=download.test_origins(door.options))


def fetch(url: str, policy: download.Policy, auth) -> tuple[bytes, str]:
    """GET one media file through the one downloader (OAuth 1.0a signed when ``auth`` is
    given); (bytes, content type). SendError on any failure."""
    headers = {}
    if auth is not None:
        prepared = requests.Request("GET", url, auth=auth).prepare()
        headers["Authorization"] = prepared.headers["Authorization"]
    answer = download.fetch(url, policy, headers)
    status = answer.status_code
    if status == 429 or status >= 500:
        wait = RateLimit.from_headers(answer.headers).reset
        raise SendError(f"x media answered {status}", retry_after=retry_after(wait))
    if status >= 300:
        raise SendError(f"x media answered {status}", permanent=True)
    return answer.content, answer.content_type
