"""The Procfile's ``web`` line and ``lapor-gateway web``/``run`` serve the app the same way:
gunicorn with the gevent worker (slow clients hold no thread; see
``tests/security/test_slow_clients.py``), the same connection limit, graceful time-out and
an access log without query strings."""
from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings
from gateway.processes import gunicorn_command

PROCFILE = Path(__file__).parents[2] / "Procfile"


def test_the_procfile_web_line_is_the_web_command():
    [line] = [line for line in PROCFILE.read_text().splitlines() if line.startswith("web:")]
    procfile = shlex.split(line.removeprefix("web:"))
    command = gunicorn_command("0.0.0.0", 8000, 2)
    assert procfile[0] == "gunicorn" and procfile[-1] == command[-1] == "gateway.app:create_app()"
    for flag in ("--worker-class", "--worker-connections", "--graceful-timeout",
                 "--access-logformat"):
        assert procfile[procfile.index(flag) + 1] == command[command.index(flag) + 1], flag
    assert command[command.index("--worker-class") + 1] == "gevent"
    assert "%(U)s" in command[command.index("--access-logformat") + 1]      # path, no query


def test_the_body_deadline_is_a_validated_setting(tmp_path):
    base = {"LAPOR_DATA_DIR": str(tmp_path)}
    assert load_settings(base).body_timeout_seconds == 60.0
    assert load_settings({**base, "LAPOR_BODY_TIMEOUT_SECONDS": "7.5"}).body_timeout_seconds == 7.5
    for bad in ("0", "-1", "soon"):
        with pytest.raises(SettingsError, match="^LAPOR_BODY_TIMEOUT_SECONDS: "):
            load_settings({**base, "LAPOR_BODY_TIMEOUT_SECONDS": bad})
