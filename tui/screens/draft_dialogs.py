"""What to do with a draft that can no longer be worked on: offered at sign-in, one at a time.

A draft whose shop was deleted or is no longer served, or whose call was already ended (on another terminal),
can be neither placed nor ended; reopening it would hold the queue. The order taker sees what it held and
why, and chooses: Enter discards it, Esc keeps it for later (it is offered again at the next sign-in).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Static

from orders.drafts import StaleDraft
from tui.i18n import t
from tui.keys import bind
from tui.money import yuan
from tui.screens.base import Dialog


class StaleDraftDialog(Dialog[bool]):
    """Dismissed with True to discard the draft, False to keep it."""

    DEFAULT_CSS = "StaleDraftDialog > Vertical { width: 60; }"
    BINDINGS = [  # noqa: RUF012
        bind("enter", "discard", "discard_draft", id="stale.discard", display="Enter"),
        bind("escape", "keep", "keep_draft", id="stale.keep", display="Esc"),
    ]

    def __init__(self, stale: StaleDraft, shop: str) -> None:
        super().__init__()
        self.stale = stale
        self.shop = shop

    def compose(self) -> ComposeResult:
        draft = self.stale.draft
        with Vertical():
            yield Static(Text(t("stale.title", shop=self.shop)), classes="title")
            yield Static(Text(t("stale.reason." + self.stale.reason)), classes="message", id="stale-reason")
            held = t("stale.held", lines=len(draft.lines), cartons=draft.cartons, amount=yuan(draft.total_fen))
            yield Static(Text(held), classes="message", id="stale-held")
        yield Footer()

    def action_discard(self) -> None:
        self.dismiss(True)

    def action_keep(self) -> None:
        self.dismiss(False)
