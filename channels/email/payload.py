"""An e-mail, as the raw bytes an SMTP client or an IMAP server gave, -> the parts of a complaint.

Parsed with the standard library's ``email`` package and ``policy.default`` (RFC 2047
encoded words decoded, addresses parsed, ``get_body`` choosing the body). ``read(raw, ...)``
returns a ``Mail``:

* ``message_id``: the ``Message-ID`` without its angle brackets: the provider message id
  (an MTA's retry sends the same one; dedup). A mail without one gets ``sha256:<digest of
  the raw bytes>``, the same for the same retried bytes.
* ``sender``: the ``From`` address, lower-cased (``identity.normalize_handle``); a ``+tag``
  is kept (``budi+lapor@`` is the mailbox that wrote and the one answered; only some
  providers treat tags as the same mailbox). ``sender_name``: the display name.
* ``title``: the decoded subject without ``Re:``/``Fwd:``/``Bls:`` prefixes and our
  ``[LAPOR! ...]`` tag; ``tracking_number``: a valid number (check digit) in the subject.
* ``text``: ``text/plain`` preferred, an HTML-only mail turned into text; quoted replies and
  the signature cut (``channels/email/body.py``).
* ``uploads``: attachments within the limits (count, bytes, and a JPEG, PNG, GIF, WebP or
  PDF judged by its bytes, as for the web form: ``channels/uploads.py``); ``dropped`` counts
  the others, which are left out and flagged, never a reason to refuse the mail.
* ``thread_refs``: ``In-Reply-To`` and ``References`` ids (a reply to an earlier mail).
* ``automatic``: why the mail is an auto-reply or a bounce ('' otherwise): such mail is
  never answered and is not a complaint (``Auto-Submitted`` other than ``no``,
  ``Precedence: bulk/junk/list``, a ``MAILER-DAEMON`` sender, an empty return path, a
  delivery report).
* ``language``: ``en`` when ``Content-Language`` says English; Indonesian otherwise.

Sample::

    From: Budi Santoso <Budi@Example.ID>
    To: lapor@jatimprov.go.id
    Subject: =?utf-8?q?Jalan_rusak_di_Jl._Melati?=
    Message-ID: <CAB1234@mail.example.id>
    Content-Type: text/plain; charset=utf-8

    Jalan berlubang besar di depan SDN 3 sejak seminggu.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from channels.base import UploadedFile
from channels.email.body import html_to_text, latest_reply
from channels.uploads import sniff
from normalizer import tracking

MAX_ID_CHARS = 500
_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|bls|balas|tr)\s*:\s*|\[LAPOR!?[^\]]*\]\s*)+", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\d-])(\d{4}-?\d{4}-?\d{3})(?![\d-])")
_MSGID = re.compile(r"<([^<>\s]{1,500})>")
# Python's header classes raise these on some malformed headers (the fuzz test finds them).
HEADER_ERRORS = (ValueError, IndexError, TypeError, AttributeError, LookupError, AssertionError)


@dataclass(frozen=True)
class Limits:
    max_attachments: int = 3
    max_attachment_bytes: int = 5 * 1024 * 1024


@dataclass(frozen=True)
class Mail:
    message_id: str
    sender: str
    sender_name: str
    title: str
    tracking_number: str
    text: str
    uploads: tuple[UploadedFile, ...]
    dropped: int
    thread_refs: tuple[str, ...]
    automatic: str
    language: str
    sent_at: object
    auth_headers: tuple[str, ...]


def header(mail: EmailMessage, name: str) -> str:
    """One header's decoded text ('' when missing or unreadable)."""
    try:
        value = mail.get(name)
        return str(value).strip() if value is not None else ""
    except HEADER_ERRORS:
        return ""


def _all(mail: EmailMessage, name: str) -> list[str]:
    try:
        return [str(value) for value in (mail.get_all(name) or [])]
    except HEADER_ERRORS:
        return []


def _sender(mail: EmailMessage) -> tuple[str, str]:
    """(lower-cased address, display name) of the first ``From`` address, or ('', '')."""
    try:
        addresses = mail["From"].addresses if mail["From"] is not None else ()
        first = addresses[0] if addresses else None
        address = first.addr_spec if first is not None else ""
    except HEADER_ERRORS:
        return "", ""
    if "@" not in address or len(address) > 254:
        return "", ""
    return address.strip().lower(), (first.display_name or "").strip()[:200]


