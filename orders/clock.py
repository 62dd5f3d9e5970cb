"""The one clock. Every rule that asks "now", "today" or "this week" asks here, so `TELESALES_NOW` can fix it."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


class ClockError(ValueError):
    pass


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
    return value


def local_now(zone: ZoneInfo) -> datetime:
    return now().astimezone(zone)


def today(zone: ZoneInfo) -> date:
    """Today's date in the call centre's time zone (not the server's)."""
    return local_now(zone).date()


def week_of(day: date) -> date:
    """The Monday of the week containing `day`; a week is named by its Monday everywhere."""
    return day - timedelta(days=day.weekday())
