"""``lapor-gateway twitter set-webhook`` / ``webhook-info`` (channels/twitter/cli.py),
parsed by the gateway's real argument parser and run with the door's real tweepy client
against a local stand-in for X's API (tests.helpers.Receiver, answers scripted in order)."""
from __future__ import annotations

import json
import os

import pytest

from gateway.cli import build_parser
from tests.channels.twitter_support import CREDENTIALS, environ_for, x_answer
from tests.helpers import Receiver

PUBLIC = "https://lapor.example.go.id"
URL = PUBLIC + "/in/twitter"
HOOK_ID = "1861000000000000900"
HOOK = {"id": HOOK_ID, "url": URL, "valid": True, "created_at": "2026-11-29T02:00:00.000Z"}
SUBSCRIBED = x_answer(200, {"data": {"subscribed": True}})


@pytest.fixture
def x_api():
    with Receiver() as fake:
        yield fake


@pytest.fixture
def cli_env(environ, x_api, monkeypatch):
    """The gateway's environment, as the console script reads it from os.environ."""
    for key in [k for k in os.environ if k.startswith("LAPOR_")]:
        monkeypatch.delenv(key)
    for key, value in {**environ, **environ_for(x_api.url), "LAPOR_PUBLIC_BASE_URL": PUBLIC}.items():
        monkeypatch.setenv(key, value)


def cli(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


def calls(x_api) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in x_api.requests]


def assert_nothing_secret(text: str) -> None:
    for value in CREDENTIALS.values():
        assert value not in text
    assert CREDENTIALS["access_token"].split("-")[0] not in text          # the account id


def test_set_webhook_registers_the_door_url_and_subscribes_the_account(cli_env, x_api, capsys):
    x_api.responses = [x_answer(200, {"meta": {"result_count": 0}}),
                       x_answer(200, {"data": HOOK}), SUBSCRIBED,
                       x_answer(200, {"data": [HOOK], "meta": {"result_count": 1}}), SUBSCRIBED]
    assert cli(["twitter", "set-webhook"]) == 0
    subscription = f"/2/account_activity/webhooks/{HOOK_ID}/subscriptions/all"
    assert calls(x_api) == [("GET", "/2/webhooks"), ("POST", "/2/webhooks"), ("POST", subscription),
                            ("GET", "/2/webhooks"), ("GET", subscription)]
    listing, register, subscribe = x_api.requests[:3]
    assert json.loads(register["body"]) == {"url": URL}
    for request in (listing, register):                  # the Webhooks API: app-only bearer
        assert request["headers"]["authorization"] == "Bearer " + CREDENTIALS["bearer_token"]
    oauth = subscribe["headers"]["authorization"]         # the account: OAuth 1.0a user context
    assert oauth.startswith("OAuth ") and f'oauth_consumer_key="{CREDENTIALS["consumer_key"]}"' in oauth
    out = capsys.readouterr()
    assert f"x webhook: {URL} (id {HOOK_ID})" in out.out
    assert "valid (CRC answered): yes; account subscribed: yes" in out.out
    assert_nothing_secret(out.out + out.err)


def test_set_webhook_revalidates_a_webhook_x_already_has(cli_env, x_api, capsys):
    stale = {**HOOK, "valid": False}
    x_api.responses = [x_answer(200, {"data": [stale]}), x_answer(200, {"data": {"valid": True}}),
                       SUBSCRIBED, x_answer(200, {"data": [HOOK]}), SUBSCRIBED]
    assert cli(["twitter", "set-webhook", "--door", "twitter"]) == 0
    assert calls(x_api)[:2] == [("GET", "/2/webhooks"), ("PUT", f"/2/webhooks/{HOOK_ID}")]
    assert "valid (CRC answered): yes" in capsys.readouterr().out


def test_x_refusing_the_registration_is_one_line_and_exit_1(cli_env, x_api, capsys):
    x_api.responses = [x_answer(200, {"data": []}),
                       x_answer(400, {"errors": [{"message": "CRC check failed for 12345678"}],
                                      "title": "Invalid Request"})]
    assert cli(["twitter", "set-webhook"]) == 1
    out = capsys.readouterr()
    [line] = out.err.strip().splitlines()
    assert "x webhook registration answered 400" in line and "12345678" not in line
    assert_nothing_secret(out.out + out.err)


def test_set_webhook_needs_the_public_url(cli_env, x_api, monkeypatch, capsys):
    monkeypatch.delenv("LAPOR_PUBLIC_BASE_URL")
    assert cli(["twitter", "set-webhook"]) == 2
    assert "LAPOR_PUBLIC_BASE_URL" in capsys.readouterr().err and x_api.requests == []


def test_set_webhook_refuses_a_door_without_bearer_token(cli_env, x_api, monkeypatch, capsys):
    monkeypatch.setenv("LAPOR_TWITTER_BEARER_TOKEN", "")
    assert cli(["twitter", "set-webhook"]) == 2
    assert "bearer_token is not set" in capsys.readouterr().err and x_api.requests == []


def test_webhook_info_says_when_the_door_is_not_registered(cli_env, x_api, capsys):
    other = {**HOOK, "id": "1", "url": "https://other.example.go.id/in/twitter"}
    x_api.responses = [x_answer(200, {"data": [other]})]
    assert cli(["twitter", "webhook-info"]) == 0
    out = capsys.readouterr().out
    assert f"{URL} is not registered" in out and "another webhook of this app: https://other" in out
    assert calls(x_api) == [("GET", "/2/webhooks")]
