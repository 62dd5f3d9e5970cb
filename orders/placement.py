"""Placing, amending and cancelling orders: the one place that writes an order.

Retailers judge the centre on fair allocation, so a quota or the week's supply must hold however many terminals
place at once, on SQLite and on PostgreSQL. The rule itself (`orders.quotas.effective_quota`) is shared with the
suggestion and the call screen; what this module adds is the *authority*: quota and supply are consumed through
the `quota_usage` / `supply_usage` counters with one conditional upsert each,

    INSERT ... ON CONFLICT (key) DO UPDATE SET used_qty = used_qty + :q WHERE used_qty + :q <= :limit

(the quota check: `_consume_quota_and_supply`, with the limits from `_quota_and_supply_limits`), which
PostgreSQL executes atomically under READ COMMITTED (the row is locked and the condition re-read on its
newest version) and SQLite runs inside `BEGIN IMMEDIATE` (`db.engine.write_transaction`), so two terminals can
never both take the last carton. Counters are touched in one global order (the customer's own quota rows, then
the shared supply rows, each by product id), so concurrent orders cannot deadlock; the order, its lines and the
audit row are written before the counters, and all supply rows are taken in one statement, so the rows every
terminal queues for are held only from that statement to the commit. Every line is tried before deciding, so a
refusal names every failing line; then the transaction is rolled back and nothing is left behind. On SQLite a
terminal that cannot get the write lock within the busy timeout tries again, up to `SQLITE_PATIENCE_S`.

Refusals are exceptions: `OrderInputError` (exit 1: unknown customer or product, discontinued product, bad
quantity, the same product twice) and `OrderRefused` (exit 3: quota, supply, cut-off, a cancelled order). A
duplicate product code is refused, never merged: merging would silently change a quantity the customer heard
read back. `OrderDatabaseError` reports a database that failed or went away mid-transaction.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Integer, case, delete, func, insert, literal_column, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlmodel import col

from db.engine import write_transaction
from db.export import yuan
from db.models import Call, User, is_row_id
from db.tables import AUDIT, CUSTOMER, ORDER, ORDER_LINE, PRODUCT, QUOTA, QUOTA_USAGE, SUPPLY, SUPPLY_USAGE
from orders.clock import now, today, week_of
from orders.quantity import MAX_CARTONS
from orders.quotas import QuotaRow, effective_quota
from orders.settings import Settings
from orders.text_checks import MAX_LOGIN, operator_problem

# Reasons a line (or the whole order) is refused; stable values, scripts match on them.
UNKNOWN_CUSTOMER = "unknown_customer"
INACTIVE_CUSTOMER = "inactive_customer"
UNKNOWN_PRODUCT = "unknown_product"
INACTIVE_PRODUCT = "inactive_product"
BAD_QUANTITY = "bad_quantity"
DUPLICATE_PRODUCT = "duplicate_product"
EMPTY_ORDER = "empty_order"
UNKNOWN_ORDER = "unknown_order"
UNKNOWN_CALL = "unknown_call"
BAD_OPERATOR = "bad_operator"
QUOTA_EXCEEDED = "quota_exceeded"
SUPPLY_EXHAUSTED = "supply_exhausted"
CUTOFF_PASSED = "cutoff_passed"
WEEK_OUT_OF_RANGE = "week_out_of_range"
ORDER_CANCELLED = "order_cancelled"
OPERATOR_DISABLED = "operator_disabled"
DATABASE_UNAVAILABLE = "database_unavailable"
DATABASE_REFUSED = "database_refused"

_T = TypeVar("_T")

MAX_OPERATOR = MAX_LOGIN  # the width of the operator column; longer would fail as a SQL error on PostgreSQL


# ------------------------------------------------------------------------------------------------ errors


@dataclass(frozen=True)
class LineProblem:
    """Why one line cannot be placed. `limit` is the quota or the week's supply that refused it; `remaining` is
    the most this line could hold right now (what the order taker can offer instead)."""

    code: str
    qty: int | None
    reason: str
    limit: int | None = None
    remaining: int | None = None
    name: str | None = None
    text: str = field(default="", compare=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "qty": self.qty,
            "reason": self.reason,
            "limit": self.limit,
            "remaining": self.remaining,
            "name": self.name,
        }


class PlacementError(ValueError):
    """Nothing was written. `kind` is a stable word for scripts; `lines` names every failing line."""

    refused = False  # True: a business rule said no (exit 3); False: the request itself is wrong (exit 1)

    def __init__(self, message: str, *, kind: str, lines: Sequence[LineProblem] = (), **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.lines = list(lines)
        self.details = details

    def as_json(self) -> dict[str, Any]:
        """The contract's refusal: `{"error", "message", "lines": [...]}` plus any details."""
        return {"error": self.kind, "message": self.message, "lines": [p.as_json() for p in self.lines], **self.details}


class OrderInputError(PlacementError):
    """The request names something that does not exist or cannot be ordered, or a quantity that is no quantity."""


class OrderRefused(PlacementError):
    """A business rule (quota, supply, cut-off, a cancelled order) refuses the order as asked."""

    refused = True


