"""Declarative configuration: doors and routing rules.

A door is an entrance: an id (served at ``/in/<id>``), the channel adapter that speaks the
provider's protocol, the agency that owns it, credentials and options. Credentials are never
stored in files: the configuration names the environment variable that holds each one.
The national doors (SMS 1708 via Kannel, the web form) ship in ``defaults.json``; a province
adds its own door with ``LAPOR_DOORS_FILE`` and no code. That file replaces the defaults, or,
with ``"extends": "defaults"`` at its top, adds to them (a door with a default door's id
replaces that one; routing rules are appended). Keys nobody reads are refused (a door's
``"option"`` instead of ``"options"``); keys starting with ``_`` are comments.

Sample door::

    {"id": "wa-jatim", "channel": "whatsapp", "agency": "Pemprov Jawa Timur",
     "credentials": {"app_secret": "LAPOR_WA_JATIM_APP_SECRET"}, "options": {}}

In the embedded default a door secret that is not set (one the gateway chooses: ``secret``,
``secret_token``, ``verify_token``) is derived from the secret key (``derived_secret``), so
a newcomer's gateway works at once without a shared default. Provider-issued credentials
(tokens, app secrets) are never derived: a door without them answers 503 "not configured"
so that providers retry until the operator sets them.
Routing rules map keywords to a topic and agency, optionally for one region (a Kemendagri
code: a province lists its own agencies with ``"region": "64"``, a city's with ``"64.72"``);
they only ever *suggest* an agency. Sample rule::

    {"topic": "air bersih", "agency": "PDAM Tirta Kencana", "region": "64.72",
     "keywords": ["air mati", "pdam"]}
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
DEFAULTS, DOORS_FILE = "defaults.json", "LAPOR_DOORS_FILE"
TOP_KEYS = frozenset({"doors", "routing", "extends"})
DOOR_KEYS = frozenset({"id", "channel", "agency", "label", "credentials", "options"})
RULE_KEYS = frozenset({"topic", "agency", "keywords", "region"})
REGION_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")   # Kemendagri: 64, 64.72, 64.72.01


@dataclass(frozen=True)
class Door:
    id: str
    channel: str
    agency: str
    label: str = ""
    credentials: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    origin: str = ""               # "defaults.json" or "LAPOR_DOORS_FILE"
    variables: dict = field(default_factory=dict)   # credential key -> its LAPOR_ variable


@dataclass(frozen=True)
class RoutingRule:
    """Complaints about ``topic`` (found by its keywords, after stemming) go to ``agency``;
    ``region`` (a Kemendagri code) limits the rule to complaints from that region, and the
    most specific region wins (normalizer/routing.py)."""
    topic: str
    agency: str
    keywords: tuple[str, ...]
    region: str = ""


@dataclass(frozen=True)
class Catalogue:
    """Every door by id, and the routing rules, as loaded at start."""
    doors: dict[str, Door]
    routing: tuple[RoutingRule, ...]


def public_url(settings: Settings, door_id: str) -> str:
    """``<LAPOR_PUBLIC_BASE_URL>/in/<id>``: what a provider is given; "" when the public
    address is not set."""
    return f"{settings.public_base_url}/in/{door_id}" if settings.public_base_url else ""


def derived_secret(secret_key: str, door_id: str) -> str:
    """A per-door secret derived from the gateway key (embedded default only)."""
    return hmac.new(secret_key.encode(), b"door:" + door_id.encode(), hashlib.sha256).hexdigest()[:32]


def _resolve(door_id: str, names: dict, settings: Settings, derive: bool) -> dict:
    """Replace environment-variable names by their values."""
    resolved = {}
    for key, value in names.items():
        if isinstance(value, str) and value.startswith("LAPOR_"):
            actual = settings.door_variables.get(value, "")
            if not actual and derive and key in DERIVABLE and settings.mode == "embedded":
                actual = derived_secret(settings.secret_key, f"{door_id}:{key}")
            resolved[key] = actual
        else:
            resolved[key] = value
    return resolved


def load_catalogue(settings: Settings) -> Catalogue:
    """Doors and routing rules: the shipped defaults, or LAPOR_DOORS_FILE instead of them, or
    (``"extends": "defaults"``) the defaults with the file's doors added (a file door with a
    default door's id replaces it) and the file's routing rules after the defaults' ones."""
    defaults = _read(resources.files("config").joinpath("defaults.json").read_text(encoding="utf-8"),
                     DEFAULTS)
    if not settings.doors_file:
        return Catalogue(_doors(defaults, DEFAULTS, settings), _rules(defaults, DEFAULTS))
    data = _read(Path(settings.doors_file).read_text(encoding="utf-8"), DOORS_FILE)
    doors, rules = _doors(data, DOORS_FILE, settings), _rules(data, DOORS_FILE)
    if data.get("extends") == "defaults":
        doors = {**_doors(defaults, DEFAULTS, settings), **doors}
        rules = _rules(defaults, DEFAULTS) + rules
    return Catalogue(doors=doors, routing=rules)


