"""The tables. Plain data: rules live in `orders/`, constraints live here so no path can store bad rows.

Money is integer fen (1 yuan = 100 fen): exact, and summable in SQL without Decimal round trips.
Datetimes are aware and stored as UTC (`UTCDateTime`); dates (order dates, weeks) are calendar dates in the
call centre's time zone. A `week` column always holds that week's Monday.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime

PRODUCT_STATUSES = ("active", "discontinued")
ROLES = ("order_taker", "shift_lead", "admin")
TICKET_CATEGORIES = (
    "counterfeit",
    "delivery_error",
    "sorting_error",
    "out_of_supply",
    "wrong_order",
    "attitude",
    "price",
    "damaged",
    "over_promise",
    "other",
)
TICKET_STATUSES = ("open", "in_progress", "waiting_customer", "resolved", "closed")
CALL_OUTCOMES = (
    "ordered", "no_answer", "busy", "closed", "refused", "wrong_number", "callback_requested",
    "replied",  # a lead's call-back on a complaint: written into the ticket, never the shop's order-day status
)
ORDER_STATUSES = ("placed", "cancelled")
PLANNED_REASONS = ("retention", "ticket_callback")

# Ids are INTEGER columns: 32 bits on PostgreSQL (SQLite takes 64). A number past this names no row on either
# backend, and sending it would fail as a driver error instead of "unknown order", so callers check it first.
MAX_ID = 2**31 - 1


def is_row_id(value: int) -> bool:
    """Whether `value` could be the id of a row on every backend (1 to MAX_ID)."""
    return 1 <= value <= MAX_ID


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def _utc(nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class AppMeta(SQLModel, table=True):
    """Small facts about the database itself (what built the demo, with which seed)."""

    __tablename__ = "app_meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_type=Text)


class Product(SQLModel, table=True):
    """A cigarette specification (品规) the wholesaler sells."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("price_fen > 0", name="ck_product_price_positive"),
        CheckConstraint("retail_price_fen IS NULL OR retail_price_fen > 0", name="ck_product_retail_positive"),
        CheckConstraint("price_band IS NULL OR price_band BETWEEN 1 AND 5", name="ck_product_price_band"),
        CheckConstraint(_in("status", PRODUCT_STATUSES), name="ck_product_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=100)
    brand: str | None = Field(default=None, max_length=50)
    pack: str | None = Field(default=None, max_length=20)
    style: str | None = Field(default=None, max_length=20)
    price_band: int | None = None
    price_fen: int
    retail_price_fen: int | None = None
    barcode: str | None = Field(default=None, max_length=32)
    status: str = Field(default="active", max_length=16)
    aliases: str = Field(default="", sa_type=Text)  # nicknames separated by "|"
    launched_on: date | None = None  # first day on the market; a product launched lately is "new" (新品)


class Customer(SQLModel, table=True):
    """A licensed retailer (零售户); `code` is its licence number."""

    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("tier BETWEEN 1 AND 30", name="ck_customer_tier"),
        CheckConstraint("order_weekday BETWEEN 1 AND 7", name="ck_customer_order_weekday"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=100)
    tier: int
    order_weekday: int = Field(index=True)
    owner: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=32)
    district: str | None = Field(default=None, max_length=50)
    shop_type: str | None = Field(default=None, max_length=50)
    operator: str | None = Field(default=None, max_length=32, index=True)  # login of the usual order taker
    active: bool = True
    notes: str = Field(default="", sa_type=Text)  # the account manager's advice about the shop


