from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from orders import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_telesales_now_fixes_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELESALES_NOW", "2026-11-22T23:30:00+00:00")
    assert clock.now() == datetime.fromisoformat("2026-11-22T23:30:00+00:00")
    # 23:30 UTC Sunday is 07:30 Monday in Shanghai: "today" is the call centre's day, not the server's.
    assert clock.today(SHANGHAI) == date(2026, 11, 23)


def test_without_override_the_clock_is_real_and_aware(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELESALES_NOW")
    assert clock.now().tzinfo is not None
    assert abs((clock.now() - datetime.now(SHANGHAI)).total_seconds()) < 60


@pytest.mark.parametrize("bad", ["yesterday", "2026-11-23T09:00:00"])
def test_a_bad_override_is_named(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("TELESALES_NOW", bad)
    with pytest.raises(clock.ClockError, match="TELESALES_NOW"):
        clock.now()


@pytest.mark.parametrize(
    ("day", "monday"),
    [(date(2026, 11, 23), date(2026, 11, 23)), (date(2026, 11, 29), date(2026, 11, 23)),
     (date(2026, 1, 1), date(2025, 12, 29))],
)
def test_a_week_is_named_by_its_monday(day: date, monday: date) -> None:
    assert clock.week_of(day) == monday


@pytest.mark.parametrize("fixed", ["9999-12-31T23:00:00+08:00", "0001-01-01T00:00:00+08:00"])
def test_a_clock_the_rules_cannot_count_from_is_refused(fixed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A week later than 9999-12-31 does not exist; refusing the clock names the range instead of overflowing."""
    monkeypatch.setenv("TELESALES_NOW", fixed)
    with pytest.raises(clock.ClockError, match="1900-01-01 to 9998-12-31"):
        clock.now()
