"""Officer login: argon2id hashes, one refusal for every wrong thing, the lockout (5 failures,
15 minutes, audited with the source address), CSRF, cookie flags, sessions that end with a
disable or a password reset, the optional TOTP second factor, and no open redirect."""
from __future__ import annotations

import json

import pyotp
import pytest

from forwarder import keys
from tests.officers.support import PASSWORD, csrf_of, login, make_officer


def _audit(parts, action):
    return [row for row in parts.store.audit.read() if row["action"] == action]


def test_the_password_is_stored_as_an_argon2id_hash_only(parts):
    account = make_officer(parts, "admin", "KemenPANRB")
    stored = parts.store.officers.get(account["username"])
    assert stored["password"].startswith("$argon2id$") and PASSWORD not in json.dumps(stored)


def test_a_good_login_goes_to_the_desk_and_is_audited(app, parts):
    account = make_officer(parts, "petugas", "Dinas PU PERA")
    client = app.test_client()
    answer = login(client, account["username"])
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/petugas/")
    page = client.get("/petugas/").get_data(as_text=True)
    assert account["username"] in page and "Dinas PU PERA" in page
    [entry] = _audit(parts, "login")
    assert entry["actor"] == account["username"] and entry["agency"] == "Dinas PU PERA"
    assert entry["actor_id"].startswith("o-") and entry["address"] == "127.0.0.1"


@pytest.mark.parametrize("case", ["wrong password", "unknown user", "disabled", "malformed user"])
def test_every_refusal_reads_the_same_and_is_audited_with_its_address(app, parts, case):
    account = make_officer(parts, "supervisor", "Dinas Kesehatan")
    username, password = account["username"], PASSWORD
    if case == "wrong password":
        password = "salah-sekali-0000"
    elif case == "unknown user":
        username = "tidak-ada"
    elif case == "disabled":
        parts.store.officers.update(username, {"disabled": "1"}, new_generation=True)
    else:
        username = "Robert'); DROP"
    client = app.test_client()
    answer = login(client, username, password)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 401 and "Nama pengguna, kata sandi atau kode salah." in page
    assert password not in page
    assert client.get("/petugas/").status_code == 302
    [entry] = _audit(parts, "login_failed")
    assert entry["address"] == "127.0.0.1"
    assert entry["actor"] == (username if case in ("wrong password", "disabled") else "")


