"""Render a script against a call context: the steps the order taker reads, in order, in one language.

The promise to the order taker is that nothing raw reaches the screen: a step whose conditions do not hold
is left out; a text naming data the call does not have gives way to the step's next fallback; a step with
no text that can be filled is left out. `{{` and `}}` write literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from scripts_lib.context import FLAGS, NEGATION, CallContext, ShortBrand
from scripts_lib.model import Bilingual, Lang, Script, Step

# -------------------------------------------------------------------------------------------- templates

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class Field:
    """A `{name}` in a text; `raw` is exactly as written, for error messages and locating the line."""

    name: str
    raw: str


@dataclass(frozen=True)
class StrayBrace:
    raw: str


Part = str | Field | StrayBrace


def scan(text: str) -> Iterator[Part]:
    """Split a text into literal runs, `{placeholders}` and unmatched braces."""
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() > pos:
            yield text[pos : m.start()]
        token = m.group(0)
        if token in ("{{", "}}"):
            yield token[0]
        elif m.group(1) is not None:
            yield Field(m.group(1), token)
        else:
            yield StrayBrace(token)
        pos = m.end()
    if pos < len(text):
        yield text[pos:]


def fill(text: str, values: dict[str, str | None]) -> str | None:
    """The text with its placeholders filled, or None when one of them has no value (or is unknown)."""
    out: list[str] = []
    for part in scan(text):
        if isinstance(part, Field):
            value = values.get(part.name)
            if value is None:
                return None
            out.append(value)
        elif isinstance(part, StrayBrace):
            out.append(part.raw)  # only an unlinted script gets here; a brace is not a placeholder
        else:
            out.append(part)
    return "".join(out)


# ---------------------------------------------------------------------------------------------- wording

_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒")
_ADDRESS_WORDS = ("老板", "老板娘", "姐", "哥", "总", "师傅", "叔", "阿姨", "经理", "先生", "女士")
_ZH_WEEKDAYS = "一二三四五六日"
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_TIME_GREETINGS: dict[str, tuple[str, str]] = {
    "morning": ("上午好", "Good morning"),
    "noon": ("中午好", "Good afternoon"),
    "afternoon": ("下午好", "Good afternoon"),
    "evening": ("晚上好", "Good evening"),
}
# Ticket categories (the CLI contract's stable values) as said to the shop; "other" has no words of its own.
_TICKET_WORDS: dict[str, tuple[str, str]] = {
    "counterfeit": ("疑似假烟", "suspected counterfeit"),
    "delivery_error": ("配送出错", "delivery error"),
    "sorting_error": ("分拣出错", "sorting error"),
    "out_of_supply": ("货源不足", "supply shortage"),
    "wrong_order": ("订单下错", "order mix-up"),
    "attitude": ("服务态度", "service attitude problem"),
    "price": ("价格", "price issue"),
    "damaged": ("货物破损", "damaged goods"),
    "over_promise": ("承诺没兑现", "broken promise"),
}
LIST_LIMIT = 3  # a list read out on the phone stops at three; the rest is "etc."


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def owner_address(name: str | None, lang: Lang) -> str | None:
    """How the order taker addresses the owner: 张建国 → 张老板, 欧阳红 → 欧阳老板; a name already in a form of
    address (王姐, 李老板) or not in Chinese is used as written."""
    if name is None or not name.strip():
        return None
    name = name.strip()
    if lang == "en" or not _is_cjk(name[0]) or name.endswith(_ADDRESS_WORDS):
        return name
    surname = name[:2] if name[:2] in _COMPOUND_SURNAMES and len(name) > 2 else name[0]
    return surname + "老板"


def _join(items: list[str], lang: Lang) -> str:
    shown = items[:LIST_LIMIT]
    more = len(items) > LIST_LIMIT
    if lang == "zh":
        return "、".join(shown) + ("等" if more else "")
    if more:
        return ", ".join(shown) + " and others"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _short(brand: ShortBrand, lang: Lang) -> str:
    if brand.reason == "quota" and brand.quota is not None:
        if brand.left == 0:
            return f"{brand.name}本周已订满" if lang == "zh" else f"{brand.name} (this week's quota used up)"
        return f"{brand.name}限{brand.quota}条" if lang == "zh" else f"{brand.name} (max {brand.quota} cartons)"
    if brand.left == 0:
        return f"{brand.name}本周已无货源" if lang == "zh" else f"{brand.name} (sold out this week)"
    return f"{brand.name}货源紧张" if lang == "zh" else f"{brand.name} (short supply)"


def day_phrase(day: date, today: date, lang: Lang) -> str:
    """A day as said on the phone, relative to today: 明天, 本周四, 下周一, else the date."""
    delta = (day - today).days
    monday = today - timedelta(days=today.weekday())
    weeks = (day - timedelta(days=day.weekday()) - monday).days // 7
    wd = day.weekday()
    if lang == "zh":
        if delta == 0:
            return "今天"
        if delta == 1:
            return "明天"
        if weeks == 0 and delta > 0:
            return f"本周{_ZH_WEEKDAYS[wd]}"
        if weeks == 1:
            return f"下周{_ZH_WEEKDAYS[wd]}"
        return f"{day.month}月{day.day}日"
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if weeks == 0 and delta > 0:
        return f"this {_EN_WEEKDAYS[wd]}"
    if weeks == 1:
        return f"next {_EN_WEEKDAYS[wd]}"
    return date_phrase(day, lang)


def date_phrase(day: date, lang: Lang) -> str:
    return f"{day.month}月{day.day}日" if lang == "zh" else f"{day.day} {_EN_MONTHS[day.month - 1]}"


def _ticket_words(ctx: CallContext, lang: Lang) -> str | None:
    if not ctx.tickets:
        return None
    index = 0 if lang == "zh" else 1
    words: list[str] = []
    for t in ctx.tickets:
        w = _TICKET_WORDS.get(t.category)
        if w is not None and w[index] not in words:
            words.append(w[index])
    if lang == "zh":
        return _join(words, lang) + "问题" if words else "问题"
    return _join(words, lang) if words else "issue"


def values(ctx: CallContext, lang: Lang) -> dict[str, str | None]:
    """Every placeholder's text for this call in `lang`; None where the call has no such data."""
    zh = lang == "zh"
    greeting = _TIME_GREETINGS.get(ctx.time_of_day or "")
    pending = [t for t in ctx.tickets if not t.overdue]
    return {
        "customer": ctx.customer,
        "shop_code": ctx.shop_code,
        "company": ctx.company or ("烟草公司" if zh else "the tobacco company"),
        "time_greeting": greeting[0 if zh else 1] if greeting else ("您好" if zh else "Hello"),
        "owner": owner_address(ctx.owner, lang),
        "operator": ctx.operator.strip() if ctx.operator and ctx.operator.strip() else None,
        "holiday": ctx.holiday.name.text(lang) if ctx.holiday else None,
        "holiday_date": date_phrase(ctx.holiday.on, lang) if ctx.holiday else None,
        "ticket": _ticket_words(ctx, lang),
        "ticket_due": pending[0].due.text(lang) if pending else None,
        "callback_time": ctx.callback_time.text(lang) if ctx.callback_time else None,
        "short_brands": _join([_short(b, lang) for b in ctx.short_brands], lang) if ctx.short_brands else None,
        "plentiful_brands": _join(list(ctx.plentiful_brands), lang) if ctx.plentiful_brands else None,
        "new_products": _join(list(ctx.new_products), lang) if ctx.new_products else None,
        "next_order_day": (
            day_phrase(ctx.next_order_day, ctx.today, lang) if ctx.next_order_day and ctx.today else None
        ),
    }


