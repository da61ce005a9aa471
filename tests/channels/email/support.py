"""Helpers of the e-mail door's tests: the test doors, an ``aiosmtpd`` relay on loopback that
captures what the gateway sends (its replies), the Dovecot configuration and Maildir
delivery (the server itself is ``conftest.dovecot``), mail builders and ``submit`` (one mail
as an MTA sends it). Nothing is faked: the gateway's own SMTP server, ``smtplib`` and
``imap-tools`` talk to these over TCP."""
from __future__ import annotations

import contextlib
import os
import pwd
import smtplib
import threading
import time
import uuid
from email.message import EmailMessage
from email import policy
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller

from normalizer import tracking

from tests.helpers import free_port, queued_bodies

DOOR = {"id": "lapor-mail", "channel": "email", "agency": "Dinas PU Kota Contoh",
        "options": {"address": "lapor@dinas.test", "authserv_id": "mx.dinas.test",
                    "trusted_relays": ["127.0.0.1/32"]}}
STRICT = {"id": "lapor-ketat", "channel": "email", "agency": "Inspektorat",
          "options": {"address": "ketat@dinas.test", "authserv_id": "mx.dinas.test",
                      "trusted_relays": "127.0.0.1/32", "require_dmarc_pass": True}}
SENDER = "budi.santoso@warga.test"


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
IMAP_USER, IMAP_PASSWORD = "pengaduan@dinas.test", "sandi-imap-123"


class Captured:
    """aiosmtpd handler keeping every mail it is given (envelope and parsed message)."""

    def __init__(self):
        self.mails: list[tuple[str, list[str], EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        mail = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        with self.lock:
            self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), mail))
        return "250 OK"


@contextlib.contextmanager
def relay(port: int | None = None):
    """A receiving SMTP server on 127.0.0.1 (the relay of the acknowledgements)."""
    captured = Captured()
    controller = Controller(captured, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    captured.port = controller.port
    try:
        yield captured
    finally:
        controller.stop()


def mail(text: str = "Jalan berlubang besar di depan SDN 3 sejak seminggu.", *,
         sender: str = "Budi Santoso <budi.santoso@warga.test>", to: str = "lapor@dinas.test",
         subject: str = "Jalan rusak di Jl. Melati", message_id: str | None = None,
         html: str | None = None, headers: dict | None = None,
         attachments: tuple[tuple[str, bytes, str], ...] = ()) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = f"<{message_id or uuid.uuid4().hex}@warga.test>"
    if html is not None and text is None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    for filename, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    for name, value in (headers or {}).items():     # after the content: set_content drops Content-*
        del message[name]
        message[name] = value
    return message


DOVECOT_CONF = """\
first_valid_uid = 1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {base}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/home/%n
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    """A running Dovecot: ``deliver`` puts a mail into the user's Maildir (as an MTA's LDA
    would), ``flags`` reads a mail's flags back from the Maildir file name."""

    def __init__(self, base: Path, port: int, uid: int, gid: int):
        self.base, self.port, self.uid, self.gid = base, port, uid, gid
        self.maildir = base / "home" / IMAP_USER.split("@")[0] / "Maildir"

    def deliver(self, message: EmailMessage) -> str:
        name = f"{time.time():.6f}.{uuid.uuid4().hex}.lapor"
        tmp, new = self.maildir / "tmp" / name, self.maildir / "new" / name
        tmp.write_bytes(bytes(message))
        os.chown(tmp, self.uid, self.gid)
        tmp.rename(new)
        return name

    def clear(self) -> None:
        for folder in ("new", "cur"):
            for path in (self.maildir / folder).iterdir():
                path.unlink()

    def flags(self, name: str) -> str:
        """The Maildir info flags of a delivered mail ('' while unseen in new/)."""
        for path in (self.maildir / "cur").iterdir():
            if path.name.startswith(name):
                return path.name.partition(":2,")[2]
        return ""


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def submit(port: int, message, rcpt: str | None = None, mail_from: str | None = None,
           source: str = "127.0.0.1") -> tuple[int, str]:
    """Send one mail the way an MTA does; the SMTP answer to RCPT (when refused) or DATA."""
    with smtplib.SMTP("127.0.0.1", port, source_address=(source, 0), timeout=20) as client:
        client.ehlo("mx.warga.test")
        client.mail(SENDER if mail_from is None else mail_from)
        code, text = client.rcpt(rcpt or str(message["To"]))
        if code != 250:
            return code, text.decode()
        code, text = client.data(message.as_bytes(policy=policy.SMTP))   # CRLF, as MTAs send
        return code, text.decode()


def number_of(answer: str) -> str:
    return tracking.compact(answer.rsplit(" ", 1)[-1])


def complaint_of(parts, answer: str) -> dict:
    return parts.store.complaint(parts.store.tracking_owner(number_of(answer)))


def queued(parts) -> list[dict]:
    return queued_bodies(parts.store.redis, "lapor.complaints")


def followups(parts) -> list[dict]:
    """The follow-up events on the queue. The notifier running beside the tests also queues a
    ``reply_status`` event once it has sent an acknowledgement; when depends on the relay."""
    return [body for body in queued(parts) if body.get("type") == "followup"]