class OrderDatabaseError(PlacementError):
    """The database failed or dropped the connection mid-transaction.

    `maybe_written` is True only when the failure came while committing: then the server may have committed
    before the connection died, and the order taker must look before placing again.
    """

    def __init__(self, message: str, *, kind: str, maybe_written: bool = False, busy: bool = False) -> None:
        super().__init__(message, kind=kind)
        self.maybe_written = maybe_written
        self.busy = busy  # SQLite's write lock was not free in time: nothing was done, trying again is safe


# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class OrderLineView:
    code: str
    name: str
    qty: int
    price_fen: int


@dataclass(frozen=True)
class PlacedOrder:
    """An order as stored, lines in the order they were taken."""

    order_id: int
    customer: str
    customer_name: str
    week: date
    status: str
    placed_at: datetime
    operator: str
    lines: tuple[OrderLineView, ...]
    changed_at: datetime | None = None
    call_id: int | None = None

    @property
    def cartons(self) -> int:
        return sum(line.qty for line in self.lines)

    @property
    def total_fen(self) -> int:
        return sum(line.qty * line.price_fen for line in self.lines)

    def as_json(self, zone: ZoneInfo) -> dict[str, Any]:
        """The contract's `order place` shape (`order_id`, `customer`, `week`, `lines[{code, qty}]`) plus more."""
        return {
            "order_id": self.order_id,
            "customer": self.customer,
            "week": self.week.isoformat(),
            "lines": [
                {"code": ln.code, "qty": ln.qty, "name": ln.name, "price_per_carton": yuan(ln.price_fen)}
                for ln in self.lines
            ],
            "status": self.status,
            "customer_name": self.customer_name,
            "placed_at": self.placed_at.astimezone(zone).isoformat(timespec="seconds"),
            "changed_at": self.changed_at.astimezone(zone).isoformat(timespec="seconds") if self.changed_at else None,
            "operator": self.operator,
            "call_id": self.call_id,
            "cartons": self.cartons,
            "total": yuan(self.total_fen),
        }


# ------------------------------------------------------------------------------------------------ rules


def cutoff_for(week: date, order_weekday: int, settings: Settings) -> datetime:
    """The instant a customer's week locks: their order day in that week at the cut-off time, centre time.

    Built from local wall time so a zone with daylight saving still locks at the clock time people read.
    """
    day = week_of(week) + timedelta(days=order_weekday - 1)
    return datetime.combine(day, settings.cutoff_time, tzinfo=settings.zone)


@dataclass(frozen=True)
class CutoffState:
    """How close a customer's week is to locking, as the queue and the call screen show it: `soon` from
    `cutoff_warning_minutes` before, `passed` once an order would be refused (the same `at <= cutoff` rule
    placement applies)."""

    cutoff_at: datetime
    minutes_left: int  # whole minutes until the cut-off, rounded down; negative once it has passed
    soon: bool
    passed: bool


def cutoff_state(week: date, order_weekday: int, at: datetime, settings: Settings) -> CutoffState:
    """The cut-off of `week` for a shop ordering on `order_weekday`, seen at `at`."""
    cutoff = cutoff_for(week, order_weekday, settings)
    left = cutoff - at
    minutes = math.floor(left.total_seconds() / 60)
    passed = at > cutoff
    soon = not passed and left <= timedelta(minutes=settings.cutoff_warning_minutes)
    return CutoffState(cutoff.astimezone(settings.zone), minutes, soon, passed)


def _qty_ok(qty: object) -> bool:
    # bool is an int to Python, but True cartons is a bug in the caller, not an order
    return isinstance(qty, int) and not isinstance(qty, bool) and 1 <= qty <= MAX_CARTONS


def _label(code: str, qty: int | None) -> str:
    return f"{code}={qty}" if qty is not None else code


def _check_request(
    lines: Iterable[tuple[str, int]],
) -> tuple[list[tuple[int, str, int]], list[tuple[int, LineProblem]]]:
    """Split the request into usable lines and problems that need no database (quantity, duplicates).

    Both carry the line's position so that problems are reported in the order the customer said them.
    """
    good: list[tuple[int, str, int]] = []
    problems: list[tuple[int, LineProblem]] = []
    seen: set[str] = set()
    for pos, (raw_code, qty) in enumerate(lines):
        code = str(raw_code).strip()
        shown = qty if isinstance(qty, int) and not isinstance(qty, bool) else None
        if code in seen:
            text = f"{_label(code, shown)}: product {code} is already on this order; give each product once"
            problems.append((pos, LineProblem(code, shown, DUPLICATE_PRODUCT, text=text)))
            continue
        seen.add(code)
        if not _qty_ok(qty):
            text = f"{code}={qty}: a quantity must be a whole number of cartons from 1 to {MAX_CARTONS}"
            problems.append((pos, LineProblem(code, shown, BAD_QUANTITY, text=text)))
            continue
        good.append((pos, code, qty))
    return good, problems


def _check_operator(operator: str) -> str:
    problem = operator_problem(operator)
    if problem is not None:
        raise OrderInputError(f"{problem}; nothing was changed", kind=BAD_OPERATOR)
    return operator.strip()


