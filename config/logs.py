"""How every process logs: plain lines or JSON lines, each carrying its context.

``configure(level, fmt)`` sets the root logger up once per process (the web side, the
forwarder, the notifier, the media worker, every CLI command). ``fmt`` is ``text`` (one
readable line) or ``json`` (``LAPOR_LOG_FORMAT``; the default in production): one JSON
object per line, written by python-json-logger's formatter, a plain ``logging.Formatter``,
so every existing ``logging`` call and every handler (the tests' privacy watch) stay as
they are.

The context (``request_id``, ``door``, ``complaint_id``) lives in context variables (one
per thread or greenlet) and is copied onto every log record by the record factory
installed here, whichever handler formats it. ``log_context(door=..., complaint_id=...)``
sets it for a block. It holds ids only: a reporter's identity is never a context field.

A request id comes from the caller's ``X-Request-ID`` only when it is well-formed
(``REQUEST_ID``: 8 to 64 characters of letters, digits and ``-_.:``); anything else, a
line break or an identity pasted into the header, is replaced by a generated one.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import secrets

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
CONTEXT_FIELDS = ("request_id", "door", "complaint_id")
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")

_CONTEXT = {name: contextvars.ContextVar(f"lapor_log_{name}", default=None)
            for name in CONTEXT_FIELDS}


def request_id_from(header: str | None) -> str:
    """The caller's request id when well-formed, otherwise a new random one."""
    if header and REQUEST_ID.fullmatch(header):
        return header
    return secrets.token_hex(16)


def set_context(**fields) -> list:
    """Set context fields (``None`` clears one); returns the tokens for ``reset_context``."""
    return [_CONTEXT[name].set(value) for name, value in fields.items()]


def reset_context(tokens: list) -> None:
    for token in reversed(tokens):
        token.var.reset(token)


@contextlib.contextmanager
def log_context(**fields):
    """Within the block, every log line carries these fields (``door``, ``complaint_id``...)."""
    tokens = set_context(**fields)
    try:
        yield
    finally:
        reset_context(tokens)


def _with_context(factory):
    def make_record(*args, **kwargs):
        record = factory(*args, **kwargs)
        for name, variable in _CONTEXT.items():
            value = variable.get()
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return record
    make_record.lapor_context = True
    return make_record


def install_record_factory() -> None:
    """Copy the context onto every record (once per process, whoever formats it)."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "lapor_context", False):
        logging.setLogRecordFactory(_with_context(factory))


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, message, and the context fields."""
    return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "time", "levelname": "level",
                                        "name": "logger"},
                         json_ensure_ascii=True)


def formatter(fmt: str) -> logging.Formatter:
    return json_formatter() if fmt == "json" else _TextFormatter(TEXT_FORMAT)


class _TextFormatter(logging.Formatter):
    """The readable line, with the context fields appended when set."""

    def format(self, record):
        line = super().format(record)
        extra = " ".join(f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS
                         if getattr(record, name, None))
        return f"{line} [{extra}]" if extra else line


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """The root logger writes to stderr at ``level`` in ``fmt`` (text or json). Like
    ``logging.basicConfig``, a root logger that already has handlers of others (a test
    run's) keeps them and gets none of ours; ours is re-formatted on a second call."""
    install_record_factory()
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if getattr(handler, "lapor", False)]
    if ours or not root.handlers:
        handler = ours[0] if ours else logging.StreamHandler()
        handler.lapor = True
        handler.setFormatter(formatter(fmt))
        if not ours:
            root.addHandler(handler)
        root.setLevel(level)
