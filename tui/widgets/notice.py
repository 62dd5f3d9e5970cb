"""The screen's notice line: where a message to the user is said, over the header's line, never over figures.

Textual's toasts are drawn at the bottom right, over whatever is there: the draft's total on the call screen,
the queue's columns. Ours is one line (two for a long sentence) over the header, which holds only the app's
title and the user's name, so it covers no figure: the header steps aside while a notice is up (drawn over it,
a wide character astride the header's own parts was cut), and a two-line sentence moves the screen down one
line for its time rather than cover anything. A notice belongs to the screen it was said on: a call's
notices go with the call's screen, and the next call starts with none (「通话已结束」 no longer carries over).
"""

from __future__ import annotations

from rich.text import Text
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.widgets import Header, Static

ERROR_FACTOR = 2  # an error is read, not glanced at: twice the app's notification time (Textual's 5 s)


class Notice(Static):
    """Hidden until a message is said; hides itself after its time."""

    DEFAULT_CSS = """
    Notice {
        dock: top; width: 100%; height: auto; max-height: 2;
        padding: 0 1; display: none; background: $primary; color: $text;
    }
    Notice.shown { display: block; }
    Notice.-warning { background: $warning; color: $text; }
    Notice.-error { background: $error; color: $text; }
    """

    def __init__(self) -> None:
        super().__init__("", id="notice", markup=False)
        self._timer: Timer | None = None
        self.message = ""  # what is said now ("" when hidden): tests and F1 read it

    def say(self, message: str, severity: SeverityLevel = "information", timeout: float | None = None) -> None:
        self.message = message
        self.update(Text(message))
        self.set_class(severity == "warning", "-warning")
        self.set_class(severity == "error", "-error")
        self.add_class("shown")
        self._header(False)
        if self._timer is not None:
            self._timer.stop()
        seconds = self.app.NOTIFICATION_TIMEOUT * (ERROR_FACTOR if severity == "error" else 1)
        if timeout is not None:
            seconds = timeout
        self._timer = self.set_timer(seconds, self.clear)

    def clear(self) -> None:
        self.message = ""
        self.update("")
        self.remove_class("shown")
        self._header(True)
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _header(self, shown: bool) -> None:
        if self.parent is not None:
            for header in self.parent.query_children(Header):
                header.display = shown
