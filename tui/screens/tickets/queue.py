"""The queue of complaints. A complaint is a promise with a clock on it, so the queue is sorted by reply time
(overdue first, marked) and the counts above it say at a glance how many promises are late or about to be."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from orders.clock import now
from orders.ticket_view import ALL, QUEUE_LIMIT, QueueChoices, QueueFilter, QueueItem, queue_choices, ticket_queue
from orders.tickets import QueueCounts, count_queue
from tui.cells import fit
from tui.i18n import t
from tui.keys import bind
from tui.messages import TicketsLoaded
from tui.screens.base import BaseScreen, db_worker
from tui.screens.tickets.detail import TicketDetailScreen
from tui.screens.tickets.filter import FilterDialog
from tui.screens.tickets.labels import due_style, flag_text, local_time
from tui.widgets.banner import DbBanner

QUEUE_COLUMNS = ("id", "flag", "due", "shop", "category", "status", "opened_by", "assigned", "district")
MIN_SHOP = 8  # cells; below this a shop name says nothing, and the table scrolls sideways instead
SCROLLBAR = 1  # the table's vertical scrollbar (queue.tcss), kept free so no column is cut


class TicketTable(DataTable[Text]):
    """The queue's table: Enter opens the highlighted ticket, and the footer says so."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("enter", "select_cursor", "tickets.open", id="tickets.open", display="Enter"),
    ]


class SearchBox(Input):
    """The shop search: it keeps focus while Up/Down move through the list and Enter opens the ticket
    (Toolong's find box), so finding a shop's complaint is type, look, Enter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("enter", "submit", "tickets.open", id="tickets.search_open", display="Enter"),
        bind("down", "screen.row(1)", "tickets.row_down", id="tickets.search_down", show=False, tip="tickets.row"),
        bind("up", "screen.row(-1)", "tickets.row_up", id="tickets.search_up", show=False, tip="tickets.row"),
        bind("escape", "screen.to_list", "tickets.to_list", id="tickets.search_leave"),
    ]


class TicketQueueScreen(BaseScreen[None]):
    """Every complaint still open, most urgent first, with the counts a lead reports on."""

    CSS_PATH = "queue.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("f", "filter", "tickets.filter", id="tickets.filter"),
        bind("slash", "search", "tickets.search", id="tickets.search", display="/"),
        bind("r", "refresh", "refresh", id="tickets.refresh", tip="tickets.refresh"),
        bind("x", "clear", "tickets.clear", id="tickets.clear", show=False),
        bind("escape", "back", "back", id="tickets.back", show=False, tip="tickets.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.flt = QueueFilter()
        self.items: list[QueueItem] = []
        self.counts: QueueCounts | None = None
        self.choices: QueueChoices | None = None
        self.loaded = False  # set when the first answer arrived; tests and the palette wait for it

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
        self.load()

    def database_back(self) -> None:
        self.load()  # show what it holds now, without waiting for `r`

    def on_screen_resume(self) -> None:
        self.load()  # back from a ticket: what the lead just changed shows at once

    def on_resize(self, _event: Resize) -> None:
        if self.loaded:
            self._render_table()

    # ------------------------------------------------------------------------------------------ loading

    @db_worker("tickets")
    def load(self) -> None:
        app = self.telesales
        flt = self.flt
        worker = get_current_worker()
        at = now()
        items = ticket_queue(app.engine, flt, at=at)
        counts = count_queue(app.engine, at=at)
        choices = self.choices or queue_choices(app.engine)
        if not worker.is_cancelled:  # a newer keystroke asked again; its answer is the one to show
            self.post_message(TicketsLoaded(flt, items, counts, choices))

    @on(TicketsLoaded)
    def _show(self, message: TicketsLoaded) -> None:
        flt, items, counts, choices = message.flt, message.items, message.counts, message.choices
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
