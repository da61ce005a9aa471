"""The central LAPOR! side of the contract: signing, delivery and its verdicts.

Every request to the central system is a POST of the complaint JSON with::

    Content-Type: application/json
    Idempotency-Key: <complaint id>
    X-Lapor-Schema-Version: 1
    X-Lapor-Timestamp: <unix seconds>
    X-Lapor-Signature: v1=<hex HMAC-SHA256(LAPOR_CENTRAL_SECRET, "<timestamp>." + body)>

Follow-up events (``FollowUpEventSchema``) go the same way to ``LAPOR_CENTRAL_EVENTS_URL``
(default ``<LAPOR_CENTRAL_URL>/events``) with ``Idempotency-Key`` = the event id.

Verdicts: 2xx and 409 delivered; 429, 5xx, time-outs and connection errors retry
(honouring Retry-After); any other 4xx is permanent (dead-lettered with the reason).
The same scheme signs the central system's status callbacks to the gateway
(``verify_signature``, with a replay window).

With no ``LAPOR_CENTRAL_URL`` the forwarder delivers to ``LocalOutbox`` instead: one JSON
line per complaint appended (and fsynced) to ``<data dir>/central-outbox.jsonl``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests

DELIVERED, RETRY, PERMANENT = "delivered", "retry", "permanent"


@dataclass(frozen=True)
class Verdict:
    outcome: str
    reason: str = ""
    retry_after: float | None = None


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, key: str, now: float | None = None) -> dict:
    timestamp = int(now if now is not None else time.time())
    return {"Content-Type": "application/json", "Idempotency-Key": key,
            "X-Lapor-Schema-Version": "1", "X-Lapor-Timestamp": str(timestamp),
            "X-Lapor-Signature": sign(secret, body, timestamp),
            "User-Agent": "lapor-gateway/0.1"}


def verify_signature(secret: str, body: bytes, timestamp: str, signature: str,
                     window: float = 300.0, now: float | None = None) -> str:
    """'' when valid, else a short reason (never echoing the expected value)."""
    if not timestamp or not signature:
        return "missing signature"
    try:
        stamp = int(timestamp)
    except ValueError:
        return "malformed timestamp"
    if abs((now if now is not None else time.time()) - stamp) > window:
        return "stale timestamp"
    if not hmac.compare_digest(sign(secret, body, stamp).encode(), signature.strip().encode()):
        return "bad signature"
    return ""


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


class CentralClient:
    """POSTs complaints (and follow-up events) to the central URLs over keep-alive
    connections (thread-safe)."""

    def __init__(self, url: str, secret: str, timeout: float, pool: int = 16, events_url: str = ""):
        self.url = url
        self.urls = {"complaint": url, "event": events_url or url.rstrip("/") + "/events"}
        self.secret = secret
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
        try:
            response = self.session.post(self.urls[kind], data=body, timeout=self.timeout,
                                         headers=signed_headers(self.secret, body, key))
        except requests.Timeout:
            return Verdict(RETRY, "central timed out")
        except requests.RequestException as exc:
            return Verdict(RETRY, f"central unreachable: {type(exc).__name__}")
        reason = response.reason or ""
        verdict = verdict_for(response.status_code, response.headers.get("Retry-After"))
        response.close()
        if verdict.outcome == PERMANENT and reason:
            return Verdict(PERMANENT, f"{verdict.reason} ({reason[:80]})")
        return verdict

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

    def close(self) -> None:
        pass


def client_for(settings):
    if settings.central_url:
        return CentralClient(settings.central_url, settings.central_secret,
                             settings.central_timeout, pool=max(4, settings.forward_concurrency * 2),
                             events_url=settings.extra.get("CENTRAL_EVENTS_URL", ""))
    return LocalOutbox(settings.data_dir)
