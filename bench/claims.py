"""Many terminals working one day of the demo at once: one shop, one call, and nothing counted twice.

    .venv/bin/python -m bench.claims [--terminals N] [--shops N] [--alone N] [--size small|large] [--seed N]
                                     [--processes] [--think SECONDS] [--pg-url ADMIN_URL] [--sqlite-only|--pg-only]

Each terminal is a thread (or with `--processes` a process of its own, as in a centre) with its own order-taker
login (`orders.users.add_user`) and its own engine. It loops as an order taker does on `n`:
`orders.calls.claim_next` (team list) claims the next shop, then the call opens as `tui/screens/call.py` opens
it (`start_call`, `load_call_view` + `load_shop`, the script, the week's orders); for most shops (80 %) the
shop's last order from its history is placed through `orders.placement.place_order` (a line refused by quota or
supply is dropped and the rest placed again, as the order taker would offer), and `finish_call` records
`ordered`; the others are recorded `no_answer` or `refused`. The run stops when the day's list is done or
`--shops` shops have been claimed. The day is the demo's busiest order day (845 shops on the large demo).
PostgreSQL gets `--terminals` (default 50) on a scratch copy of a template database built once
(`telesales_bench_SIZE_seedN`), SQLite 5 on a copy of the file built once in /tmp/telesales-bench/ (the one
`bench/tui.py` uses).

Printed: shops claimed twice at once (two terminals' claims of one shop overlapping in time: must be 0),
orders counted twice (a shop with two placed orders for the week: must be 0), claim_next p50/p99, `n` to call
(what a terminal waits from `n` to its call's data read: the claim plus the call screen's first reads) p50/p99,
and shops per second. Baseline in the same run: one terminal alone for the first `--alone` shops (20), before
the others start; the ratio under load is printed beside it (p50 / p99).

By default the terminals are threads of one Python process with no pause between calls, sharing the machine's
cores with the database: under load the figures are then mostly waiting for the GIL and the CPU, not for locks.
`--processes` gives each terminal its own interpreter, and `--think S` a pause of about S seconds between
calls (a real terminal has its own PC and calls a shop every minute or two). Throughput is the figure to set
against a centre's need: 50 order takers at 80-150 shops a shift ask for well under 1 shop/s.

Measured on 2 cores (the large demo, seed 1; template and file already built), terminals as processes:
`.venv/bin/python -m bench.claims --pg-only --processes --shops 600` (PostgreSQL, 50 terminals, no pause):
claimed twice 0, counted twice 0; claim_next alone p50 34 ms, p99 61 ms; with 50 p50 2,002 ms, p99 3,670 ms
(58.7x / 59.8x); `n` to call alone p50 81 ms, p99 133 ms, with 50 p50 4,075 ms, p99 6,105 ms (50.3x / 45.8x);
580 shops, 479 orders in 61.1 s, 9.5 shops/s. The same with `--think 5` (50 terminals, each a call about
every 5 s, still some ten times a centre's pace; all 50 start with `n` at the same instant): claimed twice 0,
counted twice 0; claim_next with 50 p50 137 ms, p99 1,965 ms (3.3x / 38.2x); `n` to call p50 289 ms, p99
3,872 ms (3.0x / 31.3x); 7.8 shops/s. `.venv/bin/python -m bench.claims --sqlite-only --processes --shops 600`
(SQLite, 5 terminals): claimed twice 0, counted twice 0; claim_next alone p50 17 ms, p99 30 ms, with 5 p50
87 ms, p99 272 ms (5.1x / 8.9x); `n` to call alone p50 146 ms, p99 169 ms, with 5 p50 639 ms, p99 1,214 ms
(4.4x / 7.2x); 580 shops, 447 orders in 82.4 s, 7.0 shops/s. As threads of one process:
`.venv/bin/python -m bench.claims --pg-only --shops 600` (PostgreSQL, 50 terminals, 98 s): claimed twice 0,
counted twice 0; claim_next alone p50 36 ms, p99 67 ms; with 50 p50 2,700 ms, p99 10,212 ms (74.5x / 152.7x);
`n` to call alone p50 90 ms, p99 135 ms; with 50 p50 5,900 ms, p99 13,905 ms (65.4x / 102.8x); 580 shops, 476
orders in 89.3 s, 6.5 shops/s. `.venv/bin/python -m bench.claims --sqlite-only --shops 600` (SQLite, 5
terminals, 96 s): claimed twice 0, counted twice 0; claim_next alone p50 19 ms, p99 45 ms; with 5 p50 116 ms,
p99 413 ms (6.0x / 9.1x); `n` to call alone p50 170 ms, p99 240 ms; with 5 p50 578 ms, p99 2,059 ms (3.4x /
8.6x); 580 shops, 447 orders in 89.2 s, 6.5 shops/s. Before the claim was made lean (same machine, --shops 200
on PostgreSQL, 60 on SQLite): claim_next alone 105 ms (PostgreSQL) and 132 ms (SQLite); with 50 on PostgreSQL
p50 7,318 ms, p99 32,606 ms and a terminal timed out waiting for a connection; with 5 on SQLite p50 349 ms,
p99 757 ms.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import random
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ["TELESALES_NOW"] = "2026-11-23T09:00:00+08:00"  # before the clock is read; demos built at it

from sqlalchemy import Engine, create_engine, func, select, text
from sqlmodel import col

from db import migrate
from db.engine import make_engine
from db.models import Customer, HistoryLine, Order, Product
from orders.call_view import load_call_view
from orders.calls import claim_next, finish_call, start_call
from orders.clock import today, week_of
from orders.match_data import load_shop
from orders.placement import OrderRefused, orders_for_week, place_order
from orders.script_context import prepare_script
from orders.settings import Settings
from orders.suggest import Season
from orders.suggest_data import load_season
from orders.users import add_user
from scripts_lib.loader import ScriptLibrary
from tui.demo import SIZES, ensure_demo

ZONE = ZoneInfo("Asia/Shanghai")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CACHE = Path("/tmp/telesales-bench")  # SQLite demos shared with bench/tui.py and bench/suggest_backtest.py


@dataclass
class Tally:
    """What every terminal saw, shared under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    claims: list[tuple[int, str, float, float]] = field(default_factory=list)  # shop, who, held from, held to
    claim_ms: list[float] = field(default_factory=list)
    open_ms: list[float] = field(default_factory=list)  # `n` pressed -> the call screen's data read
    claimed: int = 0
    orders: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Shared:
    """What the app loads once per terminal rather than per call (`tui/app.py`: the season; the scripts)."""

    settings: Settings
    season: Season
    scripts: ScriptLibrary
    think: float = 0.0  # seconds a terminal talks between two calls (on average; 0: straight to the next `n`)


