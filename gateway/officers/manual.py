"""Manual entry at the desk (routes of the ``officers`` blueprint): a complaint received at
a counter, by letter, by phone or in a complaint box, and its printable receipt.

    GET/POST /petugas/laporan/baru                    the form (petugas and above)
    GET      /petugas/laporan/<number>/tanda-terima   the receipt for the citizen

The complaint goes the one way every door's does: the agency's manual door's adapter
(``channels.manual``) reads the form, the uploads are saved (``forwarder.attachments``, as
the citizen form's), and the intake takes the message (normalizer, store, queue). Its door
is the officer's agency's manual door (``manual_door``: declared in the doors file; without
one the page says so, 409), its owner that agency, and ``meta.entered_by`` the officer's
keyed pseudonym. A wrong field re-renders the form with what was typed (files must be
chosen again), 422, as the citizen form does; the hidden one-time ``submission_id`` makes
a double submit give one tracking number. Every entry is audited (``manual_entry``: the
complaint's id and number, the door, the source, whether it was a resubmit).

The receipt shows the tracking number, the day received, the due date and how to follow
the complaint (SMS, WhatsApp, web); nothing the reporter said, nor who they are. It is
shown to the officers of the complaint's agency (admins: any), 404 to the others.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from datetime import datetime, timezone

import redis
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from channels.manual.adapter import SOURCES, WIB, door_id_for
from channels.web.adapter import InvalidSubmission
from channels.web.text import size_label
from forwarder import attachments
from gateway.intake import KeyReused
from gateway.officers import blueprint
from gateway.officers.audit import audit
from gateway.officers.auth import check_csrf, officer_required
from gateway.webrequest import from_flask
from gateway.webtext import date_text, time_text
from normalizer import tracking

log = logging.getLogger("lapor.officers")
NO_STORE = {"Cache-Control": "no-store"}
DEFAULT_SHORT_CODE = "1708"


def _parts():
    return current_app.extensions["lapor"]


def manual_door(parts, agency: str):
    """``agency``'s manual door: the one named ``door_id_for(agency)``, else the first door
    of the ``manual`` channel that agency owns; None when it has none."""
    doors = [door for door in parts.catalogue.doors.values()
             if door.channel == "manual" and door.agency == agency]
    named = [door for door in doors if door.id == door_id_for(agency)]
    return (named or doors or [None])[0]


def _form(values: dict, errors: dict, status: int = 200, door=None):
    settings = _parts().settings
    values = dict(values)
    values.setdefault("submission_id", secrets.token_urlsafe(24))
    values.setdefault("received_on", datetime.now(WIB).date().isoformat())
    values.setdefault("source", "datang_langsung")
    page = render_template("officers/manual_form.html", values=values, errors=errors,
                           door=door, sources=SOURCES, max_attachments=settings.max_attachments,
                           max_size=size_label(settings.max_attachment_bytes),
                           today=datetime.now(WIB).date().isoformat())
    return page, status, NO_STORE


@blueprint.route("/laporan/baru", methods=["GET", "POST"])
@officer_required("petugas")
def manual_entry():
    parts = _parts()
    door = manual_door(parts, current_user.agency)
    if door is None:
        return _form({}, {}, 409)
    if request.method == "GET":
        return _form({}, {}, door=door)
    if request.mimetype != "multipart/form-data":
        request.get_data(cache=True)   # keep the raw body for the adapter (as the citizen form)
    check_csrf()
    try:
        message, uploads = parts.adapters[door.id].entry(from_flask(parts.settings.public_base_url),
                                                         current_user.pseudonym)
    except InvalidSubmission as invalid:
        log.info("manual entry refused fields=%s officer=%s", ",".join(sorted(invalid.fields)),
                 current_user.pseudonym)
        return _form(invalid.values, invalid.fields, 422, door)
    try:
        saved = attachments.save_all(parts.settings.attachments_dir, uploads)
        outcome = parts.intake.take(replace(message, attachments=saved), message.language)
    except redis.RedisError as exc:
        log.error("store unavailable on the desk: %s", type(exc).__name__)
        abort(503)
    except OSError as exc:       # the attachments folder (a shared volume) took no file
        log.error("attachments not stored on the desk: %s", type(exc).__name__)
        abort(503)
    except KeyReused:
        abort(422, "this form was already sent with other contents: open a new form")
    audit("manual_entry", complaint=outcome.complaint_id, tracking=outcome.tracking_number,
          door=door.id, source=message.meta["source"], duplicate=outcome.duplicate)
    return redirect(url_for("officers.receipt", number=outcome.tracking_number))


def wib_day(iso: str) -> str:
    """The day (Jakarta) of an ISO moment, ISO ('' when unreadable)."""
    try:
        return datetime.fromisoformat(iso).astimezone(WIB).date().isoformat()
    except (TypeError, ValueError):
        return ""


def visible_complaint(number: str) -> dict:
    """The desk's record of complaint ``number`` if the current officer may see it (their
    agency owns it, or they are an admin); 404 otherwise, the same for unknown numbers."""
    digits = tracking.compact(number)
    if not tracking.is_valid(digits):
        abort(404)
    found = _parts().store.complaints.by_tracking(digits)
    if found is None or not current_user.sees(found["complaint"].get("door_agency", "")):
        abort(404)
    return found


@blueprint.route("/laporan/<number>/tanda-terima")
@officer_required("petugas")
def receipt(number: str):
    parts = _parts()
    found = visible_complaint(number)
    complaint = found["complaint"]
    digits = complaint["tracking_number"]
    door = parts.catalogue.doors.get(complaint["door"])
    short_codes = [d.options["short_code"] for d in parts.catalogue.doors.values()
                   if d.options.get("short_code")]
    base = parts.settings.public_base_url or ""
    page = render_template(
        "officers/receipt.html", number=digits, display=tracking.display(digits),
        received=date_text(wib_day(complaint["received_at"])),
        due=date_text(complaint["service_level"]["due_date"]),
        classification=complaint["classification"], source=complaint["meta"].get("source", ""),
        door=door.label if door and door.label else complaint["door"], agency=complaint["door_agency"],
        short_code=(short_codes or [DEFAULT_SHORT_CODE])[0],
        status_url=(f"{base}{url_for('forms.status_page', nomor=digits)}" if base
                    else url_for("forms.status_page", nomor=digits, _external=True)),
        printed=time_text(datetime.now(timezone.utc).isoformat()))
    return page, 200, NO_STORE
