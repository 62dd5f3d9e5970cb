"""Falling orders: the one rule that calls a shop falling, the lead's retention list, and the personal call a
lead schedules from it.

The rule (`is_retention_risk`, counted by `load_occasions`) is the only place that decides whether a shop's
orders are falling: the call queue's flag, this list's `fewer_orders` and the call script's choice of the
retention script (`orders.script_context`) all ask it, so the three can never disagree about a shop.

Falling order frequency is the trade's early warning of a lost customer, and the response is a personal call
(domain.md). The list compares each active shop's last `RETENTION_WEEKS` complete weeks before the day's week
(recent) with the `RETENTION_WEEKS` weeks before those (earlier), and with the recent weeks a year earlier
(52 weeks back, so weeks start on the same weekday) where the shop has history then. A shop is listed for
each of these reasons, `why` naming the first that holds:

- `fewer_orders`: the rule, which is also the call queue's retention flag: at most 60% of the earlier window's
  order occasions and at least 3 fewer. Counted by the very code the queue counts with (`load_occasions`), so a
  shop the queue flags is always on this list.
- `smaller_orders`: cartons fell the same way: at most 60% of the earlier window's cartons and at least
  `VOLUME_DROP` fewer, so a shop that orders as often but half as much is caught, and a small shop's noise
  (6 cartons instead of 9) is not.
- `below_last_year`: the same test against the recent weeks a year earlier, which sees a fall that the
  last 16 weeks hide (a slow slide, or a season the shop used to sell in and no longer does).

Largest loss first: cartons lost against the larger of the two baselines, then occasions lost, because the
lead has an hour for these calls and 20% of the shops bring 80% of the volume.

The whole list is read set-wise: one grouped query over 16 weeks (and the year-ago weeks) of history for all
active shops, one for orders placed here, one for the planned calls; about a second on the large demo.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Engine, and_, case, func, insert, literal, select
from sqlmodel import col

from db.engine import write_transaction
from db.models import AuditLog, Customer, HistoryLine, Order, OrderLine, PlannedCall
from orders.calendar import WorkingCalendar, day_bounds, next_opening
from orders.clock import now, week_of
from orders.scope import CustomerScope, chunks
from orders.settings import Settings
from orders.tickets import MAX_NOTE, iso
from orders.users import SignedIn, require_role

RETENTION_WEEKS = 8  # two windows of this many weeks are compared
RETENTION_SHARE = 0.6  # flagged when the recent window has at most this share of the earlier one ...
RETENTION_DROP = 3  # ... and at least this many fewer order occasions
YEAR_WEEKS = 52  # "a year earlier" is 52 weeks back, so the weeks start on the same weekday
VOLUME_SHARE = RETENTION_SHARE  # cartons: flagged at most at this share of the baseline ...
VOLUME_DROP = 10  # ... and at least this many cartons fewer (a tier-1 shop orders about 6 a week)
FEWER_ORDERS = "fewer_orders"
SMALLER_ORDERS = "smaller_orders"
BELOW_LAST_YEAR = "below_last_year"
RETENTION = "retention"


class RetentionError(ValueError):
    """A retention call cannot be scheduled as asked; nothing was written. The message is one sentence."""

    kind = "bad_input"


class AlreadyScheduled(RetentionError):
    """The customer already has a retention call waiting to be made; a second one would only call twice."""

    kind = "already_scheduled"


@dataclass(frozen=True)
class RetentionRow:
    """One falling shop with the numbers behind it, as the lead's screen shows it."""

    customer_id: int
    code: str
    name: str
    owner: str | None
    district: str | None
    tier: int
    operator: str | None
    recent_orders: int  # order occasions in the last RETENTION_WEEKS complete weeks
    earlier_orders: int  # ... in the RETENTION_WEEKS before those
    recent_cartons: int
    earlier_cartons: int
    last_year_cartons: int | None  # the recent weeks a year earlier; None when the shop had no order then
    orders_ratio: float | None  # recent / earlier occasions; None when earlier is 0
    cartons_ratio: float | None  # recent / earlier cartons
    last_year_ratio: float | None  # recent / last year's cartons
    last_order: date | None
    scheduled: bool  # a retention call is planned and not made yet
    why: str  # the first of `reasons`: a key the TUI translates
    reasons: tuple[str, ...]
    loss: int  # cartons lost against the larger baseline: the sort key

    def as_json(self) -> dict[str, Any]:
        return {
            "customer": self.code,
            "name": self.name,
            "owner": self.owner,
            "district": self.district,
            "tier": self.tier,
            "operator": self.operator,
            "recent_orders": self.recent_orders,
            "earlier_orders": self.earlier_orders,
            "recent_cartons": self.recent_cartons,
            "earlier_cartons": self.earlier_cartons,
            "last_year_cartons": self.last_year_cartons,
            "orders_ratio": _rounded(self.orders_ratio),
            "cartons_ratio": _rounded(self.cartons_ratio),
            "last_year_ratio": _rounded(self.last_year_ratio),
            "last_order": self.last_order.isoformat() if self.last_order else None,
            "scheduled": self.scheduled,
            "why": self.why,
            "reasons": list(self.reasons),
            "loss": self.loss,
        }


