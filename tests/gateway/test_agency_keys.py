"""Agency API keys: the ``keys`` commands as an operator runs them, and the JSON API with
``Authorization: Bearer`` through Flask's test client, on a real Redis."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis

from forwarder import keys
from gateway import agency_keys
from tests.gateway.support import queue_length, queued
from tests.helpers import wait_for

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))
SUBMISSION = {"classification": "pengaduan", "body": "Jalan di depan Pasar Baru berlubang besar.",
              "name": "Budi Santoso", "contact": "0812 3333 4444"}


def _keys(env, *args):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    return subprocess.run([SCRIPT, "keys", *args], env={**clean, **env}, capture_output=True,
                          text=True, timeout=60)


def _everything_in(redis_url: str) -> bytes:
    """Every key name and value of the store, as bytes (to look for a secret in)."""
    client = redis.Redis.from_url(redis_url)
    dump = []
    for name in client.scan_iter("*"):
        kind = client.type(name)
        value = (client.hgetall(name) if kind == b"hash" else client.smembers(name) if kind == b"set"
                 else client.get(name) if kind == b"string" else b"")
        dump.append(name + repr(value).encode())
    return b"\n".join(dump)


def post(client, token: str | None, body=SUBMISSION, idempotency: str = "", **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if idempotency:
        headers["Idempotency-Key"] = idempotency
    return client.post("/api/v1/complaints", json=body, headers=headers)


def test_the_key_is_printed_once_and_only_its_digest_is_kept(environ, redis_url):
    made = _keys(environ, "create", "--agency", "Dinas PU PERA Kota Bandung")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert agency_keys.KEY.match(token), "one line: the key"
    key_id = token.split("_")[1]
    assert key_id in made.stderr and "not shown again" in made.stderr and token not in made.stderr

    stored = redis.Redis.from_url(redis_url).hgetall(keys.api_key(key_id))
    assert stored[b"sha256"].decode() == hashlib.sha256(token.encode()).hexdigest()
    assert stored[b"door"] == b"api-dinas-pu-pera-kota-bandung"
    assert token.split("_", 2)[2].encode() not in _everything_in(redis_url)

    listed = _keys(environ, "list")
    assert listed.returncode == 0 and token.split("_", 2)[2] not in listed.stdout
    [header, row] = listed.stdout.strip().splitlines()
    assert header.split() == ["id", "agency", "door", "created_at", "last_used", "revoked_at"]
    assert row.startswith(key_id) and "Dinas PU PERA Kota Bandung" in row
    assert row.split()[-2:] == ["-", "-"]                     # never used, not revoked

    assert _keys(environ, "revoke", key_id).stdout.strip() == f"revoked {key_id}"
    assert _keys(environ, "list").stdout.strip().splitlines()[1].split()[-1] != "-"
    unknown = _keys(environ, "revoke", "0123456789ab")
    assert unknown.returncode == 1 and "no key" in unknown.stderr


def test_a_door_can_be_named_and_a_bad_one_is_refused(environ, parts):
    made = _keys(environ, "create", "--agency", "Pemprov Jawa Timur", "--door", "superapp-jatim")
    assert made.returncode == 0, made.stderr
    key_id = made.stdout.strip().split("_")[1]
    assert parts.store.api_keys.get(key_id)["door"] == "superapp-jatim"
    bad = _keys(environ, "create", "--agency", "Pemprov Jawa Timur", "--door", "Super App!")
    assert bad.returncode == 2 and "door id" in bad.stderr and "Traceback" not in bad.stderr
    assert _keys(environ, "create", "--agency", "  ").returncode == 2


def test_door_names_are_slugs_of_the_agency():
    assert agency_keys.door_for("Dinas PU PERA") == "api-dinas-pu-pera"
    assert agency_keys.door_for("Dinas Pendidikan & Kebudayaan (Provinsi Sulawesi Selatan)") == \
        "api-dinas-pendidikan-kebudayaan-provinsi-sulawesi-selatan"
    assert agency_keys.door_for("Bapperida Kota Bogor " * 9).startswith("api-bapperida-kota-bogor")
    assert len(agency_keys.door_for("Bapperida Kota Bogor " * 9)) <= 63
    with pytest.raises(ValueError):
        agency_keys.door_for("!!!")


def test_a_keyed_complaint_records_the_keys_door_and_its_agency(client, parts, redis_url):
    key, token = agency_keys.create(parts.store, "Dinas Kesehatan Kota Surabaya")
    answer = post(client, token, idempotency="rs-2026-0001")
    assert answer.status_code == 201, answer.get_json()
    [complaint] = queued(redis_url)
    assert complaint["door"] == "api-dinas-kesehatan-kota-surabaya" == key.door
    assert complaint["door_agency"] == "Dinas Kesehatan Kota Surabaya"
    assert complaint["channel"] == "web" and complaint["reporter"]["contact"] == "+6281233334444"
    assert complaint["provider_message_ids"] == [f"api:key-{key.id}:rs-2026-0001"]
    status = client.get(f"/api/v1/complaints/{answer.get_json()['tracking_number']}").get_json()
    assert status["door"] == key.door


def test_idempotency_keys_are_scoped_to_the_api_key(client, parts, redis_url):
    _first, token = agency_keys.create(parts.store, "Dinas A")
    _second, other = agency_keys.create(parts.store, "Dinas B")
    number = post(client, token, idempotency="laporan-17").get_json()["tracking_number"]
    again = post(client, token, idempotency="laporan-17")
    assert again.status_code == 200 and again.get_json()["tracking_number"] == number
    changed = post(client, token, idempotency="laporan-17", body={**SUBMISSION, "body": "Isi lain sama sekali."})
    assert changed.status_code == 422
    theirs = post(client, other, idempotency="laporan-17")          # the same id, another key
    citizen = post(client, None, idempotency="laporan-17")          # and no key at all
    assert theirs.status_code == citizen.status_code == 201
    assert len({number, theirs.get_json()["tracking_number"], citizen.get_json()["tracking_number"]}) == 3
    assert queue_length(redis_url) == 3


@pytest.mark.parametrize("header", [
    "Bearer lpr_0123456789ab_" + "A" * 43,                  # well-formed, unknown id
    "Bearer lpr_zz_short",                                  # malformed
    "Bearer " + "x" * 5000,                                 # huge
    "Basic dXNlcjpwYXNz",                                   # another scheme
    "Bearer ",                                              # empty
])
def test_an_unknown_or_malformed_key_is_401_and_nothing_is_recorded(client, redis_url, header):
    answer = client.post("/api/v1/complaints", json=SUBMISSION, headers={"Authorization": header})
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.get_json()["error"] in ("invalid or revoked API key", "use Authorization: Bearer <API key>")
    assert queue_length(redis_url) == 0


def test_a_revoked_key_and_a_forged_secret_are_refused(client, parts, redis_url):
    key, token = agency_keys.create(parts.store, "Dinas Sosial")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert post(client, forged).status_code == 401
    assert post(client, token).status_code == 201
    assert agency_keys.revoke(parts.store, key.id)
    refused = post(client, token)
    assert refused.status_code == 401 and refused.get_json() == {"error": "API key revoked"}
    assert queue_length(redis_url) == 1


@pytest.fixture
def tight_environ(environ):
    environ.update(LAPOR_RATE_LIMIT_IP="2/minute", LAPOR_RATE_LIMIT_SENDER="3/minute")
    return environ


def test_keyed_callers_are_not_limited_per_address_but_per_citizen(tight_environ, client, parts):
    _key, token = agency_keys.create(parts.store, "Mal Pelayanan Publik")
    for index in range(3):                         # over the address limit, one key
        body = {**SUBMISSION, "contact": f"08123333{index:04d}"}
        assert post(client, token, body=body).status_code == 201
    same_citizen = [post(client, token).status_code for _ in range(4)]
    assert same_citizen == [201, 201, 201, 429]    # one citizen's contact is still counted
    citizens = [post(client, None, body={**SUBMISSION, "contact": f"08124444{i:04d}"}).status_code
                for i in range(3)]
    assert citizens == [201, 201, 429]             # without a key: the address limit
    assert post(client, "lpr_0123456789ab_" + "A" * 43).status_code in (401, 429)


def test_last_used_is_written_at_most_once_a_minute(client, parts, redis_url, monkeypatch):
    monkeypatch.setattr(agency_keys, "CACHE_SECONDS", 0)      # read the record every time
    key, token = agency_keys.create(parts.store, "Dinas Perhubungan")
    assert parts.store.api_keys.get(key.id)["last_used"] == ""
    post(client, token)
    first = parts.store.api_keys.get(key.id)["last_used"]
    assert first and datetime.fromisoformat(first) > datetime.now(timezone.utc) - timedelta(seconds=5)
    stale = (datetime.now(timezone.utc) - timedelta(seconds=30)).replace(microsecond=0).isoformat()
    redis.Redis.from_url(redis_url).hset(keys.api_key(key.id), "last_used", stale)
    post(client, token)
    assert parts.store.api_keys.get(key.id)["last_used"] == stale       # within the minute
    older = (datetime.now(timezone.utc) - timedelta(seconds=61)).replace(microsecond=0).isoformat()
    redis.Redis.from_url(redis_url).hset(keys.api_key(key.id), "last_used", older)
    post(client, token)
    assert parts.store.api_keys.get(key.id)["last_used"] > older


@pytest.fixture
def lookup_environ(environ):
    environ.update(LAPOR_RATE_LIMIT_LOOKUP="2/minute")
    return environ


def test_look_ups_count_per_address_unless_keyed(lookup_environ, client, parts):
    _key, token = agency_keys.create(parts.store, "Diskominfo")
    citizen = [client.get("/open311/v2/requests.json").status_code for _ in range(3)]
    assert citizen == [200, 200, 429]
    limited = client.get("/open311/v2/requests/27410935882.xml")
    assert limited.status_code == 429 and b"<errors><error><code>429</code>" in limited.data
    keyed = [client.get(f"/open311/v2/requests.json?api_key={token}").status_code for _ in range(3)]
    assert keyed == [200, 200, 200]
    bad_key = client.get("/open311/v2/requests.json?api_key=lpr_0123456789ab_" + "A" * 43)
    assert bad_key.status_code == 429               # a bad key is no exemption
    status = [client.get("/api/v1/complaints/27410935882", headers={"Authorization": f"Bearer {token}"})
              .status_code for _ in range(3)]
    assert status == [404, 404, 404]                # the status API: keyed, not counted either
    assert client.get("/api/v1/complaints/27410935882").status_code == 429


@pytest.fixture
def unlimited_environ(environ):
    environ.update(LAPOR_RATE_LIMIT_SENDER="off")      # the same citizen posts many times here
    return environ


def test_a_key_revoked_by_another_process_is_refused_within_seconds(unlimited_environ, client, parts,
                                                                    redis_url):
    environ = unlimited_environ
    key, token = agency_keys.create(parts.store, "Dinas Cache")
    assert post(client, token).status_code == 201
    redis.Redis.from_url(redis_url).delete(keys.api_key(key.id))    # the record is gone ...
    assert post(client, token).status_code == 201                    # ... this process remembers it
    assert _keys(environ, "revoke", key.id).returncode == 1          # (nothing to revoke now)
    started = time.monotonic()
    wait_for(lambda: post(client, token).status_code == 401, timeout=agency_keys.CACHE_SECONDS + 2,
             interval=0.2, message="the key refused")
    assert time.monotonic() - started <= agency_keys.CACHE_SECONDS + 1
    other, second = agency_keys.create(parts.store, "Dinas Cache 2")
    assert post(client, second).status_code == 201
    assert _keys(environ, "revoke", other.id).returncode == 0       # another process revokes
    wait_for(lambda: post(client, second).status_code == 401, timeout=agency_keys.CACHE_SECONDS + 2,
             interval=0.2, message="the revoked key refused")
