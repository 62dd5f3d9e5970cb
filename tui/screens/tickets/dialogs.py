"""The ticket's change dialogs: note, assign, escalate, status, due time. Each saves through
`orders.tickets.update_ticket` and, when refused, stays open with what was typed."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from db.engine import is_connection_error
from orders.ticket_view import Person
from orders.tickets import MOVES, Change, TicketRow, update_ticket
from tui.i18n import t
from tui.keys import bind
from tui.messages import TicketChanged
from tui.screens.base import Dialog, db_worker
from tui.screens.dialogs import parse_callback
from tui.screens.tickets.labels import person_label
from tui.widgets.banner import DbBanner


class TicketDialog(Dialog[TicketRow | None]):
    """A change to one ticket. The subclass says which fields it asks and how they make a `Change`; this class
    saves it with `update_ticket` in a worker and closes with the updated row, or shows the refusal and stays
    open with everything typed still there. Enter in a field moves to the next one and saves on the last."""

    CSS_PATH = "dialogs.tcss"  # relative to the subclass's module: keep the subclasses in this one
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "cancel", "cancel", id="ticket.dialog_cancel"),
        bind("tab", "app.focus_next", "next_field", id="ticket.dialog_tab", show=False),
    ]
    hint_key = "ticket.dialog.hint"

    def __init__(self, ticket: TicketRow) -> None:
        super().__init__()
        self.ticket = ticket
        self.busy = False

    def heading(self) -> str:
        raise NotImplementedError

    def fields(self) -> ComposeResult:
        raise NotImplementedError

    def change(self) -> Change | None:
        """The change the fields ask for, or None after saying in the dialog what is missing."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical():
            yield DbBanner()
            yield Static(Text(self.heading()), classes="title")
            yield from self.fields()
            yield Static(Text(t(self.hint_key)), classes="hint", id="dialog-status")
            yield Static("", classes="error", id="dialog-error")
        yield Footer()

    def on_mount(self) -> None:
        focusable = [w for w in self.query("Input, OptionList") if isinstance(w, Widget)]
        if focusable:
            focusable[0].focus()

    def value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def error(self, message: str, focus: str | None = None) -> None:
        self.query_one("#dialog-error", Static).update(Text(message))
        if focus is not None:
            self.query_one(focus).focus()

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is not inputs[-1]:
            inputs[inputs.index(event.input) + 1].focus()
            return
        self.submit()

    def submit(self) -> None:
        if self.busy:
            return
        change = self.change()
        if change is None:
            return
        self.busy = True
        self.error("")
        self.query_one("#dialog-status", Static).update(Text(t("ticket.dialog.saving"), style="bold"))
        self.save(change)

    @db_worker("ticket-change")
    def save(self, change: Change) -> None:
        app = self.telesales
        actor = app.user.login if app.user is not None else ""  # no one signed in: update_ticket refuses ""
        row, _done = update_ticket(app.engine, self.ticket.ticket_id, change, actor=actor)
        self.post_message(TicketChanged(row))

    @on(TicketChanged)
    def _saved(self, message: TicketChanged) -> None:
        self.dismiss(message.ticket)

    def worker_failed(self, exc: BaseException, group: str) -> None:
        """Refused or not saved: the dialog stays open with everything typed and says why."""
        if is_connection_error(exc):
            self.telesales.database_failed(exc)
            self._refused(t("ticket.dialog.db_down"))
        else:
            self._refused(t("ticket.dialog.refused", message=str(exc)))

    def _refused(self, message: str) -> None:
        self.busy = False
        self.query_one("#dialog-status", Static).update(Text(t(self.hint_key)))
        self.error(message)

    def action_cancel(self) -> None:
        self.dismiss(None)


def label(key: str) -> Static:
    """A field's label above it: a placeholder alone vanishes as soon as the lead types."""
    return Static(Text(t(key)), classes="label")


class NoteDialog(TicketDialog):
    def heading(self) -> str:
        return t("ticket.note.title", id=self.ticket.ticket_id)

    def fields(self) -> ComposeResult:
        yield label("ticket.note.placeholder")
        yield Input(placeholder=t("ticket.note.placeholder"), id="note", max_length=2000)

    def change(self) -> Change | None:
        note = self.value("#note")
        if not note:
            self.error(t("ticket.note.need"), "#note")
            return None
        return Change(note=note)