def _check_enabled(conn: Connection, operator: str, what: str) -> None:
    """A login an admin has disabled places, amends and cancels nothing, even from a terminal where it is still
    signed in: disabling is what a centre does when someone leaves, and it must take effect at once, not at the
    next sign-in. Checked inside the write's transaction. A name with no login (the CLI's `system:<user>`) is
    not a login that can be disabled."""
    active = conn.execute(select(col(User.active)).where(col(User.login) == operator)).scalar()
    if active is not None and not active:
        raise OrderRefused(f"login {operator} is disabled; nothing was {what}", kind=OPERATOR_DISABLED)


# ------------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class _Customer:
    id: int
    code: str
    name: str
    tier: int
    order_weekday: int
    active: bool


@dataclass(frozen=True)
class _Product:
    id: int
    code: str
    name: str
    price_fen: int
    active: bool


def _customer_where(conn: Connection, clause: Any) -> _Customer | None:
    c = CUSTOMER.c
    row = conn.execute(select(c.id, c.code, c.name, c.tier, c.order_weekday, c.active).where(clause)).first()
    if row is None:
        return None
    return _Customer(int(row.id), row.code, row.name, int(row.tier), int(row.order_weekday), bool(row.active))


def _customer(conn: Connection, code: str) -> _Customer:
    customer = _customer_where(conn, CUSTOMER.c.code == code.strip())
    if customer is None:
        raise OrderInputError(f"unknown customer '{code}'; nothing was placed", kind=UNKNOWN_CUSTOMER, customer=code)
    if not customer.active:
        raise OrderInputError(
            f"customer {customer.code} {customer.name} is inactive and cannot order; nothing was placed",
            kind=INACTIVE_CUSTOMER,
            customer=customer.code,
        )
    return customer


def _products_by_code(conn: Connection, codes: Iterable[str]) -> dict[str, _Product]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    p = PRODUCT.c
    rows = conn.execute(select(p.id, p.code, p.name, p.price_fen, p.status).where(p.code.in_(wanted)))
    return {r.code: _Product(int(r.id), r.code, r.name, int(r.price_fen), r.status == "active") for r in rows}


def _unknown(pos: int, code: str, qty: int) -> tuple[int, LineProblem]:
    return pos, LineProblem(code, qty, UNKNOWN_PRODUCT, text=f"{code}={qty}: no product has code '{code}'")


def _inactive(pos: int, product: _Product, qty: int) -> tuple[int, LineProblem]:
    text = f"{product.code}={qty}: {product.name} is discontinued and cannot be ordered"
    return pos, LineProblem(product.code, qty, INACTIVE_PRODUCT, name=product.name, text=text)


def _raise_input(problems: list[tuple[int, LineProblem]], what: str) -> None:
    if not problems:
        return
    ordered = [p for _, p in sorted(problems, key=lambda item: item[0])]
    message = f"{what}: " + "; ".join(p.text for p in ordered)
    raise OrderInputError(message, kind=ordered[0].reason, lines=ordered)


def _quota_and_supply_limits(
    conn: Connection, week: date, customer: _Customer, product_ids: Sequence[int]
) -> dict[int, tuple[int | None, int | None]]:
    """Each product's (quota for this customer, week's supply total); None means no limit."""
    if not product_ids:
        return {}
    q = QUOTA.c
    rows: dict[int, list[QuotaRow]] = {pid: [] for pid in product_ids}
    query = select(q.product_id, q.tier_from, q.tier_to, q.customer_id, q.max_qty).where(
        q.week == week,
        q.product_id.in_(product_ids),
        or_(q.customer_id.is_(None), q.customer_id == customer.id),
    )
    for pid, tier_from, tier_to, customer_id, max_qty in conn.execute(query):
        rows[int(pid)].append(QuotaRow(int(pid), int(tier_from), int(tier_to), customer_id, int(max_qty)))
    s = SUPPLY.c
    totals = {
        int(pid): int(total)
        for pid, total in conn.execute(
            select(s.product_id, s.total_qty).where(s.week == week, s.product_id.in_(product_ids))
        )
    }
    return {pid: (effective_quota(rows[pid], customer.id, customer.tier), totals.get(pid)) for pid in product_ids}


# ------------------------------------------------------------------------------------------------ counters


def _upsert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def _take_counter(conn: Connection, table: Any, key: dict[str, Any], qty: int, limit: int | None) -> bool:
    """Add `qty` to a usage counter if it stays within `limit`, in one atomic statement; False if it would not.

    A missing counter is created holding `qty`; `qty > limit` is refused before that, since a new counter starts
    from nothing. The WHERE of ON CONFLICT DO UPDATE is evaluated on the row's newest version under its lock,
    which is what makes this safe on PostgreSQL without SERIALIZABLE.
    """
    if limit is not None and qty > limit:
        return False
    ins = _upsert(conn)(table).values(**key, used_qty=qty)
    new_used = table.c.used_qty + ins.excluded.used_qty
    stmt = ins.on_conflict_do_update(
        index_elements=list(key),
        set_={"used_qty": new_used},
        where=(new_used <= limit) if limit is not None else None,
    )
    # RETURNING, not rowcount: psycopg reports -1 for an upsert through Core, and an empty result is unambiguous
    return conn.execute(stmt.returning(table.c.used_qty)).first() is not None


