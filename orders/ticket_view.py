"""What the shift lead's ticket screens read: the filtered queue, the filter choices, one ticket with its customer.

`orders.tickets` keeps the rules (due times, moves, who may change what) and the CLI's plain list; the lead's
screens also filter by category, operator, district and shop, and show the customer card beside a ticket. The
filtering is done here, in SQL, so the screen never holds a query or a rule, and the flags (overdue, due within
the hour) are the very ones `orders.tickets` computes for every other view of a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlmodel import col

from db.models import TICKET_CATEGORIES, TICKET_STATUSES, Customer, Ticket, User
from db.tables import CUSTOMER, PRODUCT
from orders.call_view import CustomerCard, card_from_row, recent_orders
from orders.clock import now
from orders.settings import Settings
from orders.tickets import STILL_OPEN, TicketDetail, TicketError, TicketRow, get_ticket, ticket_row, ticket_rows_query

QUEUE_LIMIT = 500  # a screenful is 15 rows; a lead narrows with filters long before scrolling 500
ALL = "all"


@dataclass(frozen=True)
class QueueFilter:
    """The lead's narrowing of the queue. `status=None` is every ticket still open; `"all"` is every ticket.
    `operator` matches who opened the ticket or who it is assigned to; `search` a shop's name or code."""

    status: str | None = None
    category: str | None = None
    operator: str | None = None
    district: str | None = None
    search: str = ""

    @property
    def narrowed(self) -> bool:
        return any((self.status, self.category, self.operator, self.district, self.search.strip()))


@dataclass(frozen=True)
class QueueItem:
    """One row of the lead's queue: the ticket as every view shows it, plus the shop's district."""

    ticket: TicketRow
    district: str | None


@dataclass(frozen=True)
class Person:
    login: str
    name: str
    role: str


@dataclass(frozen=True)
class QueueChoices:
    """What the filter dialog offers: only values that exist, so no choice can return an empty queue by typo."""

    statuses: tuple[str, ...]
    categories: tuple[str, ...]
    people: tuple[Person, ...]
    districts: tuple[str, ...]


@dataclass
class TicketView:
    """The detail screen's data: the ticket with its whole history, and the customer with recent orders."""

    detail: TicketDetail
    card: CustomerCard
    people: list[Person] = field(default_factory=list)


def ticket_queue(
    engine: Engine, flt: QueueFilter = QueueFilter(), *, limit: int = QUEUE_LIMIT, at: datetime | None = None
) -> list[QueueItem]:
    """Tickets matching `flt`, most urgent due time first (so overdue ones lead), at most `limit` rows.

    The page of ids is chosen first and joined to the customers after, as `list_tickets` does: SQLite given the
    join up front walks every customer and sorts all matching tickets instead of reading the (status, due_at)
    index. The customer joins the page only when the filter is about the customer (district, shop search).
    """
    at = at or now()
    page: Any = select(col(Ticket.id), col(Ticket.due_at))
    if flt.status is None:
        page = page.where(col(Ticket.status).in_(STILL_OPEN))
    elif flt.status != ALL:
        if flt.status not in TICKET_STATUSES:
            raise TicketError(f"unknown status '{flt.status}'; use one of {', '.join(TICKET_STATUSES)} or all")
        page = page.where(col(Ticket.status) == flt.status)
    if flt.category is not None:
        if flt.category not in TICKET_CATEGORIES:
            raise TicketError(f"unknown category '{flt.category}'; use one of {', '.join(TICKET_CATEGORIES)}")
        page = page.where(col(Ticket.category) == flt.category)
    if flt.operator is not None:
        page = page.where(or_(col(Ticket.opened_by) == flt.operator, col(Ticket.assigned_to) == flt.operator))
    needle = flt.search.strip()
    if flt.district is not None or needle:
        page = page.join(Customer, col(Customer.id) == col(Ticket.customer_id))
    if flt.district is not None:
        page = page.where(col(Customer.district) == flt.district)
    if needle:
        page = page.where(
            or_(
                col(Customer.name).icontains(needle, autoescape=True),
                col(Customer.code).icontains(needle, autoescape=True),
            )
        )
    chosen = page.order_by(col(Ticket.due_at), col(Ticket.id)).limit(limit).subquery("page")
    query = (
        ticket_rows_query()
        .add_columns(col(Customer.district))
        .join(chosen, chosen.c.id == col(Ticket.id))
        .order_by(chosen.c.due_at, chosen.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [QueueItem(ticket_row(r[:-1], at), r[-1]) for r in rows]


def people(engine: Engine) -> list[Person]:
    """Active logins, leads first: whom a ticket can be assigned to and whose tickets a lead can filter by."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(User.login), col(User.name), col(User.role)).where(col(User.active)).order_by(col(User.login))
        ).all()
    found = [Person(*r) for r in rows]
    return sorted(found, key=lambda p: (p.role == "order_taker", p.login))


def queue_choices(engine: Engine) -> QueueChoices:
    """The values the lead's filters can take: every status and category, the logins, the districts in use."""
    with engine.connect() as conn:
        districts = [
            str(d)
            for (d,) in conn.execute(
                select(col(Customer.district))
                .where(col(Customer.district).is_not(None))
                .group_by(col(Customer.district))
                .order_by(col(Customer.district))
            )
        ]
    return QueueChoices(TICKET_STATUSES, TICKET_CATEGORIES, tuple(people(engine)), tuple(districts))


def customer_card(engine: Engine, settings: Settings, code: str) -> CustomerCard:
    """The customer beside a ticket: who to call back and what they usually order (no suggestion, no quotas:
    the lead reads a case, the call screen computes the order)."""
    with engine.connect() as conn:
        shop = conn.execute(select(CUSTOMER).where(CUSTOMER.c.code == code)).first()
        if shop is None:
            raise TicketError(f"unknown customer '{code}'")
        names = {int(pid): str(name) for pid, name in conn.execute(select(PRODUCT.c.id, PRODUCT.c.name))}
    return card_from_row(shop, settings, recent_orders(engine, int(shop.id), names))


def load_ticket_view(engine: Engine, settings: Settings, ticket_id: int, *, at: datetime | None = None) -> TicketView:
    """One ticket with its history, its customer and the logins it can be assigned to; raises TicketError."""
    detail = get_ticket(engine, ticket_id, at=at or now())
    return TicketView(detail, customer_card(engine, settings, detail.ticket.customer), people(engine))
