"""Health: ``/healthz`` says the process is alive; ``/readyz`` that the store and the
broker answer (503 with the failing part named otherwise), with ``spool``: how many
complaints wait on disk for the store to come back, and ``suggestions``: ``loading`` while
the process still loads the region data in the background (complaints are accepted
meanwhile, without the suggestions: ``normalizer.warmup``), ``ok`` after."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

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
    return jsonify(status="ready" if ready else "not ready", checks=checks,
                   spool=parts.spool.depth(), suggestions="ok" if warmup.ready() else "loading"), \
        (200 if ready else 503)
