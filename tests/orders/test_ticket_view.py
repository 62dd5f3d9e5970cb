"""The shift lead's ticket reads: the filtered queue, the filter choices, one ticket with its customer.

Built on the small demo (12 tickets, a third overdue) on both databases: the shop search is a LIKE that must be
case-blind and treat `%` and `_` as text on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from orders.settings import Settings
from orders.ticket_view import ALL, QueueFilter, QueueItem, load_ticket_view, people, queue_choices, ticket_queue
from orders.tickets import Change, TicketError, count_queue, list_tickets, open_ticket, update_ticket


@pytest.fixture
def demo(demo_db: Engine) -> Engine:
    """The small demo, seed 1, on each backend."""
    return demo_db


def ids(items: list[QueueItem]) -> list[int]:
    return [i.ticket.ticket_id for i in items]


def test_default_queue_is_the_open_tickets_by_due_time_with_the_same_flags(demo: Engine) -> None:
    items = ticket_queue(demo)
    plain = list_tickets(demo)
    assert ids(items) == [r.ticket_id for r in plain]
    assert [(i.ticket.overdue, i.ticket.due_soon) for i in items] == [(r.overdue, r.due_soon) for r in plain]
    counts = count_queue(demo)
    assert sum(i.ticket.overdue for i in items) == counts.overdue
    assert sum(i.ticket.due_soon for i in items) == counts.due_soon
    assert all(i.district for i in items)


def test_filters_narrow_by_category_operator_district_and_status(demo: Engine) -> None:
    items = ticket_queue(demo)
    category = items[0].ticket.category
    assert ids(ticket_queue(demo, QueueFilter(category=category))) == [
        i.ticket.ticket_id for i in items if i.ticket.category == category
    ]
    # operator: who opened it, or who it is assigned to
    assert ids(ticket_queue(demo, QueueFilter(operator="lead"))) == [
        i.ticket.ticket_id for i in items if "lead" in (i.ticket.opened_by, i.ticket.assigned_to)
    ]
    district = items[0].district
    assert ids(ticket_queue(demo, QueueFilter(district=district))) == [
        i.ticket.ticket_id for i in items if i.district == district
    ]
    first = items[0].ticket.ticket_id
    update_ticket(demo, first, Change(status="resolved"), actor="lead")
    assert first not in ids(ticket_queue(demo))
    assert ids(ticket_queue(demo, QueueFilter(status="resolved"))) == [first]
    assert first in ids(ticket_queue(demo, QueueFilter(status=ALL)))
    assert len(ticket_queue(demo, limit=3)) == 3
    with pytest.raises(TicketError):
        ticket_queue(demo, QueueFilter(status="pending"))
    with pytest.raises(TicketError):
        ticket_queue(demo, QueueFilter(category="rude"))


def test_search_by_shop_name_or_code_is_case_blind_and_literal(demo: Engine) -> None:
    items = ticket_queue(demo)
    name, code = items[-1].ticket.customer_name, items[-1].ticket.customer
    assert all(name in i.ticket.customer_name for i in ticket_queue(demo, QueueFilter(search=name)))
    assert {i.ticket.customer for i in ticket_queue(demo, QueueFilter(search=f"  {code} "))} == {code}
    ktv = [i for i in items if "KTV" in i.ticket.customer_name]
    if ktv:
        assert ids(ticket_queue(demo, QueueFilter(search="ktv"))) == ids(ktv)
    assert ticket_queue(demo, QueueFilter(search="%")) == []
    assert ticket_queue(demo, QueueFilter(search="_")) == []


def test_choices_and_one_ticket_with_its_customer(demo: Engine) -> None:
    choices = queue_choices(demo)
    assert "open" in choices.statuses and "counterfeit" in choices.categories
    assert choices.people[0].login == "lead"  # leads first: the usual assignee
    assert {p.login for p in people(demo)} >= {"demo", "lead"}
    assert {i.district for i in ticket_queue(demo)} <= set(choices.districts)
    ticket = open_ticket(demo, list_tickets(demo)[0].customer, "price", "价格比上周贵", settings=Settings())
    update_ticket(demo, ticket.ticket_id, Change(note="已核价"), actor="lead")
    view = load_ticket_view(demo, Settings(), ticket.ticket_id)
    assert view.detail.ticket.ticket_id == ticket.ticket_id
    assert [e.kind for e in view.detail.events] == ["opened", "note"]
    assert view.card.code == ticket.customer and view.card.recent
    assert view.card.recent[0].day >= view.card.recent[-1].day
    with pytest.raises(TicketError):
        load_ticket_view(demo, Settings(), 999_999)
