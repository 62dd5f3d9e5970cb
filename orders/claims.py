"""One shop, one call: which order taker holds a shop while it is being phoned.

Two order takers phoning one shop at once take two orders from it, and the shop is delivered twice. So opening
a call claims the shop in the database (who, since when), the call screen renews the claim while it is open,
and recording the outcome releases it. A claim not renewed for `call_claim_minutes` has lapsed: its terminal
crashed or was switched off, and the shop must not stay out of reach for the rest of the day, so anyone may
take it over. A shift lead may release a claim at once (audited).

Taking a claim is one conditional upsert (INSERT … ON CONFLICT DO UPDATE … WHERE the row is mine or lapsed)
whose RETURNING row says who won. There is no read before the write, so two terminals pressing `n` at the same
instant cannot both see the shop free: SQLite serialises the statements under `BEGIN IMMEDIATE`, and PostgreSQL
evaluates the WHERE against the newest version of the row under its lock.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, case, delete, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db.engine import write_transaction
from db.tables import AUDIT, CALL_CLAIM, CUSTOMER, USER
from orders.call_errors import CallError
from orders.clock import now
from orders.settings import DEFAULT_CALL_CLAIM_MINUTES, DEFAULT_TIMEZONE, Settings
from orders.text_checks import operator_problem
from orders.users import SignedIn, require_role


@dataclass(frozen=True)
class Claim:
    """Who holds a shop for a call, as the queue shows it (「小王 通话中 09:42」)."""

    customer_id: int
    customer: str  # the shop's code
    operator: str  # the holder's login
    name: str  # the holder's display name, or the login when it is no user of this database
    since: datetime
    renewed_at: datetime


class InCall(CallError):
    """The shop is held by another order taker's call; nothing was written."""

    kind = "in_call"

    def __init__(self, claim: Claim, zone: ZoneInfo) -> None:
        self.claim = claim
        self.holder = claim.operator
        self.holder_name = claim.name
        self.since = claim.since
        super().__init__(
            f"shop {claim.customer} is in a call with {claim.name} since {claim.since.astimezone(zone):%H:%M}"
        )


def claim_minutes(settings: Settings | None) -> int:
    """The claim's lifetime; a caller without settings (the call screen's `start_call`) gets the default."""
    return settings.call_claim_minutes if settings is not None else DEFAULT_CALL_CLAIM_MINUTES


def _lapse_before(at: datetime, settings: Settings | None) -> datetime:
    """A claim renewed before this instant has lapsed."""
    return at - timedelta(minutes=claim_minutes(settings))


def _operator(operator: str) -> str:
    problem = operator_problem(operator)
    if problem is not None:
        raise CallError(problem)
    return operator.strip()


def _customer_id(conn: Connection, customer_code: str) -> int:
    found = conn.execute(select(CUSTOMER.c.id).where(CUSTOMER.c.code == customer_code)).scalar()
    if found is None:
        raise CallError(f"unknown customer '{customer_code}'")
    return int(found)


def _upsert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def _read(conn: Connection, customer_id: int) -> Claim | None:
    c, u = CALL_CLAIM.c, USER.c
    row = conn.execute(
        select(c.customer_id, CUSTOMER.c.code, c.operator, u.name, c.since, c.renewed_at)
        .join(CUSTOMER, CUSTOMER.c.id == c.customer_id)
        .outerjoin(USER, u.login == c.operator)
        .where(c.customer_id == customer_id)
    ).first()
    return _claim(row) if row is not None else None


def _claim(row: Any) -> Claim:
    cid, code, operator, name, since, renewed = row
    return Claim(int(cid), code, operator, name or operator, since, renewed)


def take(conn: Connection, customer_id: int, operator: str, at: datetime, settings: Settings | None) -> Claim:
    """Claim the shop for `operator` inside the caller's write transaction, or raise `InCall` naming the holder.

    The upsert writes only when the row is free, the caller's own (a renewal: `since` is kept) or lapsed (a
    takeover: `since` starts again); its RETURNING row, present or not, is the whole decision."""
    c = CALL_CLAIM.c
    ins = _upsert(conn)(CALL_CLAIM).values(customer_id=customer_id, operator=operator, since=at, renewed_at=at)
    mine = c.operator == ins.excluded.operator
    lapsed = c.renewed_at < _lapse_before(at, settings)
    stmt = ins.on_conflict_do_update(
        index_elements=["customer_id"],
        set_={
            "operator": ins.excluded.operator,
            "since": case((and_(mine, ~lapsed), c.since), else_=ins.excluded.since),
            "renewed_at": ins.excluded.renewed_at,
        },
        where=or_(mine, lapsed),
    ).returning(c.customer_id)
    won = conn.execute(stmt).first() is not None
    claim = _read(conn, customer_id)
    if claim is None:  # cannot happen: the row was just written or is held; said rather than assumed
        raise CallError(f"the claim on customer {customer_id} vanished while it was taken; try again")
    if not won:
        raise InCall(claim, settings.zone if settings is not None else ZoneInfo(DEFAULT_TIMEZONE))
    return claim


_CLAIMING = 21  # the advisory-lock namespace of "a terminal is claiming this shop right now" (issue 21)