def busiest_day(engine: Engine) -> date:
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(Customer.order_weekday), func.count())
            .where(col(Customer.active).is_(True))
            .group_by(col(Customer.order_weekday))
        ).all()
    weekday = max(rows, key=lambda r: (r[1], -r[0]))[0]
    return date(2026, 11, 23) + timedelta(days=int(weekday) - 1)


def last_order(engine: Engine, customer_id: int) -> list[tuple[str, int]]:
    """The shop's most recent order from its history: what 「老样子」 puts in the draft."""
    with engine.connect() as conn:
        latest = conn.execute(
            select(func.max(col(HistoryLine.order_date))).where(col(HistoryLine.customer_id) == customer_id)
        ).scalar()
        if latest is None:
            return []
        rows = conn.execute(
            select(col(Product.code), func.sum(col(HistoryLine.qty)))
            .join(Product, col(Product.id) == col(HistoryLine.product_id))
            .where(col(HistoryLine.customer_id) == customer_id, col(HistoryLine.order_date) == latest)
            .group_by(col(Product.code))
        ).all()
    return [(code, int(qty)) for code, qty in rows]


def open_call(engine: Engine, shared: Shared, login: str) -> tuple[str, int, int, float, float, float] | None:
    """What a terminal waits for between pressing `n` and having its call open: the claim, then what
    `tui/screens/call.py` reads when it opens (`start_call`, `load_call_view` + `load_shop`, the script,
    the week's orders). The screen runs those reads in three workers at once; here they run one after the
    other, which under the GIL costs about the same. Returns (shop code, shop id, call id, claim s, open s,
    the moment the claim was won)."""
    settings = shared.settings
    t0 = time.perf_counter()
    entry = claim_next(engine, settings, login, team=True)
    claimed = time.perf_counter()
    if entry is None:
        return None
    call_id = start_call(engine, entry.customer, login, settings)
    load_call_view(engine, settings, entry.customer, season=shared.season, lang="zh")
    load_shop(engine, entry.customer)
    prepare_script(engine, shared.scripts, entry.customer, settings=settings, operator=login, lang="zh")
    orders_for_week(engine, entry.customer, today(settings.zone))
    opened = time.perf_counter()
    return entry.customer, entry.customer_id, call_id, claimed - t0, opened - t0, claimed


