"""Declarative configuration: doors and routing rules.

A door is an entrance: an id (served at ``/in/<id>``), the channel adapter that speaks the
provider's protocol, the agency that owns it, credentials and options. Credentials are never
stored in files: the configuration names the environment variable that holds each one.
The national doors (SMS 1708 via Kannel, the web form) ship in ``defaults.json``; a province
adds its own door with ``LAPOR_DOORS_FILE`` and no code.

Sample door::

    {"id": "wa-jatim", "channel": "whatsapp", "agency": "Pemprov Jawa Timur",
     "credentials": {"app_secret": "LAPOR_WA_JATIM_APP_SECRET"}, "options": {}}

In the embedded default a door secret that is not set (one the gateway chooses: ``secret``,
``secret_token``, ``verify_token``) is derived from the secret key (``derived_secret``), so
a newcomer's gateway works at once without a shared default. Provider-issued credentials
(tokens, app secrets) are never derived: a door without them answers 503 "not configured"
so that providers retry until the operator sets them.
Routing rules map keywords to a topic and agency; they only ever *suggest* an agency.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from config.settings import Settings, SettingsError

DOOR_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# Credentials the gateway itself chooses and tells the provider (as opposed to tokens the
# provider issues): only these may be derived in the embedded default.
DERIVABLE = frozenset({"secret", "secret_token", "verify_token"})


@dataclass(frozen=True)
class Door:
    id: str
    channel: str
    agency: str
    label: str = ""
    credentials: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RoutingRule:
    topic: str
    agency: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    """Every door by id, and the routing rules, as loaded at start."""
    doors: dict[str, Door]
    routing: tuple[RoutingRule, ...]


def derived_secret(secret_key: str, door_id: str) -> str:
    """A per-door secret derived from the gateway key (embedded default only)."""
    return hmac.new(secret_key.encode(), b"door:" + door_id.encode(), hashlib.sha256).hexdigest()[:32]


def _resolve(door_id: str, names: dict, settings: Settings, derive: bool) -> dict:
    """Replace environment-variable names by their values."""
    resolved = {}
    for key, value in names.items():
        if isinstance(value, str) and value.startswith("LAPOR_"):
            actual = settings.extra.get(value[6:], "")
            if not actual and derive and key in DERIVABLE and settings.mode == "embedded":
                actual = derived_secret(settings.secret_key, f"{door_id}:{key}")
            resolved[key] = actual
        else:
            resolved[key] = value
    return resolved


def load_catalogue(settings: Settings) -> Catalogue:
    """Load doors and routing rules from LAPOR_DOORS_FILE or the shipped defaults."""
    if settings.doors_file:
        text = Path(settings.doors_file).read_text(encoding="utf-8")
        source = "LAPOR_DOORS_FILE"
    else:
        text = resources.files("config").joinpath("defaults.json").read_text(encoding="utf-8")
        source = "defaults.json"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    doors: dict[str, Door] = {}
    for entry in data.get("doors", []):
        door_id = str(entry.get("id", ""))
        if not DOOR_ID.match(door_id):
            raise SettingsError(f"{source}: door id {door_id!r} must be lowercase letters, digits, '-'")
        if door_id in doors:
            raise SettingsError(f"{source}: door id {door_id!r} appears twice")
        if not entry.get("channel"):
            raise SettingsError(f"{source}: door {door_id!r} has no channel")
        doors[door_id] = Door(
            id=door_id,
            channel=entry["channel"],
            agency=entry.get("agency", ""),
            label=entry.get("label", door_id),
            credentials=_resolve(door_id, entry.get("credentials", {}), settings, True),
            options=_resolve(door_id, entry.get("options", {}), settings, False),
        )
    rules = tuple(
        RoutingRule(r["topic"], r["agency"], tuple(k.lower() for k in r.get("keywords", ())))
        for r in data.get("routing", [])
    )
    return Catalogue(doors=doors, routing=rules)
