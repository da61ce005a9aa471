"""The central system's side door: signed status callbacks.

``POST /api/v1/central/status`` with a ``StatusUpdateSchema`` JSON body, signed with the
contract v2 of ``forwarder.central`` (``X-Lapor-Timestamp``, ``X-Lapor-Signature:
v2=<hex HMAC-SHA256(LAPOR_CENTRAL_SECRET, "lapor-v2|status-to-gateway|<timestamp>|" +
body)>``; ``v1=`` too while ``LAPOR_ACCEPT_SIGNATURE_V1`` is on). Only the canonical form
is taken. A timestamp more than ``REPLAY_WINDOW`` seconds away is refused, and so is a
signature already used (the MAC that was verified is remembered for twice the window): a
captured callback cannot be replayed, whatever is added around its signature.

Sample body::

    {"tracking_number": "27410935882", "status": "proses", "agency": "Dinas PU PERA",
     "service_level": "pengaduan-60", "due_date": "2027-02-19",
     "updated_at": "2026-11-25T08:00:00+07:00"}

A ``service_level`` (e.g. ``pengaduan-60``, "reclassified") moves the due date (the one
given, or the new class's working days from the day the complaint was received) and the
instants of its yellow and red reminders (``forwarder.sla``); a finished complaint
(``selesai``, ``ditolak``) gets no more reminders and is no longer linked to new ones.

It updates the public status and notifies the reporter on the door they used (or the door
named by that door's ``notify_via`` option for their kind of handle, e.g. web-form reporters
who left a phone number get an SMS), unless they opted out (STOP) or left no way to reach
them. A complaint whose door calls its owner back instead (``ChannelAdapter.status_target``
``door``: a webhook door's ``callback_url``) gets one status reply to that door with the
public status fields, whoever the reporter is (``call_back``). Answers: 200 {"ok": true,
"notified": bool}; 401 bad or stale signature; 404 unknown complaint; 422 invalid body; 503
when no central secret is configured.

``GET /api/v1/central/attachments/<sha256>`` gives the central system the bytes of an
attachment a complaint or media event names (``stored_ref: attachment:<sha256>``), signed
the same way with the kind ``attachment-link`` over the request path. Always
``application/octet-stream`` as a download, never rendered: uploads are never served to
the public.
"""
from __future__ import annotations

import logging
from contextlib import suppress
from datetime import datetime, timezone

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError
from redis import RedisError

from forwarder import central
from forwarder.sla import reschedule
from normalizer import service_level, tracking
from normalizer.identity import pseudonym
from normalizer.schema import StatusUpdateSchema

blueprint = Blueprint("central", __name__)
log = logging.getLogger("lapor.central")
REPLAY_WINDOW = 300
#: the public status fields a door's status callback carries (never the reporter's)
STATUS_FIELDS = ("status", "agency", "note", "service_level", "due_date", "updated_at")


def _parts():
    return current_app.extensions["lapor"]


@blueprint.route("/api/v1/central/status", methods=["POST"])
def status_callback():
    parts = _parts()
    secret = parts.settings.central_secret
    if not secret:
        return jsonify(error="status callbacks need LAPOR_CENTRAL_SECRET"), 503
    body = request.get_data(cache=True)
    verified = _check(parts, body, central.STATUS_TO_GATEWAY)
    if verified.problem:
        return jsonify(error=verified.problem), 401
    if not parts.store.first_callback(verified.replay_key, 2 * REPLAY_WINDOW):
        return jsonify(error="replayed callback"), 401
    try:
        return _apply_status(parts, body)
    except RedisError:          # 503 (gateway.errors): the same signed request may come again
        with suppress(RedisError):
            parts.store.forget_callback(verified.replay_key)
        raise


def _apply_status(parts, body: bytes):
    """A verified status callback: the status recorded (and, with WAIT, on a replica), the
    service-level clock moved, the reporter or the door's agency told."""
    try:
        update = StatusUpdateSchema().loads(body.decode("utf-8", "replace"))
    except ValidationError as exc:
        return jsonify(error="invalid status update", fields=exc.messages), 422
    except ValueError:
        return jsonify(error="body is not JSON"), 400
    number = tracking.compact(update["tracking_number"])
    cid = update["complaint_id"]
    if not number and cid:
        number = parts.store.ledger(cid).get("tracking", "")
    current = parts.store.status(number) if number else None
    if current is None or (cid and current.get("id") != cid):
        return jsonify(error="unknown complaint"), 404
    cid = current["id"]
    fields = _status_fields(update, current)
    parts.store.update_status(number, fields)
    _move_clock(parts, number, current, {**current, **fields})
    log.info("status complaint=%s -> %s", cid, update["status"])
    door = parts.catalogue.doors.get(current.get("door", ""))
    adapter = parts.adapters.get(door.id) if door else None
    if adapter is not None and adapter.status_target() != "reporter":
        return jsonify(ok=True, notified=call_back(parts, door, cid, number, {**current, **fields}))
    return jsonify(ok=True, notified=notify(parts, cid, number))


