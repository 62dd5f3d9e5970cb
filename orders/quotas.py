"""The quota rule and the week's remaining quota and supply, read in bulk.

One rule, used by the suggestion, the scripts' "short brands", the draft on the call screen and placement:
a `quotas` row limits what each customer in `tier_from..tier_to` may order of a product in a week; a row
naming the customer overrides the tier rule for that customer; no row, no per-customer limit. A `supply`
row limits the week's total over all customers; no row, no limit.

Placement re-checks under its own lock (`orders/placement.py`); what this module reads is a snapshot for
showing and suggesting, never the authority on whether an order may be placed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, select

from db.tables import QUOTA, QUOTA_USAGE, SUPPLY, SUPPLY_USAGE


@dataclass(frozen=True)
class QuotaRow:
    """One `quotas` row: a tier rule when `customer_id` is None, else one customer's override."""

    product_id: int
    tier_from: int
    tier_to: int
    customer_id: int | None
    max_qty: int


def effective_quota(rows: Iterable[QuotaRow], customer_id: int, tier: int) -> int | None:
    """The most this customer may order of the rows' product in the week, or None for no limit.

    An override for the customer wins over any tier rule; among tier rules that cover the tier (overlapping
    ranges are a data mistake the import cannot rule out) the smallest limit holds, so an error in the data
    never lets a shop order more than some rule allows.
    """
    tier_limit: int | None = None
    for row in rows:
        if row.customer_id is not None:
            if row.customer_id == customer_id:
                return row.max_qty
            continue
        if row.tier_from <= tier <= row.tier_to:
            tier_limit = row.max_qty if tier_limit is None else min(tier_limit, row.max_qty)
    return tier_limit


@dataclass
class WeekLimits:
    """Quotas, supply and what has been taken of both in one week, for the customers it was loaded for."""

    week: date
    quota_rows: dict[int, list[QuotaRow]] = field(default_factory=dict)  # product_id -> rows
    supply_total: dict[int, int] = field(default_factory=dict)  # product_id -> total cartons
    supply_used: dict[int, int] = field(default_factory=dict)  # product_id -> cartons ordered by all shops
    quota_used: dict[tuple[int, int], int] = field(default_factory=dict)  # (customer_id, product_id) -> cartons

    def quota(self, customer_id: int, tier: int, product_id: int) -> int | None:
        """The customer's weekly limit for the product, or None when no rule limits it."""
        rows = self.quota_rows.get(product_id)
        return None if not rows else effective_quota(rows, customer_id, tier)

    def quota_left(self, customer_id: int, tier: int, product_id: int) -> int | None:
        """Cartons the customer may still order this week, or None for no limit."""
        limit = self.quota(customer_id, tier, product_id)
        if limit is None:
            return None
        return max(0, limit - self.quota_used.get((customer_id, product_id), 0))

    def supply_left(self, product_id: int) -> int | None:
        """Cartons of the week's supply not yet ordered by anyone, or None for no supply limit."""
        total = self.supply_total.get(product_id)
        if total is None:
            return None
        return max(0, total - self.supply_used.get(product_id, 0))

    def available(self, customer_id: int, tier: int, product_id: int) -> int | None:
        """The most this customer could order now: the smaller of quota left and supply left (None: no limit)."""
        limits = [
            v for v in (self.quota_left(customer_id, tier, product_id), self.supply_left(product_id)) if v is not None
        ]
        return min(limits) if limits else None

    def is_limited(self, product_id: int) -> bool:
        """Whether the product is tight this week: it has a quota rule or a supply limit."""
        return product_id in self.quota_rows or product_id in self.supply_total


def load_week_limits(conn: Connection, week: date, customer_ids: Collection[int] | None = None) -> WeekLimits:
    """Read the week's quotas, supply and usage in four queries, whatever the number of customers.

    `customer_ids` narrows the per-customer overrides and usage read; None reads them for every customer.
    """
    limits = WeekLimits(week=week)
    q = select(QUOTA.c.product_id, QUOTA.c.tier_from, QUOTA.c.tier_to, QUOTA.c.customer_id, QUOTA.c.max_qty).where(
        QUOTA.c.week == week
    )
    rows: dict[int, list[QuotaRow]] = defaultdict(list)
    wanted = None if customer_ids is None else set(customer_ids)
    for product_id, tier_from, tier_to, customer_id, max_qty in conn.execute(q):
        if customer_id is not None and wanted is not None and customer_id not in wanted:
            continue
        rows[int(product_id)].append(QuotaRow(int(product_id), int(tier_from), int(tier_to), customer_id, int(max_qty)))
    limits.quota_rows = dict(rows)
    for product_id, total in conn.execute(select(SUPPLY.c.product_id, SUPPLY.c.total_qty).where(SUPPLY.c.week == week)):
        limits.supply_total[int(product_id)] = int(total)
    for product_id, used in conn.execute(
        select(SUPPLY_USAGE.c.product_id, SUPPLY_USAGE.c.used_qty).where(SUPPLY_USAGE.c.week == week)
    ):
        limits.supply_used[int(product_id)] = int(used)
    uq = select(QUOTA_USAGE.c.customer_id, QUOTA_USAGE.c.product_id, QUOTA_USAGE.c.used_qty).where(
        QUOTA_USAGE.c.week == week
    )
    if wanted is not None and len(wanted) <= 500:
        uq = uq.where(QUOTA_USAGE.c.customer_id.in_(sorted(wanted)))
    for customer_id, product_id, used in conn.execute(uq):
        if wanted is None or customer_id in wanted:
            limits.quota_used[(int(customer_id), int(product_id))] = int(used)
    return limits