def _give_back(conn: Connection, table: Any, key: dict[str, Any], qty: int) -> None:
    """Return cartons to a counter; clamped at zero so an order written before the counters existed can still
    be cancelled (the CHECK constraint would otherwise refuse the cancel forever)."""
    c = table.c
    where = [c[name] == value for name, value in key.items()]
    remaining = c.used_qty - qty
    conn.execute(update(table).where(*where).values(used_qty=case((remaining < 0, 0), else_=remaining)))


def _used(conn: Connection, table: Any, key: dict[str, Any]) -> int:
    c = table.c
    value = conn.execute(select(c.used_qty).where(*[c[name] == v for name, v in key.items()])).scalar()
    return int(value or 0)


def _take_supply(conn: Connection, week: date, takes: dict[int, int], totals: dict[int, int | None]) -> set[int]:
    """Add every line's cartons to the week's supply counters in one statement; return the products that fit.

    These are the rows all terminals queue for, so they are taken in one round trip, in product order, with the
    limit read from `supply` inside the statement itself (a supply re-imported a moment ago counts at once).
    """
    rows = [
        {"week": week, "product_id": pid, "used_qty": qty}
        for pid, qty in sorted(takes.items())
        if totals.get(pid) is None or qty <= (totals[pid] or 0)  # a new counter starts from nothing
    ]
    if not rows:
        return set()
    ins = _upsert(conn)(SUPPLY_USAGE).values(rows)
    # Written out because SQLAlchemy adds the outer table to a subquery's FROM here instead of correlating it;
    # `supply_usage` in ON CONFLICT DO UPDATE is the existing row, on both databases.
    total = literal_column(
        "(SELECT s.total_qty FROM supply s"
        " WHERE s.week = supply_usage.week AND s.product_id = supply_usage.product_id)",
        type_=Integer,
    )
    new_used = SUPPLY_USAGE.c.used_qty + ins.excluded.used_qty
    stmt = ins.on_conflict_do_update(
        index_elements=["week", "product_id"],
        set_={"used_qty": new_used},
        where=new_used <= func.coalesce(total, new_used),
    ).returning(SUPPLY_USAGE.c.product_id)
    return {int(pid) for pid in conn.execute(stmt).scalars()}


def _consume_quota_and_supply(
    conn: Connection,
    week: date,
    customer_id: int,
    deltas: dict[int, int],
    limits: dict[int, tuple[int | None, int | None]],
    held: dict[int, int],
) -> list[tuple[int, str, int | None, int]]:
    """Consume (delta > 0) or give back (delta < 0) quota and supply for each product; return every failure as
    (product_id, reason, limit, remaining) without stopping, so the refusal can name them all.

    One global lock order keeps concurrent orders from deadlocking: the customer's own quota rows first (nobody
    else queues for them), then the shared supply rows, each by product id. The supply rows come last so they are
    held only from their update to the commit. `held` is what this order already holds of each product (amend),
    so `remaining` is the most the line could hold, not merely what is left on the counter.
    """
    failures: list[tuple[int, str, int | None, int]] = []
    for pid in sorted(deltas):
        delta = deltas[pid]
        key = {"week": week, "customer_id": customer_id, "product_id": pid}
        if delta < 0:
            _give_back(conn, QUOTA_USAGE, key, -delta)
            continue
        quota = limits.get(pid, (None, None))[0]
        if delta > 0 and not _take_counter(conn, QUOTA_USAGE, key, delta, quota):
            assert quota is not None
            left = max(0, quota - _used(conn, QUOTA_USAGE, key) + held.get(pid, 0))
            failures.append((pid, QUOTA_EXCEEDED, quota, left))
    totals = {pid: limit[1] for pid, limit in limits.items()}
    takes = {pid: delta for pid, delta in deltas.items() if delta > 0}
    if all(delta >= 0 for delta in deltas.values()):
        taken = _take_supply(conn, week, takes, totals)
    else:  # an amend giving some back: one row at a time, still in product order
        taken = set()
        for pid in sorted(deltas):
            if deltas[pid] < 0:
                _give_back(conn, SUPPLY_USAGE, {"week": week, "product_id": pid}, -deltas[pid])
            elif deltas[pid] > 0:
                taken |= _take_supply(conn, week, {pid: deltas[pid]}, totals)
    for pid in sorted(set(takes) - taken):
        key = {"week": week, "product_id": pid}
        total = conn.execute(
            select(SUPPLY.c.total_qty).where(SUPPLY.c.week == week, SUPPLY.c.product_id == pid)
        ).scalar()
        limit = int(total) if total is not None else int(totals.get(pid) or 0)
        left = max(0, limit - _used(conn, SUPPLY_USAGE, key) + held.get(pid, 0))
        failures.append((pid, SUPPLY_EXHAUSTED, limit, left))
    return failures


