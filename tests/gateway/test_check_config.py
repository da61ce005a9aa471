"""``lapor-gateway check-config`` as an operator runs it (the real console script, a real
Redis): it refuses a door that lacks a credential its adapter requires and any key nobody
reads, prints each door's full public URL and never a secret; ``LAPOR_DOORS_FILE`` replaces
the defaults or, with ``"extends": "defaults"``, adds to them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.doors import derived_secret, load_catalogue
from config.settings import SettingsError, load_settings
from channels.testing import PUBLIC
from tests.harness import SECRETS

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))
DEFAULTS = json.loads((Path(__file__).parents[2] / "config" / "defaults.json").read_text("utf-8"))
DEFAULT_IDS = [door["id"] for door in DEFAULTS["doors"]]
TELEGRAM_DOOR = {"id": "telegram-jatim", "channel": "telegram", "agency": "Pemprov Jawa Timur",
                 "credentials": {"bot_token": "LAPOR_JATIM_BOT_TOKEN",
                                 "secret_token": "LAPOR_JATIM_SECRET_TOKEN"}}


def check_config(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    return subprocess.run([SCRIPT, "check-config"], env={**clean, **env}, capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def doors_file(tmp_path, environ):
    """Write a doors file and point LAPOR_DOORS_FILE at it."""
    def write(data: dict) -> dict:
        path = tmp_path / "doors.json"
        path.write_text(json.dumps(data), "utf-8")
        environ["LAPOR_DOORS_FILE"] = str(path)
        return environ
    return write


def test_a_door_without_a_required_credential_fails(doors_file):
    env = doors_file({"doors": [TELEGRAM_DOOR]})
    env["LAPOR_JATIM_BOT_TOKEN"] = "123456:AAE-jatim-bot-token-0123456789"
    result = check_config(env)
    assert result.returncode == 2, result.stdout
    assert "door telegram-jatim: missing required LAPOR_JATIM_SECRET_TOKEN" in result.stderr
    assert "123456:AAE" not in result.stdout + result.stderr
    env["LAPOR_JATIM_SECRET_TOKEN"] = "jatim_secret_token_0123"
    assert check_config(env).returncode == 0


def test_a_default_door_half_configured_fails_and_an_unused_one_is_only_noted(environ):
    result = check_config(environ)               # defaults; no provider variable set
    assert result.returncode == 0, result.stderr
    assert "door telegram:" in result.stdout and "not configured yet" in result.stdout
    environ["LAPOR_TELEGRAM_BOT_TOKEN"] = "123456:AAE-national-bot-token-0123"
    result = check_config(environ)
    assert result.returncode == 2
    assert "door telegram: missing required LAPOR_TELEGRAM_SECRET_TOKEN" in result.stderr


@pytest.mark.parametrize("data, named", [
    ({"doors": [{**TELEGRAM_DOOR, "option": {"api_base_url": "http://127.0.0.1:1"}}]}, "'option'"),
    ({"door": [TELEGRAM_DOOR]}, "'door'"),
    ({"doors": [TELEGRAM_DOOR], "extends": "default"}, "extends"),
    ({"doors": [TELEGRAM_DOOR], "routing": [{"topic": "air", "agency": "PDAM", "keyword": ["air"]}]},
     "'keyword'"),
])
def test_unknown_keys_are_refused_with_one_line(doors_file, data, named):
    env = doors_file(data)
    env.update(LAPOR_JATIM_BOT_TOKEN="1:t", LAPOR_JATIM_SECRET_TOKEN="s")
    result = check_config(env)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "LAPOR_DOORS_FILE" in line and named in line and "Traceback" not in result.stderr


def test_every_door_is_printed_with_its_public_url_and_no_secret(environ, security_environ):
    environ.update(security_environ)
    result = check_config(environ)
    assert result.returncode == 0, result.stderr
    for door_id in ("sms-1708", "web", "twilio-sms", "wa-cloud", "telegram", "twitter"):
        assert f"door {door_id}: " in result.stdout and f"url={PUBLIC}/in/{door_id}" in result.stdout
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr
    assert "normalizer: compiled (setup.py, Cython)" in result.stdout    # the suite's install
    del environ["LAPOR_PUBLIC_BASE_URL"]
    result = check_config(environ)        # production: a Twilio door would trust the Host header
    assert result.returncode == 2 and "LAPOR_PUBLIC_BASE_URL" in result.stderr
    result = check_config({**environ, "LAPOR_MODE": "embedded"})
    assert "url=/in/sms-1708" in result.stdout and "set LAPOR_PUBLIC_BASE_URL" in result.stdout


def test_an_embedded_derived_secret_is_named_never_shown(environ):
    environ["LAPOR_MODE"] = "embedded"
    del environ["LAPOR_DOOR_SMS_1708_SECRET"]
    result = check_config(environ)
    assert result.returncode == 0, result.stderr
    derived = derived_secret(environ["LAPOR_SECRET_KEY"], "sms-1708:secret")
    assert derived not in result.stdout + result.stderr
    assert "secret is derived from LAPOR_SECRET_KEY" in result.stdout
    assert "set LAPOR_DOOR_SMS_1708_SECRET" in result.stdout


# ----- LAPOR_DOORS_FILE: replace, or extend the defaults ------------------------------------------
def test_a_doors_file_replaces_the_defaults(doors_file):
    catalogue = load_catalogue(load_settings(doors_file({
        "doors": [TELEGRAM_DOOR], "routing": [{"topic": "air", "agency": "PDAM", "keywords": ["Air"]}]})))
    assert list(catalogue.doors) == ["telegram-jatim"]
    assert [(r.topic, r.keywords) for r in catalogue.routing] == [("air", ("air",))]


def test_extends_defaults_adds_doors_replaces_by_id_and_appends_rules(doors_file):
    web = {"id": "web", "channel": "web", "agency": "Pemprov Jawa Timur"}
    catalogue = load_catalogue(load_settings(doors_file({
        "extends": "defaults", "doors": [web, TELEGRAM_DOOR],
        "routing": [{"topic": "air", "agency": "PDAM", "keywords": ["air"]}]})))
    assert list(catalogue.doors) == DEFAULT_IDS + ["telegram-jatim"]
    assert catalogue.doors["web"].agency == "Pemprov Jawa Timur"
    assert catalogue.doors["web"].options == {}                # replaced whole, not merged
    assert catalogue.doors["sms-1708"].origin == "defaults.json"
    assert catalogue.doors["telegram-jatim"].origin == "LAPOR_DOORS_FILE"
    assert [r.topic for r in catalogue.routing] == [r["topic"] for r in DEFAULTS["routing"]] + ["air"]


def test_a_door_twice_in_the_file_is_still_refused_when_extending(doors_file):
    with pytest.raises(SettingsError, match="appears twice"):
        load_catalogue(load_settings(doors_file({"extends": "defaults",
                                                 "doors": [TELEGRAM_DOOR, TELEGRAM_DOOR]})))


def test_the_readme_doors_examples_load(tmp_path, environ):
    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    section = readme.split("\n## Doors\n", 1)[1].split("\n## ", 1)[0]
    examples = [block.split("\n", 1)[1] for block in section.split("```json")[1:]]
    examples = [json.loads(block.split("```", 1)[0]) for block in examples]
    assert [example.get("extends") for example in examples] == [None, "defaults", "defaults"]
    for example in examples:
        path = tmp_path / "doors.json"
        path.write_text(json.dumps(example), "utf-8")
        catalogue = load_catalogue(load_settings({**environ, "LAPOR_DOORS_FILE": str(path)}))
        assert {door["id"] for door in example.get("doors", [])} <= set(catalogue.doors)
        assert len(catalogue.routing) >= len(example["routing"])


def test_a_door_asking_for_the_poller_needs_what_it_reads_with(doors_file):
    door = {"id": "x-jatim", "channel": "twitter", "agency": "Pemprov Jawa Timur",
            "credentials": {"consumer_secret": "LAPOR_X_JATIM_CONSUMER_SECRET",
                            "bearer_token": "LAPOR_X_JATIM_BEARER_TOKEN"},
            "options": {"poll": True, "account_id": "1708000000000000002"}}
    env = doors_file({"doors": [door]})
    env["LAPOR_X_JATIM_CONSUMER_SECRET"] = "x-jatim-consumer-secret-0123456789"
    result = check_config(env)
    assert result.returncode == 2
    assert "door x-jatim: the mentions poller needs bearer_token" in result.stderr
    env["LAPOR_X_JATIM_BEARER_TOKEN"] = "AAAA-x-jatim-bearer-token"
    result = check_config(env)
    assert result.returncode == 0, result.stderr
    assert "AAAA-x-jatim" not in result.stdout + result.stderr


def test_a_misspelled_option_fails(doors_file):
    door = {**TELEGRAM_DOOR, "options": {"api_base_ur1": "http://127.0.0.1:1"}}
    env = doors_file({"doors": [door]})
    env.update(LAPOR_JATIM_BOT_TOKEN="1:t", LAPOR_JATIM_SECRET_TOKEN="s")
    result = check_config(env)
    assert result.returncode == 2
    assert "door telegram-jatim: unknown option 'api_base_ur1' (known: api_base_url)" in result.stderr


CHANNEL_CODE = {"kannel": ["channels/kannel/*.py"], "web": ["channels/web/*.py", "gateway/*.py"],
                "telegram": ["channels/telegram/*.py"], "twilio": ["channels/twilio/*.py"],
                "whatsapp": ["channels/whatsapp/*.py"], "twitter": ["channels/twitter/*.py"]}


@pytest.mark.parametrize("channel", sorted(CHANNEL_CODE))
def test_every_option_the_code_reads_is_declared(channel):
    import re

    from channels.base import COMMON_OPTIONS
    from channels.registry import available_channels

    adapter = available_channels()[channel].load()
    root = Path(__file__).parents[2]
    code = "".join(path.read_text("utf-8") for pattern in CHANNEL_CODE[channel]
                   for path in sorted(root.glob(pattern)))
    read = set(re.findall(r'(?:options\.get|_option)\("([a-z_]+)"', code))
    assert read and read <= adapter.known_options | COMMON_OPTIONS, read - adapter.known_options
    assert set(adapter.required_options) <= adapter.known_options


def test_a_secret_written_into_the_doors_file_fails_and_is_not_echoed(doors_file):
    door = {**TELEGRAM_DOOR, "credentials": {"bot_token": "LAPOR_JATIM_BOT_TOKEN",
                                             "secret_token": "literal_secret_in_a_file_0123"}}
    env = doors_file({"doors": [door]})
    env["LAPOR_JATIM_BOT_TOKEN"] = "1:t"
    result = check_config(env)
    assert result.returncode == 2
    assert "door telegram-jatim: credentials.secret_token must name a LAPOR_" in result.stderr
    assert "literal_secret_in_a_file" not in result.stdout + result.stderr
