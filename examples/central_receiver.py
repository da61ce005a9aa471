"""Receive lapor-gateway's complaints over HTTP (the central side, a WSGI app).

The forwarder POSTs to ``LAPOR_CENTRAL_URL`` either one complaint (header
``Idempotency-Key``) or, with ``LAPOR_CENTRAL_BATCH`` > 1, an array of them (header
``X-Lapor-Batch: <n>``; each item ``{"idempotency_key": ..., "complaint": {...}}``). Both
are signed with the v2 contract over the raw body (kind ``complaint-to-central``); events
go to ``<LAPOR_CENTRAL_URL>/events`` one by one (kind ``event-to-central``).

The answer to an array is ``200`` with one result per item, in any order::

    {"results": [{"idempotency_key": "<key>", "status": 200},
                 {"idempotency_key": "<key>", "status": 503, "reason": "database busy"}]}

Each item's ``status`` means what the HTTP status of that item sent alone would mean:
2xx and 409 (already have it) delivered; 429 and 5xx retried later (that item only); any
other 4xx refused for good (dead-lettered, ``reason`` kept). An item missing from the
answer is retried. Any non-2xx answer to the whole array applies to every item.

``CentralReceiver(secret, save)`` checks the signature (401 otherwise), deduplicates on
each item's key (409 for a key it has seen: keep ``seen`` in your database in real life),
and calls ``save(key, kind, body)`` once per new item: it may raise ``Busy`` (the item is
answered 503 and comes back) or ``Refused`` (422, never sent again).
Run it: ``gunicorn 'examples.central_receiver:app_from_environ()'`` with
``LAPOR_CENTRAL_SECRET`` set (``bench/forwarder.py`` does, with several workers).
"""
import hashlib
import hmac
import json
import os
import re
import threading
import time

SIGNATURE = re.compile(r"v2=([0-9a-f]{64})")
KINDS = {"/events": "event-to-central"}      # path suffix -> signature kind


class Busy(Exception):
    """Cannot take this item now: it is answered 503 and the gateway sends it again."""


class Refused(Exception):
    """This item is refused for good (answered 422 with the reason)."""


class CentralReceiver:
    def __init__(self, secret, save=None, window=300.0):
        self.prepared = hmac.new(secret.encode(), digestmod=hashlib.sha256)
        self.save = save or (lambda key, kind, body: None)
        self.window = window
        self.seen = set()
        self.saving = set()           # keys being saved now (a retry may overtake the first)
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        path = environ.get("PATH_INFO", "")
        kind = next((k for suffix, k in KINDS.items() if path.endswith(suffix)),
                    "complaint-to-central")
        if not self.signed(kind, environ.get("HTTP_X_LAPOR_TIMESTAMP", ""),
                           environ.get("HTTP_X_LAPOR_SIGNATURE", ""), body):
            return answer(start_response, 401, {"error": "bad signature"})
        item_kind = "event" if kind == "event-to-central" else "complaint"
        if environ.get("HTTP_X_LAPOR_BATCH"):
            items = json.loads(body)
            results = [dict(self.take(item["idempotency_key"], item_kind, item[item_kind]),
                            idempotency_key=item["idempotency_key"]) for item in items]
            return answer(start_response, 200, {"results": results})
        result = self.take(environ.get("HTTP_IDEMPOTENCY_KEY", ""), item_kind, json.loads(body))
        return answer(start_response, result.pop("status"), result)

    def signed(self, kind, timestamp, signature, body):
        form = SIGNATURE.fullmatch(signature)
        if form is None or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > self.window:
            return False
        mac = self.prepared.copy()
        mac.update(f"lapor-v2|{kind}|{timestamp}|".encode() + body)
        return hmac.compare_digest(mac.hexdigest(), form.group(1))

    def take(self, key, kind, body):
        """One item: its result (``status`` and, when refused or busy, ``reason``). The key
        is claimed before saving: a copy arriving meanwhile is told to come back (503), never
        "already have it" (409) before the first is saved."""
        with self.lock:
            if key in self.seen:
                return {"status": 409}
            if key in self.saving:
                return {"status": 503, "reason": "the same key is being saved"}
            self.saving.add(key)
        try:
            self.save(key, kind, body)
        except Busy as exc:
            return {"status": 503, "reason": str(exc)[:200]}
        except Refused as exc:
            return {"status": 422, "reason": str(exc)[:200]}
        else:
            with self.lock:
                self.seen.add(key)
        finally:
            with self.lock:
                self.saving.discard(key)
        return {"status": 200}


def answer(start_response, status, payload):
    data = json.dumps(payload).encode()
    start_response(f"{status} {'OK' if status < 300 else 'Error'}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def app_from_environ():
    """The app for gunicorn: the secret from ``LAPOR_CENTRAL_SECRET``, nothing saved."""
    return CentralReceiver(os.environ["LAPOR_CENTRAL_SECRET"])
