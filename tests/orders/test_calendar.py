"""The centre's calendar (pure): working hours, the next opening, the local day, festivals, weekday names."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from orders.calendar import (
    WorkingCalendar,
    add_working_hours,
    day_bounds,
    festivals,
    national_day,
    next_opening,
    spring_festival,
    weekday_name,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar(zone=SH)  # Monday-Saturday 08:30-17:30, the defaults
MON = datetime(2026, 11, 23, 9, 0, tzinfo=SH)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November/December 2026, Shanghai time (23 November is a Monday)."""
    if day > 30:
        return datetime(2026, 12, day - 30, hour, minute, tzinfo=SH)
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


# ------------------------------------------------------------------------------------------ working hours


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(23, 9), 4, at(23, 13)),  # inside one day
        (at(23, 13, 30), 4, at(23, 17, 30)),  # landing on closing time stays today
        (at(23, 15), 8, at(24, 14)),  # across a night: 2.5 h Monday + 5.5 h Tuesday
        (at(23, 20), 4, at(24, 12, 30)),  # opened after hours: the clock starts at the next opening
        (at(23, 7), 1, at(23, 9, 30)),  # opened before opening
        (at(28, 16), 4, at(30, 11)),  # Saturday afternoon: Sunday is not a working day
        (at(29, 10), 4, at(30, 12, 30)),  # opened on Sunday
        (at(23, 9), 24, at(25, 15)),  # three days' worth of 9-hour days
    ],
)
def test_due_time_counts_only_working_hours(start: datetime, hours: int, due: datetime) -> None:
    assert add_working_hours(start, hours, CAL) == due


def test_a_public_holiday_is_skipped() -> None:
    holiday = WorkingCalendar(zone=SH, holidays=frozenset({date(2026, 11, 24)}))
    assert add_working_hours(at(23, 15), 8, holiday) == at(25, 14)
    # Saturday afternoon, then Sunday, then a Monday holiday: Tuesday morning
    long_weekend = WorkingCalendar(zone=SH, holidays=frozenset({date(2026, 11, 30)}))
    assert add_working_hours(at(28, 16), 4, long_weekend) == at(31, 11)


def test_a_calendar_without_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="no working day"):
        add_working_hours(MON, 1, WorkingCalendar(zone=SH, work_days=frozenset()))
    with pytest.raises(ValueError, match="start before"):
        add_working_hours(MON, 1, WorkingCalendar(zone=SH, start=time(18), end=time(9)))
    with pytest.raises(ValueError, match="no working day"):
        next_opening(MON.date(), WorkingCalendar(zone=SH, work_days=frozenset()))


def test_the_next_opening_skips_the_day_off_and_holidays() -> None:
    assert next_opening(date(2026, 11, 23), CAL) == at(24, 8, 30)
    assert next_opening(date(2026, 11, 28), CAL) == at(30, 8, 30)  # Saturday: Sunday is off
    holiday = WorkingCalendar(zone=SH, holidays=frozenset({date(2026, 11, 30)}))
    assert next_opening(date(2026, 11, 28), holiday) == at(31, 8, 30)
    assert next_opening(date(2026, 11, 23), CAL).utcoffset() is not None


def test_the_local_day_is_a_utc_interval() -> None:
    start, end = day_bounds(date(2026, 11, 23), SH)
    assert (start, end) == (datetime(2026, 11, 22, 16, tzinfo=UTC), datetime(2026, 11, 23, 16, tzinfo=UTC))
    # a daylight-saving day is 23 hours long: built from wall time, not by adding 24 hours
    start, end = day_bounds(date(2026, 3, 8), ZoneInfo("America/New_York"))
    assert (end - start).total_seconds() == 23 * 3600


# ------------------------------------------------------------------------------------------------ festivals


def test_spring_festival_from_the_tables_and_a_typical_date_outside_them() -> None:
    assert spring_festival(2026) == date(2026, 2, 17)
    assert spring_festival(2027) == date(2027, 2, 6)
    assert spring_festival(2040) == date(2040, 2, 5)
    assert national_day(2026) == date(2026, 10, 1)


def test_the_years_festivals_in_date_order() -> None:
    days = festivals(2026)
    assert [(f.zh, f.on) for f in days] == [
        ("元旦", date(2026, 1, 1)),
        ("春节", date(2026, 2, 17)),
        ("劳动节", date(2026, 5, 1)),
        ("端午节", date(2026, 6, 19)),
        ("中秋节", date(2026, 9, 25)),
        ("国庆节", date(2026, 10, 1)),
    ]
    assert days[1].en == "Spring Festival"
    # lunar festivals other than Spring Festival only for the years tabulated
    assert [f.zh for f in festivals(2040)] == ["元旦", "春节", "劳动节", "国庆节"]


# -------------------------------------------------------------------------------------------- weekday names


@pytest.mark.parametrize(
    ("day", "lang", "short", "name"),
    [
        (1, "zh", False, "周一"),
        (7, "zh", True, "周日"),
        (2, "en", False, "Tuesday"),
        (2, "en", True, "Tue"),
        (7, "en", True, "Sun"),
    ],
)
def test_weekday_names(day: int, lang: str, short: bool, name: str) -> None:
    assert weekday_name(day, lang, short=short) == name
