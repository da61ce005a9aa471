"""A real Kannel on loopback for end-to-end tests: bearerbox, smsbox and fakesmsc.

``fakesmsc`` plays the phone network: it connects to bearerbox's fake SMSC port, injects
each line written to its stdin as an MO SMS ("sender receiver text|ucs2 data") and prints
every MT SMS it receives as ``Got message N: <sender receiver type data>``. It reads one
line per wake-up (stdin is a FILE with fgets into a 256-byte buffer), so send one line at a
time and keep lines short. SIGINT stops it cleanly (SIGTERM makes it panic).

Every port comes from ``free_port`` and every listener binds 127.0.0.1; config and logs are
written under the test's ``tmp_path``.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

from config import messages
from tests.helpers import free_port, wait_for

ADMIN_PASSWORD = "admin-e2e"
SENDSMS_USER, SENDSMS_PASSWORD = "lapor", "sendsms-e2e"
_CANDIDATES = {
    "bearerbox": ("bearerbox", "/usr/sbin/bearerbox"),
    "smsbox": ("smsbox", "/usr/sbin/smsbox"),
    "fakesmsc": ("fakesmsc", "/usr/lib/kannel/test/fakesmsc"),
}
_GOT = re.compile(r"Got message \d+: <(.*)>\s*$")


def find_binaries() -> dict[str, str] | None:
    """Paths of bearerbox, smsbox and fakesmsc, or None when any is missing."""
    found = {}
    for name, (command, default) in _CANDIDATES.items():
        path = shutil.which(command) or (default if os.access(default, os.X_OK) else None)
        if path is None:
            return None
        found[name] = path
    return found


@dataclass(frozen=True)
class Ports:
    admin: int
    smsbox: int
    smsc: int
    sendsms: int

    @classmethod
    def pick(cls) -> "Ports":
        return cls(free_port(), free_port(), free_port(), free_port())

    @property
    def sendsms_url(self) -> str:
        return (f"http://127.0.0.1:{self.sendsms}/cgi-bin/sendsms"
                f"?username={SENDSMS_USER}&password={SENDSMS_PASSWORD}")


def sms_service(mode: str, gateway: str, secret: str) -> str:
    """The sms-service group of docs/kannel.md, for get-url or post-url."""
    if mode == "get":
        target = (f'get-url = "{gateway}/in/sms-1708?secret={secret}&from=%p&to=%P&text=%b'
                  '&charset=%C&coding=%c&time=%t&smsc=%i&id=%I"')
    else:
        target = f'post-url = "{gateway}/in/sms-1708?secret={secret}&id=%I"\nsend-sender = true'
    return ("group = sms-service\nkeyword = default\n" + target +
            "\naccept-x-kannel-headers = true\nmax-messages = 1\nconcatenation = false\n")


def config_text(ports: Ports, workdir: Path, service: str) -> str:
    return f"""group = core
admin-port = {ports.admin}
admin-interface = 127.0.0.1
admin-password = {ADMIN_PASSWORD}
admin-allow-ip = 127.0.0.1
smsbox-port = {ports.smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{workdir}/bearerbox.log"
log-level = 0

group = smsc
smsc = fake
smsc-id = FAKE
host = 127.0.0.1
our-host = 127.0.0.1
port = {ports.smsc}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports.smsbox}
sendsms-port = {ports.sendsms}
sendsms-interface = 127.0.0.1
http-request-retry = 2
http-queue-delay = 1
reply-couldnotfetch = "{messages.text('sms_unavailable')}"
log-file = "{workdir}/smsbox.log"
log-level = 0

group = sendsms-user
username = {SENDSMS_USER}
password = {SENDSMS_PASSWORD}

{service}"""


def ucs2_data(text: str) -> str:
    """fakesmsc's ucs2 msgdata: UTF-16BE bytes, URL-encoded (letters and digits literal)."""
    return "".join(chr(b) if chr(b).isascii() and chr(b).isalnum() else f"%{b:02X}"
                   for b in text.encode("utf-16-be"))


@dataclass(frozen=True)
class Mt:
    """An SMS the phone side received."""
    sender: str
    receiver: str
    kind: str
    text: str


def parse_mt(line: str) -> Mt | None:
    match = _GOT.search(line)
    if not match:
        return None
    sender, receiver, kind, data = (match.group(1).split(" ", 3) + [""])[:4]
    if kind == "ucs-2":
        data = unquote_to_bytes(data.replace("+", " ")).decode("utf-16-be")
    return Mt(sender, receiver, kind, data)


