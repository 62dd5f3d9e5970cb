"""The shift lead's retention list and the retention call scheduled from it, on SQLite and PostgreSQL.

The clock is Monday 2026-11-23 09:00 in Shanghai (conftest), so the recent window is the 8 weeks from
28 September to 22 November and the earlier one the 8 weeks from 3 August; a year earlier is the 8 weeks from
29 September 2025. The centre works Monday-Saturday 08:30-17:30. Each shop orders on its order day:

    shop  orders                                                                 expected
    W3    weekly, 10 cartons; lately only every third week (3 of the last 8)      fewer_orders, smaller_orders
    ST    weekly, 10 cartons, all along                                           not listed
    HALF  weekly all along, but 20 cartons then and 8 lately                      smaller_orders
    LY    weekly, 10 cartons; 30 a week in the same weeks last year               below_last_year
    SM    a small shop: 5 orders of 2 cartons, then 2                             fewer_orders (as the queue flags)
    PL    weekly 5 cartons, then one order in 8 weeks, placed in this tool        fewer_orders, smaller_orders
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import col

from db.csv_import import import_file
from db.models import AuditLog, Customer, PlannedCall
from orders.calls import call_queue, finish_call, start_call
from orders.placement import place_order
from orders.retention import (
    AlreadyScheduled,
    RetentionError,
    RetentionRow,
    retention_list,
    schedule_retention_call,
)
from orders.script_context import RETENTION, build_context, prepare_script
from orders.settings import Settings, load_settings
from orders.users import PermissionDenied, SignedIn
from scripts_lib.loader import ScriptLibrary
from tests.conftest import table_snapshot

SH = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 23)
TUESDAY = MONDAY + timedelta(days=1)
LEAD = SignedIn(login="lead", name="赵班长", role="shift_lead")
TAKER = SignedIn(login="wang", name="小王", role="order_taker")

CUSTOMERS = """code,name,tier,order_weekday,owner,district,operator
W3,三周一订店,10,1,吴老板,芙蓉区,wang
ST,每周稳定店,10,1,石老板,芙蓉区,wang
HALF,量减半超市,15,1,韩总,天心区,li
LY,去年旺店,20,1,梁老板,天心区,li
SM,小小铺,2,2,孙姐,岳麓区,wang
PL,店里下单店,8,1,潘老板,岳麓区,wang
"""


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def history_csv() -> str:
    lines = ["customer_code,order_date,product_code,qty"]
    for n in range(1, 61):  # n weeks ago
        monday = MONDAY - timedelta(weeks=n)
        if n <= 16:
            if n > 8 or n in (2, 5, 8):
                lines.append(f"W3,{monday},P1,10")
            lines.append(f"ST,{monday},P1,10")
            lines.append(f"HALF,{monday},P1,{20 if n > 8 else 8}")
            if 9 <= n <= 13 or n in (3, 6):
                lines.append(f"SM,{monday + timedelta(days=1)},P2,2")
            if n > 8:
                lines.append(f"PL,{monday},P2,5")
        lines.append(f"LY,{monday},P1,{30 if 53 <= n <= 60 else 10}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def shops(engine: Engine, tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The six shops, their history through the import, and two orders placed in this tool: PL's only recent
    order (16 November), and W3's of 9 November, which the ERP history also holds and must count once."""
    imported = at(MONDAY, 7)
    files = {
        "catalog": "code,name,price_per_carton\nP1,芙蓉王(硬),260.00\nP2,白沙(精品),95.00\n",
        "customers": CUSTOMERS,
        "history": history_csv(),
    }
    for kind, content in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        import_file(engine, kind, path, at=imported)
    for code, qty, when in (("PL", 5, at(date(2026, 11, 16), 10)), ("W3", 10, at(date(2026, 11, 9), 10))):
        monkeypatch.setenv("TELESALES_NOW", when.isoformat())
        place_order(engine, settings, code, [("P1", qty)], operator="wang")
    monkeypatch.setenv("TELESALES_NOW", at(MONDAY, 9).isoformat())
    return engine


def numbers(row: RetentionRow) -> tuple[object, ...]:
    return (
        row.code,
        row.recent_orders,
        row.earlier_orders,
        row.recent_cartons,
        row.earlier_cartons,
        row.last_year_cartons,
        row.reasons,
    )


# ------------------------------------------------------------------------------------------------ the list


