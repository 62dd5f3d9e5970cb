"""The day's call list and the record of each call.

The queue is what an order taker works through from the first call to the last, so its order is a rule, not a
display choice: callbacks at their promised time first (a time was promised to the customer, or the line was
busy and we said we would try again), then key customers (the 20% of shops that bring 80% of the volume), then
the rest. Each customer appears once; a call recorded today changes the row's status instead of removing it,
so the list does not jump under the order taker's eyes and the shift lead sees what happened.

A call ending `ordered`, `refused`, `wrong_number` or `closed` finishes the customer for the day. `no_answer`
and `busy` come back as a callback `no_answer_retry_minutes` later; when that would fall after closing time (or
on a day off) the retry moves to the next working day's opening, because a shop that did not answer at 17:20
is best tried first thing tomorrow rather than lost. `callback_requested` comes back at the time the customer
asked for. Only callbacks that fall due on the day are listed: a retry that nobody made does not haunt the
queue for ever, and the shop's next order day brings it back anyway.

Calls still open (started in the TUI and not yet finished) are ignored by the queue: a crashed terminal
must not leave a customer looking handled.

A shift lead can also plan a call (`planned_call`: a personal retention call, a call-back on a ticket). It is
listed on its due day, at its due time among the callbacks, with its reason, until a call to the customer ends
with a final outcome on or after that day; a call that did not reach the shop (no answer, busy, call me later)
leaves it owed, and the retry callback stands in for it meanwhile. A planned call whose day passed without a
call is not carried over: the lead sees the customer unscheduled again and decides.

The retention flag is the rule of `orders/retention.py` (`is_retention_risk` on occasions counted by
`load_occasions`), the one the lead's retention list and the call script use too, so a shop flagged here is
always on that list and its call script treats it as falling.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlmodel import col

from db.engine import write_transaction
from db.models import CALL_OUTCOMES, AuditLog, Call, Customer, PlannedCall, Ticket
from orders.calendar import WorkingCalendar, day_bounds, next_opening
from orders.call_errors import CallError
from orders.claims import InCall, active_claims, drop_own, nobody_else_claiming, take
from orders.clock import now, today, week_of
from orders.placement import CutoffState, cutoff_for, cutoff_state
from orders.retention import Occasions, is_retention_risk, load_occasions
from orders.scope import CustomerScope, chunks
from orders.settings import Settings
from orders.shop_week import ordered_in_week
from orders.telephony import CallResult, sip_code
from orders.text_checks import operator_problem, text_problem
from orders.tickets import MAX_NOTE, STILL_OPEN, note_reply

FINAL_OUTCOMES = ("ordered", "refused", "wrong_number", "closed")
RETRY_OUTCOMES = ("no_answer", "busy")
CALLBACK_OUTCOMES = (*RETRY_OUTCOMES, "callback_requested")
# Outcomes that are not part of the shop's order day: the queue computes status and done as if the call had
# not been made (a lead's complaint call-back answered the complaint; it neither ordered nor refused).
OUTSIDE_ORDER_DAY = ("replied",)
MAX_DURATION_S = 4 * 3600  # a longer "call" is a typo or a headset left on, and would skew the day's figures

_CALL: Table = Call.__table__  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------------ views


@dataclass(frozen=True)
class QueueEntry:
    """One customer in the day's call list, with what the order taker needs before dialling."""

    customer_id: int
    customer: str  # code (licence number)
    name: str  # shop
    owner: str | None
    tier: int
    district: str | None
    operator: str | None  # the customer's usual order taker
    reason: str  # "order_day" | "callback" | a planned call's reason: "retention" | "ticket_callback"
    due_at: datetime | None  # callbacks and planned calls only
    status: str  # "to_call" or the outcome of the last call today
    done: bool  # nothing left to do for this customer today
    key_customer: bool
    last_order: date | None
    open_tickets: int
    retention_risk: bool
    recent_orders: int  # order occasions in the last RETENTION_WEEKS full weeks
    earlier_orders: int  # ... and in the RETENTION_WEEKS weeks before those
    overdue: bool = False  # a callback whose time has passed without a call: first in the queue
    cutoff_at: datetime | None = None  # when the shop's current order week locks
    cutoff_passed: bool = False
    cutoff_soon: bool = False  # within `cutoff_warning_minutes` of the cut-off
    in_call_by: str | None = None  # login of the order taker whose call holds the shop now (orders.claims)
    in_call_name: str | None = None  # ... their name, for 「小王 通话中 09:42」
    since: datetime | None = None  # ... since when
    phone: str | None = None  # the shop's number: what the order taker dials

    @property
    def open_ticket(self) -> bool:
        return self.open_tickets > 0

    def as_json(self, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "customer": self.customer,
            "name": self.name,
            "reason": self.reason,
            "due_at": iso(self.due_at, zone),
            "status": self.status,
            "done": self.done,
            "owner": self.owner,
            "tier": self.tier,
            "district": self.district,
            "operator": self.operator,
            "key_customer": self.key_customer,
            "last_order": self.last_order.isoformat() if self.last_order else None,
            "open_ticket": self.open_ticket,
            "open_tickets": self.open_tickets,
            "retention_risk": self.retention_risk,
            "recent_orders": self.recent_orders,
            "earlier_orders": self.earlier_orders,
            "overdue": self.overdue,
            "cutoff_at": iso(self.cutoff_at, zone),
            "cutoff_passed": self.cutoff_passed,
            "cutoff_soon": self.cutoff_soon,
            "in_call_by": self.in_call_by,
            "since": iso(self.since, zone),
            "phone": self.phone,
        }


