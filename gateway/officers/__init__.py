"""The officers' desk under ``/petugas`` (blueprint ``officers``).

    GET/POST /petugas/login          log in (username, password, TOTP code when enabled)
    POST     /petugas/logout         log out
    GET      /petugas/               the desk: who is logged in, what they may open
    GET      /petugas/audit          the audit stream (supervisor: own agency; admin: all)
    GET      /petugas/dead           dead letters (supervisor: own agency's; admin: all)
    POST     /petugas/dead/replay    replay one (``id``) or all shown (``all``), audited
    GET/POST /petugas/laporan/baru   manual entry (``manual``); its receipt at
             /petugas/laporan/<number>/tanda-terima
    GET      /petugas/laporan/<number>   a complaint's page (``complaint``: supervisor)

Every page checks the role on the server (``gateway.officers.auth.officer_required``), every
form carries a CSRF token (flask-wtf), every action goes to the audit stream
(``gateway.officers.audit``). Accounts are made from the CLI (``gateway.officers.cli``).
Officer pages extend ``officers/base.html`` (the nav) and read their words from the page
catalogue (``desk_*`` keys), Indonesian first.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint
from flask_wtf.csrf import generate_csrf

blueprint = Blueprint("officers", __name__, url_prefix="/petugas")


@blueprint.context_processor
def _desk_context():
    """Officer templates put ``desk_csrf()`` (flask-wtf's token) in every form."""
    return {"desk_csrf": generate_csrf}


def init_app(app, settings) -> None:
    """Register the desk on ``app``: Flask-Login, the session's length, the views."""
    from gateway.officers import auth, complaint, login, manual, pages  # noqa: F401 - their routes join the blueprint

    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=settings.officer_session_hours)
    auth.init_login(app)
    app.register_blueprint(blueprint)