def test_falling_shops_are_listed_with_their_numbers_largest_loss_first(shops: Engine, settings: Settings) -> None:
    rows = retention_list(shops, MONDAY, settings=settings)
    assert [numbers(r) for r in rows] == [
        ("LY", 8, 8, 80, 80, 240, ("below_last_year",)),  # lost 160 cartons against last year
        ("HALF", 8, 8, 64, 160, None, ("smaller_orders",)),  # 96 fewer; no history a year ago
        ("W3", 3, 8, 30, 80, None, ("fewer_orders", "smaller_orders")),  # 50; W3's order placed here is in the ERP
        ("PL", 1, 8, 5, 40, None, ("fewer_orders", "smaller_orders")),  # 35; the order placed here counts
        ("SM", 2, 5, 4, 10, None, ("fewer_orders",)),  # 6 cartons only, but 3 occasions fewer
    ]
    assert [r.loss for r in rows] == [160, 96, 50, 35, 6]
    w3 = rows[2]
    assert (w3.name, w3.owner, w3.district, w3.tier, w3.operator) == ("三周一订店", "吴老板", "芙蓉区", 10, "wang")
    assert (w3.why, w3.orders_ratio, w3.cartons_ratio, w3.last_year_ratio) == ("fewer_orders", 0.375, 0.375, None)
    assert (w3.last_order, w3.scheduled) == (date(2026, 11, 9), False)
    assert rows[0].last_year_ratio == pytest.approx(1 / 3)
    assert rows[3].last_order == date(2026, 11, 16)  # PL's order placed in this tool
    assert rows[2].as_json()["cartons_ratio"] == 0.375 and rows[0].as_json()["last_year_cartons"] == 240


def test_a_steady_shop_is_not_listed_and_filters_narrow_the_list(shops: Engine, settings: Settings) -> None:
    assert "ST" not in {r.code for r in retention_list(shops, MONDAY, settings=settings)}
    assert [r.code for r in retention_list(shops, MONDAY, settings=settings, operator="li")] == ["LY", "HALF"]
    assert [r.code for r in retention_list(shops, MONDAY, settings=settings, district="岳麓区")] == ["PL", "SM"]
    assert retention_list(shops, MONDAY, settings=settings, district="雨花区") == []


def test_every_shop_the_call_queue_flags_is_on_the_list(shops: Engine, settings: Settings) -> None:
    listed = {r.code for r in retention_list(shops, MONDAY, settings=settings)}
    flagged = set()
    for offset in range(7):
        for entry in call_queue(shops, settings, day=MONDAY + timedelta(days=offset)):
            if entry.retention_risk:
                flagged.add(entry.customer)
    assert flagged == {"W3", "SM", "PL"}
    assert flagged <= listed


# ------------------------------------------------------------------------------------------------ scheduling


def test_a_refused_schedule_writes_nothing(shops: Engine, settings: Settings) -> None:
    before = table_snapshot(shops)
    with pytest.raises(PermissionDenied, match=r"wang \(order_taker\) may not do this; it needs shift_lead or admin"):
        schedule_retention_call(shops, "W3", by=TAKER, settings=settings)
    with pytest.raises(RetentionError, match="unknown customer 'NOPE'"):
        schedule_retention_call(shops, "NOPE", by=LEAD, settings=settings)
    assert table_snapshot(shops) == before
    with shops.begin() as conn:
        conn.execute(update(Customer).where(col(Customer.code) == "W3").values(active=False))
    before = table_snapshot(shops)
    with pytest.raises(RetentionError, match="customer 'W3' is inactive"):
        schedule_retention_call(shops, "W3", by=LEAD, settings=settings)
    assert table_snapshot(shops) == before
    assert "W3" not in {r.code for r in retention_list(shops, MONDAY, settings=settings)}  # closed shops: not listed


def test_scheduling_puts_the_call_on_the_next_working_morning_once(shops: Engine, settings: Settings) -> None:
    planned = schedule_retention_call(shops, "HALF", by=LEAD, settings=settings, note=" 问问为什么量少了 ")
    assert (planned.customer, planned.name, planned.reason) == ("HALF", "量减半超市", "retention")
    assert (planned.due_at, planned.operator, planned.created_by, planned.note) == (
        at(TUESDAY, 8, 30),
        "li",  # the shop's usual order taker
        "lead",
        "问问为什么量少了",
    )
    assert planned.as_json()["due_at"] == "2026-11-24T08:30:00+08:00"
    with shops.connect() as conn:
        audit = conn.execute(select(AuditLog).where(col(AuditLog.action) == "retention_call_scheduled")).one()
    assert (audit.actor, audit.entity, audit.entity_id) == ("lead", "planned_call", str(planned.planned_call_id))
    assert json.loads(audit.detail)["due_at"] == "2026-11-24T08:30:00+08:00"
    assert {r.code: r.scheduled for r in retention_list(shops, MONDAY, settings=settings)}["HALF"] is True

    before = table_snapshot(shops)
    with pytest.raises(AlreadyScheduled, match="'HALF' already has a retention call planned for 2026-11-24T08:30"):
        schedule_retention_call(shops, "HALF", by=LEAD, settings=settings)
    assert table_snapshot(shops) == before


