"""The whole customer card in a dialog (F11 on a call).

At 80×24 the call screen keeps only the card's essentials in view (phone, the account manager's note, open
tickets); the rest (past orders, earlier calls' notes, district) is read here, scrolled if long, at any size."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Static

from tui.keys import bind
from tui.screens.base import Dialog


class CardDialog(Dialog[None]):
    """The card as the call screen renders it; Esc (or F11 again) goes back to the call."""

    DEFAULT_CSS = "CardDialog VerticalScroll { height: auto; max-height: 18; }"
    BINDINGS = [  # noqa: RUF012
        bind("escape,f11", "close", "back_call", id="card.close", display="Esc"),
    ]

    def __init__(self, card: Text) -> None:
        super().__init__()
        self.card = card

    def compose(self) -> ComposeResult:
        with Vertical(), VerticalScroll(id="card-scroll"):
            yield Static(self.card, id="card-full")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
