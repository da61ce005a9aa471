"""Adding a channel is its package, its cases file, its docs page and one alias line
(docs/architecture.md). Proved with a throwaway channel, ``echo``, defined only under
tests/ (``tests/channels/echo/``: ``adapter.py``, ``testing.py`` with its ``SENDER``, and
``cases.json``): one alias entry, and the channel has its test sender, its door in the
security doors file and environment, rows in the derived tables, its cases pass the
adapter-level runner, and the real gateway takes its deliveries and refuses their forgeries.
"""
from __future__ import annotations

import copy

import pytest

from channels import registry
from channels.registry import build_adapters
from channels.testing import check_case, load_cases
from config.doors import load_catalogue
from config.settings import load_settings
from tests import harness
from tests.channels.echo.testing import SENDER, EchoSender

ALIAS = "tests.channels.echo.adapter:EchoAdapter"


@pytest.fixture
def senders(monkeypatch) -> dict:
    """The one alias line; then the senders as the derived tables find them."""
    monkeypatch.setitem(registry.ALIASES, "echo", ALIAS)
    return harness.registry_senders()


@pytest.fixture
def environ(environ, senders, tmp_path):
    """The security tests' gateway, derived with the new channel registered."""
    environ.update(harness.security_environ(harness.write_security_doors(tmp_path / "doors.json", senders),
                                            senders))
    return environ


def test_one_alias_line_gives_the_channel_its_sender_door_and_table_rows(senders, settings):
    assert isinstance(senders["echo"], EchoSender) and not harness.missing_senders()
    assert set(senders) == set(registry.available_channels())
    door = load_catalogue(settings).doors["echo-1"]
    assert door.channel == "echo" and door.credentials["secret"] == SENDER.environ["LAPOR_SEC_ECHO_SECRET"]
    assert "echo-1" in harness.json_senders(senders)          # the JSON fuzz and hostile-JSON rows
    assert SENDER.secrets[0] in harness.security_environ(settings.doors_file, senders).values()
    assert harness.cases_path("echo", senders["echo"]) == SENDER.cases_file


def test_without_its_testing_module_the_channel_is_named_as_missing(monkeypatch):
    monkeypatch.setitem(registry.ALIASES, "bare", "tests.channels.adapter:BareAdapter")
    [reason] = harness.missing_senders()
    assert "'bare'" in reason and "tests.channels.testing" in reason and "SENDER" in reason


def test_its_cases_pass_the_adapter_level_runner_and_a_wrong_expectation_fails(environ, tmp_path):
    """The cases file names no doors file: the runner's environment adds the sender's door
    to the defaults, with the cases file's credentials."""
    table = load_cases(SENDER.cases_file)
    defaults = {key: value for key, value in environ.items() if key != "LAPOR_DOORS_FILE"}
    settings = load_settings(harness.cases_environ(defaults, table, SENDER, SENDER.cases_file.parent, tmp_path))
    catalogue = load_catalogue(settings)
    assert {"sms-1708", "web", "echo-1"} <= set(catalogue.doors)
    assert catalogue.doors["echo-1"].credentials["secret"] == table["secret"]
    adapter = build_adapters({"echo-1": catalogue.doors["echo-1"]}, settings)["echo-1"]
    for case in table["cases"]:
        check_case(adapter, SENDER, table, case)
    wrong = copy.deepcopy(table["cases"][0])
    wrong["expect"]["message"]["text"] = "something else"
    with pytest.raises(AssertionError):
        check_case(adapter, SENDER, table, wrong)
    refused = copy.deepcopy(table["cases"][2])
    refused["request"]["signature"] = "valid"
    with pytest.raises(AssertionError, match="expected a 403 refusal"):
        check_case(adapter, SENDER, table, refused)


def test_the_gateway_takes_its_delivery_and_refuses_every_forgery(client, parts):
    response = SENDER.request("LAPOR jalan rusak di depan SDN 3", 1).send(client)
    assert response.status_code == 200, response.get_data(as_text=True)
    number = SENDER.tracking_of(response)
    assert number and parts.store.complaint(parts.store.redis.get("lapor:t:" + number).decode())
    for kind in SENDER.forgeries:
        forged = SENDER.forged(kind, "LAPOR jalan rusak di depan SDN 4", 2)
        answer = forged.send(client)
        assert answer.status_code in (401, 403), (kind, answer.status_code)
        assert not any(secret in answer.get_data(as_text=True) for secret in forged.secrets)
    assert len(list(parts.store.redis.scan_iter("lapor:c:*"))) == 1
