"""The citizen's web form (blueprint ``forms``): server-rendered, no JavaScript needed.

    GET  /lapor                  the form (Indonesian; ``?lang=en`` for English)
    POST /lapor                  CSRF check, the web door's adapter validates, uploads are
                                 saved, the complaint is taken; the result page shows the
                                 tracking number, the due date and what happens next
    GET  /lapor/cek?nomor=...    the public status page (nothing personal)
    GET  /lapor/static/<file>    the style sheet

CSRF is checked here, explicitly, with ``flask_wtf.csrf`` (not ``CSRFProtect``, which would
also guard the providers' webhooks at ``/in/``). A wrong field re-renders the form with a
message next to it and what the citizen typed (files must be chosen again), status 422.
The hidden one-time ``submission_id`` makes a double click or a resubmit give the same
tracking number; the same ``submission_id`` with other contents (back, edit, send again) is
refused with a page that asks for a new form (422), never merged into the first report.
Every HTML answer (here and the app's error pages) carries a strict Content-Security-Policy,
``nosniff`` and a Referrer-Policy. The language link is query-only (``?lang=en``): the
request's path is never written into a page.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from functools import partial
from urllib.parse import urlencode

import redis
from flask import Blueprint, current_app, render_template, request
from werkzeug.http import HTTP_STATUS_CODES
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from channels.base import Rejected
from channels.web.adapter import InvalidSubmission
from channels.web.text import size_label
from config import messages
from forwarder import attachments
from gateway.intake import KeyReused
from gateway.outcome import due_date_of
from gateway.replytexts import colour_label
from gateway.webrequest import from_flask, web_adapter
from gateway.webtext import date_text, known, page_text, text_in, time_text
from normalizer import tracking

blueprint = Blueprint("forms", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/lapor/static")
log = logging.getLogger("lapor.forms")

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self'; style-src 'self'; "
                                "script-src 'none'; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def current_lang() -> str:
    """``en`` when the query (or the form's hidden field) asks for it; Indonesian otherwise."""
    chosen = request.args.get("lang") or (request.form.get("language") if request.method == "POST"
                                          and request.content_length else None)
    return "en" if chosen == "en" else "id"


def page_language() -> str:
    """The page's language (Flask-Babel's locale selector too); a body too large to read
    still gets a page, in the query's language."""
    try:
        return current_lang()
    except Exception:  # noqa: BLE001
        return "en" if request.args.get("lang") == "en" else "id"


@blueprint.app_context_processor
def _page_context():
    """Every template (the error page too) gets the language and its words."""
    lang = page_language()
    other = "id" if lang == "en" else "en"
    args = {key: value for key, value in request.args.items() if key != "lang"}
    args["lang"] = other
    parts = current_app.extensions.get("lapor")
    max_body = parts.settings.max_body_bytes if parts else current_app.config["MAX_CONTENT_LENGTH"]
    return {"lang": lang, "t": partial(text_in, lang), "known": known, "other_lang": other,
            "lang_query": {"lang": "en"} if lang == "en" else {},
            # a query-only link: this page in the other language, whatever the path says
            # (the path is never written into the page: "/\\evil.example" would be a link
            # to another site)
            "switch_url": "?" + urlencode(args),
            "max_body": size_label(max_body or 0)}


@blueprint.after_app_request
def _security_headers(response):
    """Strict headers on every HTML page of the app; nosniff on this blueprint's files."""
    if response.mimetype == "text/html" or request.blueprint == "forms":
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def _parts():
    return current_app.extensions["lapor"]


def _error_page(status: int, detail: str):
    page = render_template("error.html", status=status, detail=detail,
                           reason=HTTP_STATUS_CODES.get(status, "").lower())
    return page, status, {"Cache-Control": "no-store"}


def _render_form(values: dict, errors: dict, status: int = 200):
    settings = _parts().settings
    values = dict(values)
    if not values.get("submission_id"):
        values["submission_id"] = secrets.token_urlsafe(24)
    page = render_template(
        "form.html", values=values, errors=errors, csrf_token=generate_csrf(),
        max_attachments=settings.max_attachments,
        max_size=size_label(settings.max_attachment_bytes),
        max_text_chars=settings.max_text_chars)
    return page, status, {"Cache-Control": "no-store"}


@blueprint.get("/lapor")
def form():
    return _render_form({}, {})


@blueprint.post("/lapor")
def submit():
    parts = _parts()
    if request.mimetype != "multipart/form-data":
        # keep the raw body: from_flask passes it to the adapter, and reading
        # request.form first would otherwise consume it
        request.get_data(cache=True)
    lang = current_lang()
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        log.info("form refused: csrf (%s)", exc)
        return _error_page(400, page_text("csrf"))
    try:
        adapter = web_adapter(parts)
    except Rejected as exc:
        log.info("form refused: %s", exc.reason)
        return _error_page(404, page_text("error_404"))
    try:
        message, uploads = adapter.submission(from_flask(parts.settings.public_base_url))
    except InvalidSubmission as exc:
        log.info("form refused fields=%s", ",".join(sorted(exc.fields)))
        return _render_form(exc.values, exc.fields, 422)
    try:
        saved = attachments.save_all(parts.settings.attachments_dir, uploads)
        outcome = parts.intake.take(replace(message, attachments=saved), lang)
        due = due_date_of(parts.intake, outcome)
    except redis.RedisError as exc:
        log.error("store unavailable on the form: %s", type(exc).__name__)
        return _error_page(503, page_text("error_503"))
    except OSError as exc:       # the attachments folder (a shared volume) took no file
        log.error("attachments not stored on the form: %s", type(exc).__name__)
        return _error_page(503, page_text("error_503"))
    except KeyReused:
        return _error_page(422, page_text("reused"))
    number = outcome.tracking_number
    page = render_template("done.html", number=number, display=tracking.display(number),
                           due=date_text(due), duplicate=outcome.duplicate, linked=outcome.linked)
    return page, 200, {"Cache-Control": "no-store"}


@blueprint.get("/lapor/cek")
def status_page():
    parts = _parts()
    lang = current_lang()
    typed = request.args.get("nomor", "")[:40]
    try:
        verdict, found = parts.intake.lookup(typed) if typed.strip() else ("missing", None)
    except redis.RedisError as exc:
        log.error("store unavailable on the status page: %s", type(exc).__name__)
        return _error_page(503, page_text("error_503_status"))
    shown = tracking.compact(typed)[:20]
    result, status = None, 200
    if verdict == "ok":
        door = parts.catalogue.doors.get(found.get("door", ""))
        result = {
            "display": tracking.display(shown),
            "status": messages.status_label(found.get("status", ""), lang),
            "classification": page_text(found.get("classification", "")),
            "door": door.label if door else found.get("door", ""),
            "received": time_text(found.get("received_at", "")),
            "due": date_text(found.get("due_date", "")),
            "agency": found.get("agency") or messages.text("not_assigned", lang),
            "updated": time_text(found.get("updated_at", "")),
            "colour": colour_label(found, lang),
        }
    elif verdict in ("mistyped", "unknown"):
        status = 400 if verdict == "mistyped" else 404
    page = render_template("status.html", typed=typed, verdict=verdict, shown=shown,
                           result=result)
    return page, status, {"Cache-Control": "no-store"}