@dataclass(frozen=True)
class CallRecord:
    """A finished call as the CLI prints it and the TUI confirms it."""

    call_id: int
    customer: str
    name: str
    operator: str
    outcome: str
    started_at: datetime
    ended_at: datetime
    duration_s: int
    callback_at: datetime | None
    note: str
    phone: PhoneFacts | None = None  # what the softphone knew, for a call dialled from the screen

    def as_json(self, zone: ZoneInfo) -> dict[str, Any]:
        facts = self.phone
        return {
            "call_id": self.call_id,
            "customer": self.customer,
            "name": self.name,
            "operator": self.operator,
            "outcome": self.outcome,
            "started_at": iso(self.started_at, zone),
            "ended_at": iso(self.ended_at, zone),
            "duration_s": self.duration_s,
            "callback_at": iso(self.callback_at, zone),
            "note": self.note,
            "dialled_at": iso(facts.dialled_at, zone) if facts else None,
            "answered_at": iso(facts.answered_at, zone) if facts else None,
            "ring_s": facts.ring_s if facts else None,
            "sip_reason": facts.reason if facts else None,
        }


@dataclass(frozen=True)
class PhoneFacts:
    """A call dialled through the softphone, in wall-clock time: what `finish_call` records instead of the
    screen's timer. Built from a `CallResult` (monotonic seconds) by `phone_facts`."""

    outcome: str  # the phone's outcome: answered, no_answer, busy, failed
    reason: str  # the SIP reason as the far end gave it ("486 Busy Here"), "" for a normal hang-up
    dialled_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    ring_s: int
    talk_s: int

    @property
    def started_at(self) -> datetime:
        """The call's real start: the answer, or the dial for a call nobody answered."""
        return self.answered_at or self.dialled_at


def phone_facts(result: CallResult, *, wall_now: datetime, monotonic_now: float) -> PhoneFacts:
    """`result`'s monotonic times on the wall clock, read once as `wall_now` at `monotonic_now`: durations
    stay those the phone measured even if the wall clock is stepped meanwhile."""

    def wall(at: float) -> datetime:
        return wall_now - timedelta(seconds=max(0.0, monotonic_now - at))

    return PhoneFacts(
        outcome=result.outcome,
        reason=result.reason[:64],
        dialled_at=wall(result.dialled_at),
        answered_at=wall(result.answered_at) if result.answered_at is not None else None,
        ended_at=wall(result.ended_at),
        ring_s=min(MAX_DURATION_S, round(result.ring_s)),
        talk_s=min(MAX_DURATION_S, round(result.talk_s)),
    )


# SIP final responses saying the number itself is wrong (not found, does not exist anywhere, incomplete,
# gone): calling again will not help, so the shop's number needs fixing, not a retry.
WRONG_NUMBER_CODES = frozenset({404, 410, 484, 604})


def outcome_to_record(result: CallResult) -> str | None:
    """The call outcome (`CALL_OUTCOMES`) the outcome dialog preselects for a call the phone saw end, or None
    when the order taker must choose (the call was answered: ordered, refused, call me later …).

    - busy and no_answer are recorded as such, and come back as a retry (`RETRY_OUTCOMES`);
    - failed with 404/410/484/604 is `wrong_number`: the network says that number leads nowhere;
    - any other failure with a SIP code (403, 503 …) is `no_answer`: the shop was not reached
      and is tried again, since a failed call says nothing final about the shop (603 Decline is already busy);
    - a failure with no SIP code is the softphone's own (it could not place the call at all): None, because
      nothing is known about the shop; the order taker dials again or by hand."""
    if result.outcome == "answered":
        return None
    if result.outcome in ("busy", "no_answer"):
        return result.outcome
    code = sip_code(result.reason)
    if code is None:
        return None
    return "wrong_number" if code in WRONG_NUMBER_CODES else "no_answer"


def iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """ISO-8601 with the centre's offset, as every time in the CLI contract is printed."""
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment is not None else None


# ------------------------------------------------------------------------------------------------ queue


@dataclass
class _Person:
    """A customer row as loaded for the queue, before the per-customer facts are joined to it."""

    id: int
    code: str
    name: str
    owner: str | None
    tier: int
    district: str | None
    operator: str | None
    order_weekday: int
    phone: str | None


def _person(row: Sequence[Any]) -> _Person:
    cid, code, name, owner, tier, district, operator, weekday, phone = row
    return _Person(int(cid), code, name, owner, int(tier), district, operator, int(weekday), phone)


_CUSTOMER_COLS = (
    col(Customer.id),
    col(Customer.code),
    col(Customer.name),
    col(Customer.owner),
    col(Customer.tier),
    col(Customer.district),
    col(Customer.operator),
    col(Customer.order_weekday),
    col(Customer.phone),
)


