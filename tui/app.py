"""The Textual app. Until the call screens land it shows one screen: what the database holds.

Import this module only after `tui.i18n.set_language()`: binding descriptions are fixed at class creation.
"""

from __future__ import annotations

import re

from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from orders.settings import Settings
from tui.i18n import t
from tui.screens.summary import SummaryScreen


def key_label(key: str) -> str:
    """How a key is printed on the training sheet: F1, Ctrl+Q, q."""
    *mods, last = key.split("+")
    if re.fullmatch(r"f\d+", last):
        last = last.upper()
    elif mods or len(last) > 1:
        last = last.capitalize()
    return "+".join([*(m.capitalize() for m in mods), last])


class HelpScreen(ModalScreen[None]):
    """Every key of the screen underneath, with what it does: the footer has room for only four."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help-box { width: 60; height: auto; border: round $accent; padding: 0 1;
                background: $panel; }
    #help-box > Static { width: 100%; }
    #help-title { text-style: bold; }
    """
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "close", t("key.close"), tooltip=t("key.close.tip"), id="help.close"),
        Binding("f1", "close", t("key.close"), tooltip=t("key.close.tip"), id="help.close_f1", show=False),
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


class TelesalesApp(App[None]):
    """The terminal app; `engine` and `settings` come from the CLI, never built at import time."""

    TITLE = t("app.title")
    BINDINGS = [  # noqa: RUF012
        Binding("f1", "help", t("key.help"), tooltip=t("key.help.tip"), id="app.help", key_display="F1"),
        Binding("ctrl+q", "quit", t("key.quit"), tooltip=t("key.quit.tip"), id="app.quit", show=False,
                priority=True),
    ]

    def __init__(self, engine: Engine, settings: Settings) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings

    def on_mount(self) -> None:
        self.push_screen(SummaryScreen(self.engine, self.settings))

    def help_keys(self) -> list[tuple[str, str, str]]:
        """Our keys active on the current screen, with the command palette's key added in our language."""
        seen: set[tuple[str, str, str]] = set()
        rows: list[tuple[str, str, str]] = []
        for key, active in self.screen.active_bindings.items():
            description = active.binding.description or active.binding.tooltip
            if not description or active.binding.id is None:  # ours all have ids; Textual's focus/copy keys don't
                continue
            row = (key_label(key), description, active.binding.tooltip)
            if row not in seen:
                seen.add(row)
                rows.append(row)
        if self.ENABLE_COMMAND_PALETTE:
            rows.append((key_label(self.COMMAND_PALETTE_BINDING), t("key.palette"), ""))
        return rows

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.help_keys()))
