"""Complaint tickets: the reply time committed to the customer, the life cycle, and the shift lead's figures.

A complaint is a retailer's last sign of trust, so the due time is computed in the centre's *working* hours
(a promise made on Saturday afternoon is kept on Monday morning, not on Sunday when nobody is there to keep it),
and every change is an append-only `ticket_event` row: the history is what a shift lead reads to judge a case.

Life cycle: open → in_progress → waiting_customer → resolved → closed. Reopening a resolved ticket returns it to
`in_progress` (not `open`): someone already answered it, so its first response stays on record and the person
working it keeps it. `closed` is final. Only shift leads and admins may close, reassign or move a due time.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, case, func, insert, select, update
from sqlmodel import col

from db.engine import write_transaction
from db.models import (
    MAX_ID,
    TICKET_CATEGORIES,
    TICKET_STATUSES,
    Call,
    Customer,
    Order,
    Product,
    Ticket,
    TicketEvent,
    User,
    is_row_id,
)
from orders.calendar import WorkingCalendar, add_working_hours, weekday_name
from orders.clock import in_range, now, range_text
from orders.settings import Settings
from orders.text_checks import operator_problem, text_problem
from orders.users import LEAD_ROLES, SignedIn

MAX_TEXT = 2000  # a complaint in the customer's words; longer is a paste accident, not a complaint
MAX_NOTE = 2000
REPEAT_WINDOW = timedelta(days=30)
DUE_SOON = timedelta(hours=1)
STILL_OPEN = ("open", "in_progress", "waiting_customer")

# Allowed status moves; `resolved → in_progress` is the reopen.
MOVES: dict[str, tuple[str, ...]] = {
    "open": ("in_progress", "waiting_customer", "resolved"),
    "in_progress": ("waiting_customer", "resolved"),
    "waiting_customer": ("in_progress", "resolved"),
    "resolved": ("in_progress", "closed"),
    "closed": (),
}


class TicketError(ValueError):
    """Bad input: unknown customer, category, ticket or user, empty or oversized text. Nothing was written."""

    kind = "bad_input"

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind  # a more precise word for scripts: unknown_ticket, unknown_order, ...


class TicketRefused(TicketError):
    """A business rule refuses the change (forbidden status move, permission); nothing was written."""

    def __init__(self, message: str, *, kind: str, **details: Any) -> None:
        super().__init__(message)
        self.kind = kind
        self.details = details


def due_time(category: str, opened_at: datetime, settings: Settings) -> datetime:
    """The committed reply time for a complaint of `category` opened at `opened_at`."""
    hours = settings.ticket_reply_hours.get(category, settings.ticket_reply_hours["other"])
    return add_working_hours(opened_at, hours, WorkingCalendar.from_settings(settings))


# ----------------------------------------------------------------------------------------- phrasing


def _round_up_half_hour(moment: datetime) -> datetime:
    """Promises are spoken in whole and half hours; rounding *up* keeps the internal due time the stricter one."""
    base = moment.replace(second=0, microsecond=0)
    if moment.second or moment.microsecond:
        base += timedelta(minutes=1)
    extra = (-base.minute) % 30
    return base + timedelta(minutes=extra)


def _zh_clock(moment: datetime) -> str:
    h, m = moment.hour, moment.minute
    if h < 12:
        part, shown = ("早上" if h < 8 else "上午"), h
    elif h == 12:
        part, shown = "中午", 12
    elif h < 18:
        part, shown = "下午", h - 12
    else:
        part, shown = "晚上", h - 12
    return f"{part}{shown}点" + ("半" if m == 30 else "")


def _en_clock(moment: datetime) -> str:
    suffix = "am" if moment.hour < 12 else "pm"
    h = moment.hour % 12 or 12
    return f"{h}:{moment.minute:02d} {suffix}"


def phrase_due(due: datetime, zone: ZoneInfo, *, at: datetime | None = None, lang: str = "zh") -> str:
    """When the reply is due, as an order taker says it: 「明天上午10点前」 / "by 10:00 am tomorrow"."""
    local = _round_up_half_hour(due.astimezone(zone))
    today = (at or now()).astimezone(zone).date()
    days = (local.date() - today).days
    wd = local.isoweekday()
    if lang == "zh":
        if days <= 0:
            day = "今天"
        elif days == 1:
            day = "明天"
        elif days == 2:
            day = "后天"
        elif days < 7:
            day = weekday_name(wd, "zh")
        else:
            day = f"{local.month}月{local.day}日({weekday_name(wd, 'zh')})"
        return f"{day}{_zh_clock(local)}前"
    if days <= 0:
        day = "today"
    elif days == 1:
        day = "tomorrow"
    elif days < 7:
        day = weekday_name(wd, "en")
    else:
        day = f"{weekday_name(wd, 'en')} {local:%d %B}"
    return f"by {_en_clock(local)} {day}"


def reply_promise(due: datetime, zone: ZoneInfo, *, at: datetime | None = None, lang: str = "zh") -> str:
    """The whole sentence to read out: 「我们会在明天上午10点前给您答复」."""
    when = phrase_due(due, zone, at=at, lang=lang)
    if lang == "zh":
        return f"我们会在{when}给您答复"
    return f"We will get back to you {when}."


# ----------------------------------------------------------------------------------------- views


@dataclass
class TicketRow:
    """A ticket as the queue, the call screen and the CLI show it."""

    ticket_id: int
    customer: str
    customer_name: str
    category: str
    status: str
    text: str
    opened_by: str
    opened_at: datetime
    due_at: datetime
    assigned_to: str | None
    escalated_to: str | None
    repeat_of: int | None
    overdue: bool
    due_soon: bool

    def as_json(self, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "customer": self.customer,
            "customer_name": self.customer_name,
            "category": self.category,
            "status": self.status,
            "due_at": iso(self.due_at, zone),
            "overdue": self.overdue,
            "due_soon": self.due_soon,
            "repeat_of": self.repeat_of,
            "assigned_to": self.assigned_to,
            "escalated_to": self.escalated_to,
            "opened_by": self.opened_by,
            "opened_at": iso(self.opened_at, zone),
            "text": self.text,
        }


@dataclass
class EventRow:
    at: datetime
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    note: str

    def as_json(self, zone: ZoneInfo) -> dict[str, Any]:
        return {"at": iso(self.at, zone), "actor": self.actor, "kind": self.kind,
                "from_status": self.from_status, "to_status": self.to_status, "note": self.note}


@dataclass
class TicketDetail:
    ticket: TicketRow
    events: list[EventRow] = field(default_factory=list)


def iso(moment: datetime, zone: ZoneInfo) -> str:
    """ISO-8601 with the centre's offset, as the CLI contract prints every time."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


