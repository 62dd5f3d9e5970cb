"""The call queue and call outcomes on both databases: who is on the day's list, in which order, what a
recorded call does to it, and the flags an order taker reads before dialling.

The clock is Monday 2026-11-23 09:00 in Shanghai (conftest); the centre works Monday-Saturday 08:30-17:30.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, insert, select
from sqlmodel import col

from db.models import AuditLog, Call, Customer, Order, PlannedCall
from orders.calls import (
    CallError,
    QueueEntry,
    call_queue,
    finish_call,
    next_due,
    queue_progress,
    record_call,
    retry_time,
    start_call,
)
from orders.retention import schedule_retention_call
from orders.settings import Settings, load_settings
from orders.tickets import Change, open_ticket, update_ticket
from orders.users import SignedIn
from tests.conftest import run_cli, table_snapshot

SH = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 23)

CUSTOMERS = """code,name,tier,order_weekday,owner,district,operator
K1,张记烟酒,25,1,张老板,芙蓉区,wang
S1,李家便利店,5,1,李姐,天心区,wang
S3,周家铺子,12,1,周师傅,天心区,wang
K2,王府超市,22,1,王总,雨花区,li
S2,刘记小卖部,10,1,刘师傅,岳麓区,li
T1,陈记副食,8,2,陈老板,开福区,wang
"""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, Shanghai time (23 November is a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def history_csv() -> str:
    """K1 orders every Monday of the last 16 weeks; S1 went from 8 orders to 2; S3 from 5 to 3 (a small dip)."""
    lines = ["customer_code,order_date,product_code,qty"]
    for weeks_ago in range(1, 17):
        monday = MONDAY - timedelta(weeks=weeks_ago)
        lines.append(f"K1,{monday},P1,10")
        if weeks_ago > 8 or weeks_ago in (3, 6):
            lines.append(f"S1,{monday},P2,2")
        if weeks_ago in (9, 10, 11, 12, 13, 2, 4, 6):
            lines.append(f"S3,{monday},P1,1")
    return "\n".join(lines) + "\n"


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def shop(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Six shops through the import users run; T1 (a Tuesday shop) asked on Friday to be called Monday 10:30."""
    url = engine.url.render_as_string(hide_password=False)
    files = {
        "catalog": "code,name,price_per_carton\nP1,芙蓉王(硬),260.00\nP2,白沙(精品),95.00\n",
        "customers": CUSTOMERS,
        "history": history_csv(),
    }
    for kind, content in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        result = run_cli("--db", url, "import", kind, str(path))
        assert result.exit_code == 0, result.stderr
    monkeypatch.setenv("TELESALES_NOW", at(20, 15).isoformat())
    record_call(engine, load_settings(), "T1", "callback_requested", operator="wang", callback_at=at(23, 10, 30))
    monkeypatch.setenv("TELESALES_NOW", at(23, 9).isoformat())
    return engine


def codes(entries: list[QueueEntry]) -> list[str]:
    return [e.customer for e in entries]


def by_code(entries: list[QueueEntry]) -> dict[str, QueueEntry]:
    return {e.customer: e for e in entries}


# ------------------------------------------------------------------------------------------------ the queue


def test_an_operators_queue_puts_callbacks_first_then_key_customers(shop: Engine, settings: Settings) -> None:
    wang = call_queue(shop, settings, operator="wang")
    assert codes(wang) == ["T1", "K1", "S3", "S1"]
    t1 = wang[0]
    assert (t1.reason, t1.due_at, t1.status, t1.done) == ("callback", at(23, 10, 30), "to_call", False)
    assert t1.due_at is not None and t1.due_at.utcoffset() == timedelta(hours=8)  # shown in the centre's zone
    assert [e.reason for e in wang[1:]] == ["order_day"] * 3
    assert all(e.status == "to_call" and e.due_at is None for e in wang[1:])
    assert [e.key_customer for e in wang] == [False, True, False, False]
    k1 = wang[1]
    assert (k1.name, k1.owner, k1.tier, k1.district) == ("张记烟酒", "张老板", 25, "芙蓉区")
    assert codes(call_queue(shop, settings, operator="li")) == ["K2", "S2"]
    assert queue_progress(wang) == (0, 4)


def test_the_team_queue_merges_every_operator_in_the_same_order(shop: Engine, settings: Settings) -> None:
    team = call_queue(shop, settings)
    assert codes(team) == ["T1", "K1", "K2", "S3", "S2", "S1"]  # callback, key by tier, the rest by tier
    assert codes(call_queue(shop, settings, operator="nobody")) == []


def test_another_day_lists_that_days_customers(shop: Engine, settings: Settings) -> None:
    tuesday = call_queue(shop, settings, day=MONDAY + timedelta(days=1))
    assert codes(tuesday) == ["T1"]
    assert (tuesday[0].reason, tuesday[0].due_at) == ("order_day", None)