def nobody_else_claiming(conn: Connection, customer_id: int) -> bool:
    """Whether no other transaction is in the middle of claiming this shop, checked without waiting.

    On PostgreSQL, a terminal whose `take` meets a row another transaction has just written waits for that
    transaction to end, only to learn it lost: when fifty terminals press `n` together they all queue behind
    the first shop of the list, then the second. `claim_next` asks this first (a transaction-scoped advisory
    lock, tried, released at commit) and moves down the list at once when the answer is no. It decides
    nothing about who holds the shop: `take` still does, so a yes here is no promise and a no only means try
    the next shop. SQLite needs none of this: `BEGIN IMMEDIATE` already lets one writer in at a time."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.execute(select(func.pg_try_advisory_xact_lock(_CLAIMING, customer_id))).scalar())


def drop_own(conn: Connection, customer_id: int, operator: str) -> None:
    """Release `operator`'s claim on the shop inside the caller's transaction (the call's outcome is being
    recorded); another operator's claim is left alone, since that call is still going on."""
    c = CALL_CLAIM.c
    conn.execute(delete(CALL_CLAIM).where(c.customer_id == customer_id, c.operator == operator))


def claim_shop(engine: Engine, settings: Settings, customer_code: str, operator: str) -> Claim:
    """Claim the shop for a call; taking one's own claim again renews it. Raises `InCall` when another order
    taker's claim is still live, `CallError` for an unknown shop or a malformed login."""
    who = _operator(operator)
    at = now()
    with write_transaction(engine) as conn:
        return take(conn, _customer_id(conn, customer_code), who, at, settings)


def renew_claim(engine: Engine, settings: Settings, customer_code: str, operator: str) -> bool:
    """Keep the open call's claim alive (the call screen calls this every minute or so). False when the shop
    has meanwhile been taken by someone else (this terminal was silent past the claim's minutes); a claim a
    lead released while the call was still open is taken back, since the call is still going on."""
    try:
        claim_shop(engine, settings, customer_code, operator)
    except InCall:
        return False
    return True


def release_claim(engine: Engine, settings: Settings, customer_code: str, operator: str) -> bool:
    """Give the shop back without recording a call (the order taker closed the call screen). Only the holder's
    claim, or a lapsed one, is removed; True when a claim was removed."""
    who = _operator(operator)
    at = now()
    c = CALL_CLAIM.c
    with write_transaction(engine) as conn:
        customer_id = _customer_id(conn, customer_code)
        gone = conn.execute(
            delete(CALL_CLAIM)
            .where(c.customer_id == customer_id, or_(c.operator == who, c.renewed_at < _lapse_before(at, settings)))
            .returning(c.customer_id)
        ).first()
    return gone is not None


def lead_release(engine: Engine, customer_code: str, actor: str | SignedIn) -> Claim | None:
    """A shift lead frees a shop held by a call (a terminal left open while its order taker went home).
    Refused (`PermissionDenied`) for anyone else; the release is audited with the holder and since when.
    `actor` is a login whose role is read here (the TUI's signed-in user) or a `SignedIn` the caller has
    authenticated (the CLI's `--as`, or its system actor). Returns the claim released, None when the shop was
    not held."""
    who = actor.login if isinstance(actor, SignedIn) else _operator(actor)
    at = now()
    with write_transaction(engine) as conn:
        if isinstance(actor, SignedIn):
            require_role(actor, "shift_lead")
        else:
            user = conn.execute(select(USER.c.name, USER.c.role, USER.c.active).where(USER.c.login == who)).first()
            if user is None:
                raise CallError(f"unknown user '{who}'")
            if not user.active:
                raise CallError(f"user '{who}' is disabled")
            require_role(SignedIn(login=who, name=user.name, role=user.role), "shift_lead")
        customer_id = _customer_id(conn, customer_code)
        claim = _read(conn, customer_id)
        if claim is None:
            return None
        conn.execute(delete(CALL_CLAIM).where(CALL_CLAIM.c.customer_id == customer_id))
        detail = {"customer": claim.customer, "holder": claim.operator, "since": claim.since.isoformat()}
        conn.execute(
            insert(AUDIT).values(
                at=at,
                actor=who,
                action="claim_released",
                entity="customer",
                entity_id=claim.customer,
                detail=json.dumps(detail, ensure_ascii=False),
            )
        )
    return claim


def claim_of(engine: Engine, settings: Settings, customer_code: str) -> Claim | None:
    """The live claim on one shop, None when no call holds it (or its claim has lapsed)."""
    with engine.connect() as conn:
        claim = _read(conn, _customer_id(conn, customer_code))
    if claim is None or claim.renewed_at < _lapse_before(now(), settings):
        return None
    return claim


def active_claims(
    conn: Connection, customer_ids: Collection[int], at: datetime, settings: Settings | None
) -> dict[int, Claim]:
    """Customer id -> the live claim on it, for the shops in `customer_ids`.

    The table holds one row per call in progress (fifty at most in a centre, plus the odd lapsed one from a
    crashed terminal), so it is read whole rather than through a thousand-id `IN` list."""
    if not customer_ids:
        return {}
    wanted = set(customer_ids)
    c, u = CALL_CLAIM.c, USER.c
    rows = conn.execute(
        select(c.customer_id, CUSTOMER.c.code, c.operator, u.name, c.since, c.renewed_at)
        .join(CUSTOMER, CUSTOMER.c.id == c.customer_id)
        .outerjoin(USER, u.login == c.operator)
        .where(c.renewed_at >= _lapse_before(at, settings))
    )
    return {int(row[0]): _claim(row) for row in rows if int(row[0]) in wanted}