def people_hint(people: list[Person]) -> Text:
    return Text(t("ticket.assign.people", people=" · ".join(person_label(p) for p in people)), style="dim")


class AssignDialog(TicketDialog):
    """A login, completed as it is typed (→ accepts) from the active logins listed under it."""

    def __init__(self, ticket: TicketRow, people: list[Person]) -> None:
        super().__init__(ticket)
        self.people = people

    def heading(self) -> str:
        return t("ticket.assign.title", id=self.ticket.ticket_id)

    def fields(self) -> ComposeResult:
        logins = [p.login for p in self.people]
        yield label("ticket.assign.placeholder")
        yield Input(
            placeholder=t("ticket.assign.placeholder"),
            id="assign",
            max_length=32,
            suggester=SuggestFromList(logins, case_sensitive=False),
        )
        yield Static(people_hint(self.people), classes="hint")

    def change(self) -> Change | None:
        login = self.value("#assign")
        if not login:
            self.error(t("ticket.assign.need"), "#assign")
            return None
        return Change(assign=login)


class EscalateDialog(TicketDialog):
    """To whom (a login, or an account manager's name) and why; without a reason nothing is saved."""

    hint_key = "ticket.dialog.hint_fields"

    def __init__(self, ticket: TicketRow, people: list[Person]) -> None:
        super().__init__(ticket)
        self.people = people

    def heading(self) -> str:
        return t("ticket.escalate.title", id=self.ticket.ticket_id)

    def fields(self) -> ComposeResult:
        logins = [p.login for p in self.people]
        yield label("ticket.escalate.to")
        yield Input(
            value=self.ticket.escalated_to or "",
            placeholder=t("ticket.escalate.to"),
            id="escalate-to",
            max_length=32,
            suggester=SuggestFromList(logins, case_sensitive=False),
        )
        yield label("ticket.escalate.reason")
        yield Input(placeholder=t("ticket.escalate.reason"), id="escalate-reason", max_length=2000)

    def change(self) -> Change | None:
        to = self.value("#escalate-to")
        if not to:
            self.error(t("ticket.escalate.need_to"), "#escalate-to")
            return None
        reason = self.value("#escalate-reason")
        if not reason:
            self.error(t("ticket.escalate.need_reason"), "#escalate-reason")
            return None
        return Change(escalate_to=to, reason=reason)


class StatusDialog(TicketDialog):
    """The moves `orders.tickets` allows from the current status, and an optional note kept on that event."""

    def heading(self) -> str:
        return t("ticket.status.title", id=self.ticket.ticket_id, status=t("status." + self.ticket.status))

    def fields(self) -> ComposeResult:
        moves = MOVES[self.ticket.status]
        yield label("ticket.status.to")
        yield OptionList(*[Option(t("status." + s), id=s) for s in moves], id="status-moves")
        yield label("ticket.status.note")
        yield Input(placeholder=t("ticket.status.note"), id="status-note", max_length=2000)

    def on_mount(self) -> None:
        options = self.query_one("#status-moves", OptionList)
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#status-moves")
    def _chosen(self) -> None:
        self.submit()

    def change(self) -> Change | None:
        options = self.query_one("#status-moves", OptionList)
        moves = MOVES[self.ticket.status]
        status = moves[options.highlighted or 0]
        note = self.value("#status-note")
        return Change(status=status, note=note or None)


class DueDialog(TicketDialog):
    """A new reply time (HH:MM today, or a date and time) and why it moves; both are required."""

    hint_key = "ticket.dialog.hint_fields"

    def heading(self) -> str:
        return t("ticket.due.title", id=self.ticket.ticket_id)

    def fields(self) -> ComposeResult:
        zone = self.telesales.settings.zone
        current = self.ticket.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        yield label("ticket.due.time")
        yield Input(value=current, placeholder=t("ticket.due.time"), id="due-time", max_length=16)
        yield label("ticket.due.reason")
        yield Input(placeholder=t("ticket.due.reason"), id="due-reason", max_length=2000)

    def change(self) -> Change | None:
        raw = self.value("#due-time")
        due = parse_callback(raw, self.telesales.settings.zone)
        if due is None:
            self.error(t("ticket.due.bad_time", value=raw), "#due-time")
            return None
        reason = self.value("#due-reason")
        if not reason:
            self.error(t("ticket.due.need_reason"), "#due-reason")
            return None
        return Change(due=due, reason=reason)
