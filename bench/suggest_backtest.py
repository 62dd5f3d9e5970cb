"""Back-test the suggestion on the large demo against naive baselines and forecasting libraries, in one run.

For every order a customer placed in the held-out weeks (4 by default, ending with the week given by --end,
else the last week of the history), each method suggests from what came before that order only (earlier
weeks, and earlier orders of the same week) and is compared with what was ordered, product by product.
Every method's numbers go through the same caps (that week's quota for the shop, less what it already ordered
that week) and whole cartons, and are scored by the same WAPE = sum |suggested - ordered| / sum ordered.

Methods, all in this run:
- ours: `orders.suggest.suggest`, the lines as the order taker sees them (substitutes and new products too);
- baselines: repeat the last order; the mean of the last 4 orders (whole cartons, and unrounded);
- peers (the `bench` extra, statsforecast): CrostonOptimized, CrostonSBA, TSB(0.1, 0.1), ADIDA, IMAPA and
  SES (alpha optimised) on each customer x product weekly series, zero-filled between orders, fitted once per
  held-out week on the weeks before it (StatsForecast over one long frame, n_jobs=1), forecast 1 week ahead.
  Each is scored as a weekly forecast ("weekly") and scaled by the weeks since the shop's last order
  ("x gap", what a skipped week asks for), each rounded to whole cartons or not, whichever scores better;
- the ablation: ours with each of its parts switched off in turn (`orders.suggest.PARTS`);
- a hindsight floor: the median of each product over all the shop's orders around the held-out weeks.

Throughput: the real console script, `telesales suggest --all --week DATE --json`, for the order day with
the most customers, start-up included. Goal: under 5 s for about 1,000 customers.

    .venv/bin/python bench/suggest_backtest.py [--seed 1] [--size large] [--end 2026-10-12] [--weeks 4]
        [--shops N] [--db URL] [--no-peers] [--no-ablation] [--no-throughput]

Without --db it builds (once per size and seed) the demo in /tmp/telesales-bench/, on the demo's day
2026-11-23; `--end 2026-10-12` holds out 21 September to 18 October 2026: the week before National Day, its
week, the week after (the wholesaler closed 1-7 October) and an ordinary week.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# this file is in bench/, beside bench/tui.py: keep the folder off the path so `import tui` finds the package
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

from sqlalchemy import Engine, func, select  # noqa: E402

from db.engine import make_engine  # noqa: E402
from db.migrate import ensure_current  # noqa: E402
from db.tables import CUSTOMER, HISTORY, QUOTA  # noqa: E402
from orders.clock import week_of  # noqa: E402
from orders.quotas import WeekLimits, load_week_limits  # noqa: E402
from orders.suggest import DEFAULT_PARTS, PARTS, ShopHistory, suggest  # noqa: E402
from orders.suggest_data import Customer as SuggestCustomer  # noqa: E402
from orders.suggest_data import load_catalog_items, load_peers, load_season, quota_caps  # noqa: E402
from tui.demo import SIZES, ensure_demo  # noqa: E402

CACHE = Path("/tmp/telesales-bench")
GENERATOR = "g19"  # bump when the demo generator changes, so an old demo file is not reused
NOW = "2026-11-23T09:00:00+08:00"
PEER_WEEKS = 52  # the peers see up to a year of weekly history

Pairs = list[tuple[dict[int, float], dict[int, int]]]


def demo_engine(seed: int = 1, size: str = "large") -> Engine:
    CACHE.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{CACHE / f'{size}-seed{seed}-{GENERATOR}.db'}"
    os.environ.setdefault("TELESALES_NOW", NOW)
    engine = make_engine(url)
    ensure_current(engine, auto_upgrade=True)
    from orders.settings import load_settings

    ensure_demo(engine, load_settings().zone, size=SIZES[size], seed=seed)
    return engine


def _wape(pairs: Pairs) -> float:
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


class Case:
    """One held-out order: what each method may know, and what was ordered."""

    __slots__ = ("already", "cap", "cid", "day", "gap", "ordered", "previous", "shop", "week")

    def __init__(self, cid: int, day: date, ordered: dict[int, int], shop: ShopHistory, previous: list[dict[int, int]]):
        self.cid = cid
        self.day = day
        self.week = week_of(day)
        self.ordered = ordered
        self.shop = shop
        self.previous = previous  # the shop's earlier orders, oldest first
        self.already = shop.this_week
        past = [w for w in shop.weeks if w < self.week]
        self.gap = min(4, (self.week - max(past)).days // 7) if past else 1
        self.cap: Callable[[int], int | None] = lambda _p: None


def _capped(case: Case, raw: dict[int, float], rounded: bool) -> dict[int, float]:
    out: dict[int, float] = {}
    for product, value in raw.items():
        qty = float(int(value + 0.5)) if rounded else value
        qty -= case.already.get(product, 0)
        cap = case.cap(product)
        if cap is not None:
            qty = min(qty, float(cap))
        if qty > 0:
            out[product] = qty
    return out


def _peers(
    cases: list[Case],
    series: dict[tuple[int, int], dict[date, int]],
    weeks: list[date],
) -> dict[str, list[dict[int, float]]]:
    """Each statsforecast model's one-week-ahead forecast per case, fitted once per held-out week."""
    import numpy as np
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import (
        ADIDA,
        IMAPA,
        TSB,
        CrostonOptimized,
        CrostonSBA,
        SimpleExponentialSmoothingOptimized,
    )

    models = [
        CrostonOptimized(),
        CrostonSBA(),
        TSB(alpha_d=0.1, alpha_p=0.1),
        ADIDA(),
        IMAPA(),
        SimpleExponentialSmoothingOptimized(alias="SES"),
    ]
    names = ["CrostonOptimized", "CrostonSBA", "TSB", "ADIDA", "IMAPA", "SES"]
    keys = sorted(series)
    first = weeks[0] - timedelta(weeks=PEER_WEEKS)
    span = [first + timedelta(weeks=k) for k in range(PEER_WEEKS + len(weeks))]
    column = {w: k for k, w in enumerate(span)}
    matrix = np.zeros((len(keys), len(span)), dtype=np.float64)
    for row, key in enumerate(keys):
        for week, qty in series[key].items():
            if week in column:
                matrix[row, column[week]] = qty
    forecasts: dict[date, dict[int, dict[int, dict[str, float]]]] = {}
    for k, week in enumerate(weeks):
        block = matrix[:, k : k + PEER_WEEKS]
        live = block.sum(axis=1) > 0  # a series with no order in the year forecasts 0 under every model
        ids = np.flatnonzero(live)
        frame = pd.DataFrame(
            {
                "unique_id": np.repeat(ids, PEER_WEEKS),
                "ds": np.tile(np.arange(PEER_WEEKS), len(ids)),
                "y": block[live].reshape(-1),
            }
        )
        started = time.perf_counter()
        out = StatsForecast(models=models, freq=1, n_jobs=1).forecast(df=frame, h=1)
        print(f"  peers fitted for {week}: {len(ids)} series in {time.perf_counter() - started:.0f} s", flush=True)
        by_cid: dict[int, dict[int, dict[str, float]]] = defaultdict(dict)
        values = {n: out[n].to_numpy() for n in names}
        for j, uid in enumerate(out["unique_id"].to_numpy()):
            cid, product = keys[int(uid)]
            by_cid[cid][product] = {n: float(values[n][j]) for n in names}
        forecasts[week] = by_cid
    result: dict[str, list[dict[int, float]]] = {n: [] for n in names}
    for case in cases:
        found = forecasts.get(case.week, {}).get(case.cid, {})
        for name in names:
            result[name].append({p: max(0.0, f[name]) for p, f in found.items()})
    return result