def test_a_recorded_call_sets_the_status_and_finishes_the_customer(shop: Engine, settings: Settings) -> None:
    record_call(shop, settings, "K1", "ordered", operator="wang", duration_s=95)
    record_call(shop, settings, "S3", "refused", operator="wang")
    wang = call_queue(shop, settings, operator="wang")
    assert codes(wang) == ["T1", "K1", "S3", "S1"]  # rows stay where they were
    rows = by_code(wang)
    assert (rows["K1"].status, rows["K1"].done) == ("ordered", True)
    assert (rows["S3"].status, rows["S3"].done) == ("refused", True)
    assert queue_progress(wang) == (2, 4)


def test_no_answer_comes_back_later_today_and_ends_when_reached(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = record_call(shop, settings, "S1", "no_answer", operator="wang", duration_s=40)
    assert record.callback_at == at(23, 10)  # 60 minutes later, the default retry
    assert record.started_at == at(23, 8, 59) + timedelta(seconds=20)
    wang = call_queue(shop, settings, operator="wang")
    assert codes(wang) == ["S1", "T1", "K1", "S3"]  # 10:00 before 10:30
    s1 = wang[0]
    assert (s1.reason, s1.due_at, s1.status, s1.done) == ("callback", at(23, 10), "no_answer", False)
    assert next_due(wang, at(23, 9, 5)) == wang[2]  # callbacks not yet due are skipped: K1
    assert next_due(wang, at(23, 10, 1)) == s1

    monkeypatch.setenv("TELESALES_NOW", at(23, 10).isoformat())
    record_call(shop, settings, "S1", "busy", operator="wang")
    assert codes(call_queue(shop, settings, operator="wang"))[:2] == ["T1", "S1"]  # now due at 11:00

    monkeypatch.setenv("TELESALES_NOW", at(23, 11).isoformat())
    record_call(shop, settings, "S1", "ordered", operator="wang")
    s1 = by_code(call_queue(shop, settings, operator="wang"))["S1"]
    assert (s1.reason, s1.due_at, s1.status, s1.done) == ("order_day", None, "ordered", True)


def test_a_callback_answered_earlier_leaves_the_queue(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELESALES_NOW", at(21, 11).isoformat())  # Saturday: the shop rang back and ordered
    record_call(shop, settings, "T1", "ordered", operator="wang")
    monkeypatch.setenv("TELESALES_NOW", at(23, 9).isoformat())
    assert "T1" not in codes(call_queue(shop, settings, operator="wang"))


def test_no_answer_after_hours_is_retried_the_next_working_morning(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELESALES_NOW", at(23, 17).isoformat())
    record = record_call(shop, settings, "S2", "no_answer", operator="li")
    assert record.callback_at == at(24, 8, 30)
    s2 = by_code(call_queue(shop, settings, operator="li"))["S2"]
    assert (s2.status, s2.done) == ("no_answer", True)  # nothing more to do today
    tuesday = call_queue(shop, settings, day=MONDAY + timedelta(days=1), operator="li")
    assert [(e.customer, e.reason, e.due_at) for e in tuesday if not e.overdue] == [
        ("S2", "callback", at(24, 8, 30))
    ]
    # T1's callback (wang's, Monday 10:30) was missed: carried over to its order day, and anyone's by now
    assert [(e.customer, e.due_at) for e in tuesday if e.overdue] == [("T1", at(23, 10, 30))]


def test_retry_time_skips_closing_time_and_the_day_off(settings: Settings) -> None:
    assert retry_time(at(23, 9), settings) == at(23, 10)
    assert retry_time(at(23, 16, 30), settings) == at(23, 17, 30)  # landing on closing time stays today
    assert retry_time(at(23, 16, 31), settings) == at(24, 8, 30)
    assert retry_time(at(28, 17), settings) == at(30, 8, 30)  # Saturday evening: Sunday is off
    assert retry_time(at(23, 7), settings) == at(23, 8, 30)  # before opening: at opening
    assert retry_time(at(23, 9), load_settings(no_answer_retry_minutes=30)) == at(23, 9, 30)


# ------------------------------------------------------------------------------------------------ flags


def test_last_order_and_retention_risk_come_from_the_history(shop: Engine, settings: Settings) -> None:
    rows = by_code(call_queue(shop, settings))
    assert rows["K1"].last_order == date(2026, 11, 16)
    assert rows["S1"].last_order == date(2026, 11, 2)  # three weeks ago
    assert (rows["S1"].recent_orders, rows["S1"].earlier_orders, rows["S1"].retention_risk) == (2, 8, True)
    assert (rows["K1"].recent_orders, rows["K1"].earlier_orders, rows["K1"].retention_risk) == (8, 8, False)
    assert (rows["S3"].recent_orders, rows["S3"].earlier_orders, rows["S3"].retention_risk) == (3, 5, False)
    assert (rows["K2"].last_order, rows["K2"].retention_risk) == (None, False)  # no history at all


def test_an_order_placed_here_counts_as_the_last_order(shop: Engine, settings: Settings) -> None:
    # `orders/placement.py` is not there yet, so the order row is written as it would write it.
    with shop.begin() as conn:
        s1 = conn.execute(select(col(Customer.id)).where(col(Customer.code) == "S1")).scalar_one()
        conn.execute(
            insert(Order).values(
                customer_id=s1, week=date(2026, 11, 16), placed_at=at(17, 10), operator="wang", status="placed"
            )
        )
        conn.execute(
            insert(Order).values(
                customer_id=s1, week=date(2026, 11, 16), placed_at=at(18, 23, 30), operator="wang", status="cancelled"
            )
        )
    row = by_code(call_queue(shop, settings))["S1"]
    assert row.last_order == date(2026, 11, 17)  # the cancelled one (19 Nov, local) does not count
    assert row.recent_orders == 3


def test_an_open_ticket_is_flagged_until_resolved(shop: Engine, settings: Settings) -> None:
    open_ticket(shop, "K2", "delivery_error", "少了两条芙蓉王", settings=settings, operator="li")
    solved = open_ticket(shop, "S2", "price", "价格贵了", settings=settings, operator="li")
    update_ticket(shop, solved.ticket_id, Change(status="resolved"))
    rows = by_code(call_queue(shop, settings, operator="li"))
    assert (rows["K2"].open_ticket, rows["K2"].open_tickets) == (True, 1)
    assert rows["S2"].open_ticket is False


# ------------------------------------------------------------------------------------------------ recording


@pytest.mark.parametrize(
    ("outcome", "callback", "duration", "message"),
    [
        ("answered", None, None, "unknown outcome 'answered'; use one of ordered, no_answer"),
        ("callback_requested", None, None, "needs the time the customer asked for"),
        ("callback_requested", at(23, 8, 45), None, "is not in the future"),
        ("callback_requested", at(23, 18), None, "outside working hours (08:30-17:30)"),
        ("callback_requested", at(29, 10), None, "is not on a working day"),
        ("ordered", at(23, 15), None, "outcome ordered ends the customer's day"),
        ("ordered", None, -5, "duration -5 s"),
    ],
)
def test_a_bad_call_record_is_refused_and_writes_nothing(
    shop: Engine, settings: Settings, outcome: str, callback: datetime | None, duration: int | None, message: str
) -> None:
    before = table_snapshot(shop)
    with pytest.raises(CallError, match=message.replace("(", r"\(").replace(")", r"\)")):
        record_call(shop, settings, "K1", outcome, operator="wang", callback_at=callback, duration_s=duration)
    assert table_snapshot(shop) == before


def test_unknown_customer_is_refused(shop: Engine, settings: Settings) -> None:
    before = table_snapshot(shop)
    with pytest.raises(CallError, match="unknown customer 'NOPE'"):
        record_call(shop, settings, "NOPE", "ordered", operator="wang")
    with pytest.raises(CallError, match="unknown customer 'NOPE'"):
        start_call(shop, "NOPE", "wang")
    assert table_snapshot(shop) == before


def test_every_recorded_call_is_audited_and_defaults_to_the_usual_operator(shop: Engine, settings: Settings) -> None:
    record = record_call(shop, settings, "K2", "closed", operator=None, note=" 店面装修 ")
    assert (record.operator, record.note, record.duration_s) == ("li", "店面装修", 0)
    with shop.connect() as conn:
        audit = conn.execute(select(AuditLog).where(col(AuditLog.entity_id) == str(record.call_id))).one()
    assert (audit.action, audit.actor, audit.entity) == ("call_recorded", "li", "call")
    assert '"outcome": "closed"' in audit.detail and '"customer": "K2"' in audit.detail


def test_a_call_opened_in_the_tui_is_finished_with_its_duration(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_id = start_call(shop, "K1", "wang")
    assert by_code(call_queue(shop, settings))["K1"].status == "to_call"  # a call in progress is not an outcome
    monkeypatch.setenv("TELESALES_NOW", at(23, 9, 2).isoformat())
    record = finish_call(shop, settings, call_id, "ordered", note="要了新品")
    assert (record.customer, record.outcome, record.duration_s, record.started_at) == ("K1", "ordered", 120, at(23, 9))
    assert by_code(call_queue(shop, settings))["K1"].status == "ordered"
    with pytest.raises(CallError, match=f"call {call_id} was already recorded as ordered"):
        finish_call(shop, settings, call_id, "refused")
    with pytest.raises(CallError, match="unknown call 999"):
        finish_call(shop, settings, 999, "ordered")
    with shop.connect() as conn:
        call = conn.execute(select(Call).where(col(Call.id) == call_id)).one()
        audits = conn.execute(select(AuditLog).where(col(AuditLog.action) == "call_recorded")).all()
    assert (call.ended_at, call.note) == (at(23, 9, 2), "要了新品")
    assert len(audits) == 2  # Friday's callback request and this call


def test_finishing_with_no_answer_schedules_the_retry(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_id = start_call(shop, "S3", "wang")
    monkeypatch.setenv("TELESALES_NOW", at(23, 9, 1).isoformat())
    record = finish_call(shop, settings, call_id, "no_answer")
    assert record.callback_at == at(23, 10, 1)
    s3 = by_code(call_queue(shop, settings, operator="wang"))["S3"]
    assert (s3.reason, s3.status, s3.due_at) == ("callback", "no_answer", at(23, 10, 1))


# ------------------------------------------------------------------------------------------------ planned calls

LEAD = SignedIn(login="lead", name="赵班长", role="shift_lead")


def _planned(engine: Engine) -> dict[str, int | None]:
    """Customer code -> the call that made its planned call (None: still owed)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(Customer.code), col(PlannedCall.call_id)).join(
                Customer, col(Customer.id) == col(PlannedCall.customer_id)
            )
        )
        return {code: call_id for code, call_id in rows}


def test_planned_calls_are_listed_at_their_time_once_per_customer(shop: Engine, settings: Settings) -> None:
    # Planned on Saturday for Monday's opening: S1 is also a Monday shop, so its one row takes the plan's reason.
    schedule_retention_call(shop, "S1", by=LEAD, settings=settings, at=at(21, 12))
    with shop.begin() as conn:  # a ticket call-back for the team: it falls to the shop's usual order taker
        s2 = conn.execute(select(col(Customer.id)).where(col(Customer.code) == "S2")).scalar_one()
        conn.execute(
            insert(PlannedCall).values(
                customer_id=s2, reason="ticket_callback", due_at=at(23, 11), created_by="lead", created_at=at(21, 12)
            )
        )
    wang = call_queue(shop, settings, operator="wang")
    assert [(e.customer, e.reason, e.due_at) for e in wang] == [
        ("S1", "retention", at(23, 8, 30)),
        ("T1", "callback", at(23, 10, 30)),
        ("K1", "order_day", None),
        ("S3", "order_day", None),
    ]
    assert [(e.customer, e.reason) for e in call_queue(shop, settings, operator="li")] == [
        ("S2", "ticket_callback"),
        ("K2", "order_day"),
    ]
    assert codes(call_queue(shop, settings)) == ["S1", "T1", "S2", "K1", "K2", "S3"]
    url = shop.url.render_as_string(hide_password=False)
    result = run_cli("--db", url, "calls", "queue", "--operator", "wang", "--json")
    assert result.exit_code == 0, result.stderr
    first = json.loads(result.stdout)[0]
    assert (first["customer"], first["reason"], first["due_at"]) == ("S1", "retention", "2026-11-23T08:30:00+08:00")


def test_a_planned_call_not_answered_comes_back_as_a_callback_and_a_final_call_makes_it(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule_retention_call(shop, "S1", by=LEAD, settings=settings, at=at(21, 12))
    record_call(shop, settings, "S1", "no_answer", operator="wang")
    s1 = by_code(call_queue(shop, settings, operator="wang"))["S1"]
    assert (s1.reason, s1.due_at, s1.status, s1.done) == ("callback", at(23, 10), "no_answer", False)
    assert _planned(shop) == {"S1": None}  # still owed: nobody spoke to the shop

    monkeypatch.setenv("TELESALES_NOW", at(23, 10).isoformat())
    made = record_call(shop, settings, "S1", "ordered", operator="wang")
    s1 = by_code(call_queue(shop, settings, operator="wang"))["S1"]
    assert (s1.reason, s1.due_at, s1.status, s1.done) == ("order_day", None, "ordered", True)
    assert _planned(shop) == {"S1": made.call_id}


def test_a_call_before_the_planned_day_leaves_the_plan_for_its_day(shop: Engine, settings: Settings) -> None:
    planned = schedule_retention_call(shop, "S3", by=LEAD, settings=settings)  # Monday 09:00: due Tuesday
    record_call(shop, settings, "S3", "ordered", operator="wang")
    assert _planned(shop) == {"S3": None}
    tuesday = call_queue(shop, settings, day=MONDAY + timedelta(days=1), operator="wang")
    assert [(e.customer, e.reason, e.due_at, e.status) for e in tuesday] == [
        ("S3", "retention", planned.due_at, "to_call"),
        ("T1", "order_day", None, "to_call"),
    ]
    assert call_queue(shop, settings, day=MONDAY + timedelta(days=2)) == []  # the day passed: not carried over
