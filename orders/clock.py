"""The one clock. Every rule that asks "now", "today" or "this week" asks here, so `TELESALES_NOW` can fix it
where the database allows it, and a shared database's server clock replaces the terminal's.

Which clock that is is decided once, when a command or the app opens its database (`orders.policy.use_clock`),
and registered here: an offset (server time minus this terminal's) and whether `TELESALES_NOW` is honoured.
Asking the server on every call would put a query under every keystroke that reads the time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# The days the rules can work with. Python's calendar ends at 9999-12-31, and the rules count weeks forward
# (a week's Monday + 7, a callback a few days on) and months back (history, repeat complaints); a year of slack
# at each end keeps every such step representable, and no call centre works outside these dates.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(9998, 12, 31)


class ClockError(ValueError):
    pass


@dataclass(frozen=True)
class ClockSource:
    """Where `now()` reads the time. The default (no database opened yet, or the embedded SQLite) is this
    terminal's clock with `TELESALES_NOW` honoured, as it always was."""

    offset: timedelta = timedelta(0)
    fixed_allowed: bool = True
    refusal: str = ""  # why TELESALES_NOW is not honoured, for the one sentence the user reads


_source = ClockSource()


def use(source: ClockSource) -> None:
    """Register where the time comes from for the rest of this process (one command, one app run)."""
    global _source
    _source = source


def source() -> ClockSource:
    return _source


def reset() -> None:
    """Back to this terminal's clock, as before any database was opened (tests, a second engine)."""
    use(ClockSource())


def fixed_clock_requested() -> bool:
    return bool(os.environ.get("TELESALES_NOW"))


def real_now() -> datetime:
    """The time by the registered clock (the database server's on PostgreSQL), whatever `TELESALES_NOW` says."""
    return datetime.now(UTC) + _source.offset


def in_range(day: date) -> bool:
    """Whether the rules can work with `day` (see EARLIEST_DAY, LATEST_DAY)."""
    return EARLIEST_DAY <= day <= LATEST_DAY


def range_text() -> str:
    """The days the rules work with, as a user reads them in a message."""
    return f"{EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}"


def now() -> datetime:
    """The current instant, aware; `TELESALES_NOW` (ISO-8601 with offset) replaces the real clock where the
    database allows it, and is refused (never quietly ignored) where it does not: a user who set it believes the
    time is fixed, and a forged time must never reach an order or its audit row."""
    fixed = os.environ.get("TELESALES_NOW")
    if not fixed:
        return real_now()
    if not _source.fixed_allowed:
        raise ClockError(_source.refusal or "TELESALES_NOW is set but this database does not allow a fixed clock")
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
