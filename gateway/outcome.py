"""What the web form and the JSON API tell a citizen after a submission: the public status
and due date of the complaint behind an ``Outcome``.

A new complaint is ``diterima`` and its due date is the one the normalizer computed from
the same message (working days on Jakarta's calendar), so no extra store round trip is
needed; for a duplicate (the same submission sent again) the original's public status is
read from the store, because it may have moved on since.
"""
from __future__ import annotations

from normalizer.values import Outcome
from normalizer import service_level
from normalizer.normalize import WIB


def summary(intake, outcome: Outcome) -> tuple[str, str]:
    """(status, due date as ISO) of the complaint an outcome refers to."""
    if not outcome.duplicate:
        message = outcome.message
        service_class = service_level.provisional_class(message.classification)
        due = service_level.due_date(service_class, message.received_at.astimezone(WIB).date())
        return "diterima", due.isoformat()
    verdict, found = intake.lookup(outcome.tracking_number)
    if verdict != "ok":
        return "diterima", ""
    return found.get("status", "diterima"), found.get("due_date", "")


def due_date_of(intake, outcome: Outcome) -> str:
    """The due date (ISO) of the complaint an outcome refers to."""
    return summary(intake, outcome)[1]