def terminal(
    url: str, shared: Shared, login: str, limit: int, tally: Tally, seed: int, reserve: Callable[[], bool] | None = None
) -> None:
    """One order taker's terminal: its own engine and connection pool, as each terminal of a centre has."""
    engine = make_engine(url)

    def reserve_here() -> bool:
        with tally.lock:
            if tally.claimed >= limit:
                return False
            tally.claimed += 1  # reserved before claiming, so `--shops` caps what is claimed, not overshoots
            return True

    try:
        work(engine, shared, login, reserve or reserve_here, tally, seed)
    finally:
        engine.dispose()


def terminal_process(url: str, shared: Shared, login: str, limit: int, seed: int, claimed: Any, out: Any) -> None:
    """A terminal as a process of its own (`--processes`), as in a centre: no interpreter lock shared with
    the other terminals. The cap on shops is a counter shared by all; the figures go back through `out`."""

    def reserve() -> bool:
        with claimed.get_lock():
            if claimed.value >= limit:
                return False
            claimed.value += 1
            return True

    tally = Tally()
    terminal(url, shared, login, limit, tally, seed, reserve)
    out.put((tally.claims, tally.claim_ms, tally.open_ms, tally.orders, tally.errors))


def work(engine: Engine, shared: Shared, login: str, reserve: Callable[[], bool], tally: Tally, seed: int) -> None:
    settings = shared.settings
    rng = random.Random(seed)
    while True:
        if not reserve():
            return
        try:
            opened = open_call(engine, shared, login)
        except Exception as exc:  # a bench reports what broke and goes on, rather than hiding the other figures
            with tally.lock:
                tally.errors.append(f"{login} open: {type(exc).__name__}: {exc}")
            continue
        if opened is None:
            return
        code, customer_id, call_id, claim_s, open_s, held_from = opened
        with tally.lock:
            tally.claim_ms.append(claim_s * 1000)
            tally.open_ms.append(open_s * 1000)
        try:
            roll = rng.random()
            if roll < 0.8:
                lines = last_order(engine, customer_id) or [("", 0)]
                placed = False
                while lines and lines[0][0]:
                    try:
                        place_order(engine, settings, code, lines, operator=login, call_id=call_id)
                        placed = True
                        break
                    except OrderRefused as exc:
                        bad = {p.code for p in exc.lines}
                        lines = [line for line in lines if line[0] not in bad]
                outcome = "ordered" if placed else "refused"
                with tally.lock:
                    tally.orders += int(placed)
            else:
                outcome = "no_answer" if roll < 0.93 else "refused"
            held_to = time.perf_counter()
            finish_call(engine, settings, call_id, outcome)
        except Exception as exc:
            with tally.lock:
                tally.errors.append(f"{login} {code}: {type(exc).__name__}: {exc}")
            continue
        with tally.lock:
            tally.claims.append((customer_id, login, held_from, held_to))
        if shared.think:
            time.sleep(rng.uniform(0.5, 1.5) * shared.think)


