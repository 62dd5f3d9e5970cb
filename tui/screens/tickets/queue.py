"""The shift lead's ticket screens: the queue of complaints and one ticket with its customer and history.

A complaint is a promise with a clock on it, so the queue is sorted by reply time (overdue first, marked) and
the counts above it say at a glance how many promises are late or about to be. The lead narrows it by status,
category, operator and district (`f`), or finds a shop as they type (`/`). Every read and every change runs in
a thread worker and goes through `orders/`: the filtering in `orders.ticket_view`, the rules (allowed moves,
who may close, reassign or move a due time) in `orders.tickets.update_ticket`. A refused change is shown in
its dialog, which stays open with what was typed, so the lead fixes one field instead of typing it all again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, cast
from zoneinfo import ZoneInfo

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from orders.clock import now
from orders.ticket_view import (
    ALL,
    QUEUE_LIMIT,
    Person,
    QueueChoices,
    QueueFilter,
    QueueItem,
    TicketView,
    load_ticket_view,
    queue_choices,
    ticket_queue,
)
from orders.tickets import (
    MOVES,
    Change,
    QueueCounts,
    TicketError,
    TicketRow,
    count_queue,
    phrase_due,
    update_ticket,
)
from orders.users import PermissionDenied
from tui.app import is_connection_error
from tui.cells import fit
from tui.i18n import language, t
from tui.screens.dialogs import DIALOG_CSS, parse_callback
from tui.widgets.banner import DbBanner

if TYPE_CHECKING:
    from tui.app import TelesalesApp

QUEUE_COLUMNS = ("id", "flag", "due", "shop", "category", "status", "opened_by", "assigned", "district")
MIN_SHOP = 8  # cells; below this a shop name says nothing, and the table scrolls sideways instead
SCROLLBAR = 1  # the table's vertical scrollbar (queue.tcss), kept free so no column is cut


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


# ------------------------------------------------------------------------------------------------ queue


class TicketTable(DataTable[Text]):
    """The queue's table: Enter opens the highlighted ticket, and the footer says so."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            t("tickets.key.open"),
            tooltip=t("tickets.key.open.tip"),
            id="tickets.open",
            key_display="Enter",
        ),
    ]


