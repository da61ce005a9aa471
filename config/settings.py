"""Settings: everything the gateway reads from the environment, validated in one place.

Every setting is an environment variable ``LAPOR_`` + a typed field of ``Settings``
(``LAPOR_MAX_ATTEMPTS`` is ``max_attempts``). ``load_settings()`` checks them all and raises
``SettingsError`` with one line naming the first bad one; nothing connects, nothing is read
at import time. Meanings and defaults: the README's "Settings" table (kept equal to the
fields by ``tests/project/test_settings_table.py``). Door credentials and options are not
fields: ``door_variables`` holds the ``LAPOR_`` variables each door names in the doors file.
"""
from __future__ import annotations

import base64
import ipaddress
import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

from config import broker, sentinel
from config.datadir import attachments_folder, embedded_secret
from config.settings_officers import OFFICER_NUMBERS, OfficerSettings
from config.settings_store import STORE_NUMBERS, StoreSettings, check_wait

EMBEDDED = "embedded"
# The last day the central system's v1 signatures are accepted by default (six months after
# contract v2); afterwards LAPOR_ACCEPT_SIGNATURE_V1 defaults to 0.
V1_ACCEPTED_UNTIL = date(2027, 5, 31)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line naming it."""


@dataclass(frozen=True)
class Settings(OfficerSettings, StoreSettings):   # + the groups of settings_officers, settings_store
    broker_url: str = EMBEDDED
    redis_url: str = EMBEDDED
    redis_sentinels: tuple[str, ...] = ()        # host:port items; redis_url then names the db
    redis_master_name: str = ""                  # the primary's name at those Sentinels
    central_url: str = ""
    central_secret: str = ""
    secret_key: str = ""
    data_dir: Path = Path("var")
    attachments_dir: Path = Path("var/attachments")   # LAPOR_ATTACHMENTS_DIR, else <data_dir>/attachments
    public_base_url: str = ""
    doors_file: str = ""
    central_public_key: bytes = b""
    mode: str = EMBEDDED
    dedup_ttl_days: int = 8
    max_attempts: int = 8
    max_age_hours: float = 72.0
    central_timeout: float = 10.0
    max_body_bytes: int = 12 * 1024 * 1024
    max_attachments: int = 3
    max_attachment_bytes: int = 5 * 1024 * 1024
    max_text_chars: int = 20000
    followup_minutes: int = 30
    retention_days: int = 30
    retry_base_seconds: float = 2.0
    retry_cap_seconds: float = 300.0
    reconcile_after_seconds: float = 600.0
    forward_concurrency: int = 8
    central_batch: int = 1                 # >1: POST arrays of up to N complaints (central accepts them)
    flood_per_minute: int = 20
    accept_signature_v1: bool = True
    rate_limit_lookup: str = "30/minute;300/hour;1000/day"
    metrics_token: str = ""
    body_timeout_seconds: float = 60.0
    rate_limit_ip: str = "120/minute;2000/day"
    rate_limit_sender: str = "10/hour;30/day"
    rate_limit_exempt: tuple[str, ...] = ()      # networks, e.g. ("10.0.0.0/8",)
    proxy_hops: int = 0
    quorum_queues: bool = False
    central_events_url: str = ""                 # empty: <central_url>/events
    link_window_days: int = 30                   # "me too": link to open complaints this recent (0: off)
    link_similarity: float = 0.4                 # "me too": estimated Jaccard of the words, at least
    log_level: str = "INFO"
    log_format: str = "text"                     # or json; json is the default in production
    smtp_port: int = 0
    smtp_relay_url: str = ""                     # smtp(s)://user:pass@host:port: a credential
    # Every LAPOR_ variable that is not a setting, by its full name: the doors' credentials
    # and options, which each door names in the doors file (config.doors reads them).
    door_variables: dict[str, str] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        """True when the store or the broker is the embedded Redis."""
        return EMBEDDED in (self.broker_url, self.redis_url)

    @property
    def public_url_trusted(self) -> bool:
        """Whether the URL a provider called is known without trusting the Host header:
        LAPOR_PUBLIC_BASE_URL is set, or LAPOR_PROXY_HOPS > 0 (a trusted proxy's
        X-Forwarded-Host). Doors whose signatures cover the URL (Twilio) need it in production."""
        return bool(self.public_base_url) or self.proxy_hops > 0

    def with_urls(self, broker_url: str, redis_url: str) -> "Settings":
        """Return a copy whose embedded URLs are replaced by the running server's."""
        return replace(self, broker_url=broker_url if self.broker_url == EMBEDDED else self.broker_url,
                       redis_url=redis_url if self.redis_url == EMBEDDED else self.redis_url)


