"""The calendar the centre lives by: its working hours, the festivals that move cigarette sales, and what
the days are called.

A ticket's due time, a retry after closing, a retention call planned for tomorrow, the script's "the holiday
is coming" line, the suggestion's festival season and the demo's festival rush all ask the same calendar; one
module keeps them from disagreeing about when the centre is open or when Spring Festival falls.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from orders.settings import Settings

# Monday first, as `date.isoweekday()` counts (1 = Monday).
WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_EN_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_SEARCH_DAYS = 3 * 366  # a calendar with no working day in three years is a configuration error
_NO_WORKING_DAY = "no working day in the next three years; check work_days and holidays"


def weekday_name(isoweekday: int, lang: str, *, short: bool = False) -> str:
    """周一 in Chinese (as it is said, whatever the width); Monday, or Mon where a column is narrow, in English."""
    if lang == "en":
        return (WEEKDAYS_EN_SHORT if short else WEEKDAYS_EN)[isoweekday - 1]
    return f"周{WEEKDAYS_ZH[isoweekday - 1]}"


# ------------------------------------------------------------------------------------------ working hours


@dataclass(frozen=True)
class WorkingCalendar:
    """When the centre answers the phone; due times only run inside these hours."""

    zone: ZoneInfo
    work_days: frozenset[int] = frozenset({1, 2, 3, 4, 5, 6})  # 1 = Monday
    start: time = time(8, 30)
    end: time = time(17, 30)
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkingCalendar:
        return cls(
            zone=settings.zone,
            work_days=frozenset(settings.work_days),
            start=settings.work_start,
            end=settings.work_end,
            holidays=frozenset(date.fromisoformat(d) for d in settings.holidays),
        )

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.work_days and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The day's working hours as UTC instants (built from local wall time, so DST zones stay right)."""
        opens = datetime.combine(day, self.start, tzinfo=self.zone).astimezone(UTC)
        closes = datetime.combine(day, self.end, tzinfo=self.zone).astimezone(UTC)
        return opens, closes


def add_working_hours(start: datetime, hours: float, calendar: WorkingCalendar) -> datetime:
    """`start` plus `hours` of working time, in the centre's zone.

    Time outside working hours does not count: a ticket opened at night starts its clock at the next opening.
    A due time landing exactly on closing time stays on that day (17:30 today, not 08:30 tomorrow).
    """
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    if calendar.start >= calendar.end:
        raise ValueError("working hours must start before they end")
    remaining = timedelta(hours=hours)
    moment = start.astimezone(UTC)
    day = moment.astimezone(calendar.zone).date()
    for _ in range(_SEARCH_DAYS):
        if calendar.is_working_day(day):
            opens, closes = calendar.window(day)
            moment = max(moment, opens)
            if moment <= closes:
                available = closes - moment
                if remaining <= available:
                    return (moment + remaining).astimezone(calendar.zone)
                remaining -= available
        day += timedelta(days=1)
        moment = max(moment, datetime.combine(day, time(0), tzinfo=calendar.zone).astimezone(UTC))
    raise ValueError(_NO_WORKING_DAY)


def next_opening(after: date, calendar: WorkingCalendar) -> datetime:
    """Opening time of the first working day after the local date `after`, in the centre's zone: when a call
    that cannot be made today is made (a retry after hours, a retention call planned by the lead).

    Raises ValueError when no working day comes within three years (a configuration error)."""
    day = after + timedelta(days=1)
    for _ in range(_SEARCH_DAYS):
        if calendar.is_working_day(day):
            return calendar.window(day)[0].astimezone(calendar.zone)
        day += timedelta(days=1)
    raise ValueError(_NO_WORKING_DAY)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local calendar day as a half-open UTC interval (built from wall time, so DST zones stay right)."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


# ------------------------------------------------------------------------------------------------ festivals

# Chinese New Year's Day and the other lunar festivals, from published calendars for the years a demo and the
# seasonal index can reach; outside them a typical date stands in (Spring Festival) or the festival is left out.
_SPRING_FESTIVAL = {
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
_DRAGON_BOAT = {
    2025: date(2025, 5, 31),
    2026: date(2026, 6, 19),
    2027: date(2027, 6, 9),
    2028: date(2028, 5, 28),
    2029: date(2029, 6, 16),
    2030: date(2030, 6, 5),
}
_MID_AUTUMN = {
    2025: date(2025, 10, 6),
    2026: date(2026, 9, 25),
    2027: date(2027, 9, 15),
    2028: date(2028, 10, 3),
    2029: date(2029, 9, 22),
    2030: date(2030, 9, 12),
}


@dataclass(frozen=True)
class Festival:
    """A holiday that moves cigarette sales (gifts, stocking up), with its name in both languages."""

    zh: str
    en: str
    on: date


def spring_festival(year: int) -> date:
    """Chinese New Year's Day: the biggest stocking-up of the year comes in the weeks before it."""
    return _SPRING_FESTIVAL.get(year, date(year, 2, 5))


def national_day(year: int) -> date:
    return date(year, 10, 1)


def festivals(year: int) -> list[Festival]:
    """The year's festivals, in date order (the lunar ones other than Spring Festival only for the years
    tabulated)."""
    days = [
        Festival("元旦", "New Year's Day", date(year, 1, 1)),
        Festival("春节", "Spring Festival", spring_festival(year)),
        Festival("劳动节", "Labour Day", date(year, 5, 1)),
        Festival("国庆节", "National Day", national_day(year)),
    ]
    if year in _DRAGON_BOAT:
        days.append(Festival("端午节", "Dragon Boat Festival", _DRAGON_BOAT[year]))
    if year in _MID_AUTUMN:
        days.append(Festival("中秋节", "Mid-Autumn Festival", _MID_AUTUMN[year]))
    return sorted(days, key=lambda f: f.on)


@functools.lru_cache(maxsize=4096)
def festival_closure(day: date) -> Festival | None:
    """The festival the wholesaler is closed for on `day` (no order taken, nothing delivered), or None.

    Spring Festival closes it from New Year's Eve to the sixth day of the new year, National Day for the
    golden week (1–7 October): shops stock up before and order again after, which is why the weeks around a
    festival look nothing like an ordinary week in anyone's order book.
    """
    festival = spring_festival(day.year)
    if festival - timedelta(days=1) <= day <= festival + timedelta(days=6):
        return Festival("春节", "Spring Festival", festival)
    if day.month == 10 and day.day <= 7:
        return Festival("国庆节", "National Day", national_day(day.year))
    return None
