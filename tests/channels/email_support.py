"""Real mail servers for the e-mail door's tests, on loopback: an ``aiosmtpd`` relay that
captures what the gateway sends (its acknowledgements), a Dovecot IMAP server (Debian's
``dovecot-imapd``) with one passwd-file user and a Maildir the tests deliver into, and mail
builders. Nothing is faked: the gateway's own SMTP server, ``smtplib`` and ``imap-tools``
talk to these over TCP."""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from email.message import EmailMessage
from email.parser import BytesParser
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.helpers import free_port, wait_for

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


@pytest.fixture(scope="session")
def dovecot():
    if not Path("/usr/sbin/dovecot").exists():
        pytest.fail("dovecot-imapd is not installed; scripts/test.sh installs it")
    # Not under pytest's tmp folders (700 down the path): Dovecot's auth and mail processes
    # run as its own users and must reach the passwd file and the Maildir.
    base = Path(tempfile.mkdtemp(prefix="lapor-dovecot-"))
    if os.getuid() == 0:        # Dovecot refuses mail access as root: the mail user is dovecot's
        internal = login = "dovecot"
        entry = pwd.getpwnam("dovecot")
        uid, gid = entry.pw_uid, entry.pw_gid
        login = "dovenull" if _has_user("dovenull") else "dovecot"
    else:
        internal = login = pwd.getpwuid(os.getuid()).pw_name
        uid, gid = os.getuid(), os.getgid()
    port = free_port()
    base.chmod(0o755)
    (base / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
    (base / "passwd").chmod(0o644)                     # a test password only
    server = Dovecot(base, port, uid, gid)
    for folder in ("new", "cur", "tmp"):
        (server.maildir / folder).mkdir(parents=True)
    for path in [base / "home", *(base / "home").rglob("*")]:
        os.chown(path, uid, gid)
    (base / "dovecot.conf").write_text(DOVECOT_CONF.format(base=base, port=port, uid=uid, gid=gid,
                                                           internal=internal, login=login))
    process = subprocess.Popen(["/usr/sbin/dovecot", "-F", "-c", str(base / "dovecot.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for(lambda: _listening(port), timeout=20, message="dovecot listening")
    yield server
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(base, ignore_errors=True)


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
