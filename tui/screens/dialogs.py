"""The call's dialogs: a quantity, the read-back that places the order, the outcome, a complaint.

Each is a `ModalScreen` dismissed with its result, so the call screen underneath keeps its state; database
work runs in thread workers and a refusal or a lost connection is shown in the dialog, which stays open and
keeps what was typed.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from db.engine import database_file_gone, is_connection_error
from db.models import CALL_OUTCOMES, TICKET_CATEGORIES
from orders.call_view import CallView
from orders.callback_time import CallbackTimeError, callback_label, parse_callback_time, understand
from orders.calls import CALLBACK_OUTCOMES
from orders.clock import now, today
from orders.drafts import Draft, DraftLine
from orders.placement import (
    LineProblem,
    OrderDatabaseError,
    PlacedOrder,
    PlacementError,
    place_order_once,
)
from orders.quantity import MAX_CARTONS
from orders.readback import Flag, readout
from orders.settings import Settings
from orders.tickets import TicketRow, open_ticket, reply_promise
from tui.i18n import language, t
from tui.keys import bind
from tui.messages import OrderPlaced, TicketOpened
from tui.money import yuan
from tui.screens.base import Dialog, db_worker
from tui.widgets.banner import DbBanner


class QuantityDialog(Dialog[int | None]):
    """How many cartons, when none was heard (or to change a line)."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [  # noqa: RUF012
        bind("escape", "cancel", "cancel", id="qty.cancel"),
    ]

    def __init__(self, name: str, current: int | None = None) -> None:
        super().__init__()
        self.product = name
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(t("qty.title", name=self.product)), classes="title")
            yield Input(
                value="" if self.current is None else str(self.current),
                placeholder=t("qty.placeholder"),
                id="qty",
                restrict=r"[0-9]*",
                max_length=4,
            )
            yield Static("", classes="error", id="qty-error")
        yield Footer()

    @on(Input.Submitted, "#qty")
    def _submit(self, event: Input.Submitted) -> None:
        raw = event.value.strip()
        if not raw.isdigit() or not 0 < int(raw) <= MAX_CARTONS:
            self.query_one("#qty-error", Static).update(Text(t("qty.bad", most=MAX_CARTONS)))
            return
        self.dismiss(int(raw))

    def action_cancel(self) -> None:
        self.dismiss(None)


REFUSAL_KEYS = {
    "quota_exceeded": "refused.quota",
    "supply_exhausted": "refused.supply",
    "inactive_product": "refused.inactive",
}


def problem_text(p: LineProblem, *, named: bool = True) -> str:
    """A refused line in the order taker's words (the rule's own sentence when there is no shorter one).
    `named=False` leaves the product out, for the reason shown under the line itself in the read-back."""
    name = p.name or p.code
    left = p.remaining if p.remaining is not None else 0
    if p.reason in REFUSAL_KEYS:
        return t(REFUSAL_KEYS[p.reason] + ("" if named else ".why"), name=name, left=left, limit=p.limit)
    if p.reason == "cutoff_passed":
        return t("refused.cutoff")
    return p.text or f"{name}: {p.reason}"


def flag_text(flag: Flag) -> str:
    """A read-back flag in the screen's language, from the figures it carries (so English counts read right)."""
    values = {"usual": flag.usual, "qty": flag.qty, "left": flag.left, "other": flag.other}
    text = t("flag." + flag.kind, **values)
    return flag.text if text == "flag." + flag.kind else text


def _price(line: DraftLine) -> int:
    return line.price_fen


def _total(line: DraftLine) -> int:
    return line.total_fen


