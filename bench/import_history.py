"""How close `telesales import history` gets to the bare database driver, on SQLite and PostgreSQL, and how
much memory it needs.

Usage: .venv/bin/python bench/import_history.py [--rows N] [--sqlite-only]

Ours: the whole `import_file(kind="history")` call (read and decode the file, parse, validate every row, look
up codes, write, audit row, commit), once into an empty table (first import) and once more with the same file
(every row an update: the re-import path). Each runs in a subprocess of its own, which reports its time and its
peak resident set size (VmHWM), so every memory figure is that run's own peak and not the largest of
everything before it; "idle" is the peak of a subprocess that only imports the same modules and
opens the database, for scale.
Baseline: the same rows, already resolved to ids and held in memory, written by the bare driver with no
validation (sqlite3 `executemany` INSERT; psycopg `COPY ... FROM STDIN` with `write_row`), into an empty,
migrated table, committed. The baseline does not read the file at all, so the ratio is a conservative one.
Every measurement gets a fresh database with the customers and catalog imported through the normal path.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from db import migrate
from db.csv_import import import_file
from db.engine import make_engine

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CUSTOMERS = 2_000
PRODUCTS = 100
PER_ORDER = 50  # products per past order
AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def generate(folder: Path, rows: int) -> tuple[Path, Path, Path]:
    """Customers, catalog and a history with unique (customer, date, product) keys: each customer orders
    PER_ORDER of the PRODUCTS every week, going back as many weeks as `rows` needs."""
    rng = random.Random(7)
    customers = folder / "customers.csv"
    with customers.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name", "tier", "order_weekday"])
        for i in range(CUSTOMERS):
            w.writerow([f"C{i:06d}", f"零售户{i}", rng.randint(1, 30), rng.randint(1, 6)])
    catalog = folder / "catalog.csv"
    with catalog.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name", "price_per_carton"])
        for j in range(PRODUCTS):
            w.writerow([f"P{j:04d}", f"品规{j}", f"{rng.randint(8000, 60000) / 100:.2f}"])
    history = folder / "history.csv"
    start = date(2026, 11, 16)
    written = 0
    week = 0
    with history.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_code", "order_date", "product_code", "qty"])
        while written < rows:
            day = start - timedelta(weeks=week)
            for i in range(CUSTOMERS):
                picks = rng.sample(range(PRODUCTS), PER_ORDER)
                d = (day + timedelta(days=i % 6)).isoformat()
                for j in picks:
                    w.writerow([f"C{i:06d}", d, f"P{j:04d}", rng.randint(1, 20)])
                    written += 1
                    if written == rows:
                        break
                if written == rows:
                    break
            week += 1
    return customers, catalog, history


def resolved_rows(url: str, history: Path) -> list[tuple[int, str, int, int]]:
    """The history as (customer_id, date, product_id, qty) tuples, for the bare-driver baseline (untimed)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        cust = dict(conn.execute(text("SELECT code, id FROM customer")).all())
        prod = dict(conn.execute(text("SELECT code, id FROM product")).all())
    engine.dispose()
    with history.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        return [(cust[c], d, prod[p], int(q)) for c, d, p, q in reader]


def prepared_db(make_url: Callable[[], str], customers: Path, catalog: Path) -> str:
    url = make_url()
    engine = make_engine(url)
    migrate.upgrade(engine)
    import_file(engine, "customers", customers, at=AT, actor="bench")
    import_file(engine, "catalog", catalog, at=AT, actor="bench")
    engine.dispose()
    return url


