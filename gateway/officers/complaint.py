"""A complaint's page for its agency's officers (route of the ``officers`` blueprint).

    GET /petugas/laporan/<number>      supervisors of the owning agency, and admins

It shows the door it came through, its forwarding state to the central system
(``accepted``, ``retrying``, ``delivered``, ``dead``, with attempts and the last error),
its public status, its events (follow-ups, edits, media fetched, reply states), the
replies sent to the reporter and their delivery states (``forwarder.store_complaints``).
What the reporter sent (title, body, location, attachments) is shown; who they are only
when they chose neither anonymity nor confidentiality: an anonymous or confidential
complaint carries no name or contact in clear, and the page shows only that it is
withheld. Another agency's complaint, like an unknown number, is 404: the desk does not
confirm which numbers other agencies hold. Opening a complaint is audited
(``complaint_view``).
"""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from config import messages
from gateway.officers import blueprint
from gateway.officers.audit import audit
from gateway.officers.auth import officer_required
from gateway.officers.manual import NO_STORE, visible_complaint, wib_day
from gateway.webtext import date_text, time_text
from normalizer import tracking


def _reporter(complaint: dict) -> dict:
    """What the page may show of the reporter: name and contact only for an open report."""
    privacy = complaint.get("privacy") or {}
    private = bool(privacy.get("anonymous") or privacy.get("confidential"))
    reporter = complaint.get("reporter") or {}
    if private:
        return {"private": True, "anonymous": bool(privacy.get("anonymous")), "name": "", "contact": ""}
    return {"private": False, "anonymous": False, "name": reporter.get("name") or "",
            "contact": reporter.get("contact") or ""}


def _events(events: list[dict]) -> list[dict]:
    return [{"type": event.get("type", ""), "when": time_text(event.get("received_at", "")),
             "body": event.get("body", ""), "files": len(event.get("attachments") or []),
             "state": event.get("state", "")} for event in events]


def _replies(replies: dict[str, dict]) -> list[dict]:
    rows = [{"kind": value.get("kind", ""), "state": value.get("state") or "accepted",
             "code": value.get("code", ""), "when": time_text(value.get("updated_at", "")),
             "at": value.get("updated_at", "")} for value in replies.values()]
    return sorted(rows, key=lambda row: row["at"])


@blueprint.route("/laporan")
@officer_required("supervisor")
def complaint_lookup():
    """The desk's "open a complaint by number" form: to its page (which checks the rest)."""
    number = tracking.compact(request.args.get("nomor", ""))[:20]
    english = {"lang": "en"} if request.args.get("lang") == "en" else {}
    return redirect(url_for("officers.complaint_page", number=number or "-", **english))


@blueprint.route("/laporan/<number>")
@officer_required("supervisor")
def complaint_page(number: str):
    parts = current_app.extensions["lapor"]
    found = visible_complaint(number)
    complaint, ledger, status = found["complaint"], found["ledger"], found["status"]
    door = parts.catalogue.doors.get(complaint["door"])
    lang = "en" if request.args.get("lang") == "en" else "id"
    audit("complaint_view", complaint=complaint["id"], tracking=complaint["tracking_number"])
    page = render_template(
        "officers/complaint.html", complaint=complaint, number=complaint["tracking_number"],
        display=tracking.display(complaint["tracking_number"]),
        door=door.label if door and door.label else complaint["door"], door_id=complaint["door"],
        state=found["state"], attempts=ledger.get("attempts", "0"), last_error=ledger.get("last_error", ""),
        status=messages.status_label(status.get("status", ""), lang) if status else "-",
        received=date_text(wib_day(complaint["received_at"])),
        due=date_text(complaint["service_level"]["due_date"]),
        source=complaint.get("meta", {}).get("source", ""), entered_by=complaint.get("meta", {}).get("entered_by", ""),
        reporter=_reporter(complaint), events=_events(found["events"]), replies=_replies(found["replies"]))
    return page, 200, NO_STORE
