"""One shop, one call (issue 21) on both databases: a shop is held by one order taker's call at a time, a claim
lapses when its terminal goes silent, and a shop that ordered for its week stays ordered whatever comes after.

The clock is Monday 2026-11-23 in Shanghai; every shop below orders on Mondays.
"""

from __future__ import annotations

import json
import threading
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from db.models import AuditLog
from orders.calls import (
    QueueEntry,
    call_queue,
    claim_next,
    finish_call,
    next_due,
    record_call,
    start_call,
)
from orders.claims import InCall, claim_shop, lead_release, release_claim, renew_claim
from orders.placement import place_order
from orders.report import day_figures
from orders.settings import Settings, load_settings
from orders.shop_week import week_orders
from orders.users import PermissionDenied, add_user
from tests.conftest import run_cli

SH = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 23)

CUSTOMERS = """code,name,tier,order_weekday,owner,operator
X1,张记烟酒,25,1,张老板,wang
X2,李家便利店,12,1,李姐,wang
X3,周家铺子,10,1,周师傅,li
X4,王府超市,8,1,王总,li
X5,刘记小卖部,6,1,刘师傅,li
"""


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=SH)


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def shops(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    url = engine.url.render_as_string(hide_password=False)
    files = {"catalog": "code,name,price_per_carton\nP1,芙蓉王(硬),260.00\n", "customers": CUSTOMERS}
    for kind, content in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        result = run_cli("--db", url, "import", kind, str(path))
        assert result.exit_code == 0, result.stderr
    people = (("wang", "小王", "order_taker"), ("li", "小李", "order_taker"), ("lead", "老周", "shift_lead"))
    for login, name, role in people:
        add_user(engine, login, name, role, "0000")
    monkeypatch.setenv("TELESALES_NOW", at(9, 42).isoformat())
    return engine


def clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setenv("TELESALES_NOW", moment.isoformat())


def by_code(entries: list[QueueEntry]) -> dict[str, QueueEntry]:
    return {e.customer: e for e in entries}


def test_a_claimed_shop_refuses_another_operator_naming_the_holder(shops: Engine, settings: Settings) -> None:
    claim = claim_shop(shops, settings, "X1", "wang")
    assert (claim.operator, claim.name, claim.since) == ("wang", "小王", at(9, 42))
    with pytest.raises(InCall) as refused:
        claim_shop(shops, settings, "X1", "li")
    assert str(refused.value) == "shop X1 is in a call with 小王 since 09:42"
    assert (refused.value.kind, refused.value.holder) == ("in_call", "wang")
    with pytest.raises(InCall):
        start_call(shops, "X1", "li", settings)
    queue = by_code(call_queue(shops, settings))
    assert (queue["X1"].in_call_by, queue["X1"].in_call_name, queue["X1"].since) == ("wang", "小王", at(9, 42))
    assert queue["X1"].as_json(SH)["in_call_by"] == "wang"
    assert queue["X1"].as_json(SH)["since"] == "2026-11-23T09:42:00+08:00"
    team = call_queue(shops, settings)
    assert next_due(team, at(9, 42), me="li").customer == "X2"  # li's `n` skips wang's call
    assert next_due(team, at(9, 42), me="wang").customer == "X1"  # wang's own open call


def test_renewing_keeps_since_and_a_silent_claim_lapses_after_its_minutes(
    shops: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    claim_shop(shops, settings, "X1", "wang")
    clock(monkeypatch, at(9, 45))
    assert renew_claim(shops, settings, "X1", "wang")
    clock(monkeypatch, at(9, 49))  # 4 minutes after the renewal: still wang's
    with pytest.raises(InCall):
        claim_shop(shops, settings, "X1", "li")
    assert by_code(call_queue(shops, settings))["X1"].since == at(9, 42)
    clock(monkeypatch, datetime(2026, 11, 23, 9, 50, 1, tzinfo=SH))  # 5 min 1 s without a renewal
    assert by_code(call_queue(shops, settings))["X1"].in_call_by is None
    taken = claim_shop(shops, settings, "X1", "li")
    assert (taken.operator, taken.since) == ("li", datetime(2026, 11, 23, 9, 50, 1, tzinfo=SH))
    assert not renew_claim(shops, settings, "X1", "wang")  # wang's terminal wakes up: the shop is li's now


def test_release_is_the_holders_or_a_lapsed_claims_and_recording_releases(
    shops: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    claim_shop(shops, settings, "X1", "wang")
    assert not release_claim(shops, settings, "X1", "li")
    assert release_claim(shops, settings, "X1", "wang")
    assert claim_shop(shops, settings, "X1", "li").operator == "li"
    call_id = start_call(shops, "X2", "wang", settings)
    finish_call(shops, settings, call_id, "refused")
    assert claim_shop(shops, settings, "X2", "li").operator == "li"  # finish_call released wang's claim
    claim_shop(shops, settings, "X3", "wang")
    record_call(shops, settings, "X3", "closed", operator="wang")
    assert by_code(call_queue(shops, settings))["X3"].in_call_by is None


def test_only_a_shift_lead_releases_anothers_claim_and_it_is_audited(shops: Engine, settings: Settings) -> None:
    claim_shop(shops, settings, "X1", "wang")
    with pytest.raises(PermissionDenied):
        lead_release(shops, "X1", "li")
    released = lead_release(shops, "X1", "lead")
    assert released is not None and released.operator == "wang"
    assert claim_shop(shops, settings, "X1", "li").operator == "li"
    with shops.connect() as conn:
        audit = conn.execute(
            select(col(AuditLog.actor), col(AuditLog.detail)).where(col(AuditLog.action) == "claim_released")
        ).all()
    assert [(a, json.loads(d)["holder"]) for a, d in audit] == [("lead", "wang")]
    assert lead_release(shops, "X5", "lead") is None  # nobody held it


def test_two_terminals_pressing_n_at_once_never_get_the_same_shop(shops: Engine, settings: Settings) -> None:
    for _ in range(50):
        got: dict[str, str | None] = {}
        start = threading.Barrier(2)

        def press(operator: str, got: dict[str, str | None] = got, start: threading.Barrier = start) -> None:
            start.wait()
            entry = claim_next(shops, settings, operator, team=True)
            got[operator] = entry.customer if entry is not None else None

        threads = [threading.Thread(target=press, args=(who,)) for who in ("wang", "li")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got["wang"] is not None and got["li"] is not None
        assert got["wang"] != got["li"]
        assert {got["wang"], got["li"]} == {"X1", "X2"}  # the two first shops of the list, one each
        release_claim(shops, settings, got["wang"], "wang")
        release_claim(shops, settings, got["li"], "li")


def test_the_shop_n_hands_out_carries_the_same_facts_as_its_row_in_the_queue(
    shops: Engine, settings: Settings, tmp_path: Path
) -> None:
    """`claim_next` reads the queue without the history and tickets, then reads them for the shop it won: the
    entry it returns must be the queue's row for that shop, claim included."""
    url = shops.url.render_as_string(hide_password=False)
    history = tmp_path / "history.csv"
    history.write_text(
        "customer_code,order_date,product_code,qty\nX1,2026-11-16,P1,3\nX1,2026-10-05,P1,2\n", encoding="utf-8"
    )
    assert run_cli("--db", url, "import", "history", str(history)).exit_code == 0
    opened = run_cli("--db", url, "ticket", "open", "X1", "--category", "delivery_error", "--text", "少了两条")
    assert opened.exit_code == 0, opened.stderr
    entry = claim_next(shops, settings, "wang", team=True)
    assert entry is not None and entry.customer == "X1"
    assert (entry.open_tickets, entry.last_order, entry.recent_orders) == (1, date(2026, 11, 16), 2)
    assert entry == by_code(call_queue(shops, settings))["X1"]


def test_a_shop_that_ordered_stays_ordered_whatever_is_recorded_after(
    shops: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_id = start_call(shops, "X1", "wang", settings)
    placed = place_order(shops, settings, "X1", [("P1", 5)], operator="wang", call_id=call_id)
    finish_call(shops, settings, call_id, "ordered")
    clock(monkeypatch, at(9, 50))
    record_call(shops, settings, "X1", "no_answer", operator="li")  # another terminal, a stale list
    record_call(shops, settings, "X1", "refused", operator="li")
    clock(monkeypatch, at(11, 0))  # past the no-answer's retry time
    for queue in (call_queue(shops, settings, operator="wang"), call_queue(shops, settings)):
        x1 = by_code(queue)["X1"]
        assert (x1.status, x1.done, x1.reason, x1.due_at) == ("ordered", True, "order_day", None)
        assert next_due(queue, at(11, 0), me="li").customer != "X1"
    report = day_figures(shops, MONDAY, settings)
    assert (report.operators["wang"].shops_due, report.operators["wang"].shops_done) == (2, 1)
    run = run_cli("--db", shops.url.render_as_string(hide_password=False), "calls", "queue", "--json")
    assert {e["customer"]: e["status"] for e in json.loads(run.stdout)}["X1"] == "ordered"
    [order] = week_orders(shops, settings, "X1")
    assert (order.order_id, order.cartons, order.total_fen, order.operator_name) == (placed.order_id, 5, 130000, "小王")


def test_an_order_placed_without_a_call_makes_the_shop_done(shops: Engine, settings: Settings) -> None:
    url = shops.url.render_as_string(hide_password=False)
    assert run_cli("--db", url, "order", "place", "X4", "P1=2", "--operator", "li").exit_code == 0
    x4 = by_code(call_queue(shops, settings, operator="li"))["X4"]
    assert (x4.status, x4.done) == ("ordered", True)
    assert claim_next(shops, settings, "li") is not None
    assert by_code(call_queue(shops, settings))["X4"].in_call_by is None  # `n` took X3, not the done X4


def test_report_counts_shops_not_calls(shops: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    record_call(shops, settings, "X3", "no_answer", operator="li")
    clock(monkeypatch, at(11, 0))
    record_call(shops, settings, "X3", "refused", operator="li")  # two calls, one shop
    record_call(shops, settings, "X4", "busy", operator="li")
    url = shops.url.render_as_string(hide_password=False)
    run = run_cli("--db", url, "report", "day", "--date", "2026-11-23", "--json")
    assert run.exit_code == 0, run.stderr
    li = json.loads(run.stdout)["operators"]["li"]
    assert (li["calls_done"], li["shops_due"], li["shops_done"]) == (3, 3, 1)
    total = json.loads(run.stdout)["total"]
    assert (total["shops_due"], total["shops_done"], total["calls_due"]) == (5, 1, 5)


def test_calls_start_claims_and_refuses_another_holder_with_exit_3(shops: Engine) -> None:
    url = shops.url.render_as_string(hide_password=False)
    first = run_cli("--db", url, "calls", "start", "X1", "--operator", "wang", "--json")
    assert first.exit_code == 0, first.stderr
    opened = json.loads(first.stdout)
    assert (opened["customer"], opened["operator"], opened["since"]) == ("X1", "wang", "2026-11-23T09:42:00+08:00")
    assert isinstance(opened["call_id"], int)
    second = run_cli("--db", url, "calls", "start", "X1", "--operator", "li", "--json")
    assert second.exit_code == 3
    assert json.loads(second.stdout) == {
        "error": "in_call",
        "message": "shop X1 is in a call with 小王 since 09:42",
        "in_call_by": "wang",
        "since": "2026-11-23T09:42:00+08:00",
    }
    plain = run_cli("--db", url, "calls", "start", "X1", "--operator", "li")
    assert plain.exit_code == 3 and "小王" in plain.stderr
    queue = json.loads(run_cli("--db", url, "calls", "queue", "--json").stdout)
    assert {e["customer"]: e["in_call_by"] for e in queue}["X1"] == "wang"
    refused = run_cli("--db", url, "calls", "release", "X1", "--as", "li", input="0000\n")
    assert refused.exit_code == 3
    assert run_cli("--db", url, "calls", "record", "X1", "--outcome", "busy", "--operator", "wang").exit_code == 0
    assert run_cli("--db", url, "calls", "start", "X1", "--operator", "li").exit_code == 0  # record released it
    released = run_cli("--db", url, "calls", "release", "X1", "--as", "lead", "--json", input="0000\n")
    assert released.exit_code == 0 and json.loads(released.stdout)["in_call_by"] == "li"
