"""Rate limits on the doors people use directly: the web form, the JSON API, ``/in/web``
(every door of the web channel) and the status look-ups.

flask-limiter with its counters in the store's Redis, so every gunicorn worker shares them.
Submissions (POST) get two limits, look-ups (GET) one, answered with 429, a short reason
and Retry-After (the seconds until the breached window ends; answers within the limits
carry no X-RateLimit-* headers, which would cost two Redis round trips each):

  LAPOR_RATE_LIMIT_IP      submissions per client address  [120/minute;2000/day]
  LAPOR_RATE_LIMIT_SENDER  submissions per reporter contact [10/hour;30/day]
                           (keyed by its pseudonym, never the contact itself)
  LAPOR_RATE_LIMIT_LOOKUP  status look-ups per client address: GET /api/v1/complaints/<n>
                           and /lapor/cek, so tracking numbers cannot be enumerated
                           [30/minute;300/hour;1000/day]; CEK by SMS or chat is limited per
                           reporter by ``lookup_allowed`` (see gateway.intake)
  LAPOR_RATE_LIMIT_LOGIN   officers' login attempts (POST /petugas/login) per client address:
                           each costs an argon2id check [30/minute;300/hour]
  LAPOR_RATE_LIMIT_EXEMPT  comma-separated networks never limited (an agency's server
                           posting many complaints from one address) [empty]
  LAPOR_PROXY_HOPS         proxies in front of the gateway whose X-Forwarded-For is
                           trusted for the client address [0]

A request with a live agency API key (``gateway.agency_keys``: the JSON API's submission
and status, Open311) is not counted per address: an agency's system relays many citizens
from one address, and its key names it. The per-contact limit still counts each citizen.

Each limit is "off" to switch it off. The per-address default is generous on purpose:
Indonesian mobile networks put many citizens behind one carrier-grade NAT address.
Provider webhooks (``/in/<door>`` of any other channel) are never limited here: a provider
must never be answered 429 (a flooding sender is accepted, flagged and queued as bulk
instead; see ``gateway.intake``). If Redis cannot count, requests pass (the store outage is
handled by the spool), rather than refusing citizens.
"""
from __future__ import annotations

import ipaddress
import math
import time
from urllib.parse import parse_qs, quote

from flask import current_app, request
from flask_limiter import Limiter
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.middleware.proxy_fix import ProxyFix

from channels import jsonbody
from channels.base import Rejected
from config import sentinel
from gateway.agency_keys import keyed
from normalizer.identity import normalize_phone, pseudonym

SUBMISSION_VIEWS = ("api.create_complaint", "forms.submit", "doors.door")
LOOKUP_VIEWS = ("api.complaint_status", "forms.status_page", "open311.requests",
                "open311.one_request")
LOGIN_VIEWS = ("officers.login",)


def _storage_uri(redis_url: str) -> str:
    """The ``limits`` library's spelling of the store's URL (through Sentinel: its own
    ``redis+sentinel://`` form, where the counters live in the primary's database 0)."""
    if sentinel.is_sentinel(redis_url):
        where = sentinel.parse_url(redis_url)
        login = f"{quote(where.username or '', safe='')}:{quote(where.password, safe='')}@" \
            if where.password is not None else ""
        hosts = ",".join(f"{host}:{port}" for host, port in where.sentinels)
        return f"redis+sentinel://{login}{hosts}/{quote(where.master_name, safe='')}"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _contact() -> str:
    """The contact field of a form or JSON submission, without consuming the body."""
    if request.mimetype == "multipart/form-data":
        return request.form.get("contact", "")
    raw = request.get_data(cache=True)
    if request.is_json:
        try:
            data = jsonbody.load(raw)
        except Rejected:
            return ""
        value = data.get("contact", "") if isinstance(data, dict) else ""
        return value if isinstance(value, str) else ""
    return (parse_qs(raw.decode("utf-8", "replace")).get("contact") or [""])[0]


def _limited() -> bool:
    """Whether this request is one the limits count: the form, the API, look-ups, and the
    doors of the web channel; never a provider's webhook."""
    if request.endpoint in (*LOOKUP_VIEWS, *SUBMISSION_VIEWS[:2], *LOGIN_VIEWS):
        return True
    if request.endpoint == "doors.door":
        door = current_app.extensions["lapor"].catalogue.doors.get(
            (request.view_args or {}).get("door_id", ""))
        return door is not None and door.channel == "web"
    return False


