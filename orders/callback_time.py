"""The callback time as an order taker types it while the shop owner is still talking.

「下午三点半」, 「明天10:00」, 「周四上午」 or 「+30」 are what people say and hear; making the order taker translate
them into `YYYY-MM-DD HH:MM` under time pressure is how a callback ends up at 03:30 or on the wrong day. This
module reads the spoken forms into one moment in the centre's zone and refuses, with a reason code the screen
words in its language, a time nobody could keep.

Choices, so that the same text always means the same moment:
- A time without a day is today; a time already gone is refused (`past`), never moved to tomorrow: the owner
  heard "three o'clock", and silently calling at three tomorrow breaks the promise.
- A bare hour 1-6 (「3点」, 「3:30」, 「三点」) is the afternoon: the centre is closed at 3 a.m., so nobody means it.
- A part of the day without a time gets a fixed hour: 上午/早上 10:00, 中午 12:00, 下午 15:00. 晚上 (evening)
  reads as 19:00 and is therefore refused as outside working hours instead of being clamped to closing time,
  which the shop did not agree to.
- A day without a time or part of day (「明天」, 「周四」) is 10:00 that day, the middle of the morning.
- A weekday (「周四」, `thu`) is the nearest such day from today on, today included; 「下周四」 / `next thu` is
  that day of next week.
- Relative times need a `+` or 后: `+30` (minutes), `+2h`, 「2小时后」, 「半小时后」; seconds are dropped.
- The working days and hours are checked by `orders.calls.check_callback_time`, the rule a recorded call obeys.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Any

from orders.calendar import WorkingCalendar, weekday_name
from orders.calls import CallError, check_callback_time
from orders.clock import week_of
from orders.quantity import chinese_number
from orders.settings import Settings

CODES = ("unreadable", "past", "not_working_day", "outside_hours")

MORNING = time(10, 0)
NOON = time(12, 0)
AFTERNOON = time(15, 0)
EVENING = time(19, 0)
DAY_ONLY = MORNING
MAX_AHEAD_DAYS = 366  # a callback a year away is a typo (a wrong year), not a promise

EXAMPLES = "15:30, 下午3点, 明天10:00, 周四上午, +30"


class CallbackTimeError(CallError):
    """A callback time that cannot be read or cannot be kept. `code` is one of `CODES`; `params` carries what
    the screen needs to word it in its own language (`text`, and `moment` and `hours` when known)."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


_CN = "零〇一二两三四五六七八九十"
_NUM = rf"(?:\d{{1,2}}|[{_CN}]{{1,3}})"
_WEEKDAY_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}
_WEEKDAY_EN = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}

_RELATIVE = re.compile(
    rf"^(?P<plus>\+)?(?:(?P<n>\d{{1,4}}|[{_CN}]{{1,3}})(?:个)?(?P<half>半)?|(?P<halfonly>半)(?:个)?)"
    r"(?P<unit>h|hr|hrs|hours?|小时|钟头|m|min|mins|minutes?|分钟|分)?"
    r"(?P<after>后|以后|之后|later)?$"
)
_DAY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})t?")),
    ("md", re.compile(rf"(?P<mo>{_NUM})月(?P<d>{_NUM})[日号]?")),
    ("today", re.compile(r"今天|今日|today")),
    ("tonight", re.compile(r"今晚|tonight")),
    ("tomorrow", re.compile(r"明天|明日|tomorrow|tmr")),
    ("after", re.compile(r"后天")),
    ("cn_weekday", re.compile(r"(?P<which>下个?|这个?|本)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])")),
    ("en_weekday", re.compile(r"(?P<which>next)?(?P<wd>mon|tue|wed|thu|fri|sat|sun)[a-z]*")),
)
_PART_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("morning", re.compile(r"上午|早上|早晨|morning|am|a\.m\.")),
    ("noon", re.compile(r"中午|noon")),
    ("afternoon", re.compile(r"下午|午后|afternoon|pm|p\.m\.")),
    ("evening", re.compile(r"晚上|傍晚|夜里|evening")),
)
_TIME_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("colon", re.compile(r"(?P<h>\d{1,2})[:.](?P<m>\d{2})")),
    ("spoken", re.compile(
        rf"(?P<h>{_NUM})[点时](?:(?P<half>半)|(?P<q1>一刻)|(?P<q3>三刻)|(?P<m>{_NUM})分?)?钟?"
    )),
    ("compact", re.compile(r"(?P<hm>\d{3,4})(?!\d)")),
    ("hour", re.compile(r"(?P<h>\d{1,2})(?=am|pm|a\.m\.|p\.m\.)")),
)
_FILLER = re.compile(r"左右|前后|再打|回电|打过来|的|吧")  # said around the time, carrying no meaning


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else chinese_number(text)


