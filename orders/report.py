"""The shift lead's figures for one day, per order taker and for the team: `telesales report day` and the dashboard.

A lead reads these to answer three questions at a glance: is the day's list being worked (calls due and done,
outcomes), is it bringing orders (orders, cartons, call length), and are the team's promises to complaining
customers kept (complaints opened, tickets closed within and past their due time). Every figure below has one
definition, written here, so the CLI contract (`report day --json`) and the TUI dashboard can never disagree.

The day is a local calendar day in `settings.zone`; times are stored UTC, so it is read as the half-open UTC
interval `orders.calendar.day_bounds` gives (built from wall time, right across daylight saving changes).

Definitions (FIGURES of the contract):

- **calls_due**: the customers on the day's team call list, exactly as `orders.calls.call_queue(engine,
  settings, day=day)` lists them (order-day customers, callbacks and planned calls due that day), counted for
  the entry's `operator`, the customer's usual order taker: the list is that person's job whoever ends up
  dialling. A customer with no usual order taker is due for the team, so it counts in the total only.
  `call_queue` also reads 16 weeks of history per customer, which costs about 100 ms on the large demo; the
  count here asks only for membership, through the function `call_queue` builds its list from
  (`orders.calls.listed_customers`), so it agrees with it by construction, and a test checks that it does.
- **calls_done**, **outcomes**: finished calls (an outcome recorded) *started* in the day, counted for
  `call.operator`, the person who made them. These are calls, not customers: a shop tried twice (no answer,
  then ordered) is two calls, so done may exceed due; how much of the list is finished is `queue_progress`'s
  question, not this one. A call still open (a crashed terminal) has no outcome and is not counted. `outcomes`
  always carries every outcome of the contract, 0 included, so scripts can rely on the keys.
- **shops_due**, **shops_done**: the lead's progress is shops, not calls. `shops_due` is the shops on the day's
  team list (the membership of `calls_due`, so today the two are equal; kept apart because the contract's
  `calls_due` may come to count calls); `shops_done` those of them that are finished: ordered for the week
  (an order placed and not cancelled, `orders/shop_week.py`, whatever was recorded after it) or called today
  with a final outcome (ordered, closed, refused, wrong number). A shop called twice counts once; a shop that
  did not answer is not done, even when its retry falls tomorrow. Both count for the shop's usual order
  taker, like `calls_due`, so 100 % for a person means their list is finished whoever made the calls.
- **avg_call_seconds**: the mean `duration_s` of those calls that have one, to 0.1 s; null when none has.
- **orders**, **cartons**: orders placed in the day and still `placed` (a cancelled order is no order), with the
  sum of their lines' cartons, counted for `customer_order.operator`, who placed them.
- **complaints_opened**: tickets opened in the day, counted for `opened_by`, who took the complaint.
- **tickets_closed_on_time** / **tickets_closed_late**: tickets closed in the day, with the rule of
  `orders.tickets.ticket_figures`: on time when the result was given (resolved, else closed) by the due time,
  since the promise to the customer is the reply and the close is internal bookkeeping. `ticket_figures` has no
  per-person split, so the rule is applied here to the same rows (a test checks the totals agree). A ticket
  counts for `assigned_to`, who worked it and answers for its promise; an unassigned one for `opened_by`, whose
  promise to the customer it was.

The total is over everything in the day, so it equals the sum over operators except for calls due to
customers with no usual order taker. The dashboard adds what only the screen shows: calls done per hour of the
working day, repeat complaints, the open ticket queue now, and the operators' names.

Everything is read in about eight set-wise queries on one connection (plus `count_queue`'s own), each bounded by an
index on the day (calls by `started_at`, tickets by `ix_ticket_opened_at` / `ix_ticket_closed_at`, orders by
their `week`), so the dashboard stays well inside its 200 ms budget: `bench/dashboard.py` (large demo, 1,000
calls that day, 100,000 tickets, a year of orders) measured a median of 22 ms on SQLite and 32 ms on
PostgreSQL, where the team `call_queue` alone took about 360 ms.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, case, func, select
from sqlmodel import col

from db.models import CALL_OUTCOMES, Call, Customer, Order, OrderLine, Ticket, User
from orders.calendar import day_bounds
from orders.calls import FINAL_OUTCOMES, listed_customers
from orders.clock import now, week_of
from orders.scope import chunks
from orders.settings import Settings
from orders.tickets import QueueCounts, count_queue

# ------------------------------------------------------------------------------------------------ figures


def _no_outcomes() -> dict[str, int]:
    return dict.fromkeys(CALL_OUTCOMES, 0)


@dataclass
class Figures:
    """One column of the lead's table: a person's day, or the team's. Built up by `day_figures`."""

    calls_due: int = 0
    calls_done: int = 0
    shops_due: int = 0
    shops_done: int = 0
    outcomes: dict[str, int] = field(default_factory=_no_outcomes)
    orders: int = 0
    cartons: int = 0
    call_seconds: int = 0  # summed over `timed_calls`, for the average
    timed_calls: int = 0
    complaints_opened: int = 0
    tickets_closed_on_time: int = 0
    tickets_closed_late: int = 0

    @property
    def avg_call_seconds(self) -> float | None:
        return round(self.call_seconds / self.timed_calls, 1) if self.timed_calls else None

    def add(self, other: Figures) -> None:
        """Add another period's figures to these (a week is the sum of its days; the average is recomputed
        from the summed seconds and timed calls, never averaged from averages)."""
        for name in (
            "calls_due", "calls_done", "shops_due", "shops_done", "orders", "cartons", "call_seconds",
            "timed_calls", "complaints_opened", "tickets_closed_on_time", "tickets_closed_late",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for outcome, n in other.outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + n

    def as_json(self) -> dict[str, Any]:
        """FIGURES of the contract, with `shops_due` and `shops_done` added (issue 21)."""
        return {
            "calls_due": self.calls_due,
            "calls_done": self.calls_done,
            "outcomes": dict(self.outcomes),
            "orders": self.orders,
            "cartons": self.cartons,
            "avg_call_seconds": self.avg_call_seconds,
            "complaints_opened": self.complaints_opened,
            "tickets_closed_on_time": self.tickets_closed_on_time,
            "tickets_closed_late": self.tickets_closed_late,
            "shops_due": self.shops_due,
            "shops_done": self.shops_done,
        }


@dataclass(frozen=True)
class DayReport:
    """The day's figures for the team and per operator login (only people with something to show)."""

    day: date
    total: Figures
    operators: dict[str, Figures]

    def as_json(self) -> dict[str, Any]:
        """The `report day --json` contract: `{"date", "total": FIGURES, "operators": {id: FIGURES}}`."""
        return {
            "date": self.day.isoformat(),
            "total": self.total.as_json(),
            "operators": {login: self.operators[login].as_json() for login in sorted(self.operators)},
        }


@dataclass(frozen=True)
class WeekReport:
    """A week's figures (Monday to Sunday): each person's and the team's days added up.

    Summing days keeps every definition of the day report: `calls_due` and `shops_due` count a shop once per day
    it was on the list (shop-days), so a shop called back on Wednesday after Monday's no answer counts twice,
    as it took two days' work; `avg_call_seconds` is over the week's timed calls."""

    week: date
    total: Figures
    operators: dict[str, Figures]

    def as_json(self) -> dict[str, Any]:
        """`report week --json`: `{"week": Monday, "to": Sunday, "total": FIGURES, "operators": {id: FIGURES}}`."""
        return {
            "week": self.week.isoformat(),
            "to": (self.week + timedelta(days=6)).isoformat(),
            "total": self.total.as_json(),
            "operators": {login: self.operators[login].as_json() for login in sorted(self.operators)},
        }


CSV_OUTCOMES = tuple(f"outcome_{o}" for o in CALL_OUTCOMES)
CSV_FIGURES = (
    "calls_due", "calls_done", "orders", "cartons", "avg_call_seconds", "complaints_opened",
    "tickets_closed_on_time", "tickets_closed_late", "shops_due", "shops_done", *CSV_OUTCOMES,
)  # fmt: skip
TOTAL_ROW = "(total)"  # the team's row in a CSV: parentheses cannot occur in a login, so it is never a person's


def csv_rows(report: DayReport | WeekReport) -> list[list[str]]:
    """The report as CSV rows under `csv_header`: one row per operator by login, then the team's, named
    `TOTAL_ROW`. Outcomes are spread into one column each, so a spreadsheet sums them without parsing JSON; an
    unknown average is an empty cell."""
    when = report.day.isoformat() if isinstance(report, DayReport) else report.week.isoformat()

    def row(login: str, f: Figures) -> list[str]:
        values = f.as_json()
        cells = [when, login]
        for key in CSV_FIGURES:
            if key.startswith("outcome_"):
                cells.append(str(f.outcomes.get(key.removeprefix("outcome_"), 0)))
            elif key == "avg_call_seconds":
                cells.append("" if f.avg_call_seconds is None else f"{f.avg_call_seconds:.1f}")
            else:
                cells.append(str(values[key]))
        return cells

    rows = [row(login, report.operators[login]) for login in sorted(report.operators)]
    rows.append(row(TOTAL_ROW, report.total))
    return rows


def csv_header(report: DayReport | WeekReport) -> list[str]:
    """`date` (a day report) or `week` (its Monday), `operator`, then `CSV_FIGURES`."""
    return ["date" if isinstance(report, DayReport) else "week", "operator", *CSV_FIGURES]


def week_figures(engine: Engine, week: date, settings: Settings) -> WeekReport:
    """The week holding `week`, Monday to Sunday: the seven days' figures added up, on one connection."""
    monday = week_of(week)
    tally = _Tally()
    with engine.connect() as conn:
        for offset in range(7):
            day = monday + timedelta(days=offset)
            start, end = day_bounds(day, settings.zone)
            daily, _calls, _repeats = _read_day(conn, day, start, end, settings.zone)
            tally.total.add(daily.total)
            for login, figures in daily.people.items():
                tally.people[login].add(figures)
    people = {login: f for login, f in tally.people.items() if f != Figures()}
    return WeekReport(week=monday, total=tally.total, operators=people)


@dataclass(frozen=True)
class Dashboard:
    """The report plus what the lead's screen shows beside it."""

    report: DayReport
    hours: list[int]  # the local clock hour each bucket of `calls_per_hour` starts at
    calls_per_hour: list[int]  # team calls done per hour of the working day, for a sparkline
    repeat_complaints: int  # complaints opened in the day that repeat one of the last 30 days
    open_tickets: QueueCounts  # the queue as it stands at `at`, whatever day is shown
    names: dict[str, str]  # login -> name, for the logins in the report that are users
    at: datetime

    @property
    def day(self) -> date:
        return self.report.day


class _Tally:
    """Figures keyed by operator login, with the team total kept beside them."""

    def __init__(self) -> None:
        self.total = Figures()
        self.people: dict[str, Figures] = defaultdict(Figures)

    def both(self, login: str | None) -> tuple[Figures, ...]:
        return (self.total,) if login is None else (self.total, self.people[login])


def closed_on_time(due_at: datetime, resolved_at: datetime | None, closed_at: datetime | None) -> bool:
    """The rule of `orders.tickets.ticket_figures`: the reply (resolved, else the close) came by the due time."""
    answered = resolved_at or closed_at
    return answered is not None and answered <= due_at


def day_figures(engine: Engine, day: date, settings: Settings) -> DayReport:
    """The day's FIGURES, per operator and in total (definitions in the module docstring)."""
    start, end = day_bounds(day, settings.zone)
    with engine.connect() as conn:
        tally, _calls, _repeats = _read_day(conn, day, start, end, settings.zone)
    return _report(day, tally)


def day_dashboard(engine: Engine, day: date, settings: Settings, *, at: datetime | None = None) -> Dashboard:
    """Everything the lead's dashboard shows for `day`; the open ticket queue is counted as of `at` (now)."""
    at = at or now()
    zone = settings.zone
    start, end = day_bounds(day, zone)
    with engine.connect() as conn:
        tally, call_times, repeats = _read_day(conn, day, start, end, zone)
        report = _report(day, tally)
        names = _names(conn, report.operators)
    hours = _working_hours(settings)
    per_hour = [0] * len(hours)
    for started in call_times:
        hour = started.astimezone(zone).hour
        # a call before opening or after closing lands in the first or last bar, so the bars add up to calls_done
        per_hour[min(max(hour - hours[0], 0), len(hours) - 1)] += 1
    return Dashboard(
        report=report,
        hours=hours,
        calls_per_hour=per_hour,
        repeat_complaints=repeats,
        open_tickets=count_queue(engine, at=at),
        names=names,
        at=at,
    )


def _working_hours(settings: Settings) -> list[int]:
    """The clock hours the working day touches: 08:30-17:30 gives 8, 9, ... 17 (ten bars)."""
    first = settings.work_start.hour
    end = settings.work_end
    last = end.hour if (end.minute, end.second, end.microsecond) != (0, 0, 0) else end.hour - 1
    return list(range(first, max(first, last) + 1))


def _report(day: date, tally: _Tally) -> DayReport:
    people = {login: f for login, f in tally.people.items() if f != Figures()}
    return DayReport(day=day, total=tally.total, operators=people)


def _read_day(
    conn: Connection, day: date, start: datetime, end: datetime, zone: ZoneInfo
) -> tuple[_Tally, list[datetime], int]:
    """Read the day's rows, fill the tally; also hand back the start times of the calls and the repeat count."""
    tally = _Tally()
    _calls_due(conn, tally, day, zone, start, end)
    call_times = _calls_done(conn, tally, start, end)
    _orders(conn, tally, day, start, end)
    repeats = _complaints(conn, tally, start, end)
    _closed(conn, tally, start, end)
    return tally, call_times, repeats


def listed_shops(conn: Connection, day: date, zone: ZoneInfo) -> tuple[dict[int, str | None], frozenset[int]]:
    """The shops on the team call list of `day` (id -> usual order taker, None: nobody's), and those of them
    ordered for the week. Membership is `call_queue`'s own (`orders.calls.listed_customers`); only the
    expensive per-customer facts the queue shows are left out."""
    listed = listed_customers(conn, day, zone)
    shops: dict[int, str | None] = {}
    query = select(col(Customer.id), col(Customer.operator))
    shops.update((cid, op) for cid, op in conn.execute(query.where(col(Customer.id).in_(listed.day_ids))) if cid)
    for chunk in chunks(listed.extra):
        shops.update((cid, op) for cid, op in conn.execute(query.where(col(Customer.id).in_(chunk))) if cid)
    return shops, listed.ordered


def calls_due_by_operator(conn: Connection, day: date, zone: ZoneInfo) -> dict[str | None, int]:
    """How many customers the team call list of `day` holds, by their usual order taker (None: nobody's)."""
    shops, _ordered = listed_shops(conn, day, zone)
    due: dict[str | None, int] = defaultdict(int)
    for operator in shops.values():
        due[operator] += 1
    return dict(due)


def _calls_due(conn: Connection, tally: _Tally, day: date, zone: ZoneInfo, start: datetime, end: datetime) -> None:
    """Calls due and the shops due and done (definitions above), from one read of the day's list."""
    shops, ordered = listed_shops(conn, day, zone)
    finished = set(ordered)
    rows = conn.execute(
        select(col(Call.customer_id)).where(
            col(Call.started_at) >= start, col(Call.started_at) < end, col(Call.outcome).in_(FINAL_OUTCOMES)
        )
    )
    finished.update(int(cid) for cid in rows.scalars())
    for cid, operator in shops.items():
        for figures in tally.both(operator):
            figures.calls_due += 1
            figures.shops_due += 1
            if cid in finished:
                figures.shops_done += 1


def _calls_done(conn: Connection, tally: _Tally, start: datetime, end: datetime) -> list[datetime]:
    """A day has a few thousand calls at most: read them by the `started_at` index and count in Python, which
    also gives the start times for the hourly bars without a dialect-specific hour function."""
    rows = conn.execute(
        select(col(Call.operator), col(Call.outcome), col(Call.duration_s), col(Call.started_at)).where(
            col(Call.started_at) >= start, col(Call.started_at) < end, col(Call.outcome).is_not(None)
        )
    )
    times: list[datetime] = []
    for operator, outcome, duration, started in rows:
        if outcome is None:  # excluded by the query; keeps the type checker honest
            continue
        times.append(started)
        for figures in tally.both(operator):
            figures.calls_done += 1
            figures.outcomes[outcome] = figures.outcomes.get(outcome, 0) + 1
            if duration is not None:
                figures.call_seconds += int(duration)
                figures.timed_calls += 1
    return times


def _orders(conn: Connection, tally: _Tally, day: date, start: datetime, end: datetime) -> None:
    """Placed orders of the day with their cartons. `customer_order` has no index on `placed_at`, but an order
    placed on a day is always for that day's week or a later one (placement refuses a week whose cut-off has
    passed, and every week's cut-off falls inside it), so `week >= this week` lets the `week` index skip the
    past years of orders without dropping any of the day's (48 ms → 3 ms on SQLite with a year of orders).
    One plain join to the lines, read by their `order_id` index: a per-order SUM subquery made SQLite group
    the whole `order_line` table (400 ms) and PostgreSQL, which cannot estimate this week's rows before its
    statistics catch up, re-aggregate it once per order (150 ms)."""
    rows = conn.execute(
        select(
            col(Order.operator),
            func.count(func.distinct(col(Order.id))),
            func.coalesce(func.sum(col(OrderLine.qty)), 0),
        )
        .select_from(Order)
        .outerjoin(OrderLine, col(OrderLine.order_id) == col(Order.id))
        .where(
            col(Order.week) >= week_of(day),
            col(Order.placed_at) >= start,
            col(Order.placed_at) < end,
            col(Order.status) == "placed",
        )
        .group_by(col(Order.operator))
    )
    for operator, n, qty in rows:
        for figures in tally.both(operator):
            figures.orders += int(n)
            figures.cartons += int(qty)


def _complaints(conn: Connection, tally: _Tally, start: datetime, end: datetime) -> int:
    """Tickets opened in the day by who took them (the `ix_ticket_opened_at` index); returns the repeats."""
    repeat = func.coalesce(func.sum(case((col(Ticket.repeat_of).is_not(None), 1), else_=0)), 0)
    rows = conn.execute(
        select(col(Ticket.opened_by), func.count(), repeat)
        .where(col(Ticket.opened_at) >= start, col(Ticket.opened_at) < end)
        .group_by(col(Ticket.opened_by))
    )
    repeats = 0
    for operator, n, rep in rows:
        repeats += int(rep)
        for figures in tally.both(operator):
            figures.complaints_opened += int(n)
    return repeats


def _closed(conn: Connection, tally: _Tally, start: datetime, end: datetime) -> None:
    """Tickets closed in the day (the `ix_ticket_closed_at` index), judged by `closed_on_time`."""
    owner = func.coalesce(col(Ticket.assigned_to), col(Ticket.opened_by))
    rows = conn.execute(
        select(owner, col(Ticket.due_at), col(Ticket.resolved_at), col(Ticket.closed_at)).where(
            col(Ticket.closed_at) >= start, col(Ticket.closed_at) < end
        )
    )
    for operator, due, resolved, closed in rows:
        on_time = closed_on_time(due, resolved, closed)
        for figures in tally.both(operator):
            if on_time:
                figures.tickets_closed_on_time += 1
            else:
                figures.tickets_closed_late += 1


def _names(conn: Connection, logins: Iterable[str]) -> dict[str, str]:
    wanted = sorted(logins)
    if not wanted:
        return {}
    rows = conn.execute(select(col(User.login), col(User.name)).where(col(User.login).in_(wanted)))
    return {login: name for login, name in rows}


def names_of(engine: Engine, logins: Iterable[str]) -> dict[str, str]:
    """login -> name for those of `logins` that are users, for a report's table."""
    with engine.connect() as conn:
        return _names(conn, logins)