class ReporterLookups:
    """CEK by SMS or chat: LAPOR_RATE_LIMIT_LOOKUP per reporter (their pseudonym) and door,
    counted in the same Redis. Over it the citizen is told to try later; the provider is
    never refused. If Redis cannot count, the look-up passes."""

    def __init__(self, settings):
        value = settings.rate_limit_lookup
        self.items = [] if value == "off" else parse_many(value)
        self._uri = _storage_uri(settings.redis_url)
        self._limiter = None            # connected at the first look-up, never at import

    def allowed(self, door_id: str, reporter: str) -> bool:
        if not self.items or not reporter:
            return True
        try:
            if self._limiter is None:
                self._limiter = FixedWindowRateLimiter(storage_from_string(self._uri))
            return all([self._limiter.hit(item, "lapor-rl-cek", door_id, reporter)
                        for item in self.items])
        except Exception:  # noqa: BLE001 - a store outage must not stop status answers
            return True


def init_app(app, settings) -> Limiter | None:
    """Put the limits on the form, API and look-up views; None when all are off (the
    settings were checked by ``load_settings``)."""
    hops = settings.proxy_hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if all(value == "off" for value in (settings.rate_limit_ip, settings.rate_limit_sender,
                                        settings.rate_limit_lookup, settings.rate_limit_login)):
        return None
    networks = [ipaddress.ip_network(item, strict=False) for item in settings.rate_limit_exempt]

    def address_exempt() -> bool:
        return exempt() or keyed(current_app.extensions["lapor"])

    def exempt() -> bool:
        try:
            address = ipaddress.ip_address(_client_address())
        except ValueError:
            return False
        return any(address in network for network in networks)

    def sender_key() -> str:
        contact = _contact().strip()
        handle = normalize_phone(contact) if "@" not in contact else contact.lower()
        return pseudonym(settings.secret_key, "contact", handle)

    # No X-RateLimit-* headers on every answer: flask-limiter reads each one's window back
    # from Redis (GET and TTL, two round trips a request); a refusal says when to retry.
    limiter = Limiter(key_func=_client_address, app=app, storage_uri=_storage_uri(settings.redis_url),
                      strategy="fixed-window", headers_enabled=False, swallow_errors=True,
                      key_prefix="lapor-rl", in_memory_fallback_enabled=False)
    app.after_request(lambda response: _retry_after(limiter, response))
    # Every other route (webhooks above all) leaves the limiter at its first check.
    limiter.request_filter(lambda: not _limited())
    # Shared limits: one count per address (or contact) across the form, the API and
    # /in/web, so using three doors does not triple anyone's allowance.
    submission_limits = []
    if settings.rate_limit_ip != "off":
        submission_limits.append(limiter.shared_limit(
            settings.rate_limit_ip, scope="submit-ip", key_func=_client_address,
            exempt_when=address_exempt, methods=["POST"]))
    if settings.rate_limit_sender != "off":
        submission_limits.append(limiter.shared_limit(
            settings.rate_limit_sender, scope="submit-sender", key_func=sender_key,
            exempt_when=lambda: exempt() or not _contact().strip(), methods=["POST"]))

    def no_lookup() -> bool:
        """The status page opened without a number looks nothing up."""
        return request.endpoint == "forms.status_page" and not request.args.get("nomor", "").strip()

    lookup_limits = [] if settings.rate_limit_lookup == "off" else [limiter.shared_limit(
        settings.rate_limit_lookup, scope="lookup", key_func=_client_address,
        exempt_when=lambda: address_exempt() or no_lookup(), methods=["GET"])]
    login_limits = [] if settings.rate_limit_login == "off" else [limiter.limit(   # networks only
        settings.rate_limit_login, key_func=_client_address, exempt_when=exempt, methods=["POST"])]
    _wrap_views(app, SUBMISSION_VIEWS, submission_limits)
    _wrap_views(app, LOOKUP_VIEWS, lookup_limits)
    _wrap_views(app, LOGIN_VIEWS, login_limits)
    return limiter


def _retry_after(limiter: Limiter, response):
    """A 429 of the limits says when its window ends: one look-up, on a refusal only."""
    breached = limiter.current_limit if response.status_code == 429 else None
    if breached is not None:
        try:
            seconds = breached.window[0] - time.time()     # the window's reset time
        except Exception:  # noqa: BLE001 - Redis gone since the count: the whole window
            seconds = breached.limit.get_expiry()
        response.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response


def _wrap_views(app, endpoints: tuple[str, ...], limits_: list) -> None:
    """Put each of ``limits_`` on each view named in ``endpoints``."""
    for endpoint in endpoints:
        view = app.view_functions[endpoint]
        for limit in limits_:
            view = limit(view)
        app.view_functions[endpoint] = view