def _status_fields(update: dict, current: dict) -> dict:
    """The public status fields a validated status update sets (a new class without a
    due date: the class's working days from the day the complaint was received)."""
    fields = {"status": update["status"],
              "updated_at": (update["updated_at"] or datetime.now(timezone.utc)).isoformat()}
    for name in ("agency", "note", "service_level"):
        if update[name]:
            fields[name] = update[name]
    if update["due_date"]:
        fields["due_date"] = update["due_date"].isoformat()
    elif update["service_level"] and update["service_level"] != service_level.class_of(current):
        try:
            received = datetime.fromisoformat(current["received_at"]).astimezone(service_level.WIB)
            fields["due_date"] = service_level.due_date(update["service_level"],
                                                        received.date()).isoformat()
        except (KeyError, ValueError):     # the due date stays; the status is still recorded
            log.warning("due date not recounted complaint=%s", current.get("id", "-"))
    return fields


def _move_clock(parts, number: str, before: dict, after: dict) -> None:
    """Reclassified or finished: move or drop the reminders; a finished complaint leaves
    the "me too" index. Logged and skipped on failure (the status is recorded)."""
    closed = after.get("status") in service_level.CLOSED
    moved = (service_level.class_of(after), after.get("due_date")) != \
        (service_level.class_of(before), before.get("due_date"))
    try:
        if closed or moved:
            reschedule(parts.store, number, after)
        if closed:
            parts.store.links.forget(number, after.get("link", ""))
    except Exception as exc:  # noqa: BLE001 - the clock is a help, never a reason to fail
        log.warning("service-level clock not moved complaint=%s: %s", after.get("id", "-"),
                    type(exc).__name__)


@blueprint.route("/api/v1/central/attachments/<sha256>", methods=["GET"])
def attachment(sha256: str):
    from flask import send_file

    from forwarder.attachments import path_for

    parts = _parts()
    secret = parts.settings.central_secret
    if not secret:
        return jsonify(error="attachment downloads need LAPOR_CENTRAL_SECRET"), 503
    problem = _check(parts, request.path.encode(), central.ATTACHMENT_LINK).problem
    if problem:
        return jsonify(error=problem), 401
    try:
        path = path_for(parts.settings.attachments_dir, sha256)
    except ValueError:
        return jsonify(error="not an attachment id"), 400
    if not path.is_file():
        return jsonify(error="unknown attachment"), 404
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=sha256)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _check(parts, payload: bytes, kind: str) -> central.Verified:
    """The request's signature of ``kind`` over ``payload``, checked (v1 as the setting says)."""
    return central.check_signature(parts.settings.central_secret, payload,
                                   request.headers.get("X-Lapor-Timestamp", ""),
                                   request.headers.get("X-Lapor-Signature", ""), kind,
                                   accept_v1=parts.settings.accept_signature_v1,
                                   window=REPLAY_WINDOW)


def call_back(parts, door, cid: str, number: str, status: dict) -> bool:
    """Queue a status change to a door that calls its owner back (a webhook door's
    ``callback_url``): the public status only, in the reporter's language; False when the
    door has nowhere to call."""
    if parts.adapters[door.id].status_target() != "door":
        return False
    lang = parts.store.route(cid).get("lang", "id")
    return parts.intake.queue_reply(door.channel, {
        "door_id": door.id, "to": "", "complaint_id": cid, "kind": "status",
        "text": parts.intake.status_reply(number, lang, key="status_notice"),
        "tracking_number": number, "language": lang,
        "status": {key: status.get(key, "") for key in STATUS_FIELDS}})


def notify(parts, cid: str, number: str) -> bool:
    """Queue a status notice to the reporter; False when there is nobody to tell."""
    route = parts.store.route(cid)
    handle, kind = route.get("handle", ""), route.get("kind", "")
    door = parts.catalogue.doors.get(route.get("door", ""))
    if not handle or door is None:
        return False
    if parts.store.opted_out(door.id, pseudonym(parts.settings.secret_key, kind, handle)):
        return False
    via = parts.catalogue.doors.get((door.options.get("notify_via") or {}).get(kind, door.id))
    if via is None or via.id not in parts.adapters:
        return False
    # in the language the reporter's channel told (Telegram, the form, an English keyword)
    lang = route.get("lang", "id")
    text = parts.intake.status_reply(number, lang, key="status_notice")
    public = via.id == door.id and route.get("public") == "1"   # e.g. a tweet: reply with
    return parts.intake.queue_reply(via.channel, {                 # the number only, DM the rest
        "door_id": via.id, "to": handle, "text": text, "complaint_id": cid,
        "sender_kind": kind, "language": lang,
        "kind": "status", "private": not public, "tracking_number": number,
        "reply_to": route.get("reply_to", "") if public else ""})
