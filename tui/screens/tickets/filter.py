"""The queue's filter dialog. It only turns the lead's choices into a `QueueFilter`; the queue asks
`orders.ticket_view` for the rows, so the dialog never runs a query."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from orders.ticket_view import ALL, QueueChoices, QueueFilter
from tui.i18n import t
from tui.keys import bind
from tui.screens.base import Dialog
from tui.screens.tickets.labels import person_label


class FilterDialog(Dialog[QueueFilter | None]):
    """Four lists side by side (status, category, operator, district); Enter applies all four at once, so a
    lead sets "overdue delivery errors in 雨花区" in one visit."""

    CSS_PATH = "filter.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "cancel", "cancel", id="tickets.filter_cancel"),
        bind("x", "reset", "tickets.reset", id="tickets.filter_reset"),
        bind(
            "right,tab", "app.focus_next", "tickets.next_list", id="tickets.filter_next", show=False, tip="tickets.list"
        ),
        bind(
            "left,shift+tab",
            "app.focus_previous",
            "tickets.prev_list",
            id="tickets.filter_prev",
            show=False,
            tip="tickets.list",
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
                        # an Option's str prompt is markup: people's names and districts are shown as typed
                        yield OptionList(*[Option(Text(label)) for label in self.labels[name]], id=f"filter-{name}")
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
