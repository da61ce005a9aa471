"""Health: ``/healthz`` says the process is alive; ``/readyz`` that the store and the
broker answer (503 with the failing part named otherwise), with ``spool``: how many
complaints wait on disk for the store to come back, ``attachments``: ``ok``, or why the
attachments folder (maybe a shared volume) cannot take files now, and ``suggestions``:
``loading`` while the process still loads the region data in the background (complaints
are accepted meanwhile, without the suggestions: ``normalizer.warmup``), ``ok`` after.

The attachments folder is reported, not a reason to be unready: when a shared volume fails
it fails for every replica at once, and a load balancer that then took every replica out
would stop all intake, while only uploads (answered 503, retryable) and the central
system's attachment downloads need it. A volume missing or read-only at start stops the
process instead (``forwarder.attachments.prepare``)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from forwarder.attachments import writable
from normalizer import warmup

blueprint = Blueprint("health", __name__)


@blueprint.route("/healthz")
def healthz():
    return jsonify(status="ok")


@blueprint.route("/readyz")
def readyz():
    parts = current_app.extensions["lapor"]
    checks = {}
    try:
        parts.store.ping()
        checks["store"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["store"] = f"unavailable: {type(exc).__name__}"
    try:
        parts.publisher.ping()
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    problem = writable(parts.settings.attachments_dir)
    return jsonify(status="ready" if ready else "not ready", checks=checks, spool=parts.spool.depth(),
                   attachments=f"unavailable: {problem}" if problem else "ok",
                   suggestions="ok" if warmup.ready() else "loading"), (200 if ready else 503)
