"""A shop's state for its order week: once it has ordered, it is done for the week.

A shop orders once a week. When an order (not cancelled) has been placed for the week of the day being
worked, the shop is `ordered` in every queue and in the lead's figures, whatever call is recorded after it: a
later no-answer or refusal (another terminal, the lead's complaint call-back) is kept in the call history as an
attempt, but it neither puts the shop back in the retry queue nor changes its status. Otherwise the shop
would be phoned again and could order twice. An order placed from the command line, with no call at all,
counts the same.

The week is the Monday of the week holding the day (`orders.clock.week_of`), the week placement writes on an
order placed that day; an order placed ahead for a later week does not make this week's shop done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, select

from db.tables import ORDER, USER
from orders.clock import today, week_of
from orders.placement import orders_for_week
from orders.scope import CustomerScope
from orders.settings import Settings


def ordered_in_week(conn: Connection, day: date, scope: CustomerScope) -> set[int]:
    """The ids, among `scope`, of the shops with an order placed (and not cancelled) for `day`'s week."""
    o = ORDER.c
    found: set[int] = set()
    for condition in scope.filters(o.customer_id):
        rows = conn.execute(
            select(o.customer_id).where(condition, o.week == week_of(day), o.status == "placed").distinct()
        )
        found.update(int(cid) for cid in rows.scalars())
    return found


@dataclass(frozen=True)
class WeekOrder:
    """One order of the shop's week, as the call screen's 「本周已下单 #12 · 131条 · 09:41 小王」 line says it."""

    order_id: int
    cartons: int
    total_fen: int
    placed_at: datetime
    operator: str  # login of who placed it
    operator_name: str  # their name, or the login when it is no user of this database


def week_orders(engine: Engine, settings: Settings, customer_code: str, day: date | None = None) -> list[WeekOrder]:
    """The shop's placed orders for the week holding `day` (default today), oldest first. An unknown shop is
    `orders.placement.OrderInputError`, as for every other order question."""
    day = day or today(settings.zone)
    placed = orders_for_week(engine, customer_code, day)
    logins = sorted({order.operator for order in placed})
    names: dict[str, str] = {}
    if logins:
        with engine.connect() as conn:
            rows = conn.execute(select(USER.c.login, USER.c.name).where(USER.c.login.in_(logins)))
            names = {login: name for login, name in rows}
    return [
        WeekOrder(o.order_id, o.cartons, o.total_fen, o.placed_at, o.operator, names.get(o.operator, o.operator))
        for o in placed
    ]
