"""Placement on both databases: quotas over every order of the week, supply over every customer, the cut-off
in the centre's time zone, refusals that name every failing line and change nothing, amend and cancel giving
cartons back, and the audit trail."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text

from db.csv_import import import_file
from orders.calls import start_call
from orders.clock import now
from orders.placement import (
    OrderDatabaseError,
    OrderInputError,
    OrderRefused,
    amend_order,
    cancel_order,
    cutoff_for,
    get_order,
    orders_for_week,
    place_order,
    place_order_once,
)
from orders.settings import Settings, load_settings
from tests.conftest import PG_ADMIN_URL, table_snapshot

WEEK = date(2026, 11, 23)  # the Monday of FIXED_NOW's week

CATALOG = (
    "code,name,price_per_carton,status\n"
    "A,中华(软),583.50,active\n"
    "B,玉溪(软),230.50,active\n"
    "C,云烟(紫),100.00,active\n"
    "D,红塔山(老版),95.00,discontinued\n"
)
CUSTOMERS = (
    "code,name,tier,order_weekday\n"
    "C1,张记小卖部,5,1\n"  # Monday
    "C2,李记超市,20,1\n"
    "C3,王记烟酒,5,3\n"  # Wednesday
)
QUOTAS = (
    "week,product_code,tier_from,tier_to,max_qty,customer_code\n"
    "2026-11-23,A,1,10,3,\n"
    "2026-11-23,A,11,30,6,\n"
    "2026-11-23,A,1,30,8,C3\n"  # C3's own quota overrides the tier rule that would give it 3
    "2026-11-23,B,1,30,10,\n"
)
SUPPLY = "week,product_code,total_qty\n2026-11-23,A,12\n2026-11-23,C,5\n"


@pytest.fixture
def shop(engine: Engine, tmp_path: Path) -> Engine:
    """Catalog, customers, this week's quotas and supply, loaded through the public import path."""
    for kind, content in (("catalog", CATALOG), ("customers", CUSTOMERS), ("quotas", QUOTAS), ("supply", SUPPLY)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        import_file(engine, kind, path, at=now(), actor="test")
    return engine


@pytest.fixture
def settings() -> Settings:
    return load_settings()


def place(engine: Engine, settings: Settings, customer: str, *lines: tuple[str, int], **kw: Any) -> int:
    return place_order(engine, settings, customer, list(lines), operator="wang", **kw).order_id


def usage(engine: Engine) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """What the counters say: (customer, product) -> cartons and product -> cartons, this week."""
    with engine.connect() as conn:
        quota = conn.execute(
            text(
                "SELECT c.code, p.code, u.used_qty FROM quota_usage u JOIN customer c ON c.id = u.customer_id "
                "JOIN product p ON p.id = u.product_id WHERE u.week = :w"
            ),
            {"w": WEEK},
        ).all()
        supply = conn.execute(
            text(
                "SELECT p.code, u.used_qty FROM supply_usage u JOIN product p ON p.id = u.product_id WHERE u.week = :w"
            ),
            {"w": WEEK},
        ).all()
    return {(c, p): n for c, p, n in quota if n}, {p: n for p, n in supply if n}


def lines_of(exc: pytest.ExceptionInfo[Any]) -> list[tuple[str, str, int | None, int | None]]:
    return [(p.code, p.reason, p.limit, p.remaining) for p in exc.value.lines]


# ------------------------------------------------------------------------------------------ quota and supply


def test_quota_counts_every_order_of_the_week(shop: Engine, settings: Settings) -> None:
    first = place_order(shop, settings, "C1", [("A", 2), ("B", 4)], operator="wang")
    assert first.week == WEEK and [(ln.code, ln.qty) for ln in first.lines] == [("A", 2), ("B", 4)]
    with pytest.raises(OrderRefused) as refused:
        place(shop, settings, "C1", ("A", 2))
    assert refused.value.kind == "quota_exceeded"
    assert lines_of(refused) == [("A", "quota_exceeded", 3, 1)]  # quota 3, 2 already ordered this week
    assert "A=2 中华(软)" in refused.value.message and "nothing was changed" in refused.value.message
    place(shop, settings, "C1", ("A", 1))  # exactly the rest of the quota
    assert usage(shop) == ({("C1", "A"): 3, ("C1", "B"): 4}, {"A": 3, "B": 4})
    assert [o.cartons for o in orders_for_week(shop, "C1", date(2026, 11, 26))] == [6, 1]


def test_a_customer_override_beats_the_tier_rule(shop: Engine, settings: Settings) -> None:
    place(shop, settings, "C3", ("A", 8))  # tier 5 would allow 3; C3's own row allows 8
    with pytest.raises(OrderRefused) as refused:
        place(shop, settings, "C1", ("A", 4))  # same tier, no override: 3
    assert lines_of(refused) == [("A", "quota_exceeded", 3, 3)]
    place(shop, settings, "C2", ("A", 4))  # tier 20: the 11-30 rule allows 6


def test_supply_is_shared_by_all_customers(shop: Engine, settings: Settings) -> None:
    place(shop, settings, "C1", ("C", 3))
    with pytest.raises(OrderRefused) as refused:
        place(shop, settings, "C2", ("C", 3))
    assert refused.value.kind == "supply_exhausted"
    assert lines_of(refused) == [("C", "supply_exhausted", 5, 2)]
    place(shop, settings, "C2", ("C", 2))
    assert usage(shop)[1] == {"C": 5}


def test_each_product_is_held_to_its_own_supply(shop: Engine, settings: Settings) -> None:
    place(shop, settings, "C1", ("A", 3), ("C", 1))  # both products now have a counter this week
    place(shop, settings, "C2", ("A", 6), ("C", 4))  # C: 5 of 5
    with pytest.raises(OrderRefused) as refused:
        place(shop, settings, "C3", ("A", 3), ("C", 1))  # A: 9 of 12 leaves room, C does not
    assert lines_of(refused) == [("C", "supply_exhausted", 5, 0)]
    place(shop, settings, "C3", ("A", 3))
    assert usage(shop)[1] == {"A": 12, "C": 5}


def test_a_refusal_names_every_failing_line_and_changes_nothing(shop: Engine, settings: Settings) -> None:
    place(shop, settings, "C2", ("A", 6))  # leaves 6 of A's 12
    before = table_snapshot(shop)
    with pytest.raises(OrderRefused) as refused:
        # B is fine; A breaks C1's quota (3) and the remaining supply (6); C breaks the supply (5)
        place(shop, settings, "C1", ("B", 2), ("A", 7), ("C", 6))
    assert refused.value.kind == "supply_exhausted"  # the first failing line's first reason
    assert lines_of(refused) == [
        ("A", "supply_exhausted", 12, 6),
        ("A", "quota_exceeded", 3, 3),
        ("C", "supply_exhausted", 5, 5),
    ]
    message = refused.value.message
    assert message.count("A=7") == 2 and "C=6" in message and "B=2" not in message
    assert refused.value.as_json()["lines"][0] == {
        "code": "A",
        "qty": 7,
        "reason": "supply_exhausted",
        "limit": 12,
        "remaining": 6,
        "name": "中华(软)",
    }
    assert table_snapshot(shop) == before


def test_bad_input_names_every_bad_line_and_changes_nothing(shop: Engine, settings: Settings) -> None:
    before = table_snapshot(shop)
    with pytest.raises(OrderInputError) as bad:
        place(shop, settings, "C1", ("B", 1), ("X9", 1), ("D", 2), ("A", 0), ("B", 2), ("C", 1001))
    assert [(p.code, p.reason) for p in bad.value.lines] == [
        ("X9", "unknown_product"),
        ("D", "inactive_product"),
        ("A", "bad_quantity"),
        ("B", "duplicate_product"),  # refused, never merged: the customer heard two different quantities
        ("C", "bad_quantity"),
    ]
    assert bad.value.kind == "unknown_product"
    assert "X9=1: no product has code 'X9'" in bad.value.message
    assert "B=2: product B is already on this order" in bad.value.message
    with pytest.raises(OrderInputError) as unknown:
        place(shop, settings, "NOPE", ("A", 1))
    assert unknown.value.kind == "unknown_customer" and "'NOPE'" in unknown.value.message
    with pytest.raises(OrderInputError) as empty:
        place(shop, settings, "C1")
    assert empty.value.kind == "empty_order"
    with pytest.raises(OrderInputError):
        place_order(shop, settings, "C1", [("A", 1)], operator=" ")
    assert table_snapshot(shop) == before


def test_the_price_is_the_catalog_price_at_placing_time(shop: Engine, settings: Settings, tmp_path: Path) -> None:
    order_id = place(shop, settings, "C1", ("A", 1))
    path = tmp_path / "catalog2.csv"
    path.write_text("code,name,price_per_carton\nA,中华(软),600.00\n", encoding="utf-8")
    import_file(shop, "catalog", path, at=now(), actor="test")
    assert get_order(shop, order_id).lines[0].price_fen == 58350
    assert get_order(shop, place(shop, settings, "C2", ("A", 1))).lines[0].price_fen == 60000


# ------------------------------------------------------------------------------------------ cut-off


def test_cutoff_is_the_order_day_at_17_in_shanghai(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cutoff_for(date(2026, 11, 25), 3, settings).isoformat() == "2026-11-25T17:00:00+08:00"
    monkeypatch.setenv("TELESALES_NOW", "2026-11-23T17:00:00+08:00")  # on the minute: still open
    place(shop, settings, "C1", ("B", 1))
    monkeypatch.setenv("TELESALES_NOW", "2026-11-23T09:00:01Z")  # 17:00:01 in Shanghai
    before = table_snapshot(shop)
    with pytest.raises(OrderRefused) as late:
        place(shop, settings, "C1", ("B", 1), ("C", 1))
    assert late.value.kind == "cutoff_passed"
    assert late.value.details["cutoff"] == "2026-11-23T17:00:00+08:00"
    assert [(p.code, p.reason) for p in late.value.lines] == [("B", "cutoff_passed"), ("C", "cutoff_passed")]
    assert "2026-11-23 17:00" in late.value.message
    assert table_snapshot(shop) == before
    place(shop, settings, "C3", ("B", 1))  # C3 orders on Wednesday: its week is still open
    place(shop, settings, "C1", ("B", 1), week=date(2026, 12, 2))  # and C1's next week too
    monkeypatch.setenv("TELESALES_NOW", "2026-11-25T17:30:00+08:00")
    with pytest.raises(OrderRefused, match="cut-off"):
        place(shop, settings, "C3", ("B", 1))


def test_a_past_week_is_closed(shop: Engine, settings: Settings) -> None:
    with pytest.raises(OrderRefused) as past:
        place(shop, settings, "C3", ("B", 1), week=date(2026, 11, 20))  # C3's last week, though its day is later
    assert past.value.kind == "cutoff_passed"


def test_a_week_too_far_ahead_is_refused_with_the_weeks_allowed(shop: Engine, settings: Settings) -> None:
    """`order_weeks_ahead` (default 4) bounds how far ahead an order may go; the message names the range, so
    the TUI and the CLI say the same. Any date the calendar holds is a refusal, never an overflow."""
    assert settings.order_weeks_ahead == 4
    place(shop, settings, "C3", ("B", 1), week=date(2026, 12, 21))  # this week + 4: still allowed
    before = table_snapshot(shop)
    for far in (date(2026, 12, 28), date(9999, 12, 31)):
        with pytest.raises(OrderRefused) as ahead:
            place(shop, settings, "C3", ("B", 1), week=far)
        assert ahead.value.kind == "week_out_of_range"
        assert "2026-11-23 to 2026-12-21" in ahead.value.message
        assert ahead.value.details == {"first_week": "2026-11-23", "last_week": "2026-12-21"}
    with pytest.raises(OrderRefused) as ancient:
        place(shop, settings, "C3", ("B", 1), week=date(1, 1, 1))
    assert ancient.value.kind == "cutoff_passed" and "2026-11-23 to 2026-12-21" in ancient.value.message
    assert table_snapshot(shop) == before
    near = Settings(order_weeks_ahead=0)
    with pytest.raises(OrderRefused, match="more than 0 weeks ahead"):
        place(shop, near, "C3", ("B", 1), week=date(2026, 11, 30))


def test_the_cutoff_follows_the_settings(shop: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELESALES_NOW", "2026-11-23T11:00:00+08:00")  # 03:00 in London
    london = load_settings(timezone="Europe/London", cutoff_time="10:00")
    place(shop, london, "C1", ("B", 1))
    with pytest.raises(OrderRefused):
        place(shop, load_settings(cutoff_time="10:30"), "C1", ("B", 1))


# ------------------------------------------------------------------------------------------ amend and cancel


def test_amend_moves_only_the_difference(shop: Engine, settings: Settings) -> None:
    order_id = place(shop, settings, "C1", ("A", 3), ("B", 2))
    amended = amend_order(shop, settings, order_id, [("A", 1), ("C", 2)], operator="li")
    assert [(ln.code, ln.qty) for ln in amended.lines] == [("A", 1), ("C", 2)]
    assert amended.changed_at is not None and amended.status == "placed"
    assert usage(shop) == ({("C1", "A"): 1, ("C1", "C"): 2}, {"A": 1, "C": 2})
    place(shop, settings, "C1", ("A", 2))  # the 2 cartons given back are the customer's again
    before = table_snapshot(shop)
    with pytest.raises(OrderRefused) as refused:
        amend_order(shop, settings, order_id, [("A", 2), ("C", 2)], operator="li")
    # the order already holds 1 of A, the other order 2: the line may hold at most 1
    assert lines_of(refused) == [("A", "quota_exceeded", 3, 1)]
    assert table_snapshot(shop) == before
    with pytest.raises(OrderInputError) as dup:
        amend_order(shop, settings, order_id, [("A", 1), ("A", 1)], operator="li")
    assert dup.value.kind == "duplicate_product"
    with pytest.raises(OrderInputError):
        amend_order(shop, settings, order_id, [], operator="li")
    with pytest.raises(OrderInputError) as unknown:
        amend_order(shop, settings, 999, [("A", 1)], operator="li")
    assert unknown.value.kind == "unknown_order"
    assert table_snapshot(shop) == before


def test_cancel_gives_everything_back_once(shop: Engine, settings: Settings) -> None:
    order_id = place(shop, settings, "C1", ("A", 3), ("C", 5))
    cancelled = cancel_order(shop, settings, order_id, operator="li")
    assert cancelled.status == "cancelled" and cancelled.changed_at is not None
    assert usage(shop) == ({}, {})
    assert orders_for_week(shop, "C1", WEEK) == []
    assert [o.status for o in orders_for_week(shop, "C1", WEEK, include_cancelled=True)] == ["cancelled"]
    place(shop, settings, "C2", ("C", 5))  # the whole supply is free again
    with pytest.raises(OrderRefused) as again:
        cancel_order(shop, settings, order_id, operator="li")
    assert again.value.kind == "order_cancelled"
    with pytest.raises(OrderRefused):
        amend_order(shop, settings, order_id, [("A", 1)], operator="li")
    assert usage(shop) == ({("C2", "C"): 5}, {"C": 5})


def test_amend_and_cancel_after_the_cutoff_are_refused(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = place(shop, settings, "C1", ("A", 2))
    monkeypatch.setenv("TELESALES_NOW", "2026-11-23T18:00:00+08:00")
    before = table_snapshot(shop)
    with pytest.raises(OrderRefused) as amend:
        amend_order(shop, settings, order_id, [("A", 1)], operator="li")
    assert amend.value.kind == "cutoff_passed"
    with pytest.raises(OrderRefused) as cancel:
        cancel_order(shop, settings, order_id, operator="li")
    assert cancel.value.kind == "cutoff_passed"
    assert table_snapshot(shop) == before


def test_every_change_is_audited(shop: Engine, settings: Settings) -> None:
    order_id = place(shop, settings, "C1", ("A", 2), ("B", 1))
    amend_order(shop, settings, order_id, [("A", 1)], operator="li")
    cancel_order(shop, settings, order_id, operator="lead")
    with shop.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, action, entity, entity_id, detail FROM audit_log WHERE entity = 'order' ORDER BY id")
        ).all()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("wang", "order_placed", "order", str(order_id)),
        ("li", "order_amended", "order", str(order_id)),
        ("lead", "order_cancelled", "order", str(order_id)),
    ]
    placed, amended, cancelled = (json.loads(r[4]) for r in rows)
    assert placed["lines"] == [{"code": "A", "qty": 2}, {"code": "B", "qty": 1}] and placed["week"] == "2026-11-23"
    assert amended["before"] == [{"code": "A", "qty": 2}, {"code": "B", "qty": 1}]
    assert amended["after"] == [{"code": "A", "qty": 1}]
    assert cancelled["lines"] == [{"code": "A", "qty": 1}]


# ------------------------------------------------------------------------------------------ database failures


def test_a_retry_after_a_commit_that_may_have_gone_through_returns_the_calls_order(
    shop: Engine, settings: Settings
) -> None:
    """The commit died with the connection but the server kept the order: placing again must not order twice."""
    call_id = start_call(shop, "C1", "wang")
    first = place_order(shop, settings, "C1", [("B", 2)], operator="wang", call_id=call_id)
    before = table_snapshot(shop)
    again = place_order_once(shop, settings, "C1", [("B", 2)], operator="wang", call_id=call_id, maybe_written=True)
    assert again == first
    assert table_snapshot(shop) == before
    assert [o.order_id for o in orders_for_week(shop, "C1", WEEK)] == [first.order_id]
    # another call's order is not this one, and without the doubt the order is placed as asked
    other = place_order_once(
        shop, settings, "C1", [("B", 1)], operator="wang", call_id=start_call(shop, "C1", "wang"), maybe_written=True
    )
    assert other.order_id != first.order_id
    plain = place_order_once(shop, settings, "C1", [("C", 1)], operator="wang", call_id=call_id, maybe_written=False)
    assert len({first.order_id, other.order_id, plain.order_id}) == 3


def test_a_connection_dropped_mid_transaction_writes_nothing(pg_url: str, tmp_path: Path, settings: Settings) -> None:
    """The server kills the session after the order, its lines, its audit row and the first supply counter went
    in: the order taker gets one clear sentence and all of that is gone with the transaction."""
    from db import migrate
    from db.engine import make_engine

    engine = make_engine(pg_url)
    migrate.upgrade(engine)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        for kind, content in (("catalog", CATALOG), ("customers", CUSTOMERS), ("supply", SUPPLY)):
            path = tmp_path / f"{kind}.csv"
            path.write_text(content, encoding="utf-8")
            import_file(engine, kind, path, at=now(), actor="test")
        before = table_snapshot(engine)

        def kill(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().startswith("INSERT INTO quota_usage"):
                with admin.connect() as other:
                    other.execute(
                        text("SELECT pg_terminate_backend(:pid)"),
                        {"pid": conn.connection.dbapi_connection.info.backend_pid},
                    )

        event.listen(engine, "before_cursor_execute", kill)
        with pytest.raises(OrderDatabaseError) as lost:
            place(engine, settings, "C1", ("A", 2), ("C", 1))
        event.remove(engine, "before_cursor_execute", kill)
        assert lost.value.kind == "database_unavailable" and not lost.value.maybe_written
        assert "connection to the database was lost while placing the order" in lost.value.message
        assert "nothing was changed" in lost.value.message
        assert table_snapshot(engine) == before
        place(engine, settings, "C1", ("A", 2))  # the pool recovers: the next order goes through
    finally:
        engine.dispose()
        admin.dispose()


def test_a_busy_sqlite_lock_is_waited_out_then_reported(
    sqlite_url: str, tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer holds SQLite's lock longer than one busy timeout: the order waits it out; past the
    placement's patience it is one clear sentence and nothing written."""
    import sqlite3
    import threading

    import db.engine
    from db import migrate
    from orders import placement

    monkeypatch.setattr(db.engine, "SQLITE_BUSY_TIMEOUT_MS", 100)
    engine = db.engine.make_engine(sqlite_url)
    migrate.upgrade(engine)
    for kind, content in (("catalog", CATALOG), ("customers", CUSTOMERS)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        import_file(engine, kind, path, at=now(), actor="test")

    def hold(seconds: float, taken: threading.Event) -> None:
        other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        taken.set()
        threading.Event().wait(seconds)
        other.execute("ROLLBACK")
        other.close()

    try:
        taken = threading.Event()
        holder = threading.Thread(target=hold, args=(0.5, taken))
        holder.start()
        taken.wait()
        place(engine, settings, "C1", ("B", 1))  # five busy timeouts long, and still placed
        holder.join()

        before = table_snapshot(engine)
        monkeypatch.setattr(placement, "SQLITE_PATIENCE_S", 0.2)
        taken = threading.Event()
        holder = threading.Thread(target=hold, args=(1.0, taken))
        holder.start()
        taken.wait()
        with pytest.raises(OrderDatabaseError) as busy:
            place(engine, settings, "C1", ("B", 1))
        holder.join()
        assert busy.value.kind == "database_unavailable" and busy.value.busy
        assert "database is locked" in busy.value.message and "nothing was changed" in busy.value.message
        assert table_snapshot(engine) == before
    finally:
        engine.dispose()


def test_a_login_disabled_while_signed_in_places_amends_and_cancels_nothing(shop: Engine, settings: Settings) -> None:
    """Disabling is what a centre does when someone leaves: a terminal still signed in must stop at once."""
    from orders.users import add_user, set_active, system_actor

    add_user(shop, "wang", "小王", "order_taker", "0000")
    order = place_order(shop, settings, "C1", [("A", 1)], operator="wang")
    set_active(shop, "wang", False, by=system_actor("root"))
    before = table_snapshot(shop)
    for attempt in (
        lambda: place_order(shop, settings, "C1", [("B", 1)], operator="wang"),
        lambda: amend_order(shop, settings, order.order_id, [("A", 2)], operator="wang"),
        lambda: cancel_order(shop, settings, order.order_id, operator="wang"),
    ):
        with pytest.raises(OrderRefused) as refused:
            attempt()
        assert refused.value.kind == "operator_disabled" and "login wang is disabled" in refused.value.message
    assert table_snapshot(shop) == before
    set_active(shop, "wang", True, by=system_actor("root"))
    assert place_order(shop, settings, "C1", [("B", 1)], operator="wang").order_id > order.order_id
    assert place_order(shop, settings, "C2", [("B", 1)], operator="system:root").operator == "system:root"
