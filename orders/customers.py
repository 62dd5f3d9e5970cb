"""Giving shops to another order taker: `telesales customer assign` and the lead's retention list share this.

A shop's usual order taker (`customer.operator`) decides whose call queue lists it on its order day, whose
figures its calls due count in, and who gets the lead's retention calls for it. Moving shops used to mean
re-importing the customers file; a lead covering a sick colleague or rebalancing a territory needs it in a
minute and with a trail. So:

- all or nothing: one unknown code, or an operator who is not an active login, refuses the whole request with
  one sentence naming it, and nothing is written (a half-moved territory is worse than none);
- the retention calls a lead planned for the shops' old order taker and not yet made go with the shops,
  since they were planned for "the shop's usual order taker" (`orders.retention.schedule_retention_call`);
  a ticket's call-back stays with whoever promised it;
- every shop that changes hands gets its own audit row (`customer_assign`: from, to, calls moved), so `telesales
  audit` answers "who moved this shop, when" one shop at a time. A shop already with that operator is left
  alone and not audited.

`by` is the person asking when there is one (the TUI, the CLI's `--as`): a shift lead or an admin, checked here
so that hiding a key is never the only guard. None means the database's administrator (the CLI without `--as`),
recorded as `actor` (`system:<OS user>`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlmodel import col

from db.engine import write_transaction
from db.models import AuditLog, Customer, PlannedCall, User
from orders.clock import now
from orders.retention import RETENTION
from orders.users import LOGIN_RE, SignedIn, require_role

MAX_CODES = 10_000  # one request; a centre has tens of thousands of shops, and a territory is far fewer


class AssignError(ValueError):
    """The shops cannot be given as asked; nothing was changed. `kind` names the problem for `--json`."""

    def __init__(self, message: str, *, kind: str = "bad_input", **details: Any) -> None:
        super().__init__(message)
        self.kind = kind
        self.details = details


@dataclass(frozen=True)
class Assigned:
    """What an assignment did: the shops that changed hands (code -> previous operator, None: nobody's), those
    that already had the operator, and how many planned calls went with them."""

    operator: str
    moved: dict[str, str | None]
    unchanged: tuple[str, ...]
    planned_calls_moved: int

    def as_json(self) -> dict[str, object]:
        return {
            "operator": self.operator,
            "moved": [{"customer": code, "from": was} for code, was in self.moved.items()],
            "unchanged": list(self.unchanged),
            "planned_calls_moved": self.planned_calls_moved,
        }


def _quoted(values: Iterable[str], most: int = 5) -> str:
    items = list(values)
    shown = ", ".join(f"'{v[:40]}'" for v in items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def assign_customers(
    engine: Engine,
    codes: Iterable[str],
    operator: str,
    *,
    actor: str,
    by: SignedIn | None = None,
    at: datetime | None = None,
) -> Assigned:
    """Make `operator` the usual order taker of every shop in `codes`, or refuse and change nothing.

    Refused (`AssignError`): no codes, an unknown code (all of them named), an operator that is no login or a
    disabled one. `PermissionDenied` when `by` is not a shift lead or admin. The check and the writes share one
    write transaction with the shops' rows locked (PostgreSQL), so a concurrent import or assignment cannot
    slip between them."""
    wanted = list(dict.fromkeys(code.strip() for code in codes))
    if by is not None:
        require_role(by, "shift_lead")
        actor = by.login
    if not wanted or wanted == [""]:
        raise AssignError("give at least one customer code")
    if len(wanted) > MAX_CODES:
        raise AssignError(f"{len(wanted)} customer codes in one request; at most {MAX_CODES:,}")
    if not LOGIN_RE.match(operator):
        raise AssignError(f"unknown operator '{operator[:40]}'; nothing was changed", kind="unknown_operator")
    at = at or now()
    with write_transaction(engine) as conn:
        user = conn.execute(select(col(User.active)).where(col(User.login) == operator)).first()
        if user is None:
            raise AssignError(f"unknown operator '{operator}'; nothing was changed", kind="unknown_operator")
        if not user.active:
            raise AssignError(
                f"operator '{operator}' is disabled; enable the login first; nothing was changed",
                kind="operator_disabled",
            )
        found: dict[str, tuple[int, str | None]] = {}
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            rows = conn.execute(
                select(col(Customer.id), col(Customer.code), col(Customer.operator))
                .where(col(Customer.code).in_(chunk))
                .with_for_update()
            )
            found.update((code, (int(cid or 0), was)) for cid, code, was in rows)
        unknown = [code for code in wanted if code not in found]
        if unknown:
            noun = "customer" if len(unknown) == 1 else "customers"
            raise AssignError(
                f"unknown {noun} {_quoted(unknown)}; nothing was changed", kind="unknown_customer", customers=unknown
            )
        moved = {code: found[code][1] for code in wanted if found[code][1] != operator}
        unchanged = tuple(code for code in wanted if found[code][1] == operator)
        calls_moved = 0
        for code, was in moved.items():
            cid = found[code][0]
            conn.execute(update(Customer).where(col(Customer.id) == cid).values(operator=operator))
            pending = (
                update(PlannedCall)
                .where(col(PlannedCall.customer_id) == cid, col(PlannedCall.call_id).is_(None))
                .where(col(PlannedCall.reason) == RETENTION)
                .where(col(PlannedCall.operator).is_(None) if was is None else col(PlannedCall.operator) == was)
                .values(operator=operator)
            )
            n = conn.execute(pending).rowcount or 0
            calls_moved += n
            detail = {"from": was, "to": operator, "planned_calls_moved": n}
            conn.execute(
                insert(AuditLog).values(
                    at=at,
                    actor=actor[:32],
                    action="customer_assign",
                    entity="customer",
                    entity_id=code,
                    detail=json.dumps(detail, ensure_ascii=False),
                )
            )
    return Assigned(operator, moved, unchanged, calls_moved)
