"""The shared option parsers (`tui/cli/options.py`): one reading of a day, a week and a moment for every command."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tui.cli.main import CliError
from tui.cli.options import parse_date, parse_moment, parse_week

ZONE = ZoneInfo("Asia/Shanghai")


def test_a_day_is_yyyy_mm_dd_and_absent_stays_absent() -> None:
    assert parse_date("2026-11-23", "--date") == date(2026, 11, 23)
    assert parse_date(" 2026-11-23 ", "--date") == date(2026, 11, 23)
    assert parse_date(None, "--date") is None


@pytest.mark.parametrize("raw", ["20261123", "2026-W48-1", "2026-1-5", "2026-13-01", "monday", "２０２６-11-23"])
def test_other_spellings_are_one_sentence_naming_the_option(raw: str) -> None:
    with pytest.raises(CliError) as caught:
        parse_date(raw, "--date")
    assert caught.value.message == f"--date {raw!r} is not a date; write YYYY-MM-DD, e.g. 2026-11-23"
    assert caught.value.kind == "bad_input" and caught.value.code == 1


def test_a_command_may_word_it_its_own_way_and_add_details() -> None:
    with pytest.raises(CliError) as caught:
        parse_week("soon", message="{option} {raw!r}?", kind="bad_date", lines=[])
    assert (caught.value.message, caught.value.kind, caught.value.details) == (
        "--week 'soon'?",
        "bad_date",
        {"lines": []},
    )


def test_a_week_is_named_by_its_monday() -> None:
    assert parse_week("2026-11-26") == date(2026, 11, 23)
    assert parse_week("2026-11-23") == date(2026, 11, 23)
    assert parse_week(None) is None


def test_a_moment_without_an_offset_is_on_the_centres_clock() -> None:
    assert parse_moment("2026-11-23T15:00", "--due", ZONE) == datetime(2026, 11, 23, 15, 0, tzinfo=ZONE)
    assert parse_moment("2026-11-23T15:00:00+00:00", "--due", ZONE) == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    with pytest.raises(CliError, match="--callback-at 'tomorrow 3pm' is not an ISO-8601 date-time"):
        parse_moment("tomorrow 3pm", "--callback-at", ZONE)
