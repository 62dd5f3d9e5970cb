"""What a script is rendered against: plain data about one call, assembled by `orders/` from the database.

Keeping this a plain value (no session, no engine) is what lets `scripts_lib` stay free of the database and
lets a test, a trainer's preview and the lint's sample renders all build one by hand.

The two registries below are the vocabulary a script author may use: `PLACEHOLDERS` for `{name}` in texts
and `FLAGS` for `when:` conditions. Lint refuses anything else, so a typo can never reach a live call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from scripts_lib.model import Lang

TimeOfDay = Literal["morning", "noon", "afternoon", "evening"]
Callback = Literal["requested", "missed"]
ShortReason = Literal["quota", "supply"]

# {placeholder}: what it becomes. Those marked always-available are never missing (they fall back to a
# generic phrase); every other one can be missing, and a text naming a missing one is not used.
PLACEHOLDERS: dict[str, str] = {
    "customer": "the shop's name (always available)",
    "shop_code": "the shop's licence number (always available)",
    "company": "the company's name; a generic 'tobacco company' when unknown (always available)",
    "time_greeting": "上午好 / Good morning … by the time of day; 您好 / Hello when unknown (always available)",
    "owner": "how to address the owner: 张老板 (zh), the owner's name (en)",
    "operator": "the order taker's name, e.g. 小王",
    "holiday": "the holiday coming within three weeks, e.g. 国庆节 / National Day",
    "holiday_date": "its date, e.g. 10月1日 / 1 October",
    "ticket": "what the shop's open complaint is about, e.g. 配送出错问题 / delivery error",
    "callback_time": "the time the shop asked us to call back, e.g. 今天15:30 / today at 15:30",
    "ticket_due": "when we promised to reply, e.g. 明天上午10点前 / by 10:00 am tomorrow",
    "short_brands": "the shop's brands that are tight this week, with their limits",
    "plentiful_brands": "the shop's brands with plenty of supply this week",
    "new_products": "new products the shop has not ordered yet",
    "next_order_day": "the shop's next order day, e.g. 下周一 / next Monday",
}
ALWAYS_AVAILABLE: frozenset[str] = frozenset({"customer", "shop_code", "company", "time_greeting"})

# when: flag -> what makes it true. `not FLAG` is true when FLAG is false.
FLAGS: dict[str, str] = {
    "owner_known": "the owner's name is on file",
    "operator_known": "the order taker's name is known",
    "open_ticket": "the shop has a complaint still open",
    "ticket_overdue": "one of the shop's open complaints is past its promised reply time",
    "short_brands": "some of the shop's brands are tight this week (quota or little supply left)",
    "plentiful_brands": "some of the shop's brands have plenty of supply this week",
    "new_products": "there are new products the shop has not ordered yet",
    "retention": "the shop's orders are falling: fewer weeks with an order lately than before",
    "holiday_near": "a holiday is within three weeks",
    "callback_requested": "the shop asked us to call back at this time",
    "callback_missed": "our last call today was not answered or the line was busy",
}
NEGATION = "not "


@dataclass(frozen=True)
class Words:
    """A phrase that only `orders/` can word (it knows the clock and the zone), given in both languages."""

    zh: str
    en: str

    def text(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Holiday:
    name: Words
    on: date


@dataclass(frozen=True)
class OpenTicket:
    """A complaint of the shop's that is still open; `category` is one of the contract's ticket categories."""

    category: str
    due: Words  # the promised reply time as the order taker says it
    overdue: bool = False


@dataclass(frozen=True)
class ShortBrand:
    """A product that is tight for this shop this week, and why: its quota, or little supply left."""

    name: str
    reason: ShortReason
    quota: int | None = None  # cartons this shop may order this week (reason "quota")
    left: int | None = None  # cartons this shop may still order (quota) or the week's supply left (supply)


@dataclass(frozen=True)
class CallContext:
    """Everything a script may say about one call. Only the shop's name and code are required."""

    customer: str
    shop_code: str
    owner: str | None = None
    operator: str | None = None
    company: str | None = None
    today: date | None = None
    time_of_day: TimeOfDay | None = None
    holiday: Holiday | None = None
    tickets: tuple[OpenTicket, ...] = ()
    short_brands: tuple[ShortBrand, ...] = ()  # most relevant to this shop first
    plentiful_brands: tuple[str, ...] = ()
    new_products: tuple[str, ...] = ()
    retention: bool = False
    next_order_day: date | None = None
    callback: Callback | None = None
    callback_time: Words | None = None  # the appointment kept by a requested callback
    lang: Lang = "zh"


def time_of_day(hour: int) -> TimeOfDay | None:
    """Which greeting fits the hour; None before dawn, when a plain 您好 is safest."""
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 14:
        return "noon"
    if 14 <= hour < 18:
        return "afternoon"
    if 18 <= hour < 24:
        return "evening"
    return None


# A call with typical data: lint measures line widths against it, so a line that fits with a three-character
# brand but not with a real one is caught before a live call.
TYPICAL_CONTEXT = CallContext(
    customer="鑫源便利店(五一大道店)",
    shop_code="430102123456",
    owner="欧阳建国",
    operator="小王",
    company="长沙市烟草公司",
    today=date(2026, 9, 14),
    time_of_day="afternoon",
    holiday=Holiday(Words("国庆节", "National Day"), date(2026, 10, 1)),
    tickets=(OpenTicket("delivery_error", Words("明天上午10点前", "by 10:00 am tomorrow")),),
    short_brands=(ShortBrand("中华(硬)", "quota", quota=2, left=2), ShortBrand("黄鹤楼(软蓝)", "supply", left=40)),
    plentiful_brands=("白沙(硬精品二代)", "芙蓉王(硬)"),
    new_products=("芙蓉王(硬中支)",),
    retention=True,
    next_order_day=date(2026, 9, 21),
    callback="requested",
    callback_time=Words("今天15:30", "today at 15:30"),
)

# A call about which nothing optional is known: every required step must still be said.
MINIMAL_CONTEXT = CallContext(customer="鑫源便利店", shop_code="430102123456")
