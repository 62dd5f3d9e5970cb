"""The banner every working screen shows while the database cannot be reached."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from tui.i18n import t


class DbBanner(Static):
    """Hidden while the database answers; says what failed, and that work goes on, while it does not."""

    DEFAULT_CSS = """
    DbBanner { display: none; height: auto; background: $error; color: $text; padding: 0 1; }
    DbBanner.shown { display: block; }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "db_down", self._changed)

    def _changed(self, down: Any) -> None:
        if down:
            self.show(str(getattr(self.app, "db_message", "")))
        self.set_class(bool(down), "shown")

    def show(self, message: str) -> None:
        """Say what failed: the app's sentence in the screen's language (never markup, never driver text
        alone), or the driver's first line inside our sentence when the app has none."""
        if not message:
            message = t("db.down", error=str(getattr(self.app, "db_error", ""))[:60])
        self.update(Text(message))