def is_overdue(due_at: datetime, status: str, at: datetime) -> bool:
    """The one overdue rule for a complaint, used by the script, the call card, the queues and `ticket list`:
    still open and its promised reply time already passed. A ticket logged a minute ago is due in hours, so
    it is never overdue; a closed one is never overdue whatever its due time was."""
    return status in STILL_OPEN and due_at < at


def _flags(status: str, due_at: datetime, at: datetime) -> tuple[bool, bool]:
    if status not in STILL_OPEN:
        return False, False
    return is_overdue(due_at, status, at), at <= due_at <= at + DUE_SOON


_ROW_COLUMNS = (
    col(Ticket.id), col(Customer.code), col(Customer.name), col(Ticket.category), col(Ticket.status),
    col(Ticket.text), col(Ticket.opened_by), col(Ticket.opened_at), col(Ticket.due_at), col(Ticket.assigned_to),
    col(Ticket.escalated_to), col(Ticket.repeat_of),
)


def ticket_row(r: Sequence[Any], at: datetime) -> TicketRow:
    """A row of `ticket_rows_query` as of `at`: every view of tickets flags overdue and due-soon this way."""
    overdue, soon = _flags(r[4], r[8], at)
    return TicketRow(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], overdue, soon)


def ticket_rows_query() -> Any:
    """Tickets with their shop, in the column order `ticket_row` reads; callers add filters and order."""
    return select(*_ROW_COLUMNS).join(Customer, col(Customer.id) == col(Ticket.customer_id))


# ----------------------------------------------------------------------------------------- open


def validate_category(category: str) -> None:
    if category not in TICKET_CATEGORIES:
        raise TicketError(f"unknown category '{category}'; use one of {', '.join(TICKET_CATEGORIES)}")


def validate_text(text: str, what: str = "text", limit: int = MAX_TEXT) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise TicketError(f"{what} must not be empty: write the complaint in the customer's words")
    if len(cleaned) > limit:
        raise TicketError(f"{what} is {len(cleaned)} characters, at most {limit}")
    problem = text_problem(cleaned, what)
    if problem is not None:
        raise TicketError(problem)
    return cleaned


