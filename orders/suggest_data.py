"""What the suggestion core needs, read from the database in a handful of bulk queries.

A whole day's customers cost the same number of queries as one: their histories in one query, their placed
orders in one, the week's quotas and supply in four, what similar shops buy in one, and every week's total
for the seasonal index in one. The per-customer work is then pure Python (`orders/suggest.py`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Connection, Engine, and_, func, select

from db.tables import CUSTOMER, HISTORY, ORDER, ORDER_LINE, PRODUCT, QUOTA
from orders.calendar import spring_festival
from orders.clock import today, week_of
from orders.quotas import WeekLimits, load_week_limits
from orders.settings import Settings
from orders.suggest import (
    HISTORY_WEEKS,
    Item,
    Lang,
    Season,
    ShopHistory,
    Suggestion,
    suggest,
    tier_band,
)

PEER_WEEKS = 8  # "what similar shops buy" looks this many weeks back
SEASON_WEEKS = 62  # a year and the weeks around last year's same week


class UnknownCustomer(LookupError):
    """A customer code that is not in the database; the message names it."""


@dataclass
class Customer:
    id: int
    code: str
    name: str
    tier: int
    district: str | None
    order_weekday: int
    active: bool


@dataclass
class SuggestInputs:
    """Everything the core needs for one week's suggestions to a set of customers."""

    week: date
    catalog: dict[int, Item]
    customers: list[Customer]
    histories: dict[int, ShopHistory]
    limits: WeekLimits
    season: Season
    peers: dict[tuple[str | None, int], dict[int, int]] = field(default_factory=dict)

    def order_day(self, customer: Customer) -> date:
        return self.week + timedelta(days=customer.order_weekday - 1)


def load_catalog_items(conn: Connection) -> dict[int, Item]:
    cols = (PRODUCT.c.id, PRODUCT.c.code, PRODUCT.c.name, PRODUCT.c.price_fen, PRODUCT.c.price_band)
    rows = conn.execute(select(*cols, PRODUCT.c.status, PRODUCT.c.launched_on)).all()
    return {
        int(r.id): Item(int(r.id), r.code, r.name, int(r.price_fen), r.price_band, r.status == "active", r.launched_on)
        for r in rows
    }


def _customers(conn: Connection, codes: Sequence[str] | None, weekday: int | None) -> list[Customer]:
    cols = (CUSTOMER.c.id, CUSTOMER.c.code, CUSTOMER.c.name, CUSTOMER.c.tier, CUSTOMER.c.district)
    q = select(*cols, CUSTOMER.c.order_weekday, CUSTOMER.c.active).order_by(CUSTOMER.c.code)
    if codes is not None:
        q = q.where(CUSTOMER.c.code.in_(list(codes)))
    else:
        q = q.where(CUSTOMER.c.active.is_(True))
        if weekday is not None:
            q = q.where(CUSTOMER.c.order_weekday == weekday)
    found = [
        Customer(int(r.id), r.code, r.name, int(r.tier), r.district, int(r.order_weekday), bool(r.active))
        for r in conn.execute(q)
    ]
    if codes is not None:
        known = {c.code for c in found}
        missing = [c for c in codes if c not in known]
        if missing:
            raise UnknownCustomer(f"no customer with code '{missing[0]}'")
    return found


def _histories(conn: Connection, customers: list[Customer], week: date, everyone: bool) -> dict[int, ShopHistory]:
    """ERP history and orders placed in this tool, per shop as cartons per product per week."""
    shops = {c.id: ShopHistory(c.id, c.code, c.tier, c.district) for c in customers}
    start = week - timedelta(weeks=HISTORY_WEEKS + 1)
    end = week + timedelta(days=7)
    hq = select(HISTORY.c.customer_id, HISTORY.c.order_date, HISTORY.c.product_id, HISTORY.c.qty).where(
        and_(HISTORY.c.order_date >= start, HISTORY.c.order_date < end)
    )
    if not everyone:
        hq = hq.where(HISTORY.c.customer_id.in_(list(shops)))
    for cid, day, product, qty in conn.execute(hq):
        shop = shops.get(cid)
        if shop is not None:
            _add(shop, week, week_of(day), int(product), int(qty))
            shop.days.setdefault(week_of(day), day)
    oq = (
        select(ORDER.c.customer_id, ORDER.c.week, ORDER_LINE.c.product_id, ORDER_LINE.c.qty)
        .join(ORDER_LINE, ORDER_LINE.c.order_id == ORDER.c.id)
        .where(and_(ORDER.c.status == "placed", ORDER.c.week >= start, ORDER.c.week < end))
    )
    if not everyone:
        oq = oq.where(ORDER.c.customer_id.in_(list(shops)))
    for cid, order_week, product, qty in conn.execute(oq):
        shop = shops.get(cid)
        if shop is not None:
            _add(shop, week, order_week, int(product), int(qty))
    return shops


def quota_caps(conn: Connection, start: date, end: date) -> dict[int, dict[date, dict[int, int]]]:
    """Per tier, the tier-rule quota of each product in each week from `start` to `end`: what capped the
    orders of those weeks, so an order at its quota reads as "wanted at least this much". Customer overrides
    are left out (a few key shops; their orders then read as uncapped)."""
    caps: dict[int, dict[date, dict[int, int]]] = {}
    rows = conn.execute(
        select(QUOTA.c.week, QUOTA.c.product_id, QUOTA.c.tier_from, QUOTA.c.tier_to, QUOTA.c.max_qty).where(
            and_(QUOTA.c.week >= start, QUOTA.c.week < end, QUOTA.c.customer_id.is_(None))
        )
    )
    for week, product, tier_from, tier_to, max_qty in rows:
        for tier in range(max(1, int(tier_from)), min(30, int(tier_to)) + 1):
            by_product = caps.setdefault(tier, {}).setdefault(week, {})
            product_id = int(product)
            by_product[product_id] = min(by_product.get(product_id, int(max_qty)), int(max_qty))
    return caps