def call_queue(
    engine: Engine,
    settings: Settings,
    *,
    day: date | None = None,
    operator: str | None = None,
) -> list[QueueEntry]:
    """The day's call list for `operator` (None: the whole team), in calling order.

    Everything is read in a handful of set-wise queries bounded by the day's customers (history only for the
    last 16 weeks), so the list of a thousand shops on a database of millions of history lines opens at once.
    """
    with engine.connect() as conn:
        return _queue(conn, settings, day or today(settings.zone), operator, facts=True)


def _queue(conn: Connection, settings: Settings, day: date, operator: str | None, *, facts: bool) -> list[QueueEntry]:
    """The queue's rule (who is listed, status, done, rank), with or without the facts the order taker reads on
    a row but that neither list nor rank depend on: the retention counts and last order (the history, most of
    the queue's time) and the open tickets. `claim_next` reads it without them on every `n` of fifty
    terminals, and fills them in for the one shop it claimed (`_with_facts`)."""
    zone = settings.zone
    start, end = day_bounds(day, zone)
    at = now()
    week = week_of(day)
    listed = listed_customers(conn, day, zone, operator, settings=settings, at=at)
    day_ids, callbacks, planned, extra = listed.day_ids, listed.callbacks, listed.planned, listed.extra
    rows = conn.execute(select(*_CUSTOMER_COLS).where(col(Customer.id).in_(day_ids))).all()
    people = {p.id: p for p in map(_person, rows)}
    for chunk in chunks(extra):
        for row in conn.execute(select(*_CUSTOMER_COLS).where(col(Customer.id).in_(chunk))):
            person = _person(row)
            people[person.id] = person
    scope = CustomerScope(day_ids, extra)
    last_today = _last_calls_today(conn, people.keys(), start, end)
    occasions = load_occasions(conn, scope, people.keys(), day, zone) if facts else {}
    tickets = _open_tickets(conn, scope) if facts else {}
    claims = active_claims(conn, people.keys(), now(), settings)
    key_tier = settings.key_customer_tier
    cutoffs: dict[int, CutoffState] = {}
    entries: list[QueueEntry] = []
    for cid, person in people.items():
        callback = callbacks.get(cid)
        plan = planned.get(cid)
        outcome = last_today.get(cid)
        reason, due = _why_listed(callback, plan)
        if cid in listed.ordered:
            # Ordered for the week: done whatever was recorded after (orders/shop_week.py); only a planned call
            # still owed (a lead's call made after the order) leaves something to do.
            outcome, done = "ordered", plan is None
        else:
            # Done: called today and nothing promised for later today. A planned call still owed after a final
            # outcome today was planned after that call (a final call settles the plan), so it is still to do.
            done = outcome is not None and callback is None and (plan is None or outcome in CALLBACK_OUTCOMES)
        occ = occasions.get(cid, Occasions())
        if person.order_weekday not in cutoffs:  # one per weekday, not per shop: a quarter of the queue's time
            cutoffs[person.order_weekday] = cutoff_state(week, person.order_weekday, at, settings)
        cutoff = cutoffs[person.order_weekday]
        claim = claims.get(cid)
        entries.append(
            QueueEntry(
                customer_id=cid,
                customer=person.code,
                name=person.name,
                owner=person.owner,
                tier=person.tier,
                district=person.district,
                operator=person.operator,
                reason=reason,
                due_at=due.astimezone(zone) if due is not None else None,
                status=outcome or "to_call",
                done=done,
                key_customer=person.tier >= key_tier,
                **_facts(occ, tickets.get(cid, 0)),
                overdue=callback is not None and callback < at,
                cutoff_at=cutoff.cutoff_at,
                cutoff_passed=cutoff.passed,
                cutoff_soon=cutoff.soon,
                in_call_by=claim.operator if claim is not None else None,
                in_call_name=claim.name if claim is not None else None,
                since=claim.since.astimezone(zone) if claim is not None else None,
                phone=person.phone,
            )
        )
    entries.sort(key=lambda e: calling_rank(e, key_tier))
    return entries


def _facts(occ: Occasions, open_tickets: int) -> dict[str, Any]:
    """A queue entry's facts for the order taker, from the shop's occasions and open tickets: one place, so a
    row of the list and the shop `claim_next` hands out say the same."""
    return {
        "last_order": occ.last_order,
        "open_tickets": open_tickets,
        "retention_risk": is_retention_risk(occ.recent, occ.earlier),
        "recent_orders": occ.recent,
        "earlier_orders": occ.earlier,
    }


def _with_facts(conn: Connection, entry: QueueEntry, day: date, zone: ZoneInfo) -> QueueEntry:
    """The entry with the facts `_queue(facts=False)` left out, read for its one shop as `call_queue` reads
    them for all (the same functions, on a one-shop scope)."""
    scope = CustomerScope.one(entry.customer_id)
    occ = load_occasions(conn, scope, [entry.customer_id], day, zone)[entry.customer_id]
    return replace(entry, **_facts(occ, _open_tickets(conn, scope).get(entry.customer_id, 0)))