def _check_link(
    conn: Connection, model: type[Order] | type[Call], row_id: int | None, what: str, customer_id: int, code: str
) -> None:
    """A complaint may name an order or a call; it must exist and be this customer's. Checked here, so a wrong
    number is "unknown order 424242" rather than the database's foreign-key error."""
    if row_id is None:
        return
    owner = None
    if is_row_id(row_id):
        owner = conn.execute(select(col(model.customer_id)).where(col(model.id) == row_id)).scalar()
    if owner is None:
        raise TicketError(f"unknown {what} {row_id}; nothing was opened", kind=f"unknown_{what}")
    if owner != customer_id:
        raise TicketError(f"{what} {row_id} is another customer's, not {code}'s; nothing was opened")


def open_ticket(
    engine: Engine,
    customer_code: str,
    category: str,
    text: str,
    *,
    settings: Settings,
    operator: str = "cli",
    call_id: int | None = None,
    order_id: int | None = None,
    product_code: str | None = None,
    at: datetime | None = None,
) -> TicketRow:
    """Register a complaint with its committed reply time, linked to the customer's previous complaint of
    the same category within 30 days (a repeat complaint: the first answer did not hold)."""
    at = at or now()
    validate_category(category)
    cleaned = validate_text(text)
    problem = operator_problem(operator)
    if problem is not None:
        raise TicketError(problem)
    operator = operator.strip()
    due = due_time(category, at, settings)
    with write_transaction(engine) as conn:
        customer = conn.execute(
            select(col(Customer.id), col(Customer.name)).where(col(Customer.code) == customer_code)
        ).first()
        if customer is None:
            raise TicketError(f"unknown customer '{customer_code}'")
        _check_link(conn, Order, order_id, "order", customer.id, customer_code)
        _check_link(conn, Call, call_id, "call", customer.id, customer_code)
        product_id = None
        if product_code is not None:
            product_id = conn.execute(select(col(Product.id)).where(col(Product.code) == product_code)).scalar()
            if product_id is None:
                raise TicketError(f"unknown product '{product_code}'")
        previous = conn.execute(
            select(col(Ticket.id))
            .where(col(Ticket.customer_id) == customer.id, col(Ticket.category) == category,
                   col(Ticket.opened_at) >= at - REPEAT_WINDOW, col(Ticket.opened_at) <= at)
            .order_by(col(Ticket.opened_at).desc(), col(Ticket.id).desc())
            .limit(1)
        ).scalar()
        result = conn.execute(
            insert(Ticket).values(
                customer_id=customer.id, category=category, status="open", text=cleaned, opened_by=operator,
                opened_at=at, due_at=due, call_id=call_id, order_id=order_id, product_id=product_id,
                repeat_of=previous,
            )
        )
        ticket_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        note = f"repeat of #{previous}" if previous is not None else ""
        _event(conn, ticket_id, at, operator, "opened", None, "open", note)
    overdue, soon = _flags("open", due, at)
    return TicketRow(ticket_id, customer_code, customer.name, category, "open", cleaned, operator, at, due,
                     None, None, previous, overdue, soon)


def _event(conn: Connection, ticket_id: int, at: datetime, actor: str, kind: str,
           from_status: str | None, to_status: str | None, note: str = "") -> None:
    conn.execute(insert(TicketEvent).values(ticket_id=ticket_id, at=at, actor=actor, kind=kind,
                                            from_status=from_status, to_status=to_status, note=note))


REPLIED_NOTE = "call-back: replied to the customer"


def note_reply(conn: Connection, ticket_id: int, at: datetime, actor: str, call_note: str = "") -> None:
    """The lead's call-back reached the customer with the answer: kept in the ticket's history (with what was
    said on the call), and the ticket's first response if it had none, inside the caller's transaction so the
    call and its trace are written together."""
    note = f"{REPLIED_NOTE}: {call_note}" if call_note else REPLIED_NOTE
    _event(conn, ticket_id, at, actor, "note", None, None, note)
    conn.execute(
        update(Ticket)
        .where(col(Ticket.id) == ticket_id, col(Ticket.first_response_at).is_(None))
        .values(first_response_at=at)
    )


# ----------------------------------------------------------------------------------------- update


