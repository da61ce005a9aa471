"""The central LAPOR! side of the contract: signing, delivery and its verdicts.

Every request to the central system is a POST of the complaint JSON with::

    Content-Type: application/json
    Idempotency-Key: <complaint id>
    X-Lapor-Schema-Version: 1
    X-Lapor-Timestamp: <unix seconds>
    X-Lapor-Signature: v2=<hex HMAC-SHA256(LAPOR_CENTRAL_SECRET,
                            "lapor-v2|complaint-to-central|<timestamp>|" + body)>

Follow-up events (``FollowUpEventSchema``) go the same way to ``LAPOR_CENTRAL_EVENTS_URL``
(default ``<LAPOR_CENTRAL_URL>/events``) with ``Idempotency-Key`` = the event id, signed
with the kind ``event-to-central``.

Signing contract v2: the signed string is ``"lapor-v2|<kind>|<timestamp>|" + payload``,
where the kind names the direction and purpose (``KINDS``): ``complaint-to-central``,
``event-to-central`` (the gateway's POSTs), ``status-to-gateway`` (the central system's
status callbacks, payload = body) and ``attachment-link`` (the central system's attachment
downloads, payload = the request path). A signature made for one kind never verifies as
another. Only the canonical form is accepted: exactly ``v2=`` and 64 lower-case hex
digits, nothing before or after (no whitespace of any kind, no second value), and a
timestamp of ASCII digits without sign or leading zero. The replay key is the MAC that was
verified, never the header as sent.

Version 1 (``v1=<hex HMAC-SHA256(secret, "<timestamp>." + payload)>``, no kind) is still
accepted from the central system while ``LAPOR_ACCEPT_SIGNATURE_V1`` is on (its default
until ``config.settings.V1_ACCEPTED_UNTIL``); the gateway itself signs v2 only.

Verdicts: 2xx and 409 delivered; 429, 5xx, time-outs and connection errors retry
(honouring Retry-After); any other 4xx is permanent (dead-lettered with the reason).

Batches (``LAPOR_CENTRAL_BATCH`` > 1, ``CentralClient.deliver_batch``): one POST of an array
of complaints, each with its own idempotency key, answered per item
(``forwarder.central_batch``, README "Central HTTP").

With no ``LAPOR_CENTRAL_URL`` the forwarder delivers to ``LocalOutbox`` instead: one JSON
line per complaint appended (and fsynced) to ``<data dir>/central-outbox.jsonl``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests

from forwarder import central_batch

DELIVERED, RETRY, PERMANENT = "delivered", "retry", "permanent"

COMPLAINT_TO_CENTRAL = "complaint-to-central"
EVENT_TO_CENTRAL = "event-to-central"
STATUS_TO_GATEWAY = "status-to-gateway"
ATTACHMENT_LINK = "attachment-link"
KINDS = frozenset({COMPLAINT_TO_CENTRAL, EVENT_TO_CENTRAL, STATUS_TO_GATEWAY, ATTACHMENT_LINK})
_DELIVERY_KINDS = {"complaint": COMPLAINT_TO_CENTRAL, "event": EVENT_TO_CENTRAL}
# Canonical forms only: fullmatch, ASCII classes (no \d, no \s, no case folding).
_SIGNATURE = re.compile(r"(v[12])=([0-9a-f]{64})")
_TIMESTAMP = re.compile(r"[1-9][0-9]{0,11}")


@dataclass(frozen=True)
class Verdict:
    outcome: str
    reason: str = ""
    retry_after: float | None = None


@dataclass(frozen=True)
class Verified:
    """The outcome of a signature check: ``problem`` is '' when valid (else a short reason
    that never echoes the expected value); ``replay_key`` is the hex MAC that was verified
    (the only thing a replay guard may key on)."""
    problem: str
    replay_key: str = ""


def signed_string(kind: str, timestamp: int, payload: bytes) -> bytes:
    """What a v2 signature covers: a label naming the kind, the timestamp, the payload."""
    if kind not in KINDS:
        raise ValueError(f"unknown signature kind {kind!r}")
    return f"lapor-v2|{kind}|{timestamp}|".encode("ascii") + payload


def prepared_mac(secret: str):
    """An HMAC-SHA256 keyed with ``secret`` once; ``sign`` copies it per message instead of
    keying a new one every time (the forwarder signs thousands a second)."""
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


def sign(secret: str, payload: bytes, timestamp: int, kind: str, prepared=None) -> str:
    """``v2=<hex>`` over ``signed_string(kind, timestamp, payload)`` (``prepared``: the
    ``prepared_mac(secret)`` to copy, when the caller keeps one)."""
    mac = (prepared or prepared_mac(secret)).copy()
    mac.update(signed_string(kind, timestamp, payload))
    return "v2=" + mac.hexdigest()


def sign_v1(secret: str, payload: bytes, timestamp: int) -> str:
    """The version 1 signature (no kind), still accepted from central for a while."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + payload, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, key: str, now: float | None = None,
                   kind: str = COMPLAINT_TO_CENTRAL, prepared=None) -> dict:
    timestamp = int(now if now is not None else time.time())
    return {"Content-Type": "application/json", "Idempotency-Key": key,
            "X-Lapor-Schema-Version": "1", "X-Lapor-Timestamp": str(timestamp),
            "X-Lapor-Signature": sign(secret, body, timestamp, kind, prepared),
            "User-Agent": "lapor-gateway/0.1"}