class ReadbackScreen(Dialog[PlacedOrder | None]):
    """Every line as it will be read out, with what might be misheard; Enter places the order."""

    CSS_PATH = "dialogs.tcss"
    KEEPS_DRAFT = True
    BINDINGS = [  # noqa: RUF012
        bind("enter", "place", "place", id="readback.place", display="Enter"),
        bind("escape", "back", "back_draft", id="readback.back"),
    ]

    def __init__(self, code: str, draft: Draft, view: CallView | None) -> None:
        super().__init__()
        self.code = code
        self.draft = draft
        self.view = view
        self.busy = False
        self.problems: dict[str, str] | None = None  # why each refused line was refused, under the line
        self.refused = False  # set by a refusal; the draft can change only after Esc, so it stays set
        self.waiting_for_db = False
        self.maybe_written = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield DbBanner()
            yield Static(t("readback.title"), classes="title")
            with VerticalScroll(id="readback-lines"):
                yield Static(self._table(), id="readback-table")
            yield Static(
                Text(t("draft.total", cartons=self.draft.cartons, amount=yuan(self.draft.total_fen)), style="bold"),
                classes="message",
            )
            yield Static("", classes="error", id="readback-error")
            yield Static(Text(t("readback.hint"), style="dim"), id="readback-status", classes="message")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Enter leaves the footer (and does nothing) while nothing can be placed: placing, or refused with the
        draft unchanged, when pressing it again would only be refused again."""
        return not (action == "place" and (self.busy or self.refused))

    def _table(self, problems: dict[str, str] | None = None) -> Table:
        """One row per line, quantity and amount never cut (no_wrap); the line's flags and, after a refusal,
        why placement refused it follow under its read-out as separate items, packed into rows that break
        between items (not inside one) at the width the column will have."""
        self.problems = problems
        lang = language()
        table = Table(box=None, padding=(0, 1, 0, 0), expand=True, show_header=True)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column(t("readback.col.line"), ratio=1)
        table.add_column(t("readback.col.price"), justify="right", no_wrap=True)
        table.add_column(t("readback.col.amount"), justify="right", no_wrap=True)
        lines = self.draft.lines
        fixed = sum(
            max([cell_len(t(head)), *(cell_len(yuan(fen(x))) for x in lines)]) + 1
            for head, fen in (("readback.col.price", _price), ("readback.col.amount", _total))
        )
        room = max(20, self.app.size.width - 4 - (len(str(len(lines))) + 1) - fixed - 1)
        for i, line in enumerate(lines, 1):
            cell = Text(readout(line, lang), style="bold", overflow="fold")
            items = [
                ("▸" + flag_text(flag), "bold red" if flag.blocking else "yellow")
                for flag in (self.view.flags(line, lang) if self.view is not None else [])
            ]
            if problems and line.code in problems:
                items.append(("▸" + t("readback.not_placed", why=problems[line.code]), "bold red reverse"))
            used = room
            for text, style in items:
                if used + 2 + cell_len(text) > room:
                    cell.append("\n")
                    used = 0
                else:
                    cell.append("  ")
                    used += 2
                cell.append(text, style=style)
                used += cell_len(text)
            table.add_row(str(i), cell, yuan(line.price_fen), yuan(line.total_fen))
        return table

    def on_resize(self) -> None:
        """The flags are packed for the width: pack them again when the terminal changes size."""
        self.query_one("#readback-table", Static).update(self._table(self.problems))

    def action_back(self) -> None:
        if self.busy and not self.waiting_for_db:
            return
        self.dismiss(None)

    def action_place(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.refresh_bindings()
        self._status(t("readback.placing"))
        self.place()

    def _status(self, message: str, style: str = "bold") -> None:
        self.query_one("#readback-status", Static).update(Text(message, style=style))

    @db_worker("place")
    def place(self) -> None:
        app = self.telesales
        operator = app.user.login if app.user else self.draft.operator
        order = place_order_once(
            app.engine,
            app.settings,
            self.code,
            [(line.code, line.qty) for line in self.draft.lines],
            operator=operator,
            call_id=self.draft.call_id,
            maybe_written=self.maybe_written,  # the last attempt died while committing: look before placing
        )
        self.post_message(OrderPlaced(order))

    @on(OrderPlaced)
    def _placed(self, message: OrderPlaced) -> None:
        self.dismiss(message.order)

    def worker_failed(self, exc: BaseException, group: str) -> None:
        """Refused: every failing line is named and the draft stays. Lost database: wait for it and place
        again (asking first whether the last attempt's commit went through)."""
        if isinstance(exc, OrderDatabaseError):
            self.maybe_written = self.maybe_written or exc.maybe_written
            self._lost_database(exc)
        elif isinstance(exc, PlacementError):
            self._refused(exc)
        elif is_connection_error(exc):
            self._lost_database(exc)
        else:
            self._refused(PlacementError(str(exc), kind="error"))

    def _refused(self, exc: PlacementError) -> None:
        """The refusal in a block of its own, one item per refused line naming the product and why in full,
        and the reason again under the line in the table, so the order taker sees which line to change."""
        self.busy = False
        self.refused = True
        self.refresh_bindings()
        problems = {p.code: problem_text(p, named=False) for p in exc.lines}
        self.query_one("#readback-table", Static).update(self._table(problems))
        block = Text(t("readback.refused"), style="bold")
        for p in exc.lines:
            block.append("\n• " + problem_text(p))
        if not exc.lines:
            block.append("\n• " + exc.message)
        self.query_one("#readback-error", Static).update(block)
        self._status(t("readback.kept"), "dim")

    def _lost_database(self, exc: BaseException) -> None:
        """Nothing was placed: say so, keep the dialog (and the draft) and place when the database is back."""
        self.waiting_for_db = True
        self.telesales.database_failed(exc)
        gone = database_file_gone(exc) is not None
        self._status(t("readback.file_gone" if gone else "readback.waiting"), "bold yellow")

    def database_back(self) -> None:
        if self.waiting_for_db:
            self.waiting_for_db = False
            self._status(t("readback.placing"))
            self.place()


class OutcomeScreen(Dialog[tuple[str, datetime | None] | None]):
    """How the call ended; a callback needs a time, typed as the shop said it (15:30, 明天10:00, +30).

    The time is read by `orders.callback_time` as it is typed, so the order taker sees the moment understood
    (「周二 11-24 10:00」) before pressing Enter, and a time that cannot be kept keeps the dialog open with the
    reason in the screen's language: a refused callback must never be lost by closing the dialog.
    `replied` (the lead's call-back on a complaint) is offered only for a shop with an open ticket.
    """

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [  # noqa: RUF012
        bind("escape", "cancel", "back_call", id="outcome.cancel"),
        bind("tab", "app.focus_next", "next_field", id="outcome.tab", show=False),
    ]

    def __init__(
        self, *, placed: bool, unplaced: int, open_ticket: bool = False, preselect: str | None = None
    ) -> None:
        super().__init__()
        self.preselect = preselect  # the outcome the phone saw (busy, no answer …): Enter records it
        self.placed = placed
        self.unplaced = unplaced
        self.warned = False
        self.outcomes = offered_outcomes(open_ticket=open_ticket)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("outcome.title"), classes="title")
            yield OptionList(*[Option(t("outcome." + o), id=o) for o in self.outcomes], id="outcomes")
            yield Input(placeholder=t("outcome.time_placeholder"), id="callback-time", max_length=24)
            yield Static("", id="callback-preview")
            yield Static("", classes="error", id="outcome-error")
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one("#outcomes", OptionList)
        chosen = "ordered" if self.placed else "no_answer"
        if self.preselect in self.outcomes and not self.placed:
            chosen = self.preselect
        options.highlighted = self.outcomes.index(chosen)
        options.focus()

    @on(OptionList.OptionSelected, "#outcomes")
    def _chosen(self) -> None:
        self._confirm()

    @on(Input.Submitted, "#callback-time")
    def _time_entered(self) -> None:
        self._confirm()

    @on(Input.Changed, "#callback-time")
    def _time_typed(self, event: Input.Changed) -> None:
        """The moment understood so far, under the box; nothing while the text means nothing yet."""
        preview = self.query_one("#callback-preview", Static)
        raw = event.value.strip()
        self._error("")
        if not raw:
            preview.update("")
            return
        settings = self.telesales.settings
        try:
            moment = understand(raw, now(), settings)
        except CallbackTimeError:
            preview.update("")
            return
        preview.update(Text(t("outcome.preview", when=callback_label(moment, settings, language())), style="dim"))

    def _error(self, message: str) -> None:
        self.query_one("#outcome-error", Static).update(Text(message))

    def _confirm(self) -> None:
        options = self.query_one("#outcomes", OptionList)
        index = options.highlighted if options.highlighted is not None else 0
        outcome = self.outcomes[index]
        if outcome == "ordered" and not self.placed:
            self._error(t("outcome.not_placed"))
            return
        box = self.query_one("#callback-time", Input)
        raw = box.value.strip()
        callback_at: datetime | None = None
        if raw and outcome in CALLBACK_OUTCOMES:  # a final outcome or a reply has no callback: the box is moot
            try:
                callback_at = parse_callback_time(raw, now(), self.telesales.settings)
            except CallbackTimeError as exc:
                self._error(callback_time_message(exc, self.telesales.settings))
                box.focus()
                return
        if outcome == "callback_requested" and callback_at is None:
            self._error(t("outcome.need_time"))
            box.focus()
            return
        if self.unplaced and not self.warned:
            self.warned = True
            self._error(t("outcome.unplaced", n=self.unplaced))
            return
        self.dismiss((outcome, callback_at))

    def action_cancel(self) -> None:
        self.dismiss(None)