@dataclass
class Change:
    """What `update_ticket` should do; fields left as None are left alone."""

    status: str | None = None
    note: str | None = None
    assign: str | None = None
    escalate_to: str | None = None
    reason: str | None = None
    due: datetime | None = None


def _user(conn: Connection, login: str) -> tuple[str, bool] | None:
    row = conn.execute(select(col(User.role), col(User.active)).where(col(User.login) == login)).first()
    return (row[0], bool(row[1])) if row is not None else None


def update_ticket(
    engine: Engine,
    ticket_id: int,
    change: Change,
    *,
    actor: str | SignedIn | None = None,
    at: datetime | None = None,
) -> tuple[TicketRow, list[str]]:
    """Apply every part of `change` in one transaction, each as its own history event, or refuse it all.

    `actor` is who acts: a login (the TUI's signed-in user), which must be a known active user whose role is
    read here, or a `SignedIn` the caller has already authenticated (the CLI's `--as`, or its system actor);
    lead-only changes (close, reassign, due time) check the role either way. With no actor (a trusted caller
    inside `orders/`) nothing is checked and the history records `cli`. A due time moves only with a reason,
    as the TUI's dialog demands, so the history always says why a promise to a customer changed.
    """
    at = at or now()
    signed = actor if isinstance(actor, SignedIn) else None
    login = actor.login if isinstance(actor, SignedIn) else actor
    who = login or "cli"
    if change.status is not None and change.status not in TICKET_STATUSES:
        raise TicketError(f"unknown status '{change.status}'; use one of {', '.join(TICKET_STATUSES)}")
    note = validate_text(change.note, "note", MAX_NOTE) if change.note is not None else None
    if change.escalate_to is not None:
        if not change.reason or not change.reason.strip():
            raise TicketError("escalating needs a reason (--reason)")
        problem = operator_problem(change.escalate_to, "escalate to")
        if problem is not None:
            raise TicketError(problem)
    if change.assign is not None and (problem := operator_problem(change.assign, "assign to")) is not None:
        raise TicketError(problem)
    if isinstance(actor, str) and (problem := operator_problem(actor, "acting user")) is not None:
        raise TicketError(problem)
    if change.due is not None and not (change.reason and change.reason.strip()):
        raise TicketError("moving a due time needs a reason (--reason): the history must say why the promise moved")
    if change.due is not None and change.due.tzinfo is not None and not in_range(change.due.date()):
        raise TicketError(f"due time {change.due.isoformat()} is outside the dates telesales works with "
                          f"({range_text()})")
    if not is_row_id(ticket_id):
        raise TicketError(f"unknown ticket {ticket_id}", kind="unknown_ticket")
    reason = validate_text(change.reason, "reason", MAX_NOTE) if change.reason else ""
    if change.due is not None and change.due.tzinfo is None:
        raise TicketError("due time must carry a UTC offset, e.g. 2026-11-24T10:00:00+08:00")
    if all(v is None for v in (change.status, note, change.assign, change.escalate_to, change.due)):
        raise TicketError("nothing to change: give --status, --note, --assign, --escalate or --due")
    done: list[str] = []
    with write_transaction(engine) as conn:
        current = conn.execute(
            select(col(Ticket.status), col(Ticket.assigned_to), col(Ticket.due_at), col(Ticket.opened_at),
                   col(Ticket.first_response_at)).where(col(Ticket.id) == ticket_id)
        ).first()
        if current is None:
            raise TicketError(f"unknown ticket {ticket_id}", kind="unknown_ticket")
        status, assigned, due_at, opened_at, first_response = current
        lead = True
        if signed is not None:
            lead = signed.role in LEAD_ROLES
        elif login is not None:
            user = _user(conn, login)
            if user is None:
                raise TicketError(f"unknown user '{login}'")
            if not user[1]:
                raise TicketRefused(f"user '{login}' is disabled", kind="permission")
            lead = user[0] in LEAD_ROLES

        def need_lead(what: str) -> None:
            if not lead:
                raise TicketRefused(f"only a shift lead may {what}; '{login}' may not", kind="permission")

        values: dict[str, Any] = {}
        if change.status is not None and change.status != status:
            allowed = MOVES[status]
            if change.status not in allowed:
                moves = ", ".join(allowed) if allowed else "none, it is final"
                raise TicketRefused(
                    f"ticket {ticket_id} cannot go from {status} to {change.status}; allowed: {moves}",
                    kind="forbidden_transition", allowed=list(allowed),
                )
            if change.status == "closed":
                need_lead("close a ticket")
            values["status"] = change.status
            if first_response is None and status == "open":
                values["first_response_at"] = at
            if change.status == "resolved":
                values["resolved_at"] = at
            elif change.status == "closed":
                values["closed_at"] = at
            elif status == "resolved":
                values["resolved_at"] = None  # reopened: the earlier answer did not hold
            kind = "reopened" if status == "resolved" and change.status != "closed" else "status"
            _event(conn, ticket_id, at, who, kind, status, change.status, note or "")
            done.append(f"status {status} → {change.status}")
            note = None  # a note given with the status move is kept on that event
            status = change.status
        if change.assign is not None and change.assign != assigned:
            if assigned is not None:
                need_lead("reassign a ticket")
            target = _user(conn, change.assign)
            if target is None:
                raise TicketError(f"unknown user '{change.assign}'")
            values["assigned_to"] = change.assign
            _event(conn, ticket_id, at, who, "assign", None, None, f"{assigned or '-'} → {change.assign}")
            done.append(f"assigned to {change.assign}")
        if change.escalate_to is not None:
            values["escalated_to"] = change.escalate_to.strip()
            _event(conn, ticket_id, at, who, "escalate", None, None, f"to {change.escalate_to.strip()}: {reason}")
            done.append(f"escalated to {change.escalate_to.strip()}")
        if change.due is not None and change.due != due_at:
            need_lead("change a due time")
            if change.due <= opened_at:
                raise TicketError("the new due time is before the ticket was opened")
            values["due_at"] = change.due
            # both ends in the zone the new time was given in, so the history reads as one clock
            before = due_at.astimezone(change.due.tzinfo)
            text = f"{before.isoformat(timespec='minutes')} → {change.due.isoformat(timespec='minutes')}"
            _event(conn, ticket_id, at, who, "due_changed", None, None, f"{text} {reason}".strip())
            done.append("due time changed")
        if note is not None:
            _event(conn, ticket_id, at, who, "note", None, None, note)
            done.append("note added")
        if values:
            conn.execute(update(Ticket).where(col(Ticket.id) == ticket_id).values(**values))
        row = conn.execute(ticket_rows_query().where(col(Ticket.id) == ticket_id)).one()
    return ticket_row(row, at), done


