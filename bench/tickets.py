"""The shift lead's default ticket view on a big queue, on SQLite and PostgreSQL.

Usage: .venv/bin/python bench/tickets.py [--tickets N] [--open-share F] [--runs R] [--sqlite-only]

Measures one refresh of the view as the product does it: `list_tickets()` (still-open tickets ordered by due
time, first page of 50) plus `count_queue()` (open / in progress / waiting / overdue / due within the hour),
each through its public function on a fresh connection from the pool. Tickets are spread over a year, with
`--open-share` of them still open (the rest resolved or closed), as a busy centre's table would look.
Goal: p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, text

from db import migrate
from db.engine import make_engine
from db.models import Customer, Ticket
from orders.tickets import count_queue, list_tickets

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
CUSTOMERS = 5_000
CATEGORIES = ("counterfeit", "delivery_error", "sorting_error", "out_of_supply", "price", "other")


def fill(engine: Engine, tickets: int, open_share: float) -> None:
    rng = random.Random(7)
    with engine.begin() as conn:
        conn.execute(insert(Customer), [
            {"code": f"C{i:06d}", "name": f"零售户{i}", "tier": 1 + i % 30, "order_weekday": 1 + i % 6}
            for i in range(CUSTOMERS)
        ])
        batch: list[dict[str, object]] = []
        for n in range(tickets):
            still_open = rng.random() < open_share
            opened = AT - timedelta(minutes=rng.randint(0, 60 * 24 * (10 if still_open else 365)))
            due = opened + timedelta(hours=rng.choice((4, 8, 24, 48)))
            status = rng.choice(("open", "in_progress", "waiting_customer")) if still_open else \
                rng.choice(("resolved", "closed", "closed", "closed"))
            batch.append({
                "customer_id": 1 + rng.randrange(CUSTOMERS), "category": rng.choice(CATEGORIES), "status": status,
                "text": "配送少了一条", "opened_by": "demo", "opened_at": opened, "due_at": due,
            })
            if len(batch) == 5_000 or n == tickets - 1:
                conn.execute(insert(Ticket), batch)
                batch = []
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def measure(engine: Engine, runs: int) -> tuple[float, float, int, int]:
    samples = []
    page: list[object] = []
    total = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        page = list(list_tickets(engine, limit=50, at=AT))
        total = count_queue(engine, at=AT).total
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return statistics.median(samples), p99, len(page), total


def run(name: str, url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    t0 = time.perf_counter()
    fill(engine, args.tickets, args.open_share)
    built = time.perf_counter() - t0
    measure(engine, 5)  # warm the pool and the caches
    p50, p99, shown, total = measure(engine, args.runs)
    engine.dispose()
    verdict = "ok" if p99 < 50 else "OVER GOAL"
    print(f"{name:10} tickets={args.tickets} still_open={total} page={shown} runs={args.runs} "
          f"p50={p50:.2f} ms p99={p99:.2f} ms  [{verdict}]  (built in {built:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--open-share", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("sqlite", f"sqlite:///{Path(folder) / 'bench.db'}", args)
    if args.sqlite_only:
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"telesales_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run("postgresql", f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}", args)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
