"""Officers' authentication: passwords, the login check with its lockout, TOTP, sessions,
and the ``officer_required`` view decorator.

Passwords are hashed with argon2id (``argon2-cffi``'s ``PasswordHasher``, its default
parameters, rehashed on login when they change). An argon2id check holds a core for tens of
milliseconds (hundreds on a loaded machine) without yielding: under gunicorn's gevent worker
it runs on gevent's pool of OS threads (argon2-cffi releases the GIL), so the worker's other
requests, citizens' complaints among them, are served meanwhile. A login is refused the same way for an
unknown username, a wrong password, a disabled account and a wrong or missing second-factor
code (an unknown username is checked against a dummy hash, so the time does not tell either).
Every failure counts against the username typed (``LAPOR_LOGIN_MAX_FAILURES`` within
``LAPOR_LOGIN_LOCKOUT_MINUTES``); at the limit the username is locked for
``LAPOR_LOGIN_LOCKOUT_MINUTES``, even with the right password. By design anyone who knows a
username can keep it locked by failing five times every 15 minutes (docs/security.md,
"Officers"): each such failure is audited with its source address.

TOTP (``pyotp``, RFC 6238, 30-second steps, one step of clock drift either way) is asked of
accounts that enabled it (``lapor-gateway officers totp enable``); a code works once.

``officer_required(role)``: not logged in -> the login page (then back); logged in below
``role`` -> 403. Sessions are Flask's signed cookie (HttpOnly, SameSite=Lax, Secure on an
https public address; ``gateway.app``), ``LAPOR_OFFICER_SESSION_HOURS`` from the login
(``LOGGED_IN_AT`` in the session; activity does not stretch it), bound to the account's
generation (a password reset or a disable ends them).
"""
from __future__ import annotations

import sys
import time
from functools import cache, wraps
from typing import NamedTuple

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, redirect, request, session, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from gateway.officers.model import ROLES, Officer, valid_username

HASHER = PasswordHasher()          # argon2id
MIN_PASSWORD = 10
LOGGED_IN_AT = "desk_login_at"     # the session's field: when (epoch seconds) the login was


def _off_the_event_loop(call, *args):
    """``call(*args)``: on gevent's pool of OS threads when the process is monkey-patched
    (gunicorn's gevent worker), so the hub goes on serving other requests; in place elsewhere
    (the sync and gthread workers, the CLI, the tests)."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("socket"):
        return call(*args)
    return sys.modules["gevent"].get_hub().threadpool.apply(call, args)


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-password-of-anyone")


def hash_password(password: str) -> str:
    return _off_the_event_loop(HASHER.hash, password)


def password_matches(stored_hash: str, password: str) -> bool:
    """Whether ``password`` is the one of ``stored_hash`` (a dummy hash when empty)."""
    try:
        return (_off_the_event_loop(HASHER.verify, stored_hash or _dummy_hash(), password)
                and bool(stored_hash))
    except (VerificationError, InvalidHashError):
        return False


def totp_step(secret: str, code: str, at: float | None = None) -> int:
    """The time step whose code is ``code`` (now, or one step either side); 0 when none."""
    code = (code or "").strip().replace(" ", "")
    if not secret or not code.isascii() or not code.isdigit():
        return 0
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    for drift in (0, -1, 1):
        moment = now + drift * totp.interval
        if pyotp.utils.strings_equal(totp.at(moment), code):
            return int(moment // totp.interval)
    return 0


class Verdict(NamedTuple):
    """What a login attempt came to: ``ok``, ``wrong`` or ``locked``; the account (empty
    when unknown) and, when locked, the seconds left."""
    outcome: str
    account: dict
    locked_seconds: float = 0.0


def check_login(parts, username: str, password: str, code: str) -> Verdict:
    """Decide a login attempt and count it (failures, lock)."""
    settings, officers = parts.settings, parts.store.officers
    if not valid_username(username):
        password_matches("", password)           # the same time as any other refusal
        return Verdict("wrong", {})
    locked = officers.locked_for(username)
    if locked:
        return Verdict("locked", officers.get(username), locked)
    account = officers.get(username)
    good = password_matches(account.get("password", ""), password) and account.get("disabled") == "0"
    if good and account.get("totp_secret"):
        step = totp_step(account["totp_secret"], code)
        good = bool(step) and officers.use_totp_step(username, step)
    if good:
        officers.succeeded(username)
        if HASHER.check_needs_rehash(account["password"]):
            officers.update(username, {"password": hash_password(password)})
        return Verdict("ok", account)
    window = settings.login_lockout_minutes * 60
    _failures, now_locked = officers.failed(username, settings.login_max_failures, window)
    return Verdict("locked" if now_locked else "wrong", account, window if now_locked else 0.0)


def check_csrf() -> None:
    """Every officer form carries flask-wtf's CSRF token (bound to the session); 400 otherwise."""
    try:
        validate_csrf(request.form.get("csrf_token", ""))
    except ValidationError:
        abort(400, "invalid or missing CSRF token")


def officer_required(role: str = "petugas"):
    """View decorator: the current officer must be logged in with ``role`` or above."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("officers.login", next=request.full_path.rstrip("?")))
            if not current_user.can(role):
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return decorate


def init_login(app) -> None:
    """Flask-Login on ``app``: officers are loaded from the store on every request."""
    manager = LoginManager()
    manager.session_protection = "basic"
    manager.init_app(app)

    @manager.user_loader
    def load(session_id: str):
        username, _, generation = session_id.partition("|")
        parts = current_app.extensions["lapor"]
        if time.time() - session.get(LOGGED_IN_AT, 0) > parts.settings.officer_session_hours * 3600:
            return None
        account = parts.store.officers.get(username) if valid_username(username) else {}
        if not account or account.get("disabled") != "0" or account.get("generation") != generation:
            return None
        return Officer(account, parts.settings.secret_key)
