"""Find any shop when it calls in (to order off its day, to complain, to change an order) and open an inbound call.

The active shops are read once in a worker when the dialog opens; each keystroke ranks them in memory
(`orders/find_shop.py`). The search box keeps the focus while Up/Down move through the hits (Toolong's find
dialog), Enter opens the highlighted shop, Esc closes.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from orders.find_shop import ShopHit, load_shops, rank_shops
from tui.i18n import t
from tui.keys import bind
from tui.messages import ShopsLoaded
from tui.screens.base import Dialog, db_worker

SHOWN = 8


class FindShopDialog(Dialog[ShopHit | None]):
    """Dismissed with the shop chosen, or None."""

    BINDINGS = [  # noqa: RUF012
        bind("down", "move(1)", "next_hit", id="find.down", show=False, priority=True),
        bind("up", "move(-1)", "prev_hit", id="find.up", show=False, priority=True),
        bind("escape", "cancel", "back", id="find.cancel"),
    ]
    DEFAULT_CSS = """
    FindShopDialog OptionList { height: auto; max-height: 10; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.shops: list[ShopHit] | None = None
        self.hits: list[ShopHit] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("find.title"), classes="title")
            yield Input(placeholder=t("find.placeholder"), id="find-text", max_length=40)
            yield OptionList(id="find-hits")
            yield Static(Text(t("find.loading"), style="dim"), id="find-status", classes="message")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#find-text", Input).focus()
        self.load()

    @db_worker("find-shops")
    def load(self) -> None:
        self.post_message(ShopsLoaded(load_shops(self.telesales.engine)))

    @on(ShopsLoaded)
    def _loaded(self, message: ShopsLoaded) -> None:
        self.shops = message.shops
        self._search(self.query_one("#find-text", Input).value)

    @on(Input.Changed, "#find-text")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    def _search(self, query: str) -> None:
        status = self.query_one("#find-status", Static)
        options = self.query_one("#find-hits", OptionList)
        if self.shops is None:
            return
        self.hits = rank_shops(self.shops, query, SHOWN) if query.strip() else []
        options.clear_options()
        for hit in self.hits:
            line = Text(hit.name, style="bold")
            line.append(f"  {hit.owner}  {hit.phone}  {hit.code}", style="dim")
            options.add_option(Option(line, id=hit.code))
        if self.hits:
            options.highlighted = 0
        status.update(
            Text(t("find.count", n=len(self.hits)) if query.strip() else t("find.hint"), style="dim"), layout=False
        )

    def action_move(self, step: int) -> None:
        options = self.query_one("#find-hits", OptionList)
        if not self.hits:
            return
        current = options.highlighted or 0
        options.highlighted = max(0, min(len(self.hits) - 1, current + step))

    @on(Input.Submitted, "#find-text")
    def _submitted(self) -> None:
        options = self.query_one("#find-hits", OptionList)
        if not self.hits:
            return
        self.dismiss(self.hits[options.highlighted or 0])

    @on(OptionList.OptionSelected, "#find-hits")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.hits[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