def check_signature(secret: str, payload: bytes, timestamp: str, signature: str, kind: str,
                    accept_v1: bool = False, window: float = 300.0,
                    now: float | None = None) -> Verified:
    """Verify a signature of ``kind`` in its canonical form; see the module docstring."""
    if not timestamp or not signature:
        return Verified("missing signature")
    if not _TIMESTAMP.fullmatch(timestamp):
        return Verified("malformed timestamp")
    stamp = int(timestamp)
    if abs((now if now is not None else time.time()) - stamp) > window:
        return Verified("stale timestamp")
    form = _SIGNATURE.fullmatch(signature)
    if form is None:
        return Verified("malformed signature")
    version, given = form.groups()
    if version == "v1" and not accept_v1:
        return Verified("signature version 1 no longer accepted")
    expected = sign(secret, payload, stamp, kind) if version == "v2" else sign_v1(secret, payload, stamp)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return Verified("bad signature")
    return Verified("", expected[3:])


def verify_signature(secret: str, payload: bytes, timestamp: str, signature: str,
                     kind: str = COMPLAINT_TO_CENTRAL, accept_v1: bool = False,
                     window: float = 300.0, now: float | None = None) -> str:
    """'' when valid, else a short reason (never echoing the expected value)."""
    return check_signature(secret, payload, timestamp, signature, kind, accept_v1, window, now).problem


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def verdict_for(status: int, retry_after: str | None = None) -> Verdict:
    if 200 <= status < 300 or status == 409:
        return Verdict(DELIVERED)
    if status == 429 or status >= 500:
        return Verdict(RETRY, f"central answered {status}", _retry_after(retry_after))
    return Verdict(PERMANENT, f"central refused with {status}")


def _item_verdict(status: int | None, reason: str) -> Verdict:
    """One item of a batch answer: its status means what it would alone; none = retry."""
    if status is None:
        return Verdict(RETRY, "central gave no result for this item")
    verdict = verdict_for(status)
    if verdict.outcome == DELIVERED or not reason:
        return verdict
    return Verdict(verdict.outcome, f"{verdict.reason} ({reason[:80]})")


class CentralClient:
    """POSTs complaints (and follow-up events) to the central URLs over keep-alive
    connections (thread-safe)."""

    def __init__(self, url: str, secret: str, timeout: float, pool: int = 16, events_url: str = ""):
        self.url = url
        self.urls = {"complaint": url, "event": events_url or url.rstrip("/") + "/events"}
        self.secret = secret
        self._mac = prepared_mac(secret)
        self.timeout = timeout
        self.session = requests.Session()
        # Proxy settings (HTTPS_PROXY, NO_PROXY) are read once here, not on every request:
        # requests re-reads the whole environment per request otherwise.
        self.session.proxies = requests.utils.get_environ_proxies(url)
        self.session.trust_env = False
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def deliver(self, body: bytes, key: str, kind: str = "complaint") -> Verdict:
        headers = signed_headers(self.secret, body, key, kind=_DELIVERY_KINDS[kind],
                                 prepared=self._mac)
        response = self._post(self.urls[kind], body, headers)
        if isinstance(response, Verdict):
            return response
        reason = response.reason or ""
        verdict = verdict_for(response.status_code, response.headers.get("Retry-After"))
        response.close()
        if verdict.outcome == PERMANENT and reason:
            return Verdict(PERMANENT, f"{verdict.reason} ({reason[:80]})")
        return verdict

    def deliver_batch(self, items: list[tuple[str, bytes]]) -> list[Verdict]:
        """POST (key, complaint JSON) pairs as one array; one verdict per item, in order."""
        body = central_batch.array_body(items)
        headers = signed_headers(self.secret, body, "", prepared=self._mac)
        del headers["Idempotency-Key"]               # each item carries its own
        headers[central_batch.HEADER] = str(len(items))
        response = self._post(self.url, body, headers)
        if isinstance(response, Verdict):
            return [response] * len(items)
        whole = verdict_for(response.status_code, response.headers.get("Retry-After"))
        answered = response.content
        response.close()
        if not 200 <= response.status_code < 300:        # the whole array: every item alike
            return [whole] * len(items)
        results = central_batch.results([key for key, _ in items], answered)
        if results is None:
            return [Verdict(RETRY, "central's answer to the batch is unreadable")] * len(items)
        return [_item_verdict(status, reason) for status, reason in results]

    def _post(self, url: str, body: bytes, headers: dict):
        """The response, or the retry verdict when there is none."""
        try:
            return self.session.post(url, data=body, timeout=self.timeout, headers=headers)
        except requests.Timeout:
            return Verdict(RETRY, "central timed out")
        except requests.RequestException as exc:
            return Verdict(RETRY, f"central unreachable: {type(exc).__name__}")

    def close(self) -> None:
        self.session.close()


class LocalOutbox:
    """Stands in for the central system when none is configured: a JSON-lines file."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / "central-outbox.jsonl"
        self._lock = threading.Lock()

    def deliver(self, body: bytes, key: str, kind: str = "complaint") -> Verdict:
        line = json.dumps({"idempotency_key": key, "kind": kind,
                           "delivered_at": time.time(), "body": json.loads(body)},
                          ensure_ascii=False).encode() + b"\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return Verdict(DELIVERED)

    def deliver_batch(self, items: list[tuple[str, bytes]]) -> list[Verdict]:
        return [self.deliver(body, key) for key, body in items]

    def close(self) -> None:
        pass


def client_for(settings):
    if settings.central_url:
        return CentralClient(settings.central_url, settings.central_secret,
                             settings.central_timeout, pool=max(4, settings.forward_concurrency * 2),
                             events_url=settings.central_events_url)
    return LocalOutbox(settings.data_dir)