# ----------------------------------------------------------------------------------------- reading


def get_ticket(engine: Engine, ticket_id: int, *, at: datetime | None = None) -> TicketDetail:
    at = at or now()
    if not is_row_id(ticket_id):  # past the id column's range: no such ticket, and no query to send
        raise TicketError(f"unknown ticket {ticket_id}", kind="unknown_ticket")
    with engine.connect() as conn:
        row = conn.execute(ticket_rows_query().where(col(Ticket.id) == ticket_id)).first()
        if row is None:
            raise TicketError(f"unknown ticket {ticket_id}", kind="unknown_ticket")
        events = conn.execute(
            select(col(TicketEvent.at), col(TicketEvent.actor), col(TicketEvent.kind), col(TicketEvent.from_status),
                   col(TicketEvent.to_status), col(TicketEvent.note))
            .where(col(TicketEvent.ticket_id) == ticket_id)
            .order_by(col(TicketEvent.at), col(TicketEvent.id))
        ).all()
    return TicketDetail(ticket_row(row, at), [EventRow(*e) for e in events])


def list_tickets(
    engine: Engine,
    *,
    status: str | None = None,
    overdue: bool = False,
    limit: int | None = None,
    offset: int = 0,
    at: datetime | None = None,
) -> list[TicketRow]:
    """The queue ordered by due time, most urgent first. `status=None` is the shift lead's default view:
    every ticket still open (open, in progress, waiting for the customer); `status="all"` is everything."""
    at = at or now()
    # The page is chosen from `ticket` alone, then joined to its customers: given the join up front, SQLite's
    # planner walks every customer and sorts all open tickets (180 ms at 100,000 tickets) instead of
    # reading the (status, due_at) index.
    page = select(col(Ticket.id), col(Ticket.due_at))
    if status is None:
        page = page.where(col(Ticket.status).in_(STILL_OPEN))
    elif status != "all":
        if status not in TICKET_STATUSES:
            raise TicketError(f"unknown status '{status}'; use one of {', '.join(TICKET_STATUSES)} or all")
        page = page.where(col(Ticket.status) == status)
    if overdue:
        page = page.where(col(Ticket.status).in_(STILL_OPEN), col(Ticket.due_at) < at)
    page = page.order_by(col(Ticket.due_at), col(Ticket.id)).offset(offset)
    if limit is not None:
        page = page.limit(min(limit, MAX_ID))  # more rows than ids is no limit; SQL needs a number it can send
    chosen = page.subquery("page")
    query = (ticket_rows_query().join(chosen, chosen.c.id == col(Ticket.id))
             .order_by(chosen.c.due_at, chosen.c.id))
    with engine.connect() as conn:
        return [ticket_row(r, at) for r in conn.execute(query).all()]