def _unreadable(text: str) -> CallbackTimeError:
    return CallbackTimeError(
        "unreadable", f"cannot read the callback time '{text}'; type it as e.g. {EXAMPLES}", text=text
    )


def normalise(text: str) -> str:
    """Full-width digits and colons as ASCII (an IME in Chinese mode types them), lower case, no spaces."""
    folded = unicodedata.normalize("NFKC", text).lower().replace("点钟", "点")
    return re.sub(r"\s+", "", folded)


def _relative(cleaned: str, at: datetime) -> datetime | None:
    match = _RELATIVE.match(cleaned)
    if match is None or not (match["plus"] or match["after"]):
        return None
    unit = match["unit"] or ""
    hours = unit.startswith("h") or unit in ("小时", "钟头")
    if match["halfonly"]:
        if not hours:
            return None
        minutes = 30
    else:
        n = _number(match["n"])
        if n is None:
            return None
        if not unit and not match["plus"]:
            return None  # 「3后」 says nothing
        minutes = n * 60 if hours else n
        if match["half"]:
            if not hours:
                return None
            minutes += 30
    if minutes <= 0:
        return None
    return (at + timedelta(minutes=minutes)).replace(second=0, microsecond=0)


def _day(kind: str, match: re.Match[str], today: date) -> date | None:
    if kind == "iso":
        try:
            return date(int(match["y"]), int(match["mo"]), int(match["d"]))
        except ValueError:
            return None
    if kind == "md":
        month, day = _number(match["mo"]), _number(match["d"])
        if month is None or day is None:
            return None
        try:
            found = date(today.year, month, day)
            return found if found >= today else date(today.year + 1, month, day)
        except ValueError:
            return None
    if kind in ("today", "tonight"):
        return today
    if kind == "tomorrow":
        return today + timedelta(days=1)
    if kind == "after":
        return today + timedelta(days=2)
    wd = _WEEKDAY_CN.get(match["wd"]) or (int(match["wd"]) if match["wd"].isdigit() else None)
    if kind == "en_weekday":
        wd = _WEEKDAY_EN[match["wd"]]
    if wd is None:
        return None
    which = match["which"] or ""
    if which.startswith("下") or which == "next":
        return week_of(today) + timedelta(days=7 + wd - 1)
    if which:  # 这周四 / 本周四: this week's, even when it is gone (then refused as past)
        return week_of(today) + timedelta(days=wd - 1)
    return today + timedelta(days=(wd - today.isoweekday()) % 7)


def _clock(kind: str, match: re.Match[str]) -> tuple[int, int] | None:
    if kind == "compact":
        digits = match["hm"]
        return int(digits[:-2]), int(digits[-2:])
    hour = _number(match["h"])
    if hour is None:
        return None
    if kind in ("colon",):
        return hour, int(match["m"])
    if kind == "hour":
        return hour, 0
    if match["half"]:
        return hour, 30
    if match["q1"]:
        return hour, 15
    if match["q3"]:
        return hour, 45
    if match["m"]:
        minute = _number(match["m"])
        return (hour, minute) if minute is not None else None
    return hour, 0


def _first(patterns: tuple[tuple[str, re.Pattern[str]], ...], text: str, pos: int) -> tuple[str, re.Match[str]] | None:
    for kind, pattern in patterns:
        match = pattern.match(text, pos)
        if match is not None and match.end() > pos:
            return kind, match
    return None


