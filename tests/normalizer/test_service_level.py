"""Due dates in Indonesian working days: weekends and public holidays skipped."""
from __future__ import annotations

from datetime import date

from normalizer import service_level
from normalizer.grammar import ASPIRASI, PENGADUAN, PERMINTAAN_INFORMASI


def test_weekend_is_skipped():
    # Friday 2026-11-20 + 5 working days = Friday 2026-11-27 (no holiday in between)
    assert service_level.add_working_days(date(2026, 11, 20), 5) == date(2026, 11, 27)


def test_christmas_and_weekend_are_skipped():
    # Wed 2026-12-23 + 5: 24 Thu, (25 Fri Christmas), (26-27 weekend), 28, 29, 30, 31
    # -> unless 24 Dec is joint leave in the holidays data, Thu 31 Dec 2026.
    start = date(2026, 12, 23)
    due = service_level.add_working_days(start, 5)
    assert not service_level.is_working_day(date(2026, 12, 25))
    assert due >= date(2026, 12, 31)
    skipped = [d for d in (date(2026, 12, 24 + i) for i in range(8)) if d <= due
               and not service_level.is_working_day(d)]
    assert date(2026, 12, 25) in skipped and date(2026, 12, 26) in skipped


def test_independence_day_is_skipped():
    # Mon 2026-08-17 is Independence Day: Fri 14 Aug + 1 working day = Tue 18 Aug
    assert service_level.add_working_days(date(2026, 8, 14), 1) == date(2026, 8, 18)


def test_nyepi_2026():
    # Thu 2026-03-19 is Nyepi (Day of Silence): Wed 18 Mar + 1 working day = Fri 20 Mar
    assert service_level.add_working_days(date(2026, 3, 18), 1) == date(2026, 3, 20)


def test_provisional_classes():
    assert service_level.provisional_class(PERMINTAAN_INFORMASI) == "informasi-5"
    assert service_level.provisional_class(PENGADUAN) == "pengaduan-14"
    assert service_level.provisional_class(ASPIRASI) == "pengaduan-14"
    due = service_level.due_date("pengaduan-14", date(2026, 11, 24))
    assert due == date(2026, 12, 14)
    assert service_level.reminder_date("pengaduan-14", due) == date(2026, 12, 6)
