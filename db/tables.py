"""The Core `Table` of each model, named once.

Bulk paths (import, export, matcher loading) work in SQLAlchemy Core, and SQLModel classes do not declare
`__table__` to type checkers; naming the tables here keeps that one `type: ignore` in one place.
"""

from __future__ import annotations

from sqlalchemy import Table

from db.models import (
    AppMeta,
    AuditLog,
    CallClaim,
    Customer,
    HistoryLine,
    LoginFailure,
    MatchPick,
    Order,
    OrderLine,
    Product,
    Quota,
    QuotaUsage,
    Supply,
    SupplyUsage,
    User,
)

APP_META: Table = AppMeta.__table__  # type: ignore[attr-defined]
PRODUCT: Table = Product.__table__  # type: ignore[attr-defined]
CUSTOMER: Table = Customer.__table__  # type: ignore[attr-defined]
HISTORY: Table = HistoryLine.__table__  # type: ignore[attr-defined]
QUOTA: Table = Quota.__table__  # type: ignore[attr-defined]
SUPPLY: Table = Supply.__table__  # type: ignore[attr-defined]
ORDER: Table = Order.__table__  # type: ignore[attr-defined]
ORDER_LINE: Table = OrderLine.__table__  # type: ignore[attr-defined]
PICK: Table = MatchPick.__table__  # type: ignore[attr-defined]
AUDIT: Table = AuditLog.__table__  # type: ignore[attr-defined]
QUOTA_USAGE: Table = QuotaUsage.__table__  # type: ignore[attr-defined]
SUPPLY_USAGE: Table = SupplyUsage.__table__  # type: ignore[attr-defined]
USER: Table = User.__table__  # type: ignore[attr-defined]
CALL_CLAIM: Table = CallClaim.__table__  # type: ignore[attr-defined]
LOGIN_FAILURE: Table = LoginFailure.__table__  # type: ignore[attr-defined]
