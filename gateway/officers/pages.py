"""The supervisors' pages: the audit stream and the dead letters (``officers`` blueprint).

``/petugas/audit`` shows the newest ``AUDIT_ROWS`` entries a supervisor may see (their own
agency's) or, for an admin, every agency's. ``/petugas/dead`` lists dead letters with the
same code as ``lapor-gateway dead list`` (``forwarder.dead``), each with its reason,
attempts and age; a supervisor sees and replays only those of doors their agency owns.
The page lists the first ``DEAD_ROWS``. A replay (one, or every one the officer may see)
is a POST with the CSRF token; the ids are checked again against what the officer may see
at that moment, replayed by ``forwarder.dead.replay`` (the CLI's code) and audited
(``dead_replay``: how many, and their ids, the first ``AUDITED_IDS``).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from forwarder import dead
from gateway.officers import blueprint
from gateway.officers.audit import audit
from gateway.officers.auth import check_csrf, officer_required
from gateway.webtext import time_text
from normalizer import tracking

AUDIT_ROWS = 200
DEAD_ROWS = 1000             # the page lists at most this many; "replay all" takes every one
REPLAY_ALL = 100000          # ``forwarder.dead.replay``'s own bound
AUDITED_IDS = 1000           # a replay's audit entry names at most this many ids (and the count)
NO_STORE = {"Cache-Control": "no-store"}


def _parts():
    return current_app.extensions["lapor"]


def _details(raw: str) -> str:
    """An audit entry's details as ``key: value`` pairs."""
    try:
        values = json.loads(raw or "{}")
    except ValueError:
        return raw
    return ", ".join(f"{key}: {value}" for key, value in values.items()) if isinstance(values, dict) else raw


@blueprint.route("/audit")
@officer_required("supervisor")
def audit_page():
    agency = None if current_user.role == "admin" else current_user.agency
    rows = _parts().store.audit.read(agency=agency, limit=AUDIT_ROWS, newest_first=True)
    for row in rows:
        row["when"] = time_text(row.get("at", ""))
        row["shown_details"] = _details(row.get("details", ""))
    return render_template("officers/audit.html", rows=rows, everyone=agency is None), 200, NO_STORE


def _age(failed_at: str, now: datetime) -> tuple[int, int, int] | None:
    """A dead letter's age as (days, hours, minutes); None when its time is unknown."""
    try:
        moment = datetime.fromisoformat(failed_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    minutes = max(0, int((now - moment).total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    return days, rest // 60, rest % 60


def _visible_dead(limit: int = 0) -> list[dict]:
    rows = [row for row in dead.list_dead(_parts(), limit or DEAD_ROWS) if current_user.sees(row.get("agency", ""))]
    now = datetime.now(timezone.utc)
    for row in rows:
        row["age"] = _age(row.get("failed_at") or "", now)
        number = row.get("tracking_number") or ""
        row["number"] = tracking.display(number) if tracking.is_valid(number) else ""
    return rows


@blueprint.route("/dead")
@officer_required("supervisor")
def dead_page():
    replayed = request.args.get("replayed", "")
    page = render_template("officers/dead.html", rows=_visible_dead(), most=DEAD_ROWS,
                           replayed=int(replayed) if replayed.isascii() and replayed.isdigit() else None)
    return page, 200, NO_STORE


@blueprint.route("/dead/replay", methods=["POST"])
@officer_required("supervisor")
def dead_replay():
    check_csrf()
    every = request.form.get("all") == "1"
    visible = {row["id"] for row in _visible_dead(REPLAY_ALL if every else 0) if row["id"]}
    wanted = visible if every else {request.form.get("id", "")}
    if not wanted <= visible:
        abort(404)
    count = dead.replay(_parts(), wanted) if wanted else 0
    audit("dead_replay", count=count, ids=sorted(wanted)[:AUDITED_IDS], all=every)
    return redirect(url_for("officers.dead_page", replayed=count))
