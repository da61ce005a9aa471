"""Agency API keys: an agency's system calls the JSON API and Open311 as itself.

A key reads ``lpr_<id>_<secret>``: ``lpr_`` says what it is (and lets secret scanners
recognize it), ``<id>`` (12 hex digits) finds its record in one look-up, ``<secret>`` is 32
random bytes (base64url, 43 characters). The store keeps only the SHA-256 of the whole key
(``forwarder.store_agency``): a 256-bit random secret cannot be guessed from its digest, so a
slow password hash would only slow every request (``docs/decisions.md``). The digest is
compared with ``hmac.compare_digest``.

A key belongs to an agency and a door: ``api-<agency slug>`` unless ``keys create --door``
names one. A keyed submission is recorded on that door with the agency as its owner
(``InboundMessage.owner``), and its ``Idempotency-Key`` is scoped to the key (``scope``).
A revoked or unknown key is refused (``KeyRefused``, 401 with ``WWW-Authenticate: Bearer``).
A key once verified is remembered by each process for ``CACHE_SECONDS`` (2): a busy
agency's requests then cost no Redis round trip of their own (the intake's one is all), and
a revocation reaches every process within those seconds (at once in the process that
revokes). Unknown and refused keys are never remembered. The key's ``last_used`` is written
at most once a minute (``TOUCH_SECONDS``).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from flask import g, request

from channels.base import Rejected
from config.doors import DOOR_ID
from normalizer.values import InboundMessage

KEY = re.compile(r"^lpr_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
TOUCH_SECONDS = 60
CACHE_SECONDS = 2.0
CACHE_ENTRIES = 1024
_verified: dict[str, tuple[float, "AgencyKey"]] = {}   # digest -> (until, key), this process
#: the views that take an agency key (the JSON API's submission and status, Open311)
KEYED_VIEWS = frozenset({"api.create_complaint", "api.complaint_status", "open311.requests",
                         "open311.one_request"})
MAX_AGENCY_CHARS = 200
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class KeyRefused(Rejected):
    """401: the key is malformed, unknown or revoked (the reason never echoes the key)."""

    def __init__(self, reason: str = "invalid or revoked API key"):
        super().__init__(401, reason)


@dataclass(frozen=True)
class AgencyKey:
    id: str
    agency: str
    door: str

    @property
    def scope(self) -> str:
        """The Idempotency-Key namespace of this key's caller."""
        return f"key-{self.id}"

    def stamp(self, message: InboundMessage) -> InboundMessage:
        """The message as this key's agency sent it: its door, the agency as owner."""
        return replace(message, door_id=self.door, owner=self.agency)


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def door_for(agency: str) -> str:
    """``api-<slug of the agency's name>``, a valid door id (``Dinas PU PERA`` ->
    ``api-dinas-pu-pera``)."""
    folded = unicodedata.normalize("NFKD", agency).encode("ascii", "ignore").decode().lower()
    slug = _NOT_SLUG.sub("-", folded).strip("-")
    if not slug:
        raise ValueError("the agency name needs letters or digits")
    return ("api-" + slug)[:63].rstrip("-")


def create(store, agency: str, door: str | None = None) -> tuple[AgencyKey, str]:
    """A new key of ``agency`` on ``door`` (default ``door_for(agency)``): its record and
    the key itself, which is shown once and never kept. ValueError for a bad name or door."""
    agency = " ".join(agency.split())
    if not agency or len(agency) > MAX_AGENCY_CHARS:
        raise ValueError(f"the agency name must be 1-{MAX_AGENCY_CHARS} characters")
    door = door or door_for(agency)
    if not DOOR_ID.match(door):
        raise ValueError(f"door id {door[:70]!r} must be lowercase letters, digits, '-'")
    while True:
        key_id = secrets.token_hex(6)
        token = f"lpr_{key_id}_{secrets.token_urlsafe(32)}"
        if KEY.match(token) and store.api_keys.create(key_id, {
                "agency": agency, "door": door, "created_at": now_iso(), "sha256": digest(token)}):
            return AgencyKey(key_id, agency, door), token


def authenticate(store, token: str) -> AgencyKey:
    """The key's record if ``token`` is a live key; KeyRefused otherwise."""
    given = digest(token)
    remembered = _verified.get(given)
    if remembered is not None and remembered[0] > time.monotonic():
        return remembered[1]
    found = KEY.match(token)
    record = store.api_keys.get(found.group(1)) if found else {}
    expected = record.get("sha256") or digest("lpr_unknown")
    if not hmac.compare_digest(expected, given) or not found:
        raise KeyRefused()
    if record.get("revoked_at"):
        raise KeyRefused("API key revoked")
    _touch(store, found.group(1), record.get("last_used", ""))
    key = AgencyKey(found.group(1), record.get("agency", ""), record.get("door", ""))
    if len(_verified) >= CACHE_ENTRIES:
        _verified.clear()
    _verified[given] = (time.monotonic() + CACHE_SECONDS, key)
    return key


def _touch(store, key_id: str, last_used: str) -> None:
    """Note the use at most once a minute."""
    now = datetime.now(timezone.utc)
    try:
        recent = last_used and (now - datetime.fromisoformat(last_used)).total_seconds() < TOUCH_SECONDS
    except ValueError:
        recent = False
    if not recent:
        store.api_keys.touch(key_id, now.replace(microsecond=0).isoformat())


def bearer(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <key>`` header; None without the header;
    KeyRefused for any other scheme."""
    if not header.strip():
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise KeyRefused("use Authorization: Bearer <API key>")
    return token.strip()


def revoke(store, key_id: str) -> bool:
    """Revoke for good (other processes stop taking it within ``CACHE_SECONDS``)."""
    for remembered, (_until, key) in list(_verified.items()):
        if key.id == key_id:
            _verified.pop(remembered, None)
    return store.api_keys.revoke(key_id, now_iso())


def listing(store) -> list[dict[str, str]]:
    """Every key's id, agency, door, created, last used and revoked: never the key."""
    return [{name: row.get(name, "") for name in
             ("id", "agency", "door", "created_at", "last_used", "revoked_at")}
            for row in store.api_keys.all()]


def request_key(parts, api_key_param: bool = False) -> AgencyKey | None:
    """The agency key of the current Flask request, checked once per request: from
    ``Authorization: Bearer``, or (``api_key_param``, Open311) the ``api_key`` parameter.
    None without a key; KeyRefused for a bad one (and on every later call)."""
    if "lapor_key" not in g:
        try:
            token = bearer(request.headers.get("Authorization", ""))
            if token is None and api_key_param:
                token = (request.form.get("api_key") if request.method == "POST"
                         else request.args.get("api_key")) or None
            g.lapor_key = authenticate(parts.store, token) if token is not None else None
        except KeyRefused as exc:
            g.lapor_key = exc
    if isinstance(g.lapor_key, KeyRefused):
        raise g.lapor_key
    return g.lapor_key


def keyed(parts) -> bool:
    """Whether the current request carries a live agency key (for the rate limits: an
    agency's system relays many citizens from one address, so the per-address limit does
    not count it; a bad key or a store that cannot answer: not keyed)."""
    if request.endpoint not in KEYED_VIEWS:      # e.g. /in/web: a key means nothing there
        return False
    try:
        return request_key(parts, request.endpoint.startswith("open311.")) is not None
    except Exception:  # noqa: BLE001 - the limits must never fail a request
        return False
