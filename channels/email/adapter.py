"""E-mail door (channel ``email``): complaints sent to an agency's mailbox.

Mail comes in two ways, both through ``read_mail`` and then the same intake as every door:
the gateway's own SMTP server (``channels/email/server.py``, ``lapor-gateway smtp``), which
picks the door by the recipient address (option ``address``), and the IMAP poller of an
existing mailbox (``channels/email/poller.py``, ``lapor-gateway imap poll --door ID``).
Neither is HTTP: ``/in/<door>`` refuses every request to an e-mail door (405).

* ``read_mail(raw, envelope_sender, peer)`` -> ``Reading``: the ``InboundMessage`` (the
  ``Message-ID`` as provider message id; ``sender_kind`` ``email``; ``thread_refs`` and
  ``names_tracking`` make a reply to an earlier mail, or a mail naming a tracking number in
  its subject, a follow-up of that complaint when it is the same reporter's), the
  attachments' bytes (stored by the intake before the complaint is queued), or why the
  mail is no complaint (``ignored``: auto-replies and bounces, never answered) or is
  refused (``refused``: DMARC did not pass on a door with ``require_dmarc_pass``).
* ``meta``: ``authentication`` (the trusted ``Authentication-Results`` verdict:
  ``channels/email/auth.py``) and ``attachments_dropped`` when some were over the limits.
* ``body_fingerprint``: a keyed hash of the sender, subject, text and attachments: the
  Message-ID is the sender's choice, so the same id with another mail is refused (SMTP
  550) instead of answering with someone else's tracking number.
* ``send``: the reply as a mail from the door's ``address`` through ``LAPOR_SMTP_RELAY_URL``
  (``channels/email/client.py``), threaded (``In-Reply-To``/``References``: the citizen's
  ``Message-ID``), subject ``[LAPOR! 2741-0935-882] ...`` in the citizen's language,
  ``Auto-Submitted: auto-replied`` so that no auto-responder answers it (RFC 3834).

Door settings: ``docs/channels/email.md``.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formataddr, format_datetime, make_msgid

from channels.base import ChannelAdapter, Rejected, SendError, UploadedFile, WebRequest
from channels.email import auth, client, payload
from config import messages
from normalizer import tracking
from normalizer.values import InboundMessage, OutboundMessage


@dataclass(frozen=True)
class Reading:
    """What one mail is for the door: a ``message`` with its ``uploads``, or the reason it
    is ``ignored`` (not a complaint) or ``refused`` (the door's rules)."""
    message: InboundMessage | None
    uploads: tuple[UploadedFile, ...] = ()
    ignored: str = ""
    refused: str = ""


def truthy(value) -> bool:
    return value is True or str(value or "").strip().lower() in ("1", "true", "yes", "on")


def addresses(door) -> tuple[str, ...]:
    """The recipient addresses of a door (option ``address``: one, or several comma-separated),
    lower-cased; the first is the ``From`` of its replies."""
    raw = door.options.get("address") or ""
    items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    return tuple(item.strip().lower() for item in items if "@" in str(item))


class EmailAdapter(ChannelAdapter):
    name = "email"
    replies_inline = False
    required_options = ("address",)
    known_options = frozenset({"address", "authserv_id", "trusted_relays", "require_dmarc_pass",
                               "imap_url", "poll_interval", "sender_name"})

    def verify(self, request: WebRequest) -> None:
        raise Rejected(405, "this door takes e-mail (SMTP or IMAP), not HTTP")

    def parse(self, request: WebRequest) -> list[InboundMessage]:
        raise Rejected(405, "this door takes e-mail (SMTP or IMAP), not HTTP")

    # ----- mail in ------------------------------------------------------------------------
    def limits(self) -> payload.Limits:
        if self.settings is None:
            return payload.Limits()
        return payload.Limits(self.settings.max_attachments, self.settings.max_attachment_bytes)

    def verdict(self, mail: payload.Mail, peer: str | None) -> dict:
        relays = self.door.options.get("trusted_relays") or ()
        relays = relays.split(",") if isinstance(relays, str) else relays
        if not auth.trusted_peer(peer, relays):
            return {"trusted": "none"}
        return auth.verdict(list(mail.auth_headers), str(self.door.options.get("authserv_id") or ""))

    def read_mail(self, raw: bytes, envelope_sender: str | None = None,
                  peer: str | None = None) -> Reading:
        """One mail as the door takes it (see the module docstring)."""
        mail = payload.read(raw, self.limits(), envelope_sender)
        if mail.automatic:
            return Reading(None, ignored=mail.automatic)
        verdict = self.verdict(mail, peer)
        if truthy(self.door.options.get("require_dmarc_pass")) and verdict.get("dmarc") != "pass":
            base = self.settings.public_base_url if self.settings is not None else ""
            return Reading(None, refused="DMARC did not pass; this LAPOR! door takes only "
                                         f"authenticated mail: use the web form at {base}/lapor instead")
        meta = {"authentication": verdict}
        if mail.dropped:
            meta["attachments_dropped"] = mail.dropped
        message = InboundMessage(
            door_id=self.door.id, channel=self.name, provider_message_id=mail.message_id,
            sender=mail.sender, sender_kind="email" if mail.sender else "none", text=mail.text,
            received_at=datetime.now(timezone.utc), sent_at=mail.sent_at,
            recipient=(addresses(self.door) or ("",))[0], sender_name=mail.sender_name,
            title=mail.title, language=mail.language, new_thread=True, meta=meta,
            thread_refs=mail.thread_refs, names_tracking=mail.tracking_number)
        return Reading(replace(message, body_fingerprint=self.fingerprint(mail)), mail.uploads)

    def fingerprint(self, mail: payload.Mail) -> str:
        key = (self.settings.secret_key if self.settings is not None else "").encode()
        digests = ",".join(hashlib.sha256(upload.data).hexdigest() for upload in mail.uploads)
        content = "\x1f".join((mail.sender, mail.title, mail.text, digests))
        return hmac.new(key, b"mail\x1f" + content.encode("utf-8", "surrogatepass"),
                        hashlib.sha256).hexdigest()

    # ----- mail out -----------------------------------------------------------------------
    def compose(self, message: OutboundMessage) -> EmailMessage:
        """The reply as a mail (threaded, tagged with the tracking number, auto-replied)."""
        sender = (addresses(self.door) or ("",))[0]
        if not sender:
            raise SendError(f"door {self.door.id} has no address to send from", permanent=True)
        key = {"ack": "email_subject_ack", "status": "email_subject_status"}.get(
            message.kind, "email_subject_answer")
        subject = messages.text(key, message.language)
        if message.tracking_number:
            subject = f"[LAPOR! {tracking.display(message.tracking_number)}] {subject}"
        mail = EmailMessage()
        mail["From"] = formataddr((str(self.door.options.get("sender_name") or "LAPOR!"), sender))
        mail["To"] = message.to
        mail["Subject"] = subject
        mail["Date"] = format_datetime(datetime.now(timezone.utc))
        mail["Message-ID"] = make_msgid("lapor", domain=sender.rpartition("@")[2])
        mail["Auto-Submitted"] = "auto-replied"
        mail["Content-Language"] = messages.language(message.language)
        if message.reply_to and not message.reply_to.startswith("sha256:"):
            mail["In-Reply-To"] = f"<{message.reply_to}>"
            mail["References"] = f"<{message.reply_to}>"
        mail.set_content(message.text)
        return mail

    def send(self, message: OutboundMessage) -> str | None:
        if "@" not in message.to:
            raise SendError("not an e-mail address", permanent=True)
        try:
            mail = self.compose(message)
        except (ValueError, TypeError):     # an address the email package will not write
            raise SendError("not a valid e-mail address", permanent=True) from None
        relay = self.settings.smtp_relay_url if self.settings is not None else ""
        client.Relay(relay).send(mail, (addresses(self.door) or ("",))[0], message.to)
        return str(mail["Message-ID"]).strip("<>")
