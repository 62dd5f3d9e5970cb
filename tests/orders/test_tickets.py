"""Complaint tickets: due times in working hours (pure), then the life cycle, permissions, signals and figures
on both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from db.csv_import import import_file
from db.models import Ticket, TicketEvent
from orders.settings import load_settings
from orders.tickets import (
    Change,
    TicketError,
    TicketRefused,
    count_queue,
    customer_open_tickets,
    due_time,
    get_ticket,
    list_tickets,
    open_ticket,
    phrase_due,
    reply_promise,
    ticket_figures,
    update_ticket,
)
from orders.users import add_user
from tests.conftest import table_snapshot

SH = ZoneInfo("Asia/Shanghai")
MON = datetime(2026, 11, 23, 9, 0, tzinfo=SH)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November/December 2026, Shanghai time (23 November is a Monday)."""
    if day > 30:
        return datetime(2026, 12, day - 30, hour, minute, tzinfo=SH)
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


# ------------------------------------------------------------------------------- due times (pure)


def test_due_time_reads_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(holidays=["2026-11-24"], work_days=[1, 2, 3, 4, 5], ticket_reply_hours={"price": 2})
    assert due_time("counterfeit", at(23, 15), settings) == at(25, 10)  # 2.5 h Mon, holiday Tue, 1.5 h Wed
    assert due_time("price", at(27, 17), settings) == at(30, 10)  # Friday 0.5 h, no Saturday now, Monday
    assert due_time("counterfeit", MON, settings).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("due", "zh", "en"),
    [
        (at(24, 10), "明天上午10点前", "by 10:00 am tomorrow"),
        (at(23, 13, 7), "今天下午1点半前", "by 1:30 pm today"),  # rounded up to the next half hour
        (at(25, 12), "后天中午12点前", "by 12:00 pm Wednesday"),
        (at(28, 17, 30), "周六下午5点半前", "by 5:30 pm Saturday"),
        (at(38, 9), "12月8日(周二)上午9点前", "by 9:00 am Tuesday 08 December"),
    ],
)
def test_due_time_is_phrased_for_reading_out(due: datetime, zh: str, en: str) -> None:
    assert phrase_due(due, SH, at=MON, lang="zh") == zh
    assert phrase_due(due, SH, at=MON, lang="en") == en


def test_the_promise_is_one_sentence() -> None:
    assert reply_promise(at(24, 10), SH, at=MON) == "我们会在明天上午10点前给您答复"
    assert reply_promise(at(24, 10), SH, at=MON, lang="en") == "We will get back to you by 10:00 am tomorrow."
    # TELESALES_NOW is Monday 09:00 in every test: "now" comes from the clock when not passed
    assert reply_promise(at(24, 10), SH) == "我们会在明天上午10点前给您答复"


# ------------------------------------------------------------------------------------ database


@pytest.fixture
def shop(engine: Engine, tmp_path: Path) -> Engine:
    """Two customers and three logins, created through the public import and user paths."""
    csv = tmp_path / "customers.csv"
    csv.write_text("code,name,tier,order_weekday\nC1,张记小卖部,5,1\nC2,李记超市,30,2\n", encoding="utf-8")
    import_file(engine, "customers", csv, at=MON, actor="test")
    add_user(engine, "wang", "小王", "order_taker", "1234")
    add_user(engine, "li", "小李", "order_taker", "1234")
    add_user(engine, "lead", "刘敏", "shift_lead", "1234")
    return engine


SETTINGS = load_settings()


