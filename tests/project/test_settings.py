"""Every setting is a typed field of ``Settings``: the README's settings table lists exactly
those (names and defaults), and every one of them, malformed, stops the start with one line
naming it (``SettingsError``), never a bare exception later."""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from config.settings import Settings, SettingsError, load_settings, setting_names

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
# Defaults computed at start, which the README describes in words.
DESCRIBED = {
    "central_secret": "(required with a URL)",
    "secret_key": "generated into <data dir>/secret_key when embedded; required in production",
    "mode": "embedded if a URL is embedded, else production",
    "accept_signature_v1": "1 until 2027-05-31, then 0",
    "central_events_url": "<LAPOR_CENTRAL_URL>/events",
    "log_format": "json in production, else text",
    "attachments_dir": "<LAPOR_DATA_DIR>/attachments",
}


def readme_rows() -> dict[str, str]:
    """``LAPOR_X`` -> its default as the README's settings table gives it (backticks off)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`LAPOR_"):
            continue
        names = re.findall(r"`(LAPOR_\w+)`", cells[0])
        defaults = cells[1].replace("`", "").split(" / ") if len(names) > 1 else [cells[1].replace("`", "")]
        assert len(defaults) == len(names), line
        rows.update(zip(names, defaults))
    return rows


def shown(name: str, value) -> str:
    """A field's default written the README's way."""
    if name in DESCRIBED:
        return DESCRIBED[name]
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        if value >= MIB and value % MIB == 0:
            return f"{int(value // MIB)} MiB"
        return f"{value:g}"
    if isinstance(value, Path):
        return f"./{value}"
    return str(value) if value not in ("", b"", ()) else "empty"


def test_the_readme_table_lists_every_setting_with_its_default():
    rows = readme_rows()
    doors = json.loads((ROOT / "config" / "defaults.json").read_text(encoding="utf-8"))
    door_variables = set(re.findall(r'"(LAPOR_\w+)"', json.dumps(doors)))
    settings_rows = {name: default for name, default in rows.items() if name not in door_variables}
    assert set(settings_rows) == set(setting_names())
    fields = {field.name: field for field in dataclasses.fields(Settings)}
    for env_name, default in settings_rows.items():
        name = env_name[len("LAPOR_"):].lower()
        assert name in fields, env_name
        assert default == shown(name, fields[name].default), env_name


def test_every_lapor_variable_is_a_field_or_a_door_variable():
    names = {field.name for field in dataclasses.fields(Settings)} - {"door_variables"}
    assert {"LAPOR_" + name.upper() for name in names} == set(setting_names())
    loaded = load_settings({"LAPOR_DATA_DIR": "/nonexistent-never-used", "LAPOR_SECRET_KEY": "k" * 16,
                            "LAPOR_PROXY_HOPS": "2", "LAPOR_DOOR_X_SECRET": "s"})
    assert loaded.proxy_hops == 2 and loaded.door_variables == {"LAPOR_DOOR_X_SECRET": "s"}


# One malformed value per setting; a new setting must be added here (or to ANY_TEXT).
MALFORMED = {
    "LAPOR_BROKER_URL": "ftp://x", "LAPOR_REDIS_URL": "amqp://x", "LAPOR_CENTRAL_URL": "ftp://x",
    "LAPOR_PUBLIC_BASE_URL": "ftp://x", "LAPOR_CENTRAL_EVENTS_URL": "ftp://x",
    "LAPOR_DOORS_FILE": "/no/such/doors.json", "LAPOR_CENTRAL_PUBLIC_KEY": "not-a-key",
    "LAPOR_MODE": "fast", "LAPOR_SECRET_KEY": "short", "LAPOR_METRICS_TOKEN": "short",
    "LAPOR_ACCEPT_SIGNATURE_V1": "yes", "LAPOR_QUORUM_QUEUES": "yes",
    "LAPOR_RATE_LIMIT_IP": "lots", "LAPOR_RATE_LIMIT_SENDER": "lots", "LAPOR_RATE_LIMIT_LOOKUP": "lots",
    "LAPOR_RATE_LIMIT_LOGIN": "lots",
    "LAPOR_RATE_LIMIT_EXEMPT": "10.0.0.0/8, the office", "LAPOR_LOG_LEVEL": "LOUD", "LAPOR_LOG_FORMAT": "xml",
    "LAPOR_PROXY_HOPS": "x", "LAPOR_ATTACHMENTS_DIR": "/no/such/shared/volume", "LAPOR_SMTP_RELAY_URL": "http://user:pass@relay.example:587",
    "LAPOR_REDIS_SENTINELS": "sentinel-without-port", "LAPOR_REDIS_MASTER_NAME": "lapor",  # without Sentinels
}
ANY_TEXT = {"LAPOR_CENTRAL_SECRET", "LAPOR_DATA_DIR"}   # any value is a valid one


def test_every_setting_has_a_malformed_case():
    numbers = {name for name in setting_names() if name not in MALFORMED and name not in ANY_TEXT}
    for name in numbers:        # the rest are numbers: "x" is malformed for each
        assert isinstance(getattr(Settings, name[len("LAPOR_"):].lower()), (int, float)), name


@pytest.mark.parametrize("name", sorted(set(setting_names()) - ANY_TEXT))
def test_a_malformed_setting_is_one_line_naming_it(name, tmp_path):
    environ = {"LAPOR_DATA_DIR": str(tmp_path), "LAPOR_SECRET_KEY": "k" * 16,
               name: MALFORMED.get(name, "x")}
    with pytest.raises(SettingsError) as refused:
        load_settings(environ)
    message = str(refused.value)
    assert message.startswith(name + ":") and "\n" not in message


def test_sentinels_rewrite_the_redis_urls_keeping_db_and_password(tmp_path):
    from config import sentinel

    environ = {"LAPOR_DATA_DIR": str(tmp_path), "LAPOR_SECRET_KEY": "k" * 16,
               "LAPOR_REDIS_URL": "redis://:s%40cret@ignored:6379/3",
               "LAPOR_BROKER_URL": "amqp://guest:guest@127.0.0.1//",
               "LAPOR_REDIS_SENTINELS": "10.0.0.1:26379, 10.0.0.2:26380", "LAPOR_REDIS_MASTER_NAME": "lapor"}
    settings = load_settings(environ)
    assert settings.broker_url == environ["LAPOR_BROKER_URL"]          # not a Redis broker
    where = sentinel.parse_url(settings.redis_url)
    assert where == sentinel.SentinelAddress((("10.0.0.1", 26379), ("10.0.0.2", 26380)), "lapor", 3,
                                             None, "s@cret")
    assert load_settings({**environ, "LAPOR_REDIS_URL": settings.redis_url}).redis_url == settings.redis_url


def test_replica_wait_is_read_and_refused_with_the_embedded_redis(tmp_path):
    environ = {"LAPOR_DATA_DIR": str(tmp_path), "LAPOR_REDIS_WAIT_REPLICAS": "1"}
    with pytest.raises(SettingsError, match="^LAPOR_REDIS_WAIT_REPLICAS: the embedded Redis"):
        load_settings(environ)            # no replica: every complaint would stay spooled
    settings = load_settings({**environ, "LAPOR_REDIS_URL": "redis://127.0.0.1:6379/0",
                              "LAPOR_REDIS_WAIT_MS": "250", "LAPOR_MODE": "embedded"})
    assert (settings.redis_wait_replicas, settings.redis_wait_ms) == (1, 250)
    assert load_settings({"LAPOR_DATA_DIR": str(tmp_path)}).redis_wait_replicas == 0


def test_a_sentinel_port_of_other_digits_is_one_line(tmp_path):
    """A superscript port passes ``str.isdigit`` but not ``int()``: one line, no traceback."""
    environ = {"LAPOR_DATA_DIR": str(tmp_path), "LAPOR_SECRET_KEY": "k" * 16,
               "LAPOR_REDIS_SENTINELS": "10.0.0.1:\u00b2\u2076\u00b3\u2077\u2079",
               "LAPOR_REDIS_MASTER_NAME": "lapor"}
    with pytest.raises(SettingsError) as refused:
        load_settings(environ)
    assert str(refused.value).startswith("LAPOR_REDIS_SENTINELS:")
