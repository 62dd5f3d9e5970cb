"""Time `orders.calls.call_queue` on the large demo (5,000 customers, ~2 million history lines) for its busiest
order day, for the whole team and for one order taker, mid-morning with a third of the day already called.

    .venv/bin/python bench/calls_queue.py [--runs N] [--db URL] [--seed N]

The demo is built once into /tmp/telesales-bench-calls/demo-large-seed{N}.db (or into --db, e.g. a PostgreSQL
database) with the clock fixed at Monday 2026-11-23 09:00 Shanghai, and reused on later runs. The morning's
calls are recorded through `record_call` the first time. Baseline in the same run: one indexed COUNT over the
day's customers, so figures from different machines can be compared. Goal: the team queue well under 150 ms
(the TUI shows it on login).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

BUILT_AT = "2026-11-23T09:00:00+08:00"
os.environ["TELESALES_NOW"] = BUILT_AT  # before anything reads the clock: the cached demo must match

from sqlalchemy import Engine, func, select  # noqa: E402
from sqlmodel import col  # noqa: E402

from db import migrate  # noqa: E402
from db.engine import describe, make_engine  # noqa: E402
from db.models import Call, Customer, HistoryLine  # noqa: E402
from orders.calendar import day_bounds  # noqa: E402
from orders.calls import CALL_OUTCOMES, call_queue, queue_progress, record_call  # noqa: E402
from orders.clock import week_of  # noqa: E402
from orders.settings import Settings  # noqa: E402
from tui.demo import SIZES, ensure_demo  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")


def busiest_day(engine: Engine) -> date:
    """The date this week whose weekday has the most active customers."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(Customer.order_weekday), func.count())
            .where(col(Customer.active).is_(True))
            .group_by(col(Customer.order_weekday))
        ).all()
    weekday = max(rows, key=lambda r: (r[1], -r[0]))[0]
    monday = week_of(datetime.fromisoformat(BUILT_AT).date())
    return monday + timedelta(days=int(weekday) - 1)


def morning_calls(engine: Engine, settings: Settings, day: date) -> int:
    """Record a third of the day's calls between 08:30 and 11:00, unless an earlier run did."""
    start, end = day_bounds(day, ZONE)
    with engine.connect() as conn:
        done = conn.execute(
            select(func.count()).where(col(Call.started_at) >= start, col(Call.started_at) < end)
        ).scalar_one()
        if done:
            return int(done)
        customers = conn.execute(
            select(col(Customer.code), col(Customer.operator))
            .where(col(Customer.active).is_(True), col(Customer.order_weekday) == day.isoweekday())
            .order_by(col(Customer.code))
        ).all()
    rng = random.Random(7)
    chosen = rng.sample(customers, len(customers) // 3)
    opened = datetime.combine(day, datetime.min.time(), tzinfo=ZONE).replace(hour=8, minute=30)
    weights = {
        "ordered": 70,
        "no_answer": 10,
        "busy": 5,
        "closed": 3,
        "refused": 4,
        "wrong_number": 1,
        "callback_requested": 7,
    }
    outcomes = list(CALL_OUTCOMES)
    for n, (code, operator) in enumerate(chosen):
        at = opened + timedelta(seconds=n * 150 * 60 // len(chosen))
        os.environ["TELESALES_NOW"] = at.isoformat()
        outcome = rng.choices(outcomes, weights=[weights[o] for o in outcomes])[0]
        callback = at + timedelta(hours=3) if outcome == "callback_requested" else None
        record_call(
            engine, settings, code, outcome, operator=operator, duration_s=rng.randint(40, 200), callback_at=callback
        )
    return len(chosen)


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()  # warm the connection pool and the page cache
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="database URL; default a cached SQLite file under /tmp/telesales-bench-calls")
    args = parser.parse_args()
    if args.db:
        url = args.db
    else:
        folder = Path("/tmp/telesales-bench-calls")
        folder.mkdir(exist_ok=True)
        url = f"sqlite:///{folder / f'demo-large-seed{args.seed}.db'}"
    settings = Settings(timezone="Asia/Shanghai")
    engine = make_engine(url)
    migrate.upgrade(engine)
    built = ensure_demo(engine, ZONE, size=SIZES["large"], seed=args.seed)
    day = busiest_day(engine)
    called = morning_calls(engine, settings, day)
    os.environ["TELESALES_NOW"] = datetime.combine(day, datetime.min.time(), tzinfo=ZONE).replace(hour=11).isoformat()

    with engine.connect() as conn:
        customers = conn.execute(select(func.count()).select_from(Customer)).scalar_one()
        lines = conn.execute(select(func.count()).select_from(HistoryLine)).scalar_one()
        busiest_operator = conn.execute(
            select(col(Customer.operator), func.count())
            .where(col(Customer.active).is_(True), col(Customer.order_weekday) == day.isoweekday())
            .group_by(col(Customer.operator))
            .order_by(func.count().desc(), col(Customer.operator))
            .limit(1)
        ).one()[0]

    def baseline() -> object:
        with engine.connect() as conn:
            return conn.execute(
                select(func.count()).where(col(Customer.order_weekday) == day.isoweekday())
            ).scalar_one()

    team = call_queue(engine, settings, day=day)
    mine = call_queue(engine, settings, day=day, operator=busiest_operator)
    how = f"built in {built.seconds:.0f} s" if built.built else "cached"
    print(f"database: {describe(engine)} ({how})")
    print(
        f"sizes: {customers} customers, {lines} history lines; busiest day {day} ({day:%A}), "
        f"{called} calls recorded that morning, queue read at 11:00"
    )
    print(
        f"team queue: {len(team)} entries, done/due {queue_progress(team)}, "
        f"{sum(e.reason == 'callback' for e in team)} callbacks, {sum(e.retention_risk for e in team)} falling, "
        f"{sum(e.open_ticket for e in team)} with an open ticket"
    )
    print(f"one operator ({busiest_operator}): {len(mine)} entries")
    print(f"runs: {args.runs} each (after one warm-up)")
    for name, fn in (
        ("baseline COUNT", baseline),
        ("call_queue team", lambda: call_queue(engine, settings, day=day)),
        (f"call_queue {busiest_operator}", lambda: call_queue(engine, settings, day=day, operator=busiest_operator)),
        ("call_queue demo", lambda: call_queue(engine, settings, day=day, operator="demo")),
    ):
        median, p99 = measure(fn, args.runs)
        print(f"  {name:24s} median {median:7.1f} ms   p99 {p99:7.1f} ms")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
