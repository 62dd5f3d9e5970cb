"""One way to show a ticket's times, flags and people, so the queue, the ticket and its dialogs never
disagree on what overdue looks like."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.text import Text

from orders.ticket_view import Person
from orders.tickets import TicketRow
from tui.i18n import t


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A time as the lead reads it in a table: month-day and clock, in the centre's zone."""
    return moment.astimezone(zone).strftime("%m-%d %H:%M")


def due_style(row: TicketRow) -> str:
    """Overdue is red and due within the hour is yellow; the flags themselves come from `orders.tickets`."""
    if row.overdue:
        return "bold red"
    if row.due_soon:
        return "bold yellow"
    return ""


def flag_text(row: TicketRow) -> Text:
    if row.overdue:
        return Text(t("tickets.flag.overdue"), style="bold red")
    if row.due_soon:
        return Text(t("tickets.flag.soon"), style="bold yellow")
    return Text("")


def person_label(person: Person) -> str:
    return f"{person.login} {person.name}"
