"""The Telegram operator's guide (docs/channels/telegram.md) shows what the code runs: the
door the tests load, its environment variables, the CLI command and options, the update
types registered, and the command menu."""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from channels.telegram import cli as telegram_admin
from channels.telegram.payload import translate_command
from tests.channels.telegram_support import DOORS_FILE
from tests.helpers import as_documented

GUIDE = (Path(__file__).parents[2] / "docs" / "channels" / "telegram.md").read_text("utf-8")


def test_guide_shows_the_door_the_tests_load():
    [block] = re.findall(r"```json\n(.*?)```", GUIDE, re.S)
    doors = {door["id"]: as_documented(door) for door in json.loads(DOORS_FILE.read_text("utf-8"))["doors"]}
    shown = json.loads(block)
    assert shown == doors["telegram"]
    for name in list(shown["credentials"].values()) + list(shown["options"].values()):
        assert f"`{name}`" in GUIDE


def test_guide_shows_the_cli_and_its_options():
    parser = argparse.ArgumentParser(prog="lapor-gateway")
    telegram_admin.register(parser.add_subparsers(dest="command"))
    assert "lapor-gateway telegram set-webhook --door telegram" in GUIDE
    assert "lapor-gateway telegram webhook-info" in GUIDE
    for option in ("--door", "--drop-pending-updates"):
        assert option in GUIDE
        parser.parse_args(["telegram", "set-webhook", option] + (["telegram"] if option == "--door" else []))
    assert f"allowed_updates = {json.dumps(list(telegram_admin.ALLOWED_UPDATES))}" in GUIDE


def test_guide_lists_the_command_menu_and_what_commands_mean():
    for name in telegram_admin.MENU:
        assert f"`/{name}`" in GUIDE
    rows = {"`/start`, `/help`, `/bantuan`, any unknown command": "BANTUAN",
            "`/status <nomor>`, `/cek <nomor>`": "CEK <digits>",
            "`/stop`, `/berhenti` / `/mulai`": "STOP` / `MULAI"}
    for commands, reading in rows.items():
        assert f"| {commands} | `{reading}` |" in GUIDE
    assert translate_command("/cek 2741-0935-882") == ("CEK 27410935882", False)
    assert translate_command("/baru Lampu mati") == ("Lampu mati", True)