@dataclass
class QueueCounts:
    open: int
    in_progress: int
    waiting_customer: int
    overdue: int
    due_soon: int

    @property
    def total(self) -> int:
        return self.open + self.in_progress + self.waiting_customer


def count_queue(engine: Engine, *, at: datetime | None = None) -> QueueCounts:
    """The counts above the shift lead's queue, in one pass over the still-open tickets."""
    at = at or now()
    due = col(Ticket.due_at)
    st = col(Ticket.status)

    def n(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    with engine.connect() as conn:
        counts = conn.execute(
            select(n(st == "open"), n(st == "in_progress"), n(st == "waiting_customer"), n(due < at),
                   n(and_(due >= at, due <= at + DUE_SOON)))
            .where(st.in_(STILL_OPEN))
        ).one()
    return QueueCounts(*(int(v) for v in counts))


def customer_open_tickets(engine: Engine, customer_code: str, *, at: datetime | None = None) -> list[TicketRow]:
    """The customer's tickets still open, for the call screen and the script context ("your complaint …")."""
    at = at or now()
    query = (ticket_rows_query().where(col(Customer.code) == customer_code, col(Ticket.status).in_(STILL_OPEN))
             .order_by(col(Ticket.due_at)))
    with engine.connect() as conn:
        return [ticket_row(r, at) for r in conn.execute(query).all()]


# ----------------------------------------------------------------------------------------- figures


@dataclass
class TicketFigures:
    """The shift lead's complaint figures for tickets opened (or closed) in [start, end] local dates."""

    opened: dict[date, dict[str, int]]
    closed_on_time: int
    closed_late: int
    median_first_response: timedelta | None
    median_resolution: timedelta | None
    repeat_rate: float | None


def _median(values: Iterable[timedelta]) -> timedelta | None:
    seconds = [v.total_seconds() for v in values]
    return timedelta(seconds=statistics.median(seconds)) if seconds else None


def ticket_figures(engine: Engine, start: date, end: date, zone: ZoneInfo) -> TicketFigures:
    """Opened per day and category, closed within / past due, median times, repeat rate.

    A ticket counts as closed on time when its result was given (resolved) by its due time: the promise to
    the customer is the reply, the close is internal bookkeeping. Medians run over tickets opened in the
    period that have reached that step.
    """
    lo = datetime.combine(start, time(0), tzinfo=zone)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
    with engine.connect() as conn:
        opened_rows = conn.execute(
            select(col(Ticket.opened_at), col(Ticket.category), col(Ticket.first_response_at),
                   col(Ticket.resolved_at), col(Ticket.repeat_of))
            .where(col(Ticket.opened_at) >= lo, col(Ticket.opened_at) < hi)
        ).all()
        closed_rows = conn.execute(
            select(col(Ticket.due_at), col(Ticket.resolved_at), col(Ticket.closed_at))
            .where(col(Ticket.closed_at) >= lo, col(Ticket.closed_at) < hi)
        ).all()
    opened: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for opened_at, category, *_ in opened_rows:
        opened[opened_at.astimezone(zone).date()][category] += 1
    on_time = 0
    for due, resolved, closed in closed_rows:
        answered = resolved or closed
        on_time += answered is not None and answered <= due
    first = _median(r[2] - r[0] for r in opened_rows if r[2] is not None)
    resolution = _median(r[3] - r[0] for r in opened_rows if r[3] is not None)
    repeat = sum(1 for r in opened_rows if r[4] is not None) / len(opened_rows) if opened_rows else None
    return TicketFigures(
        opened={d: dict(c) for d, c in sorted(opened.items())},
        closed_on_time=on_time,
        closed_late=len(closed_rows) - on_time,
        median_first_response=first,
        median_resolution=resolution,
        repeat_rate=None if repeat is None or math.isnan(repeat) else repeat,
    )
