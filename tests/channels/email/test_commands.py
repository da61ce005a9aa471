"""The e-mail door's commands and guide: ``lapor-gateway run`` with ``LAPOR_SMTP_PORT`` starts
the SMTP server (real processes: a mail sent with smtplib ends up in the local outbox the
central system would receive), ``check-config`` names a door's missing pieces, and the
guide's door JSON is one the gateway loads."""
from __future__ import annotations

import json
import os
import re
import smtplib
import subprocess
import sys
from email import policy
from pathlib import Path

from channels.email import cli as email_cli
from channels.email.adapter import EmailAdapter
from config.doors import load_catalogue
from config.settings import load_settings
from tests.channels.email.support import mail
from tests.helpers import free_port, stop_gracefully, wait_for

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))
GUIDE = (Path(__file__).parents[3] / "docs" / "channels" / "email.md").read_text("utf-8")
DOOR = {"id": "lapor-mail", "channel": "email", "agency": "Dinas PU",
        "options": {"address": "lapor@dinas.test"}}


def _env(environ, tmp_path, doors) -> dict:
    path = tmp_path / "doors.json"
    path.write_text(json.dumps({"extends": "defaults", "doors": doors}), "utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    return {**clean, **environ, "LAPOR_DOORS_FILE": str(path)}


def test_run_starts_the_smtp_server_when_its_port_is_set(environ, tmp_path):
    port = free_port()
    env = {**_env(environ, tmp_path, [DOOR]), "LAPOR_SMTP_PORT": str(port)}
    process = subprocess.Popen([SCRIPT, "run", "--port", str(free_port())], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    outbox = Path(environ["LAPOR_DATA_DIR"]) / "central-outbox.jsonl"
    try:
        wait_for(lambda: _accepts(port), timeout=60, interval=0.2, message="smtp listening")
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.sendmail("warga@warga.test", ["lapor@dinas.test"],
                            mail("Pohon tumbang menutup jalan.", sender="warga@warga.test",
                                 to="lapor@dinas.test").as_bytes(policy=policy.SMTP))
        wait_for(lambda: outbox.exists() and "Pohon tumbang" in outbox.read_text("utf-8"),
                 timeout=60, interval=0.2, message="the mail delivered as a complaint")
    finally:
        output = stop_gracefully(process)
    assert process.returncode == 0, output[-3000:]
    assert "door lapor-mail SMTP server started (e-mail)" in output
    assert "Traceback" not in output and "warga@warga.test" not in output, output[-3000:]


def _accepts(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=2) as client:
            return client.noop()[0] == 250
    except OSError:
        return False


def test_run_starts_the_smtp_server_only_with_its_port_and_a_poller_per_mailbox(environ, tmp_path,
                                                                              monkeypatch):
    polled = {**DOOR, "id": "kotak", "options": {"address": "kotak@dinas.test",
                                                 "imap_url": "imaps://imap.dinas.test/INBOX"}}
    for name, value in _env(environ, tmp_path, [DOOR, polled]).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LAPOR_SMTP_PORT", raising=False)
    catalogue = load_catalogue(load_settings())
    [poller] = email_cli.background(catalogue)
    assert poller.argv == ["imap", "poll", "--door", "kotak"] and poller.name == "imap-kotak"
    monkeypatch.setenv("LAPOR_SMTP_PORT", "2525")
    smtp, _poller = email_cli.background(catalogue)
    assert smtp.argv == ["smtp"] and smtp.doors == ["lapor-mail", "kotak"]


def test_check_config_names_what_a_door_lacks(environ, tmp_path):
    strict = {**DOOR, "id": "ketat", "options": {"address": "ketat@dinas.test", "require_dmarc_pass": True}}
    polled = {**DOOR, "id": "kotak", "options": {"address": "kotak@dinas.test",
                                                 "imap_url": "imaps://imap.dinas.test/INBOX"}}
    env = _env(environ, tmp_path, [strict, polled])
    result = subprocess.run([SCRIPT, "check-config"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "door ketat: require_dmarc_pass needs options.authserv_id" in result.stderr + result.stdout
    assert "door kotak: the IMAP poller needs the username and password" in result.stderr + result.stdout


def test_the_guide_shows_a_door_the_gateway_loads_and_every_option():
    block = re.findall(r"```json\n(.*?)```", GUIDE, re.S)[0]
    door = json.loads(block)
    assert door["channel"] == "email" and not EmailAdapter.unknown_options(
        load_catalogue(load_settings({"LAPOR_SECRET_KEY": "k" * 16, "LAPOR_DATA_DIR": "/tmp"})).doors["web"]
        .__class__(**{**door, "label": "", "credentials": {}}))
    for option in EmailAdapter.known_options:
        assert f"`{option}`" in GUIDE
    for command in ("lapor-gateway smtp --port 2525", "lapor-gateway imap poll --door lapor-mail"):
        assert command in GUIDE
