"""The store's shape (issue 13): Lua in ``forwarder/lua`` with every key and argument named at
the top, typed results, every key built in ``forwarder.keys``, and only the store at Redis."""
from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import redis

from forwarder import keys
from forwarder.store import PUBLISH_ARITY, AcceptResult, Recorded, Store
from tests.helpers import inbound

ROOT = Path(__file__).resolve().parents[2]
LUA = files("forwarder").joinpath("lua")
HEADER = re.compile(r"^local (\w+) = (?:tonumber\()?(KEYS|ARGV)\[(\d+)\]")


def lua_scripts() -> dict[str, str]:
    return {item.name: item.read_text(encoding="utf-8") for item in LUA.iterdir()
            if item.name.endswith(".lua")}


def test_every_script_names_its_keys_and_arguments_once_at_the_top():
    scripts = lua_scripts()
    assert {"accept.lua", "accept_event.lua", "take_due.lua", "forwarded.lua",
            "reply_move.lua"} <= set(scripts)
    for name, text in scripts.items():
        lines = text.splitlines()
        named = {"KEYS": [], "ARGV": []}
        body_started = False
        for line in lines:
            found = HEADER.match(line)
            if found and not body_started:
                named[found.group(2)].append(int(found.group(3)))
                continue
            if line.strip() and not line.startswith("--") and not line.startswith("local "):
                body_started = True
            # past the header no KEYS/ARGV by number: only by name (or a loop over the
            # variable-length tail, ARGV[i ...])
            assert not re.search(r"(KEYS|ARGV)\[\d+\]", line), f"{name}: {line.strip()}"
        for table, indices in named.items():
            assert indices == list(range(1, len(indices) + 1)), f"{name}: {table} {indices}"


def test_variable_length_arguments_come_last():
    for name in ("accept.lua", "accept_event.lua"):
        text = lua_scripts()[name]
        last = max(int(n) for n in re.findall(r"= ARGV\[(\d+)\]", text))
        assert re.search(rf"local PUBLISH_FROM = {last + 1}\b", text), name


def test_results_are_typed_and_a_duplicate_says_so(parts):
    first = parts.intake.take(inbound("LAPOR jalan rusak", provider_id="m-1"))
    complaint = parts.store.complaint(first.complaint_id)
    again = parts.store.accept({**complaint, "id": "other", "tracking_number": "0" * 12},
                               parts.intake.complaints.dedup_id("sms-1708", "m-1"), "")
    assert isinstance(again, Recorded) and type(again).__name__ != "Accepted"
    assert again.result is AcceptResult.DUPLICATE
    assert (again.id, again.tracking) == (first.complaint_id, first.tracking_number)
    taken = parts.store.accept({**complaint, "id": "other"}, "", "")
    assert taken.result is AcceptResult.COLLISION


def test_the_keys_module_builds_the_keys_the_store_writes(parts, redis_url):
    outcome = parts.intake.take(inbound("LAPOR lampu jalan mati"))
    client = redis.Redis.from_url(redis_url)
    cid, number = outcome.complaint_id, outcome.tracking_number
    assert client.get(keys.tracking_owner(number)).decode() == cid
    assert client.hget(keys.ledger(cid), "state") == b"accepted"
    assert client.hget(keys.status(number), "id").decode() == cid
    assert client.zscore(keys.PENDING, cid) is not None
    assert parts.store.tracking_owner(number) == cid and parts.store.tracking_owner("1" * 12) is None


def test_poller_cursor_and_callback_guard_live_in_the_store(redis_url):
    store = Store(redis.Redis.from_url(redis_url), 86400, 86400)
    assert store.poller_cursor("x") == {}
    store.save_poller_cursor("x", {"since_id": "5"})
    store.save_poller_cursor("x", {"until_id": "3", "pending_newest": "9"})
    assert store.poller_cursor("x") == {"until_id": "3", "pending_newest": "9"}
    store.save_poller_cursor("x", {})
    assert store.poller_cursor("x") == {}
    assert store.first_callback("mac", 60) and not store.first_callback("mac", 60)


def test_only_the_store_writes_redis_keys_or_reaches_its_client():
    """No module outside the store names a ``lapor:`` key or reaches ``store.redis``."""
    allowed = {"forwarder/keys.py", "forwarder/store.py", "forwarder/store_replies.py"}
    offenders = []
    for package in ("gateway", "forwarder", "channels", "normalizer", "config"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in allowed:
                continue
            text = path.read_text(encoding="utf-8")
            if re.search(r"""["']lapor:""", text) or re.search(r"store\.redis\b", text):
                offenders.append(relative)
    assert offenders == []


def test_the_publish_commands_are_the_same_on_both_sides():
    """``Store`` checks each queue command against the arities the scripts run."""
    table = re.search(r"local PUBLISH_ARITY = \{([^}]*)\}", lua_scripts()["common.lua"]).group(1)
    assert {name: int(n) for name, n in re.findall(r"(\w+) = (\d+)", table)} == PUBLISH_ARITY
