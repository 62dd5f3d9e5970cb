"""What the call script may say about a shop today, read from the database; and which script fits the call.

`scripts_lib` renders against a plain `CallContext` and never touches the database; this module is the one
place that turns tables into that context, so the call screen and `telesales script render` say the same.
It reads a handful of small queries per call (one shop's rows, one week's limits), cheap enough to run
when a call opens.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlmodel import col

from db.models import AppMeta, Call, PlannedCall, User
from db.tables import CUSTOMER, HISTORY, ORDER, ORDER_LINE, PRODUCT
from orders.calendar import day_bounds, festivals, weekday_name
from orders.calls import OUTSIDE_ORDER_DAY, RETRY_OUTCOMES
from orders.clock import now, week_of
from orders.quotas import WeekLimits, load_week_limits
from orders.retention import is_retention_risk, load_occasions, pending_retention
from orders.scope import CustomerScope
from orders.settings import Settings
from orders.summary import META_KEY
from orders.tickets import customer_open_tickets, phrase_due
from scripts_lib.context import Callback, CallContext, Holiday, OpenTicket, ShortBrand, Words, time_of_day
from scripts_lib.loader import ScriptLibrary
from scripts_lib.model import Lang, Script
from scripts_lib.render import RenderedStep, flags, render

REGULAR = "regular"
CALLBACK = "callback"
COMPLAINT = "complaint"
RETENTION = "retention"
NEW_PRODUCT = "new_product"

HOLIDAY_LEAD = timedelta(days=21)  # shops stock up for a holiday in the three weeks before it
USUAL_WEEKS = 12  # "the shop's brands": what it ordered in this many weeks
SUPPLY_LOW_SHARE = 0.2  # a supply limit is short when at most this share of the week's supply is left
SUPPLY_PLENTY_SHARE = 0.5
SHORT_LIMIT = 8
PLENTIFUL_LIMIT = 3
NEW_LIMIT = 5


class ScriptContextError(ValueError):
    """Bad input: unknown customer or operator. The message is one sentence for the user."""


def holidays(year: int) -> list[Holiday]:
    """The year's holidays a call mentions, in date order (lunar ones only for the years tabulated)."""
    return [Holiday(Words(f.zh, f.en), f.on) for f in festivals(year)]


def upcoming_holiday(day: date, lead: timedelta = HOLIDAY_LEAD) -> Holiday | None:
    """The first holiday after `day` and within `lead` of it; None on the holiday itself or when none is near."""
    for holiday in holidays(day.year) + holidays(day.year + 1):
        if day < holiday.on <= day + lead:
            return holiday
    return None


@dataclass(frozen=True)
class _Shop:
    id: int
    code: str
    name: str
    tier: int
    order_weekday: int
    owner: str | None
    operator: str | None


def _shop(conn: Connection, code: str) -> _Shop:
    c = CUSTOMER.c
    row = conn.execute(
        select(c.id, c.code, c.name, c.tier, c.order_weekday, c.owner, c.operator).where(c.code == code)
    ).first()
    if row is None:
        raise ScriptContextError(f"unknown customer '{code}'")
    return _Shop(int(row[0]), row[1], row[2], int(row[3]), int(row[4]), row[5], row[6])


def _operator_name(conn: Connection, login: str | None, *, explicit: bool) -> str | None:
    """The order taker's name for the greeting: the login given, else the shop's usual order taker."""
    if not login:
        return None
    name = conn.execute(select(col(User.name)).where(col(User.login) == login)).scalar()
    if name is None and explicit:
        raise ScriptContextError(f"unknown user '{login}'")
    return str(name) if name else None


def _demo_company(conn: Connection) -> str | None:
    raw = conn.execute(select(col(AppMeta.value)).where(col(AppMeta.key) == META_KEY)).scalar()
    if raw is None:
        return None
    try:
        company = json.loads(raw).get("company")
    except (ValueError, AttributeError):
        return None
    return company if isinstance(company, str) and company.strip() else None