def _why_listed(callback: datetime | None, plan: _Plan | None) -> tuple[str, datetime | None]:
    """The entry's reason and due time. A callback wins over a planned call: it is the latest promise made to
    the shop (or the retry of the planned call itself, which stays owed until a call gets through)."""
    if callback is not None:
        return "callback", callback
    if plan is not None:
        return plan.reason, plan.due_at
    return "order_day", None


def calling_rank(entry: QueueEntry, key_tier: int) -> tuple[int, datetime, int, str]:
    """Overdue callbacks first, oldest first (a promise already broken is the most urgent, and VICIdial's
    lesson is that missed callbacks are forgotten once the screen fills); then callbacks and planned calls by
    their time, then key customers, then the rest; bigger shops first within a group, and the licence number
    last so that two terminals always show the same order."""
    if entry.overdue and entry.due_at is not None:
        return (0, entry.due_at, -entry.tier, entry.customer)
    if entry.due_at is not None:
        return (1, entry.due_at, -entry.tier, entry.customer)
    group = 2 if entry.tier >= key_tier else 3
    return (group, datetime.min.replace(tzinfo=UTC), -entry.tier, entry.customer)


def queue_progress(entries: Iterable[QueueEntry]) -> tuple[int, int]:
    """(done, due) for the progress line: every listed customer is due today; done ones need nothing more."""
    listed = list(entries)
    return sum(1 for e in listed if e.done), len(listed)


def next_due(entries: Iterable[QueueEntry], at: datetime | None = None, *, me: str | None = None) -> QueueEntry | None:
    """The call to open next (the queue's `n`): the first not done, skipping callbacks whose time has not
    come, since calling a shop before the time it asked for is as bad as calling late, and shops another
    order taker's call holds (a shop held by `me` is my own open call, and may be reopened)."""
    at = at or now()
    for entry in entries:
        if entry.in_call_by is not None and entry.in_call_by != me:
            continue
        if not entry.done and (entry.due_at is None or entry.due_at <= at):
            return entry
    return None


def claim_next(engine: Engine, settings: Settings, operator: str, *, team: bool = False) -> QueueEntry | None:
    """The queue's `n` for a terminal among many: the call `next_due` gives `operator` (from the team's list
    with `team`), claimed for them (`orders.claims`), so that two terminals pressing `n` at the same moment
    get two different shops. When another terminal claims the shop between our reading the queue and our
    claim, the next one is tried; None when nothing is left to call.

    Here beside `next_due` rather than in `orders/claims.py`: it is the queue's rule, and the claims sit below
    the queue (`start_call` and `call_queue` use them), so importing the queue there would make a cycle.

    Fifty terminals press `n` all day, so this is kept cheap (`bench/claims.py`): the queue is read once per
    press and without the facts that do not decide who is next (`_queue(facts=False)`; they are read for the
    shop won); a shop another terminal is claiming this instant is passed over without waiting for it
    (`nobody_else_claiming`); and a lost race re-reads the live claims (a table of one row per open call) to
    skip every shop claimed meanwhile rather than losing one write transaction per shop down the list. The
    guarantee does not rest on any of that: the claim is one atomic upsert, and `_moved_on` re-checks the shop
    under it."""
    at = now()
    zone = settings.zone
    day = at.astimezone(zone).date()
    start, end = day_bounds(day, zone)
    who = _check_operator(operator)
    with engine.connect() as conn:
        entries = _queue(conn, settings, day, None if team else operator, facts=False)
    ids = [e.customer_id for e in entries]
    tried: set[int] = set()
    while True:
        entry = next_due((e for e in entries if e.customer_id not in tried), at, me=operator)
        if entry is None:
            return None
        tried.add(entry.customer_id)
        with write_transaction(engine) as conn:
            if not nobody_else_claiming(conn, entry.customer_id):
                continue  # another terminal is claiming it this instant: it will be theirs, or back in the list
            try:
                claim = take(conn, entry.customer_id, who, at, settings)
            except InCall:
                claim = None
            else:
                if _moved_on(conn, entry, day, start, end):
                    if entry.in_call_by != who:
                        drop_own(conn, entry.customer_id, who)
                    continue
        if claim is None:
            with engine.connect() as conn:
                held = active_claims(conn, ids, now(), settings)
            tried.update(cid for cid, c in held.items() if c.operator != who)
            continue
        won = replace(entry, in_call_by=claim.operator, in_call_name=claim.name, since=claim.since.astimezone(zone))
        with engine.connect() as conn:
            return _with_facts(conn, won, day, zone)


def _moved_on(conn: Connection, entry: QueueEntry, day: date, start: datetime, end: datetime) -> bool:
    """Whether the shop was dealt with after the queue was read: another terminal called it (and released its
    claim) in between, so the claim alone does not prove it is still to call. Read under the claim, so no
    terminal can change it meanwhile: ordered for the week, or its last call today is not the one listed."""
    if ordered_in_week(conn, day, CustomerScope.one(entry.customer_id)):
        return True
    last = _last_calls_today(conn, [entry.customer_id], start, end, one=entry.customer_id).get(entry.customer_id)
    return (last or "to_call") != entry.status