def _url(name: str, value: str, schemes: tuple[str, ...], allow_embedded: bool) -> str:
    if allow_embedded and value == EMBEDDED:
        return value
    scheme = urlparse(value).scheme
    if scheme not in schemes:
        raise SettingsError(f"{name}: expected one of {', '.join(s + '://' for s in schemes)}"
                            f"{' or embedded' if allow_embedded else ''}, got {value!r}")
    return value


def _number(name: str, value: str, kind: type, minimum: float):
    try:
        number = kind(value)
    except ValueError:
        raise SettingsError(f"{name}: expected a {kind.__name__}, got {value!r}") from None
    if number < minimum:
        raise SettingsError(f"{name}: must be at least {minimum}, got {value!r}")
    return number


def _rate_limit(name: str, value: str) -> str:
    """``off`` or limits such as ``30/minute;300/hour`` (the ``limits`` library's syntax)."""
    from limits import parse_many

    if value.lower() == "off":
        return "off"
    try:
        parse_many(value)
    except ValueError:
        raise SettingsError(f"{name}: expected limits like '30/minute;300/hour' or 'off', "
                            f"got {value!r}") from None
    return value


def _networks(name: str, value: str) -> tuple[str, ...]:
    """Comma-separated networks (``10.0.0.0/8,2001:db8::/32``, or single addresses)."""
    networks = tuple(item.strip() for item in value.split(",") if item.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise SettingsError(f"{name}: expected comma-separated networks like "
                                f"'10.0.0.0/8', got {network!r}") from None
    return networks


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``; else a configuration error naming ``name``."""
    if value not in choices:
        raise SettingsError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


_NUMBERS = {  # field name -> (type, minimum)
    "dedup_ttl_days": (int, 8),
    "max_attempts": (int, 1),
    "max_age_hours": (float, 0.01),
    "central_timeout": (float, 0.1),
    "max_body_bytes": (int, 1024),
    "max_attachments": (int, 0), "max_attachment_bytes": (int, 1),          # one README row each pair
    "max_text_chars": (int, 160),
    "followup_minutes": (int, 0),
    "retention_days": (int, 0),
    "retry_base_seconds": (float, 0.001), "retry_cap_seconds": (float, 0.001),
    "reconcile_after_seconds": (float, 0.1),
    "forward_concurrency": (int, 1), "central_batch": (int, 1),
    "flood_per_minute": (int, 1),
    "body_timeout_seconds": (float, 1.0), "proxy_hops": (int, 0),
    **OFFICER_NUMBERS, **STORE_NUMBERS,
    "link_window_days": (int, 0), "link_similarity": (float, 0.05),
    "smtp_port": (int, 0),   # 0: no SMTP server
}
_RATE_LIMITS = ("rate_limit_ip", "rate_limit_sender", "rate_limit_lookup", "rate_limit_login")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Read by name in load_settings; with the fields above, the LAPOR_ variables that are settings.
_OTHERS = ("broker_url", "redis_url", "redis_sentinels", "redis_master_name", "central_url",
           "central_secret", "secret_key", "data_dir", "attachments_dir", "public_base_url", "doors_file",
           "central_public_key", "mode", "accept_signature_v1", "metrics_token", "rate_limit_exempt", "quorum_queues",
           "central_events_url", "log_level", "smtp_relay_url", "log_format")


def setting_names() -> tuple[str, ...]:
    """The environment variable of every setting (``LAPOR_`` + the field name in capitals)."""
    names = (*_NUMBERS, *_RATE_LIMITS, *_OTHERS)
    return tuple("LAPOR_" + name.upper() for name in names)


def load_settings(environ: dict | None = None) -> Settings:
    """Read and validate every ``LAPOR_`` setting; raise SettingsError naming the bad one."""
    env = os.environ if environ is None else environ

    def get(key: str, default: str = "") -> str:
        return env.get("LAPOR_" + key, default).strip()

    values = _addresses(get)
    values.update(_security(get, values["data_dir"],
                            EMBEDDED in (values["broker_url"], values["redis_url"])))
    values.update(_tuning(get))
    check_wait(values, values["redis_url"] == EMBEDDED, SettingsError)
    known = set(setting_names())
    values["door_variables"] = {key: value for key, value in env.items()
                                if key.startswith("LAPOR_") and key not in known}
    return Settings(**values)


def _addresses(get) -> dict:
    """Where the gateway finds its broker, store, central system, data and doors."""
    broker_url = get("BROKER_URL", EMBEDDED)            # one URL, or RabbitMQ nodes (';')
    values: dict = {
        "broker_url": broker.failover_list(broker_url, SettingsError)
        if broker.is_failover_list(broker_url) else _url("LAPOR_BROKER_URL", broker_url, broker.SCHEMES, True),
        "redis_url": _url("LAPOR_REDIS_URL", get("REDIS_URL", EMBEDDED),
                          ("redis", "rediss", "unix", sentinel.SCHEME), True),
        **sentinel.settings_values(get("REDIS_SENTINELS"), get("REDIS_MASTER_NAME"), SettingsError),
        "data_dir": Path(get("DATA_DIR", "var")).resolve(),
        "public_base_url": get("PUBLIC_BASE_URL").rstrip("/"),
        "doors_file": get("DOORS_FILE"),
        "central_secret": get("CENTRAL_SECRET"),
        "central_url": get("CENTRAL_URL"),
        "central_events_url": get("CENTRAL_EVENTS_URL"),
    }
    for key in ("central_url", "public_base_url", "central_events_url"):
        if values[key]:
            _url("LAPOR_" + key.upper(), values[key], ("http", "https"), False)
    sentinel.rewrite_urls(values)     # redis:// through the Sentinels, when they are set
    try:          # a named folder (a shared volume) must exist; config.datadir says why
        values["attachments_dir"] = attachments_folder(get("ATTACHMENTS_DIR"), values["data_dir"])
    except ValueError as exc:
        raise SettingsError(f"LAPOR_ATTACHMENTS_DIR: {exc}") from None
    values["smtp_relay_url"] = relay = get("SMTP_RELAY_URL")    # never echoed: a password
    if relay and urlparse(relay).scheme not in ("smtp", "smtps"):
        raise SettingsError("LAPOR_SMTP_RELAY_URL: expected smtp:// (STARTTLS) or smtps://")
    if values["central_url"] and not values["central_secret"]:
        raise SettingsError("LAPOR_CENTRAL_SECRET: required when LAPOR_CENTRAL_URL is set")
    if values["doors_file"] and not Path(values["doors_file"]).is_file():
        raise SettingsError(f"LAPOR_DOORS_FILE: no such file {values['doors_file']!r}")
    return values


def _security(get, data_dir: Path, embedded: bool) -> dict:
    """The mode, the keys and the tokens."""
    values: dict = {"central_public_key": _public_key(get("CENTRAL_PUBLIC_KEY"))}
    mode = _choice("LAPOR_MODE", get("MODE", EMBEDDED if embedded else "production"), (EMBEDDED, "production"))
    values["log_format"] = _choice("LAPOR_LOG_FORMAT", get("LOG_FORMAT").lower() or (
        "json" if mode == "production" else "text"), ("text", "json"))   # json by default in production
    if mode == "production" and embedded:
        raise SettingsError("LAPOR_MODE: production needs real LAPOR_BROKER_URL and LAPOR_REDIS_URL")
    values["mode"] = mode
    secret_key = get("SECRET_KEY")
    if not secret_key:
        if mode == "production":
            raise SettingsError("LAPOR_SECRET_KEY: required in production mode")
        secret_key = embedded_secret(data_dir)
    elif len(secret_key) < 16:
        raise SettingsError("LAPOR_SECRET_KEY: must be at least 16 characters")
    values["secret_key"] = secret_key
    values["metrics_token"] = get("METRICS_TOKEN")
    if values["metrics_token"] and len(values["metrics_token"]) < 16:
        raise SettingsError("LAPOR_METRICS_TOKEN: must be at least 16 characters")
    values["accept_signature_v1"] = _switch("LAPOR_ACCEPT_SIGNATURE_V1", get("ACCEPT_SIGNATURE_V1"),
                                            date.today() <= V1_ACCEPTED_UNTIL)
    return values


def _public_key(value: str) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except ValueError:
        key = b""
    if value and len(key) != 32:
        raise SettingsError("LAPOR_CENTRAL_PUBLIC_KEY: expected 32 bytes in base64")
    return key


def _tuning(get) -> dict:
    """Numbers, limits, switches and the log level."""
    values: dict = {}
    for name, (kind, minimum) in _NUMBERS.items():
        raw = get(name.upper())
        if raw:
            values[name] = _number("LAPOR_" + name.upper(), raw, kind, minimum)
    for name in _RATE_LIMITS:
        values[name] = _rate_limit("LAPOR_" + name.upper(),
                                   get(name.upper()) or getattr(Settings, name))
    values["rate_limit_exempt"] = _networks("LAPOR_RATE_LIMIT_EXEMPT", get("RATE_LIMIT_EXEMPT"))
    values["quorum_queues"] = _switch("LAPOR_QUORUM_QUEUES", get("QUORUM_QUEUES"), False)
    values["log_level"] = _choice("LAPOR_LOG_LEVEL", get("LOG_LEVEL", "INFO").upper(), LOG_LEVELS)
    return values


def _switch(name: str, value: str, default: bool) -> bool:
    """``1`` or ``0`` (empty: ``default``); anything else is a configuration error."""
    if not value:
        return default
    if value not in ("0", "1"):
        raise SettingsError(f"{name}: expected 1 or 0, got {value!r}")
    return value == "1"
