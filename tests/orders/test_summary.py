"""What a database holds and whether it is a demo, read from a small real database (no demo build needed)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, update
from sqlmodel import col

from db.csv_import import import_file
from db.models import AppMeta
from orders.clock import now
from orders.settings import load_settings
from orders.summary import META_KEY, DemoMeta, read_meta, summarize
from orders.tickets import open_ticket

ZONE = ZoneInfo("Asia/Shanghai")


def test_a_real_database_is_counted_and_is_not_a_demo(engine: Engine, tmp_path: Path) -> None:
    files = {
        "catalog": "code,name,price_per_carton,status\nP1,芙蓉王(硬),260.00,active\nP2,白沙(老版),95.00,discontinued\n",
        "customers": "code,name,tier,order_weekday\nC1,张记小卖部,5,1\nC2,李记超市,12,3\n",
        "history": "customer_code,order_date,product_code,qty\nC1,2026-11-02,P1,2\nC1,2026-11-16,P1,3\n",
    }
    for kind, content in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        import_file(engine, kind, path, at=now())
    open_ticket(engine, "C1", "delivery_error", "少了一条", settings=load_settings(), operator="wang")

    summary = summarize(engine, ZONE)
    assert (summary.today, summary.products, summary.discontinued, summary.customers) == (date(2026, 11, 23), 2, 1, 2)
    assert (summary.history_lines, summary.history_weeks) == (2, 3)
    assert (summary.first_order, summary.last_order) == (date(2026, 11, 2), date(2026, 11, 16))
    assert (summary.open_tickets, summary.overdue_tickets, summary.demo) == (1, 0, None)
    with engine.connect() as conn:
        assert read_meta(conn) is None


def test_the_demo_marker_is_read_and_a_torn_one_ignored(engine: Engine) -> None:
    built = {"size": "small", "seed": 1, "built_at": "2026-11-23T09:00:00+08:00", "company": "长沙市烟草公司"}
    with engine.begin() as conn:
        conn.execute(insert(AppMeta).values(key=META_KEY, value=json.dumps(built, ensure_ascii=False)))
    with engine.connect() as conn:
        assert read_meta(conn) == DemoMeta("small", 1, "2026-11-23T09:00:00+08:00")
    assert summarize(engine, ZONE).demo == DemoMeta("small", 1, "2026-11-23T09:00:00+08:00")
    with engine.begin() as conn:
        conn.execute(update(AppMeta).where(col(AppMeta.key) == META_KEY).values(value='{"size": "small"'))
    with engine.connect() as conn:
        assert read_meta(conn) is None
