"""Each adapter declares once the credentials (and options) a door cannot verify without
(``required_credentials`` / ``required_options``); that one declaration drives both the
refusal of every call ("door not configured") and ``check-config``'s error.

For every channel's test door (its test sender's, ``tests/harness.py``) and every requirement its adapter declares: the
door with that one value unset refuses a properly signed delivery, and ``missing`` names
exactly that value; with everything set, ``missing`` is empty and the delivery passes."""
from __future__ import annotations

from dataclasses import replace

import pytest

from channels.base import Rejected
from channels.registry import available_channels
from config.doors import load_catalogue
from tests.harness import SENDERS, SIGNERS

CHANNELS = {sender.door_id: sender.channel for sender in SIGNERS.values()}
ADAPTERS = {name: entry.load() for name, entry in available_channels().items()}
CASES = [(door_id, key) for door_id, channel in CHANNELS.items() if door_id in SENDERS
         for key in (*ADAPTERS[channel].required_credentials,
                     *(f"options.{name}" for name in ADAPTERS[channel].required_options))]
NOT_CONFIGURED = {"kannel": (403, "door has no secret configured")}


def without(door, key: str):
    if key.startswith("options."):
        return replace(door, options={**door.options, key[8:]: ""})
    return replace(door, credentials={**door.credentials, key: ""})


def test_every_channel_that_verifies_declares_what_it_needs():
    """The built-in channels' declarations as their guides state them (a new channel's row
    is in docs/architecture.md's declarations table, kept equal by test_registry.py)."""
    built_in = {"kannel": ("secret",), "web": (), "twilio": ("account_sid", "auth_token"),
                "whatsapp": ("app_secret", "verify_token", "access_token"),
                "telegram": ("bot_token", "secret_token"), "twitter": ("consumer_secret",)}
    assert set(built_in) <= set(CHANNELS.values())
    assert {channel: ADAPTERS[channel].required_credentials for channel in built_in} == built_in


@pytest.mark.parametrize("door_id, key", CASES, ids=[f"{d}-{k}" for d, k in CASES])
def test_a_door_without_one_required_value_refuses_every_call(settings, door_id, key):
    door = load_catalogue(settings).doors[door_id]
    adapter_class = ADAPTERS[door.channel]
    request = SENDERS[door_id].request("LAPOR jalan rusak di depan SDN 3", 1).web_request()
    assert adapter_class.missing(door) == []
    assert adapter_class(door, settings).authenticate(request) is None   # configured: passes
    broken = without(door, key)
    assert adapter_class.missing(broken) == [key]
    with pytest.raises(Rejected) as refused:
        adapter_class(broken, settings).authenticate(request)
    assert (refused.value.status, refused.value.reason) == NOT_CONFIGURED.get(
        door.channel, (503, "door not configured"))