def test_five_failures_lock_the_account_for_fifteen_minutes_even_with_the_right_password(app, parts, redis_url):
    account = make_officer(parts, "admin", "KemenPANRB")
    client = app.test_client()
    statuses = [login(client, account["username"], f"salah-{n}-000000").status_code for n in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    right = login(client, account["username"], PASSWORD)
    assert right.status_code == 429 and "dikunci" in right.get_data(as_text=True)
    assert "15 menit" in right.get_data(as_text=True)
    assert client.get("/petugas/").status_code == 302
    ttl = parts.store.officers.redis.pttl(keys.login_lock(account["username"])) / 60000
    assert 14.9 < ttl <= 15
    assert len(_audit(parts, "login_failed")) == 4
    locked = _audit(parts, "login_locked")
    assert len(locked) == 2 and all(e["address"] == "127.0.0.1" for e in locked)
    parts.store.officers.unlock(account["username"])        # what `officers reset-password` does
    assert login(client, account["username"], PASSWORD).status_code == 302


def test_the_lock_applies_to_any_username_so_it_reveals_none(app, parts):
    client = app.test_client()
    statuses = [login(client, "tebakan", "salah-000000").status_code for _ in range(6)]
    assert statuses == [401, 401, 401, 401, 429, 429]


def test_the_lockout_follows_its_settings(environ, parts):
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts

    strict = build_parts(load_settings({**environ, "LAPOR_LOGIN_MAX_FAILURES": "2",
                                        "LAPOR_LOGIN_LOCKOUT_MINUTES": "3"}))
    client = create_app(parts=strict).test_client()
    assert [login(client, "budi", "salah-000000").status_code for _ in range(2)] == [401, 429]
    assert 2.9 < strict.store.officers.redis.pttl(keys.login_lock("budi")) / 60000 <= 3
    strict.publisher.close()


def test_a_login_without_or_with_a_wrong_csrf_token_is_refused(app, parts):
    account = make_officer(parts, "admin", "KemenPANRB")
    client = app.test_client()
    client.get("/petugas/login")
    for data in ({}, {"csrf_token": "forged"}):
        answer = client.post("/petugas/login", data={**data, "username": account["username"],
                                                    "password": PASSWORD})
        assert answer.status_code == 400
    other = app.test_client()
    stolen = csrf_of(other.get("/petugas/login").get_data(as_text=True))
    answer = client.post("/petugas/login", data={"csrf_token": stolen, "username": account["username"],
                                                 "password": PASSWORD})
    assert answer.status_code == 400 and client.get("/petugas/").status_code == 302


def test_logout_needs_a_post_with_the_token_and_ends_the_session(officer_client):
    client = officer_client("petugas", "KemenPANRB")
    assert client.get("/petugas/logout").status_code == 405
    assert client.post("/petugas/logout").status_code == 400
    token = csrf_of(client.get("/petugas/").get_data(as_text=True))
    assert client.post("/petugas/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/petugas/").status_code == 302


def test_the_session_cookie_is_httponly_and_lax_and_secure_on_https(environ, parts, app):
    account = make_officer(parts, "admin", "KemenPANRB")
    answer = login(app.test_client(), account["username"])
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie                      # LAPOR_OFFICER_SESSION_HOURS
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts

    https = build_parts(load_settings({**environ, "LAPOR_PUBLIC_BASE_URL": "https://lapor.example.go.id"}))
    secure_app = create_app(parts=https)
    cookie = login(secure_app.test_client(), account["username"]).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    https.publisher.close()


@pytest.mark.parametrize("change", ["disable", "reset"])
def test_disabling_or_resetting_an_account_ends_its_sessions(officer_client, parts, change):
    client = officer_client("supervisor", "KemenPANRB")
    assert client.get("/petugas/").status_code == 200
    fields = {"disabled": "1"} if change == "disable" else {}
    parts.store.officers.update(client.officer["username"], fields, new_generation=True)
    assert client.get("/petugas/").status_code == 302


def test_totp_is_asked_of_accounts_that_enabled_it_and_a_code_works_once(app, parts):
    secret = pyotp.random_base32()
    account = make_officer(parts, "admin", "KemenPANRB", totp_secret=secret, totp_last="0")
    client = app.test_client()
    assert login(client, account["username"]).status_code == 401                 # no code
    assert login(client, account["username"], code="000000" if pyotp.TOTP(secret).now() != "000000"
                 else "111111").status_code == 401
    code = pyotp.TOTP(secret).now()
    assert login(client, account["username"], code=code).status_code == 302
    again = app.test_client()
    assert login(again, account["username"], code=code).status_code == 401       # replayed code
    assert len(_audit(parts, "login_failed")) == 3


@pytest.mark.parametrize("wanted, lands", [
    ("/petugas/audit", "/petugas/audit"), ("//evil.example/x", "/petugas/"),
    ("https://evil.example/", "/petugas/"), ("/petugas/..\\evil", "/petugas/"),
])
def test_after_login_only_an_officer_page_is_a_destination(app, parts, wanted, lands):
    account = make_officer(parts, "admin", "KemenPANRB")
    client = app.test_client()
    token = csrf_of(client.get("/petugas/login").get_data(as_text=True))
    answer = client.post("/petugas/login", query_string={"next": wanted},
                         data={"csrf_token": token, "username": account["username"], "password": PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"] == lands


def test_a_page_asked_for_before_login_is_reached_after_it(app, parts):
    account = make_officer(parts, "supervisor", "KemenPANRB")
    client = app.test_client()
    first = client.get("/petugas/dead")
    assert first.status_code == 302 and "/petugas/login?next=/petugas/dead" in first.headers["Location"]
    page = client.get(first.headers["Location"])
    token = csrf_of(page.get_data(as_text=True))
    answer = client.post(first.headers["Location"], data={"csrf_token": token, "username": account["username"],
                                                          "password": PASSWORD})
    assert answer.headers["Location"] == "/petugas/dead"


def test_login_attempts_are_limited_per_address(environ, parts):
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts

    limited = build_parts(load_settings({**environ, "LAPOR_RATE_LIMIT_LOGIN": "3/minute"}))
    client = create_app(parts=limited).test_client()
    statuses = [login(client, f"orang-{n}", "salah-000000").status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert client.get("/petugas/login").status_code == 200            # the page itself is not
    exempt = build_parts(load_settings({**environ, "LAPOR_RATE_LIMIT_LOGIN": "3/minute",
                                        "LAPOR_RATE_LIMIT_EXEMPT": "127.0.0.0/8"}))
    client = create_app(parts=exempt).test_client()
    assert [login(client, f"orang-{n}", "salah-000000").status_code for n in range(4)] == [401] * 4
    limited.publisher.close()
    exempt.publisher.close()


def test_a_login_ends_after_the_session_hours_whatever_the_activity(officer_client):
    from gateway.officers.auth import LOGGED_IN_AT

    client = officer_client("petugas", "KemenPANRB")
    with client.session_transaction() as session:
        session[LOGGED_IN_AT] -= 8 * 3600 - 60           # logged in 7 h 59 min ago
    assert client.get("/petugas/").status_code == 200
    with client.session_transaction() as session:
        session[LOGGED_IN_AT] -= 120                     # 8 h 1 min ago
    assert client.get("/petugas/").status_code == 302