class SearchBox(Input):
    """The shop search: it keeps focus while Up/Down move through the list and Enter opens the ticket
    (Toolong's find box), so finding a shop's complaint is type, look, Enter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "submit",
            t("tickets.key.open"),
            tooltip=t("tickets.key.open.tip"),
            id="tickets.search_open",
            key_display="Enter",
        ),
        Binding(
            "down",
            "screen.row(1)",
            t("tickets.key.row_down"),
            tooltip=t("tickets.key.row.tip"),
            id="tickets.search_down",
            show=False,
        ),
        Binding(
            "up",
            "screen.row(-1)",
            t("tickets.key.row_up"),
            tooltip=t("tickets.key.row.tip"),
            id="tickets.search_up",
            show=False,
        ),
        Binding(
            "escape",
            "screen.to_list",
            t("tickets.key.to_list"),
            tooltip=t("tickets.key.to_list.tip"),
            id="tickets.search_leave",
        ),
    ]


class TicketQueueScreen(Screen[None]):
    """Every complaint still open, most urgent first, with the counts a lead reports on."""

    CSS_PATH = "queue.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "filter", t("tickets.key.filter"), tooltip=t("tickets.key.filter.tip"), id="tickets.filter"),
        Binding(
            "slash",
            "search",
            t("tickets.key.search"),
            tooltip=t("tickets.key.search.tip"),
            id="tickets.search",
            key_display="/",
        ),
        Binding("r", "refresh", t("key.refresh"), tooltip=t("tickets.key.refresh.tip"), id="tickets.refresh"),
        Binding(
            "x", "clear", t("tickets.key.clear"), tooltip=t("tickets.key.clear.tip"), id="tickets.clear", show=False
        ),
        Binding("escape", "back", t("key.back"), tooltip=t("tickets.key.back.tip"), id="tickets.back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.flt = QueueFilter()
        self.items: list[QueueItem] = []
        self.counts: QueueCounts | None = None
        self.choices: QueueChoices | None = None
        self.loaded = False  # set when the first answer arrived; tests and the palette wait for it

    @property
    def telesales(self) -> TelesalesApp:
        return cast("TelesalesApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield DbBanner()
        yield Static(t("tickets.loading"), id="tickets-counts")
        yield Static(self._filter_text(), id="tickets-filter")
        with Horizontal(id="tickets-search-row"):
            yield Static(t("tickets.search_label"), id="tickets-search-label")
            yield SearchBox(
                placeholder=t("tickets.search_placeholder"), id="tickets-search", compact=True, max_length=40
            )
        yield TicketTable(id="tickets-table", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield Static(t("tickets.empty"), id="tickets-empty")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TicketTable).focus()
        self.watch(self.app, "db_down", self._db_changed, init=False)
        self.load()

    def _db_changed(self, down: bool) -> None:
        if not down:  # the database is back: show what it holds now, without waiting for `r`
            self.load()

    def on_screen_resume(self) -> None:
        self.load()  # back from a ticket: what the lead just changed shows at once

    def on_resize(self, _event: Resize) -> None:
        if self.loaded:
            self._render_table()

    # ------------------------------------------------------------------------------------------ loading

    @work(thread=True, exclusive=True, group="tickets", exit_on_error=False)
    def load(self) -> None:
        app = self.telesales
        flt = self.flt
        worker = get_current_worker()
        try:
            at = now()
            items = ticket_queue(app.engine, flt, at=at)
            counts = count_queue(app.engine, at=at)
            choices = self.choices or queue_choices(app.engine)
        except TicketError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        except Exception as exc:
            if is_connection_error(exc):
                self.app.call_from_thread(app.database_failed, exc)
            else:
                self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        if not worker.is_cancelled:  # a newer keystroke asked again; its answer is the one to show
            self.app.call_from_thread(self._show, flt, items, counts, choices)

    def _show(self, flt: QueueFilter, items: list[QueueItem], counts: QueueCounts, choices: QueueChoices) -> None:
        if flt != self.flt:
            return
        self.items = items
        self.counts = counts
        self.choices = choices
        self.loaded = True
        self._render_table()
        shown = t("tickets.shown_first" if len(items) >= QUEUE_LIMIT else "tickets.shown", n=len(items))
        line = Text.assemble(
            (t("tickets.count.open", n=counts.total), "bold"),
            "  ·  ",
            (t("tickets.count.overdue", n=counts.overdue), "bold red" if counts.overdue else ""),
            "  ·  ",
            (t("tickets.count.soon", n=counts.due_soon), "bold yellow" if counts.due_soon else ""),
            ("  ·  " + shown, "dim"),
        )
        self.query_one("#tickets-counts", Static).update(line)
        self.query_one("#tickets-filter", Static).update(self._filter_text())
        self.query_one("#tickets-empty").set_class(not items, "shown")

    def _cells(self, item: QueueItem) -> dict[str, Text]:
        row = item.ticket
        zone = self.telesales.settings.zone
        return {
            "id": Text(str(row.ticket_id), style="dim"),
            "flag": flag_text(row),
            "due": Text(local_time(row.due_at, zone), style=due_style(row)),
            "shop": Text(row.customer_name),
            "category": Text(t("tickets.short." + row.category)),
            "status": Text(t("tickets.status." + row.status)),
            "opened_by": Text(row.opened_by),
            "assigned": Text(row.assigned_to or "-", style="" if row.assigned_to else "dim"),
            "district": Text(item.district or "-"),
        }

    def _render_table(self) -> None:
        """Columns sized to their widest cell in terminal cells; the shop name takes what is left, so the
        table fits the terminal's width in either language without cutting a column."""
        table = self.query_one(TicketTable)
        rows = [self._cells(item) for item in self.items]
        headers = {key: t("tickets.col." + key) for key in QUEUE_COLUMNS}
        widths = {key: max([cell_len(headers[key]), *(r[key].cell_len for r in rows)]) + 1 for key in QUEUE_COLUMNS}
        total = table.size.width or self.size.width or 80
        others = sum(w for key, w in widths.items() if key != "shop")
        widths["shop"] = min(widths["shop"], max(MIN_SHOP, total - SCROLLBAR - others))
        selected = self._selected_id()
        table.clear(columns=True)
        for key in QUEUE_COLUMNS:
            table.add_column(Text(headers[key]), width=widths[key], key=key)
        for item, cells in zip(self.items, rows, strict=True):
            cells["shop"] = fit(item.ticket.customer_name, widths["shop"] - 1)
            table.add_row(*(cells[key] for key in QUEUE_COLUMNS), key=str(item.ticket.ticket_id))
        if self.items:
            ids = [i.ticket.ticket_id for i in self.items]
            table.move_cursor(row=ids.index(selected) if selected in ids else 0)

    def _selected_id(self) -> int | None:
        table = self.query_one(TicketTable)
        if not self.items or table.row_count == 0 or not 0 <= table.cursor_row < len(self.items):
            return None
        return self.items[table.cursor_row].ticket.ticket_id

    def _filter_text(self) -> Text:
        flt = self.flt
        parts: list[str] = []
        if flt.status is not None:
            value = t("tickets.filter.every_status") if flt.status == ALL else t("tickets.status." + flt.status)
            parts.append(t("tickets.filter.part", what=t("tickets.filter.status"), value=value))
        if flt.category is not None:
            parts.append(
                t("tickets.filter.part", what=t("tickets.filter.category"), value=t("tickets.short." + flt.category))
            )
        if flt.operator is not None:
            parts.append(t("tickets.filter.part", what=t("tickets.filter.operator"), value=flt.operator))
        if flt.district is not None:
            parts.append(t("tickets.filter.part", what=t("tickets.filter.district"), value=flt.district))
        if flt.search.strip():
            parts.append(t("tickets.filter.search", text=flt.search.strip()))
        if not parts:
            return Text(t("tickets.filter_default"), style="dim")
        return Text(t("tickets.filter_line", parts=" · ".join(parts)), style="bold cyan")

    # ------------------------------------------------------------------------------------------ actions

    def action_refresh(self) -> None:
        self.choices = None  # a new login or district shows up in the filters too
        self.load()

    def action_search(self) -> None:
        self.query_one(SearchBox).focus()

    def action_to_list(self) -> None:
        self.query_one(TicketTable).focus()

    def action_row(self, step: int) -> None:
        table = self.query_one(TicketTable)
        if self.items:
            table.move_cursor(row=max(0, min(len(self.items) - 1, table.cursor_row + step)))

    def action_clear(self) -> None:
        self.query_one(SearchBox).value = ""
        self._set_filter(QueueFilter())

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:  # pushed from the lead's home; as the home itself, stay
            self.app.pop_screen()

    def action_filter(self) -> None:
        if self.choices is None:
            self.notify(t("tickets.no_choices"))
            return

        def chosen(flt: QueueFilter | None) -> None:
            if flt is not None:
                self._set_filter(replace(flt, search=self.flt.search))

        self.app.push_screen(FilterDialog(self.flt, self.choices), chosen)

    def _set_filter(self, flt: QueueFilter) -> None:
        if flt != self.flt:
            self.flt = flt
            self.query_one("#tickets-filter", Static).update(self._filter_text())
            self.load()

    @on(Input.Changed, "#tickets-search")
    def _typed(self, event: Input.Changed) -> None:
        self._set_filter(replace(self.flt, search=event.value))

    @on(Input.Submitted, "#tickets-search")
    def _search_entered(self) -> None:
        self.action_open_selected()

    @on(DataTable.RowSelected, "#tickets-table")
    def _row_selected(self) -> None:
        self.action_open_selected()

    def action_open_selected(self) -> None:
        ticket_id = self._selected_id()
        if ticket_id is not None:
            self.app.push_screen(TicketDetailScreen(ticket_id))


