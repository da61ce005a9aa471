"""The Flask app factory.

``create_app(settings=None, parts=None)`` validates settings (from the environment when not
given), starts the embedded Redis when the settings ask for it, builds the parts and
registers the blueprints: doors (``/in/<door>``; providers' webhooks are served in front of
Flask by ``gateway.doors.DoorPath``), the web form (``/lapor``), the JSON API
(``/api/v1``) with OpenAPI (``/openapi.json``), Open311 GeoReport v2 (``/open311/v2``),
the central system's status callback (``/api/v1/central/status``), health (``/healthz``,
``/readyz``), ``/metrics``, the public statistics (``/statistik``, ``/api/v1/statistics``)
and the officers' desk (``/petugas``, ``gateway.officers``), behind the request-body
deadline (``gateway.bodytime``, ``LAPOR_BODY_TIMEOUT_SECONDS``).
Gunicorn serves it as ``gateway.app:create_app()``; each worker then loads the region data
(``normalizer.suggestion.warm``, about 1 s of CPU) on a thread of its own while it already
takes requests (``normalizer.warmup``: complaints meanwhile go without the suggestions, never
waiting for them), so the worker is ready at once. When LAPOR_PUBLIC_BASE_URL is https,
the session (CSRF) cookie is ``Secure`` and every answer carries HSTS (one year).
"""
from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from config.datadir import keep_files_private, prepare_data_dir
from config.settings import load_settings
from forwarder import attachments
from gateway import embedded, errors, officers
from gateway.bodytime import BodyDeadline
from gateway.wiring import build_parts, setup_logging
from normalizer import warmup


HSTS = "max-age=31536000"


def _strict_transport_security(response):
    """With an https public address, browsers are told to come back over https only."""
    response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


class Sessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session (the forms' CSRF token, the officers' login), its signing
    serializer made once per secret key rather than for every request: Flask opens the
    session of each request, a provider's webhook too, and the serializer's making was about
    2 % of a Kannel request (issue 12)."""

    _made: tuple = ((), None)

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made_for, serializer = self._made
        if made_for != keys:
            serializer = super().get_signing_serializer(app)
            self._made = (keys, serializer)
        return serializer


def create_app(settings=None, parts=None) -> Flask:
    starting = parts is None
    if starting:             # the process's start (gunicorn): private files from here on
        keep_files_private()
        settings = settings or load_settings()
        prepare_data_dir(settings.data_dir)
        attachments.prepare(settings)   # the (shared) attachments folder takes files
        settings, _server = embedded.resolve(settings)
        parts = build_parts(settings)
    settings = parts.settings
    setup_logging(settings.log_level, settings.log_format)
    app = Flask(__name__)
    app.session_interface = Sessions()
    https = settings.public_base_url.startswith("https://")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
    )
    if https:
        app.after_request(_strict_transport_security)
    app.extensions["lapor"] = parts

    from gateway import (api, central_api, doors, forms, health, limits, metrics, observe, open311,
                         statistics, webtext)
    # providers' webhooks skip Flask (gateway.doors.DoorPath); every body has its deadline
    app.wsgi_app = BodyDeadline(
        doors.DoorPath(app.wsgi_app, parts, (("Strict-Transport-Security", HSTS),) if https else ()),
        settings.body_timeout_seconds, settings.max_body_bytes)
    observe.init_app(app)         # request ids, the log context, latencies
    for module in (doors, forms, api, central_api, open311, health, metrics, statistics):
        app.register_blueprint(module.blueprint)
    officers.init_app(app, settings)
    limits.init_app(app, settings)
    errors.init_app(app)
    webtext.init_app(app, forms.page_language)
    if parts.spool.files():       # complaints spooled before a restart: replay them
        parts.intake.ensure_drainer()
    if starting:
        # Region data in the background; no complaint waits for it. Started last: the thread
        # shares the interpreter, and the app is built sooner without it (issue 12).
        warmup.start()
    return app