@dataclass(frozen=True)
class Listed:
    """Who is on a day's call list, before any per-customer fact is read: the order-day customers (as a
    subquery), the callbacks and planned calls due, and the ids listed only for one of those."""

    day_ids: Select[int | None]
    callbacks: dict[int, datetime]
    planned: dict[int, _Plan]
    extra: list[int]
    ordered: frozenset[int]  # listed shops with an order placed for the day's week (orders/shop_week.py)


def listed_customers(
    conn: Connection,
    day: date,
    zone: ZoneInfo,
    operator: str | None = None,
    *,
    settings: Settings | None = None,
    at: datetime | None = None,
) -> Listed:
    """The membership rule of `call_queue`, also used by the lead's report to count calls due, so the two
    can never disagree about who is due. `settings` (the cut-off and the callback handover) default to the
    ones read from the environment with `zone`; `at` (when callbacks are overdue) to now. A shop that has
    ordered for the week is not brought back by a callback (a retry after a later no-answer): its week is done."""
    settings = settings or Settings(timezone=zone.key)
    at = at or now()
    start, end = day_bounds(day, zone)
    day_ids = _order_day_ids(day, operator)
    callbacks = _callbacks_due(conn, day, settings, at, operator)
    planned = _planned_due(conn, start, end, operator)
    ordered = ordered_in_week(conn, day, CustomerScope(day_ids, sorted({*callbacks, *planned})))
    callbacks = {cid: due for cid, due in callbacks.items() if cid not in ordered}
    candidates = sorted({*callbacks, *planned})
    on_order_day: set[int] = set()
    for chunk in chunks(candidates):
        query = select(col(Customer.id)).where(col(Customer.id).in_(chunk), col(Customer.id).in_(day_ids))
        on_order_day.update(cid for cid in conn.execute(query).scalars() if cid is not None)
    extra = [cid for cid in candidates if cid not in on_order_day]
    return Listed(day_ids, callbacks, planned, extra, frozenset(ordered))


def _order_day_ids(day: date, operator: str | None) -> Select[int | None]:
    """The ids of the day's order-day customers, as a subquery: the per-customer facts are then read with
    `customer_id IN (SELECT ...)`, which the planners join on their indexes, instead of shipping a thousand
    bound ids with every query."""
    query = select(col(Customer.id)).where(
        col(Customer.active).is_(True), col(Customer.order_weekday) == day.isoweekday()
    )
    if operator is not None:
        query = query.where(col(Customer.operator) == operator)
    return query


def _callbacks_due(
    conn: Connection, day: date, settings: Settings, at: datetime, operator: str | None
) -> dict[int, datetime]:
    """Customer id → callback time, for the latest finished call of each customer (up to the day's end) whose
    callback falls in the day, or fell on an earlier day of the shop's current order week before that week's
    cut-off and was never followed by another call: a missed callback is carried over until the order can no
    longer be taken, instead of vanishing at midnight.

    Whose it is: a callback the shop asked for (`callback_requested`) is the promise of the order taker who
    took the call, until it is `callback_handover_minutes` overdue; then it is anyone's, so it shows in every
    order taker's queue. A retry (no answer, busy) belongs to the shop's usual order taker, or to whoever made
    the call when the shop has none. A lead's complaint call-back (`replied`) is not part of the shop's order
    day and supersedes nothing.
    """
    zone = settings.zone
    start, end = day_bounds(day, zone)
    week = week_of(day)
    week_start, _ = day_bounds(week, zone)
    later = _CALL.alias("later")
    superseded = (
        select(later.c.id)
        .where(
            later.c.customer_id == col(Call.customer_id),
            later.c.outcome.is_not(None),
            later.c.outcome.not_in(OUTSIDE_ORDER_DAY),
            later.c.started_at < end,
            or_(
                later.c.started_at > col(Call.started_at),
                and_(later.c.started_at == col(Call.started_at), later.c.id > col(Call.id)),
            ),
        )
        .exists()
    )
    query = (
        select(col(Call.customer_id), col(Call.callback_at), col(Customer.order_weekday))
        .join(Customer, col(Customer.id) == col(Call.customer_id))
        .where(
            col(Call.callback_at) >= min(start, week_start),
            col(Call.callback_at) < end,
            col(Call.outcome).is_not(None),
            col(Customer.active).is_(True),
            ~superseded,
        )
    )
    if operator is not None:
        handed_over = at - timedelta(minutes=settings.callback_handover_minutes)
        asked = col(Call.outcome) == "callback_requested"
        query = query.where(
            or_(
                and_(asked, or_(col(Call.operator) == operator, col(Call.callback_at) <= handed_over)),
                and_(~asked, func.coalesce(col(Customer.operator), col(Call.operator)) == operator),
            )
        )
    out: dict[int, datetime] = {}
    for cid, due, weekday in conn.execute(query):
        if due is None:
            continue
        if due < start:  # carried over from an earlier day: missed, and about this week's still open order
            cutoff = cutoff_for(week, int(weekday), settings)
            if not (due < at and due < cutoff and start < cutoff):
                continue
        out[int(cid)] = due
    return out