def offered_outcomes(*, open_ticket: bool) -> list[str]:
    """The outcomes the dialog lists: `replied` settles a complaint, so a shop without one never gets it."""
    return [o for o in CALL_OUTCOMES if o != "replied" or open_ticket]


def callback_time_message(exc: CallbackTimeError, settings: Settings) -> str:
    """A refused callback time in the screen's language, naming the moment understood."""
    lang = language()
    moment = exc.params.get("moment")
    when = callback_label(moment, settings, lang) if isinstance(moment, datetime) else exc.params.get("text", "")
    return t(
        "callback_time." + exc.code,
        text=exc.params.get("text", ""),
        when=when,
        now=callback_label(now(), settings, lang),
        hours=exc.params.get("hours", ""),
    )


def parse_callback(raw: str, zone: Any) -> datetime | None:
    """HH:MM (today) or YYYY-MM-DD HH:MM, in the centre's time zone; None when it is neither."""
    try:
        if len(raw) <= 5:
            hour, minute = (int(p) for p in raw.replace(":", ":").split(":"))
            return datetime.combine(today(zone), time(hour, minute), tzinfo=zone)
        day_part, time_part = raw.replace("T", " ").split()
        hour, minute = (int(p) for p in time_part.split(":"))
        return datetime.combine(date.fromisoformat(day_part), time(hour, minute), tzinfo=zone)
    except ValueError:
        return None