def test_on_saturday_evening_the_call_goes_to_monday(shops: Engine, settings: Settings) -> None:
    admin = SignedIn(login="root", name="管理员", role="admin")
    planned = schedule_retention_call(shops, "W3", by=admin, settings=settings, at=at(date(2026, 11, 28), 18))
    assert planned.due_at == at(date(2026, 11, 30), 8, 30)  # Sunday is off


def test_the_scheduled_call_is_tomorrows_retention_call_until_it_is_made(
    shops: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert build_context(shops, "HALF", settings=settings, at=at(TUESDAY, 8, 35)).retention is False  # weekly
    schedule_retention_call(shops, "HALF", by=LEAD, settings=settings)
    today = {e.customer: e for e in call_queue(shops, settings, day=MONDAY)}
    assert (today["HALF"].reason, today["HALF"].due_at) == ("order_day", None)  # the plan is for tomorrow

    monkeypatch.setenv("TELESALES_NOW", at(TUESDAY, 8, 35).isoformat())
    li = call_queue(shops, settings, day=TUESDAY, operator="li")
    assert [(e.customer, e.reason, e.due_at, e.status) for e in li] == [
        ("HALF", "retention", at(TUESDAY, 8, 30), "to_call")
    ]
    assert "HALF" not in {e.customer for e in call_queue(shops, settings, day=TUESDAY, operator="wang")}
    assert prepare_script(shops, ScriptLibrary(), "HALF", settings=settings).name == RETENTION

    call_id = start_call(shops, "HALF", "li")
    monkeypatch.setenv("TELESALES_NOW", at(TUESDAY, 8, 38).isoformat())
    finish_call(shops, settings, call_id, "ordered")
    assert "HALF" not in {e.customer for e in call_queue(shops, settings, day=TUESDAY)}
    with shops.connect() as conn:
        assert conn.execute(select(col(PlannedCall.call_id))).scalar_one() == call_id
    assert {r.code: r.scheduled for r in retention_list(shops, TUESDAY, settings=settings)}["HALF"] is False
    assert build_context(shops, "HALF", settings=settings).retention is False


def test_a_call_that_lapsed_does_not_block_a_new_one(shops: Engine, settings: Settings) -> None:
    schedule_retention_call(shops, "W3", by=LEAD, settings=settings)  # due Tuesday; nobody calls
    wednesday = TUESDAY + timedelta(days=1)
    assert "W3" not in {e.customer for e in call_queue(shops, settings, day=wednesday)}
    assert {r.code: r.scheduled for r in retention_list(shops, wednesday, settings=settings)}["W3"] is False
    again = schedule_retention_call(shops, "W3", by=LEAD, settings=settings, at=at(wednesday, 9))
    assert again.due_at == at(wednesday + timedelta(days=1), 8, 30)


# ------------------------------------------------------------------------------------------------ one rule


def test_the_queue_the_list_and_the_script_agree_on_a_shop_that_stopped_ordering(
    shops: Engine, settings: Settings, tmp_path: Path
) -> None:
    """GONE ordered in 3 of the earlier 8 weeks and in none of the last 8: 3 occasions fewer and nothing left is
    a clear fall. All three readers ask the one rule, so the flag, the list and the script say the same."""
    files = {
        "customers": "code,name,tier,order_weekday,owner,district,operator\nGONE,不来了烟酒店,6,1,高老板,芙蓉区,wang\n",
        "history": "customer_code,order_date,product_code,qty\n"
        + "".join(f"GONE,{MONDAY - timedelta(weeks=n)},P1,4\n" for n in (9, 12, 15)),
    }
    for kind, content in files.items():
        path = tmp_path / f"gone-{kind}.csv"
        path.write_text(content, encoding="utf-8")
        import_file(shops, kind, path, at=at(MONDAY, 7))

    [entry] = [e for e in call_queue(shops, settings, day=MONDAY) if e.customer == "GONE"]
    assert (entry.recent_orders, entry.earlier_orders, entry.retention_risk) == (0, 3, True)
    listed = {r.code: r for r in retention_list(shops, MONDAY, settings=settings)}
    assert "fewer_orders" in listed["GONE"].reasons
    assert prepare_script(shops, ScriptLibrary(), "GONE", settings=settings).name == RETENTION
