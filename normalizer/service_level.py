"""Service levels (PermenPANRB 62/2018) and due dates in Indonesian working days.

| class        | kind                                             | days | reminder    |
| informasi-5  | information request, normative complaint         | 5    | 3 before    |
| pengaduan-14 | complaint needing no supervision or field check  | 14   | 8 before    |
| pengaduan-60 | complaint needing supervision and a field check  | 60   | 35 before   |

The gateway sets a provisional class (5 for information requests, 14 otherwise); the
central system may reclassify to 60. Working days skip Saturdays, Sundays and Indonesian
public holidays (``holidays`` package, country ID, including joint leave days it lists).

The colour of an open complaint (``colour``): green until the monitoring reminder, yellow
from the reminder date to the due date, red after the due date.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

from normalizer.grammar import PERMINTAAN_INFORMASI

LEVELS = {
    "informasi-5": (5, 3),
    "pengaduan-14": (14, 8),
    "pengaduan-60": (60, 35),
}


@lru_cache(maxsize=16)
def _holidays(year: int) -> frozenset[date]:
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


def reminder_date(service_class: str, due: date) -> date:
    """The monitoring reminder: N calendar days before the due date."""
    return due - timedelta(days=LEVELS[service_class][1])


COLOURS = ("green", "yellow", "red")


def colour(service_class: str, due: date, today: date) -> str:
    """green before the reminder date, yellow from it to the due date, red after it."""
    if today > due:
        return "red"
    return "yellow" if today >= reminder_date(service_class, due) else "green"
