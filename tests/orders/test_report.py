"""The shift lead's day figures on both databases, on a small day a lead could count by hand.

The day is Monday 2026-11-23 in Shanghai. `build_day` writes it through the public paths (CSV import, record
and start a call, place and cancel an order, open and work tickets; only a call without a duration and the
lead's planned calls are inserted directly), with a few rows just outside the day (Friday, Sunday 23:59,
Tuesday 00:00) to hold the local-day bounds. What a lead should read:

- demo: 4 customers due (K1, S1, S2 and T1's callback), 3 calls (ordered, no answer, ordered: 120 + 30 + 135 s,
  avg 95.0), 2 orders of 10 cartons, 2 complaints opened (one a repeat), 1 ticket closed late.
- li: 3 due (L1, L2 and W1's planned retention call), 2 calls (busy, then ordered: 50 + 110 s, avg 80.0),
  2 orders of 5 cartons (one for next week), 1 complaint opened, 1 ticket closed on time.
- wang: no customers of his own, 1 refused call keyed in without a duration (avg null).
- lead: 1 ticket closed on time (assigned to the lead).
- total: 8 due (N1 has no order taker, so it is due for the team only), 6 calls, avg 89.0 over the 5 timed.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, insert, select
from sqlmodel import col

from db.models import CALL_OUTCOMES, Call, Customer, PlannedCall
from orders.calls import call_queue, record_call, start_call
from orders.placement import cancel_order, place_order
from orders.report import calls_due_by_operator, closed_on_time, day_dashboard, day_figures
from orders.settings import Settings, load_settings
from orders.tickets import Change, open_ticket, ticket_figures, update_ticket
from orders.users import add_user
from tests.conftest import run_cli

SH = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 23)

CUSTOMERS = """code,name,tier,order_weekday,owner,operator
K1,张记烟酒,25,1,张老板,demo
S1,李家便利店,5,1,李姐,demo
S2,周家铺子,10,1,周师傅,demo
T1,陈记副食,8,2,陈老板,demo
L1,王府超市,22,1,王总,li
L2,刘记小卖部,8,1,刘师傅,li
W1,吴家商店,7,3,吴姐,li
N1,新开小店,6,1,钱老板,
"""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026 (day 23 is a Monday), Shanghai time; day 24+ may pass the 30th."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def build_day(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The small Monday described in the module docstring. Leaves the clock at Monday 16:30."""
    settings = load_settings()
    url = engine.url.render_as_string(hide_password=False)
    files = {
        "catalog": "code,name,price_per_carton\nP1,芙蓉王(硬),260.00\nP2,白沙(精品),95.00\n",
        "customers": CUSTOMERS,
    }
    for kind, content in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        result = run_cli("--db", url, "import", kind, str(path))
        assert result.exit_code == 0, result.stderr
    for login, name, role in (("demo", "小王", "order_taker"), ("li", "小李", "order_taker"),
                              ("wang", "小汪", "order_taker"), ("lead", "班长老周", "shift_lead")):
        add_user(engine, login, name, role, "0000")

    def clock(moment: datetime) -> None:
        monkeypatch.setenv("TELESALES_NOW", moment.isoformat())

    def call(code: str, outcome: str, operator: str, start: datetime, seconds: int,
             callback_at: datetime | None = None) -> None:
        clock(start + timedelta(seconds=seconds))  # the call ends now, having lasted `seconds`
        record_call(engine, settings, code, outcome, operator=operator, duration_s=seconds, started_at=start,
                    callback_at=callback_at)

    # Friday: T1 asks to be called Monday 10:30; a counterfeit complaint (due Saturday 10:00); an order placed
    # for K1's next week; a complaint closed on Sunday.
    call("T1", "callback_requested", "demo", at(20, 15), 40, callback_at=at(23, 10, 30))
    clock(at(20, 15))
    first = open_ticket(engine, "K1", "counterfeit", "盒里有假烟", settings=settings, operator="demo")
    clock(at(20, 16))
    place_order(engine, settings, "K1", [("P1", 1)], week=MONDAY, operator="demo")
    clock(at(20, 10))
    sunday = open_ticket(engine, "S2", "other", "发票没给", settings=settings, operator="demo")
    update_ticket(engine, sunday.ticket_id, Change(status="resolved"), at=at(21, 9))
    update_ticket(engine, sunday.ticket_id, Change(status="closed"), at=at(22, 10))
    # Saturday: li takes a price complaint; the lead takes it over.
    clock(at(21, 9))
    price = open_ticket(engine, "L2", "price", "价格比上周高", settings=settings, operator="li")
    update_ticket(engine, price.ticket_id, Change(assign="lead"), at=at(21, 9, 30))
    # Sunday 23:59 and Tuesday 00:00: calls just outside Monday
    call("K1", "wrong_number", "demo", datetime(2026, 11, 22, 23, 59, tzinfo=SH), 20)
    call("K1", "wrong_number", "demo", datetime(2026, 11, 24, 0, 0, tzinfo=SH), 20)

    # The lead plans a retention call to W1 (li's Wednesday shop) for Monday 14:00, and one to S2 (already due
    # Monday) for the same time: W1 joins Monday's list, S2 stays on it once.
    with engine.begin() as conn:
        conn.execute(insert(PlannedCall), [
            {"customer_id": _customer_id(conn, code), "reason": "retention", "due_at": at(23, 14),
             "operator": None, "created_by": "lead", "created_at": at(21, 12), "note": ""}
            for code in ("W1", "S2")
        ])

    # Monday
    with engine.begin() as conn:  # keyed in by hand before opening, without a duration
        conn.execute(insert(Call).values(customer_id=_customer_id(conn, "N1"), operator="wang",
                                         started_at=at(23, 7, 45), ended_at=at(23, 7, 46), outcome="refused",
                                         note=""))
    call("K1", "ordered", "demo", at(23, 9, 10), 120)
    clock(at(23, 9, 12))
    place_order(engine, settings, "K1", [("P1", 5), ("P2", 3)], operator="demo")
    call("S1", "no_answer", "demo", at(23, 9, 20), 30)
    clock(at(23, 9, 25))
    open_ticket(engine, "S1", "delivery_error", "少了两条", settings=settings, operator="demo")
    update_ticket(engine, price.ticket_id, Change(status="resolved"), at=at(23, 9, 30))
    call("L1", "busy", "li", at(23, 9, 40), 50)
    clock(at(23, 10))
    delivery = open_ticket(engine, "L2", "delivery_error", "送错了烟", settings=settings, operator="li")
    update_ticket(engine, first.ticket_id, Change(status="resolved"), at=at(23, 10))  # due Saturday 10:00
    call("S2", "ordered", "demo", at(23, 10, 5), 135)
    clock(at(23, 10, 7))
    place_order(engine, settings, "S2", [("P1", 2)], operator="demo")
    clock(at(23, 10, 30))
    cancelled = place_order(engine, settings, "N1", [("P2", 1)], operator="demo")
    cancel_order(engine, settings, int(cancelled.order_id), operator="demo")
    call("L1", "ordered", "li", at(23, 11), 110)
    clock(at(23, 11, 2))
    place_order(engine, settings, "L1", [("P2", 4)], operator="li")
    update_ticket(engine, first.ticket_id, Change(status="closed"), at=at(23, 11))
    clock(at(23, 11, 30))
    place_order(engine, settings, "L2", [("P1", 1)], week=date(2026, 11, 30), operator="li")
    repeat = open_ticket(engine, "K1", "counterfeit", "又是假烟", settings=settings, operator="demo")
    assert repeat.repeat_of == first.ticket_id
    clock(at(23, 12))
    start_call(engine, "T1", "demo")  # still open: a crashed terminal, not a call done
    update_ticket(engine, price.ticket_id, Change(status="closed"), at=at(23, 12))
    update_ticket(engine, delivery.ticket_id, Change(status="resolved"), at=at(23, 14))
    update_ticket(engine, delivery.ticket_id, Change(status="closed"), at=at(23, 15))
    clock(at(23, 16, 30))
    return engine