def _absolute(cleaned: str, today: date, zone: Any) -> datetime | None:
    """Day, part of day and clock time, each optional, in the order people say them (a part of day may
    also follow the time, as in `3pm`)."""
    pos = 0
    day: date | None = None
    part: str | None = None
    clock: tuple[int, int] | None = None
    found = _first(_DAY_PATTERNS, cleaned, pos)
    if found is not None:
        kind, match = found
        day = _day(kind, match, today)
        if day is None:
            return None
        part = "evening" if kind == "tonight" else None
        pos = match.end()
    found = _first(_PART_PATTERNS, cleaned, pos)
    if found is not None:
        part, pos = found[0], found[1].end()
    found = _first(_TIME_PATTERNS, cleaned, pos)
    if found is not None:
        clock = _clock(found[0], found[1])
        if clock is None:
            return None
        pos = found[1].end()
        after = _first(_PART_PATTERNS, cleaned, pos)
        if after is not None and part is None:
            part, pos = after[0], after[1].end()
    if pos != len(cleaned) or (day is None and part is None and clock is None):
        return None
    if clock is None:
        defaults = {"morning": MORNING, "noon": NOON, "afternoon": AFTERNOON, "evening": EVENING}
        chosen = defaults[part] if part is not None else DAY_ONLY
        hour, minute = chosen.hour, chosen.minute
    else:
        hour, minute = clock
        afternoon = (part in ("afternoon", "evening") and hour < 12) or (part == "noon" and 1 <= hour <= 2)
        # nobody promises a call at 3 a.m.: a bare 「3点」 is the afternoon
        if afternoon or (part is None and 1 <= hour <= 6):
            hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return datetime.combine(day or today, time(hour, minute), tzinfo=zone)


def _iso(raw: str, zone: Any) -> datetime | None:
    """A full ISO-8601 time (what `calls record --callback-at` takes) is accepted as it is."""
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if "t" not in raw.lower() and ":" not in raw:
        return None  # a bare date is a day, read by the spoken rules (10:00)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def understand(text: str, at: datetime, settings: Settings) -> datetime:
    """The moment `text` names, without checking that it can be kept; raises `CallbackTimeError`
    (`unreadable`)."""
    zone = settings.zone
    today = at.astimezone(zone).date()
    iso = _iso(text, zone)
    if iso is not None:
        return iso.astimezone(zone)
    cleaned = _FILLER.sub("", normalise(text))
    if not cleaned:
        raise _unreadable(text.strip())
    moment = _relative(cleaned, at.astimezone(zone)) or _absolute(cleaned, today, zone)
    if moment is None:
        raise _unreadable(text.strip())
    return moment


def parse_callback_time(text: str, at: datetime, settings: Settings) -> datetime:
    """The moment an order taker's callback time means, aware in the centre's zone, checked to be in the
    future, on a working day and inside working hours (`orders.calls.check_callback_time`)."""
    moment = understand(text, at, settings)
    calendar = WorkingCalendar.from_settings(settings)
    shown = callback_label(moment, settings, "en")
    hours = f"{calendar.start:%H:%M}-{calendar.end:%H:%M}"
    params: dict[str, Any] = {"text": text.strip(), "moment": moment, "hours": hours}
    if moment <= at:
        raise CallbackTimeError("past", f"the callback time {shown} is already past", **params)
    if moment - at > timedelta(days=MAX_AHEAD_DAYS):
        raise _unreadable(text.strip())
    try:
        return check_callback_time(moment, at, settings)
    except CallbackTimeError:
        raise
    except CallError as exc:
        if not calendar.is_working_day(moment.date()):
            raise CallbackTimeError(
                "not_working_day", f"the callback time {shown} is not on a working day", **params
            ) from exc
        raise CallbackTimeError(
            "outside_hours", f"the callback time {shown} is outside working hours ({hours})", **params
        ) from exc


def callback_label(moment: datetime, settings: Settings, lang: str) -> str:
    """「周二 11-24 10:00」 / `Tue 11-24 10:00`: the weekday is what the owner checks the date against."""
    local = moment.astimezone(settings.zone)
    return f"{weekday_name(local.isoweekday(), lang, short=True)} {local:%m-%d %H:%M}"
