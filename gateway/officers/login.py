"""Logging in and out, and the desk's first page (routes of the ``officers`` blueprint).

A refused login answers 401 (wrong username, password or code, or a disabled account: one
message for all) or 429 while the username is locked; both are audited (``login_failed``,
``login_locked``) with the source address. A good login starts a fresh session (nothing of
the anonymous one is kept) and goes back to the officer page that asked for it.
"""
from __future__ import annotations

import logging
import time

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from gateway.officers import blueprint
from gateway.officers.audit import audit
from gateway.officers.auth import LOGGED_IN_AT, check_csrf, check_login, officer_required
from gateway.officers.model import Officer

log = logging.getLogger("lapor.officers")
NO_STORE = {"Cache-Control": "no-store"}


def _parts():
    return current_app.extensions["lapor"]


def _next_page() -> str:
    """Where to go after logging in: an officer page asked for, never another site."""
    wanted = request.args.get("next", "")
    if wanted.startswith("/petugas/") and "//" not in wanted and "\\" not in wanted:
        return wanted
    return url_for("officers.home")


def _login_page(status: int = 200, error: str = "", username: str = "", minutes: int = 0):
    page = render_template("officers/login.html", error=error,
                           username=username, minutes=minutes)
    return page, status, NO_STORE


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("officers.home"))
        return _login_page()
    check_csrf()
    username = request.form.get("username", "").strip().lower()[:64]
    verdict = check_login(_parts(), username, request.form.get("password", ""),
                          request.form.get("code", ""))
    account = verdict.account
    if verdict.outcome == "ok":
        officer = Officer(account, _parts().settings.secret_key)
        session.clear()
        login_user(officer)
        session.permanent = True
        session[LOGGED_IN_AT] = time.time()
        audit("login", officer)
        log.info("officer login officer=%s", officer.pseudonym)
        return redirect(_next_page())
    known = {"actor": account or None, "agency": account.get("agency", ""), "known": bool(account)}
    if verdict.outcome == "locked":
        audit("login_locked", **known)
        minutes = max(1, round(verdict.locked_seconds / 60))
        return _login_page(429, "locked", username, minutes)
    audit("login_failed", **known)
    return _login_page(401, "wrong", username)


@blueprint.route("/logout", methods=["POST"])
def logout():
    check_csrf()
    if current_user.is_authenticated:
        audit("logout")
    logout_user()
    session.clear()
    return redirect(url_for("officers.login"))


@blueprint.route("/")
@officer_required("petugas")
def home():
    return render_template("officers/home.html"), 200, NO_STORE