def _message_id(mail: EmailMessage, raw: bytes) -> str:
    found = _MSGID.search(header(mail, "Message-ID"))
    if found:
        return found.group(1)[:MAX_ID_CHARS]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _thread_refs(mail: EmailMessage) -> tuple[str, ...]:
    refs = _MSGID.findall(" ".join(_all(mail, "In-Reply-To") + _all(mail, "References")))
    return tuple(dict.fromkeys(refs))[:50]


def _null_path(mail: EmailMessage, envelope_sender: str | None) -> bool:
    """An empty return path (``MAIL FROM:<>``, ``Return-Path: <>``): a bounce or a report."""
    if envelope_sender is not None:
        return envelope_sender.strip() in ("", "<>")
    return header(mail, "Return-Path").replace(" ", "") == "<>"


def automatic(mail: EmailMessage, envelope_sender: str | None, sender: str) -> str:
    """Why this mail is an auto-reply or a bounce, '' when a person wrote it."""
    submitted = header(mail, "Auto-Submitted").split(";")[0].strip().lower()
    if submitted and submitted != "no":
        return "auto-submitted"
    if header(mail, "Precedence").lower() in ("bulk", "junk", "list"):
        return "precedence"
    if "mailer-daemon" in (sender.split("@")[0] or header(mail, "From").lower()):
        return "mailer-daemon"
    if _null_path(mail, envelope_sender):
        return "empty return path"
    if mail.get_content_type() == "multipart/report":
        return "delivery report"
    return ""


def _text(mail: EmailMessage) -> str:
    try:
        part = mail.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        content = part.get_content()
    except (*HEADER_ERRORS, UnicodeError, KeyError):
        return ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return latest_reply(content)


def _attachments(mail: EmailMessage, limits: Limits) -> tuple[tuple[UploadedFile, ...], int]:
    kept, dropped = [], 0
    try:
        parts = list(mail.iter_attachments()) if mail.is_multipart() else []
    except HEADER_ERRORS:
        parts = []
    for part in parts:
        try:
            data = part.get_payload(decode=True) or b""
            filename = part.get_filename() or ""
        except (*HEADER_ERRORS, UnicodeError):
            dropped += 1
            continue
        if part.is_multipart() or not data:
            continue
        if len(kept) >= limits.max_attachments or len(data) > limits.max_attachment_bytes \
                or sniff(data) is None:
            dropped += 1
            continue
        kept.append(UploadedFile("attachment", str(filename)[:200], part.get_content_type(), data))
    return tuple(kept), dropped


def _subject(mail: EmailMessage) -> tuple[str, str]:
    """(title, tracking number named in the subject or '')."""
    subject = " ".join(header(mail, "Subject").split())[:300]
    numbers = [tracking.compact(found) for found in _NUMBER.findall(subject)]
    named = next((number for number in numbers if tracking.is_valid(number)), "")
    return _PREFIX.sub("", subject).strip(), named


def _sent_at(mail: EmailMessage):
    try:
        sent = parsedate_to_datetime(header(mail, "Date"))
    except (*HEADER_ERRORS, OverflowError):
        return None
    return sent if sent is not None and sent.tzinfo is not None else None


def parse_bytes(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def read(raw: bytes, limits: Limits = Limits(), envelope_sender: str | None = None) -> Mail:
    """The parts of the mail in ``raw``. ``envelope_sender``: SMTP's MAIL FROM ('' for a
    bounce's null path), None when unknown (IMAP: the ``Return-Path`` header then)."""
    mail = parse_bytes(raw)
    sender, name = _sender(mail)
    title, named = _subject(mail)
    uploads, dropped = _attachments(mail, limits)
    language = "en" if header(mail, "Content-Language").lower().startswith("en") else "id"
    return Mail(message_id=_message_id(mail, raw), sender=sender, sender_name=name, title=title,
                tracking_number=named, text=_text(mail), uploads=uploads, dropped=dropped,
                thread_refs=_thread_refs(mail), automatic=automatic(mail, envelope_sender, sender),
                language=language, sent_at=_sent_at(mail),
                auth_headers=tuple(_all(mail, "Authentication-Results")))