def _usual_volume(conn: Connection, customer_id: int, day: date) -> dict[int, int]:
    """Cartons of each product the shop ordered in the last `USUAL_WEEKS` weeks: its brands, most sold first."""
    h = HISTORY.c
    since = week_of(day) - timedelta(weeks=USUAL_WEEKS)
    rows = conn.execute(
        select(h.product_id, func.sum(h.qty))
        .where(h.customer_id == customer_id, h.order_date >= since, h.order_date < day)
        .group_by(h.product_id)
    )
    return {int(pid): int(qty) for pid, qty in rows}


def _products(conn: Connection, ids: Collection[int]) -> dict[int, tuple[str, str, str]]:
    """id -> (code, name, status) for the given products."""
    if not ids:
        return {}
    p = PRODUCT.c
    rows = conn.execute(select(p.id, p.code, p.name, p.status).where(p.id.in_(sorted(ids))))
    return {int(r[0]): (r[1], r[2], r[3]) for r in rows}


def _supply_news(
    conn: Connection, limits: WeekLimits, shop: _Shop, usual: dict[int, int]
) -> tuple[list[ShortBrand], list[str]]:
    """The shop's tight brands this week (with why: its quota, or little supply left) and plentiful ones.

    Tight: a quota rule covers this shop, or a supply limit has at most a fifth left. Plentiful: a supply
    limit with half or more left and no quota for the shop, then the shop's own brands that nothing limits.
    Only the shop's own brands (ordered in the last `USUAL_WEEKS` weeks) are named, best sellers first: a
    list of brands the shop never sells wastes the owner's time. A shop with no history hears every one.
    """
    limited = set(limits.quota_rows) | set(limits.supply_total)
    names = _products(conn, limited | set(usual))

    def rank(pid: int) -> tuple[int, str]:
        return (-usual.get(pid, 0), names[pid][0])

    short: list[ShortBrand] = []
    plentiful: list[int] = []
    relevant = [p for p in limited if p in names and names[p][2] == "active" and (p in usual or not usual)]
    for pid in sorted(relevant, key=rank):
        quota = limits.quota(shop.id, shop.tier, pid)
        total = limits.supply_total.get(pid)
        left = limits.supply_left(pid)
        if quota is not None:
            short.append(
                ShortBrand(names[pid][1], "quota", quota=quota, left=limits.quota_left(shop.id, shop.tier, pid))
            )
        elif total is not None and left is not None and left <= total * SUPPLY_LOW_SHARE:
            short.append(ShortBrand(names[pid][1], "supply", left=left))
        elif total is not None and left is not None and left >= total * SUPPLY_PLENTY_SHARE:
            plentiful.append(pid)
    for pid in sorted(usual, key=rank):
        if pid not in limited and pid in names and names[pid][2] == "active" and pid not in plentiful:
            plentiful.append(pid)
    return short[:SHORT_LIMIT], [names[pid][1] for pid in plentiful[:PLENTIFUL_LIMIT]]


def _new_products(conn: Connection, customer_id: int, day: date, weeks: int) -> list[str]:
    """Products launched in the last `weeks` weeks that the shop has not ordered yet, newest first."""
    p = PRODUCT.c
    rows = conn.execute(
        select(p.id, p.name)
        .where(
            p.launched_on.is_not(None),
            p.launched_on <= day,
            p.launched_on > day - timedelta(weeks=weeks),
            p.status == "active",
        )
        .order_by(p.launched_on.desc(), p.code)
    ).all()
    if not rows:
        return []
    ids = [int(r[0]) for r in rows]
    h, o, ol = HISTORY.c, ORDER.c, ORDER_LINE.c
    tried = {
        int(v)
        for v in conn.execute(
            select(h.product_id).where(h.customer_id == customer_id, h.product_id.in_(ids)).distinct()
        ).scalars()
    }
    tried |= {
        int(v)
        for v in conn.execute(
            select(ol.product_id)
            .join(ORDER, o.id == ol.order_id)
            .where(o.customer_id == customer_id, o.status == "placed", ol.product_id.in_(ids))
            .distinct()
        ).scalars()
    }
    return [r[1] for r in rows if int(r[0]) not in tried][:NEW_LIMIT]