class Kannel:
    """bearerbox + smsbox + fakesmsc, started with ``start`` and always ended by ``stop``."""

    def __init__(self, binaries: dict, workdir: Path, ports: Ports, service: str):
        self.binaries, self.workdir, self.ports = binaries, workdir, ports
        self.config = workdir / "kannel.conf"
        self.config.write_text(config_text(ports, workdir, service))
        self.processes: dict[str, subprocess.Popen] = {}
        self._files: list = []
        self._readers: list[threading.Thread] = []
        self.phone_lines: list[str] = []
        self._lock = threading.Lock()

    # ----- life cycle --------------------------------------------------------------------
    def start(self) -> "Kannel":
        self._spawn("bearerbox", [self.binaries["bearerbox"], str(self.config)])
        wait_for(lambda: "FAKE" in self.status(), timeout=10, message="bearerbox admin")
        self._start_phone()
        self._spawn("smsbox", [self.binaries["smsbox"], str(self.config)])
        wait_for(lambda: self._ready(self.status()), timeout=10, interval=0.1,
                 message="smsbox and fakesmsc connected to bearerbox")
        return self

    def _spawn(self, name: str, argv: list[str], **kwargs) -> subprocess.Popen:
        out = kwargs.pop("stdout", None)
        if out is None:
            out = open(self.workdir / f"{name}.out", "wb")
            self._files.append(out)
        process = subprocess.Popen(argv, cwd=self.workdir, stdout=out,
                                   stderr=kwargs.pop("stderr", subprocess.STDOUT), **kwargs)
        self.processes[name] = process
        return process

    def _start_phone(self) -> None:
        for _ in range(20):   # the fake SMSC port opens a moment after the admin port
            phone = self._spawn("fakesmsc", [self.binaries["fakesmsc"], "-H", "127.0.0.1", "-r",
                                             str(self.ports.smsc), "-i", "0.01"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            reader = threading.Thread(target=self._read_phone, args=(phone,), daemon=True)
            reader.start()
            try:
                phone.wait(0.3)
            except subprocess.TimeoutExpired:
                self._readers.append(reader)
                return        # still running: connected
            reader.join(2)
            phone.stdin.close()
            phone.stdout.close()
        raise AssertionError("fakesmsc could not connect to bearerbox")

    def _read_phone(self, phone: subprocess.Popen) -> None:
        for raw in phone.stdout:
            with self._lock:
                self.phone_lines.append(raw.decode("utf-8", "replace"))

    @staticmethod
    def _ready(status: str) -> bool:
        return "smsbox:" in status and re.search(r"FAKE\[FAKE\].*\(online", status) is not None

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.ports.admin}/status.txt?password={ADMIN_PASSWORD}"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return answer.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        phone = self.processes.get("fakesmsc")
        if phone and phone.poll() is None:
            phone.send_signal(signal.SIGINT)
        for name in ("fakesmsc", "smsbox", "bearerbox"):
            if name in self.processes:
                self._end(name, self.processes[name])
        for reader in self._readers:
            reader.join(5)
        for process in self.processes.values():
            for stream in (process.stdin, process.stdout):
                if stream and not stream.closed:
                    stream.close()
        for handle in self._files:
            handle.close()

    @staticmethod
    def _end(name: str, process: subprocess.Popen) -> None:
        """SIGTERM a box (fakesmsc had SIGINT), wait 5 s, then SIGKILL."""
        if process.poll() is None and name != "fakesmsc":
            process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    # ----- the phone side --------------------------------------------------------------------
    def send_sms(self, sender: str, text: str, ucs2: bool = False, to: str = "1708") -> None:
        data = ucs2_data(text) if ucs2 else text
        line = f"{sender} {to} {'ucs2' if ucs2 else 'text'} {data}\n"
        assert len(line) < 250, "fakesmsc reads at most 255 bytes a line"
        phone = self.processes["fakesmsc"]
        phone.stdin.write(line.encode("utf-8"))
        phone.stdin.flush()

    def received(self) -> list[Mt]:
        with self._lock:
            lines = list(self.phone_lines)
        return [mt for mt in map(parse_mt, lines) if mt is not None]

    def wait_sms_to(self, number: str, count: int = 1, timeout: float = 10.0) -> list[Mt]:
        """The SMS delivered to ``number`` once there are ``count`` of them."""
        def arrived():
            found = [mt for mt in self.received() if mt.receiver == number]
            return found if len(found) >= count else None
        try:
            return wait_for(arrived, timeout=timeout, interval=0.05, message=f"SMS to {number}")
        except AssertionError:
            raise AssertionError(f"no SMS to {number} within {timeout}s; logs:\n{self.logs()}") from None

    def logs(self, lines: int = 15) -> str:
        tails = []
        for name in ("bearerbox.log", "smsbox.log"):
            path = self.workdir / name
            if path.exists():
                tails.append(f"--- {name}\n" + "\n".join(path.read_text("utf-8", "replace")
                                                         .splitlines()[-lines:]))
        with self._lock:
            tails.append("--- fakesmsc\n" + "".join(self.phone_lines[-lines:]))
        return "\n".join(tails)