class FilterDialog(ModalScreen[QueueFilter | None]):
    """Four lists side by side (status, category, operator, district); Enter applies all four at once, so a
    lead sets "overdue delivery errors in 雨花区" in one visit."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="FilterDialog")
        + """
    FilterDialog #filter-lists { height: auto; }
    FilterDialog .filter-col { width: 1fr; height: auto; }
    FilterDialog .filter-col > Static { text-style: bold; color: $accent; }
    FilterDialog OptionList { height: auto; max-height: 12; padding: 0; border: none; }
    FilterDialog OptionList:focus { border: none; background-tint: $foreground 8%; }
    FilterDialog #filter-hint { color: $text-muted; height: auto; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", t("key.cancel"), tooltip=t("key.cancel.tip"), id="tickets.filter_cancel"),
        Binding("x", "reset", t("tickets.key.reset"), tooltip=t("tickets.key.reset.tip"), id="tickets.filter_reset"),
        Binding(
            "right,tab",
            "app.focus_next",
            t("tickets.key.next_list"),
            tooltip=t("tickets.key.list.tip"),
            id="tickets.filter_next",
            show=False,
        ),
        Binding(
            "left,shift+tab",
            "app.focus_previous",
            t("tickets.key.prev_list"),
            tooltip=t("tickets.key.list.tip"),
            id="tickets.filter_prev",
            show=False,
        ),
    ]
    LISTS = ("status", "category", "operator", "district")

    def __init__(self, current: QueueFilter, choices: QueueChoices) -> None:
        super().__init__()
        self.current = current
        any_label = t("tickets.filter.any")
        self.values: dict[str, list[str | None]] = {
            "status": [None, *choices.statuses, ALL],
            "category": [None, *choices.categories],
            "operator": [None, *(p.login for p in choices.people)],
            "district": [None, *choices.districts],
        }
        names = {p.login: person_label(p) for p in choices.people}
        self.labels: dict[str, list[str]] = {
            "status": [
                t("tickets.filter.still_open"),
                *(t("tickets.status." + s) for s in choices.statuses),
                t("tickets.filter.every_status"),
            ],
            "category": [any_label, *(t("tickets.short." + c) for c in choices.categories)],
            "operator": [any_label, *(names[p.login] for p in choices.people)],
            "district": [any_label, *choices.districts],
        }

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("tickets.filter.title"), classes="title")
            with Horizontal(id="filter-lists"):
                for name in self.LISTS:
                    with Vertical(classes="filter-col"):
                        yield Static(t("tickets.filter." + name))
                        yield OptionList(*[Option(label) for label in self.labels[name]], id=f"filter-{name}")
            yield Static(t("tickets.filter.hint"), id="filter-hint")
        yield Footer()

    def on_mount(self) -> None:
        current = {
            "status": self.current.status,
            "category": self.current.category,
            "operator": self.current.operator,
            "district": self.current.district,
        }
        for name in self.LISTS:
            values = self.values[name]
            self._list(name).highlighted = values.index(current[name]) if current[name] in values else 0
        self._list("status").focus()

    def _list(self, name: str) -> OptionList:
        return self.query_one(f"#filter-{name}", OptionList)

    def _value(self, name: str) -> str | None:
        index = self._list(name).highlighted
        return self.values[name][index or 0]

    @on(OptionList.OptionSelected)
    def _apply(self) -> None:
        status = self._value("status")
        self.dismiss(
            QueueFilter(
                status=status,
                category=self._value("category"),
                operator=self._value("operator"),
                district=self._value("district"),
                search=self.current.search,
            )
        )

    def action_reset(self) -> None:
        for name in self.LISTS:
            self._list(name).highlighted = 0

    def action_cancel(self) -> None:
        self.dismiss(None)