@dataclass(frozen=True)
class _Plan:
    due_at: datetime
    reason: str


def _planned_due(conn: Connection, start: datetime, end: datetime, operator: str | None) -> dict[int, _Plan]:
    """Customer id -> the earliest planned call due in the day and not made yet. A planned call for the team
    (no operator) belongs to the customer's usual order taker, like a callback; one with neither shows only
    in the team's list."""
    query = (
        select(col(PlannedCall.customer_id), col(PlannedCall.due_at), col(PlannedCall.reason))
        .join(Customer, col(Customer.id) == col(PlannedCall.customer_id))
        .where(
            col(PlannedCall.due_at) >= start,
            col(PlannedCall.due_at) < end,
            col(PlannedCall.call_id).is_(None),
            col(Customer.active).is_(True),
        )
        .order_by(col(PlannedCall.due_at).desc(), col(PlannedCall.id).desc())
    )
    if operator is not None:
        query = query.where(func.coalesce(col(PlannedCall.operator), col(Customer.operator)) == operator)
    out: dict[int, _Plan] = {}
    for cid, due_at, reason in conn.execute(query):
        out[int(cid)] = _Plan(due_at, reason)  # latest first: the earliest of the day is written last and stays
    return out


def _last_calls_today(
    conn: Connection, ids: Collection[int], start: datetime, end: datetime, *, one: int | None = None
) -> dict[int, str]:
    """Customer id → outcome of its last finished call started in the day. A day has a few thousand calls at
    most, read by the `started_at` index and kept only for the queue's customers; `one` (a shop's re-check
    under its claim, on every `n`) reads only that shop's calls, by the (customer, started_at) index."""
    outcomes: dict[int, str] = {}
    query = (
        select(col(Call.customer_id), col(Call.outcome))
        .where(
            col(Call.started_at) >= start,
            col(Call.started_at) < end,
            col(Call.outcome).is_not(None),
            col(Call.outcome).not_in(OUTSIDE_ORDER_DAY),
        )
        .order_by(col(Call.started_at), col(Call.id))
    )
    if one is not None:
        query = query.where(col(Call.customer_id) == one)
    rows = conn.execute(query)
    for cid, outcome in rows:
        if outcome is not None and cid in ids:
            outcomes[int(cid)] = outcome  # ordered by time: the last one wins
    return outcomes


def _open_tickets(conn: Connection, scope: CustomerScope) -> dict[int, int]:
    out: dict[int, int] = {}
    for condition in scope.filters(col(Ticket.customer_id)):
        rows = conn.execute(
            select(col(Ticket.customer_id), func.count())
            .where(condition, col(Ticket.status).in_(STILL_OPEN))
            .group_by(col(Ticket.customer_id))
        )
        out.update({int(cid): int(n) for cid, n in rows})
    return out


# ------------------------------------------------------------------------------------------------ recording


def validate_outcome(outcome: str) -> None:
    if outcome not in CALL_OUTCOMES:
        raise CallError(f"unknown outcome '{outcome}'; use one of {', '.join(CALL_OUTCOMES)}")


def retry_time(ended_at: datetime, settings: Settings) -> datetime:
    """When to try a shop again that did not answer or was busy: `no_answer_retry_minutes` later if that is
    still inside today's working hours, else the next working day's opening time."""
    calendar = WorkingCalendar.from_settings(settings)
    candidate = ended_at + timedelta(minutes=settings.no_answer_retry_minutes)
    local_day = ended_at.astimezone(calendar.zone).date()
    if calendar.is_working_day(local_day):
        opens, closes = calendar.window(local_day)
        if candidate <= closes:
            return max(candidate, opens).astimezone(calendar.zone)
    try:
        return next_opening(local_day, calendar)
    except ValueError as exc:  # no working day for years: a configuration error, reported as the call's
        raise CallError(str(exc)) from exc


def check_callback_time(callback_at: datetime, at: datetime, settings: Settings) -> datetime:
    """A callback promised to a customer must be one somebody can keep: in the future, on a working day,
    inside working hours."""
    if callback_at.tzinfo is None:
        raise CallError("the callback time must carry a UTC offset, e.g. 2026-11-23T15:00:00+08:00")
    calendar = WorkingCalendar.from_settings(settings)
    local = callback_at.astimezone(calendar.zone)
    shown = local.isoformat(timespec="minutes")
    if callback_at <= at:
        raise CallError(f"the callback time {shown} is not in the future")
    hours = f"{calendar.start:%H:%M}-{calendar.end:%H:%M}"
    if not calendar.is_working_day(local.date()):
        raise CallError(f"the callback time {shown} is not on a working day; the centre works on other days")
    opens, closes = calendar.window(local.date())
    if not opens <= callback_at <= closes:
        raise CallError(f"the callback time {shown} is outside working hours ({hours})")
    return local