def _raise_refused(
    failures: list[tuple[int, str, int | None, int]],
    wanted: dict[int, tuple[int, _Product, int]],
    customer: _Customer,
    verb: str,
) -> None:
    """Turn counter failures into one refusal naming every failing line, in the order they were said."""
    if not failures:
        return
    ordered = sorted(failures, key=lambda f: (wanted[f[0]][0], f[1] != SUPPLY_EXHAUSTED))
    problems: list[LineProblem] = []
    for pid, reason, limit, left in ordered:
        _, product, qty = wanted[pid]
        if reason == QUOTA_EXCEEDED:
            why = f"over {customer.code}'s weekly quota of {limit} ({left} still allowed)"
        else:
            why = f"over the week's supply of {limit} ({left} left)"
        text = f"{product.code}={qty} {product.name}: {why}"
        problems.append(LineProblem(product.code, qty, reason, limit, left, product.name, text))
    message = f"{verb} refused, nothing was changed: " + "; ".join(p.text for p in problems)
    raise OrderRefused(message, kind=problems[0].reason, lines=problems)


def _check_cutoff(
    customer: _Customer,
    week: date,
    settings: Settings,
    at: datetime,
    lines: Sequence[tuple[str, int | None]],
    verb: str,
) -> None:
    cutoff = cutoff_for(week, customer.order_weekday, settings)
    if at <= cutoff:
        return
    local = cutoff.astimezone(settings.zone)
    when = local.strftime("%Y-%m-%d %H:%M")
    problems = [LineProblem(code, qty, CUTOFF_PASSED) for code, qty in lines]
    raise OrderRefused(
        f"{verb} refused, nothing was changed: the week of {week.isoformat()} for {customer.code} closed at "
        f"the cut-off {when} ({settings.timezone})",
        kind=CUTOFF_PASSED,
        lines=problems,
        cutoff=local.isoformat(timespec="seconds"),
    )


def order_weeks(settings: Settings, at: datetime) -> tuple[date, date]:
    """The first and last week (their Mondays) an order may be placed for now: this week, up to
    `order_weeks_ahead` weeks on. A customer's own week may close earlier, at its cut-off."""
    first = week_of(at.astimezone(settings.zone).date())
    return first, first + timedelta(weeks=settings.order_weeks_ahead)


def _check_week(
    customer_code: str, week: date, settings: Settings, at: datetime, lines: Sequence[tuple[str, int | None]]
) -> None:
    """Refuse a week that has ended or lies further ahead than the setting allows, naming the weeks allowed.

    Checked before the cut-off or anything else works with the week, so any date the caller can name (up to
    9999-12-31) is a refusal and never an overflow while working out its cut-off. A past week keeps the
    `cutoff_passed` kind that closed it (screens and scripts know it); one too far ahead is `week_out_of_range`.
    """
    first, last = order_weeks(settings, at)
    if first <= week <= last:
        return
    allowed = f"orders are taken for the weeks of {first.isoformat()} to {last.isoformat()}"
    if week < first:
        why, kind = f"the week of {week.isoformat()} has ended, its cut-off long passed", CUTOFF_PASSED
    else:
        ahead = settings.order_weeks_ahead
        why = f"the week of {week.isoformat()} is more than {ahead} week{'s' if ahead != 1 else ''} ahead"
        kind = WEEK_OUT_OF_RANGE
    raise OrderRefused(
        f"order refused for {customer_code}, nothing was changed: {why}; {allowed}",
        kind=kind,
        lines=[LineProblem(code, qty, kind) for code, qty in lines],
        first_week=first.isoformat(),
        last_week=last.isoformat(),
    )


def _audit(conn: Connection, at: datetime, actor: str, action: str, order_id: int, detail: dict[str, Any]) -> None:
    conn.execute(
        insert(AUDIT).values(
            at=at,
            actor=actor[:MAX_OPERATOR],
            action=action,
            entity="order",
            entity_id=str(order_id),
            detail=json.dumps(detail, ensure_ascii=False),
        )
    )


# ------------------------------------------------------------------------------------------------ database failures


SQLITE_PATIENCE_S = 30.0  # how long a terminal keeps trying for SQLite's write lock before giving up


class _Stage:
    """Whether the transaction had reached its commit, which decides what a lost connection means."""

    committing = False


def _busy(exc: DBAPIError) -> bool:
    """SQLite's write lock stayed taken past the busy timeout (the message is the only sign sqlite3 gives)."""
    reason = str(exc.orig).lower() if exc.orig else ""
    return isinstance(exc, OperationalError) and ("database is locked" in reason or "database is busy" in reason)