def _unknown(source: str, where: str, given: dict, known: frozenset) -> None:
    """Refuse keys nobody reads (a misspelled ``"option"`` would silently drop the options);
    keys starting with ``_`` are comments."""
    unknown = sorted(key for key in given if key not in known and not str(key).startswith("_"))
    if unknown:
        raise SettingsError(f"{source}: {where}unknown key {unknown[0]!r} "
                            f"(known: {', '.join(sorted(known))})")


def _read(text: str, source: str) -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{source}: expected a JSON object with \"doors\"")
    _unknown(source, "", data, TOP_KEYS)
    if "extends" in data and data["extends"] != "defaults":
        raise SettingsError(f"{source}: \"extends\" can only be \"defaults\", got {data['extends']!r}")
    for name in ("doors", "routing"):
        if not isinstance(data.get(name, []), list):
            raise SettingsError(f"{source}: \"{name}\" must be a list")
    return data


def _doors(data: dict, source: str, settings: Settings) -> dict[str, Door]:
    doors: dict[str, Door] = {}
    for entry in data.get("doors", []):
        if not isinstance(entry, dict):
            raise SettingsError(f"{source}: every door must be a JSON object")
        door_id = str(entry.get("id", ""))
        if not DOOR_ID.match(door_id):
            raise SettingsError(f"{source}: door id {door_id!r} must be lowercase letters, digits, '-'")
        _unknown(source, f"door {door_id!r}: ", entry, DOOR_KEYS)
        if door_id in doors:
            raise SettingsError(f"{source}: door id {door_id!r} appears twice")
        if not entry.get("channel"):
            raise SettingsError(f"{source}: door {door_id!r} has no channel")
        for name in ("credentials", "options"):
            if not isinstance(entry.get(name, {}), dict):
                raise SettingsError(f"{source}: door {door_id!r}: \"{name}\" must be an object")
        names = entry.get("credentials", {})
        doors[door_id] = Door(
            id=door_id,
            channel=entry["channel"],
            agency=entry.get("agency", ""),
            label=entry.get("label", door_id),
            credentials=_resolve(door_id, names, settings, True),
            options=_resolve(door_id, entry.get("options", {}), settings, False),
            origin=source,
            variables={key: value for key, value in names.items()
                       if isinstance(value, str) and value.startswith("LAPOR_")},
        )
    return doors


def _rules(data: dict, source: str) -> tuple[RoutingRule, ...]:
    rules = []
    for rule in data.get("routing", []):
        if not isinstance(rule, dict) or not isinstance(rule.get("topic"), str) or not rule.get("topic") \
                or not isinstance(rule.get("agency"), str) or not rule.get("agency"):
            raise SettingsError(f"{source}: every routing rule needs \"topic\" and \"agency\"")
        where = f"{source}: routing rule {rule['topic']!r}: "
        _unknown(source, f"routing rule {rule['topic']!r}: ", rule, RULE_KEYS)
        keywords = rule.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
            raise SettingsError(where + "\"keywords\" must be a list of words or phrases")
        region = rule.get("region", "")
        if not isinstance(region, str) or (region and not REGION_CODE.match(region)):
            raise SettingsError(where + f"\"region\" must be a Kemendagri code such as \"64\" or "
                                        f"\"64.72\", got {region!r}")
        rules.append(RoutingRule(rule["topic"], rule["agency"],
                                 tuple(k.strip().lower() for k in keywords), region))
    return tuple(rules)