def _customer_id(conn: Connection, code: str) -> int:
    found = conn.execute(select(col(Customer.id)).where(col(Customer.code) == code)).scalar_one()
    assert found is not None
    return found


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def day(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    return build_day(engine, tmp_path, monkeypatch)


def outcomes(**counts: int) -> dict[str, int]:
    return {o: counts.get(o, 0) for o in CALL_OUTCOMES}


def test_the_day_per_operator_as_a_lead_counts_it(day: Engine, settings: Settings) -> None:
    report = day_figures(day, MONDAY, settings).as_json()
    assert report["date"] == "2026-11-23"
    assert sorted(report["operators"]) == ["demo", "lead", "li", "wang"]
    assert report["operators"]["demo"] == {
        "calls_due": 4,
        "calls_done": 3,
        "outcomes": outcomes(ordered=2, no_answer=1),
        "orders": 2,
        "cartons": 10,
        "avg_call_seconds": 95.0,
        "complaints_opened": 2,
        "tickets_closed_on_time": 0,
        "tickets_closed_late": 1,
        "shops_due": 4,
        "shops_done": 2,  # K1 and S2 ordered; S1 did not answer, T1's call is still open
    }
    assert report["operators"]["li"] == {
        "calls_due": 3,
        "calls_done": 2,
        "outcomes": outcomes(busy=1, ordered=1),
        "orders": 2,
        "cartons": 5,
        "avg_call_seconds": 80.0,
        "complaints_opened": 1,
        "tickets_closed_on_time": 1,
        "tickets_closed_late": 0,
        "shops_due": 3,
        "shops_done": 1,  # L1 ordered; L2's order is for next week, W1's planned call is not made
    }
    wang = report["operators"]["wang"]
    assert (wang["calls_due"], wang["calls_done"], wang["outcomes"]["refused"], wang["avg_call_seconds"]) == (
        0, 1, 1, None,
    )
    lead = report["operators"]["lead"]
    assert (lead["calls_done"], lead["tickets_closed_on_time"], lead["tickets_closed_late"]) == (0, 1, 0)


def test_the_total_is_the_team_including_customers_nobody_owns(day: Engine, settings: Settings) -> None:
    report = day_figures(day, MONDAY, settings)
    assert report.total.as_json() == {
        "calls_due": 8,  # 4 + 3 + N1, whose calls belong to nobody in particular
        "calls_done": 6,
        "outcomes": outcomes(ordered=3, no_answer=1, busy=1, refused=1),
        "orders": 4,
        "cartons": 15,
        "avg_call_seconds": 89.0,  # (120 + 30 + 50 + 135 + 110) / 5: wang's call has no duration
        "complaints_opened": 3,
        "tickets_closed_on_time": 2,
        "tickets_closed_late": 1,
        "shops_due": 8,
        "shops_done": 4,  # K1, S2, L1, and N1 refused (its order was cancelled)
    }
    people = report.operators.values()
    for name in ("calls_done", "orders", "cartons", "complaints_opened", "tickets_closed_on_time",
                 "tickets_closed_late"):
        assert getattr(report.total, name) == sum(getattr(f, name) for f in people), name
    assert report.total.calls_due == sum(f.calls_due for f in people) + 1


def test_calls_due_agrees_with_the_call_queue(day: Engine, settings: Settings) -> None:
    for when in (MONDAY, date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 29)):
        queue = call_queue(day, settings, day=when)
        with day.connect() as conn:
            counted = calls_due_by_operator(conn, when, settings.zone)
        assert counted == dict(Counter(e.operator for e in queue)), when
    tuesday = day_figures(day, date(2026, 11, 24), settings)
    assert tuesday.total.calls_due == 1 and tuesday.operators["demo"].calls_due == 1  # T1's order day
    assert tuesday.total.calls_done == 1  # the 00:00 call


