"""The shift lead's ticket screens: the queue of complaints and one ticket with its customer and history.

A complaint is a promise with a clock on it, so the queue is sorted by reply time (overdue first, marked) and
the counts above it say at a glance how many promises are late or about to be. The lead narrows it by status,
category, operator and district (`f`), or finds a shop as they type (`/`). Every read and every change runs in
a thread worker and goes through `orders/`: the filtering in `orders.ticket_view`, the rules (allowed moves,
who may close, reassign or move a due time) in `orders.tickets.update_ticket`. A refused change is shown in
its dialog, which stays open with what was typed, so the lead fixes one field instead of typing it all again.
"""

from tui.screens.tickets.detail import TicketDetailScreen
from tui.screens.tickets.queue import TicketQueueScreen

__all__ = ["TicketDetailScreen", "TicketQueueScreen"]
