"""The channel adapter interface and the request/response values it sees.

An adapter speaks one provider's protocol for one door. It is small: ``verify`` the
request is genuine, ``parse`` it into ``InboundMessage`` values, ``respond`` with what the
provider expects (carrying the acknowledgement where the protocol allows), and ``send`` a
reply on the channel. Adapters see a framework-neutral ``WebRequest`` (built by the
gateway from Flask's request) and return a ``WebResponse``; they know nothing of Flask,
kombu or Redis, so they can be tested and fuzzed with plain values.

The built-in adapters are named in ``channels/registry.py``; an agency's own adapter
registers through an entry point (README "Writing a channel adapter").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from config.doors import Door
from normalizer.values import Attachment, DeliveryReport, InboundMessage, OutboundMessage, Outcome

#: Options the gateway itself reads on any door (the short code named in acknowledgements).
COMMON_OPTIONS = frozenset({"short_code"})


class Rejected(Exception):
    """The request is refused: ``status`` is the HTTP status, ``reason`` a short text that
    never echoes the body or an expected signature."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class WebRequest:
    """What an adapter may know of an HTTP request.

    ``body`` is the raw body, except for multipart bodies, which the gateway decodes into
    ``form`` and ``files`` (and ``body`` is empty)."""
    method: str
    url: str                       # the public URL the provider called (for signatures)
    path: str
    headers: dict[str, str]        # lower-case names
    query_string: bytes            # raw, undecoded: charsets differ per provider
    body: bytes
    content_type: str = ""
    remote_addr: str = ""
    form: dict[str, str] = field(default_factory=dict)   # filled only for multipart bodies
    files: tuple["UploadedFile", ...] = ()

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class WebResponse:
    status: int = 200
    body: bytes | str = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class SendError(Exception):
    """A send failed. ``permanent`` failures are dead-lettered; the rest are retried.
    ``code`` is the provider's error code when it gave one; ``opted_out`` means the
    citizen told the provider to stop (Twilio 21610, a blocked Telegram bot ...)."""

    def __init__(self, reason: str, permanent: bool = False, retry_after: float | None = None,
                 code: str = "", opted_out: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent or opted_out
        self.retry_after = retry_after
        self.code = code
        self.opted_out = opted_out


class ChannelAdapter:
    """Base class of every adapter. Subclasses set ``name`` and override the four verbs."""

    name: ClassVar[str] = ""
    #: True when ``respond`` carries the acknowledgement text to the citizen itself.
    replies_inline: ClassVar[bool] = False
    #: The door's credentials (and options) without which it cannot verify a request: the
    #: door then refuses every call ("door not configured") and ``check-config`` fails.
    required_credentials: ClassVar[tuple[str, ...]] = ()
    required_options: ClassVar[tuple[str, ...]] = ()
    #: Every option the adapter reads (``check-config`` reports any other as a misspelling);
    #: None: not declared, nothing checked.
    known_options: ClassVar[frozenset[str] | None] = None
    #: The refusal of every call to a door that lacks a required value (``authenticate``).
    not_configured: ClassVar[tuple[int, str]] = (503, "door not configured")

    def __init__(self, door: Door, settings=None):
        self.door = door
        self.settings = settings

    @classmethod
    def missing(cls, door: Door) -> list[str]:
        """The required credentials and options this door lacks (``options.`` prefixed)."""
        return ([key for key in cls.required_credentials if not door.credentials.get(key)]
                + [f"options.{key}" for key in cls.required_options
                   if not str(door.options.get(key) or "").strip()])

    @classmethod
    def unknown_options(cls, door: Door) -> list[str]:
        if cls.known_options is None:
            return []
        return sorted(key for key in door.options if key not in cls.known_options
                      and key not in COMMON_OPTIONS and not str(key).startswith("_"))

    def configured(self) -> bool:
        return not self.missing(self.door)

    def authenticate(self, request: WebRequest) -> WebResponse | None:
        """What the gateway calls first on every request to a door: refuse every call while
        the door lacks a declared requirement (``not_configured``, so the provider retries),
        answer a verification handshake (GET), else ``verify``. Returns the handshake's
        answer, or None once the request is verified. Adapters implement ``verify`` and
        ``challenge``, not this."""
        if self.missing(self.door):
            raise Rejected(*self.not_configured)
        if request.method == "GET":
            answer = self.challenge(request)
            if answer is not None:
                return answer
        self.verify(request)
        return None

    def verify(self, request: WebRequest) -> None:
        """Raise Rejected(401|403, reason) unless the request is genuinely from the provider."""
        raise NotImplementedError

    def parse(self, request: WebRequest) -> list[InboundMessage]:
        """Return the citizen messages in the request ([] for events to ignore);
        raise Rejected(400, reason) for a body that cannot be read."""
        raise NotImplementedError

    def respond(self, outcomes: list[Outcome]) -> WebResponse:
        """The answer the provider expects once every message is durably queued."""
        return WebResponse(200, b"OK")

    def challenge(self, request: WebRequest) -> WebResponse | None:
        """Answer a provider's verification handshake (a GET), or None if not one."""
        return None

    def send(self, message: OutboundMessage) -> str | None:
        """Deliver a reply on the channel; return the provider's id of the message sent
        (for its delivery reports) or None; raise SendError on failure."""
        raise SendError(f"channel {self.name} cannot send replies", permanent=True)

    def status_target(self) -> str:
        """Who hears of a status change of this door's complaints: ``reporter`` (a notice to
        the citizen's handle, through ``send``), ``door`` (one call to the door's owner with
        the public status, whatever the reporter left: a webhook door's callback) or ''
        (nobody)."""
        return "reporter"

    def delivery_reports(self, request: WebRequest) -> list[DeliveryReport]:
        """The provider's delivery reports of our replies in a verified request ([] when
        it holds none). Called after ``verify``, beside ``parse``."""
        return []

    def fetch_media(self, attachment: Attachment) -> tuple[bytes, str]:
        """Download an attachment from the provider with the door's credentials; return
        (bytes, content type). Called by the media worker after the acknowledgement;
        raise SendError (retryable or permanent) on failure."""
        raise SendError(f"channel {self.name} has no media to fetch", permanent=True)