def _row(label: str, value: float, better: float, best_peer: float | None, note: str = "") -> str:
    peer = f"{value / best_peer:6.3f}" if best_peer else "     -"
    return f"{label:<34} {value:6.3f} {value / better:7.3f} {peer}  {note}"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", help="a database holding a demo (default: build one in /tmp)")
    parser.add_argument("--seed", type=int, default=1, help="the demo's seed (default 1)")
    parser.add_argument("--size", choices=sorted(SIZES), default="large", help="the demo's size (default large)")
    parser.add_argument("--end", type=date.fromisoformat, help="a day in the last held-out week (default: last)")
    parser.add_argument("--weeks", type=int, default=4, help="weeks held out")
    parser.add_argument("--shops", type=int, help="only a random sample of this many shops (faster)")
    parser.add_argument("--no-peers", action="store_true", help="skip the forecasting libraries")
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument("--no-throughput", action="store_true")
    args = parser.parse_args()
    engine = make_engine(args.db) if args.db else demo_engine(args.seed, args.size)
    os.environ.setdefault("TELESALES_NOW", NOW)

    t0 = time.perf_counter()
    orders: dict[int, dict[date, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    with engine.connect() as conn:
        last = conn.execute(select(func.max(HISTORY.c.order_date))).scalar_one()
        end_week = week_of(args.end) if args.end else week_of(last)
        holdout_start = end_week - timedelta(weeks=args.weeks - 1)
        holdout_end = end_week + timedelta(days=7)
        customers = {
            r.id: SuggestCustomer(r.id, r.code, r.name, r.tier, r.district, r.order_weekday, r.active)
            for r in conn.execute(select(CUSTOMER))
        }
        chosen = set(customers)
        if args.shops:
            chosen = set(random.Random(args.seed).sample(sorted(customers), min(args.shops, len(customers))))
        for cid, day, product, qty in conn.execute(
            select(HISTORY.c.customer_id, HISTORY.c.order_date, HISTORY.c.product_id, HISTORY.c.qty).where(
                HISTORY.c.order_date >= holdout_start - timedelta(weeks=70), HISTORY.c.order_date < holdout_end
            )
        ):
            if cid in chosen:
                orders[cid][day][product] = orders[cid][day].get(product, 0) + qty
        catalog = load_catalog_items(conn)
        season = load_season(conn, holdout_start)
        peers = load_peers(conn, list(customers.values()), holdout_start)
        held_weeks = [holdout_start + timedelta(weeks=k) for k in range(args.weeks)]
        limits: dict[date, WeekLimits] = {w: load_week_limits(conn, w) for w in held_weeks}
        caps = quota_caps(conn, holdout_start - timedelta(weeks=70), holdout_end)
        quota_weeks = conn.execute(
            select(func.count(func.distinct(QUOTA.c.week))).where(QUOTA.c.week.in_(held_weeks))
        ).scalar_one()
    load_seconds = time.perf_counter() - t0

    cases: list[Case] = []
    series: dict[tuple[int, int], dict[date, int]] = defaultdict(dict)
    for cid, by_day in orders.items():
        customer = customers[cid]
        days = sorted(by_day)
        for day in days:
            if day < holdout_start:
                for product, qty in by_day[day].items():
                    weekly = series[(cid, product)]
                    weekly[week_of(day)] = weekly.get(week_of(day), 0) + qty
        for i, day in enumerate(days):
            if day < holdout_start:
                continue
            week = week_of(day)
            shop = ShopHistory(cid, customer.code, customer.tier, customer.district)
            for earlier in days[:i]:
                target = shop.this_week if week_of(earlier) == week else shop.weeks.setdefault(week_of(earlier), {})
                for product, qty in by_day[earlier].items():
                    target[product] = target.get(product, 0) + qty
                if week_of(earlier) != week:
                    shop.days.setdefault(week_of(earlier), earlier)
            shop.caps = caps.get(customer.tier, {})
            case = Case(cid, day, by_day[day], shop, [by_day[d] for d in days[:i]])
            week_limits = limits[week]
            case.cap = lambda p, lim=week_limits, c=customer, s=shop: _cap(lim, c.id, c.tier, p, s)
            cases.append(case)
        # the held-out weeks' orders join the peers' series week by week (each fit sees only earlier weeks)
        for day in days:
            if day >= holdout_start:
                for product, qty in by_day[day].items():
                    s = series[(cid, product)]
                    s[week_of(day)] = s.get(week_of(day), 0) + qty

    def run_ours(parts: frozenset[str]) -> tuple[Pairs, float]:
        started = time.perf_counter()
        pairs: Pairs = []
        for case in cases:
            made = suggest(
                case.shop,
                case.week,
                catalog,
                limits=limits[case.week],
                season=season,
                peers=peers,
                order_day=case.day,
                parts=parts,
            )
            pairs.append(({line.product_id: float(line.qty) for line in made.lines}, case.ordered))
        return pairs, time.perf_counter() - started

    ours, ours_seconds = run_ours(DEFAULT_PARTS)
    repeat: Pairs = []
    mean4: Pairs = []
    mean4_raw: Pairs = []
    hindsight: Pairs = []
    floors: dict[int, dict[int, float]] = {}
    for case in cases:
        previous = case.previous[-4:]
        last_order = {p: float(q) for p, q in previous[-1].items()} if previous else {}
        repeat.append((_capped(case, last_order, True), case.ordered))
        sums: dict[int, int] = defaultdict(int)
        for earlier in previous:
            for product, qty in earlier.items():
                sums[product] += qty
        n = max(1, len(previous))
        mean4_raw.append((_capped(case, {p: q / n for p, q in sums.items()}, False), case.ordered))
        mean4.append((_capped(case, {p: q / n for p, q in sums.items()}, True), case.ordered))
        if case.cid not in floors:
            by_day = orders[case.cid]
            floors[case.cid] = _hindsight(by_day, sorted(by_day), holdout_start)
        hindsight.append((floors[case.cid], case.ordered))

    peer_rows: list[tuple[str, float, str]] = []
    peer_note = ""
    if not args.no_peers:
        try:
            import statsforecast
        except ImportError:
            peer_note = (
                "peers: statsforecast is not installed, so the forecasting libraries were not run "
                "(pip install -e '.[test,bench]')"
            )
        else:
            started = time.perf_counter()
            found = _peers(cases, series, held_weeks)
            peer_seconds = time.perf_counter() - started
            for name, forecasts in found.items():
                for scaled in (False, True):
                    best: tuple[float, str] | None = None
                    for rounded in (True, False):
                        pairs = [
                            (
                                _capped(case, {p: f * (case.gap if scaled else 1) for p, f in fc.items()}, rounded),
                                case.ordered,
                            )
                            for case, fc in zip(cases, forecasts, strict=True)
                        ]
                        wape = _wape(pairs)
                        if best is None or wape < best[0]:
                            best = (wape, "whole cartons" if rounded else "unrounded")
                    assert best is not None
                    peer_rows.append((f"{name} {'x gap' if scaled else 'weekly'}", best[0], best[1]))
            peer_note = f"peers: statsforecast {statsforecast.__version__}, fitted in {peer_seconds:.0f} s"
    else:
        peer_note = "peers: not run (--no-peers)"

    w_ours = _wape(ours)
    baselines = [
        ("repeat the last order", _wape(repeat), ""),
        ("mean of last 4, whole cartons", _wape(mean4), ""),
        ("mean of last 4, unrounded", _wape(mean4_raw), ""),
    ]
    better = min(w for _n, w, _x in baselines)
    best_peer = min((w for _n, w, _x in peer_rows), default=None)
    shops = len({c.cid for c in cases})
    lines = sum(len(c.ordered) for c in cases)
    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    print(
        f"held out: {args.weeks} weeks, {holdout_start} to {holdout_end - timedelta(days=1)}; "
        f"{len(cases)} orders, {lines} lines, {sum(sum(c.ordered.values()) for c in cases)} cartons, from {shops} "
        f"shops of {len(customers)}; quota rows for {quota_weeks} of the {args.weeks} weeks"
    )
    print(
        f"loading {load_seconds:.1f} s; ours: {len(cases)} suggestions in {ours_seconds:.1f} s "
        f"({ours_seconds / max(1, len(cases)) * 1e6:.0f} us each)"
    )
    print(peer_note)
    print(f"{'method':<34} {'WAPE':>6} {'/base':>7} {'/peer':>6}")
    print(_row("ours", w_ours, better, best_peer))
    for name, wape, note in baselines:
        print(_row(name, wape, better, best_peer, note))
    for name, wape, note in sorted(peer_rows, key=lambda r: r[1]):
        print(_row(name, wape, better, best_peer, note))
    print(_row("hindsight floor", _wape(hindsight), better, best_peer, "sees the held-out weeks"))
    verdict = "OK" if w_ours <= 0.8 * better and (best_peer is None or w_ours < best_peer) else "NOT MET"
    print(
        f"ours / better baseline {w_ours / better:.3f} (goal <= 0.80)"
        + (f", ours / best peer {w_ours / best_peer:.3f} (goal < 1)" if best_peer else "")
        + f": {verdict}"
    )

    if not args.no_ablation:
        print("ablation: ours without one part, or with one it leaves out (WAPE, and its change against ours)")
        for part, meaning in PARTS.items():
            used = part in DEFAULT_PARTS
            pairs, _s = run_ours(DEFAULT_PARTS - {part} if used else DEFAULT_PARTS | {part})
            wape = _wape(pairs)
            print(f"  {'-' if used else '+'} {part:<14} {wape:6.3f}  {wape - w_ours:+.3f}  ({meaning})")
        pairs, _s = run_ours(frozenset())
        print(f"  - {'all parts':<14} {_wape(pairs):6.3f}  {_wape(pairs) - w_ours:+.3f}  (the plain weighted median)")

    if not args.no_throughput:
        throughput(engine)
    return 0


def _cap(limits: WeekLimits, cid: int, tier: int, product: int, shop: ShopHistory) -> int | None:
    """The week's quota for the shop less what it already ordered that week (supply is not binding here)."""
    quota = limits.quota(cid, tier, product)
    if quota is None:
        return None
    return max(0, quota - shop.this_week.get(product, 0))


def throughput(engine: Engine) -> None:
    with engine.connect() as conn:
        weekday, count = conn.execute(
            select(CUSTOMER.c.order_weekday, func.count())
            .where(CUSTOMER.c.active.is_(True))
            .group_by(CUSTOMER.c.order_weekday)
            .order_by(func.count().desc())
        ).first() or (1, 0)
    day = week_of(date.fromisoformat(NOW[:10])) + timedelta(days=int(weekday) - 1)
    exe = Path(sys.executable).with_name("telesales")
    url = engine.url.render_as_string(hide_password=False)
    command = [str(exe), "--db", url, "suggest", "--all", "--week", day.isoformat(), "--day", day.isoformat()]
    runs = []
    lines = 0
    env: dict[str, Any] = {**os.environ, "TELESALES_NOW": NOW}
    cpu = []  # the child's own CPU time: what the run costs on a machine that others share
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        child = subprocess.run([*command, "--json"], capture_output=True, text=True, check=False, env=env)
        runs.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if child.returncode != 0:
            print(child.stderr, file=sys.stderr)
            return
        lines = len(child.stdout.splitlines())
    runs.sort()
    print(
        f"suggest --all --day {day} ({count} active customers that day, {lines} suggestions printed): "
        f"median {runs[1]:.2f} s, best {runs[0]:.2f} s, worst {runs[2]:.2f} s over 3 runs, start-up included "
        f"(goal < 5 s) {'OK' if runs[1] < 5 else 'TOO SLOW'}; CPU time median {sorted(cpu)[1]:.2f} s "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    sys.exit(main())