@dataclass(frozen=True)
class PlannedCallInfo:
    """A planned call as the lead's screen confirms it: who will be called, when, by whom."""

    planned_call_id: int
    customer: str
    name: str
    reason: str
    due_at: datetime  # in the centre's zone
    operator: str | None  # None: whoever of the team takes it
    created_by: str
    note: str

    def as_json(self) -> dict[str, Any]:
        return {
            "planned_call_id": self.planned_call_id,
            "customer": self.customer,
            "name": self.name,
            "reason": self.reason,
            "due_at": self.due_at.isoformat(timespec="seconds"),
            "operator": self.operator,
            "created_by": self.created_by,
            "note": self.note,
        }


def _rounded(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def _ratio(part: int, whole: int | None) -> float | None:
    return part / whole if whole else None


def is_retention_risk(recent: int, earlier: int) -> bool:
    """Falling order frequency is the early warning of a lost customer (the response is a personal call). The
    one rule for it: the call queue's flag, the lead's list and the call script's choice all ask here.

    A clear fall only: at most 60% of the earlier window's occasions *and* at least 3 fewer, so a shop that
    skipped one week out of two is not flagged, nor one that went from 2 orders to 1.
    """
    return earlier - recent >= RETENTION_DROP and recent <= RETENTION_SHARE * earlier


@dataclass(frozen=True)
class RetentionWindows:
    """The weeks the retention comparison reads for `day`: the last `RETENTION_WEEKS` complete weeks before
    its week (recent), the `RETENTION_WEEKS` before those (earlier), and the recent weeks a year back."""

    this_week: date
    mid: date  # first day of the recent window
    first: date  # first day of the earlier window

    @classmethod
    def of(cls, day: date) -> RetentionWindows:
        this_week = week_of(day)
        return cls(
            this_week,
            this_week - timedelta(weeks=RETENTION_WEEKS),
            this_week - timedelta(weeks=2 * RETENTION_WEEKS),
        )

    @property
    def year_ago_first(self) -> date:
        return self.mid - timedelta(weeks=YEAR_WEEKS)

    @property
    def year_ago_end(self) -> date:
        return self.this_week - timedelta(weeks=YEAR_WEEKS)


@dataclass(frozen=True)
class Occasions:
    """A customer's orders in the retention windows: occasions (distinct order dates), and with `volume` the
    cartons too. ERP history and orders placed here are combined without counting an order twice."""

    recent: int = 0
    earlier: int = 0
    last_order: date | None = None
    recent_cartons: int = 0
    earlier_cartons: int = 0
    year_ago: int = 0  # occasions in the recent weeks a year earlier
    year_ago_cartons: int = 0


@dataclass
class _History:
    recent: int = 0
    earlier: int = 0
    last: date | None = None
    recent_cartons: int = 0
    earlier_cartons: int = 0
    year_ago: int = 0
    year_ago_cartons: int = 0


def load_occasions(
    conn: Connection,
    scope: CustomerScope,
    ids: Collection[int],
    day: date,
    zone: ZoneInfo,
    *,
    volume: bool = False,
) -> dict[int, Occasions]:
    """Occasions of every customer in `ids` (all of them in `scope`) for the retention windows of `day`.

    The call queue asks for occasions only (its flag is about frequency, and leaving the cartons out lets the
    history query run on the covering index); the lead's retention list asks for `volume` too. Both go through
    this one function, so the queue's flag and the list can never disagree on a count.
    """
    windows = RetentionWindows.of(day)
    history = _history_counts(conn, scope, ids, day, windows, volume=volume)
    placed = _placed_orders(conn, scope, day, zone, windows, volume=volume)
    return {cid: _occasions(history.get(cid), placed.get(cid, []), windows) for cid in ids}


def _history_counts(
    conn: Connection, scope: CustomerScope, ids: Collection[int], day: date, windows: RetentionWindows, *, volume: bool
) -> dict[int, _History]:
    """Order occasions (distinct order dates) per customer in the two retention windows, and the last order
    date. The inner GROUP BY folds a shop's lines of one date into one occasion on the covering unique index
    (customer, date, product), which is cheaper than COUNT(DISTINCT) on both backends; a second query finds
    the last order of the few customers with nothing in the last 16 weeks.

    With `volume` the inner query also sums cartons (reading the table, not just the index), and a separate
    query reads the recent weeks a year back: one range per query, because SQLite given `range OR range`
    gives up the (customer, date) index range and reads each customer's whole history (twice as slow)."""
    mid, first, this_week = windows.mid, windows.first, windows.this_week
    order_date = col(HistoryLine.order_date)
    out: dict[int, _History] = {}
    for condition in scope.filters(col(HistoryLine.customer_id)):
        inner: list[Any] = [col(HistoryLine.customer_id).label("cid"), order_date.label("d")]
        if volume:
            inner.append(func.sum(col(HistoryLine.qty)).label("q"))
        dates = (
            select(*inner)
            .where(condition, order_date >= first, order_date <= day)
            .group_by(col(HistoryLine.customer_id), order_date)
            .subquery("dates")
        )
        d = dates.c.d
        is_recent = and_(d >= mid, d < this_week)
        columns: list[Any] = [
            dates.c.cid,
            func.sum(case((is_recent, 1), else_=0)),
            func.sum(case((d < mid, 1), else_=0)),
            func.max(d),
        ]
        if volume:
            columns += [func.sum(case((is_recent, dates.c.q), else_=0)), func.sum(case((d < mid, dates.c.q), else_=0))]
        row: Any
        for row in conn.execute(select(*columns).group_by(dates.c.cid)):
            history = out[int(row[0])] = _History(int(row[1]), int(row[2]), row[3])
            if volume:
                history.recent_cartons, history.earlier_cartons = int(row[4] or 0), int(row[5] or 0)
        if volume:
            year_ago = (
                select(col(HistoryLine.customer_id).label("cid"), func.sum(col(HistoryLine.qty)).label("q"))
                .where(condition, order_date >= windows.year_ago_first, order_date < windows.year_ago_end)
                .group_by(col(HistoryLine.customer_id), order_date)
                .subquery("year_ago")
            )
            query = select(year_ago.c.cid, func.count(), func.sum(year_ago.c.q)).group_by(year_ago.c.cid)
            for cid, occasions, cartons in conn.execute(query):
                history = out.setdefault(int(cid), _History())
                history.year_ago, history.year_ago_cartons = int(occasions), int(cartons or 0)
    stale = sorted(cid for cid in ids if cid not in out or out[cid].last is None)
    for chunk in chunks(stale):
        lasts = conn.execute(
            select(col(HistoryLine.customer_id), func.max(order_date))
            .where(col(HistoryLine.customer_id).in_(chunk), order_date <= day)
            .group_by(col(HistoryLine.customer_id))
        )
        for cid, last in lasts:
            out.setdefault(int(cid), _History()).last = last
    return out


def _placed_orders(
    conn: Connection, scope: CustomerScope, day: date, zone: ZoneInfo, windows: RetentionWindows, *, volume: bool
) -> dict[int, list[tuple[date, int]]]:
    """(local date, cartons) of orders placed in this tool since 16 weeks ago (few rows: one or two a
    customer-week), plus each customer's latest placed order before that, so
    `last_order` is right for long-silent shops. Cartons are read only with `volume` (0 otherwise)."""
    # Never further back than the two windows, even for last year's volume: the ERP history is complete for
    # anything that old (it only lags by days), and a year of this tool's orders is 50 times more rows to read
    since = windows.first
    lo = datetime.combine(since, time(0), tzinfo=zone)
    _, hi = day_bounds(day, zone)
    placed_at = col(Order.placed_at)
    cartons: Any = literal(0)
    if volume:
        cartons = (
            select(func.coalesce(func.sum(col(OrderLine.qty)), 0))
            .where(col(OrderLine.order_id) == col(Order.id))
            .scalar_subquery()
        )
    out: dict[int, list[tuple[date, int]]] = {}
    for condition in scope.filters(col(Order.customer_id)):
        recent = conn.execute(
            select(col(Order.customer_id), placed_at, cartons).where(
                condition, col(Order.status) == "placed", placed_at >= lo, placed_at < hi
            )
        )
        for cid, at, qty in recent:
            out.setdefault(int(cid), []).append((at.astimezone(zone).date(), int(qty or 0)))
        older = conn.execute(
            select(col(Order.customer_id), func.max(placed_at))
            .where(condition, col(Order.status) == "placed", placed_at < lo)
            .group_by(col(Order.customer_id))
        )
        for cid, at in older:
            if int(cid) not in out and at is not None:
                out[int(cid)] = [(at.astimezone(zone).date(), 0)]
    return out


def _occasions(history: _History | None, placed: list[tuple[date, int]], windows: RetentionWindows) -> Occasions:
    """Combine the ERP history with orders placed here. An order placed here after the customer's last
    history date is a new occasion; one on or before it is taken to be in the ERP history already (the ERP
    holds every order, it only arrives later), so it is not counted twice. Orders placed here on one date
    are one occasion, as the ERP's lines of one date are."""
    h = history or _History()
    recent, earlier, last = h.recent, h.earlier, h.last
    recent_qty, earlier_qty = h.recent_cartons, h.earlier_cartons
    year_ago, year_ago_qty = h.year_ago, h.year_ago_cartons
    by_date: dict[date, int] = {}
    for d, qty in placed:
        by_date[d] = by_date.get(d, 0) + qty
    for d in sorted(by_date):
        if last is not None and d <= last:
            continue
        if windows.mid <= d < windows.this_week:
            recent, recent_qty = recent + 1, recent_qty + by_date[d]
        elif windows.first <= d < windows.mid:
            earlier, earlier_qty = earlier + 1, earlier_qty + by_date[d]
        elif windows.year_ago_first <= d < windows.year_ago_end:
            year_ago, year_ago_qty = year_ago + 1, year_ago_qty + by_date[d]
        last = d
    return Occasions(recent, earlier, last, recent_qty, earlier_qty, year_ago, year_ago_qty)


def is_falling(recent: int, baseline: int | None, *, share: float, drop: int) -> bool:
    """A clear fall against a baseline: at most `share` of it and at least `drop` less (both, so neither a
    small shop's noise nor a big shop's slight dip is flagged)."""
    return baseline is not None and baseline - recent >= drop and recent <= share * baseline


def reasons_for(occ: Occasions) -> tuple[str, ...]:
    """Why a shop is on the retention list, most telling first; empty when it is not falling."""
    found: list[str] = []
    if is_retention_risk(occ.recent, occ.earlier):
        found.append(FEWER_ORDERS)
    if is_falling(occ.recent_cartons, occ.earlier_cartons, share=VOLUME_SHARE, drop=VOLUME_DROP):
        found.append(SMALLER_ORDERS)
    year_ago = occ.year_ago_cartons if occ.year_ago else None
    if is_falling(occ.recent_cartons, year_ago, share=VOLUME_SHARE, drop=VOLUME_DROP):
        found.append(BELOW_LAST_YEAR)
    return tuple(found)


def pending_retention(since: datetime) -> ColumnElement[bool]:
    """Planned calls that are retention calls still to make: not made, due at or after `since` (the start of
    the day asked about). One whose day passed without a call has lapsed: the queue no longer lists it, so it
    must not keep the lead from scheduling another."""
    return and_(
        col(PlannedCall.reason) == RETENTION,
        col(PlannedCall.call_id).is_(None),
        col(PlannedCall.due_at) >= since,
    )


def retention_list(
    engine: Engine,
    day: date,
    *,
    settings: Settings,
    district: str | None = None,
    operator: str | None = None,
) -> list[RetentionRow]:
    """The active shops (of one district, of one usual order taker) whose orders are falling as of `day`,
    largest loss first. See the module docstring for the rule; `day` only fixes the week (the windows are the
    complete weeks before it) and which planned calls are still pending."""
    zone = settings.zone
    ids = select(col(Customer.id)).where(col(Customer.active).is_(True))
    if district is not None:
        ids = ids.where(col(Customer.district) == district)
    if operator is not None:
        ids = ids.where(col(Customer.operator) == operator)
    start, _ = day_bounds(day, zone)
    with engine.connect() as conn:
        people: Sequence[Any] = conn.execute(
            select(
                col(Customer.id),
                col(Customer.code),
                col(Customer.name),
                col(Customer.owner),
                col(Customer.district),
                col(Customer.tier),
                col(Customer.operator),
            ).where(col(Customer.id).in_(ids))
        ).all()
        occasions = load_occasions(conn, CustomerScope(ids), [int(p[0]) for p in people], day, zone, volume=True)
        scheduled: set[Any] = set(
            conn.execute(select(col(PlannedCall.customer_id)).where(pending_retention(start)).distinct()).scalars()
        )
    rows: list[RetentionRow] = []
    for cid, code, name, owner, where, tier, usual in people:
        occ = occasions[int(cid)]
        reasons = reasons_for(occ)
        if not reasons:
            continue
        last_year = occ.year_ago_cartons if occ.year_ago else None
        rows.append(
            RetentionRow(
                customer_id=int(cid),
                code=code,
                name=name,
                owner=owner,
                district=where,
                tier=int(tier),
                operator=usual,
                recent_orders=occ.recent,
                earlier_orders=occ.earlier,
                recent_cartons=occ.recent_cartons,
                earlier_cartons=occ.earlier_cartons,
                last_year_cartons=last_year,
                orders_ratio=_ratio(occ.recent, occ.earlier),
                cartons_ratio=_ratio(occ.recent_cartons, occ.earlier_cartons),
                last_year_ratio=_ratio(occ.recent_cartons, last_year),
                last_order=occ.last_order,
                scheduled=int(cid) in scheduled,
                why=reasons[0],
                reasons=reasons,
                loss=max(occ.earlier_cartons, last_year or 0) - occ.recent_cartons,
            )
        )
    rows.sort(key=lambda r: (-r.loss, -(r.earlier_orders - r.recent_orders), r.code))
    return rows


def schedule_retention_call(
    engine: Engine,
    customer_code: str,
    *,
    by: SignedIn,
    settings: Settings,
    at: datetime | None = None,
    note: str = "",
) -> PlannedCallInfo:
    """Put a personal retention call for `customer_code` in the next working day's queue, at opening time,
    for the shop's usual order taker (the team when it has none), who knows the owner best.

    Only a shift lead (or an admin) may: it puts work on someone else's list. `at` is when the lead does it
    (default now). Refused, with nothing written, for an unknown customer (`RetentionError`) and for one that
    already has a retention call waiting (`AlreadyScheduled`), and for an inactive one, which the queue would
    never show (`RetentionError`); the check and the insert share one write
    transaction (customer row locked on PostgreSQL), so two leads pressing the key at once plan one call.
    """
    require_role(by, "shift_lead")
    at = at or now()
    if at.tzinfo is None:
        raise RetentionError("the scheduling time must carry a UTC offset")
    cleaned = note.strip()
    if len(cleaned) > MAX_NOTE:
        raise RetentionError(f"note is {len(cleaned)} characters, at most {MAX_NOTE}")
    calendar = WorkingCalendar.from_settings(settings)
    zone = settings.zone
    local_day = at.astimezone(zone).date()
    due = next_opening(local_day, calendar)
    start, _ = day_bounds(local_day, zone)
    with write_transaction(engine) as conn:
        customer = conn.execute(
            select(col(Customer.id), col(Customer.name), col(Customer.operator), col(Customer.active))
            .where(col(Customer.code) == customer_code)
            .with_for_update()
        ).first()
        if customer is None:
            raise RetentionError(f"unknown customer '{customer_code}'")
        if not customer.active:  # the queue lists active shops only: the call would never be made
            raise RetentionError(f"customer '{customer_code}' is inactive; the call queue does not list it")
        waiting = conn.execute(
            select(col(PlannedCall.due_at))
            .where(col(PlannedCall.customer_id) == customer.id, pending_retention(start))
            .order_by(col(PlannedCall.due_at))
            .limit(1)
        ).scalar()
        if waiting is not None:
            when = waiting.astimezone(zone).isoformat(timespec="minutes")
            raise AlreadyScheduled(f"customer '{customer_code}' already has a retention call planned for {when}")
        result = conn.execute(
            insert(PlannedCall).values(
                customer_id=customer.id,
                reason=RETENTION,
                due_at=due,
                operator=customer.operator,
                created_by=by.login,
                created_at=at,
                note=cleaned,
            )
        )
        planned_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        detail = {"customer": customer_code, "due_at": iso(due, zone), "operator": customer.operator, "note": cleaned}
        conn.execute(
            insert(AuditLog).values(
                at=at,
                actor=by.login,
                action="retention_call_scheduled",
                entity="planned_call",
                entity_id=str(planned_id),
                detail=json.dumps(detail, ensure_ascii=False),
            )
        )
    return PlannedCallInfo(
        planned_id, customer_code, customer.name, RETENTION, due, customer.operator, by.login, cleaned
    )
