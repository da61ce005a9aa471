"""``lapor-gateway officers ...`` and ``lapor-gateway audit`` as an operator runs them: the
password from a terminal prompt or stdin, accounts listed without secrets, disable and
reset ending sessions, the TOTP URI printed once, every change audited, ``--since``."""
from __future__ import annotations

import fcntl
import io
import json
import os
import subprocess
import sys
import termios
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyotp
import pytest

from gateway.officers.cli import since
from tests.officers.support import login

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))
PASSWORD = "kata-sandi-admin-2026"


class Ran:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run(environ, monkeypatch, capsys):
    """``run(*args, stdin="")``: the console script's command in this process (the parser
    and the command of ``gateway.cli``, with the test's environment and stdin)."""
    from gateway.cli import build_parser

    for name in [name for name in os.environ if name.startswith("LAPOR_")]:
        monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    def command(*args, stdin: str = "") -> Ran:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            parsed = build_parser().parse_args(list(args))
            code = parsed.func(parsed)
        except SystemExit as stopped:
            code = stopped.code if isinstance(stopped.code, int) else 1
            if isinstance(stopped.code, str):
                print(stopped.code, file=sys.stderr)
        printed = capsys.readouterr()
        return Ran(code, printed.out, printed.err)
    return command


def _with_terminal(environ, *args, answers: list[str]) -> str:
    """Run the command on a pseudo-terminal (its controlling tty) and type ``answers`` at
    its prompts (``Password:``, then ``Again:``); what it printed."""
    main, child = os.openpty()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    process = subprocess.Popen([SCRIPT, *args], env={**clean, **environ}, stdin=child, stdout=child,
                               stderr=child, start_new_session=True,
                               preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(child)
    output = b""
    for prompt, answer in zip((b"Password:", b"Again:"), answers):
        while prompt not in output:         # getpass flushes what was typed before its prompt
            output += os.read(main, 1024)
        time.sleep(0.1)
        os.write(main, answer.encode() + b"\n")
    process.wait(60)
    try:
        while chunk := os.read(main, 1024):
            output += chunk
    except OSError:
        pass
    os.close(main)
    return output.decode(errors="replace")


def test_add_from_the_prompt_then_log_in(environ, parts, app):
    printed = _with_terminal(environ, "officers", "add", "admin-pusat", "--agency", "KemenPANRB",
                             "--role", "admin", answers=[PASSWORD, PASSWORD])
    assert "added admin-pusat (admin, KemenPANRB)" in printed and PASSWORD not in printed
    assert login(app.test_client(), "admin-pusat", PASSWORD).status_code == 302


def test_the_prompt_refuses_two_different_passwords(environ, parts):
    printed = _with_terminal(environ, "officers", "add", "budi", "--agency", "X", "--role", "petugas",
                             answers=[PASSWORD, PASSWORD + "x"])
    assert "the two passwords differ" in printed and not parts.store.officers.get("budi")


def test_accounts_from_stdin_list_disable_and_reset(run, parts, app):
    added = run("officers", "add", "sri.supervisor", "--agency", "Dinas Kesehatan",
                 "--role", "supervisor", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert run("officers", "add", "sri.supervisor", "--agency", "X", "--role", "admin",
                stdin=PASSWORD + "\n").returncode != 0                         # exists already
    assert "at least 10" in run("officers", "add", "pendek", "--agency", "X", "--role", "petugas",
                                 stdin="short\n").stderr
    assert run("officers", "add", "Bad Name", "--agency", "X", "--role", "petugas",
                stdin=PASSWORD + "\n").returncode == 2
    assert run("officers", "add", "x1", "--agency", "X", "--role", "raja",
                stdin=PASSWORD + "\n").returncode == 2
    client = app.test_client()
    assert login(client, "sri.supervisor", PASSWORD).status_code == 302

    listed = run("officers", "list")
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row == {"username": "sri.supervisor", "agency": "Dinas Kesehatan", "role": "supervisor",
                   "disabled": False, "totp": False, "locked": False, "created_at": row["created_at"]}
    assert "argon2" not in listed.stdout

    assert run("officers", "disable", "sri.supervisor").returncode == 0
    assert client.get("/petugas/").status_code == 302                            # session ended
    assert login(app.test_client(), "sri.supervisor", PASSWORD).status_code == 401
    assert run("officers", "disable", "nobody").returncode != 0

    for _ in range(5):
        login(app.test_client(), "sri.supervisor", "salah-000000")
    new_password = "kata-sandi-baru-2026"
    reset = run("officers", "reset-password", "sri.supervisor", stdin=new_password + "\n")
    assert reset.returncode == 0, reset.stderr
    assert login(app.test_client(), "sri.supervisor", PASSWORD).status_code == 401
    assert login(app.test_client(), "sri.supervisor", new_password).status_code == 302

    actions = [(row["action"], row["agency"], row["address"]) for row in parts.store.audit.read()
               if row["actor"].startswith("cli:")]
    assert actions == [("officer_add", "Dinas Kesehatan", "cli"), ("officer_disable", "Dinas Kesehatan", "cli"),
                       ("officer_reset_password", "Dinas Kesehatan", "cli")]


def test_totp_enable_prints_the_uri_once_and_the_code_is_then_required(run, parts, app):
    run("officers", "add", "admin-dua", "--agency", "KemenPANRB", "--role", "admin",
         stdin=PASSWORD + "\n")
    enabled = run("officers", "totp", "enable", "admin-dua")
    assert enabled.returncode == 0, enabled.stderr
    [uri] = [line for line in enabled.stdout.splitlines() if line.startswith("otpauth://")]
    totp = pyotp.parse_uri(uri)
    assert "admin-dua" in uri and "issuer=LAPOR" in uri
    listed = run("officers", "list").stdout
    assert '"totp": true' in listed and totp.secret not in listed
    assert login(app.test_client(), "admin-dua", PASSWORD).status_code == 401
    assert login(app.test_client(), "admin-dua", PASSWORD, code=totp.now()).status_code == 302
    assert run("officers", "totp", "disable", "admin-dua").returncode == 0
    assert login(app.test_client(), "admin-dua", PASSWORD).status_code == 302


def test_audit_prints_the_stream_since_a_time_or_a_duration(run, parts, app):
    run("officers", "add", "andi", "--agency", "Dinas PU PERA", "--role", "petugas",
         stdin=PASSWORD + "\n")
    login(app.test_client(), "andi", "salah-000000")
    everything = run("audit")
    rows = [json.loads(line) for line in everything.stdout.splitlines()]
    assert [row["action"] for row in rows] == ["officer_add", "login_failed"]
    assert everything.stderr.strip() == "2 audit entries"
    assert rows[1]["address"] == "127.0.0.1" and rows[1]["actor"] == "andi"
    time.sleep(0.05)
    cut = datetime.now(timezone.utc)
    time.sleep(0.05)
    login(app.test_client(), "andi", PASSWORD)
    later = run("audit", "--since", cut.isoformat())
    assert [json.loads(line)["action"] for line in later.stdout.splitlines()] == ["login"]
    assert len(run("audit", "--since", "1h").stdout.splitlines()) == 3
    assert run("audit", "--since", "kemarin").returncode == 2


def test_since_reads_dates_times_and_durations():
    now = datetime.now(timezone.utc)
    assert since("2026-11-28") == datetime(2026, 11, 28, tzinfo=timezone.utc)
    assert since("2026-11-28T08:00+07:00") == datetime(2026, 11, 28, 1, tzinfo=timezone.utc)
    assert abs(since("24h") - (now - timedelta(hours=24))).total_seconds() < 5
    assert abs(since("7d") - (now - timedelta(days=7))).total_seconds() < 5
    assert abs(since("30m") - (now - timedelta(minutes=30))).total_seconds() < 5
