"""F1 help: every key of the screen underneath, because the footer has room for only four.

Its own module so that screens and the app can both reach it without screens importing the app.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.i18n import t
from tui.keys import bind


class HelpScreen(ModalScreen[None]):
    """The keys as (key, what it does, longer explanation) rows, built by the app from the active bindings."""

    CSS_PATH = "help.tcss"
    BINDINGS = [  # noqa: RUF012
        bind("escape", "close", "close", id="help.close"),
        bind("f1", "close", "close", id="help.close_f1", show=False),
    ]

    def __init__(self, keys: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 2, 0, 0))
        table.add_column(t("help.key"), style="bold", no_wrap=True)
        table.add_column(t("help.action"), no_wrap=True)
        table.add_column("", style="dim")
        for key, description, tooltip in self.keys:
            table.add_row(Text(key), Text(description), Text(tooltip))
        with Vertical(id="help-box"):
            yield Static(t("help.title"), id="help-title")
            yield Static(table, id="help-keys")
            yield Static(Text(t("help.close"), style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