def _callback_for(outcome: str, callback_at: datetime | None, at: datetime, settings: Settings) -> datetime | None:
    if outcome == "callback_requested" and callback_at is None:
        raise CallError("outcome callback_requested needs the time the customer asked for (--callback-at)")
    if outcome in (*FINAL_OUTCOMES, *OUTSIDE_ORDER_DAY) and callback_at is not None:
        raise CallError(
            f"outcome {outcome} ends the customer's day; a callback time goes with "
            "callback_requested, no_answer or busy"
        )
    if callback_at is not None:
        return check_callback_time(callback_at, at, settings)
    if outcome in RETRY_OUTCOMES:
        return retry_time(at, settings)
    return None


def _check_note(note: str) -> str:
    cleaned = note.strip()
    if len(cleaned) > MAX_NOTE:
        raise CallError(f"note is {len(cleaned)} characters, at most {MAX_NOTE}")
    problem = text_problem(cleaned, "note")
    if problem is not None:
        raise CallError(problem)
    return cleaned


def _check_operator(operator: str) -> str:
    problem = operator_problem(operator)
    if problem is not None:
        raise CallError(problem)
    return operator.strip()


def _audit(conn: Connection, record: CallRecord) -> None:
    detail = {
        "customer": record.customer,
        "outcome": record.outcome,
        "duration_s": record.duration_s,
        "callback_at": record.callback_at.isoformat() if record.callback_at else None,
    }
    conn.execute(
        insert(AuditLog).values(
            at=record.ended_at,
            actor=record.operator,
            action="call_recorded",
            entity="call",
            entity_id=str(record.call_id),
            detail=json.dumps(detail, ensure_ascii=False),
        )
    )


def _settle_planned(
    conn: Connection, customer_id: int, call_id: int, outcome: str, started_at: datetime, zone: ZoneInfo
) -> None:
    """Mark the customer's planned calls due on or before the call's day as made by this call, in the call's
    own transaction, so they leave the queue with it. Only a final outcome settles them: a call that did not
    get through (no answer, busy, call me later) leaves the planned call owed, and its callback brings the
    shop back."""
    if outcome not in FINAL_OUTCOMES:
        return
    _, day_end = day_bounds(started_at.astimezone(zone).date(), zone)
    conn.execute(
        update(PlannedCall)
        .where(
            col(PlannedCall.customer_id) == customer_id,
            col(PlannedCall.call_id).is_(None),
            col(PlannedCall.due_at) < day_end,
        )
        .values(call_id=call_id)
    )


def _ticket_replied(conn: Connection, customer_id: int, call_id: int, who: str, at: datetime, note: str) -> None:
    """A `replied` call answers a complaint: the open ticket a lead's planned call-back points to (else the
    shop's most recent open one) gets the reply in its history, and the planned call-back is settled. A shop
    with no open complaint cannot have been replied to: refused, nothing written."""
    plan = conn.execute(
        select(col(PlannedCall.id), col(PlannedCall.ticket_id))
        .join(Ticket, col(Ticket.id) == col(PlannedCall.ticket_id))
        .where(
            col(PlannedCall.customer_id) == customer_id,
            col(PlannedCall.reason) == "ticket_callback",
            col(PlannedCall.call_id).is_(None),
            col(Ticket.status).in_(STILL_OPEN),
        )
        .order_by(col(PlannedCall.due_at), col(PlannedCall.id))
        .limit(1)
    ).first()
    ticket_id = (
        plan.ticket_id
        if plan is not None
        else conn.execute(
            select(col(Ticket.id))
            .where(col(Ticket.customer_id) == customer_id, col(Ticket.status).in_(STILL_OPEN))
            .order_by(col(Ticket.opened_at).desc(), col(Ticket.id).desc())
            .limit(1)
        ).scalar()
    )
    if ticket_id is None:
        raise CallError("outcome replied needs an open complaint ticket for this shop, and it has none")
    note_reply(conn, int(ticket_id), at, who, note)
    conn.execute(
        update(PlannedCall)
        .where(
            col(PlannedCall.customer_id) == customer_id,
            col(PlannedCall.reason) == "ticket_callback",
            col(PlannedCall.call_id).is_(None),
            col(PlannedCall.ticket_id) == ticket_id,
        )
        .values(call_id=call_id)
    )