# ----------------------------------------------------------------------------------------------- detail


class TicketDetailScreen(Screen[None]):
    """One complaint: what the customer said and was promised, who the customer is and what they order, and
    everything done so far; each key makes one change through `update_ticket` as the signed-in user."""

    CSS_PATH = "queue.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "status", t("ticket.key.status"), tooltip=t("ticket.key.status.tip"), id="ticket.status"),
        Binding("n", "note", t("ticket.key.note"), tooltip=t("ticket.key.note.tip"), id="ticket.note"),
        Binding("a", "assign", t("ticket.key.assign"), tooltip=t("ticket.key.assign.tip"), id="ticket.assign"),
        Binding("c", "callback", t("ticket.key.callback"), tooltip=t("ticket.key.callback.tip"), id="ticket.callback"),
        Binding(
            "e",
            "escalate",
            t("ticket.key.escalate"),
            tooltip=t("ticket.key.escalate.tip"),
            id="ticket.escalate",
            show=False,
        ),
        Binding("d", "due", t("ticket.key.due"), tooltip=t("ticket.key.due.tip"), id="ticket.due", show=False),
        Binding("r", "refresh", t("key.refresh"), tooltip=t("ticket.key.refresh.tip"), id="ticket.refresh", show=False),
        Binding("escape", "back", t("key.back"), tooltip=t("ticket.key.back.tip"), id="ticket.back", show=False),
    ]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.view: TicketView | None = None

    @property
    def telesales(self) -> TelesalesApp:
        return cast("TelesalesApp", self.app)

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
        self.watch(self.app, "db_down", self._db_changed, init=False)
        self.load()

    def _db_changed(self, down: bool) -> None:
        if not down:
            self.load()

    def on_screen_resume(self) -> None:
        if self.view is not None:  # back from the call-back: its outcome may have added to the history
            self.load()

    @work(thread=True, exclusive=True, group="ticket", exit_on_error=False)
    def load(self) -> None:
        app = self.telesales
        try:
            view = load_ticket_view(app.engine, app.settings, self.ticket_id, at=now())
        except TicketError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        except Exception as exc:
            if is_connection_error(exc):
                self.app.call_from_thread(app.database_failed, exc)
            else:
                self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._show, view)

    def _failed(self, message: str) -> None:
        self.query_one("#ticket-head", Static).update(Text(message, style="bold red"))

    def _show(self, view: TicketView) -> None:
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
        grid.add_row(t("ticket.label.words"), Text(row.text, style="bold"))
        opened = Text(t("ticket.opened_value", by=row.opened_by, at=local_time(row.opened_at, zone)))
        if row.repeat_of is not None:
            opened.append("\n" + t("ticket.repeat", id=row.repeat_of), style="magenta")
        grid.add_row(t("ticket.label.opened"), opened)
        # an overdue promise is not "due today at 7": the phrase is for promises still to keep
        phrase = t("ticket.overdue") if row.overdue else phrase_due(row.due_at, zone, at=now(), lang=language())
        grid.add_row(
            t("ticket.label.due"),
            Text(t("ticket.due_value", at=local_time(row.due_at, zone), phrase=phrase), style=due_style(row)),
        )
        grid.add_row(t("ticket.label.status"), Text(t("status." + row.status)))
        grid.add_row(
            t("ticket.label.assigned"),
            Text(row.assigned_to or t("ticket.nobody"), style="" if row.assigned_to else "dim"),
        )
        if row.escalated_to:
            grid.add_row(t("ticket.label.escalated"), Text(row.escalated_to, style="bold magenta"))
        return Group(Text(t("ticket.section.complaint"), style="bold underline"), grid)

    def _customer(self, view: TicketView) -> RenderableType:
        from tui.screens.call import weekday_name

        card = view.card
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        shop = Text(card.name, style="bold")
        shop.append(f" {card.code}", style="dim")
        grid.add_row(t("ticket.label.shop"), shop)
        grid.add_row(t("ticket.label.owner"), Text(card.owner or "-"))
        grid.add_row(t("ticket.label.phone"), Text(card.phone or "-", style="bold"))
        tier = Text(t("ticket.tier_value", tier=card.tier, day=weekday_name(card.order_weekday)))
        if card.key_customer:
            tier.append(" · " + t("ticket.key_customer"), style="bold")
        grid.add_row(t("ticket.label.tier"), tier)
        grid.add_row(t("ticket.label.district"), Text(card.district or "-"))
        if card.notes:
            grid.add_row(t("ticket.notes"), Text(card.notes, style="italic"))
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
            table.add_row(local_time(event.at, zone), event.actor, t("ticket.event." + event.kind), note)
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


