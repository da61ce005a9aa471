"""Rate limits on the doors people use directly: the web form, the JSON API, ``/in/web``
(every door of the web channel) and the status look-ups.

Fixed windows counted in the store's Redis, so every gunicorn worker shares them, by a
check wrapped around each limited view (run just before it: a request the view then
refuses, a bad CSRF token say, is counted too). Submissions (POST) get two limits,
look-ups (GET) one, answered with 429, a short reason and Retry-After (the seconds until
the breached window ends). A request's windows are counted by the store in one round
trip (``Store.rates``), keyed by a pseudonym of the address or the contact, never either
in clear, and nothing else is done: no X-RateLimit-* headers, no work at all on other
views (flask-limiter, used before, made a round trip per window, read each answer's
windows back, and worked out its limits on every request: docs/decisions.md). The limits
are written as the ``limits`` library reads them:

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

import functools
import ipaddress
import logging
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs

from flask import current_app, g, request
from limits import parse_many
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from channels import jsonbody
from channels.base import Rejected
from forwarder.queue import log_failure
from gateway.agency_keys import keyed
from normalizer.identity import normalize_phone, pseudonym

log = logging.getLogger("lapor.limits")

SUBMISSION_VIEWS = ("api.create_complaint", "forms.submit", "doors.door")
LOOKUP_VIEWS = ("api.complaint_status", "forms.status_page", "open311.requests",
                "open311.one_request")
LOGIN_VIEWS = ("officers.login",)


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


def over(rates, windows: list[tuple]) -> int | None:
    """Count one against each ``(window, scope, who)`` in the store's ``rates``, all in one
    round trip: None while every window is within its limit, else the seconds until the
    first full one ends. ``who`` is a keyed pseudonym (an address or a contact)."""
    counts = rates.count([(f"{scope}:{who}:{window.amount}/{window.get_expiry()}", window.get_expiry())
                          for window, scope, who in windows])
    for (window, *_), (count, left) in zip(windows, counts):
        if count > window.amount:
            return max(1, left if left > 0 else window.get_expiry())
    return None


def _web_door() -> bool:
    """Whether ``doors.door`` serves a door of the web channel (the only doors limited)."""
    door = current_app.extensions["lapor"].catalogue.doors.get(
        (request.view_args or {}).get("door_id", ""))
    return door is not None and door.channel == "web"


@dataclass(frozen=True)
class Limit:
    """Windows counted per key for one method of some views; ``scope`` names the count, one
    for every view the limit is on (the form, the API and /in/web share theirs)."""
    scope: str
    windows: tuple
    method: str
    key: Callable[[], str]
    exempt: Callable[[], bool]


class ViewLimits:
    """The limits of the app's views, counted before each view runs."""

    def __init__(self, rates_of: Callable[[], object]):
        self._rates_of = rates_of          # the store's counters, asked for at each check

    def guard(self, view, limits: list[Limit], web_doors_only: bool = False):
        """``view`` refusing with 429 once a window of ``limits`` is full."""
        @functools.wraps(view)
        def limited(*args, **kwargs):
            if not (web_doors_only and not _web_door()):
                self.check(limits)
            return view(*args, **kwargs)
        return limited

    def check(self, limits: list[Limit]) -> None:
        windows = [(window, limit.scope, limit.key()) for limit in limits
                   if request.method == limit.method and not limit.exempt()
                   for window in limit.windows]
        if not windows:
            return
        try:
            seconds = over(self._rates_of(), windows)
        except Exception:  # noqa: BLE001 - Redis cannot count: the request passes
            log_failure(log, "rate limits not counted: the request passes")
            return
        if seconds is not None:
            g.lapor_retry_after = seconds
            raise TooManyRequests()


def _retry_after(response):
    """A 429 of the limits says when to try again."""
    seconds = g.pop("lapor_retry_after", None)
    if seconds is not None and response.status_code == 429:
        response.headers["Retry-After"] = str(seconds)
    return response


class ReporterLookups:
    """CEK by SMS or chat: LAPOR_RATE_LIMIT_LOOKUP per reporter (their pseudonym) and door,
    counted in the same Redis. Over it the citizen is told to try later; the provider is
    never refused. If Redis cannot count, the look-up passes."""

    def __init__(self, settings, store):
        value = settings.rate_limit_lookup
        self.items = [] if value == "off" else parse_many(value)
        self.store = store

    def allowed(self, door_id: str, reporter: str) -> bool:
        if not self.items or not reporter:
            return True
        try:
            return over(self.store.rates, [(item, f"cek:{door_id}", reporter) for item in self.items]) is None
        except Exception:  # noqa: BLE001 - a store outage must not stop status answers
            return True


def init_app(app, settings) -> None:
    """Put the limits on the form, API, look-up and login views (none when all are off; the
    settings were checked by ``load_settings``)."""
    hops = settings.proxy_hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    networks = [ipaddress.ip_network(item, strict=False) for item in settings.rate_limit_exempt]

    def exempt() -> bool:
        try:
            address = ipaddress.ip_address(_client_address())
        except ValueError:
            return False
        return any(address in network for network in networks)

    def address_exempt() -> bool:
        return exempt() or keyed(current_app.extensions["lapor"])

    def address_key() -> str:
        return pseudonym(settings.secret_key, "address", _client_address())

    def sender_key() -> str:
        contact = _contact().strip()
        handle = normalize_phone(contact) if "@" not in contact else contact.lower()
        return pseudonym(settings.secret_key, "contact", handle)

    def no_lookup() -> bool:
        """The status page opened without a number looks nothing up."""
        return request.endpoint == "forms.status_page" and not request.args.get("nomor", "").strip()

    def limit(value: str, scope: str, method: str, key, exempt_when) -> list[Limit]:
        return [] if value == "off" else [Limit(scope, tuple(parse_many(value)), method, key, exempt_when)]

    submission = limit(settings.rate_limit_ip, "submit-ip", "POST", address_key, address_exempt) \
        + limit(settings.rate_limit_sender, "submit-sender", "POST", sender_key,
                lambda: exempt() or not _contact().strip())
    lookup = limit(settings.rate_limit_lookup, "lookup", "GET", address_key,
                   lambda: address_exempt() or no_lookup())
    login = limit(settings.rate_limit_login, "login", "POST", address_key, exempt)
    if submission or lookup or login:
        _guard_views(app, ViewLimits(lambda: current_app.extensions["lapor"].store.rates), {
            SUBMISSION_VIEWS: submission, LOOKUP_VIEWS: lookup, LOGIN_VIEWS: login})
        app.after_request(_retry_after)


def _guard_views(app, guards: ViewLimits, limits_by_views: dict[tuple, list[Limit]]) -> None:
    for endpoints, limits_ in limits_by_views.items():
        for endpoint in endpoints if limits_ else ():
            app.view_functions[endpoint] = guards.guard(
                app.view_functions[endpoint], limits_, web_doors_only=endpoint == "doors.door")
