"""The one accept loop (``gateway.acceptance``), as intake and the spool replay both use it:
a taken tracking number is drawn again; a spooled complaint whose number was taken
meanwhile is renumbered and flagged; one recorded already is published again, unchanged."""
from __future__ import annotations

import json
import uuid

from normalizer import tracking
from tests.helpers import inbound

QUEUE = "lapor.complaints"


def test_take_draws_another_number_when_one_is_taken(parts, monkeypatch):
    first = parts.intake.take(inbound("LAPOR jalan rusak"))
    fresh = tracking.new_tracking_number()
    numbers = iter([first.tracking_number, fresh])
    monkeypatch.setattr(tracking, "new_tracking_number", lambda: next(numbers))
    second = parts.intake.take(inbound("LAPOR lampu jalan mati", sender="081298765432"))
    assert second.tracking_number == fresh and second.complaint_id != first.complaint_id
    assert parts.store.tracking_owner(fresh) == second.complaint_id
    assert parts.store.tracking_owner(first.tracking_number) == first.complaint_id
    assert parts.store.redis.llen(QUEUE) == 2


def test_replay_renumbers_a_spooled_complaint_whose_number_was_taken(parts):
    first = parts.intake.take(inbound("LAPOR jalan rusak"))
    spooled = {**parts.store.complaint(first.complaint_id), "id": uuid.uuid4().hex}
    parts.intake.replay_spooled({"complaint": spooled, "dedup_id": "", "handle": ""})
    kept = parts.store.complaint(spooled["id"])
    assert kept["tracking_number"] != first.tracking_number
    assert kept["flags"][-1] == "tracking_number_reallocated"
    assert parts.store.tracking_owner(kept["tracking_number"]) == spooled["id"]
    assert parts.store.redis.llen(QUEUE) == 2


def test_replay_of_a_complaint_recorded_already_publishes_it_again_unchanged(parts):
    first = parts.intake.take(inbound("LAPOR jalan rusak"))
    complaint = parts.store.complaint(first.complaint_id)
    parts.intake.replay_spooled({"complaint": complaint, "dedup_id": "", "handle": ""})
    assert parts.store.complaint(first.complaint_id) == complaint        # not renumbered
    assert parts.store.redis.llen(QUEUE) == 2                           # published again


def test_a_script_sent_again_after_a_lost_answer_makes_no_second_complaint(parts, monkeypatch):
    """Should the intake script run twice for one message (a Redis client set to resend
    after a lost answer; the store's is not, tests/forwarder/test_store_client.py): without
    a provider id the second run finds the complaint's own number taken; the answer is that
    complaint, not a second one whose first number nobody was told."""
    import dataclasses

    once = parts.store.accept

    def sent_twice(*args, **kwargs):
        once(*args, **kwargs)                 # ran, but its answer never came back
        return once(*args, **kwargs)

    monkeypatch.setattr(parts.store, "accept", sent_twice)
    message = dataclasses.replace(inbound("LAPOR jalan rusak di depan pasar"), provider_message_id="")
    outcome = parts.intake.take(message)
    assert outcome.tracking_number and parts.store.tracking_owner(outcome.tracking_number) == outcome.complaint_id
    queued = {json.loads(raw)["headers"]["idempotency_key"] for raw in parts.store.redis.lrange(QUEUE, 0, -1)}
    assert queued == {outcome.complaint_id}          # on the queue (again), and nothing else