def overlaps(claims: list[tuple[int, str, float, float]]) -> int:
    """Pairs of claims of one shop by two terminals whose holding times overlap."""
    by_shop: dict[int, list[tuple[float, float, str]]] = {}
    for shop, who, start, end in claims:
        by_shop.setdefault(shop, []).append((start, end, who))
    found = 0
    for spans in by_shop.values():
        spans.sort()
        for (_s1, e1, w1), (s2, _e2, w2) in itertools.pairwise(spans):
            if w1 != w2 and s2 < e1:
                found += 1
    return found


def double_orders(engine: Engine, day: date) -> int:
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(Order.customer_id))
            .where(col(Order.week) == week_of(day), col(Order.status) == "placed")
            .group_by(col(Order.customer_id))
            .having(func.count() > 1)
        ).all()
    return len(rows)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def sqlite_demo(size: str, seed: int) -> Path:
    """The demo as a SQLite file, built once into /tmp/telesales-bench/ (the large seed-1 file is the one
    `bench/tui.py` and `bench/suggest_backtest.py` build and use), and copied for every run: a run places
    orders, and the next must start from the same day."""
    CACHE.mkdir(parents=True, exist_ok=True)
    source = CACHE / f"{size}-seed{seed}.db"
    engine = make_engine(f"sqlite:///{source}")
    migrate.upgrade(engine)
    ensure_demo(engine, ZONE, size=SIZES[size], seed=seed)
    engine.dispose()  # checkpoints the WAL, so the file alone is the whole database
    copy = Path(tempfile.mkdtemp(prefix="telesales-bench-claims-")) / source.name
    shutil.copyfile(source, copy)
    return copy


def pg_demo(admin_url: str, size: str, seed: int) -> str:
    """A scratch PostgreSQL database holding the demo: copied (CREATE DATABASE … TEMPLATE) from one built once
    and kept beside it (`telesales_bench_SIZE_seedN`), since building the large demo takes minutes. Returns
    the scratch database's name; the caller drops it."""
    template = f"telesales_bench_{size}_seed{seed}"
    base = admin_url.rsplit("/", 1)[0]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": template}).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{template}"'))
        built = make_engine(f"{base}/{template}")
        migrate.upgrade(built)
        ensure_demo(built, ZONE, size=SIZES[size], seed=seed)
        built.dispose()  # a template must have no connection while it is copied
        name = f"bench_claims_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        admin.dispose()
    return name


def figures(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5):.0f} ms, p99 {percentile(values, 0.99):.0f} ms"


def ratio(loaded: list[float], alone: list[float], q: float) -> str:
    base = percentile(alone, q)
    return f"{percentile(loaded, q) / base:.1f}x" if base > 0 else "n/a"


