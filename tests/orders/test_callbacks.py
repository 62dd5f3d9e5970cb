# ruff: noqa: F811  (the shops and settings fixtures are test_calls.py's, imported by name)
"""Callbacks that cannot be lost, the cut-off in sight and the lead's complaint call-back, on both databases.

Same six shops as `test_calls.py` (K1, S1, S3 are wang's Monday shops, K2 and S2 li's, T1 wang's Tuesday shop
that asked to be called Monday 10:30); the centre works Monday-Saturday 08:30-17:30, cut-off 17:00.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, insert, select
from sqlmodel import col

from db.models import Customer, PlannedCall, Ticket, TicketEvent
from orders.calls import CallError, call_queue, finish_call, record_call, start_call
from orders.placement import cutoff_state
from orders.settings import Settings
from orders.tickets import get_ticket, open_ticket
from orders.users import add_user
from tests.conftest import run_cli, table_snapshot
from tests.orders.test_calls import at, by_code, codes, settings, shop  # noqa: F401  (fixtures)

MONDAY = date(2026, 11, 23)


def test_a_callback_due_two_hours_ago_comes_first_marked_overdue(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELESALES_NOW", at(23, 9).isoformat())
    record_call(shop, settings, "S3", "callback_requested", operator="wang", callback_at=at(23, 11))
    record_call(shop, settings, "S1", "callback_requested", operator="wang", callback_at=at(23, 16))
    monkeypatch.setenv("TELESALES_NOW", at(23, 13).isoformat())
    queue = call_queue(shop, settings, operator="wang")
    assert [(e.customer, e.overdue) for e in queue[:3]] == [("T1", True), ("S3", True), ("S1", False)]
    assert queue[0].due_at == at(23, 10, 30)  # the oldest broken promise first
    assert by_code(queue)["K1"].overdue is False
    as_json = queue[1].as_json(settings.zone)
    assert as_json["overdue"] is True and as_json["due_at"] == "2026-11-23T11:00:00+08:00"


def test_a_missed_callback_is_carried_to_the_next_day_until_the_weeks_cutoff(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # T1 (orders on Tuesday) asked for Monday 10:30 and nobody called: on Tuesday it is still there, first
    monkeypatch.setenv("TELESALES_NOW", at(24, 9).isoformat())
    tuesday = call_queue(shop, settings, operator="wang")
    assert [(e.customer, e.reason, e.overdue, e.due_at) for e in tuesday][:1] == [
        ("T1", "callback", True, at(23, 10, 30))
    ]
    # a Monday shop's callback missed on Monday is gone on Tuesday: its week locked at Monday 17:00
    monkeypatch.setenv("TELESALES_NOW", at(23, 9).isoformat())
    record_call(shop, settings, "S3", "callback_requested", operator="wang", callback_at=at(23, 11))
    monkeypatch.setenv("TELESALES_NOW", at(24, 9).isoformat())
    assert "S3" not in codes(call_queue(shop, settings, day=MONDAY + timedelta(days=1), operator="wang"))
    # a later call supersedes the missed one
    record_call(shop, settings, "T1", "ordered", operator="wang")
    t1 = by_code(call_queue(shop, settings, operator="wang"))["T1"]
    assert (t1.reason, t1.overdue, t1.done) == ("order_day", False, True)


def test_a_requested_callback_is_its_takers_until_the_handover_then_anyones(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # li took a call from wang's shop S1 and promised 11:00
    monkeypatch.setenv("TELESALES_NOW", at(23, 9).isoformat())
    record_call(shop, settings, "S1", "callback_requested", operator="li", callback_at=at(23, 11))
    monkeypatch.setenv("TELESALES_NOW", at(23, 11, 29).isoformat())
    assert by_code(call_queue(shop, settings, operator="li"))["S1"].reason == "callback"
    assert by_code(call_queue(shop, settings, operator="wang"))["S1"].reason == "order_day"
    monkeypatch.setenv("TELESALES_NOW", at(23, 11, 30).isoformat())  # 30 minutes overdue: anyone's
    for who in ("li", "wang", "zhao"):
        s1 = by_code(call_queue(shop, settings, operator=who))["S1"]
        assert (s1.reason, s1.overdue) == ("callback", True), who
    assert by_code(call_queue(shop, settings))["S1"].overdue  # and the lead's team view
    # a retry belongs to the shop's usual order taker, however late
    record_call(shop, settings, "K2", "no_answer", operator="wang")
    monkeypatch.setenv("TELESALES_NOW", at(23, 16).isoformat())
    assert "K2" not in {e.customer for e in call_queue(shop, settings, operator="wang") if e.reason == "callback"}
    assert by_code(call_queue(shop, settings, operator="li"))["K2"].overdue


def test_callback_handover_minutes_is_a_setting(
    shop: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().callback_handover_minutes == 30
    monkeypatch.setenv("TELESALES_CALLBACK_HANDOVER_MINUTES", "120")
    patient = Settings()
    monkeypatch.setenv("TELESALES_NOW", at(23, 11, 0).isoformat())  # T1 is 30 minutes overdue
    assert by_code(call_queue(shop, patient, operator="li")).get("T1") is None
    assert by_code(call_queue(shop, Settings(callback_handover_minutes=30), operator="li"))["T1"].overdue


def test_the_cutoff_in_sight(settings: Settings) -> None:
    week = MONDAY
    early = cutoff_state(week, 1, at(23, 15, 59), settings)
    assert (early.cutoff_at, early.minutes_left, early.soon, early.passed) == (at(23, 17), 61, False, False)
    soon = cutoff_state(week, 1, at(23, 16), settings)
    assert (soon.minutes_left, soon.soon, soon.passed) == (60, True, False)
    last = cutoff_state(week, 1, at(23, 17), settings)
    assert (last.minutes_left, last.soon, last.passed) == (0, True, False)  # placing at 17:00 is still allowed
    late = cutoff_state(week, 1, at(23, 17, 1), settings)
    assert (late.soon, late.passed) == (False, True)
    tuesday_shop = cutoff_state(week, 2, at(23, 17, 1), settings)
    assert (tuesday_shop.cutoff_at, tuesday_shop.passed) == (at(24, 17), False)
    assert cutoff_state(week, 1, at(23, 15, 30), Settings(cutoff_warning_minutes=120)).soon


def test_the_queue_shows_each_shops_cutoff(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELESALES_NOW", at(23, 17, 5).isoformat())
    queue = by_code(call_queue(shop, settings))
    assert (queue["K1"].cutoff_at, queue["K1"].cutoff_passed) == (at(23, 17), True)
    as_json = queue["K1"].as_json(settings.zone)
    assert as_json["cutoff_at"] == "2026-11-23T17:00:00+08:00" and as_json["cutoff_passed"] is True


def _ticket(engine: Engine, code: str, settings: Settings, text: str = "少了两条软中华") -> int:
    return int(open_ticket(engine, code, "delivery_error", text, settings=settings, operator="wang").ticket_id)


def test_replied_writes_into_the_ticket_and_leaves_the_shops_day_alone(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = _ticket(shop, "K1", settings, "上周少了一条")
    planned_for = _ticket(shop, "K1", settings)
    with shop.begin() as conn:
        k1 = conn.execute(select(col(Customer.id)).where(col(Customer.code) == "K1")).scalar_one()
        conn.execute(insert(PlannedCall).values(
            customer_id=k1, reason="ticket_callback", due_at=at(23, 10), operator="lead", created_by="lead",
            created_at=at(23, 8), ticket_id=older, note="",
        ))
    monkeypatch.setenv("TELESALES_NOW", at(23, 10).isoformat())
    before = by_code(call_queue(shop, settings))["K1"]
    assert before.reason == "ticket_callback"
    call_id = start_call(shop, "K1", "lead")
    finish_call(shop, settings, call_id, "replied", note="已补发一条")
    after = by_code(call_queue(shop, settings))["K1"]
    assert (after.reason, after.status, after.done) == ("order_day", "to_call", False)  # still to order today
    notes = [e.note for e in get_ticket(shop, older).events if e.kind == "note"]
    assert notes == ["call-back: replied to the customer: 已补发一条"]
    assert not [e for e in get_ticket(shop, planned_for).events if e.kind == "note"]
    with shop.connect() as conn:
        assert conn.execute(select(col(PlannedCall.call_id))).scalar_one() == call_id
        assert conn.execute(select(col(Ticket.status)).where(col(Ticket.id) == older)).scalar_one() == "open"
    # without a plan, the shop's most recent open ticket gets the reply; a missed retry stays superseded by nothing
    record_call(shop, settings, "K1", "replied", operator="lead")
    recent = [e.note for e in get_ticket(shop, planned_for).events if e.kind == "note"]
    assert recent == ["call-back: replied to the customer"]
    k1 = by_code(call_queue(shop, settings))["K1"]
    assert (k1.status, k1.done) == ("to_call", False)


def test_replied_keeps_an_ordered_shop_ordered_and_a_callback_owed(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ticket(shop, "S1", settings)
    _ticket(shop, "S3", settings)
    record_call(shop, settings, "S1", "ordered", operator="wang")
    record_call(shop, settings, "S3", "callback_requested", operator="wang", callback_at=at(23, 11))
    monkeypatch.setenv("TELESALES_NOW", at(23, 10).isoformat())
    record_call(shop, settings, "S1", "replied", operator="lead")
    record_call(shop, settings, "S3", "replied", operator="lead")
    queue = by_code(call_queue(shop, settings))
    assert (queue["S1"].status, queue["S1"].done) == ("ordered", True)
    s3 = queue["S3"]
    assert (s3.reason, s3.due_at, s3.status) == ("callback", at(23, 11), "callback_requested")


def test_replied_is_refused_for_a_shop_without_an_open_ticket(shop: Engine, settings: Settings) -> None:
    add_user(shop, "lead", "老周", "shift_lead", "0000")  # --operator must be a known login
    before = table_snapshot(shop)
    with pytest.raises(CallError, match="open complaint"):
        record_call(shop, settings, "K2", "replied", operator="lead")
    with pytest.raises(CallError, match="callback"):
        record_call(shop, settings, "K2", "replied", operator="lead", callback_at=at(23, 11))
    assert table_snapshot(shop) == before
    url = shop.url.render_as_string(hide_password=False)
    result = run_cli("--db", url, "calls", "record", "K2", "--outcome", "replied", "--operator", "lead")
    assert result.exit_code == 1 and "open complaint" in result.stderr
    assert table_snapshot(shop) == before


def test_calls_record_replied_from_the_cli(shop: Engine, settings: Settings) -> None:
    ticket = _ticket(shop, "K2", settings)
    add_user(shop, "lead", "老周", "shift_lead", "0000")
    url = shop.url.render_as_string(hide_password=False)
    result = run_cli("--db", url, "calls", "record", "K2", "--outcome", "replied", "--operator", "lead")
    assert result.exit_code == 0, result.stderr
    with shop.connect() as conn:
        kinds = conn.execute(select(col(TicketEvent.note)).where(col(TicketEvent.ticket_id) == ticket)).scalars()
        assert "call-back: replied to the customer" in list(kinds)


def _script(engine: Engine, code: str, settings: Settings, lang: str = "zh") -> tuple[str, str]:
    from orders.script_context import prepare_script
    from scripts_lib.loader import ScriptLibrary

    prepared = prepare_script(engine, ScriptLibrary(), code, settings=settings, lang=lang)  # type: ignore[arg-type]
    return prepared.name, "\n".join(step.text for step in prepared.steps)


def test_a_callback_call_reads_the_callback_script_naming_the_appointment(
    shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELESALES_NOW", at(23, 10, 35).isoformat())
    name, text = _script(shop, "T1", settings)
    assert name == "callback" and "您约的是今天10:30回电" in text
    assert "today at 10:30" in _script(shop, "T1", settings, "en")[1]
    # carried over to Tuesday, still the callback script, naming the day it was promised
    monkeypatch.setenv("TELESALES_NOW", at(24, 9).isoformat())
    name, text = _script(shop, "T1", settings)
    assert name == "callback" and "您约的是昨天10:30回电" in text
    # a retry missed on Monday, called on Tuesday: the callback script too
    monkeypatch.setenv("TELESALES_NOW", at(23, 16).isoformat())
    record_call(shop, settings, "K2", "no_answer", operator="li")
    monkeypatch.setenv("TELESALES_NOW", at(24, 9).isoformat())
    assert _script(shop, "K2", settings)[0] == "callback"
    # the lead's reply on a complaint does not turn a shop's next call into a callback, nor hide one
    assert _script(shop, "S2", settings)[0] != "callback"


def test_one_overdue_rule_for_tickets(shop: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import update

    from orders.call_view import load_call_view
    from orders.script_context import build_context

    monkeypatch.setenv("TELESALES_NOW", at(23, 9, 59).isoformat())
    fresh = _ticket(shop, "K1", settings)  # logged a minute ago, due in working hours to come
    late = _ticket(shop, "K2", settings)
    with shop.begin() as conn:
        conn.execute(update(Ticket).where(col(Ticket.id) == late).values(due_at=at(23, 7, 52)))
    monkeypatch.setenv("TELESALES_NOW", at(23, 10).isoformat())
    assert [t.overdue for t in build_context(shop, "K1", settings=settings).tickets] == [False]
    assert [t.overdue for t in build_context(shop, "K2", settings=settings).tickets] == [True]
    assert "答复晚了" not in _script(shop, "K1", settings)[1]
    assert [t.overdue for t in load_call_view(shop, settings, "K1").card.tickets] == [False]
    assert [t.overdue for t in load_call_view(shop, settings, "K2").card.tickets] == [True]
    url = shop.url.render_as_string(hide_password=False)
    listed = run_cli("--db", url, "ticket", "list", "--json")
    import json

    flags = {row["ticket_id"]: row["overdue"] for row in json.loads(listed.stdout)}
    assert flags == {fresh: False, late: True}
