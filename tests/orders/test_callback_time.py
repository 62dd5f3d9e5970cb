"""The callback time box's reading of what an order taker types, at a fixed moment: Monday 2026-11-23 15:31 in
Shanghai, the centre working Monday to Saturday 08:30-17:30 (the settings' defaults)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from orders.callback_time import CallbackTimeError, callback_label, parse_callback_time
from orders.calls import CallError
from orders.settings import Settings

SH = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 23, 15, 31, tzinfo=SH)


def nov(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("16:30", nov(23, 16, 30)),
        ("1630", nov(23, 16, 30)),
        ("16.30", nov(23, 16, 30)),
        ("16：30", nov(23, 16, 30)),  # full-width colon, as a Chinese IME types it
        ("下午4点", nov(23, 16)),
        ("下午四点半", nov(23, 16, 30)),
        ("4点", nov(23, 16)),  # a bare hour 1-6 is the afternoon
        ("四点", nov(23, 16)),
        ("5:15", nov(23, 17, 15)),
        ("明天10:00", nov(24, 10)),
        ("明天 10:00", nov(24, 10)),
        ("明天上午", nov(24, 10)),
        ("明天下午", nov(24, 15)),
        ("明天", nov(24, 10)),
        ("明天上午10点", nov(24, 10)),
        ("后天下午3点", nov(25, 15)),
        ("周四上午", nov(26, 10)),
        ("星期四 15:00", nov(26, 15)),
        ("礼拜四三点", nov(26, 15)),
        ("下周一 9:30", nov(30, 9, 30)),
        ("11月24日上午", nov(24, 10)),
        ("2026-11-24 10:00", nov(24, 10)),
        ("2026-11-24T10:00:00+08:00", nov(24, 10)),
        ("+30", nov(23, 16, 1)),
        ("+1h", nov(23, 16, 31)),
        ("半小时后", nov(23, 16, 1)),
        ("一个半小时后", nov(23, 17, 1)),
        ("30分钟后", nov(23, 16, 1)),
        ("tomorrow 10:00", nov(24, 10)),
        ("Tomorrow 10am", nov(24, 10)),
        ("thu 15:00", nov(26, 15)),
        ("Thursday 3pm", nov(26, 15)),
        ("sat 9:00", nov(28, 9)),
    ],
)
def test_what_is_typed_is_the_moment_meant(typed: str, expected: datetime) -> None:
    got = parse_callback_time(typed, AT, Settings())
    assert got == expected
    assert got.utcoffset() is not None and got.tzinfo is not None
    assert got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("09:00", "past"),
        ("15:30", "past"),
        ("上午10点", "past"),  # today's morning is gone; never silently moved to tomorrow
        ("下午3点", "past"),
        ("周日", "not_working_day"),  # Sunday is not in the default work_days [1..6]
        ("sun 10:00", "not_working_day"),
        ("11月29日 10:00", "not_working_day"),
        ("晚上", "outside_hours"),  # the evening is refused, not clamped to closing time
        ("明天晚上7点", "outside_hours"),
        ("明天7点", "outside_hours"),
        ("+2h", "outside_hours"),  # 17:31, a minute after closing
        ("明天8:00", "outside_hours"),
        ("[/]", "unreadable"),
        ("", "unreadable"),
        ("soon", "unreadable"),
        ("25:00", "unreadable"),
        ("3后", "unreadable"),
        ("+0", "unreadable"),
        ("2027-13-01 10:00", "unreadable"),
    ],
)
def test_a_time_nobody_can_keep_is_refused_with_its_reason(typed: str, code: str) -> None:
    with pytest.raises(CallbackTimeError) as caught:
        parse_callback_time(typed, AT, Settings())
    assert caught.value.code == code
    assert isinstance(caught.value, CallError)  # callers that catch CallError keep working
    assert str(caught.value)  # one English sentence for the CLI and the logs


def test_a_sunday_callback_is_kept_when_the_centre_works_sundays() -> None:
    settings = Settings(work_days=[1, 2, 3, 4, 5, 6, 7])
    assert parse_callback_time("周日", AT, settings) == nov(29, 10)


def test_a_refusal_carries_the_understood_time_for_the_screen() -> None:
    with pytest.raises(CallbackTimeError) as caught:
        parse_callback_time("09:00", AT, Settings())
    assert caught.value.params["moment"] == nov(23, 9)
    with pytest.raises(CallbackTimeError) as outside:
        parse_callback_time("晚上", AT, Settings())
    assert outside.value.params["hours"] == "08:30-17:30"


def test_the_preview_names_the_weekday() -> None:
    settings = Settings()
    assert callback_label(nov(24, 10), settings, "zh") == "周二 11-24 10:00"
    assert callback_label(nov(24, 10), settings, "en") == "Tue 11-24 10:00"