def events(engine: Engine, ticket_id: int) -> list[tuple[str, str, str | None, str | None, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(TicketEvent.actor), col(TicketEvent.kind), col(TicketEvent.from_status),
                   col(TicketEvent.to_status), col(TicketEvent.note))
            .where(col(TicketEvent.ticket_id) == ticket_id).order_by(col(TicketEvent.id))
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_open_commits_a_due_time_and_records_the_event(shop: Engine) -> None:
    row = open_ticket(shop, "C1", "counterfeit", "  上周送的中华有两条像假烟  ", settings=SETTINGS, operator="wang")
    assert (row.status, row.customer, row.customer_name) == ("open", "C1", "张记小卖部")
    assert row.text == "上周送的中华有两条像假烟"  # trimmed
    assert row.due_at == at(23, 13)
    with shop.connect() as conn:
        stored = conn.execute(select(col(Ticket.due_at), col(Ticket.opened_by))).one()
    assert stored[0] == at(23, 13) and stored[1] == "wang"
    assert events(shop, row.ticket_id) == [("wang", "opened", None, "open", "")]


@pytest.mark.parametrize(
    ("code", "category", "text", "message"),
    [
        ("NOPE", "price", "贵", "unknown customer 'NOPE'"),
        ("C1", "rude", "贵", "unknown category 'rude'; use one of counterfeit, delivery_error"),
        ("C1", "price", "   ", "text must not be empty"),
        ("C1", "price", "贵" * 2001, "text is 2001 characters, at most 2000"),
    ],
)
def test_bad_input_opens_nothing(shop: Engine, code: str, category: str, text: str, message: str) -> None:
    before = table_snapshot(shop)
    with pytest.raises(TicketError, match=message.replace("(", r"\(")):
        open_ticket(shop, code, category, text, settings=SETTINGS)
    assert table_snapshot(shop) == before


def test_a_repeat_complaint_links_to_the_last_one_within_30_days(shop: Engine) -> None:
    long_ago = at(23, 9) - timedelta(days=45)
    first = open_ticket(shop, "C1", "delivery_error", "少了一条玉溪", settings=SETTINGS, at=long_ago)
    second = open_ticket(shop, "C1", "delivery_error", "又少了", settings=SETTINGS, at=at(23, 9) - timedelta(days=10))
    third = open_ticket(shop, "C1", "delivery_error", "还是少", settings=SETTINGS)
    other_cat = open_ticket(shop, "C1", "price", "太贵", settings=SETTINGS)
    other_shop = open_ticket(shop, "C2", "delivery_error", "少了", settings=SETTINGS)
    assert first.repeat_of is None  # nothing before it
    assert second.repeat_of is None  # 35 days after the first: not a repeat
    assert third.repeat_of == second.ticket_id
    assert other_cat.repeat_of is None and other_shop.repeat_of is None
    assert events(shop, third.ticket_id)[0][4] == f"repeat of #{second.ticket_id}"


def test_life_cycle_with_reopen_and_close(shop: Engine) -> None:
    t = open_ticket(shop, "C1", "damaged", "烟盒压坏了", settings=SETTINGS, operator="wang")
    row, done = update_ticket(shop, t.ticket_id, Change(status="in_progress", note="已联系配送"), actor="wang",
                              at=at(23, 9, 40))
    assert row.status == "in_progress" and done == ["status open → in_progress"]
    update_ticket(shop, t.ticket_id, Change(status="waiting_customer"), actor="wang", at=at(23, 10))
    update_ticket(shop, t.ticket_id, Change(status="resolved"), actor="wang", at=at(23, 11))
    update_ticket(shop, t.ticket_id, Change(status="in_progress", note="客户说还没换"), actor="wang", at=at(23, 12))
    update_ticket(shop, t.ticket_id, Change(status="resolved"), actor="wang", at=at(23, 14))
    update_ticket(shop, t.ticket_id, Change(status="closed"), actor="lead", at=at(23, 15))
    with shop.connect() as conn:
        first, resolved, closed = conn.execute(
            select(col(Ticket.first_response_at), col(Ticket.resolved_at), col(Ticket.closed_at))
        ).one()
    assert (first, resolved, closed) == (at(23, 9, 40), at(23, 14), at(23, 15))
    assert [(e[1], e[2], e[3]) for e in events(shop, t.ticket_id)] == [
        ("opened", None, "open"),
        ("status", "open", "in_progress"),
        ("status", "in_progress", "waiting_customer"),
        ("status", "waiting_customer", "resolved"),
        ("reopened", "resolved", "in_progress"),
        ("status", "in_progress", "resolved"),
        ("status", "resolved", "closed"),
    ]
    assert events(shop, t.ticket_id)[1][4] == "已联系配送"  # the note is kept on the status move
    with pytest.raises(TicketRefused, match="cannot go from closed to in_progress; allowed: none") as err:
        update_ticket(shop, t.ticket_id, Change(status="in_progress"), actor="lead")
    assert err.value.kind == "forbidden_transition"


def test_a_forbidden_move_names_the_allowed_ones_and_changes_nothing(shop: Engine) -> None:
    t = open_ticket(shop, "C1", "price", "涨价了", settings=SETTINGS)
    before = table_snapshot(shop)
    with pytest.raises(TicketRefused, match="from open to closed; allowed: in_progress, waiting_customer, resolved"):
        update_ticket(shop, t.ticket_id, Change(status="closed", note="x"), actor="lead")
    assert table_snapshot(shop) == before


def test_only_shift_leads_close_reassign_or_move_due_times(shop: Engine) -> None:
    t = open_ticket(shop, "C1", "attitude", "电访员态度差", settings=SETTINGS)
    update_ticket(shop, t.ticket_id, Change(assign="wang"), actor="wang")  # taking an unassigned ticket is fine
    update_ticket(shop, t.ticket_id, Change(status="resolved"), actor="wang")
    before = table_snapshot(shop)
    new_due = at(25, 10)
    moves = (
        Change(status="closed"), Change(assign="li"), Change(due=new_due, reason="x"), Change(note="n", assign="li")
    )
    for change in moves:
        with pytest.raises(TicketRefused, match="only a shift lead may") as err:
            update_ticket(shop, t.ticket_id, change, actor="wang")
        assert err.value.kind == "permission"
        assert table_snapshot(shop) == before
    row, _ = update_ticket(shop, t.ticket_id, Change(assign="li", due=new_due, reason="客户同意延后"), actor="lead")
    assert (row.assigned_to, row.due_at) == ("li", new_due)
    kinds = [(e[0], e[1]) for e in events(shop, t.ticket_id)]
    assert ("lead", "assign") in kinds and ("lead", "due_changed") in kinds
    assert update_ticket(shop, t.ticket_id, Change(status="closed"), actor="lead")[0].status == "closed"


def test_escalation_needs_a_reason_and_unknown_names_are_bad_input(shop: Engine) -> None:
    t = open_ticket(shop, "C1", "counterfeit", "疑似假烟", settings=SETTINGS)
    with pytest.raises(TicketError, match="needs a reason"):
        update_ticket(shop, t.ticket_id, Change(escalate_to="shift_lead"))
    row, done = update_ticket(shop, t.ticket_id, Change(escalate_to="客户经理老周", reason="需上门取样"), actor="wang")
    assert row.escalated_to == "客户经理老周" and done == ["escalated to 客户经理老周"]
    assert events(shop, t.ticket_id)[-1][1:] == ("escalate", None, None, "to 客户经理老周: 需上门取样")
    with pytest.raises(TicketError, match="unknown ticket 999"):
        update_ticket(shop, 999, Change(note="x"))
    with pytest.raises(TicketError, match="unknown user 'ghost'"):
        update_ticket(shop, t.ticket_id, Change(note="x"), actor="ghost")
    with pytest.raises(TicketError, match="unknown user 'ghost'"):
        update_ticket(shop, t.ticket_id, Change(assign="ghost"))
    with pytest.raises(TicketError, match="nothing to change"):
        update_ticket(shop, t.ticket_id, Change())


def test_queue_flags_counts_and_the_customers_open_tickets(shop: Engine) -> None:
    late = open_ticket(shop, "C1", "counterfeit", "a", settings=SETTINGS, at=at(20, 9))  # due Friday 13:00
    soon = open_ticket(shop, "C2", "counterfeit", "b", settings=SETTINGS, at=at(21, 15))  # due Monday 09:30
    later = open_ticket(shop, "C1", "other", "c", settings=SETTINGS)
    done = open_ticket(shop, "C2", "price", "d", settings=SETTINGS, at=at(16, 9))
    update_ticket(shop, done.ticket_id, Change(status="resolved"))
    queue = list_tickets(shop)
    assert [r.ticket_id for r in queue] == [late.ticket_id, soon.ticket_id, later.ticket_id]
    assert [(r.overdue, r.due_soon) for r in queue] == [(True, False), (False, True), (False, False)]
    assert [r.ticket_id for r in list_tickets(shop, overdue=True)] == [late.ticket_id]
    assert [r.ticket_id for r in list_tickets(shop, status="resolved")] == [done.ticket_id]
    assert len(list_tickets(shop, status="all")) == 4
    assert [r.ticket_id for r in list_tickets(shop, limit=1, offset=1)] == [soon.ticket_id]
    counts = count_queue(shop)
    assert (counts.open, counts.overdue, counts.due_soon, counts.total) == (3, 1, 1, 3)
    assert [r.ticket_id for r in customer_open_tickets(shop, "C1")] == [late.ticket_id, later.ticket_id]
    detail = get_ticket(shop, done.ticket_id)
    assert [e.kind for e in detail.events] == ["opened", "status"] and not detail.ticket.overdue


def test_figures_for_the_shift_lead(shop: Engine) -> None:
    a = open_ticket(shop, "C1", "counterfeit", "a", settings=SETTINGS, at=at(23, 9))  # due 13:00
    b = open_ticket(shop, "C1", "counterfeit", "b", settings=SETTINGS, at=at(23, 10))  # repeat, due 14:00
    c = open_ticket(shop, "C2", "price", "c", settings=SETTINGS, at=at(24, 9))
    update_ticket(shop, a.ticket_id, Change(status="in_progress"), at=at(23, 9, 30))
    update_ticket(shop, a.ticket_id, Change(status="resolved"), at=at(23, 12))
    update_ticket(shop, a.ticket_id, Change(status="closed"), at=at(23, 16))
    update_ticket(shop, b.ticket_id, Change(status="resolved"), at=at(23, 15))  # past its 14:00 due time
    update_ticket(shop, b.ticket_id, Change(status="closed"), at=at(23, 16))
    update_ticket(shop, c.ticket_id, Change(status="in_progress"), at=at(24, 10))
    figures = ticket_figures(shop, date(2026, 11, 23), date(2026, 11, 24), SH)
    assert figures.opened == {date(2026, 11, 23): {"counterfeit": 2}, date(2026, 11, 24): {"price": 1}}
    assert (figures.closed_on_time, figures.closed_late) == (1, 1)
    assert figures.median_first_response == timedelta(hours=1)  # 30 min, 60 min (b resolved at once: 5 h), ...
    assert figures.median_resolution == timedelta(hours=4)  # 3 h and 5 h
    assert figures.repeat_rate == pytest.approx(1 / 3)
    empty = ticket_figures(shop, date(2026, 1, 1), date(2026, 1, 1), SH)
    assert empty.opened == {} and empty.repeat_rate is None and empty.median_resolution is None
