"""Brand coverage for a week (the trade's 覆盖率 and 成长率), by district or by tier band.

Coverage is the first of the company's "five rates" (domain.md): the share of retailers who ordered a brand. A
lead reads it by district and by customer tier to see where a brand is not reaching shops, and its change
against the previous week to see whether that is getting better. Definitions, for a week (Monday to Sunday)
and a group (a district, or a tier band of five: '1-5', '6-10', ... '26-30'):

- **customers**: the group's active customers, today (the ones the centre calls); inactive shops count
  nowhere, in the numerator neither, so a share never exceeds 100%.
- **ordered** / **share**: how many of them ordered the brand in the week / customers. The brand is
  `product.brand`, or the product's name when the catalog gives no brand.
- **change_pp**: this week's share minus last week's, in percentage points (same customers as denominator).
- **cartons** / **growth**: cartons of the brand the group ordered, this week and last; growth (成长率) is
  this week over last minus one, None when last week was 0 (a rate from nothing means nothing).
- A **total** row per brand (`group` None) over all active customers, those without a district included.

What counts as ordered: ERP history lines dated in the week, plus orders placed in this tool for that week
(`customer_order.week`, status `placed`) with the rule `orders.retention` uses for order occasions: a tool order
placed after the customer's last history date is new, one on or before it is already in the history (the ERP
holds every order, it only arrives later). A customer is counted once per brand and week, whichever source
shows the order.

Read set-wise: one grouped query over two weeks of history (about 70,000 lines on the large demo), one over
the active customers, and a few small ones for the tool's orders; no per-customer query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, case, func, select
from sqlmodel import col

from db.models import Customer, HistoryLine, Order, OrderLine, Product
from orders.clock import week_of
from orders.scope import chunks
from orders.settings import Settings

GroupBy = Literal["district", "tier"]
TIER_BAND = 5  # tiers 1-30 in bands of five
NO_DISTRICT = ""  # the group of customers whose district is not known


class CoverageError(ValueError):
    """Bad input (an unknown grouping); the message is one sentence for the user."""

    kind = "bad_input"


@dataclass(frozen=True)
class CoverageRow:
    """One brand in one group (or over all groups: `group` None) for the week and the week before."""

    brand: str
    group: str | None  # district (NO_DISTRICT when unknown) or tier band '1-5'; None on the brand's total row
    customers: int  # active customers in the group
    ordered: int  # of them, how many ordered the brand this week
    prev_ordered: int
    cartons: int
    prev_cartons: int

    @property
    def is_total(self) -> bool:
        return self.group is None

    @property
    def share(self) -> float:
        return self.ordered / self.customers if self.customers else 0.0

    @property
    def prev_share(self) -> float:
        return self.prev_ordered / self.customers if self.customers else 0.0

    @property
    def change_pp(self) -> float:
        """Change of the share in percentage points: 25% -> 50% is +25.0."""
        return (self.share - self.prev_share) * 100

    @property
    def growth(self) -> float | None:
        """Cartons this week over last week, minus one: 0.5 is +50%; None when last week had none."""
        return self.cartons / self.prev_cartons - 1 if self.prev_cartons else None

    def as_json(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "group": self.group,
            "customers": self.customers,
            "ordered": self.ordered,
            "share": round(self.share, 4),
            "prev_ordered": self.prev_ordered,
            "prev_share": round(self.prev_share, 4),
            "change_pp": round(self.change_pp, 2),
            "cartons": self.cartons,
            "prev_cartons": self.prev_cartons,
            "growth": round(self.growth, 4) if self.growth is not None else None,
        }


def tier_band(tier: int) -> str:
    """The band of five tiers a tier falls in: 1-5, 6-10, ... 26-30."""
    low = (tier - 1) // TIER_BAND * TIER_BAND + 1
    return f"{low}-{low + TIER_BAND - 1}"


def _group_order(label: str, by: GroupBy) -> tuple[int, str]:
    if by == "tier":
        return (int(label.split("-")[0]), label)
    return (1 if label == NO_DISTRICT else 0, label)  # the unknown district last


_Key = tuple[Any, str, int]  # (raw group value, brand, 1 this week / 0 last week)


def brand_coverage(engine: Engine, week: date, *, by: GroupBy, settings: Settings) -> list[CoverageRow]:
    """Coverage and growth of every brand ordered in `week` (any date in it) or the week before, by group.

    Rows come brand by brand, the brands most widely ordered this week first; each brand's total row first,
    then every group that has active customers (0% included: where a brand does not reach is the point).
    """
    if by not in ("district", "tier"):
        raise CoverageError(f"group coverage by 'district' or 'tier', not {by!r}")
    monday = week_of(week)
    prev = monday - timedelta(weeks=1)
    end = monday + timedelta(weeks=1)
    zone = settings.zone
    group_col: Any = col(Customer.district) if by == "district" else col(Customer.tier)
    brand = func.coalesce(func.nullif(col(Product.brand), ""), col(Product.name))
    h_date = col(HistoryLine.order_date)
    this_week = case((h_date >= monday, 1), else_=0)
    ordered: dict[_Key, int] = defaultdict(int)
    cartons: dict[_Key, int] = defaultdict(int)
    with engine.connect() as conn:
        active = {
            raw: int(n)
            for raw, n in conn.execute(
                select(group_col, func.count()).where(col(Customer.active).is_(True)).group_by(group_col)
            )
        }
        history = conn.execute(
            select(
                group_col,
                brand,
                this_week,
                func.count(func.distinct(col(HistoryLine.customer_id))),
                func.sum(col(HistoryLine.qty)),
            )
            .join(Customer, col(Customer.id) == col(HistoryLine.customer_id))
            .join(Product, col(Product.id) == col(HistoryLine.product_id))
            .where(h_date >= prev, h_date < end, col(Customer.active).is_(True))
            .group_by(group_col, brand, this_week)
        )
        for raw, name, current, n, qty in history:
            ordered[(raw, name, int(current))] += int(n)
            cartons[(raw, name, int(current))] += int(qty or 0)
        placed = conn.execute(
            select(
                col(Order.customer_id),
                col(Order.week),
                col(Order.placed_at),
                group_col,
                brand,
                func.sum(col(OrderLine.qty)),
            )
            .join(OrderLine, col(OrderLine.order_id) == col(Order.id))
            .join(Product, col(Product.id) == col(OrderLine.product_id))
            .join(Customer, col(Customer.id) == col(Order.customer_id))
            .where(col(Order.week).in_([prev, monday]), col(Order.status) == "placed", col(Customer.active).is_(True))
            .group_by(col(Order.id), col(Order.customer_id), col(Order.week), col(Order.placed_at), group_col, brand)
        ).all()
        ids = sorted({int(row[0]) for row in placed})
        last_history: dict[int, date] = {}
        in_history: set[tuple[int, str, int]] = set()
        for chunk in chunks(ids):
            last_history.update(
                (int(cid), last)
                for cid, last in conn.execute(
                    select(col(HistoryLine.customer_id), func.max(h_date))
                    .where(col(HistoryLine.customer_id).in_(chunk))
                    .group_by(col(HistoryLine.customer_id))
                )
                if last is not None
            )
            in_history.update(
                (int(cid), name, int(current))
                for cid, name, current in conn.execute(
                    select(col(HistoryLine.customer_id), brand, this_week)
                    .join(Product, col(Product.id) == col(HistoryLine.product_id))
                    .where(col(HistoryLine.customer_id).in_(chunk), h_date >= prev, h_date < end)
                    .distinct()
                )
            )
    for cid, order_week, placed_at, raw, name, qty in placed:
        last = last_history.get(int(cid))
        if last is not None and placed_at.astimezone(zone).date() <= last:
            continue  # already in the ERP history
        current = int(order_week == monday)
        cartons[(raw, name, current)] += int(qty or 0)
        seen = (int(cid), name, current)
        if seen not in in_history:
            in_history.add(seen)  # a second order of the same brand that week is the same customer
            ordered[(raw, name, current)] += 1
    return _rows(active, ordered, cartons, by)


def _label(raw: Any, by: GroupBy) -> str:
    if by == "tier":
        return tier_band(int(raw))
    return str(raw) if raw else NO_DISTRICT


def _rows(active: dict[Any, int], ordered: dict[_Key, int], cartons: dict[_Key, int], by: GroupBy) -> list[CoverageRow]:
    """Fold raw groups (a district, a tier) into labels (a tier band) and add each brand's total. Counts of
    customers add up across groups because each customer is in exactly one."""
    customers: dict[str, int] = defaultdict(int)
    for raw, n in active.items():
        customers[_label(raw, by)] += n
    figures: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # ordered, prev, cartons, prev
    for source, offset in ((ordered, 0), (cartons, 2)):
        for (raw, name, current), value in source.items():
            cell = figures[(name, _label(raw, by))]
            cell[offset + (0 if current else 1)] += value
    brands: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (name, _group), cell in figures.items():
        brands[name] = [a + b for a, b in zip(brands[name], cell, strict=True)]
    total_customers = sum(customers.values())
    rows: list[CoverageRow] = []
    for name in sorted(brands, key=lambda b: (-brands[b][0], -brands[b][1], b)):
        rows.append(CoverageRow(name, None, total_customers, *brands[name]))
        for label in sorted(customers, key=lambda g: _group_order(g, by)):
            cell = figures.get((name, label), [0, 0, 0, 0])
            rows.append(CoverageRow(name, label, customers[label], *cell))
    return rows
