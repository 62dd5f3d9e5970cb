"""Time the shift lead's dashboard (`orders.report.day_dashboard`) and retention list
(`orders.retention.retention_list`) on the large demo with a busy day and a year of complaints.

Data: the large demo (5,000 shops, about 2 million history lines, built once, seed N), plus, added once:
- Monday 2026-11-23 as a lead sees it at 16:00: 1,000 finished calls between 08:30 and 16:00 (every order-day
  shop once, no-answer and busy ones tried again), an order for each call that ended `ordered`;
- a year of orders placed in this tool before that day (each active shop on its order day, most weeks), so the
  day's order count is read beside a realistic `customer_order` table;
- 100,000 tickets opened over the year before: 60% of the last two days' still open and 0.3% of older ones
  (about 650 open), the closed ones 85% answered on time and 15% late, a tenth of them repeats, 30% assigned
  to the lead.
Everything is inserted with SQLAlchemy Core in batches of 5,000.

Figures: median and p99 of `day_dashboard` (20 runs) and `retention_list` (5 runs) after one warm-up each,
and, as the baseline measured in the same run, the team `call_queue` (what counting calls due through it would
cost) and one indexed COUNT of the day's tickets. Goals: dashboard < 200 ms, retention list < 2 s. The run
also checks that the dashboard's calls due agree with `call_queue` and its closed tickets with
`ticket_figures`.

    .venv/bin/python bench/dashboard.py [--backend sqlite|postgresql|both] [--runs 20] [--retention-runs 5]
                                        [--seed 1] [--keep-pg]

SQLite: cached in /tmp/telesales-bench-dashboard/ (its own copy: the other benches' demos stay untouched).
PostgreSQL: a scratch database on 127.0.0.1, dropped afterwards (kept and reused with --keep-pg).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

BUILT_AT = "2026-11-23T09:00:00+08:00"
os.environ["TELESALES_NOW"] = BUILT_AT  # before anything reads the clock: the cached demo must match
# this file is bench/dashboard.py: keep its folder off the path so imports find the packages, not bench scripts
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

from sqlalchemy import Engine, create_engine, func, insert, select, text, update  # noqa: E402
from sqlmodel import col  # noqa: E402

from db import migrate  # noqa: E402
from db.engine import describe, make_engine  # noqa: E402
from db.models import AppMeta, Call, Customer, HistoryLine, Order, OrderLine, Product, Ticket  # noqa: E402
from orders.calendar import day_bounds  # noqa: E402
from orders.calls import call_queue  # noqa: E402
from orders.report import day_dashboard  # noqa: E402
from orders.settings import Settings  # noqa: E402
from orders.tickets import ticket_figures  # noqa: E402
from tui.demo import SIZES, ensure_demo  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 23)
LOOK_AT = datetime(2026, 11, 23, 16, 0, tzinfo=ZONE)  # the lead opens the dashboard mid-afternoon
CACHE = Path("/tmp/telesales-bench-dashboard")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_KEPT = "telesales_bench_dashboard"
MARK = "bench_dashboard"  # app_meta key: this database already has the bench's day and year added
CALLS = 1_000
TICKETS = 100_000
BATCH = 5_000
GOAL_DASHBOARD_MS = 200.0
GOAL_RETENTION_MS = 2_000.0
OUTCOMES = {"ordered": 70, "no_answer": 10, "busy": 5, "closed": 3, "refused": 4, "wrong_number": 1,
            "callback_requested": 7}
CATEGORIES = ("counterfeit", "delivery_error", "sorting_error", "out_of_supply", "wrong_order", "attitude",
              "price", "damaged", "over_promise", "other")


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def _flush(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)
        rows.clear()


def _next_id(conn: Any, column: Any) -> int:
    return int(conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one()) + 1


def add_day_and_year(engine: Engine) -> dict[str, int]:
    """Add the bench's day of calls, a year of orders and 100,000 tickets, unless an earlier run did."""
    rng = random.Random(11)
    with engine.begin() as conn:
        if conn.execute(select(col(AppMeta.value)).where(col(AppMeta.key) == MARK)).first() is not None:
            return {}
        shops: list[tuple[int, str, int]] = [
            (int(cid or 0), operator or "demo", int(weekday))
            for cid, operator, weekday in conn.execute(
                select(col(Customer.id), col(Customer.operator), col(Customer.order_weekday))
                .where(col(Customer.active).is_(True))
                .order_by(col(Customer.id))
            )
        ]
        products = [int(p or 0) for p in conn.execute(
            select(col(Product.id)).where(col(Product.status) == "active").order_by(col(Product.id))
        ).scalars()]
        added = {"calls": 0, "orders": 0, "order_lines": 0, "tickets": 0}
        order_id = _next_id(conn, col(Order.id))
        orders: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []

        def order(cid: int, operator: str, placed: datetime, week: date) -> None:
            nonlocal order_id
            orders.append({"id": order_id, "customer_id": cid, "week": week, "placed_at": placed,
                           "operator": operator, "status": "placed"})
            for pid in rng.sample(products, rng.randint(2, 5)):
                lines.append({"order_id": order_id, "product_id": pid, "qty": rng.randint(1, 10),
                              "price_fen": 10_000})
            order_id += 1
            added["orders"] += 1
            if len(orders) >= BATCH:
                _flush(conn, Order, orders)
            if len(lines) >= BATCH:
                _flush(conn, Order, orders)  # lines point at their orders: orders go first
                added["order_lines"] += len(lines)
                _flush(conn, OrderLine, lines)

        # a year of orders before the day, on each shop's order day, most weeks
        monday = DAY - timedelta(days=DAY.weekday())
        for weeks_back in range(52, 0, -1):
            week = monday - timedelta(weeks=weeks_back)
            for cid, operator, weekday in shops:
                if rng.random() < 0.85:
                    placed = _local(week + timedelta(days=weekday - 1), 10) + timedelta(minutes=rng.randint(0, 400))
                    order(cid, operator, placed, week)

        # the day: every order-day shop once, then retries of the unanswered, 1,000 calls from 08:30 to 16:00
        today = [(cid, operator) for cid, operator, weekday in shops if weekday == DAY.isoweekday()]
        outcomes, weights = list(OUTCOMES), list(OUTCOMES.values())
        queue = list(today)
        calls: list[dict[str, Any]] = []
        opens = _local(DAY, 8, 30)
        for n in range(CALLS):
            cid, operator = queue[n % len(queue)] if n < len(queue) else rng.choice(today)
            started = opens + timedelta(seconds=n * (7.5 * 3600) / CALLS)
            seconds = rng.randint(40, 200)
            outcome = rng.choices(outcomes, weights=weights)[0]
            ended = started + timedelta(seconds=seconds)
            callback = ended + timedelta(hours=1) if outcome in ("no_answer", "busy", "callback_requested") else None
            calls.append({"customer_id": cid, "operator": operator, "started_at": started, "ended_at": ended,
                          "duration_s": seconds, "outcome": outcome, "callback_at": callback, "note": ""})
            if outcome == "ordered":
                order(cid, operator, ended, monday)
        conn.execute(insert(Call), calls)
        added["calls"] = len(calls)
        _flush(conn, Order, orders)
        added["order_lines"] += len(lines)
        _flush(conn, OrderLine, lines)

        # 100,000 tickets over the year before the lead looks at them
        first_ticket = _next_id(conn, col(Ticket.id))
        tickets: list[dict[str, Any]] = []
        for _ in range(TICKETS):
            cid, operator, _weekday = rng.choice(shops)
            opened = LOOK_AT - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            # most of the last two days' tickets are still being worked; a few older ones were forgotten
            still_open = rng.random() < (0.6 if LOOK_AT - opened < timedelta(days=2) else 0.003)
            due = opened + timedelta(hours=rng.choice((4, 8, 8, 16, 24, 32, 40)))
            row: dict[str, Any] = {
                "customer_id": cid, "category": rng.choice(CATEGORIES), "text": "配送少了一条",
                "opened_by": operator, "opened_at": opened, "due_at": due,
                "assigned_to": "lead" if rng.random() < 0.3 else None,
                "first_response_at": None, "resolved_at": None, "closed_at": None,  # every row the same keys
            }
            if still_open or LOOK_AT - opened < timedelta(hours=4):
                row["status"] = rng.choice(("open", "in_progress", "waiting_customer"))
            else:
                late = rng.random() < 0.15
                answer = due + timedelta(hours=rng.uniform(0.5, 30)) if late else \
                    opened + (due - opened) * rng.uniform(0.1, 0.95)
                answer = min(answer, LOOK_AT - timedelta(minutes=30))
                row.update(status="closed", first_response_at=opened + (answer - opened) / 3, resolved_at=answer,
                           closed_at=min(answer + timedelta(hours=rng.uniform(0, 4)), LOOK_AT))
            tickets.append(row)
            if len(tickets) >= BATCH:
                added["tickets"] += len(tickets)
                _flush(conn, Ticket, tickets)
        added["tickets"] += len(tickets)
        _flush(conn, Ticket, tickets)
        # a tenth repeat an earlier complaint (set-wise, on the ids the database gave)
        conn.execute(
            update(Ticket)
            .where(col(Ticket.id) >= first_ticket + 50, col(Ticket.id) % 10 == 0)
            .values(repeat_of=col(Ticket.id) - 37)
        )
        conn.execute(insert(AppMeta).values(key=MARK, value=str(added)))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("customer_order", "ticket"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"))
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return added


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()  # warm the connection pool and the caches
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def _verdict(p99: float, goal: float) -> str:
    return "ok" if p99 < goal else "OVER GOAL"


def run(name: str, url: str, args: argparse.Namespace) -> None:
    settings = Settings(timezone="Asia/Shanghai")
    engine = make_engine(url)
    migrate.upgrade(engine)
    t0 = time.perf_counter()
    built = ensure_demo(engine, ZONE, size=SIZES["large"], seed=args.seed)
    demo_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    added = add_day_and_year(engine)
    added_s = time.perf_counter() - t0
    os.environ["TELESALES_NOW"] = LOOK_AT.isoformat()
    start, end = day_bounds(DAY, ZONE)
    with engine.connect() as conn:

        def count(what: Any, *where: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(what).where(*where)).scalar_one())

        sizes = {
            "customers": count(Customer),
            "history lines": count(HistoryLine),
            "orders": count(Order),
            "tickets": count(Ticket),
            "calls that day": count(Call, col(Call.started_at) >= start, col(Call.started_at) < end),
        }
    print(f"== {name}: {describe(engine)}")
    how = f"demo built in {demo_s:.0f} s" if built.built else "demo cached"
    more = f"bench data added in {added_s:.0f} s" if added else "bench data cached"
    print(f"   {how}; {more}")
    print("   sizes: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items()))

    board = day_dashboard(engine, DAY, settings, at=LOOK_AT)
    total = board.report.total
    queue = call_queue(engine, settings, day=DAY)
    agree_due = total.calls_due == len(queue) and all(
        board.report.operators[op].calls_due == n for op, n in Counter(e.operator for e in queue).items() if op
    )
    tf = ticket_figures(engine, DAY, DAY, ZONE)
    agree_tickets = (tf.closed_on_time, tf.closed_late) == (total.tickets_closed_on_time, total.tickets_closed_late)
    print(f"   day {DAY}: due {total.calls_due}, done {total.calls_done}, orders {total.orders} "
          f"({total.cartons} cartons), avg {total.avg_call_seconds} s, complaints {total.complaints_opened} "
          f"(repeats {board.repeat_complaints}), closed on time {total.tickets_closed_on_time} / late "
          f"{total.tickets_closed_late}; open now {board.open_tickets.total} ({board.open_tickets.overdue} overdue, "
          f"{board.open_tickets.due_soon} due within the hour); {len(board.report.operators)} operators")
    print(f"   checks: calls due = call_queue {'yes' if agree_due else 'NO'}; "
          f"closed tickets = ticket_figures {'yes' if agree_tickets else 'NO'}")

    def baseline_count() -> object:
        with engine.connect() as conn:
            return conn.execute(
                select(func.count()).where(col(Ticket.opened_at) >= start, col(Ticket.opened_at) < end)
            ).scalar_one()

    rows = [
        ("baseline: COUNT day's tickets", baseline_count, args.runs, None),
        ("baseline: call_queue team", lambda: call_queue(engine, settings, day=DAY), args.runs, None),
        ("day_dashboard", lambda: day_dashboard(engine, DAY, settings, at=LOOK_AT), args.runs, GOAL_DASHBOARD_MS),
    ]
    try:
        from orders.retention import retention_list
    except ImportError:
        retention: Callable[[], object] | None = None
    else:
        def retention() -> object:
            return retention_list(engine, DAY, settings=settings)

        listed = len(retention_list(engine, DAY, settings=settings))
        print(f"   retention list: {listed} shops")
    if retention is not None:
        rows.append(("retention_list", retention, args.retention_runs, GOAL_RETENTION_MS))
    for label, fn, runs, goal in rows:
        median, p99 = measure(fn, runs)
        tail = f"   goal < {goal:.0f} ms  [{_verdict(p99, goal)}]" if goal is not None else ""
        print(f"   {label:30s} median {median:8.1f} ms   p99 {p99:8.1f} ms   ({runs} runs){tail}")
    if retention is None:
        print("   retention: not available (orders.retention.retention_list cannot be imported)")
    engine.dispose()
    os.environ["TELESALES_NOW"] = BUILT_AT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--runs", type=int, default=20, help="dashboard runs (and baselines)")
    parser.add_argument("--retention-runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-pg", action="store_true", help=f"keep (and reuse) the database {PG_KEPT}")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        CACHE.mkdir(parents=True, exist_ok=True)
        run("sqlite", f"sqlite:///{CACHE / f'demo-large-seed{args.seed}.db'}", args)
    if args.backend in ("postgresql", "both"):
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = PG_KEPT if args.keep_pg else f"telesales_bench_{datetime.now(UTC):%H%M%S}_{os.getpid()}"
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run("postgresql", f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}", args)
        finally:
            if not args.keep_pg:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
