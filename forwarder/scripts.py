"""The store's Lua scripts, read from ``forwarder/lua/*.lua`` (package data) on first use.

Each script names its KEYS and ARGV at its top; variable-length arguments come last. The
intake scripts get ``common.lua`` (flood count, same-Redis publish) prepended.
"""
from __future__ import annotations

from functools import cache
from importlib.resources import files

WITH_COMMON = frozenset({"accept", "accept_event"})


@cache
def source(name: str) -> str:
    """The text of script ``name`` (``forwarder/lua/<name>.lua``), ready to register."""
    folder = files("forwarder").joinpath("lua")
    text = folder.joinpath(f"{name}.lua").read_text(encoding="utf-8")
    if name in WITH_COMMON:
        text = folder.joinpath("common.lua").read_text(encoding="utf-8") + "\n" + text
    return text


def register(client, name: str):
    """A redis-py ``Script`` for ``name`` (EVALSHA, loaded again after a Redis restart)."""
    return client.register_script(source(name))
