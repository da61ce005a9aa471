"""``lapor-gateway telegram set-webhook`` / ``webhook-info`` (channels/telegram/cli.py),
parsed with the argparse lines the gateway's CLI adds and run against a local stand-in for
the Bot API (tests/channels/telegram_fake.py)."""
from __future__ import annotations

import argparse
import json
import os

import pytest

from channels.telegram import cli as telegram_admin
from channels.telegram.payload import translate_command
from config import messages
from tests.channels.telegram_fake import FakeBotApi
from tests.channels.telegram_support import (BOT_TOKEN, CASES, HEADER, PATH, SECRET_TOKEN,
                                             environ_for, raw_body)


@pytest.fixture
def bot_api():
    with FakeBotApi(BOT_TOKEN) as api:
        yield api


@pytest.fixture
def environ(environ, bot_api):
    environ.update(environ_for(bot_api.url))
    return environ


@pytest.fixture
def cli_env(environ, bot_api, monkeypatch):
    """The gateway's environment, as the console script reads it from os.environ."""
    for key in [k for k in os.environ if k.startswith("LAPOR_")]:
        monkeypatch.delenv(key)
    values = {**environ, "LAPOR_PUBLIC_BASE_URL": "https://lapor.example.go.id/"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def cli(argv: list[str]) -> int:
    """Parse argv with the lines the gateway's CLI adds (see the docs), then run."""
    parser = argparse.ArgumentParser(prog="lapor-gateway")
    telegram_admin.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_set_webhook_registers_url_secret_and_updates(cli_env, bot_api, capsys):
    assert cli(["telegram", "set-webhook", "--door", "telegram", "--drop-pending-updates"]) == 0
    [call] = bot_api.method_calls("setWebhook")
    assert call["url"] == "https://lapor.example.go.id/in/telegram"
    assert call["secret_token"] == SECRET_TOKEN
    assert json.loads(call["allowed_updates"]) == ["message", "edited_message"]
    assert call["drop_pending_updates"] == "true"
    indonesian, english = bot_api.method_calls("setMyCommands")
    assert "language_code" not in indonesian and english["language_code"] == "en"
    for params, lang in ((indonesian, "id"), (english, "en")):
        assert json.loads(params["commands"]) == [
            {"command": name, "description": messages.text(f"telegram_command_{name}", lang)}
            for name in ("status", "baru", "bantuan", "stop", "mulai")]
    out, err = capsys.readouterr()
    assert "telegram webhook: https://lapor.example.go.id/in/telegram" in out
    assert "allowed updates: message, edited_message; pending updates: 0" in out
    assert SECRET_TOKEN not in out + err and BOT_TOKEN not in out + err


def test_registered_secret_is_what_the_door_accepts(cli_env, bot_api, client):
    assert cli(["telegram", "set-webhook", "--door", "telegram"]) == 0
    secret = bot_api.method_calls("setWebhook")[0]["secret_token"]
    assert bot_api.method_calls("setWebhook")[0]["drop_pending_updates"] == "false"
    response = client.post(PATH, data=raw_body(CASES["text"]),
                           headers={HEADER: secret, "Content-Type": "application/json"})
    assert response.status_code == 200


def test_command_menu_is_what_the_adapter_reads():
    """Every command in the menu means something to the adapter (none falls back to help
    except /bantuan itself), and every description fits Telegram's 3-256 characters."""
    meanings = {name: translate_command(f"/{name} 27410935882")[0].split(" ")[0]
                for name in telegram_admin.MENU}
    assert meanings == {"status": "CEK", "baru": "27410935882", "bantuan": "BANTUAN",
                        "stop": "STOP", "mulai": "MULAI"}
    for lang in ("id", "en"):
        assert all(3 <= len(command.description) <= 256 for command in telegram_admin.command_menu(lang))


def test_set_webhook_needs_a_door_choice_when_there_are_two(cli_env, bot_api, capsys):
    assert cli(["telegram", "set-webhook"]) == 2
    assert "several telegram doors: choose one with --door (telegram, telegram-jatim)" in capsys.readouterr().err
    assert bot_api.calls == []


def test_set_webhook_refuses_a_door_without_token(cli_env, bot_api, capsys):
    assert cli(["telegram", "set-webhook", "--door", "telegram-jatim"]) == 2
    assert "bot_token is not set" in capsys.readouterr().err and bot_api.calls == []


def test_set_webhook_needs_the_public_url(cli_env, bot_api, monkeypatch, capsys):
    monkeypatch.delenv("LAPOR_PUBLIC_BASE_URL")
    assert cli(["telegram", "set-webhook", "--door", "telegram"]) == 2
    assert "LAPOR_PUBLIC_BASE_URL is not set" in capsys.readouterr().err and bot_api.calls == []


def test_set_webhook_checks_the_secret_token_alphabet(cli_env, bot_api, monkeypatch, capsys):
    monkeypatch.setenv("LAPOR_TELEGRAM_SECRET_TOKEN", "rahasia dengan spasi!")
    assert cli(["telegram", "set-webhook", "--door", "telegram"]) == 2
    err = capsys.readouterr().err
    assert "secret_token must be 1-256 characters" in err and "rahasia" not in err
    assert bot_api.calls == []


def test_set_webhook_reports_telegrams_refusal(cli_env, bot_api, capsys):
    bot_api.fail("setWebhook", 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    assert cli(["telegram", "set-webhook", "--door", "telegram"]) == 1
    err = capsys.readouterr().err
    assert "telegram setWebhook failed: BadRequest" in err
    assert "https url must be provided" in err.lower()
    assert BOT_TOKEN not in err


def test_webhook_info_prints_the_last_error(cli_env, bot_api, capsys):
    bot_api.webhook = {"url": "https://lapor.example.go.id/in/telegram", "allowed_updates": ["message"]}
    bot_api.failures["getWebhookInfo"] = [(200, {"ok": True, "result": {
        "url": "https://lapor.example.go.id/in/telegram", "has_custom_certificate": False,
        "pending_update_count": 3, "last_error_date": 1795516959,
        "last_error_message": "Wrong response from the webhook: 503 Service Unavailable",
        "max_connections": 40, "allowed_updates": ["message", "edited_message"]}})]
    assert cli(["telegram", "webhook-info", "--door", "telegram"]) == 0
    out = capsys.readouterr().out
    assert "pending updates: 3" in out
    assert "last delivery error: Wrong response from the webhook: 503 Service Unavailable" in out
