"""What a database holds, in the words a user checks first, and whether it is a demo.

The `telesales demo` command and the TUI's summary screen show the same counts, and the sign-in screen and the
call script ask whether the database is a demo (for its logins and its company name). These read any database,
real or demo, so they live in the domain; the demo generator (`tui/demo/`) only writes the marker row they read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, select
from sqlmodel import col

from db.models import AppMeta, Customer, HistoryLine, Product, Quota, Supply, Ticket, User
from orders.clock import now, today, week_of
from orders.tickets import STILL_OPEN

META_KEY = "demo"  # the app_meta row a complete demo build writes last


@dataclass(frozen=True)
class DemoMeta:
    """How the demo in this database was built; its presence is what marks a database as a demo."""

    size: str
    seed: int
    built_at: str


@dataclass
class Summary:
    """What a database holds, in the words a user checks first; the CLI and the TUI both show this."""

    today: date
    products: int = 0
    discontinued: int = 0
    customers: int = 0
    inactive_customers: int = 0
    history_lines: int = 0
    history_weeks: int = 0
    first_order: date | None = None
    last_order: date | None = None
    users: dict[str, str] = field(default_factory=dict)  # login -> role
    quotas: int = 0
    quota_weeks: list[date] = field(default_factory=list)
    supply_rows: int = 0
    open_tickets: int = 0
    overdue_tickets: int = 0
    due_within_hour: int = 0
    demo: DemoMeta | None = None


def read_meta(conn: Connection) -> DemoMeta | None:
    """The demo's marker row, or None for a real database (or a demo whose build never finished, as the row is
    written last): the sign-in screen offers the demo logins and the summary names the build only then."""
    row = conn.execute(select(col(AppMeta.value)).where(col(AppMeta.key) == META_KEY)).first()
    if row is None:
        return None
    try:
        data = json.loads(row[0])
        return DemoMeta(size=str(data["size"]), seed=int(data["seed"]), built_at=str(data["built_at"]))
    except (ValueError, KeyError, TypeError):
        return None


def _count(conn: Connection, column: Any, *where: Any) -> int:
    return int(conn.execute(select(func.count(column)).where(*where)).scalar_one())


def summarize(engine: Engine, zone: ZoneInfo) -> Summary:
    """Count what the database holds; read-only, cheap enough to run on every refresh."""
    day = today(zone)
    at = now()
    this_week = week_of(day)
    summary = Summary(today=day)
    with engine.connect() as conn:
        summary.products = _count(conn, Product.id)
        summary.discontinued = _count(conn, Product.id, Product.status == "discontinued")
        summary.customers = _count(conn, Customer.id)
        summary.inactive_customers = _count(conn, Customer.id, col(Customer.active).is_(False))
        summary.history_lines = _count(conn, HistoryLine.id)
        first, last = conn.execute(
            select(func.min(col(HistoryLine.order_date)), func.max(col(HistoryLine.order_date)))
        ).one()
        if first is not None and last is not None:
            summary.first_order, summary.last_order = first, last
            summary.history_weeks = (week_of(last) - week_of(first)).days // 7 + 1
        users = select(col(User.login), col(User.role)).where(col(User.active).is_(True)).order_by(col(User.login))
        summary.users = {login: role for login, role in conn.execute(users)}
        summary.quotas = _count(conn, Quota.id)
        summary.quota_weeks = sorted(
            conn.execute(select(col(Quota.week)).where(col(Quota.week) >= this_week - timedelta(weeks=1)).distinct())
            .scalars()
            .all()
        )
        summary.supply_rows = _count(conn, Supply.id)
        still_open = col(Ticket.status).in_(STILL_OPEN)
        summary.open_tickets = _count(conn, Ticket.id, still_open)
        summary.overdue_tickets = _count(conn, Ticket.id, still_open, col(Ticket.due_at) < at)
        summary.due_within_hour = _count(
            conn, Ticket.id, still_open, col(Ticket.due_at) >= at, col(Ticket.due_at) <= at + timedelta(hours=1)
        )
        summary.demo = read_meta(conn)
    return summary