class ComplaintScreen(Dialog[TicketRow | None]):
    """Log a complaint without leaving the call: category, the customer's words, then the reply time to
    read out."""

    CSS_PATH = "dialogs.tcss"
    KEEPS_DRAFT = True
    BINDINGS = [  # noqa: RUF012
        bind("escape", "close", "back_call", id="complaint.close"),
        bind("tab", "app.focus_next", "next_field", id="complaint.tab", show=False),
    ]

    def __init__(self, code: str, shop: str, call_id: int | None) -> None:
        super().__init__()
        self.code = code
        self.shop = shop
        self.call_id = call_id
        self.ticket: TicketRow | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield DbBanner()
            yield Static(Text(t("complaint.title", shop=self.shop)), classes="title")
            yield OptionList(*[Option(t("category." + c), id=c) for c in TICKET_CATEGORIES], id="categories")
            yield Input(placeholder=t("complaint.words"), id="complaint-text", max_length=2000)
            yield Static(Text(t("complaint.hint"), style="dim"), classes="message", id="complaint-status")
            yield Static("", classes="error", id="complaint-error")
            yield Static("", id="promise")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#categories", OptionList).highlighted = 0
        self.query_one("#categories", OptionList).focus()

    @on(OptionList.OptionSelected, "#categories")
    def _category_chosen(self) -> None:
        self.query_one("#complaint-text", Input).focus()

    @on(Input.Submitted, "#complaint-text")
    def _submit(self, event: Input.Submitted) -> None:
        if self.ticket is not None:
            self.dismiss(self.ticket)
            return
        if self.busy:
            return
        text = event.value.strip()
        if not text:
            self.query_one("#complaint-error", Static).update(Text(t("complaint.need_words")))
            return
        options = self.query_one("#categories", OptionList)
        category = TICKET_CATEGORIES[options.highlighted or 0]
        self.busy = True
        self.query_one("#complaint-error", Static).update("")
        self.create(category, text)

    @db_worker("ticket")
    def create(self, category: str, text: str) -> None:
        app = self.telesales
        ticket = open_ticket(
            app.engine,
            self.code,
            category,
            text,
            settings=app.settings,
            operator=app.user.login if app.user else "cli",
            call_id=self.call_id,
        )
        self.post_message(TicketOpened(ticket))

    def worker_failed(self, exc: BaseException, group: str) -> None:
        """Not logged: the dialog stays open with the customer's words and says why."""
        if is_connection_error(exc):
            self.telesales.database_failed(exc)
            self._failed(t("complaint.db_down"))
        else:
            self._failed(str(exc))

    def _failed(self, message: str) -> None:
        self.busy = False
        self.query_one("#complaint-error", Static).update(Text(message))

    @on(TicketOpened)
    def _created(self, message: TicketOpened) -> None:
        ticket = message.ticket
        self.ticket = ticket
        self.busy = False
        zone = self.telesales.settings.zone
        promise = reply_promise(ticket.due_at, zone, at=now(), lang=language())
        self.query_one("#complaint-status", Static).update(Text(t("complaint.logged", id=ticket.ticket_id)))
        self.query_one("#promise", Static).update(Text(t("complaint.say", promise=promise)))

    def action_close(self) -> None:
        self.dismiss(self.ticket)