class User(SQLModel, table=True):
    """A login. The PIN is kept only as a salted KDF hash."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="ck_user_role"),
        CheckConstraint("failed_attempts >= 0", name="ck_user_failed_attempts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=50)
    role: str = Field(max_length=16)
    pin_hash: str = Field(max_length=256)
    failed_attempts: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    active: bool = True
    created_at: datetime = Field(sa_column=_utc())


class HistoryLine(SQLModel, table=True):
    """One product of a past order from the ERP; a customer's lines of one date form one past order.

    Kept flat (no header table) because the history is read as per-product series by the suggestion and
    written a million rows at a time by the import: a header row per order would double both costs.
    """

    __tablename__ = "history_line"
    __table_args__ = (
        UniqueConstraint("customer_id", "order_date", "product_id", name="uq_history_line"),
        CheckConstraint("qty > 0", name="ck_history_qty_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    order_date: date = Field(index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    qty: int


class Order(SQLModel, table=True):
    """An order placed in this tool for a customer's week."""

    __tablename__ = "customer_order"
    __table_args__ = (
        CheckConstraint(_in("status", ORDER_STATUSES), name="ck_order_status"),
        Index("ix_order_customer_week", "customer_id", "week"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    week: date = Field(index=True)
    placed_at: datetime = Field(sa_column=_utc())
    operator: str = Field(max_length=32)
    status: str = Field(default="placed", max_length=16)
    call_id: int | None = Field(default=None, foreign_key="call.id")
    changed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))  # last amend or cancel


