"""Everything the call screen shows about one customer, read in one go when a call opens.

The screen paints at once and fills this in from a worker; keeping the reads here means the TUI holds no
query, and the same view can be checked in a test without a screen. The season (a scan of the whole
history, the same for every customer of a week) is passed in by a caller that opens call after call.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, and_, select
from sqlmodel import col

from db.models import Call
from db.tables import CUSTOMER, HISTORY, ORDER, ORDER_LINE
from orders.clock import now, today, week_of
from orders.drafts import DraftLine
from orders.quotas import WeekLimits, load_week_limits
from orders.readback import Flag, line_flags
from orders.settings import Settings
from orders.suggest import Item, Season, Suggestion, suggest, usual_quantities
from orders.suggest_data import UnknownCustomer, daily_index, load_inputs
from orders.tickets import TicketRow, customer_open_tickets

RECENT_ORDERS = 3
RECENT_NOTES = 3


@dataclass(frozen=True)
class CallNote:
    """What an order taker wrote about an earlier call (why the shop refused, what was promised)."""

    at: datetime
    operator: str
    outcome: str | None
    text: str


@dataclass(frozen=True)
class PastOrder:
    day: date
    lines: tuple[tuple[str, int], ...]  # (product name, cartons)

    @property
    def cartons(self) -> int:
        return sum(q for _n, q in self.lines)


@dataclass
class CustomerCard:
    code: str
    name: str
    owner: str | None
    phone: str | None
    tier: int
    district: str | None
    order_weekday: int
    notes: str
    key_customer: bool
    recent: list[PastOrder] = field(default_factory=list)
    tickets: list[TicketRow] = field(default_factory=list)
    call_notes: list[CallNote] = field(default_factory=list)  # the last calls' notes, newest first


def card_from_row(row: Any, settings: Settings, recent: list[PastOrder]) -> CustomerCard:
    """The card from a customer row (the call screen's and the ticket detail's), so both call the same shops
    key customers."""
    return CustomerCard(
        code=row.code,
        name=row.name,
        owner=row.owner,
        phone=row.phone,
        tier=int(row.tier),
        district=row.district,
        order_weekday=int(row.order_weekday),
        notes=row.notes or "",
        key_customer=int(row.tier) >= settings.key_customer_tier,
        recent=recent,
    )


@dataclass
class CallView:
    """What the call screen needs: the card, the suggestion, and what each product may still be ordered."""

    card: CustomerCard
    customer_id: int
    week: date
    suggestion: Suggestion
    limits: WeekLimits
    items: dict[str, Item]  # by product code
    usual: dict[str, int]  # product code -> typical cartons when the shop orders it
    short: list[str]  # names of products limited this week that this shop buys
    new_products: list[str]

    def remaining(self, code: str) -> tuple[int | None, int | None]:
        """(quota left for this shop, supply left over all shops) for a product; None means no limit."""
        item = self.items.get(code)
        if item is None:
            return None, None
        return (
            self.limits.quota_left(self.customer_id, self.card.tier, item.id),
            self.limits.supply_left(item.id),
        )

    def flags(self, line: DraftLine, lang: Literal["zh", "en"]) -> list[Flag]:
        quota_left, supply_left = self.remaining(line.code)
        return line_flags(
            line, usual=self.usual.get(line.code), quota_left=quota_left, supply_left=supply_left, lang=lang
        )


def call_notes(conn: Connection, customer_id: int, limit: int = RECENT_NOTES) -> list[CallNote]:
    """The notes of the shop's last recorded calls, newest first: the next order taker reads what was promised."""
    rows = conn.execute(
        select(col(Call.ended_at), col(Call.started_at), col(Call.operator), col(Call.outcome), col(Call.note))
        .where(col(Call.customer_id) == customer_id, col(Call.note) != "")
        .order_by(col(Call.started_at).desc(), col(Call.id).desc())
        .limit(limit)
    )
    return [CallNote(ended or started, operator, outcome, note) for ended, started, operator, outcome, note in rows]


def load_limits(engine: Engine, week: date, customer_id: int) -> WeekLimits:
    """The week's quotas, supply and what every terminal has taken of them so far, for one shop: what the call
    screen reloads while a call is open, so "left" follows other terminals' orders."""
    with engine.connect() as conn:
        return load_week_limits(conn, week, [customer_id])


