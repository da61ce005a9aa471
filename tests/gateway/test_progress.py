"""``dead replay`` and ``reconcile`` show a progress bar on a terminal (a pty here) and
stay plain when piped: only their one-line result, no control characters."""
from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))


def _dead_letters(parts, count: int) -> None:
    for n in range(count):
        parts.publisher.publish("dead.complaint", {"id": f"c{n}", "channel": "web"}, f"c{n}",
                                "dead", {"reason": "test", "attempts": 1})


def _env(environ) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    return {**clean, **environ, "COLUMNS": "100", "TERM": "xterm"}


def _on_a_terminal(argv, env) -> str:
    leader, follower = pty.openpty()
    process = subprocess.Popen(argv, env=env, stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_dead_replay_shows_progress_on_a_terminal(parts, environ):
    _dead_letters(parts, 3)
    output = _on_a_terminal([SCRIPT, "dead", "replay"], _env(environ))
    assert "dead replay" in output and "3/3" in output and "\x1b[" in output, output
    assert "replayed 3 dead letter(s)" in output


def test_dead_replay_and_reconcile_stay_plain_when_piped(parts, environ):
    _dead_letters(parts, 2)
    for argv, result in (([SCRIPT, "dead", "replay"], "replayed 2 dead letter(s)\n"),
                         ([SCRIPT, "reconcile", "--older-than", "0"], "re-published 0 complaint(s)\n")):
        done = subprocess.run(argv, env=_env(environ), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout == result and "\x1b" not in done.stdout + done.stderr
        assert "reconcile" not in done.stderr and "dead replay" not in done.stderr


def test_reconcile_shows_progress_on_a_terminal(client, environ):
    for n in range(2):
        assert client.post("/api/v1/complaints", json={
            "classification": "pengaduan", "body": f"Jalan rusak nomor {n} di pasar."}).status_code == 201
    output = _on_a_terminal([SCRIPT, "reconcile", "--older-than", "0"], _env(environ))
    assert "reconcile" in output and "2/2" in output and "\x1b[" in output, output
