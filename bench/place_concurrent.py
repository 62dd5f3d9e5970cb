"""Many terminals placing orders at once, on SQLite and PostgreSQL: throughput, latency and overshoot.

Usage: .venv/bin/python bench/place_concurrent.py [--clients N] [--orders N] [--pg-url URL] [--sqlite-only|--pg-only]

Each client is a process (forked after imports, with its own engine) placing `--orders` orders through
`orders.placement.place_order`, one after another, as an order taker on the phone would; all clients start
together. An order has 3-8 lines of a 200-product catalog, quantities 1-5 cartons; 10 products are tight, with
tier quotas (2 / 4 / 6 cartons) and a week's supply set below the expected demand, so quotas and supply both
refuse during the run. A refused order is retried once with the failing lines cut to what is left (the order taker
offering the rest), as happens on a real call. Each order is for a different customer.

Baseline, measured in the same run: one client placing orders alone, so contention's cost is visible.
Overshoot counts cartons over a supply total plus cartons over a customer's quota, from the order lines
themselves (not the counters), and counter rows that disagree with the lines: it must be 0.
--pg-url is an admin URL; a scratch database is created next to it and dropped afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from db import migrate
from db.csv_import import import_file
from db.engine import make_engine
from orders.placement import OrderDatabaseError, OrderRefused, place_order
from orders.settings import Settings, load_settings

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = "2026-11-23T09:00:00+08:00"  # Monday morning: every customer's week is still open
WEEK = date(2026, 11, 23)
BASELINE_WEEK = date(2026, 11, 30)  # the lone client's own week, with the same quotas and supply
PRODUCTS = 200
TIGHT = 10
TIGHT_SHARE = 0.4  # orders with at least one tight line
AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def build(engine: Engine, folder: Path, customers: int, orders: int) -> None:
    """Catalog, customers, quotas and supply through the public import path."""
    rng = random.Random(11)
    files = {
        "catalog": "code,name,price_per_carton\n"
        + "".join(f"P{j:03d},品规{j},{rng.randint(8000, 60000) / 100:.2f}\n" for j in range(PRODUCTS)),
        "customers": "code,name,tier,order_weekday\n"
        + "".join(f"C{i:05d},零售户{i},{rng.randint(1, 30)},{rng.randint(1, 6)}\n" for i in range(customers)),
        "quotas": "week,product_code,tier_from,tier_to,max_qty\n"
        + "".join(
            f"{w},P{j:03d},1,10,2\n{w},P{j:03d},11,20,4\n{w},P{j:03d},21,30,6\n"
            for w in (WEEK, BASELINE_WEEK)
            for j in range(TIGHT)
        ),
        # expected demand per tight product is about orders * 0.4 * 1.5 / 10 * 3 = 0.18 * orders
        "supply": "week,product_code,total_qty\n"
        + "".join(f"{w},P{j:03d},{max(5, int(orders * 0.12))}\n" for w in (WEEK, BASELINE_WEEK) for j in range(TIGHT)),
    }
    for kind, content in files.items():
        path = folder / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        import_file(engine, kind, path, at=AT, actor="bench")


def make_orders(seed: int, first_customer: int, count: int) -> list[tuple[str, list[tuple[str, int]]]]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        codes = rng.sample(range(TIGHT, PRODUCTS), rng.randint(3, 8))
        if rng.random() < TIGHT_SHARE:
            k = rng.randint(1, 2)
            codes[:k] = rng.sample(range(TIGHT), k)
        lines = [(f"P{j:03d}", rng.randint(1, 5)) for j in codes]
        out.append((f"C{first_customer + n:05d}", lines))
    return out


@dataclass
class Outcome:
    latencies_ms: list[float]
    placed: int
    refused: int
    retried: int
    lines: int
    errors: int = 0  # database failures (SQLite's lock not free within the patience, a lost connection)


def client(url: str, settings: Settings, work: list[tuple[str, list[tuple[str, int]]]], week: date) -> Outcome:
    """One terminal: place each order; on a quota or supply refusal, place what is left once."""
    engine = make_engine(url)
    outcome = Outcome([], 0, 0, 0, 0)
    try:
        for customer, lines in work:
            for attempt in range(2):
                t0 = time.perf_counter()
                try:
                    place_order(engine, settings, customer, lines, week=week, operator="bench")
                    outcome.latencies_ms.append((time.perf_counter() - t0) * 1000)
                    outcome.placed += 1
                    outcome.lines += len(lines)
                    break
                except OrderDatabaseError:
                    outcome.latencies_ms.append((time.perf_counter() - t0) * 1000)
                    outcome.errors += 1
                    break
                except OrderRefused as exc:
                    outcome.latencies_ms.append((time.perf_counter() - t0) * 1000)
                    outcome.refused += 1
                    left = {p.code: p.remaining or 0 for p in exc.lines}
                    lines = [(c, min(q, left.get(c, q))) for c, q in lines if left.get(c, q) > 0]
                    if attempt == 1 or not lines:
                        break
                    outcome.retried += 1
    finally:
        engine.dispose()
    return outcome


def _child(url: str, settings: Settings, work: list[Any], week: date, start: Any, results: Any) -> None:
    try:
        start.wait(timeout=300)
        results.put(client(url, settings, work, week))
    except BaseException:  # a client that dies must still report, or the parent would wait for it forever
        traceback.print_exc()
        results.put(Outcome([], 0, 0, 0, 0, errors=len(work)))


def run_clients(
    engine: Engine, settings: Settings, clients: int, orders: int, week: date, seed: int = 0
) -> tuple[Outcome, float]:
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    ctx = mp.get_context("fork")
    start = ctx.Barrier(clients + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_child, args=(url, settings, make_orders(seed + c, c * orders, orders), week, start, results)
        )
        for c in range(clients)
    ]
    for p in procs:
        p.start()
    start.wait(timeout=300)
    t0 = time.perf_counter()
    parts = [results.get(timeout=600) for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    total = Outcome([], 0, 0, 0, 0)
    for part in parts:
        total.latencies_ms += part.latencies_ms
        total.placed += part.placed
        total.refused += part.refused
        total.retried += part.retried
        total.lines += part.lines
        total.errors += part.errors
    return total, wall


def overshoot(engine: Engine) -> int:
    """Cartons beyond a supply or a quota, measured on the order lines, plus counter rows that disagree with them."""
    per_customer = (
        "SELECT o.week, o.customer_id, l.product_id, SUM(l.qty) AS qty FROM order_line l "
        "JOIN customer_order o ON o.id = l.order_id WHERE o.status = 'placed' "
        "GROUP BY o.week, o.customer_id, l.product_id"
    )
    per_product = (
        "SELECT o.week, l.product_id, SUM(l.qty) AS qty FROM order_line l "
        "JOIN customer_order o ON o.id = l.order_id WHERE o.status = 'placed' GROUP BY o.week, l.product_id"
    )
    over = 0
    with engine.connect() as conn:
        over += conn.execute(
            text(
                "SELECT COALESCE(SUM(CASE WHEN x.qty > s.total_qty THEN x.qty - s.total_qty ELSE 0 END), 0) "
                f"FROM ({per_product}) x JOIN supply s ON s.product_id = x.product_id AND s.week = x.week"
            )
        ).scalar_one()
        over += conn.execute(
            text(
                "SELECT COALESCE(SUM(CASE WHEN x.qty > q.max_qty THEN x.qty - q.max_qty ELSE 0 END), 0) "
                f"FROM ({per_customer}) x JOIN customer c ON c.id = x.customer_id "
                "JOIN quota q ON q.product_id = x.product_id AND q.week = x.week AND q.customer_id IS NULL "
                "AND c.tier BETWEEN q.tier_from AND q.tier_to"
            )
        ).scalar_one()
        over += conn.execute(
            text(
                f"SELECT COUNT(*) FROM ({per_customer}) x LEFT JOIN quota_usage u ON u.week = x.week "
                "AND u.customer_id = x.customer_id AND u.product_id = x.product_id "
                "WHERE u.used_qty IS NULL OR u.used_qty <> x.qty"
            )
        ).scalar_one()
        over += conn.execute(
            text(
                f"SELECT COUNT(*) FROM ({per_product}) x LEFT JOIN supply_usage u ON u.week = x.week "
                "AND u.product_id = x.product_id WHERE u.used_qty IS NULL OR u.used_qty <> x.qty"
            )
        ).scalar_one()
    return int(over)


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def run(name: str, url: str, args: argparse.Namespace, settings: Settings) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    total_orders = args.clients * args.orders
    with tempfile.TemporaryDirectory() as folder:
        build(engine, Path(folder), max(total_orders, args.baseline), total_orders)
    base, base_wall = run_clients(engine, settings, 1, args.baseline, BASELINE_WEEK, seed=1000)
    result, wall = run_clients(engine, settings, args.clients, args.orders, WEEK)
    over = overshoot(engine)
    engine.dispose()
    lat = result.latencies_ms
    verdict = "ok" if over == 0 and result.errors == 0 else "OVERSHOOT" if over else "ERRORS"
    print(
        f"{name:10} clients={args.clients} orders={total_orders} products={PRODUCTS} (tight {TIGHT}) "
        f"placed={result.placed} lines={result.lines} refused={result.refused} retried={result.retried} "
        f"errors={result.errors}\n"
        f"{'':10} wall={wall:.1f} s  {result.placed / wall:.1f} orders/s  "
        f"p50={statistics.median(lat):.1f} ms  p99={pct(lat, 0.99):.1f} ms  overshoot={over}  [{verdict}]\n"
        f"{'':10} baseline, 1 client alone: {args.baseline} orders, {base.placed / base_wall:.1f} orders/s, "
        f"p50={statistics.median(base.latencies_ms):.1f} ms  p99={pct(base.latencies_ms, 0.99):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--orders", type=int, default=40, help="orders per client")
    parser.add_argument("--baseline", type=int, default=200, help="orders the lone baseline client places")
    parser.add_argument("--pg-url", default=PG_ADMIN, help="admin URL; a scratch database is made beside it")
    backends = parser.add_mutually_exclusive_group()
    backends.add_argument("--sqlite-only", action="store_true")
    backends.add_argument("--pg-only", action="store_true")
    args = parser.parse_args()
    os.environ["TELESALES_NOW"] = NOW
    settings = load_settings(timezone="Asia/Shanghai", cutoff_time="17:00")
    print(f"{os.cpu_count()} CPUs; {args.clients} clients x {args.orders} orders, each 3-8 lines")
    if not args.pg_only:
        with tempfile.TemporaryDirectory() as folder:
            run("sqlite", f"sqlite:///{Path(folder) / 'bench.db'}", args, settings)
    if args.sqlite_only:
        return
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    name = f"telesales_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run("postgresql", f"{args.pg_url.rsplit('/', 1)[0]}/{name}", args, settings)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
