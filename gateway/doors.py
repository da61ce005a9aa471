"""The doors blueprint: every provider webhook is served at ``/in/<door-id>``.

GET serves providers' verification handshakes (and Kannel's get-url); POST carries
messages. An unknown door is 404 with a short JSON reason; whatever the adapter refuses is
answered with its status and reason; a store outage is 503 so the provider retries
(``gateway.errors``).
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, make_response

from channels.base import Rejected
from gateway.errors import error_response, shown
from gateway.webrequest import from_flask

blueprint = Blueprint("doors", __name__)
log = logging.getLogger("lapor.doors")


@blueprint.route("/in/<door_id>", methods=["GET", "POST"])
def door(door_id: str):
    parts = current_app.extensions["lapor"]
    try:
        answer = parts.intake.handle(door_id, from_flask(parts.settings.public_base_url))
    except Rejected as exc:
        log.info("refused door=%s status=%s reason=%s", shown(door_id), exc.status, shown(exc.reason, 200))
        return error_response(exc.status, exc.reason)
    response = make_response(answer.body, answer.status)
    response.headers["Content-Type"] = answer.content_type
    response.headers.update(answer.headers)
    return response