def child(url: str, history: str, mode: str) -> None:
    """In the subprocess: one import ("first": every row new; "again": every row an update) or nothing
    ("idle"), then its seconds and peak RSS in MB as one JSON line."""
    engine = make_engine(url)
    with engine.connect():
        pass
    seconds = 0.0
    if mode != "idle":
        t0 = time.perf_counter()
        result = import_file(engine, "history", history, at=AT, actor="bench")
        seconds = time.perf_counter() - t0
        assert result.new == (result.rows if mode == "first" else 0), result
    engine.dispose()
    print(json.dumps({"seconds": seconds, "peak_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's own peak RSS. VmHWM, the high-water mark of its current address space, where Linux has it:
    ru_maxrss also counts the address space it replaced at exec, i.e. the parent's RSS at the moment of spawning
    (the parent holds the baseline's rows, hundreds of MB, by the time the PostgreSQL runs start)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux, bytes on macOS


def ours(url: str, history: Path, mode: str) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one import run in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, str(history), mode],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return float(got["seconds"]), float(got["peak_mb"])


def sqlite_baseline(path: str, rows: list[tuple[int, str, int, int]]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO history_line (customer_id, order_date, product_id, qty) VALUES (?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def pg_baseline(url: str, rows: list[tuple[int, str, int, int]]) -> float:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        t0 = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY history_line (customer_id, order_date, product_id, qty) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - t0


class PgDatabases:
    """Uniquely named scratch databases on the local server, all dropped at the end."""

    def __init__(self) -> None:
        self.admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def new(self) -> str:
        name = f"telesales_bench_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return PG_ADMIN.rsplit("/", 1)[0] + "/" + name

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("URL", "FILE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    results: list[tuple[str, str, float, float | None]] = []
    with tempfile.TemporaryDirectory(prefix="telesales_bench_") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        customers, catalog, history = generate(folder, args.rows)
        size = history.stat().st_size / 1e6
        print(f"generated {args.rows:,} history rows ({size:.1f} MB) in {time.perf_counter() - t0:.1f}s", flush=True)

        n = 0

        def sqlite_url() -> str:
            nonlocal n
            n += 1
            return f"sqlite:///{folder / f'bench{n}.db'}"

        def measure(backend: str, url: str) -> None:
            idle = ours(url, history, "idle")[1]
            first = ours(url, history, "first")
            again = ours(url, history, "again")
            results.append((backend, "ours: first import", *first))
            results.append((backend, "ours: re-import (all updates)", *again))
            print(f"{backend}: ours done (idle process peak {idle:.0f} MB)", flush=True)

        measure("sqlite", prepared_db(sqlite_url, customers, catalog))
        url = prepared_db(sqlite_url, customers, catalog)
        rows = resolved_rows(url, history)
        base = sqlite_baseline(url.removeprefix("sqlite:///"), rows)
        del rows
        results.append(("sqlite", "baseline: sqlite3 executemany", base, None))
        print("sqlite done", flush=True)

        if not args.sqlite_only:
            pg = PgDatabases()
            try:
                measure("postgresql", prepared_db(pg.new, customers, catalog))
                url = prepared_db(pg.new, customers, catalog)
                rows = resolved_rows(url, history)
                results.append(("postgresql", "baseline: psycopg COPY", pg_baseline(url, rows), None))
                del rows
            finally:
                pg.drop_all()

    print()
    head = f"{'backend':<11} {'path':<32} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'ours/baseline':>14}"
    print(f"{head} {'peak RSS MB':>12}")
    for backend, path, seconds, peak in results:
        base = next(s for b, p, s, _ in results if b == backend and p.startswith("baseline"))
        ratio = "" if path.startswith("baseline") else f"{base / seconds:.2f}"
        rate = args.rows / seconds
        shown = "" if peak is None else f"{peak:.0f}"
        print(f"{backend:<11} {path:<32} {args.rows:>10,} {seconds:>8.2f} {rate:>10,.0f} {ratio:>14} {shown:>12}")
    print("\nratio = baseline seconds / our seconds (rows/s ours ÷ rows/s baseline); goal >= 0.5")
    print("peak RSS = the import subprocess's own peak (VmHWM); goal < 300 MB at 6,000,000 rows")


if __name__ == "__main__":
    main()
