"""Consume lapor-gateway's complaints straight from the queue (the central side, kombu).

Either bind a queue of your own to the ``lapor`` topic exchange with ``complaint.#`` (the
default here: you receive a copy of every complaint and event, floods included), or take
the gateway's own ``lapor.complaints`` and ``lapor.complaints.bulk`` (then run no forwarder).
Deduplicate on the ``idempotency_key`` header: a re-published message repeats it; the
``kind`` header says ``complaint`` or ``event`` (a follow-up of a complaint).
Every message is checked against the published contract (``schemas/complaint-v1.json``,
``schemas/followup-event-v1.json``, also served at ``<gateway>/schemas/...``) before it is
saved; one that fails is handed to ``refuse(key, reason)`` and acknowledged, never saved
(it would fail again on every redelivery: keep it aside for a person instead).
"""
import json
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from kombu import Connection, Exchange, Queue

EXCHANGE = Exchange("lapor", type="topic", durable=True)
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"     # or your vendored copy


def validators(folder=SCHEMAS):
    """One validator per message kind, formats (dates, times) checked too."""
    def load(name):
        schema = json.loads((folder / name).read_text(encoding="utf-8"))
        return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return {"complaint": load("complaint-v1.json"), "event": load("followup-event-v1.json")}


def contract_error(check, kind, body):
    """None when ``body`` keeps the contract of its ``kind``, else a short reason that
    names the field and the rule, never a value (it may be a reporter's contact)."""
    if kind not in check:
        return f"unknown kind {kind!r}"
    error = best_match(check[kind].iter_errors(body))
    if error is None:
        return None
    if error.validator in ("required", "additionalProperties"):     # they name keys only
        return f"{error.json_path}: {error.message}"
    return f"{error.json_path}: fails {error.validator} {error.validator_value!r}"[:300]


def consume(broker_url, save, queues=("central.complaints",), limit=None, timeout=5,
            refuse=print):
    """Call ``save(key, body)`` once per new valid message; ack only after it returns."""
    declared = [Queue(name, no_declare=True) if name.startswith("lapor.")      # the gateway's
                else Queue(name, EXCHANGE, routing_key="complaint.#", durable=True)  # yours
                for name in queues]
    check, seen, taken = validators(), set(), 0

    def on_message(body, message):
        nonlocal taken
        key = message.headers["idempotency_key"]
        reason = contract_error(check, message.headers.get("kind"), body)
        if reason:
            refuse(key, reason)
        elif key not in seen:                    # keep `seen` in your database in real life
            save(key, body)
            seen.add(key)
        message.ack()
        taken += 1

    with Connection(broker_url) as connection:
        with connection.Consumer(declared, callbacks=[on_message], accept=["json"],
                                 prefetch_count=10):
            while limit is None or taken < limit:
                connection.drain_events(timeout=timeout)
    return taken