def _add(shop: ShopHistory, week: date, order_week: date, product: int, qty: int) -> None:
    if order_week == week:
        shop.this_week[product] = shop.this_week.get(product, 0) + qty
    elif order_week < week:
        lines = shop.weeks.setdefault(order_week, {})
        lines[product] = lines.get(product, 0) + qty


def load_season(conn: Connection, week: date) -> Season:
    """All shops' cartons and ordering shops per order day over the last year and a bit, for the festival
    index: one scan of the history, the same for every shop of the week (load it once: `season_for`)."""
    start = week - timedelta(weeks=SEASON_WEEKS)
    totals: dict[date, int] = {}
    orders: dict[date, int] = {}
    q = (
        select(HISTORY.c.order_date, func.sum(HISTORY.c.qty), func.count(func.distinct(HISTORY.c.customer_id)))
        .where(and_(HISTORY.c.order_date >= start, HISTORY.c.order_date < week))
        .group_by(HISTORY.c.order_date)
    )
    for day, qty, shops in conn.execute(q):
        totals[day] = int(qty or 0)
        orders[day] = int(shops or 0)
    festivals = {y: spring_festival(y) for y in range(week.year - 2, week.year + 2)}
    return Season(totals=totals, festivals=festivals, orders=orders)


_SEASONS: dict[tuple[str, date], Season] = {}


def season_for(conn: Connection, week: date) -> Season:
    """The week's festival index, computed once per database and week in this process and then shared (the
    call screen opens call after call; the history behind it only grows at the week's end)."""
    key = (conn.engine.url.render_as_string(hide_password=True), week)
    found = _SEASONS.get(key)
    if found is None:
        found = _SEASONS[key] = load_season(conn, week)
    return found


def load_peers(conn: Connection, customers: list[Customer], week: date) -> dict[tuple[str | None, int], dict[int, int]]:
    """How many shops of each district and tier band ordered each product lately: the substitute that shops
    like this one already sell is the one most likely to sell here too."""
    districts = {c.district for c in customers if c.district is not None}
    if not districts:
        return {}
    start = week - timedelta(weeks=PEER_WEEKS)
    bands = {tier_band(c.tier) for c in customers}
    q = (
        select(
            CUSTOMER.c.district, CUSTOMER.c.tier, HISTORY.c.product_id, func.count(func.distinct(HISTORY.c.customer_id))
        )
        .join(CUSTOMER, CUSTOMER.c.id == HISTORY.c.customer_id)
        .where(and_(HISTORY.c.order_date >= start, HISTORY.c.order_date < week, CUSTOMER.c.district.in_(districts)))
        .group_by(CUSTOMER.c.district, CUSTOMER.c.tier, HISTORY.c.product_id)
    )
    if len(bands) == 1:  # one shop (a call being opened): only its own tier band counts
        band = next(iter(bands))
        q = q.where(CUSTOMER.c.tier.between(band * 5 + 1, band * 5 + 5))
    peers: dict[tuple[str | None, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for district, tier, product, shops in conn.execute(q):
        peers[(district, tier_band(int(tier)))][int(product)] += int(shops)
    return {k: dict(v) for k, v in peers.items()}


def load_inputs(
    conn: Connection,
    week: date,
    *,
    codes: Sequence[str] | None = None,
    weekday: int | None = None,
    season: Season | None = None,
) -> SuggestInputs:
    """The inputs for `codes` (every active customer when None, or those whose order day is `weekday`).

    `season` is the same for every customer of a week and costs a scan of the whole history: a screen that
    opens call after call passes the one it loaded once.
    """
    customers = _customers(conn, codes, weekday)
    everyone = codes is None and weekday is None
    histories = _histories(conn, customers, week, everyone)
    caps = quota_caps(conn, week - timedelta(weeks=HISTORY_WEEKS + 1), week)
    for shop in histories.values():
        shop.caps = caps.get(shop.tier, {})
    return SuggestInputs(
        week=week,
        catalog=load_catalog_items(conn),
        customers=customers,
        histories=histories,
        limits=load_week_limits(conn, week, None if everyone or len(customers) > 500 else [c.id for c in customers]),
        season=season if season is not None else season_for(conn, week),
        peers=load_peers(conn, customers, week),
    )


def suggest_all(inputs: SuggestInputs, settings: Settings, lang: Lang = "zh") -> list[Suggestion]:
    return [
        suggest(
            inputs.histories[c.id],
            inputs.week,
            inputs.catalog,
            limits=inputs.limits,
            season=inputs.season,
            peers=inputs.peers,
            order_day=inputs.order_day(c),
            new_product_weeks=settings.new_product_weeks,
            lang=lang,
        )
        for c in inputs.customers
    ]


def suggestions(
    engine: Engine,
    settings: Settings,
    *,
    codes: Sequence[str] | None = None,
    week: date | None = None,
    weekday: int | None = None,
    lang: Lang = "zh",
) -> list[Suggestion]:
    """Suggestions for the week containing `week` (default: this week), for `codes` or every active customer."""
    monday = week_of(week or today(settings.zone))
    with engine.connect() as conn:
        inputs = load_inputs(conn, monday, codes=codes, weekday=weekday)
    return suggest_all(inputs, settings, lang)
