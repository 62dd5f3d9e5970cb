"""Back-test the suggestion on the large demo, and time `suggest --all` for one day's customers.

For every order a customer placed in the last four weeks of the history, the suggestion is made only from
what came before that order (earlier weeks, and earlier orders of the same week) and compared with what was
ordered, product by product. Reported as WAPE = sum |suggested - ordered| / sum ordered, for the method in
`orders/suggest.py` and, in the same run, for two baselines: "repeat the last order" and "mean of the last 4
orders" (per product, 0 where absent; rounded to whole cartons, and unrounded). Goal: WAPE <= 0.8 x the
better baseline.

Throughput: the real console script, `telesales suggest --all --day DATE --json`, for the order day with the
most customers, start-up included. Goal: under 5 s for about 1,000 customers.

    .venv/bin/python bench/suggest_backtest.py [--db URL] [--weeks 4] [--no-throughput]

Without --db it builds (once) the large demo, seed 1, in /tmp/telesales-bench/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from db.engine import make_engine
from db.migrate import ensure_current
from db.tables import CUSTOMER, HISTORY
from orders.clock import week_of
from orders.quotas import load_week_limits
from orders.suggest import ShopHistory, suggest
from orders.suggest_data import Customer as SuggestCustomer
from orders.suggest_data import load_catalog_items, load_peers, load_season
from tui.demo import SIZES, ensure_demo

CACHE = Path("/tmp/telesales-bench")
NOW = "2026-11-23T09:00:00+08:00"


def demo_engine() -> Engine:
    CACHE.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{CACHE / 'large-seed1.db'}"
    os.environ.setdefault("TELESALES_NOW", NOW)
    engine = make_engine(url)
    ensure_current(engine, auto_upgrade=True)
    from orders.settings import load_settings

    ensure_demo(engine, load_settings().zone, size=SIZES["large"], seed=1)
    return engine


def _wape(pairs: list[tuple[dict[int, float], dict[int, int]]]) -> float:
    err = 0.0
    total = 0
    for suggested, ordered in pairs:
        for product in suggested.keys() | ordered.keys():
            err += abs(suggested.get(product, 0) - ordered.get(product, 0))
        total += sum(ordered.values())
    return err / total


def _hindsight(by_day: dict[date, dict[int, int]], days: list[date], holdout_start: date) -> dict[int, float]:
    """Per product, the median over ALL of the shop's orders in the window, held-out ones included: the best
    constant a method could suggest if it knew the future. It measures the noise no method can remove."""
    window = [d for d in days if d >= holdout_start - timedelta(weeks=26)]
    products = {p for d in window for p in by_day[d]}
    out: dict[int, float] = {}
    for product in products:
        values = sorted(by_day[d].get(product, 0) for d in window)
        middle = values[len(values) // 2]
        if middle:
            out[product] = float(middle)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a database holding the large demo (default: build one in /tmp)")
    parser.add_argument("--weeks", type=int, default=4, help="weeks held out")
    parser.add_argument("--no-throughput", action="store_true")
    args = parser.parse_args()
    engine = make_engine(args.db) if args.db else demo_engine()

    t0 = time.perf_counter()
    orders: dict[int, dict[date, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    with engine.connect() as conn:
        last = conn.execute(select(func.max(HISTORY.c.order_date))).scalar_one()
        holdout_start = week_of(last) - timedelta(weeks=args.weeks - 1)
        for cid, day, product, qty in conn.execute(
            select(HISTORY.c.customer_id, HISTORY.c.order_date, HISTORY.c.product_id, HISTORY.c.qty).where(
                HISTORY.c.order_date >= holdout_start - timedelta(weeks=30)
            )
        ):
            orders[cid][day][product] = qty
        customers = {
            r.id: SuggestCustomer(r.id, r.code, r.name, r.tier, r.district, r.order_weekday, r.active)
            for r in conn.execute(select(CUSTOMER))
        }
        catalog = load_catalog_items(conn)
        season = load_season(conn, holdout_start)
        peers = load_peers(conn, list(customers.values()), holdout_start)
        limits = {
            holdout_start + timedelta(weeks=k): load_week_limits(conn, holdout_start + timedelta(weeks=k))
            for k in range(args.weeks)
        }
    load_seconds = time.perf_counter() - t0

    ours: list[tuple[dict[int, float], dict[int, int]]] = []
    repeat: list[tuple[dict[int, float], dict[int, int]]] = []
    mean4: list[tuple[dict[int, float], dict[int, int]]] = []
    mean4_raw: list[tuple[dict[int, float], dict[int, int]]] = []
    hindsight: list[tuple[dict[int, float], dict[int, int]]] = []
    t1 = time.perf_counter()
    for cid, by_day in orders.items():
        customer = customers[cid]
        days = sorted(by_day)
        floor = _hindsight(by_day, days, holdout_start)
        for i, day in enumerate(days):
            if day < holdout_start:
                continue
            ordered = by_day[day]
            week = week_of(day)
            shop = ShopHistory(cid, customer.code, customer.tier, customer.district)
            for earlier in days[:i]:
                target = shop.this_week if week_of(earlier) == week else shop.weeks.setdefault(week_of(earlier), {})
                for product, qty in by_day[earlier].items():
                    target[product] = target.get(product, 0) + qty
            made = suggest(shop, week, catalog, limits=limits[week], season=season, peers=peers, order_day=day)
            ours.append(({line.product_id: line.qty for line in made.lines}, ordered))
            previous = days[max(0, i - 4) : i]
            repeat.append(({p: float(q) for p, q in by_day[previous[-1]].items()} if previous else {}, ordered))
            sums: dict[int, int] = defaultdict(int)
            for earlier in previous:
                for product, qty in by_day[earlier].items():
                    sums[product] += qty
            n = max(1, len(previous))
            mean4_raw.append(({p: q / n for p, q in sums.items()}, ordered))
            mean4.append(({p: float(int(q / n + 0.5)) for p, q in sums.items()}, ordered))
            hindsight.append((floor, ordered))
    compute_seconds = time.perf_counter() - t1

    w_ours, w_repeat, w_mean4, w_mean4_raw = _wape(ours), _wape(repeat), _wape(mean4), _wape(mean4_raw)
    w_floor = _wape(hindsight)
    better = min(w_repeat, w_mean4, w_mean4_raw)
    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    print(
        f"held out: {args.weeks} weeks from {holdout_start} to {week_of(last) + timedelta(days=6)}; "
        f"{len(ours)} orders from {len({c for c, d in orders.items() if max(d) >= holdout_start})} customers, "
        f"{sum(sum(o.values()) for _s, o in ours)} cartons ordered"
    )
    print(
        f"loading {load_seconds:.1f} s, {len(ours)} suggestions in {compute_seconds:.1f} s "
        f"({compute_seconds / max(1, len(ours)) * 1e6:.0f} us each)"
    )
    print(f"WAPE ours:                        {w_ours:.3f}")
    print(f"WAPE repeat the last order:       {w_repeat:.3f}")
    print(f"WAPE mean of last 4, whole cartons: {w_mean4:.3f}")
    print(f"WAPE mean of last 4, unrounded:   {w_mean4_raw:.3f}")
    print(
        f"WAPE hindsight floor:             {w_floor:.3f}   (ratio {w_floor / better:.3f}; sees the held-out "
        "weeks, so no method can do much better on this data)"
    )
    print(
        f"ratio ours / better baseline:     {w_ours / better:.3f}   (goal <= 0.8) "
        f"{'OK' if w_ours <= 0.8 * better else 'NOT MET'}"
    )

    if not args.no_throughput:
        with engine.connect() as conn:
            weekday, count = conn.execute(
                select(CUSTOMER.c.order_weekday, func.count())
                .where(CUSTOMER.c.active.is_(True))
                .group_by(CUSTOMER.c.order_weekday)
                .order_by(func.count().desc())
            ).first() or (1, 0)
        day = week_of(date.fromisoformat(NOW[:10])) + timedelta(days=int(weekday) - 1)
        exe = Path(sys.executable).with_name("telesales")
        command = [
            str(exe),
            "--db",
            engine.url.render_as_string(hide_password=False),
            "suggest",
            "--all",
            "--week",
            day.isoformat(),
            "--day",
            day.isoformat(),
            "--json",
        ]
        runs = []
        lines = 0
        for _ in range(3):
            start = time.perf_counter()
            child = subprocess.run(
                command, capture_output=True, text=True, check=False, env={**os.environ, "TELESALES_NOW": NOW}
            )
            runs.append(time.perf_counter() - start)
            if child.returncode != 0:
                print(child.stderr, file=sys.stderr)
                return 1
            lines = len(child.stdout.splitlines())
        runs.sort()
        print(
            f"suggest --all --day {day} ({count} active customers that day, {lines} suggestions printed): "
            f"median {runs[1]:.2f} s, best {runs[0]:.2f} s, worst {runs[2]:.2f} s over 3 runs "
            f"(goal < 5 s) {'OK' if runs[1] < 5 else 'TOO SLOW'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
