"""Every request's id, log context and latency.

Before a request: its id (the caller's ``X-Request-ID`` when well-formed, else a new one,
``config.logs.request_id_from``) and its door go into the log context, so every line logged
while it is served carries them. After it: the id is returned in ``X-Request-ID`` and the
time it took is counted in ``lapor_request_seconds{route, door}`` (``forwarder.store_metrics``).
Labels stay bounded: the route is the URL rule that matched (``unmatched`` otherwise), the
door a configured door id, ``other`` for any other ``/in/<door>``, ``-`` off the doors.
"""
from __future__ import annotations

import time

from flask import Flask, current_app, g, request

from config.logs import request_id_from, reset_context, set_context
from gateway.webrequest import WEB_DOOR

WEB_ENDPOINTS = ("forms.submit", "api.create_complaint")   # submissions through the web door


def door_label(doors) -> str:
    """The door a request goes through, as a bounded label."""
    door_id = (request.view_args or {}).get("door_id")
    if door_id is not None:
        return door_id if door_id in doors else "other"
    if request.endpoint in WEB_ENDPOINTS and WEB_DOOR in doors:
        return WEB_DOOR
    return "-"


def _start() -> None:
    parts = current_app.extensions["lapor"]
    g.lapor_started = time.perf_counter()
    g.lapor_request_id = request_id_from(request.headers.get("X-Request-ID"))
    g.lapor_door = door_label(parts.catalogue.doors)
    g.lapor_log_tokens = set_context(request_id=g.lapor_request_id,
                                     door=None if g.lapor_door in ("-", "other") else g.lapor_door,
                                     complaint_id=None)


def _finish(response):
    response.headers["X-Request-ID"] = g.get("lapor_request_id") or request_id_from(None)
    started = g.get("lapor_started")
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        # counted in the process, written within a second with the others (no round trip here)
        current_app.extensions["lapor"].store.observations.observe_request(
            route, g.lapor_door, time.perf_counter() - started)
    return response


def _teardown(_exc=None) -> None:
    tokens = g.pop("lapor_log_tokens", None)
    if tokens:
        reset_context(tokens)


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_teardown)
