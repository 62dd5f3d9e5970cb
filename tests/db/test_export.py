"""The orders export core (`db.export`) on both backends."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, insert, select

from db.csv_import import CUSTOMER, PRODUCT, import_file
from db.export import neutralise, order_rows, write_atomically, write_orders_csv, yuan
from db.models import Order, OrderLine

AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEK = date(2026, 11, 23)


def seed_orders(engine: Engine, folder: Path) -> None:
    """Products and customers through the import path; orders by direct Core inserts (no command places
    orders yet). Includes a cancelled order and another week's order, which the export must leave out."""
    (folder / "catalog.csv").write_text("code,name,price_per_carton\nP1,中华,381.60\nP2,玉溪,230.05\nP3,红塔山,95\n")
    (folder / "customers.csv").write_text("code,name,tier,order_weekday\nC1,张记,5,1\nC2,李记,9,2\n")
    import_file(engine, "catalog", folder / "catalog.csv", at=AT)
    import_file(engine, "customers", folder / "customers.csv", at=AT)
    with engine.begin() as conn:
        prod = dict(conn.execute(select(PRODUCT.c.code, PRODUCT.c.id)).all())
        cust = dict(conn.execute(select(CUSTOMER.c.code, CUSTOMER.c.id)).all())
        orders = [
            (1, "C1", WEEK, datetime(2026, 11, 23, 1, 30, tzinfo=UTC), "wang", "placed"),
            (2, "C2", WEEK, datetime(2026, 11, 24, 2, 0, tzinfo=UTC), "li", "cancelled"),
            (3, "C2", date(2026, 11, 16), datetime(2026, 11, 17, 2, 0, tzinfo=UTC), "li", "placed"),
            (4, "C2", WEEK, datetime(2026, 11, 24, 15, 59, 59, tzinfo=UTC), "li", "placed"),
        ]
        for oid, code, week, placed_at, operator, status in orders:
            conn.execute(
                insert(Order.__table__).values(  # type: ignore[attr-defined]
                    id=oid, customer_id=cust[code], week=week, placed_at=placed_at, operator=operator, status=status
                )
            )
        lines = [(1, "P2", 3, 23005), (1, "P1", 2, 38160), (2, "P1", 1, 38160), (3, "P3", 4, 9500), (4, "P3", 10, 9500)]
        for oid, code, qty, fen in lines:
            conn.execute(
                insert(OrderLine.__table__).values(  # type: ignore[attr-defined]
                    order_id=oid, product_id=prod[code], qty=qty, price_fen=fen
                )
            )


EXPECTED = [
    ("1", "C1", "P1", "2", "381.60", "2026-11-23T09:30:00+08:00", "wang"),
    ("1", "C1", "P2", "3", "230.05", "2026-11-23T09:30:00+08:00", "wang"),
    ("4", "C2", "P3", "10", "95.00", "2026-11-24T23:59:59+08:00", "li"),
]


def test_order_rows(engine: Engine, tmp_path: Path) -> None:
    seed_orders(engine, tmp_path)
    assert list(order_rows(engine, WEEK, SHANGHAI)) == EXPECTED
    assert list(order_rows(engine, date(2026, 11, 30), SHANGHAI)) == []


def test_csv_text(engine: Engine, tmp_path: Path) -> None:
    seed_orders(engine, tmp_path)
    out = io.StringIO()
    assert write_orders_csv(order_rows(engine, WEEK, ZoneInfo("UTC")), out) == 3
    assert out.getvalue().splitlines() == [
        "order_id,customer_code,product_code,qty,price_per_carton,placed_at,operator",
        "1,C1,P1,2,381.60,2026-11-23T01:30:00+00:00,wang",
        "1,C1,P2,3,230.05,2026-11-23T01:30:00+00:00,wang",
        "4,C2,P3,10,95.00,2026-11-24T15:59:59+00:00,li",
    ]


def test_yuan() -> None:
    assert [yuan(f) for f in (38160, 5, 100, 0, 123456789)] == ["381.60", "0.05", "1.00", "0.00", "1234567.89"]


def test_write_atomically_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "orders.csv"
    target.write_text("old\n")

    def good(fh: TextIO) -> int:
        fh.write("new\n")
        return 1

    def broken(fh: TextIO) -> int:
        fh.write("half")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        write_atomically(target, broken)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv"]  # no temporary file left behind
    assert write_atomically(target, good) == 1
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv"]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
        ("+86 138", "'+86 138"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("中华", "中华"),
        ("381.60", "381.60"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise_follows_the_owasp_rule(cell: str, written: str) -> None:
    assert neutralise(cell) == written
