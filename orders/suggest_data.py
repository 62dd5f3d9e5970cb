"""What the suggestion core needs, read from the database in a handful of bulk queries.

A whole day's customers cost the same number of queries as one: their histories in one query, their placed
orders in one, the week's quotas and supply in four, what similar shops buy in one, and every week's total
for the seasonal index in one. The per-customer work is then pure Python (`orders/suggest.py`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Connection, Engine, String, and_, cast, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from db.tables import APP_META, CUSTOMER, HISTORY, ORDER, ORDER_LINE, PRODUCT, QUOTA
from orders.calendar import spring_festival
from orders.clock import today, week_of
from orders.quotas import WeekLimits, load_week_limits
from orders.settings import Settings
from orders.suggest import (
    WINDOW_WEEKS,
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
    start = week - timedelta(weeks=WINDOW_WEEKS + 1)
    end = week + timedelta(days=7)
    # the day as text: parsed once per distinct day below instead of once per row by the driver layer
    day_text = cast(HISTORY.c.order_date, String)
    hq = select(HISTORY.c.customer_id, day_text, HISTORY.c.product_id, HISTORY.c.qty).where(
        and_(HISTORY.c.order_date >= start, HISTORY.c.order_date < end)
    )
    if not everyone:
        hq = hq.where(HISTORY.c.customer_id.in_(list(shops)))
    # in the unique index's order, so that a shop's lines of one day come together and are filed at once
    hq = hq.order_by(HISTORY.c.customer_id, HISTORY.c.order_date)
    days: dict[str, tuple[date, date]] = {}  # a few hundred distinct days among hundreds of thousands of rows
    current: tuple[int, str] | None = None
    lines: dict[int, int] | None = None
    for rows in conn.execute(hq).partitions(20_000):
        for cid, text, product, qty in rows:
            if (cid, text) != current:
                current = (cid, text)
                shop = shops.get(cid)
                lines = None
                if shop is None:
                    continue
                known = days.get(text)
                if known is None:
                    parsed = date.fromisoformat(str(text)[:10])
                    known = days[text] = (parsed, week_of(parsed))
                day, order_week = known
                if order_week < week:
                    lines = shop.weeks.get(order_week)
                    if lines is None:
                        lines = shop.weeks[order_week] = {}
                        shop.days[order_week] = day
                elif order_week == week:
                    lines = shop.this_week
            if lines is not None:
                lines[product] = lines.get(product, 0) + qty
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


def quota_caps(
    conn: Connection, start: date, end: date, tiers: Collection[int] | None = None
) -> dict[int, dict[date, dict[int, int]]]:
    """Per tier, the tier-rule quota of each product in each week from `start` to `end`: what capped the
    orders of those weeks, so an order at its quota reads as "wanted at least this much". Customer overrides
    are left out (a few key shops; their orders then read as uncapped)."""
    caps: dict[int, dict[date, dict[int, int]]] = {}
    rows = select(QUOTA.c.week, QUOTA.c.product_id, QUOTA.c.tier_from, QUOTA.c.tier_to, QUOTA.c.max_qty).where(
        and_(QUOTA.c.week >= start, QUOTA.c.week < end, QUOTA.c.customer_id.is_(None))
    )
    if tiers:  # one shop's call reads its own tier's rows, not the whole table
        rows = rows.where(and_(QUOTA.c.tier_from <= max(tiers), QUOTA.c.tier_to >= min(tiers)))
    for week, product, tier_from, tier_to, max_qty in conn.execute(rows):
        for tier in range(max(1, int(tier_from)), min(30, int(tier_to)) + 1):
            if tiers is not None and tier not in tiers:
                continue
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
    """All shops' cartons and order lines per order day over the last year and a bit, for the festival index
    (cartons per line: how much of each product a shop took that day): one scan of the history, the same for
    every shop of the week, so it is computed once and cached (`daily_index`)."""
    start = week - timedelta(weeks=SEASON_WEEKS)
    totals: dict[date, int] = {}
    lines: dict[date, int] = {}
    q = (
        select(HISTORY.c.order_date, func.sum(HISTORY.c.qty), func.count())
        .where(and_(HISTORY.c.order_date >= start, HISTORY.c.order_date < week))
        .group_by(HISTORY.c.order_date)
    )
    for day, qty, count in conn.execute(q):
        totals[day] = int(qty or 0)
        lines[day] = int(count or 0)
    festivals = {y: spring_festival(y) for y in range(week.year - 2, week.year + 2)}
    return Season(totals=totals, festivals=festivals, orders=lines)


INDEX_KEY = "suggest_index"  # the app_meta row that keeps the week's festival index and what shops buy


@dataclass
class DailyIndex:
    """What every suggestion of a week shares and no single shop's query should pay for: the festival index
    (a scan of a year of history) and what the shops of each district and tier band buy. Computed once, kept
    in `app_meta` (so the next process, a `suggest --all` or another terminal, reads it in one query) and in
    this process, and recomputed when the week or the history changes."""

    season: Season
    peers: dict[tuple[str | None, int], dict[int, int]]


_INDEXES: dict[tuple[str, str], DailyIndex] = {}


def _stamp(conn: Connection, week: date) -> str:
    """Changes when the week, the history or the customers change: the cached index is then stale."""
    history = select(func.max(HISTORY.c.id)).scalar_subquery()
    last_customer = select(func.max(CUSTOMER.c.id)).scalar_subquery()
    customers = select(func.count()).select_from(CUSTOMER).scalar_subquery()
    found = conn.execute(select(history, last_customer, customers)).one()
    return f"{week.isoformat()}/{found[0]}/{found[1]}/{found[2]}"


def _index_json(index: DailyIndex, stamp: str) -> str:
    return json.dumps(
        {
            "stamp": stamp,
            "totals": {d.isoformat(): v for d, v in index.season.totals.items()},
            "lines": {d.isoformat(): v for d, v in index.season.orders.items()},
            "festivals": {str(y): d.isoformat() for y, d in index.season.festivals.items()},
            "peers": [
                [district, band, {str(p): n for p, n in products.items()}]
                for (district, band), products in index.peers.items()
            ],
        },
        ensure_ascii=False,
    )


def _index_from_json(raw: str, stamp: str) -> DailyIndex | None:
    try:
        data = json.loads(raw)
        if data.get("stamp") != stamp:
            return None
        season = Season(
            totals={date.fromisoformat(d): int(v) for d, v in data["totals"].items()},
            festivals={int(y): date.fromisoformat(d) for y, d in data["festivals"].items()},
            orders={date.fromisoformat(d): int(v) for d, v in data["lines"].items()},
        )
        peers = {(d, int(b)): {int(p): int(n) for p, n in products.items()} for d, b, products in data["peers"]}
        return DailyIndex(season, peers)
    except (ValueError, KeyError, TypeError):
        return None


def daily_index(engine: Engine, week: date) -> DailyIndex:
    """The week's shared index: from this process's memory, else from `app_meta`, else computed and saved
    there (a database that cannot be written to, or is busy, just computes it again next time)."""
    url = engine.url.render_as_string(hide_password=True)
    with engine.connect() as conn:
        stamp = _stamp(conn, week)
        found = _INDEXES.get((url, stamp))
        if found is not None:
            return found
        raw = conn.execute(select(APP_META.c.value).where(APP_META.c.key == INDEX_KEY)).scalar()
        found = _index_from_json(raw, stamp) if raw else None
        if found is None:
            everyone = _customers(conn, None, None)
            found = DailyIndex(load_season(conn, week), load_peers(conn, everyone, week))
            fresh = True
        else:
            fresh = False
    if fresh:
        try:
            with engine.begin() as conn:
                conn.execute(delete(APP_META).where(APP_META.c.key == INDEX_KEY))
                conn.execute(insert(APP_META).values(key=INDEX_KEY, value=_index_json(found, stamp)))
        except SQLAlchemyError:
            pass  # read-only or busy: the index still serves this process
    _INDEXES.clear()  # one week's index at a time per process
    _INDEXES[(url, stamp)] = found
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
    peers: dict[tuple[str | None, int], dict[int, int]] | None = None,
) -> SuggestInputs:
    """The inputs for `codes` (every active customer when None, or those whose order day is `weekday`).

    `season` and `peers` are the same for every customer of a week and cost scans of the history: callers
    pass the week's `daily_index` (one query when cached) instead of letting each call compute them.
    """
    customers = _customers(conn, codes, weekday)
    everyone = codes is None and weekday is None
    histories = _histories(conn, customers, week, everyone)
    caps = quota_caps(conn, week - timedelta(weeks=WINDOW_WEEKS + 1), week, {c.tier for c in customers})
    for shop in histories.values():
        shop.caps = caps.get(shop.tier, {})
    return SuggestInputs(
        week=week,
        catalog=load_catalog_items(conn),
        customers=customers,
        histories=histories,
        limits=load_week_limits(conn, week, None if everyone or len(customers) > 500 else [c.id for c in customers]),
        season=season if season is not None else load_season(conn, week),
        peers=peers if peers is not None else load_peers(conn, customers, week),
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
    if codes is not None:  # an unknown code is refused before the week's index is computed and kept
        with engine.connect() as conn:
            _customers(conn, codes, None)
    index = daily_index(engine, monday)
    with engine.connect() as conn:
        inputs = load_inputs(conn, monday, codes=codes, weekday=weekday, season=index.season, peers=index.peers)
    return suggest_all(inputs, settings, lang)
