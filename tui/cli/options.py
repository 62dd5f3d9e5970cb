"""The option values several commands take (a day, a week, a moment, a customer) and the one way each is read.

Commands take these as plain strings and parse them here rather than through Typer's own types: Typer would
answer a bad date with exit 2 and a usage dump, and the contract wants bad input to exit 1 with one sentence.
A date is written YYYY-MM-DD on every command, because that is what every help text and message asks for.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, overload
from zoneinfo import ZoneInfo

import typer

from orders.clock import in_range, range_text, week_of
from tui.cli.main import CliError

# The sentences a bad value earns, as `str.format` templates over `option` and `raw`. A command whose wording is
# already relied on (scripts parse stderr) passes its own.
DATE_MESSAGE = "{option} {raw!r} is not a date; write YYYY-MM-DD, e.g. 2026-11-23"
WEEK_MESSAGE = "{option} {raw!r} is not a date; write YYYY-MM-DD (any day of the week)"
MOMENT_MESSAGE = "{option} {raw!r} is not an ISO-8601 date-time, e.g. 2026-11-23T15:00:00+08:00"
RANGE_MESSAGE = "{option} {raw!r} is outside the dates telesales works with ({range})"

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)  # fromisoformat alone also takes 20261123 and 2026-W48-1

CustomerArgument = Annotated[str, typer.Argument(metavar="CUSTOMER_CODE", help="The customer's licence number.")]
DayOption = Annotated[str | None, typer.Option("--date", metavar="DATE", help="The day, YYYY-MM-DD; default today.")]
WeekOption = Annotated[
    str | None,
    typer.Option("--week", metavar="DATE", help="Any day of the week, YYYY-MM-DD; default: this week."),
]
LangOption = Annotated[str | None, typer.Option("--lang", help="zh or en; default: the configured language.")]


@overload
def parse_date(
    raw: str, option: str, *, message: str = ..., kind: str = ..., bounded: bool = ..., **details: Any
) -> date: ...
@overload
def parse_date(
    raw: None, option: str, *, message: str = ..., kind: str = ..., bounded: bool = ..., **details: Any
) -> None: ...
def parse_date(
    raw: str | None,
    option: str,
    *,
    message: str = DATE_MESSAGE,
    kind: str = "bad_input",
    bounded: bool = True,
    **details: Any,
) -> date | None:
    """`raw` as a date, None when the option was not given. `details` go into the JSON error beside the
    message, for commands whose every error carries the same keys.

    A date the calendar holds but the rules cannot work with (9999-12-31: a week later does not exist) is bad
    input too, named with the range, unless `bounded` is False: then a rule downstream that knows a narrower
    range (the weeks an order may be placed for) answers instead, with its own words and exit code."""
    if raw is None:
        return None
    text = raw.strip()
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise CliError(message.format(option=option, raw=_short(raw)), kind=kind, **details) from exc
    if bounded and not in_range(day):
        raise CliError(RANGE_MESSAGE.format(option=option, raw=raw, range=range_text()), kind=kind, **details)
    return day


def _short(raw: str) -> str:
    """A bad value as a message shows it: a 10,000-character argument is cut, not echoed whole."""
    return raw if len(raw) <= 40 else raw[:40] + "…"


@overload
def parse_week(
    raw: str, option: str = ..., *, message: str = ..., kind: str = ..., bounded: bool = ..., **details: Any
) -> date: ...
@overload
def parse_week(
    raw: None, option: str = ..., *, message: str = ..., kind: str = ..., bounded: bool = ..., **details: Any
) -> None: ...
def parse_week(
    raw: str | None,
    option: str = "--week",
    *,
    message: str = WEEK_MESSAGE,
    kind: str = "bad_input",
    bounded: bool = True,
    **details: Any,
) -> date | None:
    """The Monday of the week holding the day `raw` names (a week is named by its Monday everywhere)."""
    day = parse_date(raw, option, message=message, kind=kind, bounded=bounded, **details)
    return week_of(day) if day is not None else None


@overload
def parse_moment(raw: str, option: str, zone: ZoneInfo) -> datetime: ...
@overload
def parse_moment(raw: None, option: str, zone: ZoneInfo) -> None: ...
def parse_moment(raw: str | None, option: str, zone: ZoneInfo) -> datetime | None:
    """An ISO-8601 date-time; one without an offset is on the centre's clock, not the machine's."""
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise CliError(MOMENT_MESSAGE.format(option=option, raw=_short(raw))) from exc
    if not in_range(value.date()):  # checked before any time zone arithmetic, which would overflow at the edges
        raise CliError(RANGE_MESSAGE.format(option=option, raw=raw, range=range_text()))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value
