"""The shift lead's ticket screens; being cut into one module per screen and dialog."""

from tui.screens.tickets.queue import (
    AssignDialog,
    DueDialog,
    EscalateDialog,
    FilterDialog,
    NoteDialog,
    StatusDialog,
    TicketDetailScreen,
    TicketDialog,
    TicketQueueScreen,
)

__all__ = [
    "AssignDialog",
    "DueDialog",
    "EscalateDialog",
    "FilterDialog",
    "NoteDialog",
    "StatusDialog",
    "TicketDetailScreen",
    "TicketDialog",
    "TicketQueueScreen",
]