class OrderLine(SQLModel, table=True):
    """A line of a placed order, with the price per carton it was placed at."""

    __tablename__ = "order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id", name="uq_order_line"),
        CheckConstraint("qty > 0", name="ck_order_line_qty_positive"),
        CheckConstraint("price_fen > 0", name="ck_order_line_price_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="customer_order.id", ondelete="CASCADE", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    qty: int
    price_fen: int


class Quota(SQLModel, table=True):
    """Most cartons of a product one customer may order in a week (限量).

    A row with `customer_id` overrides the tier rule for that customer. The two partial unique indexes give
    each kind of row its own natural key, since NULLs never collide in a plain unique constraint.
    """

    __tablename__ = "quota"
    __table_args__ = (
        CheckConstraint("max_qty > 0", name="ck_quota_max_qty_positive"),
        CheckConstraint("tier_from BETWEEN 1 AND 30", name="ck_quota_tier_from"),
        CheckConstraint("tier_to BETWEEN tier_from AND 30", name="ck_quota_tier_to"),
        Index(
            "uq_quota_tier_rule",
            "week",
            "product_id",
            "tier_from",
            "tier_to",
            unique=True,
            sqlite_where=text("customer_id IS NULL"),
            postgresql_where=text("customer_id IS NULL"),
        ),
        Index(
            "uq_quota_customer",
            "week",
            "product_id",
            "customer_id",
            unique=True,
            sqlite_where=text("customer_id IS NOT NULL"),
            postgresql_where=text("customer_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    week: date
    product_id: int = Field(foreign_key="product.id")
    tier_from: int
    tier_to: int
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    max_qty: int


class Supply(SQLModel, table=True):
    """The week's total cartons of a product over all customers (货源)."""

    __tablename__ = "supply"
    __table_args__ = (
        UniqueConstraint("week", "product_id", name="uq_supply"),
        CheckConstraint("total_qty > 0", name="ck_supply_total_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    week: date
    product_id: int = Field(foreign_key="product.id")
    total_qty: int


class QuotaUsage(SQLModel, table=True):
    """Cartons of a product a customer has ordered in a week, over all of that week's placed orders.

    A counter rather than a SUM over order lines so that placement can check and consume a quota in one
    conditional UPDATE, which is atomic on PostgreSQL however many terminals place at once.
    """

    __tablename__ = "quota_usage"
    __table_args__ = (CheckConstraint("used_qty >= 0", name="ck_quota_usage_non_negative"),)

    week: date = Field(primary_key=True)
    customer_id: int = Field(primary_key=True, foreign_key="customer.id", ondelete="CASCADE")
    product_id: int = Field(primary_key=True, foreign_key="product.id")
    used_qty: int = 0


class SupplyUsage(SQLModel, table=True):
    """Cartons of a product ordered in a week over all customers, checked against `Supply.total_qty`.

    Kept apart from `Supply` so that re-importing the week's supply never resets what has been taken.
    """

    __tablename__ = "supply_usage"
    __table_args__ = (CheckConstraint("used_qty >= 0", name="ck_supply_usage_non_negative"),)

    week: date = Field(primary_key=True)
    product_id: int = Field(primary_key=True, foreign_key="product.id")
    used_qty: int = 0


class Call(SQLModel, table=True):
    """One call to a customer and how it ended."""

    __tablename__ = "call"
    __table_args__ = (
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', CALL_OUTCOMES)}", name="ck_call_outcome"),
        CheckConstraint("duration_s IS NULL OR duration_s >= 0", name="ck_call_duration"),
        Index("ix_call_customer_started", "customer_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    operator: str = Field(max_length=32, index=True)
    started_at: datetime = Field(sa_column=_utc(index=True))
    ended_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    duration_s: int | None = None
    outcome: str | None = Field(default=None, max_length=24)
    callback_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True, index=True))
    note: str = Field(default="", sa_type=Text)
    # a call dialled through the terminal's softphone (all NULL for one dialled by hand): when the dial went
    # out, when the shop answered, the seconds it rang and the SIP reason it ended with ("486 Busy Here")
    dialled_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    ring_s: int | None = None
    sip_reason: str | None = Field(default=None, max_length=64)


class Ticket(SQLModel, table=True):
    """A complaint (投诉工单) with the reply time committed to the customer."""

    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint(_in("category", TICKET_CATEGORIES), name="ck_ticket_category"),
        CheckConstraint(_in("status", TICKET_STATUSES), name="ck_ticket_status"),
        Index("ix_ticket_status_due", "status", "due_at"),
        Index("ix_ticket_opened_at", "opened_at"),
        Index("ix_ticket_closed_at", "closed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    category: str = Field(max_length=24)
    status: str = Field(default="open", max_length=24)
    text: str = Field(sa_type=Text)
    opened_by: str = Field(max_length=32)
    opened_at: datetime = Field(sa_column=_utc())
    due_at: datetime = Field(sa_column=_utc())
    assigned_to: str | None = Field(default=None, max_length=32)
    escalated_to: str | None = Field(default=None, max_length=32)
    call_id: int | None = Field(default=None, foreign_key="call.id")
    order_id: int | None = Field(default=None, foreign_key="customer_order.id")
    product_id: int | None = Field(default=None, foreign_key="product.id")
    repeat_of: int | None = Field(default=None, foreign_key="ticket.id")
    first_response_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class TicketEvent(SQLModel, table=True):
    """Append-only history of a ticket: who changed what, when."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = Field(sa_column=_utc())
    actor: str = Field(max_length=32)
    kind: str = Field(max_length=24)  # opened, status, note, assign, escalate, due_changed ...
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str | None = Field(default=None, max_length=24)
    note: str = Field(default="", sa_type=Text)


class PlannedCall(SQLModel, table=True):
    """A call a shift lead put in a day's queue: a personal retention call, or a call-back on a ticket.

    `call_id` is set when an order taker has made it, so the queue stops listing it.
    """

    __tablename__ = "planned_call"
    __table_args__ = (
        CheckConstraint(_in("reason", PLANNED_REASONS), name="ck_planned_call_reason"),
        Index("ix_planned_call_due", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    reason: str = Field(max_length=24)
    due_at: datetime = Field(sa_column=_utc())
    operator: str | None = Field(default=None, max_length=32)  # who should make it; None = the team
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=_utc())
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    note: str = Field(default="", sa_type=Text)
    call_id: int | None = Field(default=None, foreign_key="call.id")


class CallClaim(SQLModel, table=True):
    """Which order taker holds a shop for a call, so two terminals never phone one shop at once.

    One row per shop at most (the key is the shop): taking a claim is one conditional upsert, which is what
    makes it atomic on both backends. `renewed_at` moves while the call screen is open; a row not renewed for
    the `call_claim_minutes` setting is a dead terminal's and may be taken over."""

    __tablename__ = "call_claim"

    customer_id: int = Field(primary_key=True, foreign_key="customer.id", ondelete="CASCADE")
    operator: str = Field(max_length=32)
    since: datetime = Field(sa_column=_utc())
    renewed_at: datetime = Field(sa_column=_utc())


class AuditLog(SQLModel, table=True):
    """Who did what to the data: imports, placed orders, logins locked."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_utc(index=True))
    actor: str = Field(max_length=32)
    action: str = Field(max_length=48)
    entity: str = Field(default="", max_length=48)
    entity_id: str = Field(default="", max_length=64)
    detail: str = Field(default="", sa_type=Text)  # JSON


class MatchPick(SQLModel, table=True):
    """How often a phrase (normalised) was resolved to a product that the matcher had not put first.

    A row with `customer_id` is one shop's habit; a row without is a pick made with no customer open. As in
    `Quota`, two partial unique indexes give each kind of row its own natural key.
    """

    __tablename__ = "match_pick"
    __table_args__ = (
        CheckConstraint("count > 0", name="ck_match_pick_count_positive"),
        Index(
            "uq_match_pick_global",
            "query_key",
            "product_id",
            unique=True,
            sqlite_where=text("customer_id IS NULL"),
            postgresql_where=text("customer_id IS NULL"),
        ),
        Index(
            "uq_match_pick_customer",
            "query_key",
            "customer_id",
            "product_id",
            unique=True,
            sqlite_where=text("customer_id IS NOT NULL"),
            postgresql_where=text("customer_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    query_key: str = Field(max_length=100)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="CASCADE")
    product_id: int = Field(foreign_key="product.id", ondelete="CASCADE")
    count: int = 1
    last_at: datetime = Field(sa_column=_utc())


class CallDraft(SQLModel, table=True):
    """The order being taken on a call, kept in the database so that it follows its operator to another
    terminal. One per operator, shop and order week (its Monday); `body` is the draft as JSON, `updated_at`
    decides which of this row and a terminal's local mirror is newer. Deleted with its shop."""

    __tablename__ = "call_draft"
    __table_args__ = (UniqueConstraint("operator", "customer_id", "week", name="uq_call_draft_operator_customer_week"),)

    id: int | None = Field(default=None, primary_key=True)
    operator: str = Field(max_length=32, index=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE", index=True)
    week: date
    call_id: int | None = Field(default=None, foreign_key="call.id", ondelete="SET NULL")
    body: str = Field(sa_type=Text)
    updated_at: datetime = Field(sa_column=_utc())


class PolicySetting(SQLModel, table=True):
    """One rule every terminal shares (the cut-off, working hours, lockout ...), kept here rather than in each
    terminal's file so that two terminals cannot disagree. `value` is the setting as JSON; a key without a row
    has its default. Who changed it and when is kept on the row and, with the old value, in `audit_log`."""

    __tablename__ = "policy"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_type=Text)
    updated_at: datetime = Field(sa_column=_utc())
    updated_by: str = Field(max_length=64)


class LoginFailure(SQLModel, table=True):
    """Wrong attempts at a login name that does not exist. Counted and locked by the same rule as `app_user`'s
    `failed_attempts`/`locked_until`, so that after a few tries an unknown name answers "locked" just like a
    real one and guessing cannot tell which operator IDs exist. Junk names must not grow it without end:
    `orders.users` deletes rows whose lock has ended and, past a cap, the longest idle ones; `last_failed_at`
    orders them for that."""

    __tablename__ = "login_failure"
    __table_args__ = (CheckConstraint("failures >= 0", name="ck_login_failure_failures"),)

    login: str = Field(primary_key=True, max_length=32)
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    last_failed_at: datetime = Field(sa_column=_utc(index=True))