def _retention_risk(conn: Connection, customer_id: int, day: date, settings: Settings) -> bool:
    """The call queue's retention flag for this shop, counted and decided by the same code, so a shop the
    queue flags (and the lead sees on the retention list) gets the retention script."""
    occasions = load_occasions(conn, CustomerScope.one(customer_id), [customer_id], day, settings.zone)
    occ = occasions[customer_id]
    return is_retention_risk(occ.recent, occ.earlier)


def retention_planned(conn: Connection, customer_id: int, day: date, settings: Settings) -> bool:
    """Whether a shift lead planned a retention call to the shop for `day` that is not made yet: the lead saw
    the shop drifting (perhaps in volume, which `is_retention_risk` does not look at), so the call is the
    retention call whatever the order count says."""
    start, end = day_bounds(day, settings.zone)
    found = conn.execute(
        select(col(PlannedCall.id))
        .where(col(PlannedCall.customer_id) == customer_id, pending_retention(start), col(PlannedCall.due_at) < end)
        .limit(1)
    ).first()
    return found is not None


def _callback(
    conn: Connection, customer_id: int, at: datetime, settings: Settings
) -> tuple[Callback | None, datetime | None]:
    """Why this call is a callback, and the time promised: the shop asked for it, or our last call was not
    answered and its retry is due. The last finished call decides, the same call the queue lists the shop
    for (a lead's complaint call-back, `replied`, is no part of the order day and is skipped), so a callback
    carried over from an earlier day of the week still opens the callback script."""
    row = conn.execute(
        select(col(Call.outcome), col(Call.started_at), col(Call.callback_at))
        .where(
            col(Call.customer_id) == customer_id,
            col(Call.started_at) <= at,
            col(Call.started_at) >= at - timedelta(days=7),
            col(Call.outcome).is_not(None),
            col(Call.outcome).not_in(OUTSIDE_ORDER_DAY),
        )
        .order_by(col(Call.started_at).desc(), col(Call.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return None, None
    outcome, started, callback_at = row
    if outcome == "callback_requested":
        return "requested", callback_at
    same_day = started.astimezone(settings.zone).date() == at.astimezone(settings.zone).date()
    week_start, _ = day_bounds(week_of(at.astimezone(settings.zone).date()), settings.zone)
    carried = callback_at is not None and week_start <= callback_at <= at  # a retry missed earlier this week
    if outcome in RETRY_OUTCOMES and (same_day or carried):
        return "missed", callback_at
    return None, None


def _appointment(moment: datetime, at: datetime, settings: Settings) -> Words:
    """「今天15:30」 / "today at 15:30": the time the owner agreed to, said as they would say it."""
    local = moment.astimezone(settings.zone)
    day = local.date()
    today = at.astimezone(settings.zone).date()
    if day == today:
        return Words(f"今天{local:%H:%M}", f"today at {local:%H:%M}")
    if day == today - timedelta(days=1):
        return Words(f"昨天{local:%H:%M}", f"yesterday at {local:%H:%M}")
    if day == today + timedelta(days=1):
        return Words(f"明天{local:%H:%M}", f"tomorrow at {local:%H:%M}")
    return Words(
        f"{weekday_name(day.isoweekday(), 'zh')}{local:%H:%M}",
        f"on {weekday_name(day.isoweekday(), 'en')} at {local:%H:%M}",
    )


def _tickets(engine: Engine, code: str, at: datetime, settings: Settings) -> tuple[OpenTicket, ...]:
    zone = settings.zone
    return tuple(
        OpenTicket(
            category=t.category,
            due=Words(phrase_due(t.due_at, zone, at=at, lang="zh"), phrase_due(t.due_at, zone, at=at, lang="en")),
            overdue=t.overdue,
        )
        for t in customer_open_tickets(engine, code, at=at)
    )


def next_order_day(order_weekday: int, day: date) -> date:
    """The shop's next order day after `day` (a week on, when `day` is the order day)."""
    return day + timedelta(days=(order_weekday - day.isoweekday()) % 7 or 7)


def build_context(
    engine: Engine,
    customer_code: str,
    *,
    settings: Settings,
    at: datetime | None = None,
    operator: str | None = None,
    lang: Lang | None = None,
) -> CallContext:
    """The context for a call to `customer_code` at `at` (default now), by `operator` (a login; default the
    shop's usual order taker). Raises ScriptContextError for an unknown customer or operator."""
    at = at or now()
    local = at.astimezone(settings.zone)
    day = local.date()
    week = week_of(day)
    with engine.connect() as conn:
        shop = _shop(conn, customer_code)
        operator_name = _operator_name(conn, operator or shop.operator, explicit=operator is not None)
        company = settings.company_name or _demo_company(conn)
        usual = _usual_volume(conn, shop.id, day)
        short, plentiful = _supply_news(conn, load_week_limits(conn, week, [shop.id]), shop, usual)
        new = _new_products(conn, shop.id, day, settings.new_product_weeks)
        falling = _retention_risk(conn, shop.id, day, settings) or retention_planned(conn, shop.id, day, settings)
        callback, promised = _callback(conn, shop.id, at, settings)
    return CallContext(
        customer=shop.name,
        shop_code=shop.code,
        owner=shop.owner,
        operator=operator_name,
        company=company,
        today=day,
        time_of_day=time_of_day(local.hour),
        holiday=upcoming_holiday(day),
        tickets=_tickets(engine, customer_code, at, settings),
        short_brands=tuple(short),
        plentiful_brands=tuple(plentiful),
        new_products=tuple(new),
        retention=falling,
        next_order_day=next_order_day(shop.order_weekday, day),
        callback=callback,
        callback_time=_appointment(promised, at, settings) if callback == "requested" and promised else None,
        lang=lang or settings.lang,
    )


def choose_script(context: CallContext, *, inbound: bool = False, available: Collection[str] | None = None) -> str:
    """Which script fits the call: a complaint on the hotline, a callback, a shop whose orders are falling,
    new products the shop has not tried, else the regular weekly call (also when the fitting one is missing)."""
    if inbound:
        name = COMPLAINT
    elif context.callback is not None:
        name = CALLBACK
    elif context.retention:
        name = RETENTION
    elif context.new_products:
        name = NEW_PRODUCT
    else:
        name = REGULAR
    return name if available is None or name in available else REGULAR


@dataclass(frozen=True)
class PreparedScript:
    """A script as it reads for one call: what the call screen shows and `telesales script render` prints."""

    name: str
    script: Script
    context: CallContext
    steps: list[RenderedStep]
    lang: Lang

    def as_json(self) -> dict[str, Any]:
        return {
            "customer": self.context.shop_code,
            "name": self.context.customer,
            "script": self.name,
            "title": self.script.title.either(self.lang),
            "lang": self.lang,
            "date": self.context.today.isoformat() if self.context.today else None,
            "flags": sorted(k for k, v in flags(self.context).items() if v),
            "steps": [s.as_json() for s in self.steps],
        }


def prepare_script(
    engine: Engine,
    library: ScriptLibrary,
    customer_code: str,
    *,
    settings: Settings,
    at: datetime | None = None,
    operator: str | None = None,
    script: str | None = None,
    inbound: bool = False,
    lang: Lang | None = None,
) -> PreparedScript:
    """Build the context, choose the script (or take the one named) and render it.

    Raises ScriptContextError for an unknown customer or operator and `UnknownScript` for an unknown name.
    """
    context = build_context(engine, customer_code, settings=settings, at=at, operator=operator, lang=lang)
    name = script or choose_script(context, inbound=inbound, available=library.names())
    chosen = library.get(name)
    return PreparedScript(name, chosen, context, render(chosen, context, context.lang), context.lang)