# ---------------------------------------------------------------------------------------------- dialogs


class TicketDialog(ModalScreen[TicketRow | None]):
    """A change to one ticket. The subclass says which fields it asks and how they make a `Change`; this class
    saves it with `update_ticket` in a worker and closes with the updated row, or shows the refusal and stays
    open with everything typed still there. Enter in a field moves to the next one and saves on the last."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="TicketDialog")
        + """
    TicketDialog .label { color: $text-muted; margin-top: 1; height: auto; }
    TicketDialog OptionList { height: auto; max-height: 7; }
    TicketDialog .hint { color: $text-muted; height: auto; }
    TicketDialog #dialog-status { height: auto; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", t("key.cancel"), tooltip=t("key.cancel.tip"), id="ticket.dialog_cancel"),
        Binding(
            "tab",
            "app.focus_next",
            t("key.next_field"),
            tooltip=t("key.next_field.tip"),
            id="ticket.dialog_tab",
            show=False,
        ),
    ]
    hint_key = "ticket.dialog.hint"

    def __init__(self, ticket: TicketRow) -> None:
        super().__init__()
        self.ticket = ticket
        self.busy = False

    @property
    def telesales(self) -> TelesalesApp:
        return cast("TelesalesApp", self.app)

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
            yield Static(self.heading(), classes="title")
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

    @work(thread=True, exclusive=True, group="ticket-change", exit_on_error=False)
    def save(self, change: Change) -> None:
        app = self.telesales
        actor = app.user.login if app.user is not None else ""  # no one signed in: update_ticket refuses ""
        try:
            row, _done = update_ticket(app.engine, self.ticket.ticket_id, change, actor=actor)
        except (TicketError, PermissionDenied) as exc:
            self.app.call_from_thread(self._refused, t("ticket.dialog.refused", message=str(exc)))
            return
        except Exception as exc:
            if is_connection_error(exc):
                self.app.call_from_thread(app.database_failed, exc)
                self.app.call_from_thread(self._refused, t("ticket.dialog.db_down"))
            else:
                self.app.call_from_thread(self._refused, t("ticket.dialog.refused", message=str(exc)))
            return
        self.app.call_from_thread(self.dismiss, row)

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