def flags(ctx: CallContext) -> dict[str, bool]:
    """Every condition a step's `when:` may name, true or false for this call."""
    return {
        "owner_known": owner_address(ctx.owner, "zh") is not None,
        "operator_known": bool(ctx.operator and ctx.operator.strip()),
        "open_ticket": bool(ctx.tickets),
        "ticket_overdue": any(t.overdue for t in ctx.tickets),
        "short_brands": bool(ctx.short_brands),
        "plentiful_brands": bool(ctx.plentiful_brands),
        "new_products": bool(ctx.new_products),
        "retention": ctx.retention,
        "holiday_near": ctx.holiday is not None,
        "callback_requested": ctx.callback == "requested",
        "callback_missed": ctx.callback == "missed",
    }


def condition_holds(condition: str, truth: dict[str, bool]) -> bool:
    """`flag` or `not flag`; an unknown flag never holds (only an unlinted script can name one)."""
    negated = condition.startswith(NEGATION)
    name = condition[len(NEGATION) :].strip() if negated else condition.strip()
    if name not in FLAGS:
        return False
    return truth.get(name, False) != negated


# ----------------------------------------------------------------------------------------------- render


@dataclass(frozen=True)
class RenderedStep:
    id: str
    kind: str
    text: str
    hint: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "text": self.text, "hint": self.hint}


def _first_filled(texts: list[Bilingual], lang: Lang, vals: dict[str, str | None]) -> str | None:
    for text in texts:
        raw = text.either(lang)
        if raw is None:
            continue
        filled = fill(raw, vals)
        if filled is not None and filled.strip():
            return filled
    return None


def render_step(step: Step, vals: dict[str, str | None], truth: dict[str, bool], lang: Lang) -> RenderedStep | None:
    if not all(condition_holds(c, truth) for c in step.when):
        return None
    text = _first_filled([step.prompt, *step.fallback], lang, vals)
    if text is None:
        return None
    hint = _first_filled([step.hint], lang, vals) if step.hint is not None else None
    return RenderedStep(step.id, step.kind, text, hint)


def render(script: Script, context: CallContext, lang: Lang | None = None) -> list[RenderedStep]:
    """The steps as they read for this call, in script order; `lang` defaults to the context's."""
    lang = lang or context.lang
    vals = values(context, lang)
    truth = flags(context)
    out: list[RenderedStep] = []
    for step in script.steps:
        rendered = render_step(step, vals, truth, lang)
        if rendered is not None:
            out.append(rendered)
    return out
