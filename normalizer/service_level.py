"""Service levels (PermenPANRB 62/2018) and due dates in Indonesian working days.

| class        | kind                                             | days | reminder    |
| informasi-5  | information request, normative complaint         | 5    | 3 before    |
| pengaduan-14 | complaint needing no supervision or field check  | 14   | 8 before    |
| pengaduan-60 | complaint needing supervision and a field check  | 60   | 35 before   |

The gateway sets a provisional class (5 for information requests, 14 otherwise); the
central system may reclassify to 60. Working days skip Saturdays, Sundays and Indonesian
public holidays (``holidays`` package, country ID, including joint leave days it lists).

**Colour** (the red/yellow/green follow-up indicator): ``green`` until the monitoring
reminder day, ``yellow`` from the start of that day (00:00 WIB), ``red`` once the due date
has passed (00:00 WIB of the next day). A finished complaint (``selesai``, ``ditolak``)
keeps the colour it had when it was closed. The instants a complaint turns yellow and red
(``turns_at``) drive the reminders to the central system (``forwarder.sla``).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

from normalizer.grammar import PERMINTAAN_INFORMASI

WIB = timezone(timedelta(hours=7), "WIB")  # working days are counted on Jakarta's calendar
GREEN, YELLOW, RED = "green", "yellow", "red"
COLOURS = (GREEN, YELLOW, RED)
CLOSED = frozenset({"selesai", "ditolak"})    # finished: the clock stops
LEVELS = {
    "informasi-5": (5, 3),
    "pengaduan-14": (14, 8),
    "pengaduan-60": (60, 35),
}


@lru_cache(maxsize=16)
def _holidays(year: int) -> frozenset[date]:
    import holidays   # imports every country's calendar: about 0.2 s, paid on first use only

    return frozenset(holidays.country_holidays("ID", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (start itself never counts)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def provisional_class(classification: str) -> str:
    return "informasi-5" if classification == PERMINTAAN_INFORMASI else "pengaduan-14"


@lru_cache(maxsize=256)
def due_date(service_class: str, received: date) -> date:
    return add_working_days(received, LEVELS[service_class][0])


@lru_cache(maxsize=256)
def dates_of(service_class: str, received: date) -> dict[str, str]:
    """A new complaint's ``service_level`` dates (ISO), kept per class and day: every
    complaint of a day has the same."""
    due = due_date(service_class, received)
    return {"due_date": due.isoformat(), "reminder_date": reminder_date(service_class, due).isoformat()}


def reminder_date(service_class: str, due: date) -> date:
    """The monitoring reminder: N calendar days before the due date."""
    return due - timedelta(days=LEVELS[service_class][1])


def turns_at(service_class: str, due: date) -> dict[str, datetime]:
    """The instants a complaint of ``service_class`` due on ``due`` turns yellow and red."""
    reminder = reminder_date(service_class, due)
    return {YELLOW: datetime.combine(reminder, time(), WIB),
            RED: datetime.combine(due + timedelta(days=1), time(), WIB)}


def colour(service_class: str, due: date, at: datetime) -> str:
    """green, yellow or red at the instant ``at`` (timezone-aware)."""
    instants = turns_at(service_class, due)
    if at >= instants[RED]:
        return RED
    return YELLOW if at >= instants[YELLOW] else GREEN


def class_of(status: dict) -> str:
    """A public status record's class: the central system's, else the provisional one."""
    given = status.get("service_level", "")
    return given if given in LEVELS else provisional_class(status.get("classification", ""))


def status_colour(status: dict, now: datetime) -> str | None:
    """The colour of a public status record (``forwarder.store`` ``s:<tracking>``) at
    ``now``; a closed complaint's at its last update. None without a (valid) due date."""
    due = status.get("due_date", "")
    if not due:
        return None
    at = now
    if status.get("status") in CLOSED and status.get("updated_at"):
        try:
            at = min(now, datetime.fromisoformat(status["updated_at"]))
        except ValueError:
            at = now
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    try:
        return colour(class_of(status), date.fromisoformat(due[:10]), at)
    except ValueError:          # a malformed date: no colour rather than no answer
        return None