def test_closed_tickets_follow_the_ticket_figures_rule(day: Engine, settings: Settings) -> None:
    figures = ticket_figures(day, MONDAY, MONDAY, settings.zone)
    report = day_figures(day, MONDAY, settings).total
    assert (report.tickets_closed_on_time, report.tickets_closed_late) == (figures.closed_on_time,
                                                                           figures.closed_late)
    assert report.complaints_opened == sum(sum(c.values()) for c in figures.opened.values())
    assert closed_on_time(at(23, 10), at(23, 10), at(23, 12))  # answered at the due minute is on time
    assert not closed_on_time(at(23, 10), None, at(23, 11))  # no resolve step: the close is the answer
    assert closed_on_time(at(23, 10), None, at(23, 9))


def test_an_empty_day_has_zeros_and_no_operators(day: Engine, settings: Settings) -> None:
    sunday = day_figures(day, date(2026, 11, 29), settings).as_json()
    assert sunday == {
        "date": "2026-11-29",
        "total": {
            "calls_due": 0, "calls_done": 0, "outcomes": outcomes(), "orders": 0, "cartons": 0,
            "avg_call_seconds": None, "complaints_opened": 0, "tickets_closed_on_time": 0,
            "tickets_closed_late": 0, "shops_due": 0, "shops_done": 0,
        },
        "operators": {},
    }


def test_the_local_day_not_the_utc_day_bounds_the_figures(day: Engine, settings: Settings) -> None:
    sunday = day_figures(day, date(2026, 11, 22), settings)
    assert sunday.total.calls_done == 1  # 23:59 local is Sunday 15:59 UTC, and not Monday
    assert sunday.total.tickets_closed_on_time == 1  # the ticket closed on Sunday
    utc = day_figures(day, MONDAY, load_settings(timezone="UTC")).total.outcomes
    # read in UTC, Monday is 08:00 Monday to 08:00 Tuesday in Shanghai: the 00:00 call is in, wang's 07:45 out
    assert (utc["wrong_number"], utc["refused"]) == (1, 0)
    friday = day_figures(day, date(2026, 11, 20), settings)
    assert (friday.total.orders, friday.total.cartons) == (1, 1)  # placed Friday for Monday's week


def test_the_dashboard_adds_hours_repeats_the_queue_and_names(day: Engine, settings: Settings) -> None:
    board = day_dashboard(day, MONDAY, settings)
    assert board.report == day_figures(day, MONDAY, settings)
    assert board.hours == [8, 9, 10, 11, 12, 13, 14, 15, 16, 17]  # 08:30-17:30
    assert board.calls_per_hour == [1, 3, 1, 1, 0, 0, 0, 0, 0, 0]  # wang's 07:45 call counts in the first bar
    assert sum(board.calls_per_hour) == board.report.total.calls_done
    assert board.repeat_complaints == 1
    queue = board.open_tickets  # at 16:30: S1's delivery complaint due 17:25, K1's repeat due 15:30
    assert (queue.total, queue.overdue, queue.due_soon) == (2, 1, 1)
    assert board.names == {"demo": "小王", "li": "小李", "wang": "小汪", "lead": "班长老周"}
    assert board.at == at(23, 16, 30)
