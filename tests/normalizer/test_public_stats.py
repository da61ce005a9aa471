"""The public statistics' arithmetic (normalizer/public_stats.py): the window, the tally of
the daily counters, the colours, and the small-count rule, including differencing."""
from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta, timezone

import pytest

from normalizer.public_stats import (HIDDEN, WINDOW_DAYS, label, publish, shown, stats_day, tally,
                                     window)
from normalizer.service_level import WIB, colour, due_date

TODAY = date(2026, 11, 30)     # a Monday
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)


@pytest.mark.parametrize("count,expected", [(0, HIDDEN), (1, HIDDEN), (4, HIDDEN), (5, 5), (7, 5),
                                            (9, 5), (10, 10), (14, 10), (1234, 1230)])
def test_what_the_public_sees_of_a_count(count, expected):
    assert shown(count) == expected


@pytest.mark.parametrize("cells,largest", [(1, 40), (2, 40), (3, 30), (4, 16)])
def test_a_hidden_count_is_never_given_back_by_a_total_minus_the_visible_parts(cells, largest):
    """Every breakdown of up to four cells: an outsider who knows the rule and sees each
    cell and the total cannot tell any hidden count (each stays consistent with at least two
    values). Views are judged only where every true count is well inside the range tried
    (at most ``largest`` - 10), so the range's own edge tells nothing."""
    views: dict[tuple, set] = {}
    for values in itertools.product(range(largest + 1), repeat=cells):
        view = tuple(shown(v) for v in values) + (shown(sum(values)),)
        views.setdefault(view, set()).add(values)
    for view, worlds in views.items():
        if max(max(world) for world in worlds) > largest - 10:
            continue
        for index, cell in enumerate(view[:cells]):
            if cell == HIDDEN:
                assert len({world[index] for world in worlds}) >= 2, (view, worlds)


def test_exact_counts_would_give_it_back():
    """The reason for the rounding: with exact visible counts, one hidden cell is the total
    minus the others."""
    exact = {values for values in itertools.product(range(31), repeat=2)
             if (shown(values[0]), values[1], sum(values)) == (HIDDEN, 12, 13)}
    assert exact == {(1, 12)}

    def nearest(count):      # rounding to the nearest 5 instead of down: two hidden cells under
        return HIDDEN if count < 5 else (count + 2) // 5 * 5     # a total of 8 are both 4

    assert {values for values in itertools.product(range(31), repeat=2)
            if tuple(map(nearest, (*values, sum(values)))) == (HIDDEN, HIDDEN, 10)} == {(4, 4)}


def test_the_window_is_thirty_days_ending_today_in_jakarta():
    days = window(TODAY)
    assert len(days) == WINDOW_DAYS and days[-1] == TODAY and days[0] == TODAY - timedelta(days=29)
    late_evening_utc = datetime(2026, 11, 29, 18, 30, tzinfo=timezone.utc)     # 01:30 WIB
    assert stats_day(late_evening_utc) == date(2026, 11, 30)
    assert stats_day(datetime(2026, 11, 29, 10, 0)) == date(2026, 11, 29)      # naive: UTC


def test_labels_cannot_break_the_counter_fields():
    assert label("Kalimantan|Timur") == "Kalimantan/Timur"
    assert label("") == label(None) == "unknown"
    assert len(label("x" * 500)) == 80


def test_colours_from_the_due_date_and_the_reminder():
    due = due_date("pengaduan-14", TODAY)

    def on(day):
        return datetime.combine(day, time(8), WIB)
    assert colour("pengaduan-14", due, on(TODAY)) == "green"
    assert colour("pengaduan-14", due, on(due - timedelta(days=9))) == "green"
    assert colour("pengaduan-14", due, on(due - timedelta(days=8))) == "yellow"
    assert colour("pengaduan-14", due, on(due)) == "yellow"
    assert colour("pengaduan-14", due, on(due + timedelta(days=1))) == "red"
    assert colour("informasi-5", due, on(due - timedelta(days=3))) == "yellow"


def test_tally_adds_the_days_up_and_colours_open_complaints_today():
    overdue = (TODAY - timedelta(days=1)).isoformat()
    soon = (TODAY + timedelta(days=2)).isoformat()          # inside the 8-day reminder
    later = (TODAY + timedelta(days=40)).isoformat()
    days = [(TODAY - timedelta(days=1), {"total": 3, "channel|kannel": 3, "province|Aceh": 3,
                                         "status|proses": 2, "status|selesai": 1, "closed": 1,
                                         f"open|pengaduan-14|{overdue}": 2}),
            (TODAY, {"total": 2, "channel|web": 2, "province|unknown": 2, "status|diterima": 2,
                     f"open|pengaduan-14|{soon}": 1, f"open|pengaduan-60|{later}": 1,
                     "status|diteruskan": 0})]
    tallied = tally(days, [3600.0, 7200.0], NOW)
    assert tallied["total"] == 5 and tallied["daily"] == [(TODAY - timedelta(days=1), 3), (TODAY, 2)]
    counts = tallied["counts"]
    assert counts["service_level"] == {"green": 1, "yellow": 1, "red": 2, "closed": 1}
    assert counts["channel"] == {"kannel": 3, "web": 2}
    assert counts["status"]["proses"] == 2 and counts["status"]["diteruskan"] == 0
    assert counts["classification"] == {"pengaduan": 0, "aspirasi": 0, "permintaan_informasi": 0}


def test_published_order_and_the_median_needs_five_complaints():
    days = [(TODAY, {"total": 26, "province|unknown": 9, "province|Aceh": 5, "province|Bali": 12,
                     "channel|web": 26, "classification|pengaduan": 26})]
    now = datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc)
    few = publish(tally(days, [60.0] * 4, NOW), TODAY, now)
    assert [row["key"] for row in few["by_province"]] == ["Bali", "Aceh", "unknown"]
    assert few["first_status_change"] == {"complaints": HIDDEN, "median_hours": None}
    assert [row["key"] for row in few["by_status"]][:2] == ["diterima", "diteruskan"]
    enough = publish(tally(days, [3600.0, 5400.0, 7200.0, 9000.0, 36000.0], NOW), TODAY, now)
    assert enough["first_status_change"] == {"complaints": 5, "median_hours": 2.0}
    assert enough["total"] == 25 and enough["generated_at"] == "2026-11-30T03:00:00+00:00"
    assert enough["window"] == {"days": 1, "from": "2026-11-30", "to": "2026-11-30",
                                "timezone": "Asia/Jakarta"}


def test_unknown_class_or_due_date_still_gets_a_colour():
    days = [(TODAY, {"open|pengaduan-99|2026-01-01": 1, "open|pengaduan-14|": 1})]
    assert tally(days, [], NOW)["counts"]["service_level"] == {
        "green": 1, "yellow": 0, "red": 1, "closed": 0}
