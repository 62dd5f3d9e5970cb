"""Forty terminals place orders for the same tight brand at the same instant, on SQLite and on PostgreSQL.

Each terminal is a forked process running `telesales order place` in-process (fork after imports: forty fresh
interpreters would take longer on two cores than the race itself), with its own engine, all released together
by a barrier. Twenty shops each try twice for 2 cartons against a quota of 3 and a week's supply of 30: exactly
fifteen orders can succeed, and every other attempt must be a clean refusal (exit 3) that left nothing behind.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import queue
import time
import traceback
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text

import tui.cli.order_cmds  # noqa: F401  (registers `order` until tui/cli/__init__.py imports it)
from db.csv_import import import_file
from db.models import User
from orders.clock import now
from orders.users import hash_pin
from tests.conftest import run_cli

PROCESSES = 40
SHOPS = 20
QUOTA = 3
SUPPLY = 30
EACH = 2  # cartons of the tight brand per order: two orders (4) break the quota of 3


def _terminal(index: int, argv: list[str], start: Barrier, results: Any) -> None:
    """One terminal: wait for the starting gun, place the order, report the exit code and output."""
    try:
        start.wait(timeout=120)
        result = run_cli(*argv)
        results.put((index, result.exit_code, result.stdout, result.stderr))
    except BaseException:
        results.put((index, -1, "", traceback.format_exc()))


def race(engine: Engine, argvs: list[list[str]]) -> list[tuple[int, int, str, str]]:
    """Run every argv in its own forked process at once; return (index, exit code, stdout, stderr) for each."""
    engine.dispose()  # no pooled connection may be inherited across fork
    ctx = mp.get_context("fork")
    start = ctx.Barrier(len(argvs) + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=_terminal, args=(i, argv, start, results)) for i, argv in enumerate(argvs)]
    for proc in procs:
        proc.start()
    start.wait(timeout=120)
    out: list[tuple[int, int, str, str]] = []
    try:
        for _ in argvs:
            out.append(results.get(timeout=120))
    except queue.Empty:
        pytest.fail(f"only {len(out)} of {len(argvs)} terminals answered within 120 s")
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    return sorted(out)


@pytest.fixture
def tight(engine: Engine, tmp_path: Path) -> Engine:
    files = {
        "catalog": "code,name,price_per_carton\nT,中华(软),583.50\nN,红塔山(软),95.00\n",
        "customers": "code,name,tier,order_weekday\n"
        + "".join(f"S{i:02d},零售户{i},{1 + i % 30},1\n" for i in range(SHOPS)),
        "quotas": f"week,product_code,tier_from,tier_to,max_qty\n2026-11-23,T,1,30,{QUOTA}\n",
        "supply": f"week,product_code,total_qty\n2026-11-23,T,{SUPPLY}\n",
    }
    for kind, content in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        import_file(engine, kind, path, at=now(), actor="test")
    # one login per terminal (`--operator` must be a known login); one hash for all, scrypt is slow
    pin_hash = hash_pin("0000")
    with engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {"login": f"t{i}", "name": f"终端{i}", "role": "order_taker", "pin_hash": pin_hash, "created_at": now()}
                for i in range(PROCESSES)
            ],
        )
    return engine


def test_forty_terminals_never_break_quota_or_supply(tight: Engine) -> None:
    url = tight.url.render_as_string(hide_password=False)
    argvs = [
        ["--db", url, "order", "place", f"S{i % SHOPS:02d}", f"T={EACH}", "N=1", "--operator", f"t{i}", "--json"]
        for i in range(PROCESSES)
    ]
    began = time.perf_counter()
    results = race(tight, argvs)
    elapsed = time.perf_counter() - began

    assert len(results) == PROCESSES
    crashed = [(i, err) for i, code, _, err in results if code not in (0, 3)]
    assert not crashed, crashed
    for _, code, stdout, stderr in results:
        assert "Traceback" not in stderr
        if code == 3:  # a clean refusal: the contract's JSON naming the tight line and why
            refusal = json.loads(stdout)
            assert refusal["error"] in ("quota_exceeded", "supply_exhausted")
            assert {ln["code"] for ln in refusal["lines"]} == {"T"}
    placed = [json.loads(stdout) for _, code, stdout, _ in results if code == 0]
    # each shop's first order fits its quota; only the supply stops them: exactly SUPPLY / EACH succeed
    assert len(placed) == SUPPLY // EACH, f"{len(placed)} placed in {elapsed:.1f} s"

    with tight.connect() as conn:
        per_shop = dict(
            conn.execute(
                text(
                    "SELECT c.code, SUM(l.qty) FROM order_line l JOIN customer_order o ON o.id = l.order_id "
                    "JOIN customer c ON c.id = o.customer_id JOIN product p ON p.id = l.product_id "
                    "WHERE p.code = 'T' AND o.status = 'placed' GROUP BY c.code"
                )
            ).all()
        )
        counters = dict(
            conn.execute(
                text(
                    "SELECT c.code, u.used_qty FROM quota_usage u JOIN customer c ON c.id = u.customer_id "
                    "JOIN product p ON p.id = u.product_id WHERE p.code = 'T' AND u.used_qty > 0"
                )
            ).all()
        )
        supply_used = conn.execute(
            text("SELECT u.used_qty FROM supply_usage u JOIN product p ON p.id = u.product_id WHERE p.code = 'T'")
        ).scalar()
        orders = conn.execute(text("SELECT COUNT(*) FROM customer_order")).scalar()
        audits = conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'order_placed'")).scalar()
    assert sum(per_shop.values()) == SUPPLY == supply_used  # never more than the week's supply, none lost
    assert max(per_shop.values()) <= QUOTA  # no shop over its quota
    assert counters == per_shop  # the counters agree with the orders
    assert orders == audits == len(placed)  # a refused order left no row behind
    assert {p["customer"] for p in placed} == set(per_shop)


def test_cancels_racing_placements_keep_the_counters_true(tight: Engine) -> None:
    """Half the shops cancel their order while forty other attempts place: cartons given back may be taken again
    at once, but the week's total and every quota still hold, and the counters match the orders."""
    from orders.placement import place_order
    from orders.settings import load_settings

    settings = load_settings()
    first = [place_order(tight, settings, f"S{i:02d}", [("T", EACH)], operator="early") for i in range(10)]
    url = tight.url.render_as_string(hide_password=False)
    cancels = [["--db", url, "order", "cancel", str(o.order_id), "--json"] for o in first]
    places = [
        ["--db", url, "order", "place", f"S{i % SHOPS:02d}", f"T={EACH}", "--operator", f"t{i}", "--json"]
        for i in range(PROCESSES - len(cancels))
    ]
    results = race(tight, cancels + places)

    assert [code for i, code, _, _ in results if i < len(cancels)] == [0] * len(cancels)
    assert {code for _, code, _, _ in results} <= {0, 3}, [err for _, code, _, err in results if code not in (0, 3)]
    with tight.connect() as conn:
        per_shop = dict(
            conn.execute(
                text(
                    "SELECT c.code, SUM(l.qty) FROM order_line l JOIN customer_order o ON o.id = l.order_id "
                    "JOIN customer c ON c.id = o.customer_id WHERE o.status = 'placed' GROUP BY c.code"
                )
            ).all()
        )
        counters = dict(
            conn.execute(
                text(
                    "SELECT c.code, u.used_qty FROM quota_usage u JOIN customer c ON c.id = u.customer_id "
                    "WHERE u.used_qty > 0"
                )
            ).all()
        )
        supply_used = conn.execute(text("SELECT used_qty FROM supply_usage")).scalar()
        cancelled = conn.execute(text("SELECT COUNT(*) FROM customer_order WHERE status = 'cancelled'")).scalar()
    assert cancelled == len(cancels)
    assert sum(per_shop.values()) == supply_used <= SUPPLY
    assert max(per_shop.values()) <= QUOTA
    assert counters == per_shop