@contextmanager
def _database_guard(action: str, stage: _Stage) -> Iterator[None]:
    """Turn a failing or vanished database into one sentence; rule refusals pass through untouched."""
    try:
        yield
    except (IntegrityError, DataError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise OrderDatabaseError(
            f"the database refused {action} ({reason}); nothing was changed", kind=DATABASE_REFUSED
        ) from exc
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        lost = "the connection to the database was lost" if exc.connection_invalidated else "the database failed"
        if stage.committing:
            raise OrderDatabaseError(
                f"{lost} while committing {action} ({reason}); it may or may not have been saved: "
                "look at the customer's orders before trying again",
                kind=DATABASE_UNAVAILABLE,
                maybe_written=True,
            ) from exc
        raise OrderDatabaseError(
            f"{lost} while {action} ({reason}); nothing was changed, try again",
            kind=DATABASE_UNAVAILABLE,
            busy=not stage.committing and _busy(exc),
        ) from exc


def _write(engine: Engine, action: str, body: Callable[[Connection], _T]) -> _T:
    """Run `body` in one write transaction; on SQLite, wait longer than one busy timeout for the write lock.

    SQLite's busy handler polls, and under a burst of writers a newcomer can keep beating a terminal that has
    waited long; starting again resets that terminal's polling. Safe because a busy lock is only ever reported
    at BEGIN IMMEDIATE, before `body` has done anything.
    """
    deadline = time.monotonic() + SQLITE_PATIENCE_S
    while True:
        stage = _Stage()
        try:
            with _database_guard(action, stage), write_transaction(engine) as conn:
                result = body(conn)
                stage.committing = True
            return result
        except OrderDatabaseError as exc:
            if not exc.busy or time.monotonic() >= deadline:
                raise


# ------------------------------------------------------------------------------------------------ writing


def place_order(
    engine: Engine,
    settings: Settings,
    customer_code: str,
    lines: Iterable[tuple[str, int]],
    *,
    week: date | None = None,
    operator: str,
    call_id: int | None = None,
) -> PlacedOrder:
    """Place an order for the customer's week (the week containing `week`, default this week), all or nothing.

    Checks, in the order a user fixes them: the request (customer, products, quantities, duplicates; exit 1),
    the cut-off, then every line's quota and the week's supply (exit 3). Writes the order, its lines at today's
    prices, the counters and an audit row in one transaction.
    """
    at = now()
    operator = _check_operator(operator)
    requested = list(lines)
    good, request_problems = _check_request(requested)
    if not requested:
        raise OrderInputError("an order needs at least one line; nothing was placed", kind=EMPTY_ORDER)
    monday = week_of(week if week is not None else at.astimezone(settings.zone).date())

    def attempt(conn: Connection) -> PlacedOrder:
        _check_enabled(conn, operator, "placed")
        problems = list(request_problems)
        customer = _customer(conn, customer_code)
        products = _products_by_code(conn, (code for _, code, _ in good))
        wanted: dict[int, tuple[int, _Product, int]] = {}
        for pos, code, qty in good:
            product = products.get(code)
            if product is None:
                problems.append(_unknown(pos, code, qty))
            elif not product.active:
                problems.append(_inactive(pos, product, qty))
            else:
                wanted[product.id] = (pos, product, qty)
        _raise_input(problems, "order not placed")
        if call_id is not None and (
            not is_row_id(call_id) or conn.execute(select(col(Call.id)).where(col(Call.id) == call_id)).first() is None
        ):
            raise OrderInputError(f"unknown call {call_id}; nothing was placed", kind=UNKNOWN_CALL)
        _check_week(customer.code, monday, settings, at, [(code, qty) for _, code, qty in good])
        _check_cutoff(customer, monday, settings, at, [(code, qty) for _, code, qty in good], "order")
        limits = _quota_and_supply_limits(conn, monday, customer, sorted(wanted))
        # The order, its lines and the audit row go in first and the shared counters last, so the counter rows
        # other terminals queue for are held only from their update to the commit.
        order_id = int(
            conn.execute(
                insert(ORDER).values(
                    customer_id=customer.id,
                    week=monday,
                    placed_at=at,
                    operator=operator,
                    status="placed",
                    call_id=call_id,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        taken = sorted(wanted.values(), key=lambda item: item[0])
        conn.execute(
            insert(ORDER_LINE),
            [{"order_id": order_id, "product_id": p.id, "qty": qty, "price_fen": p.price_fen} for _, p, qty in taken],
        )
        view = tuple(OrderLineView(p.code, p.name, qty, p.price_fen) for _, p, qty in taken)
        detail = {
            "customer": customer.code,
            "week": monday.isoformat(),
            "lines": [{"code": ln.code, "qty": ln.qty} for ln in view],
            "call_id": call_id,
        }
        _audit(conn, at, operator, "order_placed", order_id, detail)
        deltas = {pid: qty for pid, (_, _, qty) in wanted.items()}
        _raise_refused(
            _consume_quota_and_supply(conn, monday, customer.id, deltas, limits, {}), wanted, customer, "order"
        )
        return PlacedOrder(order_id, customer.code, customer.name, monday, "placed", at, operator, view, None, call_id)

    return _write(engine, "placing the order", attempt)


def place_order_once(
    engine: Engine,
    settings: Settings,
    customer_code: str,
    lines: Iterable[tuple[str, int]],
    *,
    operator: str,
    call_id: int | None,
    maybe_written: bool,
) -> PlacedOrder:
    """Place the call's order, or return the one an earlier attempt placed: the retry after a failure.

    When the last attempt died while committing (`OrderDatabaseError.maybe_written`) the server may have kept
    the order, and placing again would deliver it twice; so this call's order of the week (same `call_id`) is
    looked for first and returned when it is there. Without `maybe_written`, or without a call to match it
    by, it is `place_order` for this week.
    """
    if maybe_written:
        for order in orders_for_week(engine, customer_code, today(settings.zone)):
            if call_id is not None and order.call_id == call_id:
                return order
    return place_order(engine, settings, customer_code, lines, operator=operator, call_id=call_id)


@dataclass(frozen=True)
class _Stored:
    id: int
    customer: _Customer
    week: date
    status: str
    lines: dict[int, tuple[int, int]]  # product_id -> (line id, qty)
    codes: dict[int, str]  # product_id -> code


def _lock_order(conn: Connection, order_id: int) -> _Stored:
    """Read an order under its row lock (PostgreSQL; SQLite already holds the write lock), so two terminals
    amending or cancelling the same order cannot both give its cartons back."""
    o = ORDER.c
    row = None
    if is_row_id(order_id):  # a number past the id column names no order; sending it would be a driver error
        row = conn.execute(select(o.customer_id, o.week, o.status).where(o.id == order_id).with_for_update()).first()
    if row is None:
        raise OrderInputError(f"unknown order {order_id}; nothing was changed", kind=UNKNOWN_ORDER, order_id=order_id)
    customer = _customer_where(conn, CUSTOMER.c.id == row.customer_id)
    assert customer is not None  # the foreign key guarantees it
    ln, p = ORDER_LINE.c, PRODUCT.c
    lines: dict[int, tuple[int, int]] = {}
    codes: dict[int, str] = {}
    query = (
        select(ln.id, ln.product_id, ln.qty, p.code)
        .join(PRODUCT, p.id == ln.product_id)
        .where(ln.order_id == order_id)
        .order_by(ln.id)
    )
    for line_id, pid, qty, code in conn.execute(query):
        lines[int(pid)] = (int(line_id), int(qty))
        codes[int(pid)] = code
    week = row.week if isinstance(row.week, date) else date.fromisoformat(str(row.week))
    return _Stored(order_id, customer, week, row.status, lines, codes)


def _refuse_cancelled(stored: _Stored, verb: str) -> None:
    if stored.status == "cancelled":
        raise OrderRefused(
            f"{verb} refused: order {stored.id} is already cancelled", kind=ORDER_CANCELLED, order_id=stored.id
        )


def amend_order(
    engine: Engine, settings: Settings, order_id: int, lines: Iterable[tuple[str, int]], *, operator: str
) -> PlacedOrder:
    """Replace an order's lines before its week's cut-off, all or nothing.

    Only the difference moves the counters (a line going from 3 to 2 gives one carton back, a new line takes
    its cartons), so an amend that keeps a tight line never loses the customer's place to another shop. Lines
    kept keep the price they were placed at; new lines take today's price.
    """
    at = now()
    operator = _check_operator(operator)
    requested = list(lines)
    good, request_problems = _check_request(requested)
    if not requested:
        raise OrderInputError(
            f"an order needs at least one line; to drop order {order_id}, cancel it", kind=EMPTY_ORDER
        )

    def attempt(conn: Connection) -> PlacedOrder:
        _check_enabled(conn, operator, "changed")
        problems = list(request_problems)
        stored = _lock_order(conn, order_id)
        _refuse_cancelled(stored, "amend")
        products = _products_by_code(conn, (code for _, code, _ in good))
        wanted: dict[int, tuple[int, _Product, int]] = {}
        for pos, code, qty in good:
            product = products.get(code)
            if product is None:
                problems.append(_unknown(pos, code, qty))
                continue
            before = stored.lines.get(product.id, (0, 0))[1]
            if not product.active and qty > before:  # keeping or lowering a discontinued line is fine
                problems.append(_inactive(pos, product, qty))
            else:
                wanted[product.id] = (pos, product, qty)
        _raise_input(problems, f"order {order_id} not amended")
        customer = stored.customer
        _check_cutoff(customer, stored.week, settings, at, [(code, qty) for _, code, qty in good], "amend")
        held = {pid: qty for pid, (_, qty) in stored.lines.items()}
        deltas = {pid: wanted[pid][2] - held.get(pid, 0) for pid in wanted}
        deltas.update({pid: -qty for pid, qty in held.items() if pid not in wanted})
        limits = _quota_and_supply_limits(
            conn, stored.week, customer, sorted(pid for pid, d in deltas.items() if d > 0)
        )
        failures = _consume_quota_and_supply(conn, stored.week, customer.id, deltas, limits, held)
        _raise_refused(failures, wanted, customer, "amend")
        for pid, (line_id, _) in stored.lines.items():
            if pid not in wanted:
                conn.execute(delete(ORDER_LINE).where(ORDER_LINE.c.id == line_id))
            elif deltas[pid] != 0:
                conn.execute(update(ORDER_LINE).where(ORDER_LINE.c.id == line_id).values(qty=wanted[pid][2]))
        new = [(pos, p, qty) for pid, (pos, p, qty) in sorted(wanted.items(), key=lambda i: i[1][0]) if pid not in held]
        if new:
            conn.execute(
                insert(ORDER_LINE),
                [{"order_id": order_id, "product_id": p.id, "qty": qty, "price_fen": p.price_fen} for _, p, qty in new],
            )
        conn.execute(update(ORDER).where(ORDER.c.id == order_id).values(changed_at=at))
        detail = {
            "customer": customer.code,
            "week": stored.week.isoformat(),
            "before": [{"code": stored.codes[pid], "qty": qty} for pid, (_, qty) in stored.lines.items()],
            "after": [{"code": p.code, "qty": qty} for _, p, qty in sorted(wanted.values(), key=lambda i: i[0])],
        }
        _audit(conn, at, operator, "order_amended", order_id, detail)
        return _read_order(conn, order_id)

    return _write(engine, "amending the order", attempt)


def cancel_order(engine: Engine, settings: Settings, order_id: int, *, operator: str) -> PlacedOrder:
    """Cancel an order before its week's cut-off and give its cartons back to the quota and the week's supply."""
    at = now()
    operator = _check_operator(operator)

    def attempt(conn: Connection) -> PlacedOrder:
        _check_enabled(conn, operator, "cancelled")
        stored = _lock_order(conn, order_id)
        _refuse_cancelled(stored, "cancel")
        customer = stored.customer
        lines = [(stored.codes[pid], qty) for pid, (_, qty) in stored.lines.items()]
        _check_cutoff(customer, stored.week, settings, at, [(c, q) for c, q in lines], "cancel")
        deltas = {pid: -qty for pid, (_, qty) in stored.lines.items()}
        _consume_quota_and_supply(conn, stored.week, customer.id, deltas, {}, {})
        conn.execute(update(ORDER).where(ORDER.c.id == order_id).values(status="cancelled", changed_at=at))
        detail = {
            "customer": customer.code,
            "week": stored.week.isoformat(),
            "lines": [{"code": code, "qty": qty} for code, qty in lines],
        }
        _audit(conn, at, operator, "order_cancelled", order_id, detail)
        return _read_order(conn, order_id)

    return _write(engine, "cancelling the order", attempt)


# ------------------------------------------------------------------------------------------------ read helpers


def _orders(conn: Connection, where: Sequence[Any]) -> list[PlacedOrder]:
    o, c, ln, p = ORDER.c, CUSTOMER.c, ORDER_LINE.c, PRODUCT.c
    heads = conn.execute(
        select(o.id, c.code, c.name, o.week, o.status, o.placed_at, o.operator, o.changed_at, o.call_id)
        .join(CUSTOMER, c.id == o.customer_id)
        .where(*where)
        .order_by(o.placed_at, o.id)
    ).all()
    if not heads:
        return []
    ids = [int(h.id) for h in heads]
    by_order: dict[int, list[OrderLineView]] = {i: [] for i in ids}
    for order_id, code, name, qty, fen in conn.execute(
        select(ln.order_id, p.code, p.name, ln.qty, ln.price_fen)
        .join(PRODUCT, p.id == ln.product_id)
        .where(ln.order_id.in_(ids))
        .order_by(ln.order_id, ln.id)
    ):
        by_order[int(order_id)].append(OrderLineView(code, name, int(qty), int(fen)))
    return [
        PlacedOrder(
            int(h.id),
            h.code,
            h.name,
            h.week,
            h.status,
            h.placed_at,
            h.operator,
            tuple(by_order[int(h.id)]),
            h.changed_at,
            h.call_id,
        )
        for h in heads
    ]


def _read_order(conn: Connection, order_id: int) -> PlacedOrder:
    found = _orders(conn, [ORDER.c.id == order_id]) if is_row_id(order_id) else []
    if not found:
        raise OrderInputError(f"unknown order {order_id}", kind=UNKNOWN_ORDER, order_id=order_id)
    return found[0]


def get_order(engine: Engine, order_id: int) -> PlacedOrder:
    """One order with its lines, whatever its status."""
    with engine.connect() as conn:
        return _read_order(conn, order_id)


def orders_for_week(
    engine: Engine, customer_code: str, week: date, *, include_cancelled: bool = False
) -> list[PlacedOrder]:
    """The customer's orders in the week containing `week`, oldest first: what the call screen shows as "already
    ordered this week" (quotas count all of them)."""
    with engine.connect() as conn:
        customer = _customer_where(conn, CUSTOMER.c.code == customer_code.strip())
        if customer is None:
            raise OrderInputError(f"unknown customer '{customer_code}'", kind=UNKNOWN_CUSTOMER, customer=customer_code)
        where = [ORDER.c.customer_id == customer.id, ORDER.c.week == week_of(week)]
        if not include_cancelled:
            where.append(ORDER.c.status == "placed")
        return _orders(conn, where)


def operator_orders(engine: Engine, operator: str, day: date, zone: ZoneInfo) -> list[PlacedOrder]:
    """The orders `operator` placed on `day` (centre time), cancelled ones too, newest first: the order taker's
    own list of the day, where a mistake is amended or an order cancelled before the cut-off."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = start + timedelta(days=1)
    with engine.connect() as conn:
        found = _orders(conn, [ORDER.c.operator == operator, ORDER.c.placed_at >= start, ORDER.c.placed_at < end])
    return sorted(found, key=lambda o: (o.placed_at, o.order_id), reverse=True)