def run(
    label: str,
    url: str,
    terminals: int,
    shops: int,
    size: str,
    seed: int,
    alone_shops: int,
    processes: bool = False,
    think: float = 0.0,
) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)  # the cached demo may predate the newest migration
    day = busiest_day(engine)
    os.environ["TELESALES_NOW"] = datetime(day.year, day.month, day.day, 9, 0, tzinfo=ZONE).isoformat()
    settings = Settings(timezone="Asia/Shanghai")
    with engine.connect() as conn:
        season = load_season(conn, week_of(day))
    shared = Shared(settings, season, ScriptLibrary(settings.scripts_dir), think)
    logins = [f"bench{i:02d}" for i in range(terminals)]
    for login in logins:
        add_user(engine, login, f"终端{login[-2:]}", "order_taker", "0000")
    engine.pool.dispose()
    before = double_orders(engine, day)  # the demo's own history of this week, not the terminals' doing
    # Baseline: one terminal alone for a few shops, so contention's cost is visible beside it.
    alone = Tally()
    terminal(url, shared, logins[0], alone_shops, alone, seed)
    tally = Tally(claimed=alone.claimed)
    start = time.perf_counter()
    if processes:
        context = multiprocessing.get_context("fork")  # the demo's season and scripts are inherited, not rebuilt
        counter = context.Value("i", alone.claimed)
        out = context.Queue()
        procs = [
            context.Process(target=terminal_process, args=(url, shared, login, shops, seed + n, counter, out))
            for n, login in enumerate(logins)
        ]
        for proc in procs:
            proc.start()
        for _ in procs:
            claims, claim_ms, open_ms, orders, errors = out.get()
            tally.claims += claims
            tally.claim_ms += claim_ms
            tally.open_ms += open_ms
            tally.orders += orders
            tally.errors += errors
        for proc in procs:
            proc.join()
    else:
        threads = [
            threading.Thread(target=terminal, args=(url, shared, login, shops, tally, seed + n))
            for n, login in enumerate(logins)
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    wall = time.perf_counter() - start
    worked = len(tally.claims)
    kind = "processes" if processes else "threads of one process"
    paced = f", {think:g} s between calls" if think else ", no pause between calls"
    print(f"{label}: {terminals} terminals ({kind}{paced}), {size} demo, day {day}, {shops} shops claimed at most")
    print(f"  shops claimed twice at once: {overlaps(alone.claims + tally.claims)}")
    print(
        f"  orders counted twice (a shop with two orders this week): {double_orders(engine, day) - before}"
        f" (the demo itself had {before})"
    )
    print(f"  claim_next    alone ({len(alone.claim_ms)} shops): {figures(alone.claim_ms)}")
    print(
        f"                with {terminals}: {figures(tally.claim_ms)}"
        f" ({ratio(tally.claim_ms, alone.claim_ms, 0.5)} / {ratio(tally.claim_ms, alone.claim_ms, 0.99)})"
    )
    print(f"  n to call     alone: {figures(alone.open_ms)}")
    print(
        f"                with {terminals}: {figures(tally.open_ms)}"
        f" ({ratio(tally.open_ms, alone.open_ms, 0.5)} / {ratio(tally.open_ms, alone.open_ms, 0.99)})"
    )
    print(f"  {worked} shops worked, {tally.orders} orders in {wall:.1f} s: {worked / wall:.1f} shops/s")
    if tally.errors or alone.errors:
        errors = alone.errors + tally.errors
        print(f"  errors: {len(errors)}, first: {errors[0]}")
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, help="default 50 on PostgreSQL, 5 on SQLite")
    parser.add_argument("--shops", type=int, default=300, help="stop after this many shops claimed")
    parser.add_argument("--alone", type=int, default=20, help="shops the lone terminal works first (the baseline)")
    parser.add_argument("--size", choices=sorted(SIZES), default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--think", type=float, default=0.0, help="seconds between a terminal's calls (default 0)")
    parser.add_argument(
        "--processes", action="store_true", help="each terminal a process of its own (default: threads of one)"
    )
    parser.add_argument("--pg-url", default=PG_ADMIN, help="an admin URL; a scratch database is made beside it")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--sqlite-only", action="store_true")
    only.add_argument("--pg-only", action="store_true")
    args = parser.parse_args()
    if not args.pg_only:
        copy = sqlite_demo(args.size, args.seed)
        try:
            run(
                "SQLite",
                f"sqlite:///{copy}",
                args.terminals or 5,
                args.shops,
                args.size,
                args.seed,
                args.alone,
                args.processes,
                args.think,
            )
        finally:
            shutil.rmtree(copy.parent, ignore_errors=True)
    if not args.sqlite_only:
        name = pg_demo(args.pg_url, args.size, args.seed)
        try:
            url = args.pg_url.rsplit("/", 1)[0] + f"/{name}"
            run(
                "PostgreSQL",
                url,
                args.terminals or 50,
                args.shops,
                args.size,
                args.seed,
                args.alone,
                args.processes,
                args.think,
            )
        finally:
            admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
