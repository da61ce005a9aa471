"""The store's part for the desk's complaint page: one complaint as its agency's officers
see it, read from the ledger (``c:<id>``), its events' index (``events:<id>``, written by
``lua/accept_event.lua``), its public status (``s:<tracking>``) and its replies
(``forwarder.store_replies``). Read only; keys in ``forwarder.keys``.

The forwarding state is the ledger's, with ``retrying`` for a complaint still accepted
after a failed attempt: ``accepted``, ``retrying``, ``delivered`` or ``dead``.
"""
from __future__ import annotations

import json

from forwarder import keys

MAX_EVENTS = 200


def forwarding_state(ledger: dict) -> str:
    """accepted, retrying, delivered or dead (a ledger without a state: accepted)."""
    state = ledger.get("state") or "accepted"
    if state == "accepted" and int(ledger.get("attempts") or 0) > 0:
        return "retrying"
    return state


class ComplaintRecords:
    """What the desk shows of a complaint (``Store.complaints``)."""

    def __init__(self, client, replies):
        self.redis = client
        self.replies = replies

    def by_tracking(self, tracking: str) -> dict | None:
        """The complaint holding ``tracking``: ``complaint`` (the v1 JSON), ``ledger``
        (state, attempts, last_error), ``state``, ``status`` (public), ``events`` and
        ``replies`` (reply id -> kind, state, code, updated_at); None when unknown or its
        record is gone."""
        owner = self.redis.get(keys.tracking_owner(tracking))
        if owner is None:
            return None
        cid = owner.decode()
        pipe = self.redis.pipeline()
        pipe.hgetall(keys.ledger(cid))
        pipe.hgetall(keys.status(tracking))
        pipe.lrange(keys.events(cid), 0, MAX_EVENTS - 1)
        raw_ledger, raw_status, event_ids = pipe.execute()
        ledger = {k.decode(): v.decode() for k, v in raw_ledger.items()}
        if not ledger.get("complaint"):
            return None
        complaint = json.loads(ledger.pop("complaint"))
        if not raw_status and ledger.get("tracking", tracking) != tracking:   # an alias
            raw_status = self.redis.hgetall(keys.status(ledger["tracking"]))
        return {"complaint": complaint, "ledger": ledger, "state": forwarding_state(ledger),
                "status": {k.decode(): v.decode() for k, v in raw_status.items()},
                "events": self._events([i.decode() for i in event_ids]),
                "replies": self.replies.of_complaint(cid)}

    def _events(self, ids: list[str]) -> list[dict]:
        """Each event's JSON with its forwarding state (``state``), oldest first."""
        pipe = self.redis.pipeline()
        for event_id in ids:
            pipe.hmget(keys.ledger(event_id), "complaint", "state", "attempts")
        found = []
        for body, state, attempts in pipe.execute():
            if body:
                event = json.loads(body)
                event["state"] = forwarding_state({"state": (state or b"").decode(),
                                                   "attempts": (attempts or b"0").decode()})
                found.append(event)
        return found
