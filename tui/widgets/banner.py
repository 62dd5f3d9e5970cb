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
            self.show()
        self.set_class(bool(down), "shown")

    def sentence(self) -> str:
        """What happened, in the screen's language and without the driver's words (which name hosts, ports and
        SQL the order taker can do nothing with); a screen that keeps a draft says it is safe, a lead's
        screen, which has none, does not speak of drafts."""
        keeps_draft = bool(getattr(self.screen, "KEEPS_DRAFT", False))
        if getattr(self.app, "db_message", "") == "file_gone":
            key = "db.file_gone_draft" if keeps_draft else "db.file_gone"
            return t(key, path=str(getattr(self.app, "db_gone_path", "")))
        return t("db.down_draft" if keeps_draft else "db.down")

    def show(self) -> None:
        """Say what failed (never markup)."""
        self.update(Text(self.sentence()))
