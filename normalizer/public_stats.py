"""The public statistics (``/statistik``, ``/api/v1/statistics``): what the daily counters
say, and the rule that decides what of it may be shown.

The store keeps one counter hash per day (Jakarta time, WIB) of the complaints received
that day (``forwarder.store_stats``); its fields, written at accept and moved on status
changes::

    total                          complaints received that day
    channel|<channel>              by channel (kannel, twilio, whatsapp, telegram, twitter, web)
    classification|<class>         pengaduan, aspirasi, permintaan_informasi
    province|<province>            location.region.province, ``unknown`` when absent
    status|<status>                the current status of that day's complaints
    open|<service class>|<due>     that day's complaints still open, by class and due date
    closed                         that day's complaints closed (selesai, ditolak)

and a list per day of the seconds each of that day's complaints waited for its first status
change from the central system. ``tally`` adds the days of the window up into exact counts
(the colour of an open complaint comes from its due date now: ``service_level.colour``);
``publish`` applies the small-count rule (docs/decisions.md, "Public statistics"): a count
below 5 (0 included) is shown as ``"<5"``, every other count rounded down to a multiple of 5,
so that a total minus the visible parts does not give a hidden small count back.
"""
from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta, timezone

from normalizer.grammar import CLASSIFICATIONS
from normalizer.service_level import COLOURS, LEVELS, WIB, colour

WINDOW_DAYS = 30
SMALL = 5                       # counts below this are shown as "<5"
HIDDEN = "<5"
UNKNOWN = "unknown"
STATUSES = ("diterima", "diteruskan", "verifikasi", "disposisi", "proses", "selesai", "ditolak")
SERVICE_LEVELS = (*COLOURS, "closed")
BREAKDOWNS = ("channel", "classification", "status", "service_level", "province")
# categories always listed (0 included), in this order; the others by count
FIXED = {"classification": CLASSIFICATIONS, "status": STATUSES, "service_level": SERVICE_LEVELS}


def stats_day(moment: datetime) -> date:
    """The day a complaint counts for: its reception date in Jakarta time (WIB)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(WIB).date()


def window(today: date, days: int = WINDOW_DAYS) -> list[date]:
    """The days of the window, oldest first, ending with ``today``."""
    return [today - timedelta(days=back) for back in range(days - 1, -1, -1)]


def label(value: str) -> str:
    """A category as a counter field may hold it (no ``|``, at most 80 characters)."""
    return (value or "").replace("|", "/").strip()[:80] or UNKNOWN


def tally(days: list[tuple[date, dict[str, int]]], waits: list[float], now: datetime) -> dict:
    """Exact counts of the window at the instant ``now``: ``days`` is each day's counter
    hash, ``waits`` the seconds to the first status change of the window's complaints that
    had one."""
    counts = {name: dict.fromkeys(FIXED.get(name, ()), 0) for name in BREAKDOWNS}
    total, daily = 0, []
    for day, fields in days:
        total += fields.get("total", 0)
        daily.append((day, fields.get("total", 0)))
        for name, count in fields.items():
            _add(counts, name, count, now)
    return {"total": total, "daily": daily, "counts": counts, "waits": sorted(waits)}


def _add(counts: dict, name: str, count: int, now: datetime) -> None:
    kind, _, rest = name.partition("|")
    if kind == "open":
        service_class, _, due = rest.partition("|")
        kind, rest = "service_level", _colour_of(service_class, due, now)
    elif kind == "closed":
        kind, rest = "service_level", "closed"
    if kind in counts:
        counts[kind][rest] = counts[kind].get(rest, 0) + count


def _colour_of(service_class: str, due: str, now: datetime) -> str:
    try:
        due_day = date.fromisoformat(due[:10])
    except ValueError:
        return "green"          # no due date known: not overdue
    return colour(service_class if service_class in LEVELS else "pengaduan-14", due_day, now)


def shown(count: int) -> int | str:
    """What the public sees of a count: ``"<5"`` below 5 (a zero too, or four hidden cells
    under a hidden total would all be 1), else the multiple of 5 at or below it (7 -> 5)."""
    if count < SMALL:
        return HIDDEN
    return count // SMALL * SMALL


def _ordered(name: str, cells: dict[str, int]) -> list[tuple[str, int]]:
    if name in FIXED:
        fixed = FIXED[name]
        return [(key, cells[key]) for key in fixed] + sorted(
            (item for item in cells.items() if item[0] not in fixed and item[1]), key=_by_count)
    return sorted((item for item in cells.items() if item[1]), key=_by_count)


def _by_count(item: tuple[str, int]) -> tuple:
    key, count = item
    return (key == UNKNOWN, -count, key)


def publish(tallied: dict, today: date, generated_at: datetime) -> dict:
    """The public numbers (the JSON of ``/api/v1/statistics``; the page shows the same)."""
    days = [day for day, _ in tallied["daily"]]
    waits = tallied["waits"]
    median = round(statistics.median(waits) / 3600, 1) if len(waits) >= SMALL else None
    return {
        "window": {"days": len(days), "from": days[0].isoformat() if days else today.isoformat(),
                   "to": today.isoformat(), "timezone": "Asia/Jakarta"},
        "generated_at": generated_at.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "rule": {"hidden_below": SMALL, "rounded_down_to": SMALL},
        "total": shown(tallied["total"]),
        **{f"by_{name}": [{"key": key, "count": shown(count)}
                          for key, count in _ordered(name, tallied["counts"][name])]
           for name in BREAKDOWNS},
        "daily": [{"date": day.isoformat(), "count": shown(count)} for day, count in tallied["daily"]],
        "first_status_change": {"complaints": shown(len(waits)), "median_hours": median},
    }
