"""One ticket on a screen of its own: the lead reads the complaint, the customer and the history side by
side before changing anything."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Static

from db.engine import is_connection_error
from orders.clock import now
from orders.ticket_view import TicketView, load_ticket_view
from orders.tickets import MOVES, TicketRow, phrase_due
from tui.i18n import language, t, weekday
from tui.keys import bind
from tui.messages import TicketViewLoaded
from tui.screens.base import BaseScreen, db_worker
from tui.screens.tickets.dialogs import AssignDialog, DueDialog, EscalateDialog, NoteDialog, StatusDialog, TicketDialog
from tui.screens.tickets.labels import due_style, flag_text, local_time
from tui.widgets.banner import DbBanner


class TicketDetailScreen(BaseScreen[None]):
    """One complaint: what the customer said and was promised, who the customer is and what they order, and
    everything done so far; each key makes one change through `update_ticket` as the signed-in user."""

    CSS_PATH = "detail.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("s", "status", "ticket.status", id="ticket.status"),
        bind("n", "note", "ticket.note", id="ticket.note"),
        bind("a", "assign", "ticket.assign", id="ticket.assign"),
        bind("c", "callback", "ticket.callback", id="ticket.callback"),
        bind("e", "escalate", "ticket.escalate", id="ticket.escalate", show=False),
        bind("d", "due", "ticket.due", id="ticket.due", show=False),
        bind("r", "refresh", "refresh", id="ticket.refresh", show=False, tip="ticket.refresh"),
        bind("escape", "back", "back", id="ticket.back", show=False, tip="ticket.back"),
    ]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.view: TicketView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield DbBanner()
        yield Static(t("ticket.loading"), id="ticket-head")
        with VerticalScroll(id="ticket-body"):
            with Horizontal(id="ticket-top"):
                yield Static("", id="ticket-complaint")
                yield Static("", id="ticket-customer")
            yield Static("", id="ticket-history")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ticket-body").focus()
        self.load()

    def database_back(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.view is not None:  # back from the call-back: its outcome may have added to the history
            self.load()

    @db_worker("ticket")
    def load(self) -> None:
        app = self.telesales
        self.post_message(TicketViewLoaded(load_ticket_view(app.engine, app.settings, self.ticket_id, at=now())))

    def worker_failed(self, exc: BaseException, group: str) -> None:
        """A lost database is the banner (the ticket reloads when it is back); a refusal such as an unknown
        ticket is said where the ticket would be."""
        if is_connection_error(exc):
            super().worker_failed(exc, group)
            return
        self.query_one("#ticket-head", Static).update(Text(str(exc), style="bold red"))

    @on(TicketViewLoaded)
    def _show(self, message: TicketViewLoaded) -> None:
        view = message.view
        self.view = view
        row = view.detail.ticket
        head = Text(
            t(
                "ticket.head",
                id=row.ticket_id,
                category=t("category." + row.category),
                status=t("status." + row.status),
            ),
            style="bold",
        )
        flag = flag_text(row)
        if flag:
            head.append("  ")
            head.append_text(flag)
        self.query_one("#ticket-head", Static).update(head)
        self.query_one("#ticket-complaint", Static).update(self._complaint(row))
        self.query_one("#ticket-customer", Static).update(self._customer(view))
        self.query_one("#ticket-history", Static).update(self._history(view))

    def _complaint(self, row: TicketRow) -> RenderableType:
        zone = self.telesales.settings.zone
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        grid.add_row(Text(t("ticket.label.words")), Text(row.text, style="bold"))
        opened = Text(t("ticket.opened_value", by=row.opened_by, at=local_time(row.opened_at, zone)))
        if row.repeat_of is not None:
            opened.append("\n" + t("ticket.repeat", id=row.repeat_of), style="magenta")
        grid.add_row(Text(t("ticket.label.opened")), opened)
        # an overdue promise is not "due today at 7": the phrase is for promises still to keep
        phrase = t("ticket.overdue") if row.overdue else phrase_due(row.due_at, zone, at=now(), lang=language())
        grid.add_row(
            Text(t("ticket.label.due")),
            Text(t("ticket.due_value", at=local_time(row.due_at, zone), phrase=phrase), style=due_style(row)),
        )
        grid.add_row(Text(t("ticket.label.status")), Text(t("status." + row.status)))
        grid.add_row(
            Text(t("ticket.label.assigned")),
            Text(row.assigned_to or t("ticket.nobody"), style="" if row.assigned_to else "dim"),
        )
        if row.escalated_to:
            grid.add_row(Text(t("ticket.label.escalated")), Text(row.escalated_to, style="bold magenta"))
        return Group(Text(t("ticket.section.complaint"), style="bold underline"), grid)

    def _customer(self, view: TicketView) -> RenderableType:
        card = view.card
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        shop = Text(card.name, style="bold")
        shop.append(f" {card.code}", style="dim")
        grid.add_row(Text(t("ticket.label.shop")), shop)
        grid.add_row(Text(t("ticket.label.owner")), Text(card.owner or "-"))
        grid.add_row(Text(t("ticket.label.phone")), Text(card.phone or "-", style="bold"))
        tier = Text(t("ticket.tier_value", tier=card.tier, day=weekday(card.order_weekday)))
        if card.key_customer:
            tier.append(" · " + t("ticket.key_customer"), style="bold")
        grid.add_row(Text(t("ticket.label.tier")), tier)
        grid.add_row(Text(t("ticket.label.district")), Text(card.district or "-"))
        if card.notes:
            grid.add_row(Text(t("ticket.notes")), Text(card.notes, style="italic"))
        orders = Text(t("ticket.no_orders"), style="dim") if not card.recent else Text()
        for i, order in enumerate(card.recent):
            lines = " ".join(f"{name}{qty}" for name, qty in order.lines)
            value = t("ticket.order_value", day=order.day.strftime("%m-%d"), cartons=order.cartons, lines=lines)
            orders.append(("\n" if i else "") + value)
        orders.no_wrap = True
        orders.overflow = "ellipsis"
        return Group(
            Text(t("ticket.section.customer"), style="bold underline"),
            grid,
            Text(t("ticket.label.recent"), style="dim"),
            orders,
        )

    def _history(self, view: TicketView) -> RenderableType:
        zone = self.telesales.settings.zone
        table = Table(box=None, padding=(0, 1, 0, 0), expand=True, show_edge=False)
        table.add_column(t("ticket.col.at"), no_wrap=True, style="dim")
        table.add_column(t("ticket.col.actor"), no_wrap=True)
        table.add_column(t("ticket.col.kind"), no_wrap=True, style="bold")
        table.add_column(t("ticket.col.note"), ratio=1, overflow="fold")
        for event in view.detail.events:
            note = Text()
            if event.to_status is not None and event.kind != "opened":
                before = t("status." + event.from_status) if event.from_status else "-"
                note.append(f"{before} → {t('status.' + event.to_status)}", style="cyan")
                if event.note:
                    note.append(" · ")
            note.append(event.note)
            # Rich parses a str cell as markup: an actor named "[/]" would crash the screen on every open
            table.add_row(
                Text(local_time(event.at, zone)), Text(event.actor), Text(t("ticket.event." + event.kind)), note
            )
        return Group(Text(t("ticket.section.history"), style="bold underline"), table)

    # ------------------------------------------------------------------------------------------ actions

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    def _change(self, dialog: TicketDialog) -> None:
        def done(row: TicketRow | None) -> None:
            if row is not None:
                self.notify(t("ticket.saved", id=row.ticket_id))
                self.load()

        self.app.push_screen(dialog, done)

    def _ticket(self) -> TicketRow | None:
        if self.view is None:
            self.notify(t("ticket.not_loaded"))
            return None
        return self.view.detail.ticket

    def action_note(self) -> None:
        if (row := self._ticket()) is not None:
            self._change(NoteDialog(row))

    def action_assign(self) -> None:
        if (row := self._ticket()) is not None and self.view is not None:
            self._change(AssignDialog(row, self.view.people))

    def action_escalate(self) -> None:
        if (row := self._ticket()) is not None and self.view is not None:
            self._change(EscalateDialog(row, self.view.people))

    def action_status(self) -> None:
        row = self._ticket()
        if row is None:
            return
        if not MOVES[row.status]:
            self.notify(t("ticket.final"), severity="warning")
            return
        self._change(StatusDialog(row))

    def action_due(self) -> None:
        if (row := self._ticket()) is not None:
            self._change(DueDialog(row))

    def action_callback(self) -> None:
        """The call screen with the call-back script; its card lists this customer's open tickets."""
        if (row := self._ticket()) is None:
            return
        from tui.screens.call import CallScreen

        self.app.push_screen(CallScreen(row.customer, None, script="callback"))