def record_call(
    engine: Engine,
    settings: Settings,
    customer_code: str,
    outcome: str,
    *,
    operator: str | None,
    duration_s: int | None = None,
    callback_at: datetime | None = None,
    started_at: datetime | None = None,
    note: str = "",
) -> CallRecord:
    """Record a whole call after the fact (the CLI, or a terminal that did not open it): the call ends now.

    `operator=None` attributes the call to the customer's usual order taker (or `cli` when it has none), so a
    call keyed in by a supervisor still counts on the right person's figures.
    """
    at = now()
    validate_outcome(outcome)
    cleaned = _check_note(note)
    if duration_s is not None and not 0 <= duration_s <= MAX_DURATION_S:
        raise CallError(f"duration {duration_s} s: give 0 to {MAX_DURATION_S} seconds")
    if started_at is not None:
        if started_at.tzinfo is None:
            raise CallError("the start time must carry a UTC offset")
        if started_at > at:
            raise CallError("the call cannot start in the future")
    if started_at is None:
        started_at = at - timedelta(seconds=duration_s or 0)
    if duration_s is None:
        duration_s = int((at - started_at).total_seconds())
        if duration_s > MAX_DURATION_S:
            raise CallError(f"the call started {duration_s} s ago; at most {MAX_DURATION_S} s is believable")
    callback = _callback_for(outcome, callback_at, at, settings)
    with write_transaction(engine) as conn:
        customer = conn.execute(
            select(col(Customer.id), col(Customer.name), col(Customer.operator)).where(
                col(Customer.code) == customer_code
            )
        ).first()
        if customer is None:
            raise CallError(f"unknown customer '{customer_code}'")
        who = _check_operator(operator) if operator is not None else (customer.operator or "cli")
        result = conn.execute(
            insert(Call).values(
                customer_id=customer.id,
                operator=who,
                started_at=started_at,
                ended_at=at,
                duration_s=duration_s,
                outcome=outcome,
                callback_at=callback,
                note=cleaned,
            )
        )
        call_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        record = CallRecord(
            call_id, customer_code, customer.name, who, outcome, started_at, at, duration_s, callback, cleaned
        )
        _audit(conn, record)
        _settle_planned(conn, int(customer.id), call_id, outcome, started_at, settings.zone)
        if outcome == "replied":
            _ticket_replied(conn, int(customer.id), call_id, who, at, cleaned)
        drop_own(conn, int(customer.id), who)
    return record


def start_call(engine: Engine, customer_code: str, operator: str, settings: Settings | None = None) -> int:
    """Open a call row when the order taker dials, so an order or a complaint taken during the call can
    point at it; `finish_call` sets the outcome when it ends.

    The shop is claimed for `operator` in the same transaction (`orders.claims`): `InCall`, with nothing
    written, when another order taker's call holds it. Without `settings` the claim lasts the default
    `call_claim_minutes`."""
    who = _check_operator(operator)
    at = now()
    with write_transaction(engine) as conn:
        customer_id = conn.execute(select(col(Customer.id)).where(col(Customer.code) == customer_code)).scalar()
        if customer_id is None:
            raise CallError(f"unknown customer '{customer_code}'")
        take(conn, int(customer_id), who, at, settings)
        result = conn.execute(insert(Call).values(customer_id=customer_id, operator=who, started_at=at))
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def finish_call(
    engine: Engine,
    settings: Settings,
    call_id: int,
    outcome: str,
    *,
    callback_at: datetime | None = None,
    duration_s: int | None = None,
    note: str = "",
    phone: PhoneFacts | None = None,
) -> CallRecord:
    """End a call opened by `start_call`: its outcome, callback and duration (from its start unless the
    telephone system's figure is given). A call is finished once; a second outcome is refused.

    With `phone` (the call was dialled through the softphone) the row holds the real call: it starts at the
    answer (at the dial when unanswered), ends at the hang-up, lasts the talk time, and keeps the dial time,
    the ring seconds and the SIP reason; the screen's timer counted the preparation and the typing too."""
    at = now()
    validate_outcome(outcome)
    cleaned = _check_note(note)
    if duration_s is not None and not 0 <= duration_s <= MAX_DURATION_S:
        raise CallError(f"duration {duration_s} s: give 0 to {MAX_DURATION_S} seconds")
    callback = _callback_for(outcome, callback_at, at, settings)
    with write_transaction(engine) as conn:
        row = conn.execute(
            select(
                col(Call.started_at),
                col(Call.outcome),
                col(Call.operator),
                col(Customer.code),
                col(Customer.name),
                col(Call.customer_id),
            )
            .join(Customer, col(Customer.id) == col(Call.customer_id))
            .where(col(Call.id) == call_id)
        ).first()
        if row is None:
            raise CallError(f"unknown call {call_id}")
        started_at, previous, who, code, name, customer_id = row
        if previous is not None:
            raise CallError(f"call {call_id} was already recorded as {previous}")
        ended_at = at
        values: dict[str, Any] = {}
        if phone is not None:
            started_at, ended_at, duration_s = phone.started_at, min(phone.ended_at, at), phone.talk_s
            values = {
                "started_at": started_at,
                "dialled_at": phone.dialled_at,
                "answered_at": phone.answered_at,
                "ring_s": phone.ring_s,
                "sip_reason": phone.reason,
            }
        if duration_s is None:
            duration_s = min(MAX_DURATION_S, max(0, int((at - started_at).total_seconds())))
        done = conn.execute(
            update(Call)
            .where(col(Call.id) == call_id, col(Call.outcome).is_(None))
            .values(
                ended_at=ended_at, duration_s=duration_s, outcome=outcome, callback_at=callback, note=cleaned, **values
            )
        )
        if done.rowcount != 1:  # another terminal finished it between our read and write (PostgreSQL)
            raise CallError(f"call {call_id} was already recorded")
        record = CallRecord(
            call_id, code, name, who, outcome, started_at, ended_at, duration_s, callback, cleaned, phone
        )
        _audit(conn, record)
        _settle_planned(conn, int(customer_id), call_id, outcome, started_at, settings.zone)
        if outcome == "replied":
            _ticket_replied(conn, int(customer_id), call_id, who, at, cleaned)
        drop_own(conn, int(customer_id), who)
    return record
