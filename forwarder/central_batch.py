"""Batches to the central system (``LAPOR_CENTRAL_BATCH`` > 1): the array and its answer.

The request (``forwarder.central.CentralClient.deliver_batch``) is one POST to
``LAPOR_CENTRAL_URL`` with the header ``X-Lapor-Batch: <n>``, no ``Idempotency-Key``
header, and a JSON array, each item carrying its own key (as the single request's header
does) and the complaint exactly as it would be POSTed alone::

    [{"idempotency_key": "<complaint id>", "complaint": {...Complaint v1...}}, ...]

signed like a single complaint (kind ``complaint-to-central``, over the whole body). The
central side deduplicates each item on its key, as for single requests.

The answer: any non-2xx status applies to every item (as it would to a single request).
A 2xx answer carries one result per item, in any order::

    {"results": [{"idempotency_key": "<key>", "status": 200}, ...,
                 {"idempotency_key": "<key>", "status": 503, "reason": "short text"}]}

and each item's ``status`` is read like a single request's (2xx and 409 delivered, 429 and
5xx retried later, other 4xx dead-lettered with ``reason``). An item without a result is
retried; an answer that is not this JSON retries every item. Only items are retried, never
the array: the next attempt of each goes in whatever batch it falls into.
"""
from __future__ import annotations

import json

HEADER = "X-Lapor-Batch"


def array_body(items: list[tuple[str, bytes]]) -> bytes:
    """The array of (idempotency key, complaint JSON): the complaints' bytes as they are."""
    return b"[" + b",".join(b'{"idempotency_key":' + json.dumps(key).encode()
                            + b',"complaint":' + body + b"}" for key, body in items) + b"]"


def results(keys: list[str], answer: bytes) -> list[tuple[int | None, str]] | None:
    """(status, reason) per key, in the order of ``keys`` (status None: no result for it);
    None when the answer is not the documented JSON."""
    try:
        listed = json.loads(answer)["results"]
        found = {item["idempotency_key"]: (int(item["status"]), str(item.get("reason") or ""))
                 for item in listed}
    except (ValueError, KeyError, TypeError):
        return None
    return [found.get(key, (None, "")) for key in keys]
