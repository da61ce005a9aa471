"""Due dates in Indonesian working days: weekends and public holidays skipped."""
from __future__ import annotations

from datetime import date, datetime, timedelta

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


# ----- the follow-up colour (PermenPANRB 62/2018: reminder 3/8/35 days before 5/14/60) -----
WIB = service_level.WIB


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)


def test_colour_turns_yellow_on_the_reminder_day_and_red_after_the_due_date():
    for service_class, before in (("informasi-5", 3), ("pengaduan-14", 8), ("pengaduan-60", 35)):
        due = service_level.due_date(service_class, date(2026, 11, 2))
        reminder = service_level.reminder_date(service_class, due)
        assert (due - reminder).days == before
        second = timedelta(seconds=1)
        assert service_level.colour(service_class, due, at(reminder) - second) == "green"
        assert service_level.colour(service_class, due, at(reminder)) == "yellow"
        assert service_level.colour(service_class, due, at(due, 23, 59)) == "yellow"
        assert service_level.colour(service_class, due, at(due) + timedelta(days=1) - second) == "yellow"
        assert service_level.colour(service_class, due, at(due) + timedelta(days=1)) == "red"


def test_turns_at_are_midnight_in_jakarta():
    due = date(2026, 12, 14)
    instants = service_level.turns_at("pengaduan-14", due)
    assert instants["yellow"].isoformat() == "2026-12-06T00:00:00+07:00"
    assert instants["red"].isoformat() == "2026-12-15T00:00:00+07:00"


def test_status_colour_reads_the_store_record_and_freezes_when_closed():
    record = {"status": "proses", "classification": "pengaduan", "due_date": "2026-12-14",
              "updated_at": "2026-12-01T10:00:00+07:00"}
    assert service_level.status_colour(record, at(date(2026, 12, 10))) == "yellow"
    assert service_level.status_colour(record, at(date(2026, 12, 20))) == "red"
    closed = {**record, "status": "selesai"}          # closed on 1 Dec: green for good
    assert service_level.status_colour(closed, at(date(2026, 12, 20))) == "green"
    reclassified = {**record, "service_level": "pengaduan-60", "due_date": "2027-02-19"}
    assert service_level.class_of(reclassified) == "pengaduan-60"
    assert service_level.status_colour(reclassified, at(date(2026, 12, 20))) == "green"
    assert service_level.status_colour({"status": "proses"}, at(date(2026, 12, 20))) is None
    broken = {**record, "due_date": "2026-13-45", "service_level": "pengaduan-99"}
    assert service_level.status_colour(broken, at(date(2026, 12, 20))) is None
    assert service_level.class_of(broken) == "pengaduan-14"
    odd_update = {**closed, "updated_at": "kemarin"}
    assert service_level.status_colour(odd_update, at(date(2026, 12, 20))) == "red"
