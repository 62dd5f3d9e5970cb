"""The one clock. Every rule that asks "now", "today" or "this week" asks here, so `TELESALES_NOW` can fix it."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# The days the rules can work with. Python's calendar ends at 9999-12-31, and the rules count weeks forward
# (a week's Monday + 7, a callback a few days on) and months back (history, repeat complaints); a year of slack
# at each end keeps every such step representable, and no call centre works outside these dates.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(9998, 12, 31)


class ClockError(ValueError):
    pass


def in_range(day: date) -> bool:
    """Whether the rules can work with `day` (see EARLIEST_DAY, LATEST_DAY)."""
    return EARLIEST_DAY <= day <= LATEST_DAY


def range_text() -> str:
    """The days the rules work with, as a user reads them in a message."""
    return f"{EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}"


def now() -> datetime:
    """The current instant, aware; `TELESALES_NOW` (ISO-8601 with offset) replaces the real clock."""
    fixed = os.environ.get("TELESALES_NOW")
    if not fixed:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(fixed)
    except ValueError as exc:
        raise ClockError(f"TELESALES_NOW={fixed!r} is not an ISO-8601 date-time") from exc
    if value.tzinfo is None:
        raise ClockError(f"TELESALES_NOW={fixed!r} has no UTC offset; write e.g. 2026-11-23T09:00:00+08:00")
    if not in_range(value.date()):
        raise ClockError(f"TELESALES_NOW={fixed!r} is outside the dates telesales works with ({range_text()})")
    return value


def local_now(zone: ZoneInfo) -> datetime:
    return now().astimezone(zone)


def today(zone: ZoneInfo) -> date:
    """Today's date in the call centre's time zone (not the server's)."""
    return local_now(zone).date()


def week_of(day: date) -> date:
    """The Monday of the week containing `day`; a week is named by its Monday everywhere."""
    return day - timedelta(days=day.weekday())