def recent_orders(engine: Engine, customer_id: int, names: dict[int, str]) -> list[PastOrder]:
    """The shop's last few orders, ERP history and orders placed here together, newest first."""
    by_day: dict[date, dict[str, int]] = {}
    with engine.connect() as conn:
        last_days = [
            d
            for (d,) in conn.execute(
                select(HISTORY.c.order_date)
                .where(HISTORY.c.customer_id == customer_id)
                .group_by(HISTORY.c.order_date)
                .order_by(HISTORY.c.order_date.desc())
                .limit(RECENT_ORDERS)
            )
        ]
        if last_days:
            for day, product, qty in conn.execute(
                select(HISTORY.c.order_date, HISTORY.c.product_id, HISTORY.c.qty).where(
                    and_(HISTORY.c.customer_id == customer_id, HISTORY.c.order_date.in_(last_days))
                )
            ):
                lines = by_day.setdefault(day, {})
                lines[names.get(product, str(product))] = lines.get(names.get(product, str(product)), 0) + qty
        for placed_at, product, qty in conn.execute(
            select(ORDER.c.placed_at, ORDER_LINE.c.product_id, ORDER_LINE.c.qty)
            .join(ORDER_LINE, ORDER_LINE.c.order_id == ORDER.c.id)
            .where(and_(ORDER.c.customer_id == customer_id, ORDER.c.status == "placed"))
            .order_by(ORDER.c.placed_at.desc())
            .limit(50)
        ):
            day = placed_at.date()
            lines = by_day.setdefault(day, {})
            lines[names.get(product, str(product))] = lines.get(names.get(product, str(product)), 0) + qty
    days = sorted(by_day, reverse=True)[:RECENT_ORDERS]
    return [PastOrder(d, tuple(sorted(by_day[d].items(), key=lambda kv: -kv[1]))) for d in days]


def load_call_view(
    engine: Engine,
    settings: Settings,
    code: str,
    *,
    season: Season | None = None,
    lang: Literal["zh", "en"] = "zh",
    card_details: bool = True,
) -> CallView:
    """Read the customer card, the suggestion for this week and the week's limits; raises UnknownCustomer.

    Without `card_details` the card has no past orders, call notes or tickets yet: the call screen shows the
    suggestion first and reads those after it (`with_card_details`)."""
    week = week_of(today(settings.zone))
    index = daily_index(engine, week)  # computed once a week and kept: a call pays one query for it
    if season is not None:
        index = replace(index, season=season)
    with engine.connect() as conn:
        row = conn.execute(select(CUSTOMER).where(CUSTOMER.c.code == code)).first()
        if row is None:
            raise UnknownCustomer(f"no customer with code '{code}'")
        inputs = load_inputs(conn, week, codes=[code], season=index.season, peers=index.peers)
    names = {pid: item.name for pid, item in inputs.catalog.items()}
    customer = inputs.customers[0]
    shop = inputs.histories[customer.id]
    made = suggest(
        shop,
        week,
        inputs.catalog,
        limits=inputs.limits,
        season=inputs.season,
        peers=inputs.peers,
        order_day=inputs.order_day(customer),
        new_product_weeks=settings.new_product_weeks,
        lang=lang,
    )
    by_id = inputs.catalog
    usual = {by_id[p].code: q for p, q in usual_quantities(shop, week).items() if p in by_id}
    bought = {p for lines in shop.weeks.values() for p in lines}
    short = sorted(by_id[p].name for p in bought if p in by_id and inputs.limits.is_limited(p) and by_id[p].active)
    view = CallView(
        card=card_from_row(row, settings, []),
        customer_id=customer.id,
        week=week,
        suggestion=made,
        limits=inputs.limits,
        items={item.code: item for item in by_id.values()},
        usual=usual,
        short=short,
        new_products=[line.name for line in made.lines if line.kind == "new"],
    )
    return replace(view, card=with_card_details(engine, view, names)) if card_details else view


def with_card_details(engine: Engine, view: CallView, names: dict[int, str] | None = None) -> CustomerCard:
    """The view's card with the shop's last orders, the last calls' notes and its open tickets: a new card,
    so a screen showing the view meanwhile never reads a half-filled one."""
    if names is None:
        names = {item.id: item.name for item in view.items.values()}
    with engine.connect() as conn:
        notes = call_notes(conn, view.customer_id)
    return replace(
        view.card,
        recent=recent_orders(engine, view.customer_id, names),
        call_notes=notes,
        tickets=customer_open_tickets(engine, view.card.code, at=now()),
    )


def call_started_at(draft_started: str) -> datetime:
    """The instant a (possibly reopened) call began, for the timer; now when the draft has none."""
    try:
        return datetime.fromisoformat(draft_started) if draft_started else now()
    except ValueError:
        return now()
