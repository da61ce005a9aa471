"""Fixtures of the e-mail door's tests: the SMTP test gateway (the doors of ``support``, the
real SMTP server and notifier on the test's parts, a capturing relay for the replies) and a
real Dovecot IMAP server (Debian's ``dovecot-imapd``, session-wide, on loopback)."""
from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from channels.email import server as smtp_server
from forwarder.notifier import NotifyWorker
from tests.channels.email.support import (DOOR, DOVECOT_CONF, IMAP_PASSWORD, IMAP_USER, STRICT, Dovecot,
                                          _has_user, _listening, relay)
from tests.helpers import free_port, wait_for


@pytest.fixture
def ack_relay():
    with relay() as running:
        yield running


@pytest.fixture
def environ(environ, tmp_path, ack_relay):
    doors = tmp_path / "doors.json"
    web = {"id": "web", "channel": "web", "agency": "KemenPANRB",
           "options": {"notify_via": {"email": "lapor-mail"}}}
    doors.write_text(json.dumps({"extends": "defaults", "doors": [DOOR, STRICT, web]}))
    environ.update(LAPOR_DOORS_FILE=str(doors), LAPOR_MAX_ATTACHMENT_BYTES="2048",
                   LAPOR_SMTP_RELAY_URL=f"smtp://127.0.0.1:{ack_relay.port}",
                   LAPOR_RETRY_BASE_SECONDS="0.05", LAPOR_RETRY_CAP_SECONDS="0.2")
    return environ


@pytest.fixture
def gateway(parts):
    """The SMTP server and the notifier, running on ``parts``; yields the SMTP port."""
    port = free_port()
    controller = smtp_server.start(parts, "127.0.0.1", port)
    stop = threading.Event()
    notifier = threading.Thread(target=NotifyWorker(parts, stop).run, daemon=True)
    notifier.start()
    yield port
    stop.set()
    notifier.join(15)
    controller.stop()


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
